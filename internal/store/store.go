// Package store opens Sextant's database — embedded SQLite by default,
// PostgreSQL when a deployment outgrows one machine — and applies the
// versioned migrations embedded in the binary. Every domain package writes
// its own SQL against the one *DB this package returns; the SQL is shared by
// both engines ($N placeholders, RETURNING) and only the DDL is split.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// Engine names the database engine behind a DB.
type Engine string

// The two engines Sextant runs on.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// ErrNotFound is the store-wide "no such row"; domain packages wrap it in
// their own errors so callers can tell a missing service from a broken disk.
var ErrNotFound = errors.New("not found")

// DB is Sextant's handle on its database. On SQLite it holds two pools: many
// readers and one writer, so that writers queue inside the process instead of
// failing with SQLITE_BUSY; on PostgreSQL both are the same pool.
type DB struct {
	engine Engine
	read   *sql.DB
	write  *sql.DB
	log    *slog.Logger
}

// Open connects to the database named by dsn. An empty dsn, or one starting
// with "sqlite:", means SQLite: the file is dsn's path, or sextant.db inside
// dataDir. "postgres://" or "postgresql://" URLs go to PostgreSQL through pgx.
// Open does not migrate; call Migrate.
func Open(ctx context.Context, dsn, dataDir string, log *slog.Logger) (*DB, error) {
	return OpenWith(ctx, dsn, dataDir, log, Options{})
}

// Options adjusts how OpenWith connects; the zero value is what Open and the
// server use.
type Options struct {
	// WrapDriver, when set, wraps the engine's database/sql driver, so that a
	// test can see every statement the code sends (storetest counts them to
	// keep the cost of an event from growing unnoticed).
	WrapDriver func(driver.Driver) driver.Driver
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn, dataDir string, log *slog.Logger, o Options) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn, log, o)
	case dsn == "", strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			if dataDir == "" {
				return nil, errors.New("store: no database given and no data directory")
			}
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return nil, fmt.Errorf("store: create data directory: %w", err)
			}
			path = filepath.Join(dataDir, "sextant.db")
		}
		return openSQLite(ctx, path, log, o)
	default:
		return nil, fmt.Errorf("store: unsupported database %q (use a postgres:// URL, or sqlite:PATH)", redactURL(dsn))
	}
}

// sqlOpen opens a pool on drv, wrapped as o asks.
func (o Options) sqlOpen(drv driver.Driver, dsn string) (*sql.DB, error) {
	if o.WrapDriver != nil {
		return sql.OpenDB(dsnConnector{drv: o.WrapDriver(drv), dsn: dsn}), nil
	}
	if dc, ok := drv.(driver.DriverContext); ok {
		// The driver parses the DSN once for the whole pool.
		c, err := dc.OpenConnector(dsn)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(c), nil
	}
	return sql.OpenDB(dsnConnector{drv: drv, dsn: dsn}), nil
}

// dsnConnector opens each connection of a pool with the same DSN.
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

// Connect opens one connection.
func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }

// Driver returns the driver the connector opens with.
func (c dsnConnector) Driver() driver.Driver { return c.drv }

func openSQLite(ctx context.Context, path string, log *slog.Logger, o Options) (*DB, error) {
	// busy_timeout comes first so that the pragmas after it wait for a lock
	// rather than fail. synchronous=FULL: an acknowledged write survives power
	// loss, not only a crash of the process.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	base := "file:" + path + "?" + q.Encode()
	read, err := o.sqlOpen(&sqlite.Driver{}, base)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	read.SetMaxOpenConns(4)
	write, err := o.sqlOpen(&sqlite.Driver{}, base+"&_txlock=immediate")
	if err != nil {
		read.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	db := &DB{engine: SQLite, read: read, write: write, log: log}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openPostgres(ctx context.Context, dsn string, log *slog.Logger, o Options) (*DB, error) {
	pool, err := o.sqlOpen(stdlib.GetDefaultDriver(), dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres %s: %w", redactURL(dsn), err)
	}
	// Idle connections are kept as many as may be open: pgx keeps its
	// prepared statements per connection, and with database/sql's default of
	// two idle ones, the ingester's commit loops and the readers beside them
	// would close and reopen connections (and prepare everything again) all
	// the time.
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{engine: Postgres, read: pool, write: pool, log: log}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// redactURL hides a password in a database URL so that it can be logged.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// Engine reports which engine this DB runs on.
func (db *DB) Engine() Engine { return db.engine }

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", db.engine, err)
	}
	return nil
}

// Close releases both pools.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Migrate applies every embedded migration not yet applied, each in its own
// transaction. On PostgreSQL a session lock keeps two replicas that start
// together from migrating at once.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.engine))
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	// A migration numbered below one already applied (work that landed in
	// another order) is applied rather than refused.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	if db.engine == Postgres {
		dialect = goose.DialectPostgres
		// The lock is per schema: replicas sharing a schema migrate one at a
		// time, while databases in other schemas (tests run each in a fresh
		// one) never wait for each other.
		var schema string
		if err := db.write.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		h := fnv.New64a()
		_, _ = h.Write([]byte("sextant-migrate:" + schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.write, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		applied = append(applied, r.Source.Path)
		db.log.Info("migration applied", "engine", db.engine, "migration", r.Source.Path, "duration", r.Duration)
	}
	if err != nil {
		return applied, fmt.Errorf("store: migrate: %w", err)
	}
	return applied, nil
}

// Querier is what both a DB and a Tx offer for reading and writing rows, so
// that repository functions can run inside or outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Reader returns the pool for queries that only read.
func (db *DB) Reader() Querier { return db.read }

// Writer returns the pool for single statements that write.
func (db *DB) Writer() Querier { return db.write }

// PrepareWrite prepares query on the write pool, for a statement that many
// transactions reuse through tx.StmtContext instead of compiling it again
// each time. On SQLite, whose write pool is one connection, it waits for
// the transaction under way: never call it from inside one.
func (db *DB) PrepareWrite(ctx context.Context, query string) (*sql.Stmt, error) {
	return db.write.PrepareContext(ctx, query)
}

// Tx runs fn in a write transaction and commits when fn returns nil. On
// SQLite the transaction takes the write lock at BEGIN (BEGIN IMMEDIATE), so
// a read-then-write inside fn cannot fail halfway with SQLITE_BUSY.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint failure, on
// either engine, so that callers can answer "already exists".
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a refused reference (a row
// still referred to, or a reference to a missing row), on either engine.
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// Millis is how Sextant stores an instant: integer milliseconds since the
// Unix epoch, the same on both engines and exact to well below a second.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// FromMillis turns a stored instant back into a UTC time.
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// NullMillis stores an optional instant: the zero time becomes NULL.
func NullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// FromNullMillis reads an optional instant; NULL becomes the zero time.
func FromNullMillis(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return FromMillis(n.Int64)
}

// Serialize makes concurrent transactions that call it with the same key run
// one after another, for writes that validate a whole set of rows first (a
// dependency cycle check must not race another write). SQLite's write
// transactions are already serial; PostgreSQL takes a transaction-scoped
// advisory lock.
func (db *DB) Serialize(ctx context.Context, tx *sql.Tx, key string) error {
	if db.engine != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, key); err != nil {
		return fmt.Errorf("store: lock %q: %w", key, err)
	}
	return nil
}
