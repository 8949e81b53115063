package change

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store"
)

// Sources is what change requests read from the rest of the server. Each
// is optional: without it the check or the effect it stands for is left
// out (tests set only what they need).
type Sources struct {
	// Services returns the facts of the named services as of now; names
	// it does not know are missing from the answer.
	Services func(ctx context.Context, names []string, now time.Time) (map[string]ServiceFacts, error)
	// Item says whether a configuration item exists.
	Item func(ctx context.Context, name string) bool
	// ItemsOf maps each service to the configuration items it depends on.
	ItemsOf func(ctx context.Context) (map[string][]string, error)
	// Role is a user's role, "" for a name that is no user.
	Role func(ctx context.Context, name string) auth.Role
	// People are those who may receive approval mail: a name and an
	// address.
	People func(ctx context.Context) map[string]string
	// Maintenance makes [start, end) a maintenance window on services,
	// audited as actor, and returns its reference.
	Maintenance func(ctx context.Context, actor string, services []string, title string, start, end time.Time) (string, error)
}

// MailChannel is the outbox channel that carries approval mail; a row's
// kind is MailKind(change, approver).
const MailChannel = "change-mail"

// MailKind is the outbox kind of the approval mail of a change to one
// approver.
func MailKind(id int64, approver string) string {
	return "change-approval:" + strconv.FormatInt(id, 10) + ":" + approver
}

// ParseMailKind reads a MailKind.
func ParseMailKind(kind string) (int64, string, bool) {
	rest, ok := strings.CutPrefix(kind, "change-approval:")
	if !ok {
		return 0, "", false
	}
	idText, approver, ok := strings.Cut(rest, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	return id, approver, ok && err == nil && approver != ""
}

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Store) rules() Rules {
	if s.Rules == nil {
		return Rules{FailureWindow: DefaultFailureWindow, LinkLifetime: DefaultLinkLifetime}
	}
	return s.Rules()
}

// Rule is the change configuration in force.
func (s *Store) Rule() Rules { return s.rules() }

const requestColumns = `id, type, template, title, description, services, items, implementation, backout, planned_start, planned_end,
	outage, state, outcome, started_at, ended_at, risk, requester, override, maintenance, event_id, created_at, updated_at`

