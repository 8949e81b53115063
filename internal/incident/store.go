package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/store"
)

// Incident is one incident as the API and UI show it.
type Incident struct {
	ID             int64           `json:"id"`
	Service        string          `json:"service"`
	Status         string          `json:"status"`
	Severity       string          `json:"severity"`
	Summary        string          `json:"summary"`
	Source         string          `json:"source"`
	DedupKey       string          `json:"dedup_key"`
	Integration    string          `json:"integration"`
	Escalation     string          `json:"escalation_policy"`
	InMaintenance  bool            `json:"in_maintenance"`
	ServiceState   string          `json:"service_state"`
	Details        json.RawMessage `json:"details"`
	EventCount     int             `json:"event_count"`
	CreatedAt      time.Time       `json:"created_at"`
	LastEventAt    time.Time       `json:"last_event_at"`
	AcknowledgedAt *time.Time      `json:"acknowledged_at"`
	AcknowledgedBy string          `json:"acknowledged_by,omitempty"`
	ResolvedAt     *time.Time      `json:"resolved_at"`
	ResolvedBy     string          `json:"resolved_by,omitempty"`
	// KnownErrorID names the known error the incident matched, if any.
	KnownErrorID *int64 `json:"known_error_id"`
	// Notice is set only in the answer to resolving, when the incident's
	// check still fails: its next failing result opens a new incident.
	Notice string `json:"notice,omitempty"`
	// TruncatedAlerts is how many alerts Alertmanager last left out of the
	// group's webhook (its truncatedAlerts).
	TruncatedAlerts int `json:"truncated_alerts"`
	// Assignee is who works the incident (a person of the directory or a
	// user), empty while nobody has taken it.
	Assignee string `json:"assignee"`
	// SnoozedUntil is when a snoozed incident pages again if it is still
	// open; nil when it is not snoozed.
	SnoozedUntil *time.Time `json:"snoozed_until"`
	// MergedInto names the incident this one was merged into, if any.
	MergedInto *int64 `json:"merged_into"`
}

// LogEntry is one line of an incident's timeline.
type LogEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"` // status, event, notification, note
	Actor   string    `json:"actor"`
	Message string    `json:"message"`
}

// Store reads incidents and applies people's actions to them.
type Store struct {
	DB     *store.DB
	Engine *Engine
	// Checks, when set, is told of resolved incidents from checks, and
	// answers whether their check still fails.
	Checks CheckStates
	// OnNote, when set, is called in the transaction that adds a note,
	// after it is written, and reports whether it enqueued notifications
	// (the status pages' subscribers hear of "Public:" notes this way).
	OnNote func(ctx context.Context, tx store.Querier, incident int64, service, text string, now time.Time) (bool, error)
	// IsPerson, when set, says whether a name is a person of the on-call
	// directory; Assign takes those and the users' names.
	IsPerson func(name string) bool
}

const incidentColumns = `id, service, status, severity, summary, source, dedup_key, integration, escalation, in_maintenance, service_state, details,
	event_count, created_at, last_event_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, known_error_id, truncated_alerts, assignee,
	snoozed_until, merged_into`

func scanIncident(sc interface{ Scan(...any) error }) (Incident, error) {
	var i Incident
	var details string
	var created, last int64
	var ack, res, known, snoozed, merged sql.NullInt64
	err := sc.Scan(&i.ID, &i.Service, &i.Status, &i.Severity, &i.Summary, &i.Source, &i.DedupKey, &i.Integration, &i.Escalation, &i.InMaintenance,
		&i.ServiceState, &details, &i.EventCount, &created, &last, &ack, &i.AcknowledgedBy, &res, &i.ResolvedBy, &known, &i.TruncatedAlerts, &i.Assignee,
		&snoozed, &merged)
	if err != nil {
		return i, err
	}
	i.Details = json.RawMessage(details)
	i.CreatedAt, i.LastEventAt = store.FromMillis(created), store.FromMillis(last)
	if ack.Valid {
		t := store.FromMillis(ack.Int64)
		i.AcknowledgedAt = &t
	}
	if res.Valid {
		t := store.FromMillis(res.Int64)
		i.ResolvedAt = &t
	}
	if known.Valid {
		i.KnownErrorID = &known.Int64
	}
	if snoozed.Valid {
		t := store.FromMillis(snoozed.Int64)
		i.SnoozedUntil = &t
	}
	if merged.Valid {
		i.MergedInto = &merged.Int64
	}
	return i, nil
}

