package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// seedKPIBench fills a database with services services (a tenth with an
// hour's outage in November 2026), tickets tickets over the year before
// December 2026 (nine in ten resolved, a third of those after a day) and
// changes closed change requests ended over the same year (one in eight
// failed), and returns an app on it.
func seedKPIBench(b *testing.B, e storetest.Engine, services, tickets, changes int) *app.App {
	b.Helper()
	ctx := context.Background()
	dsn, dir := e.DSN(b)
	db, err := store.Open(ctx, dsn, dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	cat := catalog.NewStore(db, nil)
	outages := timeline.NewStore(db, nil)
	for i := range services {
		name := fmt.Sprintf("svc-%04d", i)
		budget, cost := float64(1000+i), 100.0
		svc := catalog.Service{Name: name, Tier: 1 + i%4, Objective: &catalog.Objective{Availability: "99.9%", MaxOutage: "30m", Budget: &budget, DowntimeCost: &cost}}
		if _, err := cat.PutService(ctx, "bench", svc, catalog.MustCreate); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			s, en, st := fmt.Sprintf("2026-11-%02dT10:00:00Z", 1+i%28), fmt.Sprintf("2026-11-%02dT11:00:00Z", 1+i%28), "down"
			if _, err := outages.Record(ctx, "bench", name, timeline.NewOutage{Start: &s, End: &en, State: &st}); err != nil {
				b.Fatal(err)
			}
		}
	}
	start := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	year := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Sub(start)
	const batch = 500
	for lo := 0; lo < tickets; lo += batch {
		var rows []string
		var args []any
		for i := lo; i < min(lo+batch, tickets); i++ {
			opened := start.Add(time.Duration(float64(year) * float64(i) / float64(tickets)))
			status, resolved := "open", any(nil)
			if i%10 != 0 {
				status = "resolved"
				d := 3 * time.Hour
				if i%3 == 0 {
					d = 26 * time.Hour
				}
				resolved = store.Millis(opened.Add(d))
			}
			n := len(args)
			rows = append(rows, fmt.Sprintf("('incident', 'bench', $%d, $%d, 'medium', 'medium', 3, $%d, $%d, $%d, $%d, 'bench')", n+1, n+2, n+3, n+4, n+5, n+6))
			queue := []string{"first-line", "second-line"}[i%2]
			args = append(args, fmt.Sprintf("svc-%04d", i%services), queue, status, store.Millis(opened), resolved, store.Millis(opened))
		}
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO tickets (type, title, service, queue, impact, urgency, priority, status, opened_at, resolved_at, updated_at, created_by) VALUES `+strings.Join(rows, ", "), args...); err != nil {
			b.Fatal(err)
		}
	}
	for lo := 0; lo < changes; lo += batch {
		var rows []string
		var args []any
		for i := lo; i < min(lo+batch, changes); i++ {
			ended := start.Add(time.Duration(float64(year) * float64(i) / float64(changes)))
			outcome := "successful"
			if i%8 == 0 {
				outcome = "failed"
			}
			n := len(args)
			rows = append(rows, fmt.Sprintf("('normal', 'bench', $%d, $%d, $%d, 'closed', $%d, $%d, $%d, 'bench', $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8))
			args = append(args, fmt.Sprintf(`["svc-%04d"]`, i%services), store.Millis(ended.Add(-time.Hour)), store.Millis(ended), outcome,
				store.Millis(ended.Add(-time.Hour)), store.Millis(ended), store.Millis(ended.Add(-24*time.Hour)), store.Millis(ended))
		}
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO change_requests (type, title, services, planned_start, planned_end, state, outcome, started_at, ended_at, requester, created_at, updated_at) VALUES `+strings.Join(rows, ", "), args...); err != nil {
			b.Fatal(err)
		}
	}
	// PostgreSQL has no data directory: the config and the server's
	// files go to a directory of the benchmark's own.
	if dir == "" {
		dir = b.TempDir()
	}
	cfg := filepath.Join(dir, "sextant.yaml")
	if err := os.WriteFile(cfg, []byte(`desk:
  queues: [{name: first-line}, {name: second-line}]
  sla_policies: [{name: standard, match: {}, first_response: 1h, resolution: 8h}]
`), 0o600); err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC) }
	a, err := app.New(ctx, app.Options{DataDir: dir, Database: dsn, ConfigPath: cfg, Now: now, Out: &strings.Builder{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	return a
}

// BenchmarkMonthlyReport builds the overall monthly report of November
// 2026 — every KPI with its breakdown and twelve months of trend — for
// 1,000 services, 100,000 tickets and 10,000 change requests in the
// database. The report is not frozen (the store is left
// out), so each run computes it whole. The baseline reads and judges the
// same twelve months of availability only.
func BenchmarkMonthlyReport(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			a := seedKPIBench(b, e, 1000, 100_000, 10_000)
			ctx := context.Background()
			b.Run("baseline-availability-12-months", func(b *testing.B) {
				for b.Loop() {
					m := a.Monthly()
					for _, p := range m.Builder.Periods(kpi.Month{Year: 2026, Month: time.November}) {
						if _, err := m.Builder.Sources.Availability.Services(ctx, p.From, p.To); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
			b.Run("report-1000-services-100k-tickets-10k-changes", func(b *testing.B) {
				for b.Loop() {
					m := a.Monthly()
					rep, err := m.Builder.Build(ctx, kpi.Month{Year: 2026, Month: time.November}, "")
					if err != nil {
						b.Fatal(err)
					}
					if v, _ := rep.KPI("tickets_within_sla"); v.Value == nil || len(rep.Objectives) != 1000 {
						b.Fatalf("report: %d services, %+v", len(rep.Objectives), v)
					}
					// November's changes: the seeded ones ended in it, one in
					// eight failed.
					if v, _ := rep.KPI("change_failure_rate"); v.Value == nil || *v.Value < 0.1 || *v.Value > 0.15 {
						b.Fatalf("change-failure rate: %+v", v)
					}
				}
			})
		})
	}
}
