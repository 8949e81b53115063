package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/monitor"
)

// DefaultPolicy is the escalation policy of incidents from checks that
// name none.
const DefaultPolicy = "default"

// CheckEvents turns checks' state changes into incident events: a check
// going down triggers a critical incident, degraded a warning one (the same
// incident, deduplicated by the check's name), and coming back up resolves
// it. A check still failing after a person resolved its incident (Again)
// triggers a new one. The incident does not mark the service itself: the
// check already does.
func CheckEvents(changes []monitor.Change) []Event {
	var out []Event
	for _, c := range changes {
		ev := Event{Integration: CheckIntegration, DedupKey: checkKey(c.Check), Service: c.Service, Source: "check " + c.Check,
			Escalation: c.Escalation, ServiceState: "none"}
		if c.RPO {
			// A backup job's RPO is its own input: its incident is apart
			// from the heartbeat's.
			ev.DedupKey += RPOKeySuffix
		}
		if ev.Escalation == "" {
			ev.Escalation = DefaultPolicy
		}
		still := ""
		if c.Again {
			still = "still "
		}
		switch c.To {
		case availability.Down:
			ev.Action, ev.Severity = ActionTrigger, "critical"
			ev.Summary = fmt.Sprintf("%s is %sdown: %s", c.Check, still, c.Reason)
			if c.RPO {
				ev.Summary = fmt.Sprintf("backup job %s is %s", c.Check, c.Reason)
			}
		case availability.Degraded:
			ev.Action, ev.Severity = ActionTrigger, "warning"
			ev.Summary = fmt.Sprintf("%s is %sdegraded: %s", c.Check, still, c.Reason)
		case availability.Up:
			ev.Action = ActionResolve
		default:
			continue // unknown: no news about the target
		}
		ev.Summary = clip(ev.Summary, maxSummary)
		details := map[string]any{"check": c.Check, "from": c.From.String(), "to": c.To.String(), "reason": c.Reason, "at": c.At}
		if c.Again {
			details["again"] = true
		}
		if c.RPO {
			details["rpo"] = true
		}
		ev.Details, _ = json.Marshal(details)
		ev.Body = ev.Details
		out = append(out, ev)
	}
	return out
}

func checkKey(check string) string { return "check:" + check }

// RPOKeySuffix ends the dedup key of a backup job's RPO incident.
const RPOKeySuffix = ":rpo"

// OnCheckChange is the monitor's hook: it applies check changes to
// incidents in the monitor's own transaction.
func (e *Engine) OnCheckChange(ctx context.Context, tx *sql.Tx, changes []monitor.Change) error {
	// A check failing again opens an incident only when none is open: the
	// monitor's note that none is may be a moment old (an incident opened
	// by another server), and the stored incidents decide.
	kept := changes[:0:0]
	for _, c := range changes {
		if c.Again {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM incidents WHERE open_key = $1`, openKey(c.Service, checkKey(c.Check))).Scan(&one)
			if err == nil {
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("incident: find a check's open incident: %w", err)
			}
		}
		kept = append(kept, c)
	}
	events := CheckEvents(kept)
	if len(events) == 0 {
		return nil
	}
	_, enqueued, err := e.Apply(ctx, tx, events)
	if err == nil && enqueued && e.OnEnqueue != nil {
		e.OnEnqueue()
	}
	return err
}

// CheckOf names the check an incident came from; ok is false for an
// incident from any other source, and for a backup job's RPO incident
// (which speaks of its data, not of the check's own state).
func CheckOf(i Incident) (check string, ok bool) {
	if i.Integration != CheckIntegration {
		return "", false
	}
	if strings.HasSuffix(i.DedupKey, RPOKeySuffix) {
		// A backup job's RPO incident: resolving it says nothing of the
		// heartbeat's own state.
		return "", false
	}
	return strings.CutPrefix(i.DedupKey, "check:")
}

// CheckStates is what the incident store asks the monitor about the
// checks behind incidents; *monitor.Monitor implements it.
type CheckStates interface {
	// Resolved is told that a person resolved a check's incident; it says
	// whether the check still fails, so that its next failing result
	// opens a new incident.
	Resolved(check, service string) bool
	// Reopens says whether a check still fails with no open incident.
	Reopens(check, service string) bool
}

// stillFailing is the notice for whoever resolves an incident whose check
// still fails.
func stillFailing(check string) string {
	return fmt.Sprintf("The check %s is still failing: its next failing result will open a new incident.", check)
}

// resolvedNotice tells the monitor that a person resolved i, and returns
// the notice for them when i's check still fails.
func (s *Store) resolvedNotice(i Incident) string {
	check, ok := CheckOf(i)
	if !ok || s.Checks == nil || !s.Checks.Resolved(check, i.Service) {
		return ""
	}
	return stillFailing(check)
}

// Notice says, for a resolved incident whose check still fails with no new
// incident yet, that the check's next failing result opens one; it is ""
// otherwise. The incident's page shows it.
func (s *Store) Notice(i Incident) string {
	check, ok := CheckOf(i)
	// An incident its check resolved on recovery has nothing to say about
	// a later failure.
	if !ok || i.Status != Resolved || i.ResolvedBy == "integration:"+CheckIntegration || s.Checks == nil || !s.Checks.Reopens(check, i.Service) {
		return ""
	}
	return stillFailing(check)
}

// CoveredChecks says which of the failing checks have an open incident
// (the monitor's Options.Covered). It reads every open incident from
// checks at once: the monitor asks at start and every few minutes, never
// per result.
func (s *Store) CoveredChecks(ctx context.Context, failing []monitor.CheckRef) (map[monitor.CheckRef]bool, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT service, dedup_key FROM incidents WHERE open_key IS NOT NULL AND integration = $1`, CheckIntegration)
	if err != nil {
		return nil, fmt.Errorf("incident: open incidents of checks: %w", err)
	}
	defer rows.Close()
	open := map[monitor.CheckRef]bool{}
	for rows.Next() {
		var service, key string
		if err := rows.Scan(&service, &key); err != nil {
			return nil, fmt.Errorf("incident: open incidents of checks: %w", err)
		}
		if check, ok := strings.CutPrefix(key, "check:"); ok {
			open[monitor.CheckRef{Check: check, Service: service}] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident: open incidents of checks: %w", err)
	}
	out := make(map[monitor.CheckRef]bool, len(failing))
	for _, f := range failing {
		out[f] = open[f]
	}
	return out, nil
}