// Filter narrows a list of incidents.
type Filter struct {
	Service  string
	Status   string // triggered, acknowledged, resolved, or "open" for the first two
	DedupKey string
	// Assignee keeps only the incidents assigned to this name.
	Assignee string
}

// List returns incidents newest first, one page at a time.
func (s *Store) List(ctx context.Context, f Filter, page store.Page) ([]Incident, string, error) {
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	status, open := f.Status, false
	if status == "open" {
		status, open = "", true
	}
	limit := page.Size()
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE id < $1 AND ($2 = '' OR service = $2) AND ($3 = '' OR status = $3) AND ($4 = '' OR dedup_key = $4) AND ($5 = FALSE OR status <> 'resolved')
		AND ($7 = '' OR assignee = $7)
		ORDER BY id DESC LIMIT $6`, before, f.Service, status, f.DedupKey, open, limit+1, f.Assignee)
	if err != nil {
		return nil, "", fmt.Errorf("incident: list: %w", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		i, err := scanIncident(rows)
		if err != nil {
			return nil, "", fmt.Errorf("incident: list: %w", err)
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.IDCursor(out[limit-1].ID)
	}
	return out, next, nil
}

// Get returns one incident with its timeline.
func (s *Store) Get(ctx context.Context, id int64) (Incident, []LogEntry, error) {
	i, err := scanIncident(s.DB.Reader().QueryRowContext(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return i, nil, apperr.NotFound("incident %d", id)
	}
	if err != nil {
		return i, nil, fmt.Errorf("incident: get: %w", err)
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id, at, kind, actor, message FROM incident_log WHERE incident_id = $1 ORDER BY id`, id)
	if err != nil {
		return i, nil, fmt.Errorf("incident: log: %w", err)
	}
	defer rows.Close()
	log := []LogEntry{}
	for rows.Next() {
		var e LogEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Actor, &e.Message); err != nil {
			return i, nil, err
		}
		e.At = store.FromMillis(at)
		log = append(log, e)
	}
	return i, log, rows.Err()
}

// act runs a person's action on an incident in one transaction.
func (s *Store) act(ctx context.Context, id int64, fn func(tx *stmts, r row, i Incident, now time.Time) (bool, error)) (Incident, error) {
	enqueued := false
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		i, err := scanIncident(tx.QueryRowContext(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFound("incident %d", id)
		}
		if err != nil {
			return err
		}
		r := row{id: i.ID, status: i.Status, severity: i.Severity, state: i.ServiceState, escal: i.Escalation, maint: i.InMaintenance}
		st := newStmts(tx, prepareFor(s.DB))
		defer st.close()
		enqueued, err = fn(st, r, i, s.Engine.Now().UTC())
		return err
	})
	if err != nil {
		return Incident{}, err
	}
	if enqueued && s.Engine.OnEnqueue != nil {
		s.Engine.OnEnqueue()
	}
	if s.Engine.Changed != nil {
		s.Engine.Changed()
	}
	i, _, err := s.Get(ctx, id)
	return i, err
}

// Acknowledge marks a triggered incident acknowledged.
func (s *Store) Acknowledge(ctx context.Context, id int64, actor string) (Incident, error) {
	return s.act(ctx, id, func(tx *stmts, r row, i Incident, now time.Time) (bool, error) {
		if i.Status != Triggered {
			return false, apperr.Conflict("incident %d is already %s", id, i.Status)
		}
		return s.Engine.transition(ctx, tx, r, Acknowledged, actor, now)
	})
}

