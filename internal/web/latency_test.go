package web

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestFailedConnectionShowsNoLatency: a result that could not connect has
// no latency, and the check pages show "—" for it rather than the time it
// took to fail; answered results keep theirs.
func TestFailedConnectionShowsNoLatency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
		viewer := e.login("victor")
		e.putCheck(monitor.Check{Name: "shop-http", Service: "shop", Type: "http", URL: "http://127.0.0.1:1/", Interval: "30s"})
		now := time.Now().UTC()
		e.record(
			monitor.Result{Check: "shop-http", Location: "local", At: now.Add(-2 * time.Minute), Outcome: availability.Up, Latency: 42 * time.Millisecond, Reason: "all conditions met"},
			monitor.Result{Check: "shop-http", Location: "local", At: now.Add(-time.Minute), Outcome: availability.Down, Reason: "connection refused"},
		)
		tests := []struct {
			name, path string
			want       []string
			wantNot    []string
		}{
			{"check list", "/checks", []string{`<td class="num"><span class="muted">—</span></td>`}, []string{"0.00 ms", "42.0 ms</td>"}},
			{"check page", "/checks/shop-http", []string{
				`<td class="num">—</td>`,                        // the location's last result, and the failed one in the results table
				`<td class="num">42.0 ms</td>`,                  // the answered result
				"down, no latency — connection refused</title>", // the chart's tooltip
			}, []string{"0.00 ms", "Last latency"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, body := e.get(tt.path, &viewer)
				wantStatus(t, res, http.StatusOK)
				wantContains(t, body, tt.want...)
				wantNotContains(t, body, tt.wantNot...)
			})
		}
		t.Run("the chart's line leaves out the failed result", func(t *testing.T) {
			_, body := e.get("/checks/shop-http", &viewer)
			m := regexp.MustCompile(`class="series s0" points="([^"]*)"`).FindStringSubmatch(body)
			if m == nil || regexp.MustCompile(` `).MatchString(m[1]) {
				t.Fatalf("series = %v; want one point", m)
			}
		})
	})
}
