package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Pipe is a write transaction on PostgreSQL that saves the round trips
// of BEGIN and COMMIT: BEGIN travels with the transaction's first query
// (Query) and COMMIT with its last statement (CommitWith), each pair in
// one pgx batch, so a transaction of two statements costs two round trips
// instead of four. In between, it runs statements as a *sql.Tx would, on
// the same connection. A statement run before any Query sends BEGIN on
// its own first; a transaction that never calls CommitWith is committed
// by DB.Pipe with a plain COMMIT.
//
// Every round trip waits for PostgreSQL's process to be scheduled, run
// and answered; on a busy machine that wait, not the statements, was
// most of the time of a group commit (see docs/PERFORMANCE.md).
type Pipe struct {
	conn  *sql.Conn
	begun bool
	done  bool
	// local holds SET LOCAL statements to send right after BEGIN.
	local []string
}

// SetLocal has the transaction run with setting = value (SET LOCAL),
// sent with its BEGIN, so it costs no round trip of its own. Call it
// before the first statement; later it is sent at once.
func (p *Pipe) SetLocal(ctx context.Context, setting, value string) error {
	stmt := "SET LOCAL " + pgx.Identifier{setting}.Sanitize() + " = " + pgx.Identifier{value}.Sanitize()
	if !p.begun {
		p.local = append(p.local, stmt)
		return nil
	}
	_, err := p.conn.ExecContext(ctx, stmt)
	return err
}

// Rows is what a Pipe's query hands its reader: the rows in order, as
// both *sql.Rows and pgx.Rows give them.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// PipeObserver is implemented by a wrapping driver connection (the tests'
// counting one) that wants to hear of the statements a Pipe sends past
// database/sql: how many statements, BEGINs and COMMITs went out, in how
// many round trips.
type PipeObserver interface {
	ObservePipe(statements, begins, commits, roundTrips int)
}

// Pipe runs fn in a Pipe and commits when fn returns nil and has not
// committed itself. On SQLite it refuses: use Tx.
func (db *DB) Pipe(ctx context.Context, fn func(p *Pipe) error) (err error) {
	if db.engine != Postgres {
		return errors.New("store: Pipe is for PostgreSQL")
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	p := &Pipe{conn: conn}
	defer func() {
		if p.begun && !p.done {
			p.rollback()
		}
		conn.Close()
	}()
	if err = fn(p); err != nil {
		return err
	}
	if !p.done && p.begun {
		p.done = true
		if _, err = conn.ExecContext(ctx, "COMMIT"); err != nil {
			p.discard()
			return fmt.Errorf("store: commit: %w", err)
		}
	}
	return nil
}

// rollback ends a failed transaction; should that fail too, the
// connection is dropped from the pool rather than handed on mid-way.
func (p *Pipe) rollback() {
	if _, err := p.conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		p.discard()
	}
}

// discard makes database/sql close the connection instead of reusing it.
func (p *Pipe) discard() {
	_ = p.conn.Raw(func(any) error { return driver.ErrBadConn })
}

// pgx runs fn with the connection's pgx connection, unwrapping the
// driver connection as far as needed, and tells obs (when the driver
// connection observes) what went out.
func (p *Pipe) pgx(fn func(c *pgx.Conn, obs PipeObserver) error) error {
	return p.conn.Raw(func(dc any) error {
		var obs PipeObserver
		for dc != nil {
			if o, ok := dc.(PipeObserver); ok && obs == nil {
				obs = o
			}
			if c, ok := dc.(interface{ Conn() *pgx.Conn }); ok {
				return fn(c.Conn(), obs)
			}
			u, ok := dc.(interface{ Unwrap() driver.Conn })
			if !ok {
				break
			}
			dc = u.Unwrap()
		}
		return errors.New("store: Pipe needs a pgx connection")
	})
}

// begin sends BEGIN on its own, before a statement that does not carry it.
func (p *Pipe) begin(ctx context.Context) error {
	if p.begun {
		return nil
	}
	p.begun = true
	if _, err := p.conn.ExecContext(ctx, "BEGIN"); err != nil {
		// Nothing may run outside the transaction: the connection goes.
		p.discard()
		return fmt.Errorf("store: begin: %w", err)
	}
	for _, stmt := range p.local {
		if _, err := p.conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("store: %s: %w", stmt, err)
		}
	}
	p.local = nil
	return nil
}