// Resolve closes an incident. When the incident's check still fails, the
// answer's Notice says that its next failing result opens a new incident.
func (s *Store) Resolve(ctx context.Context, id int64, actor string) (Incident, error) {
	i, err := s.act(ctx, id, func(tx *stmts, r row, i Incident, now time.Time) (bool, error) {
		if i.Status == Resolved {
			return false, apperr.Conflict("incident %d is already resolved", id)
		}
		return s.Engine.resolve(ctx, tx, r, i.Service, actor, now)
	})
	if err == nil {
		i.Notice = s.resolvedNotice(i)
	}
	return i, err
}

// MaxNote is the longest note accepted.
const MaxNote = 10000

// Note adds a person's note to the timeline.
func (s *Store) Note(ctx context.Context, id int64, actor, text string) (Incident, error) {
	switch {
	case text == "":
		return Incident{}, &apperr.Invalid{Fields: []apperr.Field{{Path: "text", Msg: "is required"}}}
	case len(text) > MaxNote:
		return Incident{}, &apperr.Invalid{Fields: []apperr.Field{{Path: "text", Msg: fmt.Sprintf("is longer than %d characters", MaxNote)}}}
	}
	return s.act(ctx, id, func(tx *stmts, r row, i Incident, now time.Time) (bool, error) {
		if err := logEntry(ctx, tx, id, now, "note", actor, text); err != nil || s.OnNote == nil {
			return false, err
		}
		return s.OnNote(ctx, tx.tx, id, i.Service, text, now)
	})
}

// Signer signs the acknowledge and resolve links put in notifications, so
// that whoever holds a link may act without signing in — until it expires.
type Signer struct{ s *signed.Signer }

// LoadSigner reads the server's link key, creating it on first use.
func LoadSigner(ctx context.Context, db *store.DB) (*Signer, error) {
	s, err := signed.Load(ctx, db)
	if err != nil {
		return nil, err
	}
	return &Signer{s: s}, nil
}

// Sign returns the signature of an action on an incident until exp.
func (s *Signer) Sign(id int64, action string, exp time.Time) string {
	return s.s.Sign(strconv.FormatInt(id, 10), action, exp)
}

// Verify checks a signature and that it has not expired at now.
func (s *Signer) Verify(id int64, action string, exp time.Time, sig string, now time.Time) bool {
	return s.s.Verify(strconv.FormatInt(id, 10), action, exp, sig, now)
}

// LinkLifetime is how long a signed link in a notification works.
const LinkLifetime = 7 * 24 * time.Hour

// Links builds an incident's page and its signed action links.
func (s *Signer) Links(base string, id int64, now time.Time) (view, ack, resolve string) {
	exp := now.Add(LinkLifetime).Truncate(time.Second)
	link := func(action string) string {
		return fmt.Sprintf("%s/incidents/%d/act/%s?exp=%d&sig=%s", base, id, action, exp.Unix(), s.Sign(id, action, exp))
	}
	return fmt.Sprintf("%s/incidents/%d", base, id), link("acknowledge"), link("resolve")
}

