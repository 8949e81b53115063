package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
)

// The limits on what one ticket holds, so that one request cannot store
// megabytes of text.
const (
	MaxTitle       = 200
	MaxDescription = 20000
	MaxComment     = 20000
	MaxThirdParty  = 200
)

// Store reads and writes tickets. Every change writes its history rows and
// its audit entry in the same transaction, and recomputes the ticket's
// sort key (the earliest due instant of its running clocks).
type Store struct {
	db  *store.DB
	cat *catalog.Store
	now func() time.Time
	cfg atomic.Pointer[Compiled]
	// IsUser says whether a name is a user of this server, for requesters
	// and assignees; nil accepts any name.
	IsUser func(ctx context.Context, name string) bool
	// Outbox, when set, is given the requester mails of each change inside
	// its transaction.
	Outbox Outbox
	// OnResolved, when set, is called inside the transaction of each move
	// to resolved with the ticket as resolved (its assignee is the agent
	// credited with the resolution) and the instant: the satisfaction
	// survey becomes due in the same commit. An error undoes the move.
	OnResolved func(ctx context.Context, q store.Querier, t Ticket, at time.Time) error
}

// NewStore returns a store over db that reads services and calendars from
// cat; now nil means time.Now. It starts with the default configuration
// (one queue, the ITIL matrix, no SLA policies) until Configure.
func NewStore(db *store.DB, cat *catalog.Store, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{db: db, cat: cat, now: now}
	def, _ := Config{}.Compile(Refs{})
	s.cfg.Store(def)
	return s
}

// Configure swaps in a validated desk configuration (at start and reload).
func (s *Store) Configure(c *Compiled) { s.cfg.Store(c) }

// Config returns the configuration in use.
func (s *Store) Config() *Compiled { return s.cfg.Load() }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// world is what a computation of SLA figures needs of the catalog.
type world struct {
	services  map[string]catalog.Service
	calendars map[string]*availability.Calendar
}

func (s *Store) world(ctx context.Context) (world, error) {
	w := world{services: map[string]catalog.Service{}, calendars: map[string]*availability.Calendar{}}
	if s.cat == nil {
		return w, nil
	}
	cat, err := s.cat.Load(ctx)
	if err != nil {
		return w, fmt.Errorf("desk: load catalog: %w", err)
	}
	for _, c := range cat.Calendars {
		if cal, problems := catalog.CompileCalendar(c.CalendarSpec); len(problems) == 0 {
			w.calendars[c.Name] = cal
		}
	}
	for _, svc := range cat.Services {
		w.services[svc.Name] = svc
	}
	return w, nil
}

// calendar picks a ticket's calendar: the policy's, else the service's
// objective hours, else the queue's, else 24x7.
func (w world) calendar(cfg *Compiled, pol *CompiledPolicy, t *Ticket) (string, *availability.Calendar) {
	name := ""
	switch {
	case pol != nil && pol.Calendar != "":
		name = pol.Calendar
	case w.services[t.Service].Objective != nil && w.services[t.Service].Objective.Hours != "":
		name = w.services[t.Service].Objective.Hours
	default:
		if q, ok := cfg.Queue(t.Queue); ok {
			name = q.Calendar
		}
	}
	if name == "" || name == catalog.AlwaysOn {
		return catalog.AlwaysOn, nil
	}
	return name, w.calendars[name]
}

// clocks are a ticket's two clocks as Compute takes them; a nil clock has
// no target.
type clocks struct {
	policy, calendar string
	first, res       *Clock
}

