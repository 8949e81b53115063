package incident

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// appendBuf holds the rows of one append-only table that a batch has
// written but not yet sent: incident_log, state_transitions and events
// rows are never read back while a batch is applied, so the ingester
// gathers them and sends each table's rows as a few multi-row INSERTs at
// the end of the batch, instead of one statement (and on PostgreSQL one
// round trip) per row.
type appendBuf struct {
	table   string // as it appears in SQL text
	columns string // "(a, b, c)"
	width   int
	args    []any
	// returning: the rows' ids are wanted (events), each into ids.
	returning bool
	ids       []*int64
}

func (b *appendBuf) rows() int { return len(b.args) / b.width }

// The single-row statements the ingester defers when batching; any other
// statement naming one of their tables first sends what is pending for
// it, so rows keep the order in which they were written.
const (
	logInsert        = `INSERT INTO incident_log (incident_id, at, kind, actor, message) VALUES ($1, $2, $3, $4, $5)`
	transitionInsert = `INSERT INTO state_transitions (service, input, at, state, source) VALUES ($1, $2, $3, $4, $5)`
	eventInsert      = `INSERT INTO events (integration, action, dedup_key, body, received_at, incident_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
)

// maxRowsPerInsert bounds one multi-row INSERT. Rows are sent in chunks
// of powers of two up to it, so each table has at most eight statement
// texts, which both engines keep prepared.
const maxRowsPerInsert = 128

// batching makes s gather append-only rows until flush (see appendBuf).
func (s *stmts) batching() {
	s.pending = map[string]*appendBuf{
		logInsert:        {table: "incident_log", columns: "(incident_id, at, kind, actor, message)", width: 5},
		transitionInsert: {table: "state_transitions", columns: "(service, input, at, state, source)", width: 5},
		eventInsert:      {table: "events", columns: "(integration, action, dedup_key, body, received_at, incident_id)", width: 6, returning: true},
	}
}

// deferred takes a deferrable statement's row; it reports false when s is
// not batching or query is not one it defers.
func (s *stmts) deferred(query string, args []any, id *int64) bool {
	b := s.pending[query]
	if b == nil || len(args) != b.width {
		return false
	}
	b.args = append(b.args, args...)
	if id != nil {
		b.ids = append(b.ids, id)
	}
	return true
}

// flushFor sends the pending rows of every table query names, before
// query runs.
func (s *stmts) flushFor(ctx context.Context, query string) error {
	for _, b := range s.pending {
		if len(b.args) > 0 && strings.Contains(query, b.table) {
			if err := s.flushBuf(ctx, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush sends every pending row; the ingester calls it before commit.
func (s *stmts) flush(ctx context.Context) error {
	for _, b := range s.pending {
		if err := s.flushBuf(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

func (s *stmts) flushBuf(ctx context.Context, b *appendBuf) error {
	pending, ids := b.args, b.ids
	b.args, b.ids = b.args[:0:0], nil
	for len(pending) > 0 {
		n := maxRowsPerInsert
		for n*b.width > len(pending) {
			n /= 2
		}
		query := multiInsert(b, n)
		args := pending[:n*b.width]
		pending = pending[n*b.width:]
		if !b.returning {
			if _, err := s.exec(ctx, query, args...); err != nil {
				return fmt.Errorf("incident: write %s: %w", b.table, err)
			}
			continue
		}
		if err := s.insertReturning(ctx, query, args, ids[:n]); err != nil {
			return fmt.Errorf("incident: record events: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// insertReturning runs a multi-row INSERT … RETURNING id and hands the ids
// out in the order of the rows. Both engines give the rows of one INSERT
// increasing ids in the order of its VALUES (SQLite's next rowid, a
// sequence on PostgreSQL), but neither promises the order RETURNING lists
// them in, hence the sort.
func (s *stmts) insertReturning(ctx context.Context, query string, args []any, ids []*int64) error {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	got := make([]int64, 0, len(ids))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		got = append(got, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(got) != len(ids) {
		return fmt.Errorf("%d ids returned for %d rows", len(got), len(ids))
	}
	slices.Sort(got)
	for i, p := range ids {
		*p = got[i]
	}
	return nil
}

// multiInsert is b's INSERT for n rows, n a power of two up to
// maxRowsPerInsert.
func multiInsert(b *appendBuf, n int) string { return multiInserts[b.table][n] }

// multiInserts holds every multi-row statement text, by table and row
// count, built once at start: the commit loops only read it.
var multiInserts = func() map[string]map[int]string {
	m := map[string]map[int]string{}
	var s stmts
	s.batching()
	for _, b := range s.pending {
		m[b.table] = map[int]string{}
		for n := 1; n <= maxRowsPerInsert; n *= 2 {
			m[b.table][n] = buildInsert(b, n)
		}
	}
	return m
}()

func buildInsert(b *appendBuf, n int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + b.table + " " + b.columns + " VALUES ")
	p := 1
	for r := range n {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range b.width {
			if c > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(p))
			p++
		}
		sb.WriteByte(')')
	}
	if b.returning {
		sb.WriteString(" RETURNING id")
	}
	return sb.String()
}

// eventKey is the open key an event is applied to (apply strips NUL from
// the dedup key first).
func eventKey(ev Event) string {
	return openKey(ev.Service, strings.ReplaceAll(ev.DedupKey, "\x00", ""))
}

// maxKeysPerLookup bounds one lookup of open incidents; the key list is
// padded to a power of two (repeating its last key), so few statement
// texts exist.
const maxKeysPerLookup = 256

// prefetchOpen reads, in one query per up to maxKeysPerLookup keys, the
// open incidents of the batch's events, so that apply does not look each
// one up. What the batch itself then does to them (open, acknowledge,
// resolve) is kept in s.open as it happens.
func (s *stmts) prefetchOpen(ctx context.Context, events []Event) error {
	s.open = map[string]*row{}
	var keys []string
	for _, ev := range events {
		k := eventKey(ev)
		if _, seen := s.open[k]; !seen {
			s.open[k] = nil
			keys = append(keys, k)
		}
	}
	for len(keys) > 0 {
		n := min(len(keys), maxKeysPerLookup)
		size := 1
		for size < n {
			size *= 2
		}
		args := make([]any, size)
		for i := range args {
			args[i] = keys[min(i, n-1)]
		}
		keys = keys[n:]
		rows, err := s.query(ctx, openLookup(size), args...)
		if err != nil {
			return fmt.Errorf("incident: find open incidents: %w", err)
		}
		// A key's own incident comes first (via 0); a key merged into an
		// incident shares that incident's row, so what the batch does to
		// it through one key holds for the other.
		byID := map[int64]*row{}
		for rows.Next() {
			var k string
			var via int
			r := &row{}
			if err := r.scan(rows, &k, &via); err != nil {
				rows.Close()
				return fmt.Errorf("incident: find open incidents: %w", err)
			}
			if s.open[k] != nil {
				continue
			}
			if same := byID[r.id]; same != nil {
				r = same
			}
			byID[r.id], s.open[k] = r, r
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("incident: find open incidents: %w", err)
		}
	}
	return nil
}

// openLookup is the lookup of n open keys, n a power of two.
func openLookup(n int) string { return openLookups[n] }

// openLookups find, by padded size, the open incidents of keys: their own
// (via 0), or those they were merged into (via 1).
var openLookups = func() map[int]string {
	m := map[int]string{}
	for n := 1; n <= maxKeysPerLookup; n *= 2 {
		var in strings.Builder
		for i := range n {
			if i > 0 {
				in.WriteString(", ")
			}
			in.WriteString("$" + strconv.Itoa(i+1))
		}
		m[n] = `SELECT open_key, 0 AS via, ` + openColumns + ` FROM incidents WHERE open_key IN (` + in.String() + `)
			UNION ALL SELECT m.open_key, 1 AS via, ` + mergedColumns + ` AND m.open_key IN (` + in.String() + `) ORDER BY 2`
	}
	return m
}()
