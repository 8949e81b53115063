package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestScheduleOverridesFromTheAPI makes, lists and removes overrides on the
// real server: a stored override changes who is on call (and so who is
// paged) at once, beside the file's own, and a bad one names each field.
func TestScheduleOverridesFromTheAPI(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			var mu sync.Mutex
			var paged []string
			recv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				mu.Lock()
				paged = append(paged, r.URL.Path)
				mu.Unlock()
			}))
			defer recv.Close()
			hits := func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(paged, ",") }
			ber, _ := time.LoadLocation("Europe/Berlin")
			clock := &frozen{t: time.Date(2026, 11, 21, 14, 0, 0, 0, ber)} // alice's week
			dir := t.TempDir()
			s := start(t, e, app.Options{ConfigPath: oncallConfig(t, dir, recv.URL), DataDir: dir, Now: clock.now})
			oncall := func(at string) string {
				t.Helper()
				var ans struct{ Users []string }
				if code := s.json("GET", "/api/v1/schedules/primary/oncall?at="+at, "", &ans); code != 200 {
					t.Fatalf("oncall at %s: %d", at, code)
				}
				return strings.Join(ans.Users, ",")
			}
			const during = "2026-11-22T10:00:00%2B01:00"
			if got := oncall(during); got != "alice" {
				t.Fatalf("before: %q on call, want alice", got)
			}
			var made struct {
				ID   int64
				User string
			}
			if code := s.json("POST", "/api/v1/schedules/primary/overrides",
				`{"user":"bob","start":"2026-11-22T08:00:00+01:00","end":"2026-11-22T20:00:00+01:00","note":"swap"}`, &made); code != 201 || made.User != "bob" {
				t.Fatalf("create: %d %+v", code, made)
			}
			if got := oncall(during); got != "bob" {
				t.Errorf("with the override: %q on call, want bob", got)
			}
			if got := oncall("2026-11-25T13:00:00%2B01:00"); got != "carol" {
				t.Errorf("the file's override: %q on call, want carol", got)
			}

			var list struct {
				File      []struct{ User string }
				Overrides []struct{ ID int64 }
			}
			if code := s.json("GET", "/api/v1/schedules/primary/overrides", "", &list); code != 200 || len(list.File) != 1 || len(list.Overrides) != 1 {
				t.Fatalf("list: %d %+v", code, list)
			}

			t.Run("bad input names each field", func(t *testing.T) {
				cases := []struct{ name, body, want string }{
					{"unknown person and end before start", `{"user":"zed","start":"2026-11-22T08:00:00Z","end":"2026-11-22T07:00:00Z"}`, `"pointer":"/user"`},
					{"end before start", `{"user":"bob","start":"2026-11-22T08:00:00Z","end":"2026-11-22T07:00:00Z"}`, `"pointer":"/end"`},
					{"not a time", `{"user":"bob","start":"tomorrow","end":"2026-11-22T07:00:00Z"}`, `"pointer":"/start"`},
				}
				for _, c := range cases {
					t.Run(c.name, func(t *testing.T) {
						var p map[string]any
						code := s.json("POST", "/api/v1/schedules/primary/overrides", c.body, &p)
						if code != 400 || !strings.Contains(fmt.Sprint(p), strings.Trim(strings.Split(c.want, ":")[1], `"`)) {
							t.Errorf("got %d %v, want 400 naming %s", code, p, c.want)
						}
					})
				}
				if code := s.json("POST", "/api/v1/schedules/nope/overrides", `{"user":"bob","start":"2026-11-22T08:00:00Z","end":"2026-11-22T09:00:00Z"}`, nil); code != 404 {
					t.Errorf("unknown schedule: %d, want 404", code)
				}
			})

			if code := s.json("DELETE", fmt.Sprintf("/api/v1/schedules/primary/overrides/%d", made.ID), "", nil); code != 204 {
				t.Fatalf("delete: %d", code)
			}
			if got := oncall(during); got != "alice" {
				t.Errorf("after delete: %q on call, want alice", got)
			}
			if code := s.json("DELETE", fmt.Sprintf("/api/v1/schedules/primary/overrides/%d", made.ID), "", nil); code != 404 {
				t.Errorf("second delete: %d, want 404", code)
			}

			// Escalation reads the same merged schedule: with bob covering
			// now, a critical incident pages bob, not alice.
			if code := s.json("POST", "/api/v1/schedules/primary/overrides",
				`{"user":"bob","start":"2026-11-21T13:00:00+01:00","end":"2026-11-21T18:00:00+01:00"}`, nil); code != 201 {
				t.Fatalf("override now: %d", code)
			}
			body := fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":"cover","payload":{"summary":"payroll down","source":"x","severity":"critical"}}`, routingKey)
			resp, err := http.Post(s.base+"/v2/enqueue", "application/json", strings.NewReader(body))
			if err != nil || resp.StatusCode != 202 {
				t.Fatalf("event: %v %v", err, resp)
			}
			resp.Body.Close()
			waitUntil(t, "the incident to page bob", 5*time.Second, func() bool { return hits() == "/bob" })
		})
	}
}