func (w world) clocks(cfg *Compiled, t *Ticket, pauses []Pause) clocks {
	pol, ok := cfg.Policy(t.Type, t.Priority, t.Service)
	if !ok {
		return clocks{}
	}
	name, cal := w.calendar(cfg, &pol, t)
	var waits, stops []Span
	for _, p := range pauses {
		sp := Span{Start: p.Start}
		if p.End != nil {
			sp.End = *p.End
		}
		if p.Reason == pauseResolved {
			stops = append(stops, sp)
		} else {
			waits = append(waits, sp)
		}
	}
	out := clocks{policy: pol.Name, calendar: name}
	if pol.FirstResponseTarget > 0 {
		c := Clock{Calendar: cal, Opened: t.OpenedAt, Pauses: waits, Target: pol.FirstResponseTarget}
		// A ticket resolved without a reply stops its first response too.
		switch {
		case t.FirstResponseAt != nil:
			c.Stops = []Span{{Start: *t.FirstResponseAt}}
		case len(stops) > 0:
			c.Stops = []Span{{Start: stops[0].Start}}
		}
		out.first = &c
	}
	if pol.ResolutionTarget > 0 {
		out.res = &Clock{Calendar: cal, Opened: t.OpenedAt, Pauses: waits, Stops: stops, Target: pol.ResolutionTarget}
	}
	return out
}

// sortKey is what the queue sorts and the warning worker wakes on.
type sortKey struct {
	due, warn sql.NullInt64
	breached  bool
}

// apply fills t.SLA as of now and returns the ticket's sort key: the
// earliest due instant of its running clocks, whether one has breached,
// and when its next warning falls due (above warned, the levels already
// sent, packed as warnedLevels). Reads skip the warning instants, which only writes store.
func (c clocks) apply(t *Ticket, now time.Time, warned int) sortKey {
	return c.fill(t, now, warned, false)
}

// key fills t.SLA like apply and computes the whole sort key, warnings
// included, for a write.
func (c clocks) key(t *Ticket, now time.Time, warned int) sortKey {
	return c.fill(t, now, warned, true)
}

func (c clocks) fill(t *Ticket, now time.Time, warned int, key bool) sortKey {
	t.SLA = SLA{Policy: c.policy, Calendar: c.calendar}
	var k sortKey
	sent := unpackWarned(warned)
	consider := func(cl *Clock, warned int) *Figures {
		if cl == nil {
			return nil
		}
		f := cl.Compute(now)
		k.breached = k.breached || f.Breached
		if f.Due != nil && f.StoppedAt == nil {
			if ms := store.Millis(*f.Due); !k.due.Valid || ms < k.due.Int64 {
				k.due = sql.NullInt64{Int64: ms, Valid: true}
			}
		}
		if key && f.StoppedAt == nil && !f.Paused {
			for _, level := range warnLevels {
				if level <= warned {
					continue
				}
				w := *cl
				w.Target = cl.Target * time.Duration(level) / 100
				if d := w.Compute(now).Due; d != nil {
					if ms := store.Millis(*d); !k.warn.Valid || ms < k.warn.Int64 {
						k.warn = sql.NullInt64{Int64: ms, Valid: true}
					}
				}
				break
			}
		}
		return &f
	}
	t.SLA.FirstResponse = consider(c.first, sent.first)
	t.SLA.Resolution = consider(c.res, sent.res)
	return k
}

// warnLevels are the shares of a target (per cent) that are warned of.
var warnLevels = []int{75, 100}

// warnedLevels are the levels already warned of, per clock. They are
// stored as one number (tickets.warned): first + 1000 × resolution, so
// that a ticket stored before the resolution clock had its own level
// reads as its first response's.
type warnedLevels struct{ first, res int }

func unpackWarned(n int) warnedLevels { return warnedLevels{first: n % 1000, res: n / 1000} }

func (w warnedLevels) pack() int { return w.first + 1000*w.res }

// Input is a new ticket. Empty fields take their defaults: the first queue,
// the service tier's impact (medium without a service), medium urgency, the
// creator as requester.
type Input struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Service     string `json:"service,omitempty"`
	Requester   string `json:"requester,omitempty"`
	Queue       string `json:"queue,omitempty"`
	Assignee    string `json:"assignee,omitempty"`
	Impact      string `json:"impact,omitempty"`
	Urgency     string `json:"urgency,omitempty"`
	// OpenedAt is for imports (admins only): the ticket's real opening,
	// not in the future.
	OpenedAt *time.Time `json:"opened_at,omitempty"`
	// AwaitApproval opens the ticket waiting for approval, its clocks
	// paused from the start; set by the request catalog, never by a body.
	AwaitApproval bool `json:"-"`
}