func scanRequest(sc interface{ Scan(...any) error }) (Request, error) {
	var c Request
	var services, items, risk string
	var start, end, created, updated int64
	var outage int64
	var started, ended, event sql.NullInt64
	if err := sc.Scan(&c.ID, &c.Type, &c.Template, &c.Title, &c.Description, &services, &items, &c.Implementation, &c.Backout,
		&start, &end, &outage, &c.State, &c.Outcome, &started, &ended, &risk, &c.Requester, &c.Override, &c.Maintenance, &event,
		&created, &updated); err != nil {
		return Request{}, err
	}
	c.PlannedStart, c.PlannedEnd = store.FromMillis(start), store.FromMillis(end)
	c.CreatedAt, c.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	c.Outage = outage != 0
	if started.Valid {
		t := store.FromMillis(started.Int64)
		c.StartedAt = &t
	}
	if ended.Valid {
		t := store.FromMillis(ended.Int64)
		c.EndedAt = &t
	}
	c.Event = event.Int64
	if err := json.Unmarshal([]byte(services), &c.Services); err != nil {
		return Request{}, err
	}
	if err := json.Unmarshal([]byte(items), &c.Items); err != nil {
		return Request{}, err
	}
	if err := json.Unmarshal([]byte(risk), &c.Risk); err != nil {
		return Request{}, err
	}
	c.Approvals, c.History, c.Incidents, c.Flags = []Approval{}, []Transition{}, []Link{}, []string{}
	if c.Risk.Reasons == nil {
		c.Risk.Reasons = []Reason{}
	}
	return c, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func nullTime(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: store.Millis(*t), Valid: true}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ErrGuard is wrapped by the refusals of the guard rails: a freeze period,
// a spent error budget. An admin's override with a reason passes them.
var ErrGuard = errors.New("refused by a guard rail")

// GuardError is a guard rail's refusal with its reason.
type GuardError struct{ Reasons []string }

func (e *GuardError) Error() string {
	return "the change is refused: " + strings.Join(e.Reasons, "; ") + " (an admin may pass it with an override and a reason)"
}

// Unwrap makes a GuardError an apperr conflict and an ErrGuard.
func (e *GuardError) Unwrap() []error { return []error{ErrGuard, apperr.ErrConflict} }

// validate checks a new change and fills a standard change from its
// template.
func (s *Store) validate(ctx context.Context, in *Input, rules Rules, now time.Time) (map[string]ServiceFacts, error) {
	var inv apperr.Invalid
	if !slices.Contains(Types, in.Type) {
		inv.Add("type", "must be standard, normal or emergency, not %q", in.Type)
	}
	if in.Type == Standard {
		t, ok := rules.Template(in.Template)
		switch {
		case in.Template == "":
			inv.Add("template", "a standard change follows a pre-approved template: name one (%s)", templateNames(rules))
		case !ok:
			inv.Add("template", "unknown template %q (%s)", in.Template, templateNames(rules))
		default:
			in.Title = cmpOr(in.Title, t.Title)
			in.Description = cmpOr(in.Description, t.Description)
			in.Implementation = cmpOr(in.Implementation, t.Implementation)
			in.Backout = cmpOr(in.Backout, t.Backout)
			if len(in.Services) == 0 {
				in.Services = t.Services
			}
			if len(in.Items) == 0 {
				in.Items = t.Items
			}
			in.Outage = in.Outage || t.Outage
		}
	} else if in.Template != "" {
		inv.Add("template", "only a standard change follows a template")
	}
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case in.Title == "":
		inv.Add("title", "is required")
	case len(in.Title) > 200:
		inv.Add("title", "is longer than 200 characters")
	}
	if len(in.Services) == 0 && len(in.Items) == 0 {
		inv.Add("services", "name at least one service or configuration item the change affects")
	}
	var facts map[string]ServiceFacts
	if s.Sources.Services != nil && len(in.Services) > 0 {
		var err error
		if facts, err = s.Sources.Services(ctx, in.Services, now); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for i, name := range in.Services {
		p := fmt.Sprintf("services[%d]", i)
		switch {
		case seen[name]:
			inv.Add(p, "service %q is named twice", name)
		case s.Sources.Services != nil && facts[name].Name == "":
			inv.Add(p, "unknown service %q", name)
		}
		seen[name] = true
	}
	seen = map[string]bool{}
	for i, name := range in.Items {
		p := fmt.Sprintf("items[%d]", i)
		switch {
		case seen["i:"+name]:
			inv.Add(p, "item %q is named twice", name)
		case s.Sources.Item != nil && !s.Sources.Item(ctx, name):
			inv.Add(p, "unknown configuration item %q", name)
		}
		seen["i:"+name] = true
	}
	switch {
	case in.PlannedStart.IsZero():
		inv.Add("planned_start", "is required: an RFC 3339 time")
	case in.PlannedEnd.IsZero():
		inv.Add("planned_end", "is required: an RFC 3339 time")
	case !in.PlannedEnd.After(in.PlannedStart):
		inv.Add("planned_end", "must be after planned_start (%s)", in.PlannedStart.UTC().Format(time.RFC3339))
	}
	if in.At != nil && in.At.After(now) {
		inv.Add("at", "%s is in the future", in.At.UTC().Format(time.RFC3339))
	}
	if in.Override != "" && in.Type != Normal {
		inv.Add("override", "only a normal change meets the guard rails an override passes")
	}
	return facts, inv.Err()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func templateNames(r Rules) string {
	if len(r.Templates) == 0 {
		return "the config file declares none under change.templates"
	}
	names := make([]string, len(r.Templates))
	for i, t := range r.Templates {
		names[i] = t.Name
	}
	return "templates: " + strings.Join(names, ", ")
}

// assess computes a change's risk from the server's facts.
func (s *Store) assess(ctx context.Context, q store.Querier, in Input, facts map[string]ServiceFacts, now time.Time) (Risk, error) {
	ri := RiskInput{Outage: in.Outage, Start: in.PlannedStart, End: in.PlannedEnd}
	for _, name := range in.Services {
		if f, ok := facts[name]; ok {
			ri.Services = append(ri.Services, f)
		}
	}
	if len(in.Items) > 0 {
		hist, err := itemHistory(ctx, q, in.Items, now.Add(-historyWindow), now, s.rules().FailureWindow)
		if err != nil {
			return Risk{}, err
		}
		for _, it := range in.Items {
			ri.Items = append(ri.Items, hist[it])
		}
	}
	return Assess(ri), nil
}

// historyWindow is how far back an item's change-failure rate is read.
const historyWindow = 90 * 24 * time.Hour

// itemHistory counts, per item, the changes ended in [from, to) that
// touched it and how many of those failed (ended failed or rolled back,
// or with a linked incident).
func itemHistory(ctx context.Context, q store.Querier, items []string, from, to time.Time, window time.Duration) (map[string]ItemFacts, error) {
	out := map[string]ItemFacts{}
	for _, it := range items {
		out[it] = ItemFacts{Name: it}
	}
	cs, err := queryRequests(ctx, q, `WHERE ended_at >= $1 AND ended_at < $2 AND outcome <> ''`, store.Millis(from), store.Millis(to))
	if err != nil {
		return nil, err
	}
	if err := loadLinks(ctx, q, cs); err != nil {
		return nil, err
	}
	for _, c := range cs {
		failed := c.Outcome == Failed || c.Outcome == RolledBack || len(c.Incidents) > 0
		for _, it := range c.Items {
			f, ok := out[it]
			if !ok {
				continue
			}
			f.Completed++
			if failed {
				f.Failed++
			}
			out[it] = f
		}
	}
	return out, nil
}

func queryRequests(ctx context.Context, q store.Querier, where string, args ...any) ([]Request, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+requestColumns+` FROM change_requests `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("change: list requests: %w", err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		c, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("change: list requests: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// loadLinks fills the linked incidents of cs.
func loadLinks(ctx context.Context, q store.Querier, cs []Request) error {
	if len(cs) == 0 {
		return nil
	}
	idx := map[int64]int{}
	for i, c := range cs {
		idx[c.ID] = i
	}
	rows, err := q.QueryContext(ctx, `SELECT change_id, incident_id, linked_by, note, at FROM change_incidents ORDER BY at, incident_id`)
	if err != nil {
		return fmt.Errorf("change: links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var l Link
		var at int64
		if err := rows.Scan(&id, &l.Incident, &l.By, &l.Note, &at); err != nil {
			return fmt.Errorf("change: links: %w", err)
		}
		l.At = store.FromMillis(at)
		if i, ok := idx[id]; ok {
			cs[i].Incidents = append(cs[i].Incidents, l)
		}
	}
	return rows.Err()
}

// Create records a change request as a draft, with its risk assessed,
// and submits it at once when in.Submit is set (see Transition).
func (s *Store) Create(ctx context.Context, actor Actor, in Input) (Request, error) {
	rules := s.rules()
	now := s.now()
	facts, err := s.validate(ctx, &in, rules, now)
	if err != nil {
		return Request{}, err
	}
	if in.Services == nil {
		in.Services = []string{}
	}
	if in.Items == nil {
		in.Items = []string{}
	}
	when := now
	if in.At != nil {
		when = in.At.UTC()
	}
	when = when.Truncate(time.Millisecond)
	var id int64
	var after func(context.Context) error
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		risk, err := s.assess(ctx, tx, in, facts, now)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO change_requests (type, template, title, description, services, items, implementation, backout,
			planned_start, planned_end, outage, state, risk, requester, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
			in.Type, in.Template, in.Title, in.Description, jsonText(in.Services), jsonText(in.Items), in.Implementation, in.Backout,
			store.Millis(in.PlannedStart), store.Millis(in.PlannedEnd), boolInt(in.Outage), Draft, jsonText(risk), actor.Name, store.Millis(when)).Scan(&id)
		if err != nil {
			return fmt.Errorf("change: create: %w", err)
		}
		if err := history(ctx, tx, id, when, actor.label(), "", Draft, "created"); err != nil {
			return err
		}
		c, err := readRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, actor.label(), audit.Create, "change", strconv.FormatInt(id, 10), nil, c); err != nil {
			return err
		}
		if in.Submit {
			after, err = s.move(ctx, tx, actor, c, StatusInput{Status: Submitted, Override: in.Override, At: in.At}, now)
			return err
		}
		if in.Override != "" {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "override", Msg: "an override is given when the change is submitted"}}}
		}
		return nil
	})
	if err != nil {
		return Request{}, err
	}
	if after != nil {
		if err := after(ctx); err != nil {
			return Request{}, err
		}
	}
	return s.Get(ctx, id)
}