// Alert is one alert of a group incident, as Alertmanager last sent it.
type Alert struct {
	Fingerprint  string            `json:"fingerprint"`
	Status       string            `json:"status"` // firing or resolved
	Severity     string            `json:"severity"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"starts_at"`
	EndsAt       string            `json:"ends_at"`
	GeneratorURL string            `json:"generator_url,omitempty"`
	FirstSeen    time.Time         `json:"first_seen"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// AlertCounts says how many of an incident's alerts fire and how many
// have resolved.
type AlertCounts struct {
	Firing   int `json:"firing"`
	Resolved int `json:"resolved"`
}

// Alerts lists a group incident's alerts in the order they joined, one
// page at a time; an incident that does not exist is ErrNotFound.
func (s *Store) Alerts(ctx context.Context, id int64, page store.Page) ([]Alert, string, error) {
	if _, err := s.exists(ctx, id); err != nil {
		return nil, "", err
	}
	after, err := page.After()
	if err != nil {
		return nil, "", err
	}
	var from int64
	if after != "" {
		if from, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, "", store.ErrBadCursor
		}
	}
	limit := page.Size()
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id, fingerprint, status, severity, alert, first_seen, updated_at FROM incident_alerts
		WHERE incident_id = $1 AND id > $2 ORDER BY id LIMIT $3`, id, from, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("incident: alerts: %w", err)
	}
	defer rows.Close()
	out := []Alert{}
	var ids []int64
	for rows.Next() {
		var a Alert
		var rowID, first, updated int64
		var raw string
		if err := rows.Scan(&rowID, &a.Fingerprint, &a.Status, &a.Severity, &raw, &first, &updated); err != nil {
			return nil, "", fmt.Errorf("incident: alerts: %w", err)
		}
		var am AMAlert
		_ = json.Unmarshal([]byte(raw), &am) // stored as decoded, so it decodes
		a.Labels, a.Annotations, a.StartsAt, a.EndsAt, a.GeneratorURL = am.Labels, am.Annotations, am.StartsAt, am.EndsAt, am.GeneratorURL
		a.FirstSeen, a.UpdatedAt = store.FromMillis(first), store.FromMillis(updated)
		out, ids = append(out, a), append(ids, rowID)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.IDCursor(ids[limit-1])
	}
	return out, next, nil
}

// CountAlerts counts an incident's alerts by status (zero for incidents
// that are not a group's).
func (s *Store) CountAlerts(ctx context.Context, id int64) (AlertCounts, error) {
	var c AlertCounts
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN status = 'firing' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'firing' THEN 0 ELSE 1 END), 0) FROM incident_alerts WHERE incident_id = $1`, id).Scan(&c.Firing, &c.Resolved)
	if err != nil {
		return c, fmt.Errorf("incident: count alerts: %w", err)
	}
	return c, nil
}

func (s *Store) exists(ctx context.Context, id int64) (bool, error) {
	var n int64
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT id FROM incidents WHERE id = $1`, id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, apperr.NotFound("incident %d", id)
	}
	if err != nil {
		return false, fmt.Errorf("incident: get: %w", err)
	}
	return true, nil
}

// UnroutedAlert is an alert kept because its service is unknown and its
// integration names no service to fall back on.
type UnroutedAlert struct {
	GroupKey    string          `json:"group_key"`
	Fingerprint string          `json:"fingerprint"`
	Service     string          `json:"service"` // the name the alert gave, if any
	Status      string          `json:"status"`
	Alert       json.RawMessage `json:"alert"` // the alert as Alertmanager sent it
	FirstSeen   time.Time       `json:"first_seen"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// Unrouted lists an integration's unrouted alerts, newest first, one page
// at a time.
func (s *Store) Unrouted(ctx context.Context, integration string, page store.Page) ([]UnroutedAlert, string, error) {
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id, group_key, fingerprint, service, status, alert, first_seen, updated_at FROM unrouted_alerts
		WHERE integration = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, integration, before, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("incident: unrouted alerts: %w", err)
	}
	defer rows.Close()
	out := []UnroutedAlert{}
	var ids []int64
	for rows.Next() {
		var u UnroutedAlert
		var rowID, first, updated int64
		var raw string
		if err := rows.Scan(&rowID, &u.GroupKey, &u.Fingerprint, &u.Service, &u.Status, &raw, &first, &updated); err != nil {
			return nil, "", fmt.Errorf("incident: unrouted alerts: %w", err)
		}
		u.Alert = json.RawMessage(raw)
		u.FirstSeen, u.UpdatedAt = store.FromMillis(first), store.FromMillis(updated)
		out, ids = append(out, u), append(ids, rowID)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.IDCursor(ids[limit-1])
	}
	return out, next, nil
}
