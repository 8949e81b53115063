package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// The incident statuses.
const (
	Triggered    = "triggered"
	Acknowledged = "acknowledged"
	Resolved     = "resolved"
)

// The event actions.
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
)

// Event is one alert event, whatever its wire format.
type Event struct {
	Integration string
	Action      string
	DedupKey    string
	Service     string
	Summary     string
	Source      string
	Severity    string
	Details     json.RawMessage // component, group, class, custom details, links, images
	Body        []byte          // the request as received, kept with the event
	// Escalation overrides the integration's policy (checks use the
	// service's); empty uses the integration's.
	Escalation string
	// ServiceState overrides what the incident does to its service: "down",
	// "degraded" or "none" ("" uses the integration's severity map).
	ServiceState string
}

// Engine applies events to incidents inside a caller's transaction, so an
// event, the incident it changes, its timeline entry, the service's state
// and the notifications it causes are committed together.
type Engine struct {
	Timeline *timeline.Store
	Log      *slog.Logger
	Now      func() time.Time
	// InMaintenance says whether a service is in a maintenance window at t;
	// notifications are then held back (the incident is still recorded).
	InMaintenance func(service string, t time.Time) bool
	// OnEnqueue is called after a transaction that enqueued notifications
	// commits, to wake the outbox.
	OnEnqueue func()
	// Changed, when set, is called after a transaction that changed
	// incidents (events applied, a person's action) commits, so that the
	// pages showing them update. It must not block.
	Changed func()
	// KnownError, when set, is asked about every new incident: when the
	// incident fits a known error's signature, the incident records the
	// known error's id and its timeline says so (notifications then carry
	// the workaround). It must answer from memory: it runs inside ingest's
	// transaction.
	KnownError func(service, summary string, details json.RawMessage) (id int64, title, workaround string, ok bool)
	// StartEscalation, when set, takes over notifying a new incident: it
	// records the incident's escalation in tx (the escalation worker then
	// walks its levels). Without it, the policy's first level's channels
	// are notified at once.
	StartEscalation func(ctx context.Context, tx store.Querier, incidentID int64, policy, service, severity string, now time.Time) error
	// StopEscalation ends an incident's escalation when it is acknowledged
	// or resolved.
	StopEscalation func(ctx context.Context, tx store.Querier, incidentID int64, reason string, now time.Time) error
	// SnoozeEscalation holds a snoozed incident's escalation until until,
	// when it starts over if the incident is still open; WakeEscalation
	// brings that instant forward to now (a new trigger arrived).
	SnoozeEscalation func(ctx context.Context, tx store.Querier, incidentID int64, policy string, until, now time.Time) error
	WakeEscalation   func(ctx context.Context, tx store.Querier, incidentID int64, now time.Time) error

	mu           sync.RWMutex
	integrations map[string]*Integration
	byKey        map[string]*Integration
	policies     map[string]EscalationPolicy
}

// Configure swaps in a validated setup (at start and on reload).
func (e *Engine) Configure(s Setup) {
	ints := map[string]*Integration{}
	keys := map[string]*Integration{}
	for i := range s.Integrations {
		in := s.Integrations[i]
		ints[in.Name] = &in
		keys[in.Key.Reveal()] = &in
	}
	// Checks raise incidents through a built-in integration.
	ints[CheckIntegration] = &Integration{Name: CheckIntegration, Kind: KindEvents}
	pols := map[string]EscalationPolicy{}
	for _, p := range s.Policies {
		pols[p.Name] = p
	}
	e.mu.Lock()
	e.integrations, e.byKey, e.policies = ints, keys, pols
	e.mu.Unlock()
}

// CheckIntegration names the built-in source of incidents from checks.
const CheckIntegration = "checks"

// ByKey finds the integration a routing key or bearer token belongs to.
func (e *Engine) ByKey(key string) (*Integration, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	in, ok := e.byKey[key]
	return in, ok
}

