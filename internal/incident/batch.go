package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/store"
)

// appendBuf holds the rows of one table that a batch has written but not
// yet sent: incident_log, state_transitions, outbox and events rows are
// never read back while a batch is applied, and a batch's new incidents are known by
// the ids reserved for them (see newIncidentID), so the ingester gathers
// them and sends each table's rows as a few multi-row INSERTs at the end of
// the batch, instead of one statement (and on PostgreSQL one round trip)
// per row.
type appendBuf struct {
	table   string // as it appears in SQL text
	columns string // "(a, b, c)"
	width   int
	args    []any
	// returning: the rows' ids are wanted (events), each into ids.
	returning bool
	ids       []*int64
	// override: the rows carry their own ids, which PostgreSQL takes for
	// an identity column only when told so.
	override bool
	// row is the VALUES of one row, each ? a parameter, when it holds
	// constants too; empty: width parameters.
	row string
	// pgTypes is the PostgreSQL type of each parameter (see flushPG).
	pgTypes []string
}

func (b *appendBuf) rows() int { return len(b.args) / b.width }

// values is one row's VALUES, each ? a parameter.
func (b *appendBuf) values() string {
	if b.row != "" {
		return b.row
	}
	return "(" + strings.Repeat("?, ", b.width-1) + "?)"
}