// Person is the name an audit actor ("user:ann", "token:ci") stands for
// among requesters and assignees: a user's name alone, anything else whole.
func Person(actor string) string { return strings.TrimPrefix(actor, "user:") }

func badText(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' })
}

func checkText(inv *apperr.Invalid, path, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		inv.Add(path, "is required")
	case len(s) > max:
		inv.Add(path, "is %d bytes long; at most %d", len(s), max)
	case path == "title" && strings.ContainsAny(s, "\r\n"):
		inv.Add(path, "must be one line")
	case badText(s):
		inv.Add(path, "holds control characters")
	}
}

func level(inv *apperr.Invalid, path, v string) {
	if v != "" && !slices.Contains(Levels, v) {
		inv.Add(path, "must be high, medium or low, not %q", v)
	}
}

// requester checks a requester: a plain mail address or a user's name.
func (s *Store) checkPerson(ctx context.Context, inv *apperr.Invalid, path, v string) {
	if v == "" {
		return
	}
	if strings.Contains(v, "@") {
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			inv.Add(path, "%q is not a plain mail address (write someone@example.com)", v)
		}
		return
	}
	if s.IsUser != nil && !s.IsUser(ctx, v) {
		inv.Add(path, "no user is called %q (give a user's name or a mail address)", v)
	}
}

// checkAt validates an imported instant: not in the future and not before
// the ticket's last change.
func checkAt(inv *apperr.Invalid, path string, at *time.Time, now, last time.Time) {
	switch {
	case at == nil:
	case at.After(now):
		inv.Add(path, "%s is in the future", at.UTC().Format(time.RFC3339))
	case at.Before(last):
		inv.Add(path, "%s is before the ticket's last change at %s", at.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339))
	}
}

func (s *Store) checkAssignee(ctx context.Context, inv *apperr.Invalid, cfg *Compiled, queue, v string) {
	if v == "" {
		return
	}
	s.checkPerson(ctx, inv, "assignee", v)
	if strings.Contains(v, "@") {
		inv.Add("assignee", "an assignee is a user's name, not a mail address")
		return
	}
	if q, ok := cfg.Queue(queue); ok && len(q.Members) > 0 && !slices.Contains(q.Members, v) {
		inv.Add("assignee", "%q is not a member of queue %q (%s)", v, queue, strings.Join(q.Members, ", "))
	}
}

// Create opens a ticket and returns it with its SLA figures.
func (s *Store) Create(ctx context.Context, actor string, in Input) (Ticket, error) {
	return s.create(ctx, actor, in, "", nil)
}

// CreateWith is Create with more writes in the same transaction: after is
// called with the new ticket (its id set) and its error undoes the whole.
// The portal stores a request's fields and approvers through it.
func (s *Store) CreateWith(ctx context.Context, actor string, in Input, after func(ctx context.Context, tx *sql.Tx, t Ticket) error) (Ticket, error) {
	return s.create(ctx, actor, in, "", after)
}