// Integration returns a configured integration by name.
func (e *Engine) Integration(name string) (*Integration, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	in, ok := e.integrations[name]
	return in, ok
}

// Outcome says what an event did.
type Outcome struct {
	EventID    int64
	IncidentID int64 // 0 when the event matched no incident
	Created    bool
	Status     string
	// Joined lists, for a chunk of an Alertmanager group, the firing
	// alerts new to its open incident.
	Joined []string
}

// openKey is unique among open incidents; service names cannot hold "/".
func openKey(service, dedup string) string { return service + "/" + dedup }

// Apply records events and applies them to incidents in tx.
func (e *Engine) Apply(ctx context.Context, tx *sql.Tx, events []Event) ([]Outcome, bool, error) {
	st := newStmts(tx, true)
	defer st.close()
	return e.applyAll(ctx, st, events)
}

// ApplyGroup applies one chunk of an Alertmanager group in tx, as the
// ingester does (see Ingester.SubmitGroup).
func (e *Engine) ApplyGroup(ctx context.Context, tx *sql.Tx, c GroupChunk) (Outcome, bool, error) {
	st := newStmts(tx, true)
	defer st.close()
	return e.applyGroup(ctx, st, c, e.Now().UTC())
}

func (e *Engine) applyAll(ctx context.Context, tx *stmts, events []Event) ([]Outcome, bool, error) {
	out := make([]Outcome, len(events))
	enqueued := false
	now := e.Now().UTC()
	for i, ev := range events {
		o, q, err := e.apply(ctx, tx, ev, now, &out[i].EventID)
		if err != nil {
			return nil, false, err
		}
		out[i], enqueued = o, enqueued || q
	}
	return out, enqueued, nil
}

// stmts runs a transaction's statements. On SQLite it prepares each
// distinct one once per transaction: a batch of events repeats the same few
// statements hundreds of times, and compiling them again for each cost a
// third of ingest's CPU. On PostgreSQL it sends them straight to the
// transaction: pgx already keeps every statement prepared on its
// connection, and an explicit prepare and close per transaction would add
// two round trips per distinct statement.
type stmts struct {
	tx      txQuerier
	prepare bool
	m       map[string]*sql.Stmt
	// pending, when the ingester batches, holds append-only rows not yet
	// sent (see appendBuf); nil otherwise.
	pending map[string]*appendBuf
	// open, when the ingester has looked up a batch's keys at once, holds
	// each key's open incident (nil: none); nil otherwise.
	open map[string]*row
	// kept, when set, holds statements prepared once on SQLite's write
	// connection and reused by every transaction (see Ingester.keep);
	// missed gathers the statements this transaction had to prepare
	// itself, to be kept after it.
	kept   map[string]*sql.Stmt
	missed []string
	// When batching: order lists the pending tables in the order they are
	// sent; pg says the engine is PostgreSQL; nextID (SQLite) and ids
	// (PostgreSQL) are the incident ids reserved and not yet used, and
	// expectNew the new incidents the batch is still expected to open
	// (see newIncidentID).
	order     []*appendBuf
	pg        bool
	nextID    int64
	ids       []int64
	expectNew int
	// pipe, on PostgreSQL under the ingester, is the transaction tx is:
	// the batch's lookup carries its BEGIN and its rows its COMMIT.
	pipe *store.Pipe
}

// txQuerier is what stmts runs statements on: a *sql.Tx, or on
// PostgreSQL under the ingester a *store.Pipe.
type txQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// newStmts runs tx's statements, preparing them once when prepare is set
// (see stmts).
func newStmts(tx txQuerier, prepare bool) *stmts {
	return &stmts{tx: tx, prepare: prepare, m: map[string]*sql.Stmt{}}
}

func isTx(q txQuerier) bool { _, ok := q.(*sql.Tx); return ok }

// prepareFor says whether db's engine gains from preparing per transaction.
func prepareFor(db *store.DB) bool { return db == nil || db.Engine() != store.Postgres }

