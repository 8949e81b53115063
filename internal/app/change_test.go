package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// call sends body as JSON with token and returns the status and body.
func (s *server) callAs(token, method, path, body string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// must is json that fails the test on another status.
func (s *server) must(method, path, body string, want int, out any) {
	s.t.Helper()
	if code := s.json(method, path, body, out); code != want {
		c, b := s.callAs(s.token, "GET", path, "")
		s.t.Fatalf("%s %s = %d, want %d (GET now: %d %s)", method, path, code, want, c, b)
	}
}

const changeConfig = `services:
  - {name: ledger, tier: 2, objective: {availability: 99%}}
change:
  failure_window: 24h
  templates:
    - {name: deploy, title: Deploy a release}
`

// TestChangeHandWorked walks the hand-worked cases through the
// API on the real server, on both engines:
//
//  1. An approved change on shop expecting an outage from 02:00 to 03:00
//     on 30 November becomes a maintenance window: the service was down
//     exactly then, and the report over that day counts no downtime and
//     23 h in hours.
//  2. The same change ran until 03:20 and the outage with it: the 20
//     minutes past the planned end are not maintenance, so the day shows
//     1200 s of downtime.
//  3. Five changes ended from 25 to 27 November — one failed, one rolled
//     back, one followed 5 h later by an incident on a service depending
//     on its item db-01, one followed 26 h later by an incident on its
//     service, one clean — give a change-failure rate of 3/5, each failure
//     with its reason.
func TestChangeHandWorked(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "sextant.yaml")
			if err := os.WriteFile(cfg, []byte(changeConfig), 0o600); err != nil {
				t.Fatal(err)
			}
			clock := &testClock{}
			clock.Set("2026-12-01T12:00:00Z")
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir, Now: clock.Now})

			s.must("POST", "/api/v1/services", `{"name":"shop","tier":2,"objective":{"availability":"99%"}}`, 201, nil)
			s.must("POST", "/api/v1/services/shop/outages", `{"start":"2026-11-30T02:00:00Z","end":"2026-11-30T03:00:00Z","state":"down"}`, 201, nil)
			var c change.Request
			s.must("POST", "/api/v1/changes", `{"type":"normal","title":"Database upgrade","services":["shop"],"outage_expected":true,
				"planned_start":"2026-11-30T02:00:00Z","planned_end":"2026-11-30T03:00:00Z","submit":true,"at":"2026-11-29T09:00:00Z"}`, 201, &c)
			if c.State != change.Submitted || c.Risk.Level == "" || len(c.Risk.Reasons) == 0 {
				t.Fatalf("submitted change: %+v", c)
			}
			s.must("POST", fmt.Sprintf("/api/v1/changes/%d/approvals", c.ID), `{"decision":"approve","comment":"go","at":"2026-11-29T10:00:00Z"}`, 200, &c)
			if c.State != change.Scheduled || c.Maintenance == "" {
				t.Fatalf("approved change: state %s, window %q, history %+v", c.State, c.Maintenance, c.History)
			}
			var svc struct {
				Maintenance []struct{ Title, Start, End string }
			}
			s.must("GET", "/api/v1/services/shop", "", 200, &svc)
			if len(svc.Maintenance) != 1 || svc.Maintenance[0].Title != fmt.Sprintf("Change #%d: Database upgrade", c.ID) ||
				svc.Maintenance[0].Start != "2026-11-30T02:00:00Z" || svc.Maintenance[0].End != "2026-11-30T03:00:00Z" {
				t.Fatalf("maintenance: %+v", svc)
			}
			var rep struct {
				Downtime float64 `json:"downtime_seconds"`
				InHours  float64 `json:"in_hours_seconds"`
			}
			day := "from=2026-11-30T00:00:00Z&to=2026-12-01T00:00:00Z"
			s.must("GET", "/api/v1/services/shop/report?"+day, "", 200, &rep)
			if rep.Downtime != 0 || rep.InHours != 23*3600 {
				t.Fatalf("case 1: downtime %v s, in hours %v s; want 0 and 82800", rep.Downtime, rep.InHours)
			}

			// Case 1 on a service declared in the config file, which the API
			// cannot edit: the change holds its window beside the service's
			// spec, shown with it, counted as maintenance, and kept when the
			// file is applied again.
			s.must("POST", "/api/v1/services/ledger/outages", `{"start":"2026-11-30T04:00:00Z","end":"2026-11-30T05:00:00Z","state":"down"}`, 201, nil)
			var lc change.Request
			s.must("POST", "/api/v1/changes", `{"type":"normal","title":"Ledger migration","services":["ledger"],"outage_expected":true,
				"planned_start":"2026-11-30T04:00:00Z","planned_end":"2026-11-30T05:00:00Z","submit":true,"at":"2026-11-29T09:00:00Z"}`, 201, &lc)
			s.must("POST", fmt.Sprintf("/api/v1/changes/%d/approvals", lc.ID), `{"decision":"approve","comment":"go","at":"2026-11-29T10:00:00Z"}`, 200, &lc)
			if lc.State != change.Scheduled || lc.Maintenance == "" {
				t.Fatalf("approved change on a file service: state %s, window %q, history %+v", lc.State, lc.Maintenance, lc.History)
			}
			for _, when := range []string{"after approval", "after the file is applied again"} {
				var ledger struct {
					Source      string
					Maintenance []struct{ Title, Start, End string }
				}
				s.must("GET", "/api/v1/services/ledger", "", 200, &ledger)
				if ledger.Source != "file" || len(ledger.Maintenance) != 1 || ledger.Maintenance[0].Title != fmt.Sprintf("Change #%d: Ledger migration", lc.ID) ||
					ledger.Maintenance[0].Start != "2026-11-30T04:00:00Z" || ledger.Maintenance[0].End != "2026-11-30T05:00:00Z" {
					t.Fatalf("%s: ledger %+v", when, ledger)
				}
				s.must("GET", "/api/v1/services/ledger/report?from=2026-11-30T00:00:00Z&to=2026-12-01T00:00:00Z", "", 200, &rep)
				if rep.Downtime != 0 || rep.InHours != 23*3600 {
					t.Fatalf("%s: ledger downtime %v s, in hours %v s; want 0 and 82800", when, rep.Downtime, rep.InHours)
				}
				s.must("POST", "/api/v1/config/reload", "", 200, nil)
			}

			// Case 2: it ran 20 minutes long, the outage with it.
			s.must("POST", "/api/v1/services/shop/outages", `{"start":"2026-11-30T03:00:00Z","end":"2026-11-30T03:20:00Z","state":"down"}`, 201, nil)
			s.must("POST", fmt.Sprintf("/api/v1/changes/%d/status", c.ID), `{"status":"in_progress","at":"2026-11-30T02:00:00Z"}`, 200, nil)
			s.must("POST", fmt.Sprintf("/api/v1/changes/%d/status", c.ID), `{"status":"completed","outcome":"successful","at":"2026-11-30T03:20:00Z"}`, 200, &c)
			s.must("GET", "/api/v1/services/shop/report?"+day, "", 200, &rep)
			if rep.Downtime != 1200 {
				t.Fatalf("case 2: downtime %v s, want 1200", rep.Downtime)
			}
			if c.EndedAt == nil || !c.EndedAt.Equal(time.Date(2026, 11, 30, 3, 20, 0, 0, time.UTC)) || len(c.History) < 6 {
				t.Fatalf("completed change: %+v", c)
			}
			var tl struct {
				Changes []struct {
					ID         int64
					Start, End time.Time
				}
			}
			s.must("GET", "/api/v1/services/shop/timeline?"+day, "", 200, &tl)
			if len(tl.Changes) != 1 || tl.Changes[0].ID != c.ID || !tl.Changes[0].End.Equal(*c.EndedAt) {
				t.Fatalf("the change on the timeline: %+v", tl)
			}

			// Case 3: the change-failure rate over five changes.
			s.must("POST", "/api/v1/cis", `{"name":"db-01","class":"server"}`, 201, nil)
			s.must("POST", "/api/v1/services", `{"name":"web"}`, 201, nil)
			s.must("POST", "/api/v1/services", `{"name":"api","depends_on":[{"ci":"db-01","kind":"hard"}]}`, 201, nil)
			s.must("POST", "/api/v1/services", `{"name":"cms"}`, 201, nil)
			var integ struct{ Key string }
			s.must("POST", "/api/v1/integrations", `{"name":"pd-api","kind":"events","service":"api"}`, 201, &integ)
			mk := func(services, items, ended string, outcome change.Outcome) int64 {
				t.Helper()
				var c change.Request
				s.must("POST", "/api/v1/changes", fmt.Sprintf(`{"type":"standard","template":"deploy","services":%s,"items":%s,
					"planned_start":"2026-11-24T08:00:00Z","planned_end":"2026-11-24T09:00:00Z","submit":true,"at":"2026-11-24T07:00:00Z"}`, services, items), 201, &c)
				if c.State != change.Scheduled {
					t.Fatalf("a standard change is %s, want scheduled: %+v", c.State, c.History)
				}
				s.must("POST", fmt.Sprintf("/api/v1/changes/%d/status", c.ID), `{"status":"in_progress","at":"2026-11-24T08:00:00Z"}`, 200, nil)
				s.must("POST", fmt.Sprintf("/api/v1/changes/%d/status", c.ID), fmt.Sprintf(`{"status":"completed","outcome":%q,"at":%q}`, outcome, ended), 200, nil)
				return c.ID
			}
			failed := mk(`["web"]`, `[]`, "2026-11-25T10:00:00Z", change.Failed)
			rolled := mk(`["web"]`, `[]`, "2026-11-25T11:00:00Z", change.RolledBack)
			viaItem := mk(`["web"]`, `["db-01"]`, "2026-11-26T10:00:00Z", change.Successful)
			late := mk(`["api"]`, `[]`, "2026-11-27T10:00:00Z", change.Successful)
			clean := mk(`["cms"]`, `[]`, "2026-11-27T12:00:00Z", change.Successful)
			incident := func(at time.Time, dedup string) int64 {
				t.Helper()
				clock.Set(at.Format(time.RFC3339))
				code, body := s.callAs("", "POST", "/v2/enqueue", fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":%q,"payload":{"summary":"api errors","source":"x","severity":"error"}}`, integ.Key, dedup))
				if code != 202 {
					t.Fatalf("event: %d %s", code, body)
				}
				var list struct{ Items []struct{ ID int64 } }
				waitUntil(t, "the incident "+dedup, 5*time.Second, func() bool {
					s.json("GET", "/api/v1/incidents?dedup_key="+dedup, "", &list)
					return len(list.Items) == 1
				})
				return list.Items[0].ID
			}
			within := incident(time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC), "within")
			incident(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), "after")
			clock.Set("2026-12-01T12:00:00Z")
			var cfr change.FailureReport
			s.must("GET", "/api/v1/reports/change-failure-rate?from=2026-11-25T00:00:00Z&to=2026-11-28T00:00:00Z", "", 200, &cfr)
			reasons := map[int64]string{}
			for _, j := range cfr.Changes {
				if j.Failed {
					reasons[j.ID] = j.Reason
				} else {
					reasons[j.ID] = "-"
				}
			}
			want := map[int64]string{failed: "ended failed", rolled: "rolled back",
				viaItem: fmt.Sprintf("incident #%d within 24h on item db-01", within), late: "-", clean: "-"}
			if cfr.Completed != 5 || cfr.Failed != 3 || cfr.Rate != 0.6 || fmt.Sprint(reasons) != fmt.Sprint(want) {
				t.Fatalf("change-failure rate: %d/%d = %v, reasons %v; want 3/5 with %v", cfr.Failed, cfr.Completed, cfr.Rate, reasons, want)
			}
			// Narrowed to the service api: the late change alone, clean;
			// the change on item db-01 counts too, as api depends on it.
			s.must("GET", "/api/v1/reports/change-failure-rate?from=2026-11-25T00:00:00Z&to=2026-11-28T00:00:00Z&service=api", "", 200, &cfr)
			if cfr.Completed != 2 || cfr.Failed != 1 {
				t.Fatalf("for api: %+v", cfr)
			}
			// A person links the late incident's predecessor: it fails too.
			s.must("POST", fmt.Sprintf("/api/v1/changes/%d/incidents", clean), fmt.Sprintf(`{"incident":%d,"note":"cms broke api"}`, within), 200, nil)
			s.must("GET", "/api/v1/reports/change-failure-rate?from=2026-11-25T00:00:00Z&to=2026-11-28T00:00:00Z", "", 200, &cfr)
			if cfr.Failed != 4 || cfr.Rate != 0.8 {
				t.Fatalf("after the link: %+v", cfr)
			}
			for _, j := range cfr.Changes {
				if j.ID == clean && !strings.HasPrefix(j.Reason, fmt.Sprintf("incident #%d linked by ", within)) {
					t.Fatalf("linked reason: %q", j.Reason)
				}
			}
			if code, body := s.callAs(s.token, "GET", "/api/v1/reports/change-failure-rate?from=2026-11-28T00:00:00Z&to=2026-11-25T00:00:00Z", ""); code != 400 || !strings.Contains(body, "must be after from") {
				t.Fatalf("a backwards range: %d %s", code, body)
			}

			// The calendar feed has every change (the ledger's too), the long
			// one with its actual end.
			code, ics := s.callAs(s.token, "GET", "/api/v1/changes/calendar.ics", "")
			if code != 200 || !strings.Contains(ics, "BEGIN:VCALENDAR\r\n") || strings.Count(ics, "BEGIN:VEVENT") != 7 ||
				!strings.Contains(ics, fmt.Sprintf("UID:change-%d@sextant", c.ID)) || !strings.Contains(ics, "DTEND:20261130T032000Z") {
				t.Fatalf("calendar feed: %d\n%s", code, ics)
			}
		})
	}
}

