package postmortem

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// Store reads and writes post-mortems and their action items. Every change
// is audited in its own transaction.
type Store struct {
	db      *store.DB
	reports *timeline.Reporter
	now     func() time.Time
}

// NewStore returns a store that measures impact with reports; now nil
// means time.Now.
func NewStore(db *store.DB, reports *timeline.Reporter, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, reports: reports, now: now}
}

// The audit log's object types.
const (
	auditPostmortem = "postmortem"
	auditItem       = "postmortem_action_item"
)

// incidentRow is what a post-mortem needs of its incident.
type incidentRow struct {
	id              int64
	service, status string
	summary         string
	// created and resolved bound the incident's span; resolved is created
	// while the incident is open.
	created, resolved time.Time
}

func readIncident(ctx context.Context, q store.Querier, id int64) (incidentRow, error) {
	var r incidentRow
	var created int64
	var resolved sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, service, status, summary, created_at, resolved_at FROM incidents WHERE id = $1`, id).
		Scan(&r.id, &r.service, &r.status, &r.summary, &created, &resolved)
	if errors.Is(err, sql.ErrNoRows) {
		return r, apperr.NotFound("incident %d", id)
	}
	if err != nil {
		return r, fmt.Errorf("postmortem: read incident %d: %w", id, err)
	}
	r.created, r.resolved = store.FromMillis(created), store.FromMillis(created)
	if resolved.Valid {
		r.resolved = store.FromMillis(resolved.Int64)
	}
	return r, nil
}

// impact measures an incident with a fresh snapshot.
func (s *Store) impact(ctx context.Context, inc incidentRow) (Impact, error) {
	snap, err := s.reports.Snapshot(ctx)
	if err != nil {
		return Impact{}, err
	}
	return ComputeImpact(snap, inc.service, inc.created, inc.resolved)
}

// Create starts the post-mortem of a resolved incident, with its impact
// measured now and its timeline copied. An incident that is still open, or
// that already has a post-mortem, is a conflict.
func (s *Store) Create(ctx context.Context, actor string, incidentID int64) (Postmortem, error) {
	inc, err := readIncident(ctx, s.db.Reader(), incidentID)
	if err != nil {
		return Postmortem{}, err
	}
	if inc.status != "resolved" {
		return Postmortem{}, apperr.Conflict("incident %d is %s: a post-mortem starts once it is resolved", incidentID, inc.status)
	}
	imp, err := s.impact(ctx, inc)
	if err != nil {
		return Postmortem{}, err
	}
	impJSON, err := json.Marshal(imp)
	if err != nil {
		return Postmortem{}, err
	}
	now := s.now().UTC()
	var pm Postmortem
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var existing int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM postmortems WHERE incident_id = $1`, incidentID).Scan(&existing)
		if err == nil {
			return apperr.Conflict("incident %d already has post-mortem %d", incidentID, existing)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		log, err := incidentLog(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		logJSON, err := json.Marshal(log)
		if err != nil {
			return err
		}
		title := "Post-mortem: " + clip(inc.summary, MaxTitle-len("Post-mortem: "))
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO postmortems (incident_id, service, title, status, summary, root_cause, contributing_factors, lessons,
			impact, timeline, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, '', '', '', '', $5, $6, $7, $8, $8) RETURNING id`,
			incidentID, inc.service, title, Draft, string(impJSON), string(logJSON), actor, store.Millis(now)).Scan(&id)
		if store.IsUniqueViolation(err) {
			return apperr.Conflict("incident %d already has a post-mortem", incidentID)
		}
		if err != nil {
			return fmt.Errorf("postmortem: create: %w", err)
		}
		if pm, err = get(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, auditPostmortem, strconv.FormatInt(id, 10), nil, forAudit(pm))
	})
	return pm, err
}

// forAudit leaves the copied timeline out of audit entries: it never
// changes and may be long.
func forAudit(p Postmortem) Postmortem {
	p.Timeline = nil
	p.ActionItems = nil
	return p
}

func incidentLog(ctx context.Context, q store.Querier, id int64) ([]Entry, error) {
	rows, err := q.QueryContext(ctx, `SELECT at, kind, actor, message FROM incident_log WHERE incident_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("postmortem: incident log: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var at int64
		if err := rows.Scan(&at, &e.Kind, &e.Actor, &e.Message); err != nil {
			return nil, fmt.Errorf("postmortem: incident log: %w", err)
		}
		e.At = store.FromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

const columns = `id, incident_id, service, title, status, summary, root_cause, contributing_factors, lessons, impact, timeline,
	created_by, created_at, updated_at, published_at`

func scan(sc interface{ Scan(...any) error }) (Postmortem, error) {
	var p Postmortem
	var imp, tl string
	var created, updated int64
	var published sql.NullInt64
	err := sc.Scan(&p.ID, &p.IncidentID, &p.Service, &p.Title, &p.Status, &p.Summary, &p.RootCause, &p.ContributingFactors, &p.Lessons,
		&imp, &tl, &p.CreatedBy, &created, &updated, &published)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(imp), &p.Impact); err != nil {
		return p, fmt.Errorf("postmortem %d: impact: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(tl), &p.Timeline); err != nil {
		return p, fmt.Errorf("postmortem %d: timeline: %w", p.ID, err)
	}
	if p.Timeline == nil {
		p.Timeline = []Entry{}
	}
	p.CreatedAt, p.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	if published.Valid {
		t := store.FromMillis(published.Int64)
		p.PublishedAt = &t
	}
	return p, nil
}

// get reads a post-mortem with its action items through q.
func get(ctx context.Context, q store.Querier, id int64) (Postmortem, error) {
	p, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM postmortems WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apperr.NotFound("post-mortem %d", id)
	}
	if err != nil {
		return p, fmt.Errorf("postmortem: get: %w", err)
	}
	p.ActionItems, err = items(ctx, q, id)
	return p, err
}

// Get returns a post-mortem with its action items.
func (s *Store) Get(ctx context.Context, id int64) (Postmortem, error) {
	return get(ctx, s.db.Reader(), id)
}

// ForIncident returns the post-mortem of an incident; ErrNotFound when it
// has none.
func (s *Store) ForIncident(ctx context.Context, incidentID int64) (Postmortem, error) {
	var id int64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id FROM postmortems WHERE incident_id = $1`, incidentID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Postmortem{}, apperr.NotFound("post-mortem of incident %d", incidentID)
	}
	if err != nil {
		return Postmortem{}, fmt.Errorf("postmortem: of incident %d: %w", incidentID, err)
	}
	return s.Get(ctx, id)
}

// Filter narrows a list of post-mortems.
type Filter struct {
	Status  string
	Service string
}

// List returns post-mortems newest first, one page at a time.
func (s *Store) List(ctx context.Context, f Filter, page store.Page) ([]Listed, string, error) {
	if f.Status != "" && !validStatus(f.Status) {
		return nil, "", &apperr.Invalid{Fields: []apperr.Field{{Path: "status", Msg: fmt.Sprintf("must be draft, in_review or published, not %q", f.Status)}}}
	}
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT p.id, p.incident_id, p.service, p.title, p.status, p.created_by, p.created_at, p.updated_at,
			(SELECT COUNT(*) FROM postmortem_action_items a WHERE a.postmortem_id = p.id AND a.state = 'open')
		FROM postmortems p
		WHERE p.id < $1 AND ($2 = '' OR p.status = $2) AND ($3 = '' OR p.service = $3)
		ORDER BY p.id DESC LIMIT $4`, before, f.Status, f.Service, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("postmortem: list: %w", err)
	}
	defer rows.Close()
	out := []Listed{}
	for rows.Next() {
		var l Listed
		var created, updated int64
		if err := rows.Scan(&l.ID, &l.IncidentID, &l.Service, &l.Title, &l.Status, &l.CreatedBy, &created, &updated, &l.OpenItems); err != nil {
			return nil, "", fmt.Errorf("postmortem: list: %w", err)
		}
		l.CreatedAt, l.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("postmortem: list: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.IDCursor(out[limit-1].ID)
	}
	return out, next, nil
}

// change runs fn on a post-mortem in a transaction and audits the result.
func (s *Store) change(ctx context.Context, actor string, id int64, fn func(tx *sql.Tx, p Postmortem, now time.Time) (Postmortem, error)) (Postmortem, error) {
	now := s.now().UTC()
	var out Postmortem
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		after, err := fn(tx, before, now)
		if err != nil {
			return err
		}
		var published sql.NullInt64
		if after.PublishedAt != nil {
			published = store.NullMillis(*after.PublishedAt)
		}
		imp, err := json.Marshal(after.Impact)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE postmortems SET title = $2, status = $3, summary = $4, root_cause = $5, contributing_factors = $6, lessons = $7,
			impact = $8, updated_at = $9, published_at = $10 WHERE id = $1`,
			id, after.Title, after.Status, after.Summary, after.RootCause, after.ContributingFactors, after.Lessons, string(imp), store.Millis(now), published)
		if err != nil {
			return fmt.Errorf("postmortem: update: %w", err)
		}
		if out, err = get(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, auditPostmortem, strconv.FormatInt(id, 10), forAudit(before), forAudit(out))
	})
	return out, err
}

// Update edits a post-mortem's texts and moves its status. A published
// post-mortem is final: changing it is a conflict.
func (s *Store) Update(ctx context.Context, actor string, id int64, e Edit) (Postmortem, error) {
	return s.change(ctx, actor, id, func(tx *sql.Tx, p Postmortem, now time.Time) (Postmortem, error) {
		if p.Status == Published {
			return p, apperr.Conflict("post-mortem %d is published, which is final", id)
		}
		after, err := e.apply(p)
		if err != nil {
			return p, err
		}
		if after.Status == Published {
			after.PublishedAt = &now
		}
		return after, nil
	})
}

// RefreshImpact measures the incident's impact again, e.g. after outages
// were corrected by hand; only a draft's impact may change.
func (s *Store) RefreshImpact(ctx context.Context, actor string, id int64) (Postmortem, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return p, err
	}
	if p.Status != Draft {
		return p, apperr.Conflict("post-mortem %d is %s: its impact changes only while it is a draft", id, p.Status)
	}
	inc, err := readIncident(ctx, s.db.Reader(), p.IncidentID)
	if err != nil {
		return p, err
	}
	imp, err := s.impact(ctx, inc)
	if err != nil {
		return p, err
	}
	return s.change(ctx, actor, id, func(tx *sql.Tx, p Postmortem, now time.Time) (Postmortem, error) {
		if p.Status != Draft {
			return p, apperr.Conflict("post-mortem %d is %s: its impact changes only while it is a draft", id, p.Status)
		}
		p.Impact = imp
		return p, nil
	})
}

const itemColumns = `id, postmortem_id, title, owner, due, state, created_at, updated_at`

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var created, updated int64
	if err := sc.Scan(&it.ID, &it.PostmortemID, &it.Title, &it.Owner, &it.Due, &it.State, &created, &updated); err != nil {
		return it, err
	}
	it.CreatedAt, it.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	return it, nil
}

func items(ctx context.Context, q store.Querier, pmID int64) ([]Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+itemColumns+` FROM postmortem_action_items WHERE postmortem_id = $1 ORDER BY id`, pmID)
	if err != nil {
		return nil, fmt.Errorf("postmortem: action items: %w", err)
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("postmortem: action items: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func getItem(ctx context.Context, q store.Querier, pmID, id int64) (Item, error) {
	it, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM postmortem_action_items WHERE id = $1 AND postmortem_id = $2`, id, pmID))
	if errors.Is(err, sql.ErrNoRows) {
		return it, apperr.NotFound("action item %d of post-mortem %d", id, pmID)
	}
	if err != nil {
		return it, fmt.Errorf("postmortem: action item: %w", err)
	}
	return it, nil
}

