package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestPipe: a Pipe's first query carries its BEGIN and its last statement
// its COMMIT (two round trips for two statements); what fails, or is
// given up, is rolled back and leaves the pool working; statements
// before any query begin the transaction on their own; SQLite refuses.
func TestPipe(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			db, counter := storetest.OpenCounting(t, e)
			ctx := context.Background()
			if e.Name != "postgres" {
				if err := db.Pipe(ctx, func(*store.Pipe) error { return nil }); err == nil {
					t.Fatal("a Pipe on SQLite")
				}
				return
			}
			if _, err := db.Writer().ExecContext(ctx, `CREATE TABLE pipe_test (k TEXT PRIMARY KEY, v BIGINT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			count := func() (n int64) {
				t.Helper()
				if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM pipe_test`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			insert := `INSERT INTO pipe_test (k, v) SELECT k, 1 FROM unnest($1::text[]) AS u(k) RETURNING v`
			write := func(keys []string) error {
				return db.Pipe(ctx, func(p *store.Pipe) error {
					var seen int64
					if err := p.Query(ctx, `SELECT COUNT(*) FROM pipe_test WHERE k = ANY($1::text[])`, []any{keys}, func(r store.Rows) error {
						for r.Next() {
							if err := r.Scan(&seen); err != nil {
								return err
							}
						}
						return nil
					}); err != nil {
						return err
					}
					var got int
					return p.CommitWith(ctx, insert, []any{keys}, func(r store.Rows) error {
						for r.Next() {
							got++
						}
						if got != len(keys) {
							return errors.New("rows missing")
						}
						return nil
					})
				})
			}
			// Warm the connection's statement cache, as a running server's is.
			if err := write([]string{"warm"}); err != nil {
				t.Fatal(err)
			}
			before := counter.Read()
			if err := write([]string{"a", "b"}); err != nil {
				t.Fatal(err)
			}
			got := counter.Read().Sub(before)
			if got.Statements != 2 || got.Begins != 1 || got.Commits != 1 || got.RoundTrips() != 2 {
				t.Errorf("two statements cost %+v, %d round trips; want 2 statements, 1 BEGIN, 1 COMMIT, 2 round trips", got, got.RoundTrips())
			}
			if n := count(); n != 3 {
				t.Fatalf("%d rows after the commit, want 3", n)
			}
			// The last statement fails (a key already there): nothing of the
			// transaction stays, and the pool goes on working.
			if err := write([]string{"c", "a"}); !store.IsUniqueViolation(err) {
				t.Fatalf("duplicate key: %v", err)
			}
			// Given up after the first query: rolled back.
			gaveUp := errors.New("given up")
			err := db.Pipe(ctx, func(p *store.Pipe) error {
				if err := p.Query(ctx, `SELECT 1`, nil, func(store.Rows) error { return nil }); err != nil {
					return err
				}
				if _, err := p.ExecContext(ctx, `INSERT INTO pipe_test (k, v) VALUES ('d', 1)`); err != nil {
					return err
				}
				return gaveUp
			})
			if !errors.Is(err, gaveUp) {
				t.Fatal(err)
			}
			if n := count(); n != 3 {
				t.Fatalf("%d rows after two failed transactions, want 3", n)
			}
			// A statement first: BEGIN goes alone; DB.Pipe commits.
			before = counter.Read()
			err = db.Pipe(ctx, func(p *store.Pipe) error {
				_, err := p.ExecContext(ctx, `INSERT INTO pipe_test (k, v) VALUES ('e', 1)`)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := counter.Read().Sub(before); got.Begins != 1 || got.Commits != 1 || got.RoundTrips() != 3 {
				t.Errorf("a lone statement cost %+v, want BEGIN, the statement, COMMIT", got)
			}
			if n := count(); n != 4 {
				t.Fatalf("%d rows, want 4", n)
			}
		})
	}
}
