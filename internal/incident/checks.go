package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/monitor"
)

// DefaultPolicy is the escalation policy of incidents from checks that
// name none.
const DefaultPolicy = "default"

// CheckEvents turns checks' state changes into incident events: a check
// going down triggers a critical incident, degraded a warning one (the same
// incident, deduplicated by the check's name), and coming back up resolves
// it. The incident does not mark the service itself: the check already does.
func CheckEvents(changes []monitor.Change) []Event {
	var out []Event
	for _, c := range changes {
		ev := Event{Integration: CheckIntegration, DedupKey: "check:" + c.Check, Service: c.Service, Source: "check " + c.Check,
			Escalation: c.Escalation, ServiceState: "none"}
		if ev.Escalation == "" {
			ev.Escalation = DefaultPolicy
		}
		switch c.To {
		case availability.Down:
			ev.Action, ev.Severity = ActionTrigger, "critical"
			ev.Summary = fmt.Sprintf("%s is down: %s", c.Check, c.Reason)
		case availability.Degraded:
			ev.Action, ev.Severity = ActionTrigger, "warning"
			ev.Summary = fmt.Sprintf("%s is degraded: %s", c.Check, c.Reason)
		case availability.Up:
			ev.Action = ActionResolve
		default:
			continue // unknown: no news about the target
		}
		ev.Summary = clip(ev.Summary, maxSummary)
		ev.Details, _ = json.Marshal(map[string]any{"check": c.Check, "from": c.From.String(), "to": c.To.String(), "reason": c.Reason, "at": c.At})
		ev.Body = ev.Details
		out = append(out, ev)
	}
	return out
}

// OnCheckChange is the monitor's hook: it applies check changes to
// incidents in the monitor's own transaction.
func (e *Engine) OnCheckChange(ctx context.Context, tx *sql.Tx, changes []monitor.Change) error {
	events := CheckEvents(changes)
	if len(events) == 0 {
		return nil
	}
	_, enqueued, err := e.Apply(ctx, tx, events)
	if err == nil && enqueued && e.OnEnqueue != nil {
		e.OnEnqueue()
	}
	return err
}
