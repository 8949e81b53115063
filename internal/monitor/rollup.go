package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/store"
)

// Rollup is a check's results at one location over an hour or a day.
type Rollup struct {
	Check       string    `json:"check"`
	Location    string    `json:"location"`
	Granularity string    `json:"granularity"`
	Bucket      time.Time `json:"bucket"`
	Count       int       `json:"count"`
	Failures    int       `json:"failures"`
	Degraded    int       `json:"degraded"`
	LatencyP50  float64   `json:"latency_p50_ms"`
	LatencyP95  float64   `json:"latency_p95_ms"`
	LatencyP99  float64   `json:"latency_p99_ms"`
	LatencyMax  float64   `json:"latency_max_ms"`
}

// How long rollups are kept: hourly ones for a quarter, daily ones for two
// years, so that storage stays bounded at every level.
const (
	HourlyRetention = 92 * duration.Day
	DailyRetention  = 2 * 366 * duration.Day
)

// Housekeep rolls finished hours and days of raw results into rollups and
// deletes what is past its retention, so storage stays bounded: raw rows
// for RawRetention, hourly rollups for HourlyRetention, daily ones for
// DailyRetention.
func (m *Monitor) Housekeep(ctx context.Context) {
	m.housekeeping.Lock()
	defer m.housekeeping.Unlock()
	now := m.now().UTC()
	if err := m.rollUp(ctx, now); err != nil && ctx.Err() == nil {
		m.log.Error("roll up check results", "err", err)
	}
	for _, d := range []struct {
		query  string
		cutoff time.Time
	}{
		{`DELETE FROM check_results WHERE id IN (SELECT id FROM check_results WHERE at < $1 LIMIT 5000)`, now.Add(-m.o.RawRetention)},
		{`DELETE FROM check_rollups WHERE granularity = 'hour' AND bucket < $1`, now.Add(-HourlyRetention)},
		{`DELETE FROM check_rollups WHERE granularity = 'day' AND bucket < $1`, now.Add(-DailyRetention)},
	} {
		// Deleted in chunks, so the single SQLite writer is never held for
		// long and results keep flowing in between.
		for ctx.Err() == nil {
			res, err := m.o.DB.Writer().ExecContext(ctx, d.query, store.Millis(d.cutoff))
			if err != nil {
				if ctx.Err() == nil {
					m.log.Error("delete expired check data", "err", err)
				}
				break
			}
			if n, _ := res.RowsAffected(); n < 5000 {
				break
			}
		}
	}
}

func (m *Monitor) rollUp(ctx context.Context, now time.Time) error {
	// Resume after the last hour rolled up, or from the oldest raw result.
	if m.lastHour.IsZero() {
		var last, first sql.NullInt64
		if err := m.o.DB.Reader().QueryRowContext(ctx, `SELECT MAX(bucket) FROM check_rollups WHERE granularity = 'hour'`).Scan(&last); err != nil {
			return err
		}
		if last.Valid {
			m.lastHour = store.FromMillis(last.Int64)
		} else {
			if err := m.o.DB.Reader().QueryRowContext(ctx, `SELECT MIN(at) FROM check_results`).Scan(&first); err != nil {
				return err
			}
			if !first.Valid {
				return nil
			}
			m.lastHour = store.FromMillis(first.Int64).Truncate(time.Hour).Add(-time.Hour)
		}
	}
	current := now.Truncate(time.Hour)
	for h := m.lastHour.Add(time.Hour); h.Before(current); h = h.Add(time.Hour) {
		if err := m.rollBucket(ctx, "hour", h, h.Add(time.Hour)); err != nil {
			return err
		}
		m.lastHour = h
		// A day is rolled up when its last hour is.
		if next := h.Add(time.Hour); next.Equal(next.Truncate(duration.Day)) {
			day := next.Add(-duration.Day)
			if err := m.rollBucket(ctx, "day", day, next); err != nil {
				return err
			}
		}
	}
	return nil
}

