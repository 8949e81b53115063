package monitor_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// clock is a settable clock for the monitor under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type fixture struct {
	t       *testing.T
	db      *store.DB
	cat     *catalog.Store
	checks  *monitor.Store
	tl      *timeline.Store
	mon     *monitor.Monitor
	clock   *clock
	reports *timeline.Reporter
}

func newFixture(t *testing.T, db *store.DB, start time.Time, services ...string) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, db: db, clock: &clock{t: start}}
	f.cat = catalog.NewStore(db, f.clock.now)
	for _, s := range services {
		if _, err := f.cat.PutService(ctx, "test", catalog.Service{Name: s, Objective: &catalog.Objective{Availability: "99%"}}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
	}
	f.checks = monitor.NewStore(db, f.clock.now)
	f.tl = timeline.NewStore(db, f.clock.now)
	f.mon = monitor.New(monitor.Options{DB: db, Checks: f.checks, Timeline: f.tl, Now: f.clock.now})
	f.reports = timeline.NewReporter(f.cat, f.tl, f.clock.now)
	return f
}

func (f *fixture) addCheck(c monitor.Check) monitor.StoredCheck {
	f.t.Helper()
	sc, err := f.checks.Put(context.Background(), "test", c, catalog.MustCreate)
	if err != nil {
		f.t.Fatalf("put check: %v", err)
	}
	if err := f.mon.Load(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return sc
}

func (f *fixture) record(check, loc string, at time.Time, outcome availability.State) {
	f.t.Helper()
	f.clock.set(at)
	if err := f.mon.Record(context.Background(), []monitor.Result{{Check: check, Location: loc, At: at, Outcome: outcome, Reason: "test " + outcome.String()}}); err != nil {
		f.t.Fatalf("record: %v", err)
	}
}

func (f *fixture) state(check string) availability.State {
	f.t.Helper()
	s, err := f.mon.StatusOf(check, "http://sextant.test")
	if err != nil {
		f.t.Fatal(err)
	}
	return s.State
}

var t0 = time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)

// TestFailAfterAndRecoverAfter: down after fail_after failures, dated at the
// first failure; up after recover_after successes, dated at the first; the
// report counts exactly the failing stretch.
func TestFailAfterAndRecoverAfter(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, t0, "payroll")
		f.addCheck(monitor.Check{Name: "web", Service: "payroll", Type: "http", URL: "http://127.0.0.1:1/", Interval: "30s", FailAfter: 3, RecoverAfter: 2})
		at := func(i int) time.Time { return t0.Add(time.Duration(i) * 30 * time.Second) }
		f.record("web", "local", at(0), availability.Up)
		if got := f.state("web"); got != availability.Up {
			t.Fatalf("after a success: %v", got)
		}
		f.record("web", "local", at(1), availability.Down)
		f.record("web", "local", at(2), availability.Down)
		if got := f.state("web"); got != availability.Up {
			t.Fatalf("after two failures with fail_after 3: %v", got)
		}
		f.record("web", "local", at(3), availability.Down)
		if got := f.state("web"); got != availability.Down {
			t.Fatalf("after three failures: %v", got)
		}
		f.record("web", "local", at(4), availability.Up)
		if got := f.state("web"); got != availability.Down {
			t.Fatalf("after one success with recover_after 2: %v", got)
		}
		f.record("web", "local", at(5), availability.Up)
		if got := f.state("web"); got != availability.Up {
			t.Fatalf("after two successes: %v", got)
		}
		f.clock.set(at(10))
		rep, err := f.reports.Report(context.Background(), "payroll", timeline.Range{From: t0, To: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		// Down from the first failure (at 1) to the first success (at 4): 90 s.
		if rep.Downtime.Duration() != 90*time.Second || rep.Outages != 1 || !strings.HasPrefix(rep.OutageList[0].Source, "check:web") {
			t.Fatalf("report: downtime %v, outages %d, list %+v", rep.Downtime.Duration(), rep.Outages, rep.OutageList)
		}
		// State survives a restart.
		again := monitor.New(monitor.Options{DB: db, Checks: f.checks, Timeline: f.tl, Now: f.clock.now})
		if err := again.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s, _ := again.StatusOf("web", ""); s.State != availability.Up || s.Locations["local"].Successes != 2 {
			t.Fatalf("after reload: %+v", s)
		}
	})
}

