package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// runMonitor runs the checks as Sextant's server does: a migrated store,
// one service, the checks written in one transaction, and monitor.Monitor
// with its scheduler, batched Record, sweeps and housekeeping. Lags are
// read back per run from check_results (probe start minus due time, to
// the millisecond the store keeps) and, as a cross-check, estimated from
// the monitor's own lag histogram.
func runMonitor(ctx context.Context, cfg config, tgt *target, defs []monitor.Check, names []string, rep *report) error {
	dsn, dataDir, temporary := "", cfg.db, false
	switch {
	case strings.HasPrefix(cfg.db, "postgres://"), strings.HasPrefix(cfg.db, "postgresql://"):
		dsn, dataDir = cfg.db, ""
	case cfg.db == "":
		dir, err := os.MkdirTemp("", "sextant-bench-checks-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dataDir, temporary = dir, true
	}
	db, err := store.Open(ctx, dsn, dataDir, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	rep.store = string(db.Engine())
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	cat := catalog.NewStore(db, nil)
	if _, err := cat.GetService(ctx, serviceName); errors.Is(err, apperr.ErrNotFound) {
		if _, err := cat.PutService(ctx, actor, catalog.Service{Name: serviceName, Title: "Benchmark target"}, catalog.MustCreate); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	// The checks go in the way a config file's checks do: one transaction
	// (catalog.ApplyFile) in which monitor.Store.FileHook validates every
	// check with Compile and writes it, with its audit entry, through the
	// same writeCheck that monitor.Store.Put uses.
	checks := monitor.NewStore(db, nil)
	t0 := time.Now()
	if _, err := cat.ApplyFile(ctx, actor, catalog.Catalog{}, checks.FileHook(actor, defs)); err != nil {
		return fmt.Errorf("create checks: %w", err)
	}
	rep.setup = time.Since(t0)
	rep.setupHow = "one transaction: catalog.Store.ApplyFile with monitor.Store.FileHook (the config-file path)"

	metrics := newMetricSet()
	var logErrors atomic.Int64
	logger := slog.New(countingHandler{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}), errors: &logErrors})
	tl := timeline.NewStore(db, nil)
	mon := monitor.New(monitor.Options{DB: db, Checks: checks, Timeline: tl, Log: logger, Limit: cfg.limit, Registry: metrics})
	if err := mon.Load(ctx); err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- mon.Run(runCtx) }()

	var h0, h1 histogram
	var skipped0 float64
	countRows := func() int64 {
		var n int64
		_ = db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM check_results`).Scan(&n)
		return n
	}
	w, werr := measure(ctx, cfg, start, tgt, func() int64 { return int64(metrics.value("sextant_checks_in_flight")) },
		func() {
			h0 = metrics.histogram(lagMetric)
			skipped0 = metrics.value("sextant_check_runs_skipped_total")
		},
		func() {
			h1 = metrics.histogram(lagMetric)
			rep.skipped = int64(metrics.value("sextant_check_runs_skipped_total") - skipped0)
			// Runs started but not yet in the database: in flight, in
			// the monitor's channel, or in the batch being written.
			rep.backlog = int64(h1.count) - countRows()
		})
	stop()
	t := time.Now()
	select {
	case err = <-done:
		rep.shutdown = time.Since(t)
	case <-time.After(time.Minute):
		return errors.New("monitor.Run did not return within a minute of being cancelled")
	}
	if werr != nil {
		return werr
	}
	if err != nil {
		return fmt.Errorf("monitor.Run: %w", err)
	}
	rep.win = w
	rep.hist = h1.minus(h0)
	rep.windowRuns = int(rep.hist.count)
	rep.logErrors = logErrors.Load()

	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	rows, err := db.Reader().QueryContext(ctx, `SELECT check_name, at, outcome FROM check_results WHERE location = $1 AND at >= $2 AND at < $3`,
		monitor.LocationLocal, store.Millis(w.from.Add(-cfg.interval)), store.Millis(w.to.Add(cfg.interval)))
	if err != nil {
		return err
	}
	var runs []runRecord
	for rows.Next() {
		var name, outcome string
		var at int64
		if err := rows.Scan(&name, &at, &outcome); err != nil {
			rows.Close()
			return err
		}
		i, ok := index[name]
		if !ok {
			continue
		}
		t := store.FromMillis(at)
		runs = append(runs, runRecord{check: i, at: t})
		if !t.Before(w.from) && t.Before(w.to) {
			rep.outcomes = setAdd(rep.outcomes, outcome, 1)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rep.analysis = analyse(names, runs, w.from, cfg.interval, int(cfg.duration/cfg.interval))
	rep.lags = rep.analysis.lags
	rep.lagSource = "per run, check_results.at (probe start) minus its due time; 1 ms resolution"
	rep.started = int64(metrics.histogram(lagMetric).count)
	rep.recorded = countRows()

	if db.Engine() == store.SQLite {
		st, err := measureStorage(ctx, db, dataDir, temporary, checks, tl, names, cfg.interval)
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		rep.storage = st
	}
	return nil
}