// The single-row statements the ingester defers when batching; any other
// statement naming one of their tables first sends what is pending for
// it, so rows keep the order in which they were written.
const (
	incidentInsert = `INSERT INTO incidents (id, service, dedup_key, status, severity, summary, source, details, integration, escalation,
		in_maintenance, service_state, created_at, last_event_at, event_count, open_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`
	// EscalationInsert starts an incident's escalation (escalation.Start
	// runs it); it is here so that the ingester knows it for one of its
	// own and writes a batch's new escalations together.
	EscalationInsert = `INSERT INTO escalations (incident_id, policy, level, round, status, next_at, reason, assigned_to, updated_at)
		VALUES ($1, $2, 0, 0, $3, $4, $5, '', $6)`
	outboxInsert = `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
		VALUES ($1, $2, $3, 'pending', 0, $4, 0, '', $5)`
	logInsert        = `INSERT INTO incident_log (incident_id, at, kind, actor, message) VALUES ($1, $2, $3, $4, $5)`
	transitionInsert = `INSERT INTO state_transitions (service, input, at, state, source) VALUES ($1, $2, $3, $4, $5)`
	eventInsert      = `INSERT INTO events (integration, action, dedup_key, body, received_at, incident_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
)

// maxRowsPerInsert bounds one multi-row INSERT. Rows are sent in chunks
// of powers of two up to it, so each table has at most eight statement
// texts, which both engines keep prepared.
const maxRowsPerInsert = 128

// batching makes s gather rows until flush (see appendBuf); pg says the
// engine is PostgreSQL.
func (s *stmts) batching(pg bool) {
	s.pg = pg
	// Incidents come first: the other tables' rows refer to them.
	s.order = []*appendBuf{
		{table: "incidents", columns: "(id, service, dedup_key, status, severity, summary, source, details, integration, escalation, " +
			"in_maintenance, service_state, created_at, last_event_at, event_count, open_key)", width: 16, override: true,
			pgTypes: []string{"bigint", "text", "text", "text", "text", "text", "text", "text", "text", "text", "boolean", "text", "bigint", "bigint", "bigint", "text"}},
		{table: "escalations", columns: "(incident_id, policy, level, round, status, next_at, reason, assigned_to, updated_at)", width: 6,
			row: "(?, ?, 0, 0, ?, ?, ?, '', ?)", pgTypes: []string{"bigint", "text", "text", "bigint", "text", "bigint"}},
		{table: "outbox", columns: "(incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)", width: 5,
			row: "(?, ?, ?, 'pending', 0, ?, 0, '', ?)", pgTypes: []string{"bigint", "text", "text", "bigint", "bigint"}},
		{table: "incident_log", columns: "(incident_id, at, kind, actor, message)", width: 5, pgTypes: []string{"bigint", "bigint", "text", "text", "text"}},
		{table: "state_transitions", columns: "(service, input, at, state, source)", width: 5, pgTypes: []string{"text", "text", "bigint", "text", "text"}},
		{table: "events", columns: "(integration, action, dedup_key, body, received_at, incident_id)", width: 6, returning: true,
			pgTypes: []string{"text", "text", "text", "text", "bigint", "bigint"}},
	}
	s.pending = map[string]*appendBuf{}
	for i, q := range []string{incidentInsert, EscalationInsert, outboxInsert, logInsert, transitionInsert, eventInsert} {
		s.pending[q] = s.order[i]
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

// flushFor sends, before query runs, the pending rows of every table
// query names, and the pending incidents whatever it names: other tables'
// rows refer to them.
func (s *stmts) flushFor(ctx context.Context, query string) error {
	for i, b := range s.order {
		if len(b.args) == 0 || i > 0 && !strings.Contains(query, b.table) {
			continue
		}
		if s.pg {
			// PostgreSQL sends every table's rows in one statement.
			return s.flushPG(ctx)
		}
		if err := s.flushBuf(ctx, b); err != nil {
			return err
		}
	}
	if !s.pg && strings.Contains(query, "incidents") {
		// The statement may write incidents itself, after those reserved.
		s.nextID = 0
	}
	return nil
}

// flush sends every pending row; the ingester calls it before commit.
func (s *stmts) flush(ctx context.Context) error {
	if s.pg {
		return s.flushPG(ctx)
	}
	for _, b := range s.order {
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
		query := s.multiInsert(b, n)
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

// flushPG sends every pending row of every table in one statement, one
// round trip: an INSERT per table, each a data-modifying WITH of the one
// into events, whose rows come from arrays (unnest), one per column, so
// the statement's text is the same whatever the number of rows. The
// constraints referring to the batch's new incidents are checked at the
// statement's end, when they are in.
func (s *stmts) flushPG(ctx context.Context) error {
	args, ids, ok := s.takePG()
	if !ok {
		return nil
	}
	if err := s.insertReturning(ctx, pgFlush.query, args, ids); err != nil {
		return fmt.Errorf("incident: write the batch: %w", err)
	}
	return nil
}

// commitPG sends what flushPG would and commits with it, in one round
// trip (store.Pipe.CommitWith); with nothing pending it just commits.
func (s *stmts) commitPG(ctx context.Context) error {
	args, ids, ok := s.takePG()
	if !ok {
		return s.pipe.CommitWith(ctx, "", nil, nil)
	}
	err := s.pipe.CommitWith(ctx, pgFlush.query, args, func(rows store.Rows) error { return readIDs(rows, ids) })
	if err != nil {
		return fmt.Errorf("incident: write the batch: %w", err)
	}
	return nil
}

// takePG takes every pending row as flushPG's arguments, with the event
// ids to fill in; ok is false when nothing is pending.
func (s *stmts) takePG() (args []any, ids []*int64, ok bool) {
	var events *appendBuf
	args = make([]any, 0, len(pgFlush.types))
	empty := true
	for _, b := range s.order {
		empty = empty && len(b.args) == 0
		for c := range b.width {
			args = append(args, b.column(c, pgFlush.types[len(args)]))
		}
		if b.returning {
			events = b
		}
	}
	if empty {
		return nil, nil, false
	}
	ids = events.ids
	for _, b := range s.order {
		b.args, b.ids = b.args[:0:0], nil
	}
	return args, ids, true
}

// column is b's pending values of column c as one array of the column's
// PostgreSQL type: bigint (int64, int, or sql.NullInt64, which may be
// NULL), boolean or text.
func (b *appendBuf) column(c int, typ string) any {
	n := b.rows()
	switch typ {
	case "bigint":
		out := make([]*int64, n)
		for r := range n {
			switch v := b.args[r*b.width+c].(type) {
			case int64:
				out[r] = &v
			case int:
				x := int64(v)
				out[r] = &x
			case sql.NullInt64:
				if v.Valid {
					out[r] = &v.Int64
				}
			}
		}
		return out
	case "boolean":
		out := make([]bool, n)
		for r := range n {
			out[r], _ = b.args[r*b.width+c].(bool)
		}
		return out
	default:
		out := make([]string, n)
		for r := range n {
			out[r], _ = b.args[r*b.width+c].(string)
		}
		return out
	}
}

// pgFlush is flushPG's statement and the type of each of its parameters.
var pgFlush = func() (f struct {
	query string
	types []string
}) {
	var s stmts
	s.batching(true)
	var with []string
	var sb strings.Builder
	for _, b := range s.order {
		var arrays, names []string
		for c, typ := range b.pgTypes {
			f.types = append(f.types, typ)
			arrays = append(arrays, fmt.Sprintf("$%d::%s[]", len(f.types), typ))
			names = append(names, fmt.Sprintf("c%d", c+1))
		}
		var sel strings.Builder
		c := 0
		for _, ch := range []byte(strings.TrimSuffix(strings.TrimPrefix(b.values(), "("), ")")) {
			if ch != '?' {
				sel.WriteByte(ch)
				continue
			}
			sel.WriteString(names[c])
			c++
		}
		insert := "INSERT INTO " + b.table + " " + b.columns
		if b.override {
			insert += " OVERRIDING SYSTEM VALUE"
		}
		insert += " SELECT " + sel.String() + " FROM unnest(" + strings.Join(arrays, ", ") + ") AS u(" + strings.Join(names, ", ") + ")"
		if b.returning {
			sb.WriteString(insert + " RETURNING id")
			continue
		}
		with = append(with, fmt.Sprintf("w%d AS (%s)", len(with)+1, insert))
	}
	f.query = "WITH " + strings.Join(with, ", ") + " " + sb.String()
	return f
}()

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
	return readIDs(rows, ids)
}

// readIDs hands the ids an INSERT … RETURNING id gave out in the order of
// its rows (see insertReturning).
func readIDs(rows store.Rows, ids []*int64) error {
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

// multiInsert is b's INSERT for n rows on SQLite, n a power of two up to
// maxRowsPerInsert.
func (s *stmts) multiInsert(b *appendBuf, n int) string { return multiInserts[b.table][n] }

// multiInserts holds SQLite's multi-row statement texts, by table and row
// count, built once at start: the commit loop only reads them. PostgreSQL
// sends its rows another way (see flushPG).
var multiInserts = func() map[string]map[int]string {
	m := map[string]map[int]string{}
	var s stmts
	s.batching(false)
	for _, b := range s.order {
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
	// Bare ? parameters, bound by position (see placeholder).
	for r := range n {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(b.values())
	}
	if b.returning {
		sb.WriteString(" RETURNING id")
	}
	return sb.String()
}

// numbered says whether s's statements need numbered parameters: on
// PostgreSQL, and wherever the engine is not known (a transaction of the
// caller's, outside the ingester, which says which it is; numbered ones
// work on both).
func (s *stmts) numbered() bool { return s.pending == nil || s.pg }

// placeholder is the i-th parameter of a long statement: $i on
// PostgreSQL; on SQLite a bare ?, bound by position. modernc's SQLite asks
// for the name of every parameter as it binds, and finding a numbered
// one's name walks the statement's list of them, which made binding a
// 512-parameter INSERT quadratic (a quarter of the commit loop's CPU).
func placeholder(pg bool, i int) string {
	if pg {
		return "$" + strconv.Itoa(i)
	}
	return "?"
}

// eventKey is the open key an event is applied to (apply strips NUL from
// the dedup key first).
func eventKey(ev Event) string {
	return openKey(ev.Service, strings.ReplaceAll(ev.DedupKey, "\x00", ""))
}

// newIncidentID reserves the id of a new incident of the batch, so that
// its row can wait for the batch's multi-row INSERT while the rows that
// refer to it are written. On SQLite, whose one writer holds the write
// lock for the whole transaction, the batch counts on from the largest id
// (as SQLite itself would for each row); on PostgreSQL it takes, in one
// query, as many values of the table's identity sequence as the batch
// still expects new incidents (see prefetchOpen), which other commit
// loops never take again.
func (s *stmts) newIncidentID(ctx context.Context) (int64, error) {
	if !s.pg {
		if s.nextID == 0 {
			var last int64
			if err := s.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM incidents`).Scan(&last); err != nil {
				return 0, fmt.Errorf("incident: reserve an id: %w", err)
			}
			s.nextID = last + 1
		}
		s.nextID++
		return s.nextID - 1, nil
	}
	if len(s.ids) == 0 {
		rows, err := s.query(ctx, `SELECT nextval('incidents_id_seq') FROM generate_series(1, $1)`, max(s.expectNew, 1))
		if err != nil {
			return 0, fmt.Errorf("incident: reserve ids: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return 0, fmt.Errorf("incident: reserve ids: %w", err)
			}
			s.ids = append(s.ids, id)
		}
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("incident: reserve ids: %w", err)
		}
		if len(s.ids) == 0 {
			return 0, errors.New("incident: reserve ids: none returned")
		}
		slices.Sort(s.ids)
	}
	id := s.ids[0]
	s.ids = s.ids[1:]
	s.expectNew--
	return id, nil
}