// create is CreateWith for a ticket opened by the mail whose Message-ID is
// inbound ("" for none): the id is recorded in the same transaction,
// before the acknowledgement that answers it is written.
func (s *Store) create(ctx context.Context, actor string, in Input, inbound string, after func(ctx context.Context, tx *sql.Tx, t Ticket) error) (Ticket, error) {
	cfg := s.Config()
	w, err := s.world(ctx)
	if err != nil {
		return Ticket{}, err
	}
	now := s.now()
	t, err := s.prepare(ctx, cfg, w, actor, in, now)
	if err != nil {
		return Ticket{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.insert(ctx, tx, cfg, w, &t, now, inbound); err != nil {
			return err
		}
		if after != nil {
			return after(ctx, tx, t)
		}
		return nil
	})
	if err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// prepare validates a new ticket and fills its defaults.
func (s *Store) prepare(ctx context.Context, cfg *Compiled, w world, actor string, in Input, now time.Time) (Ticket, error) {
	var inv apperr.Invalid
	if !slices.Contains(Types, in.Type) {
		inv.Add("type", "must be one of %s, not %q", strings.Join(Types, ", "), in.Type)
	}
	checkText(&inv, "title", in.Title, MaxTitle, true)
	checkText(&inv, "description", in.Description, MaxDescription, false)
	svc, known := w.services[in.Service]
	if in.Service != "" && !known {
		inv.Add("service", "unknown service %q", in.Service)
	}
	s.checkPerson(ctx, &inv, "requester", in.Requester)
	if in.Requester == "" {
		in.Requester = Person(actor)
	}
	if in.Queue == "" {
		in.Queue = cfg.Queues[0].Name
	} else if _, ok := cfg.Queue(in.Queue); !ok {
		inv.Add("queue", "unknown queue %q", in.Queue)
	}
	s.checkAssignee(ctx, &inv, cfg, in.Queue, in.Assignee)
	level(&inv, "impact", in.Impact)
	level(&inv, "urgency", in.Urgency)
	if in.Impact == "" {
		in.Impact = TierImpact(svc.Tier)
	}
	if in.Urgency == "" {
		in.Urgency = Medium
	}
	opened := now
	if in.OpenedAt != nil {
		checkAt(&inv, "opened_at", in.OpenedAt, now, time.Time{})
		opened = *in.OpenedAt
	}
	if err := inv.Err(); err != nil {
		return Ticket{}, err
	}
	status, waiting := StatusNew, ""
	if in.Assignee != "" {
		status = StatusOpen
	}
	if in.AwaitApproval {
		status, waiting = StatusWaiting, WaitApproval
	}
	return Ticket{WaitingOn: waiting, Type: in.Type, Title: strings.TrimSpace(in.Title), Description: in.Description, Service: in.Service,
		Requester: in.Requester, Queue: in.Queue, Assignee: in.Assignee, Impact: in.Impact, Urgency: in.Urgency,
		Priority: cfg.Matrix.Priority(in.Impact, in.Urgency), Status: status,
		OpenedAt: opened.UTC().Truncate(time.Millisecond), UpdatedAt: opened.UTC().Truncate(time.Millisecond), CreatedBy: actor}, nil
}

func (s *Store) insert(ctx context.Context, tx *sql.Tx, cfg *Compiled, w world, t *Ticket, now time.Time, inbound string) error {
	var pauses []Pause
	if t.Status == StatusWaiting {
		pauses = []Pause{{Reason: t.WaitingOn, Start: t.OpenedAt}}
	}
	k := w.clocks(cfg, t, pauses).key(t, now, 0)
	err := tx.QueryRowContext(ctx, `INSERT INTO tickets (type, title, description, service, requester, queue, assignee, impact, urgency, priority,
		status, waiting_on, opened_at, updated_at, created_by, due_at, breached, warn_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16, $17) RETURNING id`,
		t.Type, t.Title, t.Description, t.Service, t.Requester, t.Queue, t.Assignee, t.Impact, t.Urgency, t.Priority, t.Status, t.WaitingOn,
		store.Millis(t.OpenedAt), t.CreatedBy, k.due, k.breached, k.warn).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("desk: create ticket: %w", err)
	}
	for _, p := range pauses {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_pauses (ticket_id, reason, third_party, started_at) VALUES ($1, $2, '', $3)`,
			t.ID, p.Reason, store.Millis(p.Start)); err != nil {
			return fmt.Errorf("desk: begin pause: %w", err)
		}
		if err := history(ctx, tx, t.ID, t.OpenedAt, t.CreatedBy, "waiting_on", "", p.Reason); err != nil {
			return err
		}
	}
	if err := history(ctx, tx, t.ID, t.OpenedAt, t.CreatedBy, "status", "", t.Status); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, now, t.CreatedBy, audit.Create, "ticket", strconv.FormatInt(t.ID, 10), nil, t); err != nil {
		return err
	}
	if inbound != "" {
		if err := recordInbound(ctx, tx, inbound, t.ID, now); err != nil {
			return err
		}
	}
	return s.notify(ctx, tx, MailOpened, *t, "")
}

// recordInbound keeps the Message-ID of a mail from the requester with
// its ticket, so replies to it thread there and mail out answers it.
func recordInbound(ctx context.Context, q store.Querier, messageID string, ticket int64, at time.Time) error {
	return recordMessage(ctx, q, messageID, ticket, at, true)
}

// recordMessage keeps a Message-ID with its ticket, after every one the
// ticket has (a millisecond later than the latest when the clock has not
// moved on), so the thread's order is the order of recording.
func recordMessage(ctx context.Context, q store.Querier, messageID string, ticket int64, at time.Time, inbound bool) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO ticket_messages (message_id, ticket_id, at, inbound)
		SELECT $1, $2, CASE WHEN COALESCE(MAX(at), 0) >= $3 THEN MAX(at) + 1 ELSE $3 END, $4 FROM ticket_messages WHERE ticket_id = $2
		ON CONFLICT (message_id) DO NOTHING`, messageID, ticket, store.Millis(at), inbound); err != nil {
		return fmt.Errorf("desk: record message id: %w", err)
	}
	return nil
}

