package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/sextant-ops/sextant/internal/store"
)

// freshSchema makes an empty schema with a random name in the PostgreSQL
// database at base and returns a URL whose connections use it, and a
// function that drops it again.
func freshSchema(ctx context.Context, base string) (schema, dsn string, drop func() error, err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", "", nil, fmt.Errorf("-db: %w", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema = "bench_events_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base) // registered by internal/store
	if err != nil {
		return "", "", nil, err
	}
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return "", "", nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop = func() error {
		defer admin.Close()
		_, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		return err
	}
	return schema, u.String(), drop, nil
}

// stored is what the server left in its database.
type stored struct {
	events     int64
	byAction   map[string]int64
	linked     int64 // events with an incident
	incidents  int64
	open       int64
	eventCount int64 // SUM(incidents.event_count): triggers applied
	logRows    int64
	stateRows  int64
	fileBytes  int64 // SQLite: database file and its WAL
}

// countRows opens the server's database after the server stopped (SQLite
// in its data directory, or the PostgreSQL schema) and counts the rows the
// events left.
func countRows(ctx context.Context, dsn, dataDir string) (*stored, error) {
	db, err := store.Open(ctx, dsn, dataDir, nil)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	q := db.Reader()
	st := &stored{byAction: map[string]int64{}}
	rows, err := q.QueryContext(ctx, `SELECT action, COUNT(*), COUNT(incident_id) FROM events GROUP BY action`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var action string
		var n, linked int64
		if err := rows.Scan(&action, &n, &linked); err != nil {
			return nil, err
		}
		st.byAction[action], st.events, st.linked = n, st.events+n, st.linked+linked
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE status <> 'resolved'), COALESCE(SUM(event_count), 0) FROM incidents`).
		Scan(&st.incidents, &st.open, &st.eventCount); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_log`).Scan(&st.logRows); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM state_transitions`).Scan(&st.stateRows); err != nil {
		return nil, err
	}
	if dsn == "" {
		for _, name := range []string{"sextant.db", "sextant.db-wal"} {
			if fi, err := os.Stat(filepath.Join(dataDir, name)); err == nil {
				st.fileBytes += fi.Size()
			}
		}
	}
	return st, nil
}