// touch marks the post-mortem changed when one of its items is, after
// checking it exists. Items may change after publication: following them
// up is the point of publishing.
func touch(ctx context.Context, tx *sql.Tx, pmID int64, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE postmortems SET updated_at = $2 WHERE id = $1`, pmID, store.Millis(now))
	if err != nil {
		return fmt.Errorf("postmortem: touch: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return apperr.NotFound("post-mortem %d", pmID)
	}
	return nil
}

// AddItem adds an action item.
func (s *Store) AddItem(ctx context.Context, actor string, pmID int64, in ItemInput) (Item, error) {
	if err := in.Validate(); err != nil {
		return Item{}, err
	}
	now := s.now().UTC()
	var it Item
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := touch(ctx, tx, pmID, now); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO postmortem_action_items (postmortem_id, title, owner, due, state, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, pmID, in.Title, in.Owner, in.Due, in.State, store.Millis(now)).Scan(&id)
		if err != nil {
			return fmt.Errorf("postmortem: add action item: %w", err)
		}
		if it, err = getItem(ctx, tx, pmID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, auditItem, strconv.FormatInt(id, 10), nil, it)
	})
	return it, err
}

// UpdateItem replaces an action item's fields.
func (s *Store) UpdateItem(ctx context.Context, actor string, pmID, id int64, in ItemInput) (Item, error) {
	if err := in.Validate(); err != nil {
		return Item{}, err
	}
	now := s.now().UTC()
	var it Item
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := getItem(ctx, tx, pmID, id)
		if err != nil {
			return err
		}
		if err := touch(ctx, tx, pmID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE postmortem_action_items SET title = $2, owner = $3, due = $4, state = $5, updated_at = $6 WHERE id = $1`,
			id, in.Title, in.Owner, in.Due, in.State, store.Millis(now)); err != nil {
			return fmt.Errorf("postmortem: update action item: %w", err)
		}
		if it, err = getItem(ctx, tx, pmID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, auditItem, strconv.FormatInt(id, 10), before, it)
	})
	return it, err
}

// SetItemState moves an action item to state (open, done, wont_do),
// keeping its other fields.
func (s *Store) SetItemState(ctx context.Context, actor string, pmID, id int64, state string) (Item, error) {
	it, err := getItem(ctx, s.db.Reader(), pmID, id)
	if err != nil {
		return it, err
	}
	return s.UpdateItem(ctx, actor, pmID, id, ItemInput{Title: it.Title, Owner: it.Owner, Due: it.Due, State: state})
}

// DeleteItem removes an action item.
func (s *Store) DeleteItem(ctx context.Context, actor string, pmID, id int64) error {
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := getItem(ctx, tx, pmID, id)
		if err != nil {
			return err
		}
		if err := touch(ctx, tx, pmID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM postmortem_action_items WHERE id = $1`, id); err != nil {
			return fmt.Errorf("postmortem: delete action item: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Delete, auditItem, strconv.FormatInt(id, 10), before, nil)
	})
}

// clip shortens s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