// maxKeysPerLookup bounds one lookup of open incidents; the key list is
// padded to a power of two (repeating its last key), so few statement
// texts exist.
const maxKeysPerLookup = 256

// prefetchOpen reads, in one query per up to maxKeysPerLookup keys (on
// PostgreSQL one query in all, see prefetchOpenPG), the
// open incidents of the batch's events, so that apply does not look each
// one up. What the batch itself then does to them (open, acknowledge,
// resolve) is kept in s.open as it happens.
func (s *stmts) prefetchOpen(ctx context.Context, events []Event) error {
	if s.pg {
		return s.prefetchOpenPG(ctx, events)
	}
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
		rows, err := s.query(ctx, openLookups[size], args...)
		if err != nil {
			return fmt.Errorf("incident: find open incidents: %w", err)
		}
		err = s.readOpen(rows)
		rows.Close()
		if err != nil {
			return err
		}
	}
	// The new incidents the batch will open, for newIncidentID: one per
	// key triggered with nothing open (a key resolved and triggered again
	// within the batch takes one more reservation).
	triggered := map[string]bool{}
	for _, ev := range events {
		if k := eventKey(ev); ev.Action == ActionTrigger && s.open[k] == nil && !triggered[k] {
			triggered[k] = true
			s.expectNew++
		}
	}
	return nil
}

