// Package escalation walks incidents through their escalation policies:
// each level notifies its targets (channels, people, whoever is on call in
// a schedule) after its delay, the policy repeats as configured, and an
// acknowledgement stops it. The position of every escalation is stored, and
// each step is taken by compare-and-set in the transaction that enqueues
// its notifications, so a restart neither loses nor doubles a step, and
// several replicas never take the same step twice.
package escalation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
)

// The states of an escalation.
const (
	Waiting = "waiting" // held until the service's hours begin
	Active  = "active"  // the next level is due at next_at
	Stopped = "stopped" // acknowledged or resolved
	Done    = "done"    // every level and repeat was notified
	Snoozed = "snoozed" // acknowledged and snoozed: starts over at next_at if still open
)

// State is where one incident's escalation stands.
type State struct {
	IncidentID int64     `json:"incident_id"`
	Policy     string    `json:"policy"`
	Level      int       `json:"level"`
	Round      int       `json:"round"`
	Status     string    `json:"status"`
	NextAt     time.Time `json:"next_at"`
	Reason     string    `json:"reason"`
	AssignedTo string    `json:"assigned_to,omitempty"`
}

// Resolver turns a target ("channel:ops-hook", "user:alice",
// "schedule:primary") into the outbox channels to notify at an instant.
// Unresolvable parts come back as notes for the incident's timeline.
type Resolver func(target string, at time.Time) (channels []string, notes []string)

// Worker takes due escalation steps.
type Worker struct {
	DB       *store.DB
	Log      *slog.Logger
	Now      func() time.Time
	Policies func(name string) (incident.EscalationPolicy, bool)
	Resolve  Resolver
	// OnEnqueue wakes the outbox after notifications were enqueued.
	OnEnqueue func()

	kickOnce sync.Once
	kick     chan struct{}
}

// DefaultRepeatDelay is the wait before a policy starts over when its last
// level has no delay of its own to reuse.
const DefaultRepeatDelay = 15 * time.Minute

func (w *Worker) kickChan() chan struct{} {
	w.kickOnce.Do(func() { w.kick = make(chan struct{}, 1) })
	return w.kick
}

// Kick makes the worker look for due steps now.
func (w *Worker) Kick() {
	select {
	case w.kickChan() <- struct{}{}:
	default:
	}
}

// Start records an incident's escalation in tx: its first level is due at
// startAt (now, or the start of the service's hours), with reason saying
// why it waits when it does.
func Start(ctx context.Context, tx store.Querier, incidentID int64, policy string, now, startAt time.Time, reason string) error {
	status := Active
	if startAt.After(now) {
		status = Waiting
	}
	// The statement is the ingester's (incident.EscalationInsert): it
	// writes a batch's new escalations with one multi-row INSERT.
	_, err := tx.ExecContext(ctx, incident.EscalationInsert, incidentID, policy, status, store.Millis(startAt), reason, store.Millis(now))
	if err != nil {
		return fmt.Errorf("escalation: start: %w", err)
	}
	return nil
}

// Stop ends an incident's escalation (acknowledged or resolved) in tx.
func Stop(ctx context.Context, tx store.Querier, incidentID int64, reason string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE escalations SET status = $2, reason = $3, updated_at = $4 WHERE incident_id = $1 AND status IN ('active', 'waiting', 'snoozed')`,
		incidentID, Stopped, reason, store.Millis(now))
	if err != nil {
		return fmt.Errorf("escalation: stop: %w", err)
	}
	return nil
}

// Snooze holds an acknowledged incident's escalation until until, in tx:
// then, if the incident is still open, the worker triggers it again and
// starts policy over from its first level. An incident that never had an
// escalation (it opened in a maintenance window) gets one now.
func Snooze(ctx context.Context, tx store.Querier, incidentID int64, policy string, until, now time.Time) error {
	reason := "snoozed until " + until.UTC().Format("2006-01-02 15:04 UTC")
	_, err := tx.ExecContext(ctx, `INSERT INTO escalations (incident_id, policy, level, round, status, next_at, reason, assigned_to, updated_at)
		VALUES ($1, $2, 0, 0, $3, $4, $5, '', $6)
		ON CONFLICT (incident_id) DO UPDATE SET policy = excluded.policy, level = 0, round = 0, status = excluded.status, next_at = excluded.next_at,
		reason = excluded.reason, updated_at = excluded.updated_at`,
		incidentID, policy, Snoozed, store.Millis(until), reason, store.Millis(now))
	if err != nil {
		return fmt.Errorf("escalation: snooze: %w", err)
	}
	return nil
}

// Wake brings a snoozed escalation's end forward to now, in tx.
func Wake(ctx context.Context, tx store.Querier, incidentID int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE escalations SET next_at = $2, reason = 'a new trigger ended the snooze', updated_at = $2
		WHERE incident_id = $1 AND status = 'snoozed'`, incidentID, store.Millis(now))
	if err != nil {
		return fmt.Errorf("escalation: wake: %w", err)
	}
	return nil
}