func (s *stmts) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.m[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if k := s.kept[query]; k != nil && isTx(s.tx) {
		st = s.tx.(*sql.Tx).StmtContext(ctx, k)
	} else {
		var err error
		if st, err = s.tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		if s.kept != nil {
			s.missed = append(s.missed, query)
		}
	}
	s.m[query] = st
	return st, nil
}

// ExecContext runs a statement, or, when batching, keeps an append-only
// row for later (see appendBuf).
func (s *stmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s.pending != nil {
		if s.deferred(query, args, nil) {
			return deferredResult{}, nil
		}
		if err := s.flushFor(ctx, query); err != nil {
			return nil, err
		}
	}
	return s.exec(ctx, query, args...)
}

// deferredResult is the result of a row kept for later: one row.
type deferredResult struct{}

// LastInsertId is not known before the row is sent.
func (deferredResult) LastInsertId() (int64, error) {
	return 0, errors.New("incident: the row is written with its batch")
}

// RowsAffected is the one row.
func (deferredResult) RowsAffected() (int64, error) { return 1, nil }

func (s *stmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !s.prepare {
		return s.tx.ExecContext(ctx, query, args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs a query.
func (s *stmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := s.flushFor(ctx, query); err != nil {
		return nil, err
	}
	return s.query(ctx, query, args...)
}

func (s *stmts) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !s.prepare {
		return s.tx.QueryContext(ctx, query, args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a prepared single-row query; a preparation error
// surfaces from Scan, as with sql.Tx.
func (s *stmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := s.flushFor(ctx, query); err != nil {
		// The failure reaches the caller from Scan, as the statement's own
		// would: the transaction is already in error.
		return s.tx.QueryRowContext(ctx, query, args...)
	}
	if !s.prepare {
		return s.tx.QueryRowContext(ctx, query, args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return s.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (s *stmts) close() {
	for _, st := range s.m {
		st.Close()
	}
}

type row struct {
	id       int64
	status   string
	severity string
	state    string
	escal    string
	maint    bool
	snoozed  bool
	// closed marks a cached row resolved in this batch: the same row may
	// be cached under its own key and the keys merged into it.
	closed bool
}

// openColumns are the columns of row, read by every lookup of an open
// incident.
const openColumns = `id, status, severity, service_state, escalation, in_maintenance, snoozed_until IS NOT NULL`

// mergedColumns reads row for the open incidents that keys were merged
// into (the caller adds which keys).
const mergedColumns = `i.id, i.status, i.severity, i.service_state, i.escalation, i.in_maintenance, i.snoozed_until IS NOT NULL
	FROM incident_merges m JOIN incidents i ON i.id = m.target_id WHERE i.open_key IS NOT NULL`

// openLookup1 finds the open incident a key goes to, in one statement: its
// own (via 0), or the one an incident with that key was merged into (via 1).
const openLookup1 = `SELECT 0 AS via, ` + openColumns + ` FROM incidents WHERE open_key = $1
	UNION ALL SELECT 1 AS via, ` + mergedColumns + ` AND m.open_key = $1 ORDER BY 1 LIMIT 1`

func (r *row) scan(sc interface{ Scan(...any) error }, extra ...any) error {
	return sc.Scan(append(extra, &r.id, &r.status, &r.severity, &r.state, &r.escal, &r.maint, &r.snoozed)...)
}

// findOpen looks up the open incident a key goes to: its own, or the one
// an incident with that key was merged into.
func findOpen(ctx context.Context, tx *stmts, key string) (row, bool, error) {
	var r row
	var via int
	err := r.scan(tx.QueryRowContext(ctx, openLookup1, key), &via)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("incident: find open incident: %w", err)
	}
	return r, true, nil
}

// apply applies one event. When tx batches, the event's row is written
// with the batch and its id stored in *eventID then (see appendBuf).
func (e *Engine) apply(ctx context.Context, tx *stmts, ev Event, now time.Time, eventID *int64) (Outcome, bool, error) {
	var o Outcome
	// PostgreSQL text cannot hold NUL; a sender's stray one must not fail
	// the event.
	for _, f := range []*string{&ev.DedupKey, &ev.Summary, &ev.Source, &ev.Severity} {
		*f = strings.ReplaceAll(*f, "\x00", "")
	}
	in, _ := e.Integration(ev.Integration)
	if in == nil {
		in = &Integration{Name: ev.Integration}
	}
	key := openKey(ev.Service, ev.DedupKey)
	var r row
	var found bool
	var err error
	if cached, ok := tx.open[key]; ok {
		if found = cached != nil && !cached.closed; found {
			r = *cached
		}
	} else if r, found, err = findOpen(ctx, tx, key); err != nil {
		return o, false, err
	}
	enqueued := false
	switch {
	case ev.Action == ActionTrigger && !found:
		state := ev.ServiceState
		if state == "" {
			state = in.severityState(ev.Severity)
		}
		escal := ev.Escalation
		if escal == "" {
			escal = in.Escalation
		}
		maint := e.InMaintenance != nil && e.InMaintenance(ev.Service, now)
		details := ev.Details
		if len(details) == 0 {
			details = json.RawMessage("{}")
		}
		if tx.open != nil && tx.pending != nil {
			// In a batch the row is sent with the batch's other new
			// incidents, under an id reserved for it now.
			if o.IncidentID, err = tx.newIncidentID(ctx); err != nil {
				return o, false, err
			}
			tx.deferred(incidentInsert, []any{o.IncidentID, ev.Service, ev.DedupKey, Triggered, ev.Severity, ev.Summary, ev.Source, string(details),
				in.Name, escal, maint, state, store.Millis(now), store.Millis(now), 1, key}, nil)
		} else {
			err = tx.QueryRowContext(ctx, `INSERT INTO incidents (service, dedup_key, status, severity, summary, source, details, integration, escalation,
			in_maintenance, service_state, created_at, last_event_at, event_count, open_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, 1, $13) RETURNING id`,
				ev.Service, ev.DedupKey, Triggered, ev.Severity, ev.Summary, ev.Source, string(details), in.Name, escal, maint, state,
				store.Millis(now), key).Scan(&o.IncidentID)
			if err != nil {
				return o, false, fmt.Errorf("incident: open: %w", err)
			}
		}
		o.Created, o.Status = true, Triggered
		if tx.open != nil {
			tx.open[key] = &row{id: o.IncidentID, status: Triggered, severity: ev.Severity, state: state, escal: escal, maint: maint}
		}
		msg := fmt.Sprintf("triggered by %s: %s (%s)", in.Name, ev.Summary, ev.Severity)
		if maint {
			msg += "; the service is in a maintenance window, so nobody is notified"
		}
		if err := logEntry(ctx, tx, o.IncidentID, now, "status", "integration:"+in.Name, msg); err != nil {
			return o, false, err
		}
		if err := e.knownError(ctx, tx, o.IncidentID, ev.Service, ev.Summary, details, now); err != nil {
			return o, false, err
		}
		if err := e.serviceState(ctx, tx, ev.Service, o.IncidentID, state, now, ev.Summary); err != nil {
			return o, false, err
		}
		if !maint {
			if e.StartEscalation != nil && escal != "" {
				if err := e.StartEscalation(ctx, tx, o.IncidentID, escal, ev.Service, ev.Severity, now); err != nil {
					return o, false, err
				}
				enqueued = true // the escalation worker is kicked with the outbox
			} else if enqueued, err = e.notify(ctx, tx, o.IncidentID, escal, "triggered", now); err != nil {
				return o, false, err
			}
		}
	case !found:
		// An acknowledge or resolve for nothing open: recorded, nothing to do.
		o.Status = ""
	case ev.Action == ActionTrigger:
		o.IncidentID, o.Status = r.id, r.status
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET last_event_at = $2, event_count = event_count + 1 WHERE id = $1`, r.id, store.Millis(now)); err != nil {
			return o, false, err
		}
		if err := logEntry(ctx, tx, r.id, now, "event", "integration:"+in.Name, "triggered again (deduplicated): "+ev.Summary); err != nil {
			return o, false, err
		}
		if r.snoozed {
			if enqueued, err = e.endSnooze(ctx, tx, r.id, now); err != nil {
				return o, false, err
			}
			if cached := tx.open[key]; cached != nil {
				cached.snoozed = false
			}
		}
	case ev.Action == ActionAcknowledge:
		o.IncidentID, o.Status = r.id, r.status
		if r.status == Triggered {
			enqueued, err = e.transition(ctx, tx, r, Acknowledged, "integration:"+in.Name, now)
			o.Status = Acknowledged
			if cached := tx.open[key]; cached != nil {
				cached.status = Acknowledged
			}
		} else {
			err = logEntry(ctx, tx, r.id, now, "event", "integration:"+in.Name, "acknowledge event (already "+r.status+")")
		}
		if err != nil {
			return o, false, err
		}
	case ev.Action == ActionResolve:
		o.IncidentID, o.Status = r.id, r.status
		if !in.autoResolve() {
			if err := logEntry(ctx, tx, r.id, now, "event", "integration:"+in.Name, "the source resolved it; auto-resolve is off, so it stays open"); err != nil {
				return o, false, err
			}
			break
		}
		svc := ev.Service
		enqueued, err = e.resolve(ctx, tx, r, svc, "integration:"+in.Name, now)
		o.Status = Resolved
		if cached := tx.open[key]; cached != nil {
			cached.closed = true
		}
		if err != nil {
			return o, false, err
		}
	}
	// The event is stored with the incident it went to, in the same
	// transaction: durable before the sender hears 202.
	incidentID := sql.NullInt64{Int64: o.IncidentID, Valid: o.IncidentID != 0}
	args := []any{ev.Integration, ev.Action, ev.DedupKey, string(ev.Body), store.Millis(now), incidentID}
	if eventID != nil && tx.deferred(eventInsert, args, eventID) {
		return o, enqueued, nil
	}
	if err := tx.QueryRowContext(ctx, eventInsert, args...).Scan(&o.EventID); err != nil {
		return o, false, fmt.Errorf("incident: record event: %w", err)
	}
	return o, enqueued, nil
}

// transition moves an open incident to acknowledged.
func (e *Engine) transition(ctx context.Context, tx *stmts, r row, to, actor string, now time.Time) (bool, error) {
	// The escalation is stopped before the incident row is touched: the
	// escalation worker locks the escalation and then the incident (its
	// outbox rows refer to it), and taking them in the same order keeps
	// PostgreSQL from deadlocking the two.
	if e.StopEscalation != nil {
		if err := e.StopEscalation(ctx, tx, r.id, "acknowledged by "+actor, now); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET status = $2, acknowledged_at = $3, acknowledged_by = $4 WHERE id = $1`, r.id, to, store.Millis(now), actor); err != nil {
		return false, fmt.Errorf("incident: acknowledge: %w", err)
	}
	if err := logEntry(ctx, tx, r.id, now, "status", actor, "acknowledged"); err != nil {
		return false, err
	}
	if r.maint {
		return false, nil
	}
	return e.notify(ctx, tx, r.id, r.escal, "acknowledged", now)
}

// resolve closes an open incident and gives its service back.
func (e *Engine) resolve(ctx context.Context, tx *stmts, r row, service, actor string, now time.Time) (bool, error) {
	if err := e.close(ctx, tx, r, service, actor, "resolved by "+actor, "resolved", 0, now); err != nil {
		return false, err
	}
	if r.maint {
		return false, nil
	}
	return e.notify(ctx, tx, r.id, r.escal, "resolved", now)
}

// close resolves an open incident without notifying anyone: its
// escalation stops (for reason), a snooze ends, the timeline says msg and
// its service gets back what it took. mergedInto, when not 0, records the
// incident it was merged into.
func (e *Engine) close(ctx context.Context, tx *stmts, r row, service, actor, reason, msg string, mergedInto int64, now time.Time) error {
	// Escalation first, then the incident: the same lock order as the
	// escalation worker (see transition).
	if e.StopEscalation != nil {
		if err := e.StopEscalation(ctx, tx, r.id, reason, now); err != nil {
			return err
		}
	}
	merged := sql.NullInt64{Int64: mergedInto, Valid: mergedInto != 0}
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET status = $2, resolved_at = $3, resolved_by = $4, open_key = NULL, snoozed_until = NULL,
		merged_into = $5 WHERE id = $1`, r.id, Resolved, store.Millis(now), actor, merged); err != nil {
		return fmt.Errorf("incident: resolve: %w", err)
	}
	if err := logEntry(ctx, tx, r.id, now, "status", actor, msg); err != nil {
		return err
	}
	if r.state != "none" {
		if err := e.Timeline.Append(ctx, tx, timeline.Transition{Service: service, Input: fmt.Sprintf("incident:%d", r.id), At: now, State: availability.Up,
			Source: fmt.Sprintf("incident:%d resolved", r.id)}); err != nil {
			return err
		}
	}
	return nil
}

// serviceState marks the incident's service down or degraded.
func (e *Engine) serviceState(ctx context.Context, tx *stmts, service string, id int64, state string, now time.Time, summary string) error {
	var st availability.State
	switch state {
	case "down":
		st = availability.Down
	case "degraded":
		st = availability.Degraded
	default:
		return nil
	}
	return e.Timeline.Append(ctx, tx, timeline.Transition{Service: service, Input: fmt.Sprintf("incident:%d", id), At: now, State: st,
		Source: fmt.Sprintf("incident:%d: %s", id, clip(summary, 200))})
}

// notify enqueues a notification to every channel of the policy's first
// level (escalation steps and people come with on-call).
func (e *Engine) notify(ctx context.Context, tx *stmts, id int64, policy, kind string, now time.Time) (bool, error) {
	e.mu.RLock()
	p, ok := e.policies[policy]
	e.mu.RUnlock()
	if !ok || len(p.Levels) == 0 {
		return false, nil
	}
	any := false
	for _, t := range p.Levels[0].Notify {
		ch, name, _ := strings.Cut(t, ":")
		if ch != "channel" {
			continue
		}
		// Written with the batch's other rows when the ingester batches.
		if _, err := tx.ExecContext(ctx, outboxInsert, id, name, kind, store.Millis(now), store.Millis(now)); err != nil {
			return false, fmt.Errorf("incident: enqueue notification: %w", err)
		}
		any = true
	}
	return any, nil
}

// knownError records on a new incident the known error it matches, if any.
func (e *Engine) knownError(ctx context.Context, tx *stmts, id int64, service, summary string, details json.RawMessage, now time.Time) error {
	if e.KnownError == nil {
		return nil
	}
	kid, title, _, ok := e.KnownError(service, summary, details)
	if !ok {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET known_error_id = $2 WHERE id = $1`, id, kid); err != nil {
		return fmt.Errorf("incident: record known error: %w", err)
	}
	return logEntry(ctx, tx, id, now, "event", "sextant", fmt.Sprintf("matches known error #%d: %s", kid, title))
}

func logEntry(ctx context.Context, tx *stmts, id int64, at time.Time, kind, actor, msg string) error {
	if _, err := tx.ExecContext(ctx, logInsert, id, store.Millis(at), kind, actor, clip(msg, 4000)); err != nil {
		return fmt.Errorf("incident: log: %w", err)
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
