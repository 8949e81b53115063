package escalation_test

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

func TestPageAt(t *testing.T) {
	ber, _ := time.LoadLocation("Europe/Berlin")
	days, _ := availability.ParseDays("mon-fri")
	from, _ := availability.ParseClock("09:00")
	to, _ := availability.ParseClock("17:00")
	office, err := availability.NewCalendar(ber, []availability.Window{{Days: days, From: from, To: to}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	saturday := time.Date(2026, 11, 21, 14, 0, 0, 0, ber)
	monday9 := time.Date(2026, 11, 23, 9, 0, 0, 0, ber)
	tuesday := time.Date(2026, 11, 24, 10, 0, 0, 0, ber)
	cases := []struct {
		name                       string
		now                        time.Time
		severity, page, alwaysFrom string
		hours                      *availability.Calendar
		want                       time.Time
		waits                      bool
	}{
		{"saturday waits for monday 09:00", saturday, "error", "in_hours", "critical", office, monday9, true},
		{"critical pages at once", saturday, "critical", "in_hours", "critical", office, saturday, false},
		{"above the threshold too", saturday, "critical", "in_hours", "error", office, saturday, false},
		{"in hours pages at once", tuesday, "warning", "in_hours", "", office, tuesday, false},
		{"page always", saturday, "info", "always", "", office, saturday, false},
		{"24x7", saturday, "info", "in_hours", "", nil, saturday, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, reason := escalation.PageAt(c.now, c.severity, c.page, c.alwaysFrom, c.hours)
			if !got.Equal(c.want) || (reason != "") != c.waits {
				t.Fatalf("PageAt = %v %q; want %v (waits %v)", got, reason, c.want, c.waits)
			}
			if c.waits && !strings.Contains(reason, "Mon 23 Nov 09:00 CET") {
				t.Fatalf("reason %q does not name the start in the service's zone", reason)
			}
		})
	}
}

type rig struct {
	db     *store.DB
	now    time.Time
	engine *incident.Engine
	worker *escalation.Worker
	policy incident.EscalationPolicy
}

func newRig(t *testing.T, db *store.DB, start time.Time) *rig {
	ctx := context.Background()
	r := &rig{db: db, now: start}
	clock := func() time.Time { return r.now }
	if _, err := catalog.NewStore(db, clock).PutService(ctx, "test", catalog.Service{Name: "shop"}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	r.policy = incident.EscalationPolicy{Name: "default", Repeat: 1, RepeatDelay: "30m", Levels: []incident.Level{
		{Delay: "0m", Notify: []string{"schedule:primary"}},
		{Delay: "15m", Notify: []string{"user:carol", "channel:ops-hook"}},
	}}
	r.engine = &incident.Engine{Timeline: timeline.NewStore(db, clock), Now: clock,
		StartEscalation: func(ctx context.Context, tx store.Querier, id int64, policy, service, severity string, now time.Time) error {
			return escalation.Start(ctx, tx, id, policy, now, now, "")
		},
		StopEscalation: escalation.Stop}
	r.engine.Configure(incident.Setup{Policies: []incident.EscalationPolicy{r.policy}})
	r.worker = r.newWorker()
	return r
}

func (r *rig) newWorker() *escalation.Worker {
	return &escalation.Worker{DB: r.db, Now: func() time.Time { return r.now },
		Policies: func(name string) (incident.EscalationPolicy, bool) { return r.policy, name == r.policy.Name },
		Resolve: func(target string, at time.Time) ([]string, []string) {
			switch target {
			case "schedule:primary":
				return []string{"user:alice/email"}, nil
			case "user:carol":
				return []string{"user:carol/ntfy", "user:carol/email"}, nil
			case "user:dave":
				return []string{"user:dave/slack"}, nil
			}
			return []string{strings.TrimPrefix(target, "channel:")}, nil
		}}
}

func (r *rig) trigger(t *testing.T) int64 {
	t.Helper()
	var id int64
	err := r.db.Tx(context.Background(), func(tx *sql.Tx) error {
		out, _, err := r.engine.Apply(context.Background(), tx, []incident.Event{{Integration: "x", Action: "trigger", DedupKey: "k", Service: "shop",
			Summary: "down", Source: "s", Severity: "critical", Escalation: "default", Body: []byte("{}")}})
		if err == nil {
			id = out[0].IncidentID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// at moves the clock and lets the worker take what is due.
func (r *rig) at(t *testing.T, w *escalation.Worker, d time.Duration) {
	t.Helper()
	r.now = r.now.Add(d)
	if err := w.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) sent(t *testing.T) []string {
	rows, err := r.db.Reader().QueryContext(context.Background(), `SELECT channel || ' ' || kind FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestLevelsRepeatAndRestart(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, t0)
		id := r.trigger(t)
		r.at(t, r.worker, 0)
		if got := r.sent(t); strings.Join(got, ",") != "user:alice/email triggered" {
			t.Fatalf("level 1 at once: %v", got)
		}
		r.at(t, r.worker, 14*time.Minute+59*time.Second)
		if n := len(r.sent(t)); n != 1 {
			t.Fatalf("level 2 came early: %v", r.sent(t))
		}
		// A restart: a new worker on the same database takes the step once.
		other := r.newWorker()
		r.now = r.now.Add(time.Second)
		if err := other.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := r.worker.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := r.sent(t)
		sort.Strings(got[1:])
		if strings.Join(got, ",") != "user:alice/email triggered,ops-hook escalated,user:carol/email escalated,user:carol/ntfy escalated" {
			t.Fatalf("level 2 at 15 min, once: %v", got)
		}
		// The repeat comes 30 minutes later; then the policy is done.
		r.at(t, other, 29*time.Minute)
		if n := len(r.sent(t)); n != 4 {
			t.Fatalf("repeat came early: %v", r.sent(t))
		}
		r.at(t, other, time.Minute)
		if n := len(r.sent(t)); n != 5 {
			t.Fatalf("repeat round, level 1: %v", r.sent(t))
		}
		r.at(t, other, 15*time.Minute)
		if n := len(r.sent(t)); n != 8 {
			t.Fatalf("repeat round, level 2: %v", r.sent(t))
		}
		r.at(t, other, 24*time.Hour)
		st, _, _ := escalation.Get(context.Background(), db.Reader(), id)
		if n := len(r.sent(t)); n != 8 || st.Status != escalation.Done {
			t.Fatalf("after the last repeat: %v, %+v", r.sent(t), st)
		}
	})
}

func TestAcknowledgeStops(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, t0)
		id := r.trigger(t)
		r.at(t, r.worker, 0)
		s := &incident.Store{DB: db, Engine: r.engine}
		r.now = r.now.Add(5 * time.Minute)
		if _, err := s.Acknowledge(context.Background(), id, "user:alice"); err != nil {
			t.Fatal(err)
		}
		r.at(t, r.worker, time.Hour)
		st, _, _ := escalation.Get(context.Background(), db.Reader(), id)
		if st.Status != escalation.Stopped || !strings.Contains(st.Reason, "acknowledged by user:alice") {
			t.Fatalf("after acknowledge: %+v", st)
		}
		for _, s := range r.sent(t) {
			if strings.HasSuffix(s, " escalated") {
				t.Fatalf("escalated after acknowledge: %v", r.sent(t))
			}
		}
		// Reassigning notifies the new person at once.
		if err := r.worker.Reassign(context.Background(), id, "dave", "user:alice"); err != nil {
			t.Fatal(err)
		}
		if got := r.sent(t); got[len(got)-1] != "user:dave/slack reassigned" {
			t.Fatalf("reassign: %v", got)
		}
	})
}

func TestWaitingStartsLater(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, t0)
		monday := t0.Add(47 * time.Hour)
		r.engine.StartEscalation = func(ctx context.Context, tx store.Querier, id int64, policy, service, severity string, now time.Time) error {
			return escalation.Start(ctx, tx, id, policy, now, monday, "outside the service hours")
		}
		id := r.trigger(t)
		r.at(t, r.worker, 46*time.Hour)
		st, _, _ := escalation.Get(context.Background(), db.Reader(), id)
		if len(r.sent(t)) != 0 || st.Status != escalation.Waiting || st.Reason != "outside the service hours" {
			t.Fatalf("before the hours: %v %+v", r.sent(t), st)
		}
		r.at(t, r.worker, time.Hour)
		if got := r.sent(t); len(got) != 1 {
			t.Fatalf("at the start of the hours: %v", got)
		}
	})
}

// TestStepsAndResolutionsDoNotDeadlock takes escalation steps while the
// same incidents are resolved: on PostgreSQL, taking the escalation and
// incident rows in different orders deadlocked.
func TestStepsAndResolutionsDoNotDeadlock(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, t0)
		s := &incident.Store{DB: db, Engine: r.engine}
		var ids []int64
		for i := 0; i < 40; i++ {
			err := db.Tx(context.Background(), func(tx *sql.Tx) error {
				out, _, err := r.engine.Apply(context.Background(), tx, []incident.Event{{Integration: "x", Action: "trigger", DedupKey: fmt.Sprint("k", i),
					Service: "shop", Summary: "down", Source: "s", Severity: "critical", Escalation: "default", Body: []byte("{}")}})
				if err == nil {
					ids = append(ids, out[0].IncidentID)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		errs := make(chan error, 200)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				errs <- r.worker.Step(context.Background())
			}
		}()
		go func() {
			defer wg.Done()
			for _, id := range ids {
				_, err := s.Resolve(context.Background(), id, "user:alice")
				errs <- err
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent step and resolve: %v", err)
			}
		}
	})
}