// Query runs a query and hands its rows to read; the transaction's BEGIN
// goes out with it when it is the first statement.
func (p *Pipe) Query(ctx context.Context, query string, args []any, read func(Rows) error) error {
	if p.done {
		return errors.New("store: query after commit")
	}
	first := !p.begun
	p.begun = true
	return p.send(ctx, first, query, args, read, false)
}

// send sends, in one round trip, BEGIN and the SET LOCAL statements when
// first, the query (its rows to read), and COMMIT when commit.
func (p *Pipe) send(ctx context.Context, first bool, query string, args []any, read func(Rows) error, commit bool) error {
	return p.pgx(func(c *pgx.Conn, obs PipeObserver) error {
		b := &pgx.Batch{}
		local := p.queueBegin(b, first)
		b.Queue(query, args...)
		if commit {
			b.Queue("COMMIT")
		}
		if obs != nil {
			obs.ObservePipe(1+local, boolInt(first), boolInt(commit), 1)
		}
		br := c.SendBatch(ctx, b)
		if err := beginResults(br, first, local); err != nil {
			br.Close()
			return err
		}
		if err := readBatch(br, read); err != nil {
			br.Close()
			return err
		}
		if commit {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return fmt.Errorf("store: commit: %w", err)
			}
		}
		return br.Close()
	})
}

// CommitWith runs its last statement, hands its rows to read (nil: none
// read) and commits, in one round trip; an empty query just commits.
func (p *Pipe) CommitWith(ctx context.Context, query string, args []any, read func(Rows) error) error {
	if p.done {
		return errors.New("store: commit after commit")
	}
	if query == "" {
		if !p.begun {
			p.done = true
			return nil
		}
		p.done = true
		if _, err := p.conn.ExecContext(ctx, "COMMIT"); err != nil {
			p.discard()
			return fmt.Errorf("store: commit: %w", err)
		}
		return nil
	}
	first := !p.begun
	p.begun, p.done = true, true
	err := p.send(ctx, first, query, args, read, true)
	if err != nil {
		// Whether the COMMIT was applied is unknown only if the connection
		// broke; either way this connection is not reused.
		p.discard()
	}
	return err
}

// queueBegin queues BEGIN and the SET LOCAL statements when first, and
// says how many of the latter it queued.
func (p *Pipe) queueBegin(b *pgx.Batch, first bool) int {
	if !first {
		return 0
	}
	b.Queue("BEGIN")
	for _, stmt := range p.local {
		b.Queue(stmt)
	}
	n := len(p.local)
	p.local = nil
	return n
}

// beginResults reads the results of what queueBegin queued.
func beginResults(br pgx.BatchResults, first bool, local int) error {
	if !first {
		return nil
	}
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	for range local {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("store: set local: %w", err)
		}
	}
	return nil
}

// readBatch reads the batch's next result: its rows to read, or, with no
// reader, the statement's completion.
func readBatch(br pgx.BatchResults, read func(Rows) error) error {
	if read == nil {
		_, err := br.Exec()
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	if err := read(rows); err != nil {
		rows.Close()
		return err
	}
	rows.Close()
	return rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ExecContext runs a statement in the transaction.
func (p *Pipe) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := p.begin(ctx); err != nil {
		return nil, err
	}
	return p.conn.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction.
func (p *Pipe) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := p.begin(ctx); err != nil {
		return nil, err
	}
	return p.conn.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a single-row query in the transaction; a failed
// BEGIN surfaces from Scan.
func (p *Pipe) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	// After a failed BEGIN the connection is discarded, so the query
	// fails (sql.ErrConnDone) rather than run outside a transaction.
	_ = p.begin(ctx)
	return p.conn.QueryRowContext(ctx, query, args...)
}

// PrepareContext prepares a statement on the transaction's connection.
func (p *Pipe) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := p.begin(ctx); err != nil {
		return nil, err
	}
	return p.conn.PrepareContext(ctx, query)
}