// TestQuorum: with two agents and quorum 2, one seeing a failure does not
// take the service down; both do; a silent agent makes the view unknown.
func TestQuorum(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, t0, "shop")
		f.addCheck(monitor.Check{Name: "shop-web", Service: "shop", Type: "http", URL: "http://shop.test/", Interval: "30s", Timeout: "5s", Locations: []string{"berlin", "paris"}, Quorum: 2})
		f.record("shop-web", "berlin", t0, availability.Up)
		f.record("shop-web", "paris", t0.Add(time.Second), availability.Up)
		f.record("shop-web", "berlin", t0.Add(30*time.Second), availability.Down)
		f.record("shop-web", "paris", t0.Add(31*time.Second), availability.Up)
		if got := f.state("shop-web"); got != availability.Up {
			t.Fatalf("one of two locations failing with quorum 2: %v", got)
		}
		f.record("shop-web", "paris", t0.Add(61*time.Second), availability.Down)
		if got := f.state("shop-web"); got != availability.Down {
			t.Fatalf("both failing: %v", got)
		}
		f.clock.set(t0.Add(81 * time.Second))
		rep, _ := f.reports.Report(context.Background(), "shop", timeline.Range{From: t0, To: t0.Add(time.Hour)})
		if rep.Downtime.Duration() != 20*time.Second {
			t.Fatalf("downtime %v, want 20s (both down from 61 s, now 81 s)", rep.Downtime.Duration())
		}
		// Berlin recovers; then Paris falls silent: it no longer counts, and
		// nobody fresh sees a failure, so the check is up, not down.
		f.record("shop-web", "berlin", t0.Add(90*time.Second), availability.Up)
		f.clock.set(t0.Add(10 * time.Minute))
		if err := f.mon.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := f.state("shop-web"); got != availability.Unknown {
			t.Fatalf("both locations silent for 10 minutes: %v, want unknown", got)
		}
		// Results from a location the check does not run from are refused.
		err := f.mon.Record(context.Background(), []monitor.Result{{Check: "shop-web", Location: "tokyo", At: t0, Outcome: availability.Down}})
		if err == nil {
			t.Fatal("a result from an unassigned location was accepted")
		}
	})
}

// TestHeartbeat: late turns down, a ping turns up, /fail turns down at once.
func TestHeartbeat(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, t0, "backups")
		sc := f.addCheck(monitor.Check{Name: "nightly", Service: "backups", Type: "heartbeat", Period: "1h", Grace: "10m"})
		if sc.HeartbeatToken == "" {
			t.Fatal("a heartbeat check has no token")
		}
		ctx := context.Background()
		ping := func(at time.Time, signal string) string {
			t.Helper()
			f.clock.set(at)
			st, err := f.mon.Ping(ctx, sc.HeartbeatToken, signal)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		sweep := func(at time.Time) {
			t.Helper()
			f.clock.set(at)
			if err := f.mon.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if st := ping(t0.Add(5*time.Minute), ""); st != "up" {
			t.Fatalf("after a ping: %s", st)
		}
		sweep(t0.Add(5*time.Minute + 70*time.Minute - time.Second))
		if got := f.state("nightly"); got != availability.Up {
			t.Fatalf("within period + grace: %v", got)
		}
		sweep(t0.Add(5*time.Minute + 70*time.Minute + time.Second))
		s, _ := f.mon.StatusOf("nightly", "https://sextant.example")
		if s.State != availability.Down || !strings.Contains(s.Reason, "late") {
			t.Fatalf("past period + grace: %+v", s)
		}
		if s.PingURL != "https://sextant.example/api/v1/heartbeats/"+sc.HeartbeatToken {
			t.Fatalf("ping URL %q", s.PingURL)
		}
		if st := ping(t0.Add(2*time.Hour), "start"); st != "down" {
			t.Fatalf("/start changes nothing: %s", st)
		}
		if st := ping(t0.Add(2*time.Hour+time.Minute), ""); st != "up" {
			t.Fatalf("ping after being late: %s", st)
		}
		if st := ping(t0.Add(2*time.Hour+2*time.Minute), "fail"); st != "down" {
			t.Fatalf("/fail: %s", st)
		}
		if _, err := f.mon.Ping(ctx, "wrong-token", ""); err == nil {
			t.Fatal("a wrong token was accepted")
		}
		res, err := f.mon.Results(ctx, "nightly", t0, t0.Add(3*time.Hour), 10)
		if err != nil || len(res) != 3 || res[0].Reason != "the job reported a failure" {
			t.Fatalf("results: %+v %v", res, err)
		}
	})
}

// TestHeartbeatCron: a cron heartbeat is due at its next run plus grace.
func TestHeartbeatCron(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, time.Date(2026, 10, 5, 1, 0, 0, 0, time.UTC), "backups")
		sc := f.addCheck(monitor.Check{Name: "nightly", Service: "backups", Type: "heartbeat", Cron: "0 2 * * *", Timezone: "Europe/Berlin", Grace: "30m"})
		s, _ := f.mon.StatusOf(sc.Name, "")
		// Created 01:00 UTC = 03:00 Berlin (CEST): the next 02:00 Berlin is
		// 2026-10-06 00:00 UTC, plus 30 minutes of grace.
		if want := time.Date(2026, 10, 6, 0, 30, 0, 0, time.UTC); !s.DueBy.Equal(want) {
			t.Fatalf("due by %v, want %v", s.DueBy, want)
		}
	})
}

