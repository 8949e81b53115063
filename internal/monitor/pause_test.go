package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestPauseAndResume: a paused check is not run nor judged, its results
// are dropped, its timeline input is unknown for the pause (which its raw
// uptime leaves out), and resuming starts its locations afresh; both are
// audited and survive a restart.
func TestPauseAndResume(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, t0, "payroll")
		f.addCheck(monitor.Check{Name: "web", Service: "payroll", Type: "http", URL: "http://127.0.0.1:1/", Interval: "30s", FailAfter: 1, RecoverAfter: 1, Locations: []string{"local", "eu"}})
		f.addCheck(monitor.Check{Name: "beat", Service: "payroll", Type: "heartbeat", Period: "1h"})
		min := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
		f.record("web", "local", min(0), availability.Up)
		f.record("web", "local", min(10), availability.Down)

		// Paused at 10:20 while down; pausing twice changes nothing.
		f.clock.set(min(20))
		if _, err := f.mon.Pause(ctx, "user:olivia", "web"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.mon.Pause(ctx, "user:olivia", "web"); err != nil {
			t.Fatal(err)
		}
		st, _ := f.mon.StatusOf("web", "")
		if st.State != availability.Unknown || st.Reason != monitor.ReasonPaused || !st.PausedAt.Equal(min(20)) {
			t.Fatalf("paused: %v %q %v", st.State, st.Reason, st.PausedAt)
		}
		if got := f.mon.ChecksFor("eu"); len(got) != 0 {
			t.Errorf("an agent is still given %v", got)
		}
		// A result arriving while paused is dropped, not judged.
		f.record("web", "local", min(30), availability.Up)
		if got := f.state("web"); got != availability.Unknown {
			t.Errorf("a result while paused made it %v", got)
		}
		// A restart keeps the pause.
		restarted := monitor.New(monitor.Options{DB: db, Checks: f.checks, Timeline: f.tl, Now: f.clock.now})
		if err := restarted.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if st, _ := restarted.StatusOf("web", ""); st.PausedAt.IsZero() || st.State != availability.Unknown {
			t.Errorf("after a restart: paused at %v, %v", st.PausedAt, st.State)
		}

		// Resumed at 10:40: unknown until the next result, which at
		// fail_after 1 decides from the result alone.
		f.clock.set(min(40))
		if _, err := f.mon.Resume(ctx, "user:olivia", "web"); err != nil {
			t.Fatal(err)
		}
		st, _ = f.mon.StatusOf("web", "")
		if st.State != availability.Unknown || st.Reason != monitor.ReasonResumed || !st.PausedAt.IsZero() || len(st.Locations) != 0 {
			t.Fatalf("resumed: %v %q %v %v", st.State, st.Reason, st.PausedAt, st.Locations)
		}
		f.record("web", "local", min(50), availability.Up)
		if got := f.state("web"); got != availability.Up {
			t.Errorf("after the first result: %v", got)
		}

		// The check's own timeline: up 0–10, down 10–20, unknown 20–50
		// (paused, then waiting), up 50–60. Raw uptime over the hour: 20
		// min up of 30 observed.
		ts, err := f.tl.InputTransitions(ctx, "payroll", "check:web")
		if err != nil {
			t.Fatal(err)
		}
		tl := availability.FromTransitions(ts, min(60))
		u := monitor.RawUptime(tl, min(0), min(60))
		if u.Up != 20*time.Minute || u.Observed != 30*time.Minute {
			t.Errorf("uptime: up %s of %s; want 20m of 30m (timeline %v)", u.Up, u.Observed, tl)
		}

		entries, _, err := audit.List(ctx, db, audit.Filter{ObjectType: "check", ObjectID: "web", Actor: "user:olivia"}, store.Page{Limit: 10})
		if err != nil || len(entries) != 2 || entries[0].Action != monitor.ActionResume || entries[1].Action != monitor.ActionPause {
			t.Errorf("audit: %+v, %v; want resume then pause", entries, err)
		}

		t.Run("a paused heartbeat's ping is acknowledged, not recorded", func(t *testing.T) {
			if _, err := f.mon.Pause(ctx, "user:olivia", "beat"); err != nil {
				t.Fatal(err)
			}
			sc, _ := f.checks.Get(ctx, "beat")
			state, err := f.mon.Ping(ctx, sc.HeartbeatToken, monitor.PingSuccess)
			if err != nil || state != monitor.ReasonPaused {
				t.Fatalf("ping: %q, %v", state, err)
			}
			// Hours late while paused, it is not judged late.
			f.clock.set(min(600))
			if err := f.mon.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if got := f.state("beat"); got != availability.Unknown {
				t.Errorf("a paused heartbeat became %v", got)
			}
			// Resumed, its period starts afresh: not late an hour later less a minute.
			if _, err := f.mon.Resume(ctx, "user:olivia", "beat"); err != nil {
				t.Fatal(err)
			}
			f.clock.set(min(659))
			if err := f.mon.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if got := f.state("beat"); got == availability.Down {
				t.Errorf("a resumed heartbeat was late at once")
			}
		})
	})
}
