package web

import (
	"net/http"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestMoneyCarriesTheCurrency shows amounts with thousands separators, and
// with the configured currency's code when there is one.
func TestMoneyCarriesTheCurrency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop", Objective: &catalog.Objective{Availability: "99.9%",
			DowntimeCost: ptr(1234567.891), Budget: ptr(30000.0)}})
		viewer := e.login("victor")
		for _, tc := range []struct {
			name, currency string
			want           []string
		}{
			{"no currency: plain numbers, grouped", "", []string{"<dd>1,234,567.89</dd>", "<dd>30,000</dd>", `id="fig-cost">0</dd>`}},
			{"a currency: two decimals and its code", "EUR", []string{"<dd>1,234,567.89 EUR</dd>", "<dd>30,000.00 EUR</dd>", `id="fig-cost">0.00 EUR</dd>`}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ui, err := New(Deps{Auth: e.auth, Catalog: e.catalog, Outages: e.outages, Reports: timeline.NewReporter(e.catalog, e.outages, nil),
					Monitor: e.monitor, Checks: e.checks, Incidents: e.incidents, Signer: e.signer, Deliveries: (&notify.Outbox{DB: db}).Deliveries,
					Currency: func() string { return tc.currency }})
				if err != nil {
					t.Fatal(err)
				}
				mux := http.NewServeMux()
				ui.Register(mux)
				e.handler = mux
				res, body := e.get("/services/shop", &viewer)
				wantStatus(t, res, http.StatusOK)
				wantContains(t, body, tc.want...)
				_, body = e.get("/", &viewer)
				wantContains(t, body, `data-label="Downtime cost">`+map[string]string{"": "0", "EUR": "0.00 EUR"}[tc.currency]+`</td>`)
			})
		}
	})
}
