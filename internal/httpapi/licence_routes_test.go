package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

type licenceAnswer struct {
	Name        string  `json:"name"`
	Seats       int     `json:"seats"`
	Used        int     `json:"used"`
	Unused      int     `json:"unused"`
	Over        int     `json:"over_quota"`
	OverCost    float64 `json:"over_quota_cost"`
	CostPerSeat float64 `json:"cost_per_seat"`
	Currency    string  `json:"currency"`
	Days        *int    `json:"days_to_expiry"`
	Expiring    bool    `json:"expiring"`
	Installs    []struct {
		Item, Via string
	} `json:"installs"`
	Assignments []struct{ Person string } `json:"assignments"`
}

// TestLicenceReportHandWorked: a licence of 10 seats at 12.50 EUR,
// installed on pc-01…pc-10 itself and through Word (whose licence
// attribute names it) on pc-01, pc-11 and pc-12, and assigned to alice:
// pc-01 counts once, so 12 installs + 1 assignment = 13 used, 3 over
// quota costing 3 × 12.50 = 37.50, none unused; it expires on 21
// December, 30 days after "now" (21 November), so it is expiring.
func TestLicenceReportHandWorked(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		if _, err := h.auth.CreateUser(ctx, "test", auth.NewUser{Name: "alice", Password: "long-enough-password", Role: auth.Viewer}); err != nil {
			t.Fatal(err)
		}
		op := func(method, path, body string, want int) []byte {
			t.Helper()
			return h.mustDo(auth.Operator, method, path, body, want)
		}
		op("POST", "/api/v1/cis", `{"name":"office","class":"licence","attributes":{"product":"Microsoft 365","seats":10,"cost_per_seat":"12.50","expires":"2026-12-21"}}`, 201)
		op("POST", "/api/v1/cis", `{"name":"word","class":"application","attributes":{"licence":"office"}}`, 201)
		for i := 1; i <= 12; i++ {
			op("POST", "/api/v1/cis", fmt.Sprintf(`{"name":"pc-%02d","class":"server"}`, i), 201)
		}
		for i := 1; i <= 10; i++ {
			op("POST", "/api/v1/ci-relations", fmt.Sprintf(`{"from":"office","type":"installed_on","to":"pc-%02d"}`, i), 201)
		}
		for _, pc := range []string{"pc-01", "pc-11", "pc-12"} {
			op("POST", "/api/v1/ci-relations", `{"from":"word","type":"installed_on","to":"`+pc+`"}`, 201)
		}
		var r licenceAnswer
		if err := json.Unmarshal(op("POST", "/api/v1/licences/office/assignments", `{"person":"alice"}`, 201), &r); err != nil {
			t.Fatal(err)
		}
		if r.Seats != 10 || r.Used != 13 || r.Over != 3 || r.OverCost != 37.5 || r.Unused != 0 || r.CostPerSeat != 12.5 || r.Currency != "EUR" ||
			r.Days == nil || *r.Days != 30 || !r.Expiring || len(r.Installs) != 12 || len(r.Assignments) != 1 || r.Assignments[0].Person != "alice" {
			t.Fatalf("report: %+v", r)
		}
		if r.Installs[10].Item != "pc-11" || r.Installs[10].Via != "word" || r.Installs[0].Via != "" {
			t.Fatalf("installs: %+v", r.Installs)
		}
		var all struct{ Items []licenceAnswer }
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/licences", "", 200), &all); err != nil {
			t.Fatal(err)
		}
		if len(all.Items) != 1 || all.Items[0].Used != 13 {
			t.Fatalf("list: %+v", all)
		}
		// Retiring pc-12 frees its seat.
		op("PUT", "/api/v1/cis/pc-12", `{"name":"pc-12","class":"server","lifecycle":"retired"}`, 200)
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/licences/office", "", 200), &r); err != nil {
			t.Fatal(err)
		}
		if r.Used != 12 || r.Over != 2 || r.OverCost != 25 {
			t.Fatalf("after retiring pc-12: %+v", r)
		}

		// Bad input names the field, and changes nothing.
		for _, tc := range []struct {
			method, path, body string
			role               auth.Role
			want               int
			says               string
		}{
			{"POST", "/api/v1/licences/office/assignments", `{"person":"bob"}`, auth.Operator, 400, `unknown person \"bob\"`},
			{"POST", "/api/v1/licences/office/assignments", `{"person":""}`, auth.Operator, 400, `"pointer":"/person"`},
			{"POST", "/api/v1/licences/office/assignments", `{"person":"alice"}`, auth.Operator, 409, "already assigned"},
			{"POST", "/api/v1/licences/pc-01/assignments", `{"person":"alice"}`, auth.Operator, 404, "the item is a server"},
			{"POST", "/api/v1/licences/office/assignments", `{"person":"alice"}`, auth.Viewer, 403, ""},
			{"DELETE", "/api/v1/licences/office/assignments/carol", "", auth.Operator, 404, "carol"},
			{"GET", "/api/v1/licences/pc-01", "", auth.Viewer, 404, "the item is a server"},
			{"POST", "/api/v1/cis", `{"name":"bad","class":"licence","attributes":{"seats":-1,"cost_per_seat":"12,50"}}`, auth.Operator, 400, `"pointer":"/attributes/cost_per_seat"`},
		} {
			code, body := h.do(tc.role, tc.method, tc.path, tc.body)
			if code != tc.want || !strings.Contains(strings.ReplaceAll(string(body), " ", ""), strings.ReplaceAll(tc.says, " ", "")) {
				t.Errorf("%s %s %s as %s = %d %s, want %d with %s", tc.method, tc.path, tc.body, tc.role, code, body, tc.want, tc.says)
			}
		}
		// The assignment is in the licence's history.
		hist := string(h.mustDo(auth.Viewer, "GET", "/api/v1/cis/office/history", "", 200))
		if !strings.Contains(hist, `"assignments": [`) || !strings.Contains(hist, `"alice"`) {
			t.Fatalf("history: %s", hist)
		}

		// The expiry warning is enqueued once per channel, and only once.
		h.licenceCfg.Store(&cmdb.LicenceConfig{Channels: []string{"ops-mail", "chat"}})
		warn := func(want int) {
			t.Helper()
			n, err := h.licences.Warn(ctx)
			if err != nil || n != want {
				t.Fatalf("Warn = %d, %v; want %d", n, err, want)
			}
		}
		warn(1)
		warn(0)
		rows, err := db.Reader().QueryContext(ctx, `SELECT channel, kind FROM outbox WHERE incident_id IS NULL ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var kind string
		for rows.Next() {
			var ch string
			if err := rows.Scan(&ch, &kind); err != nil {
				t.Fatal(err)
			}
			got = append(got, ch)
		}
		rows.Close()
		if !reflect.DeepEqual(got, []string{"ops-mail", "chat"}) || !strings.HasPrefix(kind, "licence_expiring:") {
			t.Fatalf("outbox rows: %v %s", got, kind)
		}
		n, ok, err := h.licences.Notice(ctx, kind)
		if want := "Licence office (Microsoft 365) expires on 2026-12-21, in 30 days; 12 of 10 seats in use, 2 over quota"; err != nil || !ok || n.Summary != want || n.Licence != "office" {
			t.Fatalf("notice: %+v %v %v", n, ok, err)
		}
		if _, ok, _ := h.licences.Notice(ctx, "maintenance_scheduled:1"); ok {
			t.Fatal("a maintenance notice read as a licence warning")
		}
		// The licence's report lists the warning and its deliveries.
		var withWarnings struct {
			Warnings []struct {
				Expires, Summary string
				Deliveries       []struct{ Channel, Status string }
			}
		}
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/licences/office", "", 200), &withWarnings); err != nil {
			t.Fatal(err)
		}
		if ws := withWarnings.Warnings; len(ws) != 1 || ws[0].Expires != "2026-12-21" || len(ws[0].Deliveries) != 2 ||
			ws[0].Deliveries[0].Channel != "ops-mail" || ws[0].Deliveries[0].Status != "pending" {
			t.Fatalf("warnings: %+v", ws)
		}
		// A renewal that still falls within the period is a new expiry,
		// warned of again.
		op("PUT", "/api/v1/cis/office", `{"name":"office","class":"licence","attributes":{"product":"Microsoft 365","seats":10,"cost_per_seat":"12.50","expires":"2026-12-01"}}`, 200)
		warn(1)
		warn(0)
		// A retired licence is not warned of.
		op("POST", "/api/v1/cis", `{"name":"old-cad","class":"licence","lifecycle":"retired","attributes":{"seats":5,"expires":"2026-11-30"}}`, 201)
		warn(0)
		// Unassigning frees the seat.
		op("DELETE", "/api/v1/licences/office/assignments/alice", "", 204)
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/licences/office", "", 200), &r); err != nil {
			t.Fatal(err)
		}
		if r.Used != 11 || len(r.Assignments) != 0 {
			t.Fatalf("after unassigning: %+v", r)
		}
	})
}