// TestSchedulerIsolation: a hanging target never delays another check.
func TestSchedulerIsolation(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer fast.Close()
	mk := func(name, url string) *monitor.Compiled {
		c, problems := monitor.Compile(monitor.Check{Name: name, Service: "s", Type: "http", URL: url, Interval: "1s", Timeout: "1s"}, nil)
		if problems != nil {
			t.Fatal(problems)
		}
		return c
	}
	var mu sync.Mutex
	got := map[string][]monitor.Result{}
	var maxLag atomic.Int64
	s := &monitor.Scheduler{
		Run:  func(ctx context.Context, c *monitor.Compiled) monitor.Result { return monitor.Run(ctx, c, "local") },
		Sink: func(r monitor.Result) { mu.Lock(); got[r.Check] = append(got[r.Check], r); mu.Unlock() },
		ObserveLag: func(d time.Duration) {
			for {
				old := maxLag.Load()
				if int64(d) <= old || maxLag.CompareAndSwap(old, int64(d)) {
					return
				}
			}
		},
	}
	checks := []*monitor.Compiled{mk("hang", hang.URL)}
	for i := 0; i < 50; i++ {
		checks = append(checks, mk("fast-"+string(rune('a'+i%26))+string(rune('a'+i/26)), fast.URL))
	}
	s.Sync(checks)
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	s.Start(ctx)
	mu.Lock()
	defer mu.Unlock()
	for _, c := range checks[1:] {
		if n := len(got[c.Name]); n < 3 {
			t.Errorf("%s ran %d times in 3.5 s at a 1 s interval", c.Name, n)
		}
	}
	for _, r := range got["hang"] {
		if r.Outcome != availability.Down || !strings.Contains(r.Reason, "timed out") {
			t.Errorf("hanging target: %+v", r)
		}
	}
	if lag := time.Duration(maxLag.Load()); lag > 500*time.Millisecond {
		t.Errorf("schedule lag reached %v", lag)
	}
}

func TestCompileRefusesMistakes(t *testing.T) {
	services := map[string]bool{"shop": true}
	cases := []struct {
		name  string
		check monitor.Check
		field string
	}{
		{"unknown service", monitor.Check{Name: "a", Service: "ghost", Type: "tcp", Host: "h", Port: 1}, "service"},
		{"unknown type", monitor.Check{Name: "a", Service: "shop", Type: "smtp"}, "type"},
		{"bad url", monitor.Check{Name: "a", Service: "shop", Type: "http", URL: "ftp://x"}, "url"},
		{"interval too short", monitor.Check{Name: "a", Service: "shop", Type: "http", URL: "http://x", Interval: "500ms"}, "interval"},
		{"timeout longer than interval", monitor.Check{Name: "a", Service: "shop", Type: "http", URL: "http://x", Interval: "5s", Timeout: "10s"}, "timeout"},
		{"port out of range", monitor.Check{Name: "a", Service: "shop", Type: "tcp", Host: "h", Port: 70000}, "port"},
		{"bad condition", monitor.Check{Name: "a", Service: "shop", Type: "http", URL: "http://x", Conditions: []monitor.ConditionSpec{{Condition: "[STATUS] => 200"}}}, "conditions[0]"},
		{"condition the type cannot measure", monitor.Check{Name: "a", Service: "shop", Type: "tcp", Host: "h", Port: 1, Conditions: []monitor.ConditionSpec{{Condition: "[STATUS] == 200"}}}, "conditions[0]"},
		{"quorum above locations", monitor.Check{Name: "a", Service: "shop", Type: "tcp", Host: "h", Port: 1, Locations: []string{"x"}, Quorum: 2}, "quorum"},
		{"heartbeat without period", monitor.Check{Name: "a", Service: "shop", Type: "heartbeat"}, "period"},
		{"heartbeat bad cron", monitor.Check{Name: "a", Service: "shop", Type: "heartbeat", Cron: "every night"}, "cron"},
		{"dns bad record", monitor.Check{Name: "a", Service: "shop", Type: "dns", Host: "h", Record: "XYZ"}, "record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, problems := monitor.Compile(c.check, services)
			for _, p := range problems {
				if p.Path == c.field {
					return
				}
			}
			t.Fatalf("no problem at %q: %+v", c.field, problems)
		})
	}
}