// RecordHistory writes one row of a ticket's history inside q's
// transaction, for changes kept beside the ticket (a request's approvals)
// that belong in its history all the same.
func RecordHistory(ctx context.Context, q store.Querier, id int64, at time.Time, actor, field, before, after string) error {
	return history(ctx, q, id, at, actor, field, before, after)
}

func history(ctx context.Context, q store.Querier, id int64, at time.Time, actor, field, before, after string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO ticket_history (ticket_id, at, actor, field, before, after) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, store.Millis(at), actor, field, before, after)
	if err != nil {
		return fmt.Errorf("desk: history: %w", err)
	}
	return nil
}

const ticketColumns = `id, type, title, description, service, requester, queue, assignee, impact, urgency, priority, status,
	waiting_on, third_party, opened_at, first_response_at, resolved_at, updated_at, created_by, warned`

type scanner interface{ Scan(dest ...any) error }

func scanTicket(r scanner) (Ticket, int, error) {
	var t Ticket
	var opened, updated int64
	var first, resolved sql.NullInt64
	var warned int
	err := r.Scan(&t.ID, &t.Type, &t.Title, &t.Description, &t.Service, &t.Requester, &t.Queue, &t.Assignee, &t.Impact, &t.Urgency,
		&t.Priority, &t.Status, &t.WaitingOn, &t.ThirdParty, &opened, &first, &resolved, &updated, &t.CreatedBy, &warned)
	if err != nil {
		return t, 0, err
	}
	t.OpenedAt, t.UpdatedAt = store.FromMillis(opened), store.FromMillis(updated)
	t.FirstResponseAt, t.ResolvedAt = nullTime(first), nullTime(resolved)
	return t, warned, nil
}

func nullTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := store.FromMillis(n.Int64)
	return &t
}

