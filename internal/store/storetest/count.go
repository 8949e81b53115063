package storetest

import (
	"context"
	"database/sql/driver"
	"sync/atomic"
	"testing"

	"github.com/sextant-ops/sextant/internal/store"
)

// Counts is what code sent to the database through database/sql, counted
// at the driver: the statements run and the calls around them.
type Counts struct {
	// Statements counts every Exec and Query, prepared or not.
	Statements int64
	// Prepares counts statements prepared explicitly; Closes counts the
	// prepared statements closed again.
	Prepares, Closes int64
	// Begins, Commits and Rollbacks count transactions.
	Begins, Commits, Rollbacks int64
	// Pipelined counts the round trips saved by sending statements
	// together (store.Pipe: BEGIN with the first query, COMMIT with the
	// last statement).
	Pipelined int64
}

// RoundTrips is how many times the caller waited for PostgreSQL's answer:
// one per statement, per BEGIN, COMMIT and ROLLBACK, per explicit prepare
// and per close of a prepared statement (pgx deallocates it on the server).
// It is exact for PostgreSQL once each statement text has been used on the
// connection (pgx caches what it prepares implicitly per connection); a
// test warms the connection up before it counts. On SQLite nothing leaves
// the process, so the figure only says how many calls were made.
func (c Counts) RoundTrips() int64 {
	return c.Statements + c.Prepares + c.Closes + c.Begins + c.Commits + c.Rollbacks - c.Pipelined
}

// Sub is c minus an earlier reading.
func (c Counts) Sub(o Counts) Counts {
	return Counts{c.Statements - o.Statements, c.Prepares - o.Prepares, c.Closes - o.Closes,
		c.Begins - o.Begins, c.Commits - o.Commits, c.Rollbacks - o.Rollbacks, c.Pipelined - o.Pipelined}
}

// Counter counts the calls of every connection of one DB; see OpenCounting.
type Counter struct {
	statements, prepares, closes, begins, commits, rollbacks, pipelined atomic.Int64
}

// Read returns the counts so far.
func (c *Counter) Read() Counts {
	return Counts{c.statements.Load(), c.prepares.Load(), c.closes.Load(), c.begins.Load(), c.commits.Load(), c.rollbacks.Load(), c.pipelined.Load()}
}

// OpenCounting opens and migrates a fresh database on engine e whose every
// driver call is counted by the returned Counter.
func OpenCounting(t testing.TB, e Engine) (*store.DB, *Counter) {
	t.Helper()
	c := &Counter{}
	dsn, dir := e.DSN(t)
	db, err := store.OpenWith(context.Background(), dsn, dir, nil, store.Options{
		WrapDriver: func(d driver.Driver) driver.Driver { return countingDriver{d, c} },
	})
	if err != nil {
		t.Fatalf("open %s: %v", e.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", e.Name, err)
	}
	return db, c
}

type countingDriver struct {
	driver.Driver
	c *Counter
}

func (d countingDriver) Open(name string) (driver.Conn, error) {
	conn, err := d.Driver.Open(name)
	if err != nil {
		return nil, err
	}
	return &countingConn{conn, d.c}, nil
}

// countingConn passes every call on to the driver's connection, which on
// both engines implements the context interfaces below; a missing one is
// reported as driver.ErrSkip so that database/sql falls back as it would.
type countingConn struct {
	driver.Conn
	c *Counter
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	pc, ok := c.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	st, err := pc.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.c.prepares.Add(1)
	return &countingStmt{st, c.c}, nil
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	bc, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.c.begins.Add(1)
	tx, err := bc.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return countingTx{tx, c.c}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ec, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	// store.Pipe sends a transaction's BEGIN, COMMIT or ROLLBACK as a
	// statement when it travels alone: it counts as what it is.
	switch query {
	case "BEGIN":
		c.c.begins.Add(1)
	case "COMMIT":
		c.c.commits.Add(1)
	case "ROLLBACK":
		c.c.rollbacks.Add(1)
	default:
		c.c.statements.Add(1)
	}
	return ec.ExecContext(ctx, query, args)
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	qc, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.c.statements.Add(1)
	return qc.QueryContext(ctx, query, args)
}

// Unwrap gives store.Pipe the driver's own connection.
func (c *countingConn) Unwrap() driver.Conn { return c.Conn }

// ObservePipe counts what a store.Pipe sent past database/sql: the
// statements, BEGINs and COMMITs, and the round trips they shared.
func (c *countingConn) ObservePipe(statements, begins, commits, roundTrips int) {
	c.c.statements.Add(int64(statements))
	c.c.begins.Add(int64(begins))
	c.c.commits.Add(int64(commits))
	c.c.pipelined.Add(int64(statements + begins + commits - roundTrips))
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type countingTx struct {
	driver.Tx
	c *Counter
}

func (t countingTx) Commit() error {
	t.c.commits.Add(1)
	return t.Tx.Commit()
}

func (t countingTx) Rollback() error {
	t.c.rollbacks.Add(1)
	return t.Tx.Rollback()
}

type countingStmt struct {
	driver.Stmt
	c *Counter
}

func (s *countingStmt) Close() error {
	s.c.closes.Add(1)
	return s.Stmt.Close()
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.statements.Add(1)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.statements.Add(1)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *countingStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