func history(ctx context.Context, q store.Querier, id int64, at time.Time, actor string, from, to State, note string) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO change_history (change_id, at, actor, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, store.Millis(at), actor, from, to, note); err != nil {
		return fmt.Errorf("change: history: %w", err)
	}
	return nil
}

func readRequest(ctx context.Context, q store.Querier, id int64) (Request, error) {
	c, err := scanRequest(q.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM change_requests WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, apperr.NotFound("change %d", id)
	}
	if err != nil {
		return Request{}, fmt.Errorf("change: read %d: %w", id, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT approver, group_names, decision, comment, via, at FROM change_approvals WHERE change_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return Request{}, fmt.Errorf("change: approvals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Approval
		var groups string
		var at int64
		if err := rows.Scan(&a.Approver, &groups, &a.Decision, &a.Comment, &a.Via, &at); err != nil {
			return Request{}, err
		}
		a.At = store.FromMillis(at)
		if err := json.Unmarshal([]byte(groups), &a.Groups); err != nil {
			return Request{}, err
		}
		c.Approvals = append(c.Approvals, a)
	}
	if err := rows.Err(); err != nil {
		return Request{}, err
	}
	hrows, err := q.QueryContext(ctx, `SELECT at, actor, from_state, to_state, note FROM change_history WHERE change_id = $1 ORDER BY id`, id)
	if err != nil {
		return Request{}, fmt.Errorf("change: history: %w", err)
	}
	defer hrows.Close()
	for hrows.Next() {
		var h Transition
		var at int64
		if err := hrows.Scan(&at, &h.Actor, &h.From, &h.To, &h.Note); err != nil {
			return Request{}, err
		}
		h.At = store.FromMillis(at)
		c.History = append(c.History, h)
	}
	if err := hrows.Err(); err != nil {
		return Request{}, err
	}
	cs := []Request{c}
	if err := loadLinks(ctx, q, cs); err != nil {
		return Request{}, err
	}
	return cs[0], nil
}

// Get returns a change with its approvals, history, links, the tally of
// its approvals and the overlap flags.
func (s *Store) Get(ctx context.Context, id int64) (Request, error) {
	c, err := readRequest(ctx, s.DB.Reader(), id)
	if err != nil {
		return Request{}, err
	}
	c.Approval = s.tally(c)
	if len(c.Items) > 0 {
		others, err := queryRequests(ctx, s.DB.Reader(), `WHERE planned_start < $1 AND planned_end > $2 AND id <> $3`,
			store.Millis(c.PlannedEnd), store.Millis(c.PlannedStart), c.ID)
		if err != nil {
			return Request{}, err
		}
		if c.State != Closed && c.State != Rejected {
			c.Flags = Overlaps(c, others)
		}
	}
	return c, nil
}

func (s *Store) tally(c Request) Tally {
	return Count(Required(s.rules().Approvers, c.Type, c.Risk.Level), c.Approvals)
}

// Filter selects change requests for a listing.
type Filter struct {
	State   State
	Type    Type
	Service string
}

// Query lists change requests newest first, one page at a time.
func (s *Store) Query(ctx context.Context, f Filter, page store.Page) ([]Request, string, error) {
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	svc := ""
	if f.Service != "" {
		svc = "%" + jsonText(f.Service) + "%"
	}
	out, err := queryRequests(ctx, s.DB.Reader(), `WHERE id < $1 AND ($2 = '' OR state = $2) AND ($3 = '' OR type = $3) AND ($4 = '' OR services LIKE $4)
		ORDER BY id DESC LIMIT $5`, before, string(f.State), string(f.Type), svc, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.IDCursor(out[limit-1].ID)
	}
	// LIKE matched the quoted name; "_" and "%" in a name match more.
	out = onService(out, f.Service)
	for i := range out {
		out[i].Approval = s.tally(out[i])
	}
	return out, next, nil
}

// List returns every change request whose planned or actual window
// overlaps [from, to), by planned start, with its outcome and linked
// incidents: the calendar's and the KPIs' reading.
func (s *Store) List(ctx context.Context, from, to time.Time) ([]Request, error) {
	out, err := queryRequests(ctx, s.DB.Reader(), `WHERE (planned_start < $2 AND planned_end > $1) OR (COALESCE(started_at, planned_start) < $2 AND COALESCE(ended_at, planned_end) >= $1)
		ORDER BY planned_start, id`, store.Millis(from), store.Millis(to))
	if err != nil {
		return nil, err
	}
	if err := loadLinks(ctx, s.DB.Reader(), out); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Approval = s.tally(out[i])
	}
	return out, nil
}

// Transition moves a change as a person asks (see Step): submitting runs
// the guard rails and asks its approvers; scheduling an outage change
// makes its maintenance window; starting and completing record when.
func (s *Store) Transition(ctx context.Context, actor Actor, id int64, in StatusInput) (Request, error) {
	now := s.now()
	var after func(context.Context) error
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.DB.Serialize(ctx, tx, "change:"+strconv.FormatInt(id, 10)); err != nil {
			return err
		}
		c, err := readRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		after, err = s.move(ctx, tx, actor, c, in, now)
		return err
	})
	if err != nil {
		return Request{}, err
	}
	if after != nil {
		if err := after(ctx); err != nil {
			return Request{}, err
		}
	}
	return s.Get(ctx, id)
}

