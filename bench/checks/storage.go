package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// space is what one table, with its indexes, takes on disk.
type space struct {
	pages   int64 // bytes of the pages, free space inside them included
	payload int64 // bytes of the records themselves
}

// storage is what the results of the run cost on SQLite.
type storage struct {
	rawRows, hourRows, dayRows int64
	avgName, avgReason         float64
	// live is as written by the run; packed after VACUUM. Keys are
	// check_results and check_rollups, each with its indexes.
	live, packed map[string]space
	dbstatErr    error
	// fileRaw and fileRollup are bytes per row from the file size: VACUUM,
	// delete the table's rows, VACUUM again. Zero when the database is
	// not the harness's own.
	fileRaw, fileRollup float64
	housekeep           time.Duration
	// hk is Housekeep at full scale, on synthetic rows; nil when the
	// database is not the harness's own.
	hk *housekeeping
}

// housekeeping is what the monitor's Housekeep costs at full scale: one
// finished hour of raw results to roll up, and ten minutes' worth of raw
// results past the retention to delete (it runs every ten minutes).
type housekeeping struct {
	hourRows, expiredRows int64
	insert                time.Duration // the harness writing the synthetic rows
	rollup, delete        time.Duration // wall time of each Housekeep
	rollupCPU, deleteCPU  time.Duration // process CPU during each
}

// measureStorage rolls the run's raw results up into hourly and daily
// rollups with the monitor's own Housekeep (a second Monitor whose clock
// is two days ahead, so the run's hours and day count as finished), then
// measures bytes per row with SQLite's dbstat table and, on the harness's
// own temporary database, from file sizes. It changes the database, so it
// runs after the benchmark.
func measureStorage(ctx context.Context, db *store.DB, dataDir string, temporary bool, checks *monitor.Store, tl *timeline.Store, names []string, interval time.Duration) (*storage, error) {
	st := &storage{}
	w := db.Writer()
	if err := w.QueryRowContext(ctx, `SELECT COUNT(*), AVG(LENGTH(check_name)), AVG(LENGTH(reason)) FROM check_results`).Scan(&st.rawRows, &st.avgName, &st.avgReason); err != nil {
		return nil, err
	}
	ahead := func() time.Time { return time.Now().Add(49 * time.Hour) }
	t := time.Now()
	monitor.New(monitor.Options{DB: db, Checks: checks, Timeline: tl, Now: ahead}).Housekeep(ctx)
	st.housekeep = time.Since(t)
	if err := w.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE granularity = 'hour'), COUNT(*) FILTER (WHERE granularity = 'day') FROM check_rollups`).Scan(&st.hourRows, &st.dayRows); err != nil {
		return nil, err
	}
	st.live, st.dbstatErr = dbstat(ctx, w)
	if !temporary {
		return st, nil
	}
	path := filepath.Join(dataDir, "sextant.db")
	size := func() (int64, error) {
		if _, err := w.ExecContext(ctx, `VACUUM`); err != nil {
			return 0, err
		}
		if _, err := w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return 0, err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	}
	full, err := size()
	if err != nil {
		return nil, err
	}
	if st.dbstatErr == nil {
		st.packed, _ = dbstat(ctx, w)
	}
	if _, err := w.ExecContext(ctx, `DELETE FROM check_results`); err != nil {
		return nil, err
	}
	noRaw, err := size()
	if err != nil {
		return nil, err
	}
	if _, err := w.ExecContext(ctx, `DELETE FROM check_rollups`); err != nil {
		return nil, err
	}
	none, err := size()
	if err != nil {
		return nil, err
	}
	if st.rawRows > 0 {
		st.fileRaw = float64(full-noRaw) / float64(st.rawRows)
	}
	if n := st.hourRows + st.dayRows; n > 0 {
		st.fileRollup = float64(noRaw-none) / float64(n)
	}
	st.hk, err = measureHousekeeping(ctx, db, checks, tl, names, interval)
	return st, err
}

// measureHousekeeping fills the (by now empty) results table with one
// finished hour of results for every check, two hours ago, and times the
// Housekeep that rolls it up; then adds ten minutes of results just past
// the 7-day retention and times the Housekeep that deletes them. The rows
// are what Record writes for a healthy check.
func measureHousekeeping(ctx context.Context, db *store.DB, checks *monitor.Store, tl *timeline.Store, names []string, interval time.Duration) (*housekeeping, error) {
	hk := &housekeeping{}
	now := time.Now()
	hour := now.Add(-2 * time.Hour).Truncate(time.Hour)
	expired := now.Add(-7*24*time.Hour - 20*time.Minute)
	fill := func(from time.Time, span time.Duration) (int64, error) {
		var n int64
		per := int(span / interval)
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO check_results (check_name, location, at, outcome, latency, reason) VALUES ($1, $2, $3, $4, $5, $6)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for i, name := range names {
				p := phase(name, interval)
				for k := range per {
					at := from.Add(p + time.Duration(k)*interval)
					if _, err := stmt.ExecContext(ctx, name, monitor.LocationLocal, store.Millis(at), "up", 800+(i*7+k*13)%1500, "all conditions met"); err != nil {
						return err
					}
					n++
				}
			}
			return nil
		})
		return n, err
	}
	t := time.Now()
	var err error
	if hk.hourRows, err = fill(hour, time.Hour); err != nil {
		return nil, err
	}
	hk.insert = time.Since(t)
	m := monitor.New(monitor.Options{DB: db, Checks: checks, Timeline: tl})
	u, t := rusage(), time.Now()
	m.Housekeep(ctx)
	hk.rollup, hk.rollupCPU = time.Since(t), rusage().cpu-u.cpu
	if hk.expiredRows, err = fill(expired, 10*time.Minute); err != nil {
		return nil, err
	}
	u, t = rusage(), time.Now()
	m.Housekeep(ctx)
	hk.delete, hk.deleteCPU = time.Since(t), rusage().cpu-u.cpu
	var left int64
	if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM check_results WHERE at < $1`, store.Millis(now.Add(-7*24*time.Hour))).Scan(&left); err != nil {
		return nil, err
	}
	if left != 0 {
		return nil, fmt.Errorf("housekeeping left %d expired rows", left)
	}
	var rolled int64
	if err := db.Reader().QueryRowContext(ctx, `SELECT COALESCE(SUM(count), 0) FROM check_rollups WHERE granularity = 'hour' AND bucket = $1`, store.Millis(hour)).Scan(&rolled); err != nil {
		return nil, err
	}
	if rolled != hk.hourRows {
		return nil, fmt.Errorf("hourly rollups count %d results, %d were written", rolled, hk.hourRows)
	}
	return hk, nil
}

// dbstat sums SQLite's dbstat virtual table per table, indexes included.
func dbstat(ctx context.Context, q store.Querier) (map[string]space, error) {
	rows, err := q.QueryContext(ctx, `SELECT s.tbl_name, SUM(d.pgsize), SUM(d.payload) FROM dbstat AS d JOIN sqlite_schema AS s ON s.name = d.name
		WHERE s.tbl_name IN ('check_results', 'check_rollups') GROUP BY s.tbl_name`)
	if err != nil {
		return nil, fmt.Errorf("dbstat: %w", err)
	}
	defer rows.Close()
	out := map[string]space{}
	for rows.Next() {
		var name string
		var s space
		if err := rows.Scan(&name, &s.pages, &s.payload); err != nil {
			return nil, err
		}
		out[name] = s
	}
	return out, rows.Err()
}
