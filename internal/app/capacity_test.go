package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/capacity"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestCapacityCountsTheSchedules: on the real server, a week's on-call
// hours come from the file's schedule with its overrides, at the weight
// the config sets — alice hands over to bob on Monday 09:00, carol covers
// six hours on Wednesday.
func TestCapacityCountsTheSchedules(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ber, _ := time.LoadLocation("Europe/Berlin")
			clock := &frozen{t: time.Date(2026, 11, 21, 14, 0, 0, 0, ber)}
			dir := t.TempDir()
			s := start(t, e, app.Options{ConfigPath: oncallConfig(t, dir, "http://127.0.0.1:9"), DataDir: dir, Now: clock.now})
			for _, p := range []string{"alice", "bob", "carol"} {
				if code := s.json("PUT", "/api/v1/capacity/people/"+p, `{"zone":"Europe/Berlin","hours":{"mon":8,"tue":8,"wed":8,"thu":8,"fri":8}}`, nil); code != 200 {
					t.Fatalf("profile %s: %d", p, code)
				}
			}
			var rep capacity.Report
			if code := s.json("GET", "/api/v1/capacity?from=2026-11-23&to=2026-11-29", "", &rep); code != 200 {
				t.Fatalf("report: %d", code)
			}
			got := map[string]float64{}
			for _, p := range rep.People {
				got[p.Person] = p.Weeks[0].OnCallRawHours
				if p.Weeks[0].OnCallHours != capacity.Round(p.Weeks[0].OnCallRawHours*0.1) {
					t.Errorf("%s: weighted %v of %v h", p.Person, p.Weeks[0].OnCallHours, p.Weeks[0].OnCallRawHours)
				}
			}
			if got["alice"] != 9 || got["bob"] != 153 || got["carol"] != 6 {
				t.Fatalf("on-call hours = %v, want alice 9, bob 153, carol 6", got)
			}
			var bad map[string]any
			if code := s.json("PUT", "/api/v1/capacity/people/nobody", `{"zone":"UTC"}`, &bad); code != 400 || !strings.Contains(strings.ToLower(fmt.Sprint(bad)), "unknown person") {
				t.Fatalf("unknown person: %d %v", code, bad)
			}
		})
	}
}

// TestCapacityWarnsOfAnUnderstaffedQueue: a desk queue open 40 business
// hours a week (its calendar) with 10 h of desk duty among its people is
// at risk before a ticket arrives, and the planner says so.
func TestCapacityWarnsOfAnUnderstaffedQueue(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "sextant.yaml")
			if err := os.WriteFile(cfg, []byte(`calendars:
  office:
    timezone: Europe/Berlin
    weekly: [{days: mon-fri, from: "09:00", to: "17:00"}]
users:
  - {name: alice, email: alice@example.com}
desk:
  queues:
    - {name: first-line, calendar: office}
`), 0o600); err != nil {
				t.Fatal(err)
			}
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			if code := s.json("PUT", "/api/v1/capacity/people/alice", `{"zone":"Europe/Berlin","hours":{"mon":8,"tue":8,"wed":8,"thu":8,"fri":8},"desk":[{"queue":"first-line","hours_per_week":10}]}`, nil); code != 200 {
				t.Fatalf("profile: %d", code)
			}
			var bad map[string]any
			if code := s.json("PUT", "/api/v1/capacity/people/alice", `{"zone":"UTC","desk":[{"queue":"nope","hours_per_week":10}]}`, &bad); code != 400 || !strings.Contains(fmt.Sprint(bad), "unknown desk queue") {
				t.Fatalf("unknown queue: %d %v", code, bad)
			}
			var rep capacity.Report
			if code := s.json("GET", "/api/v1/capacity?from=2026-12-07&to=2026-12-13", "", &rep); code != 200 {
				t.Fatalf("report: %d", code)
			}
			var msgs []string
			for _, w := range rep.Warnings {
				if w.Kind == "understaffed_queue" {
					msgs = append(msgs, w.Message)
				}
			}
			want := "desk queue first-line has 10 h of desk duty for 40 business hours in 2026-W50: its SLAs are at risk before a ticket arrives"
			if len(msgs) != 1 || msgs[0] != want {
				t.Fatalf("warnings = %q, want %q", msgs, want)
			}
		})
	}
}