// move makes one requested step inside tx and returns what is to be done
// once it is committed (the maintenance window), nil for nothing.
func (s *Store) move(ctx context.Context, tx *sql.Tx, actor Actor, c Request, in StatusInput, now time.Time) (func(context.Context) error, error) {
	t := s.tally(c)
	if err := Step(c, t, in.Status, in.Outcome); err != nil {
		return nil, fmt.Errorf("%w: %w", apperr.ErrConflict, err)
	}
	when := now
	if in.At != nil {
		last := c.UpdatedAt
		if len(c.History) > 0 {
			last = c.History[len(c.History)-1].At
		}
		var inv apperr.Invalid
		switch {
		case in.At.After(now):
			inv.Add("at", "%s is in the future", in.At.UTC().Format(time.RFC3339))
		case in.At.Before(last):
			inv.Add("at", "%s is before the change's last step at %s", in.At.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339))
		}
		if err := inv.Err(); err != nil {
			return nil, err
		}
		when = in.At.UTC()
	}
	when = when.Truncate(time.Millisecond)
	if in.Override != "" && in.Status != Submitted {
		return nil, &apperr.Invalid{Fields: []apperr.Field{{Path: "override", Msg: "an override is given when the change is submitted"}}}
	}
	set := func(state State, note string) error {
		if _, err := tx.ExecContext(ctx, `UPDATE change_requests SET state = $2, updated_at = $3 WHERE id = $1`, c.ID, state, store.Millis(when)); err != nil {
			return fmt.Errorf("change: move %d: %w", c.ID, err)
		}
		if err := history(ctx, tx, c.ID, when, actor.label(), c.State, state, note); err != nil {
			return err
		}
		before := c
		c.State = state
		return audit.Record(ctx, tx, now, actor.label(), audit.Update, "change", strconv.FormatInt(c.ID, 10), before, c)
	}
	switch in.Status {
	case Submitted:
		// The risk is assessed again as of the submission: that is what
		// the approvers judge.
		var facts map[string]ServiceFacts
		if s.Sources.Services != nil && len(c.Services) > 0 {
			var err error
			if facts, err = s.Sources.Services(ctx, c.Services, now); err != nil {
				return nil, err
			}
		}
		risk, err := s.assess(ctx, tx, Input{Services: c.Services, Items: c.Items, Outage: c.Outage, PlannedStart: c.PlannedStart, PlannedEnd: c.PlannedEnd}, facts, now)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE change_requests SET risk = $2 WHERE id = $1`, c.ID, jsonText(risk)); err != nil {
			return nil, err
		}
		c.Risk = risk
		if err := s.guard(ctx, tx, actor, c, facts, in.Override, now); err != nil {
			return nil, err
		}
		note := in.Note
		if in.Override != "" {
			note = strings.TrimSpace("override by " + actor.Name + ": " + in.Override + " " + note)
			if _, err := tx.ExecContext(ctx, `UPDATE change_requests SET override = $2 WHERE id = $1`, c.ID, in.Override); err != nil {
				return nil, err
			}
		}
		if err := set(Submitted, note); err != nil {
			return nil, err
		}
		if c.Type == Standard {
			if err := set(Approved, "pre-approved by template "+c.Template); err != nil {
				return nil, err
			}
			return s.schedule(ctx, tx, c, actor.label(), when)
		}
		return nil, s.askApprovers(ctx, tx, c, now)
	case Scheduled:
		return s.schedule(ctx, tx, c, actor.label(), when)
	case InProgress:
		if _, err := tx.ExecContext(ctx, `UPDATE change_requests SET started_at = $2 WHERE id = $1`, c.ID, store.Millis(when)); err != nil {
			return nil, err
		}
		return nil, set(InProgress, in.Note)
	case Completed:
		if _, err := tx.ExecContext(ctx, `UPDATE change_requests SET ended_at = $2, outcome = $3 WHERE id = $1`, c.ID, store.Millis(when), in.Outcome); err != nil {
			return nil, err
		}
		c.Outcome = in.Outcome
		return nil, set(Completed, strings.TrimSpace(string(in.Outcome)+" "+in.Note))
	case Closed:
		return nil, set(Closed, in.Note)
	}
	return nil, nil
}

// guard runs the guard rails on a normal change being submitted: a freeze
// period over its window, or a service whose error budget is spent,
// refuses it unless an admin overrides with a reason — which is audited.
func (s *Store) guard(ctx context.Context, tx *sql.Tx, actor Actor, c Request, facts map[string]ServiceFacts, override string, now time.Time) error {
	if c.Type != Normal {
		return nil
	}
	var reasons []string
	freezes, err := s.freezes(ctx, tx)
	if err != nil {
		return err
	}
	if f, ok := InFreeze(freezes, c.Services, c.PlannedStart, c.PlannedEnd); ok {
		why := fmt.Sprintf("the window falls in the freeze period %q (%s to %s)", f.Name, f.Start.UTC().Format(time.RFC3339), f.End.UTC().Format(time.RFC3339))
		if f.Reason != "" {
			why += ": " + f.Reason
		}
		reasons = append(reasons, why)
	}
	for _, name := range c.Services {
		if f := facts[name]; f.BudgetSpent() {
			reasons = append(reasons, fmt.Sprintf("service %s has spent its error budget (%s over)", name, (-f.BudgetLeft).Round(time.Second)))
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	override = strings.TrimSpace(override)
	switch {
	case override == "":
		return &GuardError{Reasons: reasons}
	case !actor.Admin():
		return fmt.Errorf("override: only an admin may override a guard rail: %w", apperr.ErrForbidden)
	}
	return audit.Record(ctx, tx, now, actor.label(), "override", "change", strconv.FormatInt(c.ID, 10),
		map[string]any{"refused": reasons}, map[string]any{"override": override})
}

// schedule moves an approved change to scheduled and returns the step that
// makes its maintenance window once committed, when it expects an outage.
func (s *Store) schedule(ctx context.Context, tx *sql.Tx, c Request, actor string, when time.Time) (func(context.Context) error, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE change_requests SET state = $2, updated_at = $3 WHERE id = $1`, c.ID, Scheduled, store.Millis(when)); err != nil {
		return nil, err
	}
	if err := history(ctx, tx, c.ID, when, actor, Approved, Scheduled, "planned "+c.PlannedStart.UTC().Format(time.RFC3339)+" to "+c.PlannedEnd.UTC().Format(time.RFC3339)); err != nil {
		return nil, err
	}
	if !c.Outage || len(c.Services) == 0 || s.Sources.Maintenance == nil || c.Maintenance != "" {
		return nil, nil
	}
	return func(ctx context.Context) error {
		title := fmt.Sprintf("Change #%d: %s", c.ID, c.Title)
		ref, err := s.Sources.Maintenance(ctx, "change:"+strconv.FormatInt(c.ID, 10), c.Services, title, c.PlannedStart, c.PlannedEnd)
		note := "maintenance window " + ref + " on " + strings.Join(c.Services, ", ")
		if err != nil {
			note = "no maintenance window: " + err.Error()
		}
		return s.DB.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE change_requests SET maintenance = $2 WHERE id = $1`, c.ID, ref); err != nil {
				return err
			}
			return history(ctx, tx, c.ID, when, "system", Scheduled, Scheduled, note)
		})
	}, nil
}

// askApprovers enqueues, in the submission's transaction, one approval
// mail per member of the change's approver groups who has an address.
func (s *Store) askApprovers(ctx context.Context, tx *sql.Tx, c Request, now time.Time) error {
	if s.Sources.People == nil {
		return nil
	}
	groups := Required(s.rules().Approvers, c.Type, c.Risk.Level)
	people := s.Sources.People(ctx)
	var names []string
	for name := range people {
		names = append(names, name)
	}
	slices.Sort(names)
	n := 0
	for _, name := range names {
		var role auth.Role
		if s.Sources.Role != nil {
			role = s.Sources.Role(ctx, name)
		}
		if !slices.ContainsFunc(groups, func(g ApproverGroup) bool { return Member(g, name, role) }) || people[name] == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
			VALUES (NULL, $1, $2, 'pending', 0, $3, 0, '', $3)`, MailChannel, MailKind(c.ID, name), store.Millis(now)); err != nil {
			return fmt.Errorf("change: enqueue approval mail: %w", err)
		}
		n++
	}
	if n > 0 && s.OnEnqueue != nil {
		s.OnEnqueue()
	}
	return nil
}

