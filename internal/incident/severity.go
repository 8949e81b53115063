package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// ChangeSeverity sets an open incident's severity and, from now on, what
// it does to its service: the integration's severity map decides, as for a
// new incident, and the incident's timeline input changes at this instant,
// so the intervals already recorded stay as they were. The timeline says
// so. An incident from a check keeps doing nothing to its service (the
// check's own state does), and an Alertmanager group incident is refused:
// its severity is its worst firing alert's.
func (s *Store) ChangeSeverity(ctx context.Context, id int64, severity, actor string) (Incident, error) {
	severity = strings.TrimSpace(severity)
	if !slices.Contains(Severities, severity) {
		return Incident{}, &apperr.Invalid{Fields: []apperr.Field{{Path: "severity", Msg: fmt.Sprintf("must be one of %s, not %q", strings.Join(Severities, ", "), severity)}}}
	}
	counts, err := s.CountAlerts(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	if counts.Firing+counts.Resolved > 0 {
		return Incident{}, apperr.Conflict("incident %d is an Alertmanager group's: its severity is its worst firing alert's, so change the alerts' severity at their source", id)
	}
	return s.act(ctx, id, func(tx *stmts, r row, i Incident, now time.Time) (bool, error) {
		switch {
		case i.Status == Resolved:
			return false, apperr.Conflict("incident %d is already resolved", id)
		case i.Severity == severity:
			return false, nil
		}
		state := i.ServiceState
		if i.Integration != CheckIntegration {
			in, ok := s.Engine.Integration(i.Integration)
			if !ok {
				in = &Integration{Name: i.Integration}
			}
			state = in.severityState(severity)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET severity = $2, service_state = $3 WHERE id = $1`, id, severity, state); err != nil {
			return false, fmt.Errorf("incident: change severity: %w", err)
		}
		msg := fmt.Sprintf("severity changed from %s to %s", orNone(i.Severity), severity)
		if state != i.ServiceState {
			if err := s.Engine.restate(ctx, tx, i, state, now); err != nil {
				return false, err
			}
			msg += fmt.Sprintf("; from now on the service is %s by it (was %s)", stateWords(state), stateWords(i.ServiceState))
		}
		return false, logEntry(ctx, tx, id, now, "status", actor, msg)
	})
}

// restate changes what an open incident does to its service from now on.
// It is a new function beside serviceState, which only opens an effect.
func (e *Engine) restate(ctx context.Context, tx *stmts, i Incident, state string, now time.Time) error {
	st := availability.Up
	switch state {
	case "down":
		st = availability.Down
	case "degraded":
		st = availability.Degraded
	}
	err := e.Timeline.Append(ctx, tx, timeline.Transition{Service: i.Service, Input: fmt.Sprintf("incident:%d", i.ID), At: now, State: st,
		Source: fmt.Sprintf("incident:%d: %s", i.ID, clip(i.Summary, 200))})
	if err != nil {
		return fmt.Errorf("incident: restate: %w", err)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// stateWords says what a service state does to the service.
func stateWords(state string) string {
	switch state {
	case "down":
		return "down"
	case "degraded":
		return "degraded"
	}
	return "not affected"
}