func readTicket(ctx context.Context, q store.Querier, id int64) (Ticket, int, error) {
	t, warned, err := scanTicket(q.QueryRowContext(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, 0, apperr.NotFound("ticket %d", id)
	}
	if err != nil {
		return t, 0, fmt.Errorf("desk: read ticket %d: %w", id, err)
	}
	return t, warned, nil
}

// pausesOf reads the pauses of the given tickets, in order of start.
func pausesOf(ctx context.Context, q store.Querier, ids ...int64) (map[int64][]Pause, error) {
	out := map[int64][]Pause{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args[i], marks[i] = id, "$"+strconv.Itoa(i+1)
	}
	rows, err := q.QueryContext(ctx, `SELECT ticket_id, reason, third_party, started_at, ended_at FROM ticket_pauses
		WHERE ticket_id IN (`+strings.Join(marks, ", ")+`) ORDER BY ticket_id, started_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("desk: pauses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, start int64
		var end sql.NullInt64
		var p Pause
		if err := rows.Scan(&id, &p.Reason, &p.ThirdParty, &start, &end); err != nil {
			return nil, err
		}
		p.Start, p.End = store.FromMillis(start), nullTime(end)
		out[id] = append(out[id], p)
	}
	return out, rows.Err()
}

// Get returns a ticket with its conversation (internal notes included),
// attachments, links, history and pauses.
func (s *Store) Get(ctx context.Context, id int64) (Detail, error) {
	w, err := s.world(ctx)
	if err != nil {
		return Detail{}, err
	}
	q := s.db.Reader()
	t, warned, err := readTicket(ctx, q, id)
	if err != nil {
		return Detail{}, err
	}
	ps, err := pausesOf(ctx, q, id)
	if err != nil {
		return Detail{}, err
	}
	w.clocks(s.Config(), &t, ps[id]).apply(&t, s.now(), warned)
	d := Detail{Ticket: t, Pauses: ps[id], Comments: []Comment{}, Attachments: []Attachment{}, Links: []Link{}, History: []Change{}}
	if d.Pauses == nil {
		d.Pauses = []Pause{}
	}
	if d.Comments, err = comments(ctx, q, id); err != nil {
		return Detail{}, err
	}
	if d.Attachments, err = attachments(ctx, q, id); err != nil {
		return Detail{}, err
	}
	if d.Links, err = links(ctx, q, id); err != nil {
		return Detail{}, err
	}
	if d.History, err = changes(ctx, q, id); err != nil {
		return Detail{}, err
	}
	if d.Mails, err = mails(ctx, q, id); err != nil {
		return Detail{}, err
	}
	return d, nil
}

func comments(ctx context.Context, q store.Querier, id int64) ([]Comment, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, author, public, from_requester, body, at FROM ticket_comments WHERE ticket_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("desk: comments: %w", err)
	}
	defer rows.Close()
	out := []Comment{}
	for rows.Next() {
		c := Comment{TicketID: id}
		var at int64
		if err := rows.Scan(&c.ID, &c.Author, &c.Public, &c.FromRequester, &c.Body, &at); err != nil {
			return nil, err
		}
		c.At = store.FromMillis(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

func attachments(ctx context.Context, q store.Querier, id int64) ([]Attachment, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, filename, content_type, size, author, at FROM ticket_attachments WHERE ticket_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("desk: attachments: %w", err)
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		a := Attachment{TicketID: id}
		var at int64
		if err := rows.Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &a.Author, &at); err != nil {
			return nil, err
		}
		a.At = store.FromMillis(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

func links(ctx context.Context, q store.Querier, id int64) ([]Link, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, target_id, actor, at FROM ticket_links WHERE ticket_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("desk: links: %w", err)
	}
	defer rows.Close()
	out := []Link{}
	for rows.Next() {
		l := Link{TicketID: id}
		var at int64
		if err := rows.Scan(&l.ID, &l.Kind, &l.TargetID, &l.Actor, &at); err != nil {
			return nil, err
		}
		l.At = store.FromMillis(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

func changes(ctx context.Context, q store.Querier, id int64) ([]Change, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, at, actor, field, before, after FROM ticket_history WHERE ticket_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("desk: history: %w", err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		var at int64
		if err := rows.Scan(&c.ID, &at, &c.Actor, &c.Field, &c.Before, &c.After); err != nil {
			return nil, err
		}
		c.At = store.FromMillis(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
