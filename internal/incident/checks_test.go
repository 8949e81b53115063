package incident_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// checkFixture is the incident fixture with a real monitor whose check
// changes open incidents, and escalations started in the trigger's
// transaction, as the server wires them.
type checkFixture struct {
	*fixture
	t      *testing.T
	checks *monitor.Store
	mon    *monitor.Monitor
}

func newCheckFixture(t *testing.T, db *store.DB, checks ...monitor.Check) *checkFixture {
	t.Helper()
	ctx := context.Background()
	f := &checkFixture{fixture: newFixture(t, db), t: t}
	clock := func() time.Time { return f.now }
	policy := incident.EscalationPolicy{Name: "default", Levels: []incident.Level{{Notify: []string{"channel:ops-hook"}}}}
	w := &escalation.Worker{DB: db, Now: clock,
		Policies: func(name string) (incident.EscalationPolicy, bool) { return policy, name == policy.Name },
		Resolve: func(target string, _ time.Time) ([]string, []string) {
			_, name, _ := strings.Cut(target, ":")
			return []string{name}, nil
		}}
	f.engine.StartEscalation = func(ctx context.Context, tx store.Querier, id int64, policy, _, _ string, now time.Time) error {
		return w.StartNow(ctx, tx, id, policy, now, now, "")
	}
	f.engine.StopEscalation = escalation.Stop
	f.checks = monitor.NewStore(db, clock)
	for _, c := range checks {
		if _, err := f.checks.Put(ctx, "test", c, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
	}
	f.restart()
	return f
}

// restart builds the monitor afresh from what is stored, as a server
// starting again does.
func (f *checkFixture) restart() {
	f.t.Helper()
	f.mon = monitor.New(monitor.Options{DB: f.db, Checks: f.checks, Timeline: f.tl, Now: func() time.Time { return f.now },
		OnChange: f.engine.OnCheckChange, Covered: f.store.CoveredChecks})
	f.store.Checks = f.mon
	if err := f.mon.Load(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *checkFixture) result(check string, outcome availability.State) {
	f.t.Helper()
	f.resultFrom(monitor.LocationLocal, check, outcome)
}

// resultFrom records a result from a location: local, or an agent's.
func (f *checkFixture) resultFrom(location, check string, outcome availability.State) {
	f.t.Helper()
	f.now = f.now.Add(time.Minute)
	err := f.mon.Record(context.Background(), []monitor.Result{{Check: check, Location: location, At: f.now, Outcome: outcome, Reason: "connection refused"}})
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *checkFixture) incidents(check string) []incident.Incident {
	f.t.Helper()
	list, _, err := f.store.List(context.Background(), incident.Filter{DedupKey: "check:" + check}, store.Page{})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

// escalations says whether an incident has an escalation, whatever its
// status.
func (f *checkFixture) escalations(id int64) bool {
	f.t.Helper()
	_, ok, err := escalation.Get(context.Background(), f.db.Reader(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return ok
}

// TestResolveWhileCheckFails: a person resolving the incident of a check
// that still fails is told so; the check's next failing result opens a
// new incident and pages, once; further failing results add nothing, and
// recovery resolves it. It holds across a restart.
func TestResolveWhileCheckFails(t *testing.T) {
	tests := []struct {
		name     string
		location string // where results come from: this server, or an agent
		restart  bool
	}{
		{"local results, same server", monitor.LocationLocal, false},
		{"agent results, after a restart", "eu", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				f := newCheckFixture(t, db, monitor.Check{Name: "shop-http", Service: "shop", Type: "http", URL: "http://shop.test/", Interval: "1m", FailAfter: 1,
					Locations: []string{tt.location}})
				result := func(outcome availability.State) { t.Helper(); f.resultFrom(tt.location, "shop-http", outcome) }
				result(availability.Down)
				first := f.incidents("shop-http")
				if len(first) != 1 || first[0].Status != incident.Triggered || len(f.outbox(t)) != 1 {
					t.Fatalf("after going down: %+v, outbox %v", first, f.outbox(t))
				}
				i, err := f.store.Resolve(ctx, first[0].ID, "user:alice")
				want := "The check shop-http is still failing: its next failing result will open a new incident."
				if err != nil || i.Status != incident.Resolved || i.Notice != want {
					t.Fatalf("resolve: %+v %v", i, err)
				}
				if got := f.store.Notice(i); got != want {
					t.Fatalf("the page's notice = %q", got)
				}
				if tt.restart {
					f.restart()
				}
				outbox := len(f.outbox(t))
				result(availability.Down)
				list := f.incidents("shop-http")
				if len(list) != 2 || list[0].Status != incident.Triggered || list[0].ID == first[0].ID ||
					!strings.HasPrefix(list[0].Summary, "shop-http is still down: connection refused") {
					t.Fatalf("after the next failing result: %+v", list)
				}
				if !f.escalations(list[0].ID) {
					t.Fatal("the new incident's escalation did not start")
				}
				if got := f.outbox(t)[outbox:]; len(got) != 1 || got[0] != "ops-hook:triggered" {
					t.Fatalf("new notifications: %v", got)
				}
				if got := f.store.Notice(list[1]); got != "" {
					t.Fatalf("a notice once the new incident is open: %q", got)
				}
				for range 3 {
					result(availability.Down)
				}
				if list := f.incidents("shop-http"); len(list) != 2 || list[0].EventCount != 1 || len(f.outbox(t)) != outbox+1 {
					t.Fatalf("further failing results: %+v, outbox %v", list, f.outbox(t))
				}
				result(availability.Up)
				if list := f.incidents("shop-http"); list[0].Status != incident.Resolved || list[0].ResolvedBy != "integration:checks" {
					t.Fatalf("after recovery: %+v", list[0])
				}
				// Recovered, the check has nothing more to open.
				result(availability.Up)
				if len(f.incidents("shop-http")) != 2 {
					t.Fatalf("results after recovery: %+v", f.incidents("shop-http"))
				}
			})
		})
	}
}

// TestResolveAnswers: who is told what when resolving.
func TestResolveAnswers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newCheckFixture(t, db,
			monitor.Check{Name: "shop-http", Service: "shop", Type: "http", URL: "http://shop.test/", Interval: "1m", FailAfter: 1},
			monitor.Check{Name: "shop-slow", Service: "shop", Type: "http", URL: "http://shop.test/slow", Interval: "1m", FailAfter: 1})
		f.result("shop-http", availability.Down)
		f.result("shop-slow", availability.Degraded)
		f.result("shop-http", availability.Up)
		out, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", "disk-1")})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int64{"recovered": f.incidents("shop-http")[0].ID, "degraded": f.incidents("shop-slow")[0].ID, "alert": out[0].IncidentID}
		tests := []struct {
			name, incident, notice string
		}{
			{"a check still degraded", "degraded", "The check shop-slow is still failing: its next failing result will open a new incident."},
			{"an alert from an integration", "alert", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				i, err := f.store.Resolve(ctx, ids[tt.incident], "user:alice")
				if err != nil || i.Notice != tt.notice {
					t.Fatalf("resolve = %q, %v; want %q", i.Notice, err, tt.notice)
				}
			})
		}
		t.Run("a check that recovered", func(t *testing.T) {
			i, _, err := f.store.Get(ctx, ids["recovered"])
			if err != nil || i.Status != incident.Resolved || f.store.Notice(i) != "" {
				t.Fatalf("recovered: %+v %q %v", i, f.store.Notice(i), err)
			}
		})
	})
}