// Decide records an approver's decision (via the API, the UI or a signed
// mail link). The approver must belong to one of the change's approver
// groups and decides once. When every group has its quorum a normal change
// is approved and scheduled at once; one rejection rejects it. An
// emergency change keeps its state: its approval comes after the fact.
func (s *Store) Decide(ctx context.Context, actor Actor, id int64, d Decision, via string) (Request, error) {
	now := s.now()
	var inv apperr.Invalid
	if d.Decision != Approve && d.Decision != Reject {
		inv.Add("decision", "must be approve or reject, not %q", d.Decision)
	}
	if len(d.Comment) > 2000 {
		inv.Add("comment", "is longer than 2000 characters")
	}
	if d.At != nil && d.At.After(now) {
		inv.Add("at", "%s is in the future", d.At.UTC().Format(time.RFC3339))
	}
	if err := inv.Err(); err != nil {
		return Request{}, err
	}
	when := now
	if d.At != nil {
		when = d.At.UTC()
	}
	when = when.Truncate(time.Millisecond)
	var after func(context.Context) error
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.DB.Serialize(ctx, tx, "change:"+strconv.FormatInt(id, 10)); err != nil {
			return err
		}
		c, err := readRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		groups := Required(s.rules().Approvers, c.Type, c.Risk.Level)
		before := Count(groups, c.Approvals)
		switch {
		case c.Type == Standard:
			return apperr.Conflict("change #%d is a standard change: its template approved it", id)
		case c.Type == Normal && c.State != Submitted:
			return apperr.Conflict("change #%d is %s: only a submitted change is decided", id, c.State)
		case c.Type == Emergency && (c.State == Draft || before.Status != Submitted):
			return apperr.Conflict("change #%d is %s with its approvals %s: nothing awaits a decision", id, c.State, before.Status)
		case slices.ContainsFunc(c.Approvals, func(a Approval) bool { return a.Approver == actor.Name }):
			return apperr.Conflict("%s has already decided on change #%d", actor.Name, id)
		}
		var mine []string
		for _, g := range groups {
			if Member(g, actor.Name, actor.Role) {
				mine = append(mine, g.Name)
			}
		}
		if len(mine) == 0 {
			return fmt.Errorf("%s is not an approver of change #%d (%s): %w", actor.Name, id, describe(groups), apperr.ErrForbidden)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO change_approvals (change_id, approver, group_names, decision, comment, via, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, actor.Name, jsonText(mine), d.Decision, d.Comment, via, store.Millis(when)); err != nil {
			return fmt.Errorf("change: record decision: %w", err)
		}
		c.Approvals = append(c.Approvals, Approval{Approver: actor.Name, Groups: mine, Decision: d.Decision, Comment: d.Comment, Via: via, At: when})
		if err := audit.Record(ctx, tx, now, actor.label(), audit.Update, "change", strconv.FormatInt(id, 10), nil,
			map[string]any{"decision": d.Decision, "comment": d.Comment, "via": via, "groups": mine}); err != nil {
			return err
		}
		t := Count(groups, c.Approvals)
		if c.Type == Emergency {
			if t.Status != Submitted {
				return history(ctx, tx, id, when, actor.label(), c.State, c.State, "emergency change "+string(t.Status)+" after the fact")
			}
			return nil
		}
		move := func(to State, note string) error {
			if _, err := tx.ExecContext(ctx, `UPDATE change_requests SET state = $2, updated_at = $3 WHERE id = $1`, id, to, store.Millis(when)); err != nil {
				return err
			}
			return history(ctx, tx, id, when, actor.label(), c.State, to, note)
		}
		switch t.Status {
		case Rejected:
			return move(Rejected, "rejected by "+actor.Name+": "+d.Comment)
		case Approved:
			if err := move(Approved, "approved by "+approvers(t)); err != nil {
				return err
			}
			c.State = Approved
			after, err = s.schedule(ctx, tx, c, actor.label(), when)
			return err
		}
		return nil
	})
	if err != nil {
		return Request{}, err
	}
	if after != nil {
		if err := after(ctx); err != nil {
			return Request{}, err
		}
	}
	return s.Get(ctx, id)
}

