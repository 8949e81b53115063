package app

import (
	"context"
	"fmt"

	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/recovery"
)

// newRecovery builds the store of backup runs, restore tests, DR plans and
// drills, its plans judged against the running services and backup jobs.
func (a *App) newRecovery() *recovery.Store {
	return &recovery.Store{DB: a.db, Now: a.opts.Now, Facts: a.recoveryFacts}
}

// recoveryFacts is what plans are judged against: every service with its
// max_outage and every backup job with its rpo, the file's and the API's.
func (a *App) recoveryFacts(ctx context.Context) (recovery.Facts, error) {
	cat, err := a.catalog.Load(ctx)
	if err != nil {
		return recovery.Facts{}, fmt.Errorf("load the catalog: %w", err)
	}
	stored, err := a.checks.List(ctx)
	if err != nil {
		return recovery.Facts{}, fmt.Errorf("load the checks: %w", err)
	}
	checks := make([]monitor.Check, 0, len(stored))
	for _, c := range stored {
		checks = append(checks, c.Check)
	}
	return recovery.Facts{Services: recovery.ServiceFacts(cat.Services), BackupRPOs: config.BackupRPOs(checks)}, nil
}