// prefetchOpenPG is prefetchOpen on PostgreSQL, where each statement is a
// round trip: the batch's keys go as one array, and the same statement
// reserves the ids of the incidents the batch will open (one per key
// triggered with nothing open, as newIncidentID would ask for them next),
// so a batch of new keys costs one round trip less.
func (s *stmts) prefetchOpenPG(ctx context.Context, events []Event) error {
	s.open = map[string]*row{}
	var keys []string
	var triggers []bool
	at := map[string]int{}
	for _, ev := range events {
		k := eventKey(ev)
		i, seen := at[k]
		if !seen {
			i = len(keys)
			at[k] = i
			keys = append(keys, k)
			triggers = append(triggers, false)
			s.open[k] = nil
		}
		triggers[i] = triggers[i] || ev.Action == ActionTrigger
	}
	if s.pipe != nil {
		// The lookup carries the transaction's BEGIN, and with it a
		// setting that keeps it on the open-key index: pgx keeps the
		// statement prepared, and PostgreSQL's cached generic plan for it,
		// made while the table was new and small, scanned the whole table
		// on every lookup until an ANALYZE happened to replace it (seen as
		// a storm falling from 4,500 to 1,500 events/s, see
		// docs/PERFORMANCE.md). Nothing else in an ingest transaction scans.
		if err := s.pipe.SetLocal(ctx, "enable_seqscan", "off"); err != nil {
			return fmt.Errorf("incident: find open incidents: %w", err)
		}
		if err := s.pipe.Query(ctx, openLookupPG, []any{keys, triggers}, s.readOpen); err != nil {
			return fmt.Errorf("incident: find open incidents: %w", err)
		}
	} else {
		rows, err := s.query(ctx, openLookupPG, keys, triggers)
		if err != nil {
			return fmt.Errorf("incident: find open incidents: %w", err)
		}
		defer rows.Close()
		if err := s.readOpen(rows); err != nil {
			return err
		}
	}
	slices.Sort(s.ids)
	s.expectNew = len(s.ids)
	return nil
}

// readOpen takes the rows of an open-incident lookup into s.open: a key's
// own incident comes first (via 0); a key merged into an incident (via 1)
// shares that incident's row, so what the batch does to it through one key
// holds for the other; an id reserved by the lookup (via 2, PostgreSQL)
// goes to s.ids.
func (s *stmts) readOpen(rows store.Rows) error {
	byID := map[int64]*row{}
	for rows.Next() {
		var k string
		var via int
		r := &row{}
		if err := r.scan(rows, &k, &via); err != nil {
			return fmt.Errorf("incident: find open incidents: %w", err)
		}
		switch {
		case via == 2:
			s.ids = append(s.ids, r.id)
		case s.open[k] != nil:
		default:
			if same := byID[r.id]; same != nil {
				r = same
			}
			byID[r.id], s.open[k] = r, r
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("incident: find open incidents: %w", err)
	}
	return nil
}

// openLookupPG finds the open incidents of an array of keys ($1), their
// own (via 0) or those they were merged into (via 1), and reserves an
// incident id (via 2) for each key that is triggered ($2) and has neither.
// The identity column's sequence is named, not looked up: the name is a
// constant resolved once when the statement is planned, where
// pg_get_serial_sequence searched pg_depend for every id, which on a
// database whose catalogs carry many dead rows (schemas created and
// dropped) cost more than the inserts (see docs/PERFORMANCE.md).
const openLookupPG = `WITH found (k, via, id, status, severity, service_state, escalation, in_maintenance, snoozed) AS (
		SELECT open_key, 0, ` + openColumns + ` FROM incidents WHERE open_key = ANY($1::text[])
		UNION ALL SELECT m.open_key, 1, ` + mergedColumns + ` AND m.open_key = ANY($1::text[]))
	SELECT * FROM found
	UNION ALL SELECT '', 2, nextval('incidents_id_seq'), '', '', '', '', FALSE, FALSE
		FROM unnest($1::text[], $2::boolean[]) AS b(k, triggered) WHERE b.triggered AND NOT EXISTS (SELECT 1 FROM found WHERE found.k = b.k)
	ORDER BY 2`

// openLookups find on SQLite, by padded size n (a power of two), the open
// incidents of n keys: their own (via 0), or those they were merged into
// (via 1). The keys are named twice, so the lookup binds them by number.
// PostgreSQL takes the keys as one array instead (openLookupPG).
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
