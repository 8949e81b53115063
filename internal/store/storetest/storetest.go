// Package storetest runs a test against every database engine Sextant
// supports: SQLite in a temporary directory always, and PostgreSQL when
// SEXTANT_TEST_POSTGRES holds a URL. Each PostgreSQL run gets a schema of its
// own, dropped afterwards, so tests never see each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/sextant-ops/sextant/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "SEXTANT_TEST_POSTGRES"

// Engine is one database a test runs on.
type Engine struct {
	Name string
	// DSN opens a fresh, empty, unmigrated database for the calling test.
	DSN func(t testing.TB) (dsn, dataDir string)
}

// Engines lists the engines of this test run. Without SEXTANT_TEST_POSTGRES
// the PostgreSQL half skips itself with a message saying how to run it —
// unless CI=true, where a missing engine fails the test.
func Engines(t testing.TB) []Engine {
	engines := []Engine{{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }}}
	pg := os.Getenv(EnvPostgres)
	if pg == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set but CI=true: the PostgreSQL half of the suite must run in CI", EnvPostgres)
		}
		return append(engines, Engine{Name: "postgres", DSN: func(t testing.TB) (string, string) {
			t.Skipf("PostgreSQL not configured: set %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run this test on it", EnvPostgres)
			return "", ""
		}})
	}
	return append(engines, Engine{Name: "postgres", DSN: func(t testing.TB) (string, string) { return freshSchema(t, pg), "" }})
}

// Run calls fn once per engine, as a subtest named after it, with a migrated
// database that is closed when the subtest ends.
func Run(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open opens and migrates a fresh database on engine e for t.
func Open(t testing.TB, e Engine) *store.DB {
	t.Helper()
	dsn, dir := e.DSN(t)
	db, err := store.Open(context.Background(), dsn, dir, nil)
	if err != nil {
		t.Fatalf("open %s: %v", e.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", e.Name, err)
	}
	return db
}

// freshSchema creates a uniquely named schema and returns a URL whose
// search_path points at it.
func freshSchema(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("postgres at %s unreachable or refused CREATE SCHEMA: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		c, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("bad %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// PostgresDSN is a fresh schema's URL for a test that opens several
// connections to one PostgreSQL database, as replicas do. Without
// SEXTANT_TEST_POSTGRES it skips the test (fails it when CI=true).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	for _, e := range Engines(t) {
		if e.Name == "postgres" {
			dsn, _ := e.DSN(t)
			return dsn
		}
	}
	t.Fatal("storetest: no postgres engine")
	return ""
}

// OpenAt opens and migrates the database at dsn for t, closed when t ends;
// each call is another server's pool on the same database.
func OpenAt(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, "", nil)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}