// rollBucket aggregates raw results in [from, to) per check and location,
// streaming them in check order so memory stays small.
func (m *Monitor) rollBucket(ctx context.Context, granularity string, from, to time.Time) error {
	rows, err := m.o.DB.Reader().QueryContext(ctx, `SELECT check_name, location, outcome, latency FROM check_results
		WHERE at >= $1 AND at < $2 ORDER BY check_name, location`, store.Millis(from), store.Millis(to))
	if err != nil {
		return fmt.Errorf("monitor: roll up: %w", err)
	}
	var out []Rollup
	var cur *Rollup
	var lats []int64
	finish := func() {
		if cur == nil {
			return
		}
		slices.Sort(lats)
		cur.LatencyP50, cur.LatencyP95, cur.LatencyP99 = pct(lats, 50), pct(lats, 95), pct(lats, 99)
		cur.LatencyMax = float64(lats[len(lats)-1]) / 1000
		out = append(out, *cur)
	}
	for rows.Next() {
		var check, loc, outcome string
		var lat int64
		if err := rows.Scan(&check, &loc, &outcome, &lat); err != nil {
			rows.Close()
			return err
		}
		if cur == nil || cur.Check != check || cur.Location != loc {
			finish()
			cur, lats = &Rollup{Check: check, Location: loc, Granularity: granularity, Bucket: from}, lats[:0]
		}
		cur.Count++
		switch outcome {
		case availability.Down.String():
			cur.Failures++
		case availability.Degraded.String():
			cur.Degraded++
		}
		lats = append(lats, lat)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	finish()
	if len(out) == 0 {
		return nil
	}
	return m.o.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, r := range out {
			if _, err := tx.ExecContext(ctx, `INSERT INTO check_rollups (check_name, location, granularity, bucket, count, failures, degraded, latency_p50, latency_p95, latency_p99, latency_max)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT (check_name, location, granularity, bucket) DO UPDATE SET count = excluded.count, failures = excluded.failures, degraded = excluded.degraded,
				latency_p50 = excluded.latency_p50, latency_p95 = excluded.latency_p95, latency_p99 = excluded.latency_p99, latency_max = excluded.latency_max`,
				r.Check, r.Location, r.Granularity, store.Millis(r.Bucket), r.Count, r.Failures, r.Degraded,
				int64(r.LatencyP50*1000), int64(r.LatencyP95*1000), int64(r.LatencyP99*1000), int64(r.LatencyMax*1000)); err != nil {
				if store.IsForeignKeyViolation(err) {
					continue // the check was deleted meanwhile
				}
				return fmt.Errorf("monitor: save rollup: %w", err)
			}
		}
		return nil
	})
}

// pct is the nearest-rank percentile of sorted microsecond latencies, in
// milliseconds.
func pct(sorted []int64, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := (p*len(sorted)+99)/100 - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / 1000
}

// Rollups returns a check's rollups of one granularity in [from, to).
func (m *Monitor) Rollups(ctx context.Context, name, granularity string, from, to time.Time) ([]Rollup, error) {
	rows, err := m.o.DB.Reader().QueryContext(ctx, `SELECT location, bucket, count, failures, degraded, latency_p50, latency_p95, latency_p99, latency_max
		FROM check_rollups WHERE check_name = $1 AND granularity = $2 AND bucket >= $3 AND bucket < $4 ORDER BY bucket, location`,
		name, granularity, store.Millis(from), store.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("monitor: rollups: %w", err)
	}
	defer rows.Close()
	out := []Rollup{}
	for rows.Next() {
		r := Rollup{Check: name, Granularity: granularity}
		var b, p50, p95, p99, mx int64
		if err := rows.Scan(&r.Location, &b, &r.Count, &r.Failures, &r.Degraded, &p50, &p95, &p99, &mx); err != nil {
			return nil, err
		}
		r.Bucket = store.FromMillis(b)
		r.LatencyP50, r.LatencyP95, r.LatencyP99, r.LatencyMax = float64(p50)/1000, float64(p95)/1000, float64(p99)/1000, float64(mx)/1000
		out = append(out, r)
	}
	return out, rows.Err()
}
