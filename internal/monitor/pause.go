package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// The reasons a paused and a resumed check show until their next result.
const (
	ReasonPaused  = "paused"
	ReasonResumed = "resumed: waiting for the first result"
)

// The audit actions of pausing and resuming a check.
const (
	ActionPause  = "pause"
	ActionResume = "resume"
)

// Pause stops a check: it is not run (here or by agents), results still
// arriving for it are dropped, and a heartbeat's pings are acknowledged
// but not recorded. Its state, and its input to the service's timeline,
// become unknown from now: a pause is no evidence either way, so the
// check's own uptime leaves it out, and the service's objective counts it
// as its `unknown` rule says (up by default). An open incident stays open
// for people to resolve. Pausing a paused check changes nothing. Audited.
func (m *Monitor) Pause(ctx context.Context, actor, name string) (StoredCheck, error) {
	return m.setPaused(ctx, actor, name, true)
}

// Resume runs a paused check again. Its locations start afresh (their
// counters would otherwise judge new results together with ones from
// before the pause), so it stays unknown until results decide its state;
// a heartbeat's period starts again from now, as if it had been pinged.
// Resuming a running check changes nothing. Audited.
func (m *Monitor) Resume(ctx context.Context, actor, name string) (StoredCheck, error) {
	return m.setPaused(ctx, actor, name, false)
}

func (m *Monitor) setPaused(ctx context.Context, actor, name string, pause bool) (StoredCheck, error) {
	before, err := m.o.Checks.Get(ctx, name)
	if err != nil {
		return before, err
	}
	if pause == !before.PausedAt.IsZero() {
		return before, nil
	}
	m.mu.Lock()
	now := m.now().UTC().Truncate(time.Millisecond)
	cs := *m.stateOf(name)
	m.mu.Unlock()
	after := before
	action := ActionResume
	var paused sql.NullInt64
	cs.State, cs.Since, cs.Started = availability.Unknown, now, time.Time{}
	if pause {
		action, cs.Reason = ActionPause, ReasonPaused
		after.PausedAt = now
		paused = sql.NullInt64{Int64: store.Millis(now), Valid: true}
	} else {
		after.PausedAt = time.Time{}
		cs.Reason = ReasonResumed
		if before.Type == TypeHeartbeat {
			cs.LastPing = now
		}
	}
	err = m.o.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE checks SET paused_at = $1 WHERE name = $2`, paused, name); err != nil {
			return fmt.Errorf("monitor: %s check %q: %w", action, name, err)
		}
		if !pause {
			if _, err := tx.ExecContext(ctx, `DELETE FROM check_locations WHERE check_name = $1`, name); err != nil {
				return fmt.Errorf("monitor: resume check %q: %w", name, err)
			}
		}
		if err := saveState(ctx, tx, name, &cs); err != nil {
			return err
		}
		if pause {
			if err := m.o.Timeline.Append(ctx, tx, timeline.Transition{Service: before.Service, Input: "check:" + name, At: now,
				State: availability.Unknown, Source: "check:" + name + " paused"}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, actor, action, "check", name, pausedState(before), pausedState(after))
	})
	if err != nil {
		return before, err
	}
	if err := m.Load(ctx); err != nil {
		return after, err
	}
	return after, nil
}

// pausedState is what the audit log records of a pause or a resume.
func pausedState(c StoredCheck) map[string]any {
	if c.PausedAt.IsZero() {
		return map[string]any{"paused": false}
	}
	return map[string]any{"paused": true, "paused_at": c.PausedAt}
}