// Get returns an incident's escalation, if it has one.
func Get(ctx context.Context, q store.Querier, incidentID int64) (State, bool, error) {
	var s State
	var next int64
	err := q.QueryRowContext(ctx, `SELECT incident_id, policy, level, round, status, next_at, reason, assigned_to FROM escalations WHERE incident_id = $1`, incidentID).
		Scan(&s.IncidentID, &s.Policy, &s.Level, &s.Round, &s.Status, &next, &s.Reason, &s.AssignedTo)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("escalation: get: %w", err)
	}
	s.NextAt = store.FromMillis(next)
	return s, true, nil
}

// Run takes due steps until ctx ends, every second and whenever kicked.
func (w *Worker) Run(ctx context.Context) error {
	kick := w.kickChan()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if err := w.Step(ctx); err != nil && ctx.Err() == nil {
			w.log().Error("escalation", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-kick:
		}
	}
}

func (w *Worker) log() *slog.Logger {
	if w.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Log
}

// Step takes every step due now. Each is its own transaction.
func (w *Worker) Step(ctx context.Context) error {
	now := w.Now().UTC()
	rows, err := w.DB.Reader().QueryContext(ctx, `SELECT incident_id, policy, level, round, status, next_at, reason, assigned_to FROM escalations
		WHERE status IN ('active', 'waiting', 'snoozed') AND next_at <= $1 ORDER BY next_at LIMIT 500`, store.Millis(now))
	if err != nil {
		return fmt.Errorf("escalation: due steps: %w", err)
	}
	var due []State
	for rows.Next() {
		var s State
		var next int64
		if err := rows.Scan(&s.IncidentID, &s.Policy, &s.Level, &s.Round, &s.Status, &next, &s.Reason, &s.AssignedTo); err != nil {
			rows.Close()
			return err
		}
		s.NextAt = store.FromMillis(next)
		due = append(due, s)
	}
	rows.Close()
	var errs []error
	enqueued := false
	for _, s := range due {
		q, err := w.take(ctx, s, now)
		if err != nil {
			errs = append(errs, err)
		}
		enqueued = enqueued || q
	}
	if enqueued && w.OnEnqueue != nil {
		w.OnEnqueue()
	}
	return errors.Join(errs...)
}

// take performs one due step: notify the level's targets, then move to the
// next level (or round), all in one transaction guarded by the step's
// next_at so that only one worker takes it.
func (w *Worker) take(ctx context.Context, s State, now time.Time) (bool, error) {
	enqueued := false
	err := w.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		enqueued, err = w.step(ctx, tx, s, now)
		return err
	})
	if errors.Is(err, errTaken) {
		return false, nil
	}
	return enqueued, err
}