// TestResolveWhileHeartbeatFails: a heartbeat is failing again when the
// next deadline after the resolution passes without a ping, or when the
// job reports a failure.
func TestResolveWhileHeartbeatFails(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newCheckFixture(t, db, monitor.Check{Name: "nightly", Service: "shop", Type: "heartbeat", Period: "1h", Grace: "10m"})
		sc, err := f.checks.Get(ctx, "nightly")
		if err != nil {
			t.Fatal(err)
		}
		sweep := func(at time.Duration) {
			t.Helper()
			f.now = t0.Add(at)
			if err := f.mon.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
		}
		resolveLatest := func() {
			t.Helper()
			i, err := f.store.Resolve(ctx, f.incidents("nightly")[0].ID, "user:alice")
			if err != nil || !strings.Contains(i.Notice, "nightly is still failing") {
				t.Fatalf("resolve: %+v %v", i, err)
			}
		}
		count := func(want int, when string) {
			t.Helper()
			if got := f.incidents("nightly"); len(got) != want || got[0].Status == incident.Resolved {
				t.Fatalf("%s: %d incidents, want %d open: %+v", when, len(got), want, got)
			}
		}
		sweep(71 * time.Minute)
		count(1, "late")
		f.now = t0.Add(80 * time.Minute)
		resolveLatest()
		sweep(80*time.Minute + 70*time.Minute - time.Second)
		if got := f.incidents("nightly"); len(got) != 1 {
			t.Fatalf("before the next deadline: %+v", got)
		}
		sweep(80*time.Minute + 70*time.Minute + time.Second)
		count(2, "the next deadline passed")
		if !strings.HasPrefix(f.incidents("nightly")[0].Summary, "nightly is still down: still late: never pinged (due by 2026-10-05T12:30:00Z)") {
			t.Fatalf("summary %q", f.incidents("nightly")[0].Summary)
		}
		sweep(5 * time.Hour)
		count(2, "still late later")
		f.now = t0.Add(5 * time.Hour)
		resolveLatest()
		if _, err := f.mon.Ping(ctx, sc.HeartbeatToken, monitor.PingFail); err != nil {
			t.Fatal(err)
		}
		count(3, "the job reported a failure")
		if _, err := f.mon.Ping(ctx, sc.HeartbeatToken, monitor.PingFail); err != nil {
			t.Fatal(err)
		}
		count(3, "a second failure")
		if _, err := f.mon.Ping(ctx, sc.HeartbeatToken, monitor.PingSuccess); err != nil {
			t.Fatal(err)
		}
		if got := f.incidents("nightly"); len(got) != 3 || got[0].Status != incident.Resolved {
			t.Fatalf("after a good ping: %+v", got)
		}
	})
}

// TestFailingAgainDefersToStoredIncidents: when another server opened the
// check's incident meanwhile, the next failing result joins nothing and
// opens nothing: the stored incidents decide, not the monitor's memory.
func TestFailingAgainDefersToStoredIncidents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newCheckFixture(t, db, monitor.Check{Name: "shop-http", Service: "shop", Type: "http", URL: "http://shop.test/", Interval: "1m", FailAfter: 1})
		f.result("shop-http", availability.Down)
		if _, err := f.store.Resolve(ctx, f.incidents("shop-http")[0].ID, "user:alice"); err != nil {
			t.Fatal(err)
		}
		// Another server's monitor saw the check go down and opened one.
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			return f.engine.OnCheckChange(ctx, tx, []monitor.Change{{Check: "shop-http", Service: "shop", From: availability.Up, To: availability.Down, Reason: "elsewhere", At: f.now}})
		})
		if err != nil {
			t.Fatal(err)
		}
		f.result("shop-http", availability.Down)
		f.result("shop-http", availability.Down)
		if list := f.incidents("shop-http"); len(list) != 2 || list[0].EventCount != 1 || list[0].Status != incident.Triggered {
			t.Fatalf("incidents: %+v", list)
		}
	})
}
