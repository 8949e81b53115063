package app

import (
	"context"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// seedDemo gives the demo catalog a little history on its first start, so a
// newcomer sees figures move: a web shop in breach of its objective (two
// outages longer than its 5-minute limit, and a degraded search behind it),
// payroll down for longer than its limit in office hours, and an open
// incident on the payment gateway. Nothing is seeded once any outage or
// incident exists, so the demo never rewrites what a person did.
func (a *App) seedDemo(ctx context.Context) error {
	var n int
	if err := a.db.Reader().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM outages) + (SELECT COUNT(*) FROM incidents)`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	now := a.opts.Now().UTC().Truncate(time.Minute)
	record := func(service string, start time.Time, d time.Duration, state, note string) error {
		s, e := start.UTC().Format(time.RFC3339), start.Add(d).UTC().Format(time.RFC3339)
		_, err := a.outages.Record(ctx, "demo", service, timeline.NewOutage{Start: &s, End: &e, State: &state, Note: note})
		return err
	}
	ber, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return err
	}
	// The latest weekday 10:00 in Berlin that is at least an hour ago.
	office := time.Date(now.In(ber).Year(), now.In(ber).Month(), now.In(ber).Day(), 10, 0, 0, 0, ber)
	for office.Add(time.Hour).After(now) || office.Weekday() == time.Saturday || office.Weekday() == time.Sunday {
		office = office.AddDate(0, 0, -1)
	}
	steps := []error{
		record("shop", now.Add(-30*time.Hour), 12*time.Minute, "down", "Checkout returned 502s after a deploy; rolled back"),
		record("shop", now.Add(-6*time.Hour), 7*time.Minute, "down", "Load balancer health checks flapped"),
		record("search", now.Add(-10*time.Hour), 3*time.Hour, "degraded", "Index rebuild: slow queries"),
		record("payroll", office, 45*time.Minute, "down", "Database connection pool exhausted during the payroll run"),
	}
	for _, err := range steps {
		if err != nil {
			return fmt.Errorf("demo history: %w", err)
		}
	}
	_, err = a.ingest.Submit(ctx, []incident.Event{{Integration: "demo", Action: incident.ActionTrigger, DedupKey: "demo-acquirer",
		Service: "payments", Summary: "Card authorisations failing for one acquirer", Source: "payments-gw-2", Severity: "error",
		Escalation: "default", Body: []byte(`{"demo":true}`)}})
	if err != nil {
		return fmt.Errorf("demo incident: %w", err)
	}
	a.log.Info("demo history recorded", "outages", len(steps), "incidents", 1)
	return nil
}