// TestChangeGuardRails: a normal change inside a freeze period, or on a
// service whose error budget is spent, is refused with the reason; an
// operator cannot override; an admin's override with a reason passes and
// is audited.
func TestChangeGuardRails(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clock := &testClock{}
			clock.Set("2026-12-01T12:00:00Z")
			s := start(t, e, app.Options{Now: clock.Now})
			op, _, err := s.app.Auth().CreateToken(context.Background(), "test", "op", "operator")
			if err != nil {
				t.Fatal(err)
			}
			s.must("POST", "/api/v1/services", `{"name":"shop","objective":{"availability":"99.9%"}}`, 201, nil)
			s.must("POST", "/api/v1/services", `{"name":"legacy","objective":{"availability":"99.9%"}}`, 201, nil)
			// December's budget is 0.1 % of 31 days, 44 min 38.4 s: an hour
			// down spends it.
			s.must("POST", "/api/v1/services/legacy/outages", `{"start":"2026-12-01T01:00:00Z","end":"2026-12-01T02:00:00Z","state":"down"}`, 201, nil)
			code, body := s.callAs(op, "POST", "/api/v1/change-freezes", `{"name":"year-end","start":"2026-12-20T00:00:00Z","end":"2027-01-04T00:00:00Z","reason":"closing the books"}`)
			if code != 403 {
				t.Fatalf("an operator made a freeze: %d %s", code, body)
			}
			s.must("POST", "/api/v1/change-freezes", `{"name":"year-end","start":"2026-12-20T00:00:00Z","end":"2027-01-04T00:00:00Z","reason":"closing the books"}`, 201, nil)
			if code, body := s.callAs(s.token, "POST", "/api/v1/change-freezes", `{"name":"","start":"2026-12-20T00:00:00Z","end":"2026-12-19T00:00:00Z"}`); code != 400 ||
				!strings.Contains(body, `"/name"`) || !strings.Contains(body, "must be after start") {
				t.Fatalf("a bad freeze: %d %s", code, body)
			}

			for _, c := range []struct{ name, body, reason string }{
				{"freeze", `{"type":"normal","title":"Upgrade","services":["shop"],"planned_start":"2026-12-22T02:00:00Z","planned_end":"2026-12-22T03:00:00Z","submit":true}`,
					`the window falls in the freeze period \"year-end\" (2026-12-20T00:00:00Z to 2027-01-04T00:00:00Z): closing the books`},
				{"budget", `{"type":"normal","title":"Upgrade","services":["legacy"],"planned_start":"2026-12-05T02:00:00Z","planned_end":"2026-12-05T03:00:00Z","submit":true}`,
					"service legacy has spent its error budget (15m22s over)"},
			} {
				t.Run(c.name, func(t *testing.T) {
					var before struct{ Items []any }
					s.must("GET", "/api/v1/changes", "", 200, &before)
					code, body := s.callAs(op, "POST", "/api/v1/changes", c.body)
					if code != 409 || !strings.Contains(body, c.reason) {
						t.Fatalf("refusal: %d %s\nwant the reason %s", code, body, c.reason)
					}
					var after struct{ Items []any }
					s.must("GET", "/api/v1/changes", "", 200, &after)
					if len(after.Items) != len(before.Items) {
						t.Fatalf("a refused change was kept: %d changes, were %d", len(after.Items), len(before.Items))
					}
					withOverride := strings.Replace(c.body, `"submit":true`, `"submit":true,"override":"the regulator's deadline"`, 1)
					if code, body := s.callAs(op, "POST", "/api/v1/changes", withOverride); code != 403 || !strings.Contains(body, "only an admin may override") {
						t.Fatalf("an operator's override: %d %s", code, body)
					}
					var ch change.Request
					s.must("POST", "/api/v1/changes", withOverride, 201, &ch)
					if ch.State != change.Submitted || ch.Override != "the regulator's deadline" {
						t.Fatalf("overridden: %+v", ch)
					}
					code, audit := s.callAs(s.token, "GET", "/api/v1/audit?limit=20", "")
					if code != 200 || !strings.Contains(audit, `"action": "override"`) || !strings.Contains(audit, "the regulator's deadline") || !strings.Contains(audit, c.reason) {
						t.Fatalf("the override is not audited: %d %s", code, audit)
					}
				})
			}
			// A standard or emergency change is not held by the freeze.
			code, body = s.callAs(op, "POST", "/api/v1/changes", `{"type":"emergency","title":"Hotfix","services":["shop"],"planned_start":"2026-12-22T02:00:00Z","planned_end":"2026-12-22T03:00:00Z","submit":true}`)
			if code != 201 {
				t.Fatalf("emergency change in the freeze: %d %s", code, body)
			}
		})
	}
}
