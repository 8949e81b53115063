package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// frozen is a settable clock shared by the server under test.
type frozen struct {
	mu sync.Mutex
	t  time.Time
}

func (f *frozen) now() time.Time  { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *frozen) set(t time.Time) { f.mu.Lock(); f.t = t; f.mu.Unlock() }

func oncallConfig(t *testing.T, dir, hook string) string {
	t.Setenv("ROUTING_KEY", routingKey)
	cfg := filepath.Join(dir, "sextant.yaml")
	body := fmt.Sprintf(`calendars:
  office:
    timezone: Europe/Berlin
    weekly: [{days: mon-fri, from: "09:00", to: "17:00"}]
services:
  - name: payroll
    objective: {hours: office, availability: 99.5%%, page: in_hours, page_always_from: critical}
users:
  - {name: alice, email: alice@example.com, timezone: Europe/Berlin, webhook: "%[1]s/alice"}
  - {name: bob, timezone: Europe/Berlin, webhook: "%[1]s/bob"}
  - {name: carol, webhook: "%[1]s/carol"}
schedules:
  - name: primary
    timezone: Europe/Berlin
    layers:
      - {rotation: weekly, handoff: "mon 09:00", members: [alice, bob], start: "2026-11-02"}
    overrides:
      - {user: carol, start: "2026-11-25T12:00:00+01:00", end: "2026-11-25T18:00:00+01:00"}
integrations:
  - {name: prometheus, kind: events, key: "${ROUTING_KEY}", service: payroll, escalation: default}
escalation_policies:
  - name: default
    repeat: 1
    repeat_delay: 30m
    levels:
      - {delay: 0m, notify: [schedule:primary]}
      - {delay: 15m, notify: [user:carol]}
`, hook)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestOnCallAndBusinessAlignedPaging walks the scenarios on the real
// server with a frozen clock.
func TestOnCallAndBusinessAlignedPaging(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = append(got, r.URL.Path)
				mu.Unlock()
			}))
			defer recv.Close()
			hits := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
			ber, _ := time.LoadLocation("Europe/Berlin")
			clock := &frozen{t: time.Date(2026, 11, 21, 14, 0, 0, 0, ber)} // a Saturday
			dir := t.TempDir()
			s := start(t, e, app.Options{ConfigPath: oncallConfig(t, dir, recv.URL), DataDir: dir, Now: clock.now})

			// Who is on call: alice's week ends Monday 09:00 Berlin, then bob; carol's override.
			oncall := func(at string) string {
				var ans struct{ Users []string }
				if code := s.json("GET", "/api/v1/schedules/primary/oncall?at="+at, "", &ans); code != 200 {
					t.Fatalf("oncall at %s: %d", at, code)
				}
				return strings.Join(ans.Users, ",")
			}
			for at, want := range map[string]string{
				"2026-11-23T08:59:00%2B01:00": "alice", "2026-11-23T09:00:00%2B01:00": "bob",
				"2026-11-25T13:00:00%2B01:00": "carol", "2026-11-25T18:00:00%2B01:00": "bob",
				"2026-03-30T08:59:00%2B02:00": "alice", "2026-03-30T09:00:00%2B02:00": "bob", // after the spring change: still 09:00 local
			} {
				if got := oncall(at); got != want {
					t.Errorf("on call at %s: %q, want %q", at, got, want)
				}
			}
			// The iCalendar feed parses in another library and has the shifts.
			req, _ := http.NewRequest("GET", s.base+"/api/v1/schedules/primary/calendar.ics", nil)
			req.Header.Set("Authorization", "Bearer "+s.token)
			asked := time.Now().Truncate(time.Second)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			answered := time.Now()
			cal, err := ical.NewDecoder(resp.Body).Decode()
			resp.Body.Close()
			if err != nil || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
				t.Fatalf("calendar: %v (%s)", err, resp.Header.Get("Content-Type"))
			}
			if ev := cal.Events(); len(ev) < 10 {
				t.Fatalf("calendar has %d events", len(ev))
			}
			// DTSTAMP says when the feed was made: during the request, not
			// the start of its range.
			for _, ev := range cal.Events() {
				if stamp, err := ev.Props.DateTime(ical.PropDateTimeStamp, nil); err != nil || stamp.Before(asked) || stamp.After(answered) {
					t.Fatalf("DTSTAMP %v (%v), want between %v and %v", stamp, err, asked, answered)
				}
			}
			// A feed secret works without a token, and stops when revoked.
			var fs struct{ URL string }
			if code := s.json("POST", "/api/v1/schedules/primary/calendar-secret", "", &fs); code != 201 || !strings.Contains(fs.URL, "secret=") {
				t.Fatalf("feed secret: %d %+v", code, fs)
			}
			if r2, err := http.Get(fs.URL); err != nil || r2.StatusCode != 200 {
				t.Fatalf("feed by secret: %v %v", err, r2.StatusCode)
			}
			if code := s.json("DELETE", "/api/v1/schedules/primary/calendar-secret", "", nil); code != 204 {
				t.Fatalf("revoke: %d", code)
			}
			if r2, _ := http.Get(fs.URL); r2.StatusCode != 401 {
				t.Fatalf("revoked feed: %d", r2.StatusCode)
			}
			if r2, _ := http.Get(s.base + "/api/v1/schedules/primary/calendar.ics"); r2.StatusCode != 401 {
				t.Fatalf("feed without credentials: %d", r2.StatusCode)
			}

			// A Saturday incident on a weekday-hours service waits for Monday 09:00.
			send := func(dedup, severity string) int64 {
				body := fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":%q,"payload":{"summary":"payroll %s","source":"x","severity":%q}}`,
					routingKey, dedup, dedup, severity)
				req, _ := http.NewRequest("POST", s.base+"/v2/enqueue", bytes.NewReader([]byte(body)))
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 202 {
					t.Fatalf("event: %v %v", err, resp.StatusCode)
				}
				resp.Body.Close()
				var list struct{ Items []struct{ ID int64 } }
				s.json("GET", "/api/v1/incidents?dedup_key="+dedup, "", &list)
				return list.Items[0].ID
			}
			escalationOf := func(id int64) escalation.State {
				var d struct{ Escalation escalation.State }
				s.json("GET", fmt.Sprintf("/api/v1/incidents/%d", id), "", &d)
				return d.Escalation
			}
			quiet := send("weekend-error", "error")
			st := escalationOf(quiet)
			monday := time.Date(2026, 11, 23, 9, 0, 0, 0, ber)
			if st.Status != "waiting" || !st.NextAt.Equal(monday) || !strings.Contains(st.Reason, "Mon 23 Nov 09:00 CET") {
				t.Fatalf("weekend incident: %+v", st)
			}
			loud := send("weekend-critical", "critical")
			waitUntil(t, "the critical incident to page alice", 5*time.Second, func() bool {
				return strings.Join(hits(), ",") == "/alice"
			})
			// Nothing more on Saturday; on Monday at 09:00 the waiting incident
			// pages whoever is on call then (bob), and the critical one goes on
			// to carol 15 minutes after it paged.
			clock.set(time.Date(2026, 11, 21, 14, 14, 0, 0, ber))
			time.Sleep(1500 * time.Millisecond)
			if n := len(hits()); n != 1 {
				t.Fatalf("paged early: %v", hits())
			}
			clock.set(time.Date(2026, 11, 21, 14, 15, 0, 0, ber))
			waitUntil(t, "level 2 for the critical incident", 5*time.Second, func() bool { return len(hits()) == 2 })
			if code := s.json("POST", fmt.Sprintf("/api/v1/incidents/%d/acknowledge", loud), "", nil); code != 200 {
				t.Fatalf("acknowledge: %d", code)
			}
			clock.set(monday.Add(-time.Minute))
			time.Sleep(1500 * time.Millisecond)
			// The acknowledgement stopped the critical incident's escalation
			// (its policy notifies no channel on acknowledgement), and the
			// weekend one still waits.
			if h := hits(); strings.Join(h, ",") != "/alice,/carol" {
				t.Fatalf("before Monday 09:00: %v", h)
			}
			clock.set(monday)
			waitUntil(t, "Monday's page to bob", 5*time.Second, func() bool {
				h := hits()
				return len(h) >= 3 && h[len(h)-1] == "/bob"
			})
			if st := escalationOf(loud); st.Status != "stopped" {
				t.Fatalf("acknowledged incident's escalation: %+v", st)
			}
		})
	}
}
