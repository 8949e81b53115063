package kpi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Store keeps the frozen monthly reports and their corrections.
type Store struct {
	DB *store.DB
}

// frozen reads the report frozen for month and service.
func (s *Store) frozen(ctx context.Context, q store.Querier, month, service string) (Report, bool, error) {
	var body string
	var at int64
	err := q.QueryRowContext(ctx, `SELECT body, frozen_at FROM kpi_snapshots WHERE month = $1 AND service = $2`, month, service).Scan(&body, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, false, nil
	}
	if err != nil {
		return Report{}, false, fmt.Errorf("kpi: read the frozen report: %w", err)
	}
	var r Report
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return Report{}, false, fmt.Errorf("kpi: the frozen report of %s does not decode: %w", month, err)
	}
	r.Snapshot = &Snapshot{FrozenAt: store.FromMillis(at), Digest: r.Digest}
	return r, true, nil
}

// freeze stores r as its month's frozen report unless one is stored (a
// replica may have frozen it first); it answers the one that is.
func (s *Store) freeze(ctx context.Context, q store.Querier, r Report, now time.Time) (Report, error) {
	r.Snapshot, r.Correction = nil, nil
	body, err := json.Marshal(r)
	if err != nil {
		return Report{}, err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO kpi_snapshots (month, service, digest, body, frozen_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (month, service) DO NOTHING`, r.Month, r.Service, r.Digest, string(body), store.Millis(now)); err != nil {
		return Report{}, fmt.Errorf("kpi: freeze the report of %s: %w", r.Month, err)
	}
	out, _, err := s.frozen(ctx, q, r.Month, r.Service)
	return out, err
}

// correction records (once per digest) a recomputation that differs from
// the frozen report, and answers when it was first seen.
func (s *Store) correction(ctx context.Context, r Report, now time.Time) (time.Time, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return now, err
	}
	if _, err := s.DB.Writer().ExecContext(ctx, `INSERT INTO kpi_corrections (month, service, digest, body, detected_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (month, service, digest) DO NOTHING`, r.Month, r.Service, r.Digest, string(body), store.Millis(now)); err != nil {
		return now, fmt.Errorf("kpi: record a correction: %w", err)
	}
	var at int64
	if err := s.DB.Reader().QueryRowContext(ctx, `SELECT detected_at FROM kpi_corrections WHERE month = $1 AND service = $2 AND digest = $3`,
		r.Month, r.Service, r.Digest).Scan(&at); err != nil {
		return now, fmt.Errorf("kpi: read a correction: %w", err)
	}
	return store.FromMillis(at), nil
}

// Monthly answers monthly reports: computed while the month runs, frozen
// the first time it is asked for (or mailed) once the month has closed,
// and from then on the frozen figures, with a correction beside them when
// a recomputation differs.
type Monthly struct {
	Builder *Builder
	Store   *Store
}

// Report is the report of month for service ("" overall).
func (m *Monthly) Report(ctx context.Context, month Month, service string) (Report, error) {
	r, err := m.Builder.Build(ctx, month, service)
	if err != nil {
		return Report{}, err
	}
	if !r.Closed || m.Store == nil {
		return r, nil
	}
	now := m.Builder.now()
	frozen, ok, err := m.Store.frozen(ctx, m.Store.DB.Reader(), r.Month, service)
	if err != nil {
		return Report{}, err
	}
	if !ok {
		return m.Store.freeze(ctx, m.Store.DB.Writer(), r, now)
	}
	if frozen.Digest == r.Digest {
		return frozen, nil
	}
	at, err := m.Store.correction(ctx, r, now)
	if err != nil {
		return Report{}, err
	}
	frozen.Correction = &Correction{DetectedAt: at, Digest: r.Digest, Changes: Diffs(frozen, r)}
	if frozen.Correction.Changes == nil {
		frozen.Correction.Changes = []Diff{}
	}
	return frozen, nil
}