func approvers(t Tally) string {
	var names []string
	for _, g := range t.Groups {
		for _, n := range g.Approved {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return strings.Join(names, ", ")
}

// describe says who the groups are, for a refusal.
func describe(groups []ApproverGroup) string {
	var parts []string
	for _, g := range groups {
		var who []string
		if g.Role != "" {
			who = append(who, "role "+g.Role)
		}
		who = append(who, g.People...)
		parts = append(parts, fmt.Sprintf("%s: %s, %d needed", g.Name, strings.Join(who, " or "), max(g.Quorum, 1)))
	}
	return strings.Join(parts, "; ")
}

// Awaiting lists the changes awaiting the actor's decision: submitted
// normal changes and undecided emergency changes where the actor belongs
// to a group short of its quorum and has not decided.
func (s *Store) Awaiting(ctx context.Context, actor Actor) ([]Request, error) {
	cs, err := queryRequests(ctx, s.DB.Reader(), `WHERE type <> 'standard' AND state IN ('submitted', 'in_progress', 'completed') ORDER BY planned_start, id`)
	if err != nil {
		return nil, err
	}
	out := []Request{}
	for _, c := range cs {
		if c.Type == Normal && c.State != Submitted {
			continue
		}
		full, err := readRequest(ctx, s.DB.Reader(), c.ID)
		if err != nil {
			return nil, err
		}
		groups := Required(s.rules().Approvers, full.Type, full.Risk.Level)
		t := Count(groups, full.Approvals)
		if t.Status != Submitted || slices.ContainsFunc(full.Approvals, func(a Approval) bool { return a.Approver == actor.Name }) {
			continue
		}
		for i, g := range groups {
			if Member(g, actor.Name, actor.Role) && len(t.Groups[i].Approved) < t.Groups[i].Quorum {
				full.Approval = t
				out = append(out, full)
				break
			}
		}
	}
	return out, nil
}

// LinkIncident ties an incident to a change: the change counts as failed.
func (s *Store) LinkIncident(ctx context.Context, actor Actor, id int64, in LinkInput) (Request, error) {
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := readRequest(ctx, tx, id); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE id = $1`, in.Incident).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "incident", Msg: fmt.Sprintf("there is no incident #%d", in.Incident)}}}
		}
		var dup int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM change_incidents WHERE change_id = $1 AND incident_id = $2`, id, in.Incident).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return apperr.Conflict("incident #%d is already linked to change #%d", in.Incident, id)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO change_incidents (change_id, incident_id, linked_by, note, at) VALUES ($1, $2, $3, $4, $5)`,
			id, in.Incident, actor.Name, in.Note, store.Millis(now)); err != nil {
			return fmt.Errorf("change: link incident: %w", err)
		}
		return audit.Record(ctx, tx, now, actor.label(), audit.Update, "change", strconv.FormatInt(id, 10), nil, map[string]any{"linked_incident": in.Incident, "note": in.Note})
	})
	if err != nil {
		return Request{}, err
	}
	return s.Get(ctx, id)
}

// FailureRate reads the changes that ended in [from, to) (those touching
// service, or all when it is "") and the incidents opened up to the
// failure window after to, and judges them with FailureRate.
func (s *Store) FailureRate(ctx context.Context, from, to time.Time, service string) (FailureReport, error) {
	window := s.rules().FailureWindow
	q := s.DB.Reader()
	cs, err := queryRequests(ctx, q, `WHERE ended_at >= $1 AND ended_at < $2 AND outcome <> '' ORDER BY ended_at, id`, store.Millis(from), store.Millis(to))
	if err != nil {
		return FailureReport{}, err
	}
	deps := map[string][]string{}
	if s.Sources.ItemsOf != nil {
		if deps, err = s.Sources.ItemsOf(ctx); err != nil {
			return FailureReport{}, err
		}
	}
	if service != "" {
		items := deps[service]
		cs = slices.DeleteFunc(cs, func(c Request) bool {
			return !slices.Contains(c.Services, service) && !slices.ContainsFunc(c.Items, func(it string) bool { return slices.Contains(items, it) })
		})
	}
	if err := loadLinks(ctx, q, cs); err != nil {
		return FailureReport{}, err
	}
	incidents, err := s.incidents(ctx, from, to.Add(window), deps)
	if err != nil {
		return FailureReport{}, err
	}
	rep := FailureRate(cs, incidents, window)
	rep.From, rep.To, rep.Service = from, to, service
	return rep, nil
}

// incidents lists the incidents opened in [from, to) with the items their
// services depend on; merged incidents count once, as their target.
func (s *Store) incidents(ctx context.Context, from, to time.Time, deps map[string][]string) ([]IncidentRef, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id, service, created_at FROM incidents WHERE created_at >= $1 AND created_at < $2 AND merged_into IS NULL ORDER BY created_at, id`,
		store.Millis(from), store.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("change: incidents: %w", err)
	}
	defer rows.Close()
	var out []IncidentRef
	for rows.Next() {
		var in IncidentRef
		var at int64
		if err := rows.Scan(&in.ID, &in.Service, &at); err != nil {
			return nil, err
		}
		in.OpenedAt = store.FromMillis(at)
		in.Items = deps[in.Service]
		out = append(out, in)
	}
	return out, rows.Err()
}