// step takes one due step inside tx.
func (w *Worker) step(ctx context.Context, tx store.Querier, s State, now time.Time) (bool, error) {
	if s.Status == Snoozed {
		return w.wake(ctx, tx, s, now)
	}
	p, ok := w.Policies(s.Policy)
	if !ok || len(p.Levels) == 0 || s.Level >= len(p.Levels) {
		return false, finish(ctx, tx, s, now, "policy "+s.Policy+" is not configured any more; escalation ended")
	}
	// The next step: the following level after its delay, or the policy
	// again after the repeat delay, or the end.
	next := State{Level: s.Level + 1, Round: s.Round, Status: Active}
	if next.Level >= len(p.Levels) {
		next.Level, next.Round = 0, s.Round+1
	}
	var nextAt time.Time
	var reason string
	switch {
	case next.Round > p.Repeat:
		next.Status, reason = Done, fmt.Sprintf("every level notified (%d round(s))", s.Round+1)
		nextAt = now
	case next.Level == 0:
		nextAt = now.Add(repeatDelay(p))
		reason = fmt.Sprintf("not acknowledged: repeating the policy (round %d of %d)", next.Round+1, p.Repeat+1)
	default:
		d, _ := duration.Parse(p.Levels[next.Level].Delay)
		nextAt = now.Add(d)
		reason = fmt.Sprintf("not acknowledged: level %d is next", next.Level+1)
	}
	res, err := tx.ExecContext(ctx, `UPDATE escalations SET level = $2, round = $3, status = $4, next_at = $5, reason = $6, updated_at = $7
		WHERE incident_id = $1 AND next_at = $8 AND status IN ('active', 'waiting')`,
		s.IncidentID, next.Level, next.Round, next.Status, store.Millis(nextAt), reason, store.Millis(now), store.Millis(s.NextAt))
	if err != nil {
		return false, fmt.Errorf("escalation: advance: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, errTaken // another worker took it, or it was stopped meanwhile
	}
	kind := "escalated"
	if s.Level == 0 && s.Round == 0 {
		kind = "triggered"
	}
	var notes []string
	seen := map[string]bool{}
	enqueued := false
	for _, target := range p.Levels[s.Level].Notify {
		channels, n := w.Resolve(target, now)
		notes = append(notes, n...)
		for _, ch := range channels {
			if seen[ch] {
				continue
			}
			seen[ch] = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
				VALUES ($1, $2, $3, 'pending', 0, $4, 0, '', $4)`, s.IncidentID, ch, kind, store.Millis(now)); err != nil {
				return false, fmt.Errorf("escalation: enqueue: %w", err)
			}
			enqueued = true
		}
	}
	msg := fmt.Sprintf("escalation level %d (round %d) notifies %s", s.Level+1, s.Round+1, strings.Join(p.Levels[s.Level].Notify, ", "))
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	return enqueued, logLine(ctx, tx, s.IncidentID, now, msg)
}

// StartNow records an incident's escalation in tx and, when it is due at
// once, takes its first level in the same transaction: the first page is
// committed with the incident, so nothing — not even an acknowledgement a
// moment later — can come between them.
func (w *Worker) StartNow(ctx context.Context, tx store.Querier, incidentID int64, policy string, now, startAt time.Time, reason string) error {
	if err := Start(ctx, tx, incidentID, policy, now, startAt, reason); err != nil {
		return err
	}
	if startAt.After(now) {
		return nil
	}
	_, err := w.step(ctx, tx, State{IncidentID: incidentID, Policy: policy, NextAt: startAt}, now)
	if errors.Is(err, errTaken) {
		return nil
	}
	return err
}

var errTaken = errors.New("escalation step already taken")

// wake ends a snooze inside tx: by compare-and-set on the snooze's end, the
// escalation starts over at its first level, the incident is triggered
// again (it must be acknowledged anew), and the first level is notified in
// the same transaction.
func (w *Worker) wake(ctx context.Context, tx store.Querier, s State, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE escalations SET level = 0, round = 0, status = $2, next_at = $3, reason = 'the snooze ended', updated_at = $3
		WHERE incident_id = $1 AND next_at = $4 AND status = 'snoozed'`, s.IncidentID, Active, store.Millis(now), store.Millis(s.NextAt))
	if err != nil {
		return false, fmt.Errorf("escalation: wake: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, errTaken
	}
	res, err = tx.ExecContext(ctx, `UPDATE incidents SET status = $2, acknowledged_at = NULL, acknowledged_by = '', snoozed_until = NULL
		WHERE id = $1 AND status = $3`, s.IncidentID, incident.Triggered, incident.Acknowledged)
	if err != nil {
		return false, fmt.Errorf("escalation: wake: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Not acknowledged any more (resolved with the escalation left
		// behind): nothing to page for.
		return false, finish(ctx, tx, State{IncidentID: s.IncidentID, NextAt: now}, now, "the snooze ended; the incident is no longer acknowledged, so nobody is paged")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_log (incident_id, at, kind, actor, message) VALUES ($1, $2, 'status', 'escalation', $3)`,
		s.IncidentID, store.Millis(now), "the snooze ended and the incident is still open: triggered again, "+s.Policy+" pages from its first level"); err != nil {
		return false, err
	}
	return w.step(ctx, tx, State{IncidentID: s.IncidentID, Policy: s.Policy, Status: Active, NextAt: now}, now)
}

func finish(ctx context.Context, tx store.Querier, s State, now time.Time, reason string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE escalations SET status = $2, reason = $3, updated_at = $4 WHERE incident_id = $1 AND next_at = $5`,
		s.IncidentID, Done, reason, store.Millis(now), store.Millis(s.NextAt)); err != nil {
		return err
	}
	return logLine(ctx, tx, s.IncidentID, now, reason)
}

func repeatDelay(p incident.EscalationPolicy) time.Duration {
	if p.RepeatDelay != "" {
		if d, err := duration.Parse(p.RepeatDelay); err == nil && d > 0 {
			return d
		}
	}
	return DefaultRepeatDelay
}

func logLine(ctx context.Context, tx store.Querier, id int64, at time.Time, msg string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO incident_log (incident_id, at, kind, actor, message) VALUES ($1, $2, 'escalation', 'escalation', $3)`,
		id, store.Millis(at), msg)
	return err
}

// Reassign hands an open incident to a person: they are notified now, and
// the escalation goes on from where it was.
func (w *Worker) Reassign(ctx context.Context, incidentID int64, user, actor string) error {
	channels, notes := w.Resolve("user:"+user, w.Now())
	if len(channels) == 0 {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "user", Msg: fmt.Sprintf("cannot notify %q: %s", user, strings.Join(append(notes, "no contact method"), "; "))}}}
	}
	now := w.Now().UTC()
	err := w.DB.Tx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM incidents WHERE id = $1`, incidentID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFound("incident %d", incidentID)
		}
		if err != nil {
			return err
		}
		if status == incident.Resolved {
			return apperr.Conflict("incident %d is resolved", incidentID)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE escalations SET assigned_to = $2, updated_at = $3 WHERE incident_id = $1`, incidentID, user, store.Millis(now)); err != nil {
			return err
		}
		for _, ch := range channels {
			if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
				VALUES ($1, $2, 'reassigned', 'pending', 0, $3, 0, '', $3)`, incidentID, ch, store.Millis(now)); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO incident_log (incident_id, at, kind, actor, message) VALUES ($1, $2, 'status', $3, $4)`,
			incidentID, store.Millis(now), actor, "reassigned to "+user)
		return err
	})
	if err == nil && w.OnEnqueue != nil {
		w.OnEnqueue()
	}
	return err
}
