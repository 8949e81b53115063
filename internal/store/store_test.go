package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if len(applied) != 0 {
			t.Fatalf("second migrate applied %v, want nothing", applied)
		}
	})
}

func TestSharedSQLAndUniqueViolation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
		insert := func(q store.Querier) error {
			_, err := q.ExecContext(ctx, `INSERT INTO services (name, spec, source, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
				"payroll", `{}`, "api", store.Millis(now))
			return err
		}
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return insert(tx) }); err != nil {
			t.Fatalf("insert: %v", err)
		}
		err := insert(db.Writer())
		if !store.IsUniqueViolation(err) {
			t.Fatalf("second insert: got %v, want a unique violation", err)
		}
		var at int64
		if err := db.Reader().QueryRowContext(ctx, `SELECT created_at FROM services WHERE name = $1`, "payroll").Scan(&at); err != nil {
			t.Fatalf("select: %v", err)
		}
		if got := store.FromMillis(at); !got.Equal(now) {
			t.Fatalf("created_at = %v, want %v", got, now)
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO calendars (name, spec, source, created_at, updated_at) VALUES ($1, '{}', 'api', 0, 0)`, "office"); err != nil {
				return err
			}
			return context.Canceled
		})
		if err != context.Canceled {
			t.Fatalf("Tx = %v, want the callback's error", err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM calendars`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d calendars after rollback, want 0", n)
		}
	})
}

func TestOpenRefusesUnknownScheme(t *testing.T) {
	_, err := store.Open(context.Background(), "mysql://user:secret@host/db", t.TempDir(), nil)
	if err == nil {
		t.Fatal("Open accepted mysql://")
	}
	if got := err.Error(); contains(got, "secret") {
		t.Fatalf("error leaks the password: %s", got)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