// Near lists the changes on service that began before at and had not ended
// more than the failure window before it — the changes an incident opened
// at at may come from — latest first.
func (s *Store) Near(ctx context.Context, service string, at time.Time) ([]Request, error) {
	window := s.rules().FailureWindow
	cs, err := queryRequests(ctx, s.DB.Reader(), `WHERE services LIKE $1 AND COALESCE(started_at, planned_start) <= $2
		AND state IN ('in_progress', 'completed', 'closed') AND (ended_at IS NULL OR ended_at >= $3) ORDER BY COALESCE(started_at, planned_start) DESC, id DESC LIMIT 5`,
		"%"+jsonText(service)+"%", store.Millis(at), store.Millis(at.Add(-window)))
	if err != nil {
		return nil, err
	}
	return nonNil(onService(cs, service)), nil
}

// onService keeps the changes naming service ("" keeps all).
func onService(cs []Request, service string) []Request {
	if service == "" {
		return cs
	}
	return slices.DeleteFunc(cs, func(c Request) bool { return !slices.Contains(c.Services, service) })
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// freezes are the file's freeze periods and the stored ones.
func (s *Store) freezes(ctx context.Context, q store.Querier) ([]Freeze, error) {
	out := slices.Clone(s.rules().Freezes)
	rows, err := q.QueryContext(ctx, `SELECT id, name, start_at, end_at, services, reason FROM change_freezes ORDER BY start_at, id`)
	if err != nil {
		return nil, fmt.Errorf("change: freezes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f Freeze
		var start, end int64
		var services string
		if err := rows.Scan(&f.ID, &f.Name, &start, &end, &services, &f.Reason); err != nil {
			return nil, err
		}
		f.Start, f.End, f.Source = store.FromMillis(start), store.FromMillis(end), "api"
		if err := json.Unmarshal([]byte(services), &f.Services); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return nonNil(out), rows.Err()
}

// Freezes lists every freeze period, the file's first.
func (s *Store) Freezes(ctx context.Context) ([]Freeze, error) { return s.freezes(ctx, s.DB.Reader()) }

// FreezeInput is the body that declares a freeze period.
type FreezeInput struct {
	Name     string    `json:"name"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Services []string  `json:"services,omitempty"`
	Reason   string    `json:"reason,omitempty"`
}

// AddFreeze stores a freeze period, audited.
func (s *Store) AddFreeze(ctx context.Context, actor string, in FreezeInput) (Freeze, error) {
	now := s.now()
	var inv apperr.Invalid
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		inv.Add("name", "is required")
	}
	switch {
	case in.Start.IsZero():
		inv.Add("start", "is required: an RFC 3339 time")
	case in.End.IsZero():
		inv.Add("end", "is required: an RFC 3339 time")
	case !in.End.After(in.Start):
		inv.Add("end", "must be after start")
	}
	if in.Services == nil {
		in.Services = []string{}
	}
	if s.Sources.Services != nil && len(in.Services) > 0 {
		facts, err := s.Sources.Services(ctx, in.Services, now)
		if err != nil {
			return Freeze{}, err
		}
		for i, name := range in.Services {
			if facts[name].Name == "" {
				inv.Add(fmt.Sprintf("services[%d]", i), "unknown service %q", name)
			}
		}
	}
	all, err := s.Freezes(ctx)
	if err != nil {
		return Freeze{}, err
	}
	if slices.ContainsFunc(all, func(f Freeze) bool { return f.Name == in.Name }) {
		inv.Add("name", "a freeze period named %q exists", in.Name)
	}
	if err := inv.Err(); err != nil {
		return Freeze{}, err
	}
	f := Freeze{Name: in.Name, Start: in.Start.UTC(), End: in.End.UTC(), Services: in.Services, Reason: in.Reason, Source: "api"}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO change_freezes (name, start_at, end_at, services, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			f.Name, store.Millis(f.Start), store.Millis(f.End), jsonText(f.Services), f.Reason, actor, store.Millis(now)).Scan(&f.ID); err != nil {
			return fmt.Errorf("change: add freeze: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "change_freeze", f.Name, nil, f)
	})
	return f, err
}

// DeleteFreeze removes a stored freeze period, audited; the file's are
// removed from the file.
func (s *Store) DeleteFreeze(ctx context.Context, actor string, id int64) error {
	now := s.now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM change_freezes WHERE id = $1`, id).Scan(&name); errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFound("freeze period %d", id)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM change_freezes WHERE id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Delete, "change_freeze", name, map[string]any{"id": id, "name": name}, nil)
	})
}

// recordEvent keeps a PagerDuty change event as a completed standard
// change, in the event's transaction.
func recordEvent(ctx context.Context, tx *sql.Tx, e Event) error {
	at := store.Millis(e.At)
	var id int64
	title := e.Summary
	if len(title) > 200 {
		title = title[:200]
	}
	risk := Risk{Level: Low, Reasons: []Reason{}}
	if err := tx.QueryRowContext(ctx, `INSERT INTO change_requests (type, template, title, description, services, items, planned_start, planned_end,
		outage, state, outcome, started_at, ended_at, risk, requester, event_id, created_at, updated_at)
		VALUES ('standard', 'pagerduty', $1, $2, $3, '[]', $4, $5, 0, 'completed', 'successful', $4, $4, $6, $7, $8, $9, $9) RETURNING id`,
		title, e.Source, jsonText([]string{e.Service}), at, at+1, jsonText(risk), "integration:"+e.Integration, e.ID, store.Millis(e.ReceivedAt)).Scan(&id); err != nil {
		return fmt.Errorf("change: record event as change: %w", err)
	}
	return history(ctx, tx, id, e.At, "integration:"+e.Integration, "", Completed, "reported by a PagerDuty change event")
}
