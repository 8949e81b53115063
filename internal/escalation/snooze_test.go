package escalation_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// snoozeRig is the escalation rig with snoozing wired as the app wires it.
func snoozeRig(t *testing.T, db *store.DB) (*rig, *incident.Store) {
	r := newRig(t, db, t0)
	r.engine.SnoozeEscalation, r.engine.WakeEscalation = escalation.Snooze, escalation.Wake
	return r, &incident.Store{DB: db, Engine: r.engine}
}

func (r *rig) incident(t *testing.T, s *incident.Store, id int64) (incident.Incident, []incident.LogEntry) {
	t.Helper()
	i, log, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return i, log
}

func logHas(log []incident.LogEntry, part string) bool {
	for _, e := range log {
		if strings.Contains(e.Message, part) {
			return true
		}
	}
	return false
}

// TestSnoozeRenotifies works one snooze by hand: triggered at 10:00 (level
// 1 pages alice), acknowledged at 10:05, snoozed for 1 h until 11:05.
// Nothing is sent at 11:04; at 11:05 — taken by a worker started after the
// snooze, beside the old one — the incident is triggered again and level 1
// pages alice once more, and level 2 follows 15 min later as on a new
// incident.
func TestSnoozeRenotifies(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, s := snoozeRig(t, db)
		id := r.trigger(t)
		r.at(t, r.worker, 0)
		r.now = t0.Add(5 * time.Minute)
		if _, err := s.Acknowledge(ctx, id, "user:alice"); err != nil {
			t.Fatal(err)
		}
		i, err := s.Snooze(ctx, id, 60, "user:alice")
		if err != nil {
			t.Fatal(err)
		}
		if want := t0.Add(65 * time.Minute); i.SnoozedUntil == nil || !i.SnoozedUntil.Equal(want) {
			t.Fatalf("snoozed until %v, want %v", i.SnoozedUntil, want)
		}
		r.at(t, r.worker, 59*time.Minute) // 11:04
		if got := r.sent(t); len(got) != 1 {
			t.Fatalf("paged during the snooze: %v", got)
		}
		if i, _ := r.incident(t, s, id); i.Status != incident.Acknowledged {
			t.Fatalf("during the snooze the incident is %s", i.Status)
		}
		restarted := r.newWorker()
		r.now = t0.Add(65 * time.Minute)
		for _, w := range []*escalation.Worker{restarted, r.worker} {
			if err := w.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := strings.Join(r.sent(t), ","); got != "user:alice/email triggered,user:alice/email triggered" {
			t.Fatalf("at the snooze's end, level 1 pages once more: %s", got)
		}
		i, log := r.incident(t, s, id)
		if i.Status != incident.Triggered || i.SnoozedUntil != nil || i.AcknowledgedAt != nil {
			t.Fatalf("after the snooze: %+v", i)
		}
		if !logHas(log, "snoozed for 1 h, until 2026-11-21 11:05 UTC") || !logHas(log, "the snooze ended and the incident is still open") {
			t.Fatalf("the timeline does not tell the snooze: %+v", log)
		}
		r.at(t, r.worker, 15*time.Minute)
		if n := len(r.sent(t)); n != 5 { // carol twice and the hook
			t.Fatalf("level 2 follows 15 min after the snooze's end: %v", r.sent(t))
		}
	})
}

func TestResolveEndsSnooze(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, s := snoozeRig(t, db)
		id := r.trigger(t)
		r.at(t, r.worker, 0)
		if _, err := s.Acknowledge(ctx, id, "user:alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Snooze(ctx, id, 15, "user:alice"); err != nil {
			t.Fatal(err)
		}
		i, err := s.Resolve(ctx, id, "user:alice")
		if err != nil {
			t.Fatal(err)
		}
		if i.SnoozedUntil != nil {
			t.Fatalf("resolved, still snoozed until %v", i.SnoozedUntil)
		}
		r.at(t, r.worker, time.Hour)
		st, _, _ := escalation.Get(ctx, db.Reader(), id)
		if st.Status != escalation.Stopped {
			t.Fatalf("escalation after resolve: %+v", st)
		}
		for _, got := range r.sent(t) {
			if strings.HasSuffix(got, " triggered") && got != "user:alice/email triggered" {
				t.Fatalf("paged after resolve: %v", r.sent(t))
			}
		}
		if n := len(r.sent(t)); n != 1 {
			t.Fatalf("paged after resolve: %v", r.sent(t))
		}
	})
}

// TestTriggerEndsSnooze: the source triggering the incident again ends a
// 4 h snooze at once, and the worker pages on its next pass.
func TestTriggerEndsSnooze(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, s := snoozeRig(t, db)
		id := r.trigger(t)
		r.at(t, r.worker, 0)
		if _, err := s.Acknowledge(ctx, id, "user:alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Snooze(ctx, id, 240, "user:alice"); err != nil {
			t.Fatal(err)
		}
		r.now = r.now.Add(10 * time.Minute)
		if again := r.trigger(t); again != id {
			t.Fatalf("the trigger opened incident %d, not deduplicated into %d", again, id)
		}
		i, log := r.incident(t, s, id)
		if i.SnoozedUntil != nil || !logHas(log, "a new trigger ends the snooze") {
			t.Fatalf("after a new trigger: %+v %+v", i, log)
		}
		r.at(t, r.worker, 0)
		if got := r.sent(t); len(got) != 2 {
			t.Fatalf("a new trigger pages again at once: %v", got)
		}
		if i, _ := r.incident(t, s, id); i.Status != incident.Triggered {
			t.Fatalf("after the wake the incident is %s", i.Status)
		}
		// The next trigger is a plain deduplicated one.
		r.now = r.now.Add(time.Minute)
		r.trigger(t)
		r.at(t, r.worker, 0)
		if got := r.sent(t); len(got) != 2 {
			t.Fatalf("a trigger of an unsnoozed incident paged: %v", got)
		}
	})
}

func TestSnoozeRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, s := snoozeRig(t, db)
		id := r.trigger(t)
		for _, c := range []struct {
			minutes int
			field   string
		}{{0, "minutes"}, {-5, "minutes"}, {incident.MaxSnooze + 1, "minutes"}} {
			_, err := s.Snooze(ctx, id, c.minutes, "user:alice")
			var inv *apperr.Invalid
			if !errors.As(err, &inv) || inv.Fields[0].Path != c.field {
				t.Fatalf("snooze %d: %v", c.minutes, err)
			}
		}
		if _, err := s.Snooze(ctx, id, 15, "user:alice"); !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "acknowledge it before snoozing") {
			t.Fatalf("snoozing a triggered incident: %v", err)
		}
		if _, err := s.Snooze(ctx, id+100, 15, "user:alice"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("snoozing no incident: %v", err)
		}
		// No escalation policy: nobody would be paged at the end.
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, _, err := r.engine.Apply(ctx, tx, []incident.Event{{Integration: "x", Action: "trigger", DedupKey: "quiet", Service: "shop",
				Summary: "down", Source: "s", Severity: "critical", Body: []byte("{}")}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var quiet int64
		db.Reader().QueryRowContext(ctx, `SELECT id FROM incidents WHERE dedup_key = 'quiet'`).Scan(&quiet)
		if _, err := s.Acknowledge(ctx, quiet, "user:alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Snooze(ctx, quiet, 15, "user:alice"); !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "no escalation policy") {
			t.Fatalf("snoozing without a policy: %v", err)
		}
	})
}
