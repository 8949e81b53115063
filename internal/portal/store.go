package portal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/store"
)

// Store is the portal over the desk: every ticket it opens, reads or
// changes goes through desk.Store, and what the portal adds (organisation
// and sharing, a request's fields and approvals) is written in the same
// transaction.
type Store struct {
	DB   *store.DB
	Desk *desk.Store
	Auth *auth.Service
	// Catalog knows the services articles are published on.
	Catalog *catalog.Store
	// KnownErrors are searched with the articles; nil searches articles
	// only.
	KnownErrors *knownerror.Store
	Now         func() time.Time
	// OnApproval is called after a request that needs approval is
	// committed, to wake the approval mail sender; nil does nothing.
	OnApproval func()
	cfg        atomic.Pointer[Compiled]
}

// Configure swaps in a validated catalog (at start and reload).
func (s *Store) Configure(c *Compiled) { s.cfg.Store(c) }

// Config returns the catalog in use: an empty one until Configure.
func (s *Store) Config() *Compiled {
	if c := s.cfg.Load(); c != nil {
		return c
	}
	return &Compiled{ReopenWithin: DefaultReopenWithin, ApprovalLinks: DefaultApprovalLinks}
}

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// WhoOf is the portal identity of a caller: a user's name, mail address
// and organisation.
func (s *Store) WhoOf(ctx context.Context, p auth.Principal) (Who, error) {
	w := Who{Name: desk.Person(p.Actor())}
	if p.Kind != "user" {
		return w, nil
	}
	u, err := s.Auth.GetUser(ctx, p.Name)
	if err != nil {
		return w, err
	}
	w.Email, w.Organisation = u.Email, u.Organisation
	return w, nil
}

// Facts are what the portal keeps beside a ticket.
type Facts struct {
	Organisation string         `json:"organisation,omitempty"`
	Shared       bool           `json:"shared"`
	Item         string         `json:"item,omitempty"`
	Fields       map[string]any `json:"fields,omitempty"`
	Quorum       int            `json:"quorum,omitempty"`
	Approval     string         `json:"approval,omitempty"`
}

func facts(ctx context.Context, q store.Querier, id int64) (Facts, error) {
	var f Facts
	var fields string
	err := q.QueryRowContext(ctx, `SELECT organisation, shared, item, fields, quorum, approval FROM ticket_portal WHERE ticket_id = $1`, id).
		Scan(&f.Organisation, &f.Shared, &f.Item, &fields, &f.Quorum, &f.Approval)
	if errors.Is(err, sql.ErrNoRows) {
		return Facts{}, nil
	}
	if err != nil {
		return f, fmt.Errorf("portal: read ticket %d: %w", id, err)
	}
	if err := json.Unmarshal([]byte(fields), &f.Fields); err != nil {
		return f, fmt.Errorf("portal: fields of ticket %d: %w", id, err)
	}
	return f, nil
}

func writeFacts(ctx context.Context, q store.Querier, id int64, f Facts) error {
	if f.Fields == nil {
		f.Fields = map[string]any{}
	}
	b, err := json.Marshal(f.Fields)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO ticket_portal (ticket_id, organisation, shared, item, fields, quorum, approval) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, f.Organisation, f.Shared, f.Item, string(b), f.Quorum, f.Approval); err != nil {
		return fmt.Errorf("portal: write ticket %d: %w", id, err)
	}
	return nil
}

// Tickets returns one page of the tickets who may see, newest first.
func (s *Store) Tickets(ctx context.Context, who Who, page store.Page) ([]desk.Ticket, string, error) {
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT t.id FROM tickets t LEFT JOIN ticket_portal p ON p.ticket_id = t.id
		WHERE t.id < $1 AND (t.requester = $2 OR ($3 <> '' AND LOWER(t.requester) = LOWER($3)) OR ($4 <> '' AND p.shared = TRUE AND p.organisation = $4))
		ORDER BY t.id DESC LIMIT $5`, before, who.Name, who.Email, who.Organisation, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("portal: list tickets: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, "", err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(ids) > limit {
		ids = ids[:limit]
		next = store.IDCursor(ids[limit-1])
	}
	if len(ids) == 0 {
		return []desk.Ticket{}, "", nil
	}
	ts, _, err := s.Desk.List(ctx, desk.Filter{IDs: ids}, store.Page{Limit: len(ids)})
	return ts, next, err
}

// View is a ticket as its requester sees it: the public conversation only,
// never an internal note, and none of the agents' history.
type View struct {
	desk.Ticket
	Facts
	Comments    []desk.Comment    `json:"comments"`
	Attachments []desk.Attachment `json:"attachments"`
	Approvals   []Approval        `json:"approvals,omitempty"`
	// ReopenUntil is until when the requester may reopen the resolved
	// ticket; null when it cannot be reopened.
	ReopenUntil *time.Time `json:"reopen_until"`
}

// errHidden answers for a ticket who may not see exactly as for one that
// does not exist, so that ids cannot be probed.
func errHidden(id int64) error { return apperr.NotFound("ticket %d", id) }

// visible reads a ticket's desk detail and portal facts, or not found
// when who may not see it.
func (s *Store) visible(ctx context.Context, who Who, id int64) (desk.Detail, Facts, error) {
	d, err := s.Desk.Get(ctx, id)
	if err != nil {
		return d, Facts{}, err
	}
	f, err := facts(ctx, s.DB.Reader(), id)
	if err != nil {
		return d, f, err
	}
	if !who.Sees(d.Requester, f.Organisation, f.Shared) {
		return desk.Detail{}, Facts{}, errHidden(id)
	}
	return d, f, nil
}

// Ticket returns the ticket as who sees it.
func (s *Store) Ticket(ctx context.Context, who Who, id int64) (View, error) {
	d, f, err := s.visible(ctx, who, id)
	if err != nil {
		return View{}, err
	}
	v := View{Ticket: d.Ticket, Facts: f, Attachments: d.Attachments, Comments: []desk.Comment{}}
	for _, c := range d.Comments {
		if c.Public {
			v.Comments = append(v.Comments, c)
		}
	}
	if f.Quorum > 0 {
		if v.Approvals, err = s.Approvals(ctx, id); err != nil {
			return View{}, err
		}
	}
	within := s.Config().ReopenWithin
	if CanReopen(d.Ticket, within, s.now()) {
		until := d.ResolvedAt.Add(within)
		v.ReopenUntil = &until
	}
	return v, nil
}

// OpenInput is a ticket a requester opens on a service.
type OpenInput struct {
	// Type is incident (something is broken, the default) or request.
	Type        string `json:"type,omitempty"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Service     string `json:"service,omitempty"`
	// Urgency is the requester's view of it: high, medium (default) or
	// low; the impact comes from the service's tier.
	Urgency string `json:"urgency,omitempty"`
	// Shared shows the ticket to the requester's organisation.
	Shared bool `json:"shared,omitempty"`
}

// Validate names a body's problems that need no stored state.
func (in *OpenInput) Validate() error {
	var inv apperr.Invalid
	if in.Type != "" && in.Type != desk.TypeIncident && in.Type != desk.TypeRequest {
		inv.Add("type", "must be incident or request, not %q", in.Type)
	}
	if strings.TrimSpace(in.Title) == "" {
		inv.Add("title", "is required")
	}
	return inv.Err()
}

// Open opens a ticket for who.
func (s *Store) Open(ctx context.Context, who Who, actor string, in OpenInput) (desk.Ticket, error) {
	if err := in.Validate(); err != nil {
		return desk.Ticket{}, err
	}
	typ := in.Type
	if typ == "" {
		typ = desk.TypeIncident
	}
	f := Facts{Organisation: who.Organisation, Shared: in.Shared && who.Organisation != ""}
	return s.Desk.CreateWith(ctx, actor, desk.Input{Type: typ, Title: in.Title, Description: in.Description, Service: in.Service,
		Requester: who.Name, Urgency: in.Urgency}, func(ctx context.Context, tx *sql.Tx, t desk.Ticket) error {
		return writeFacts(ctx, tx, t.ID, f)
	})
}

// Reply adds who's public reply to a ticket it may see.
func (s *Store) Reply(ctx context.Context, who Who, actor string, id int64, body string) (desk.Comment, error) {
	if _, _, err := s.visible(ctx, who, id); err != nil {
		return desk.Comment{}, err
	}
	c, _, err := s.Desk.AddRequesterComment(ctx, actor, id, body)
	return c, err
}

// Attach keeps who's file with a ticket it may see.
func (s *Store) Attach(ctx context.Context, who Who, actor string, id int64, filename string, data []byte) (desk.Attachment, error) {
	d, _, err := s.visible(ctx, who, id)
	if err != nil {
		return desk.Attachment{}, err
	}
	if d.Status == desk.StatusClosed {
		return desk.Attachment{}, apperr.Conflict("ticket %d is closed", id)
	}
	return s.Desk.AddAttachment(ctx, actor, id, filename, data)
}

// Attachment returns a file of a ticket who may see.
func (s *Store) Attachment(ctx context.Context, who Who, id, attachment int64) (desk.Attachment, error) {
	if _, _, err := s.visible(ctx, who, id); err != nil {
		return desk.Attachment{}, err
	}
	return s.Desk.Attachment(ctx, id, attachment)
}

// ReopenInput says why a requester reopens a ticket.
type ReopenInput struct {
	Reason string `json:"reason"`
}

// Reopen opens a resolved ticket again, within the configured time of its
// resolution, with who's reason as a reply.
func (s *Store) Reopen(ctx context.Context, who Who, actor string, id int64, in ReopenInput) (desk.Ticket, error) {
	d, _, err := s.visible(ctx, who, id)
	if err != nil {
		return desk.Ticket{}, err
	}
	var inv apperr.Invalid
	if strings.TrimSpace(in.Reason) == "" {
		inv.Add("reason", "say what is still wrong")
	}
	if err := inv.Err(); err != nil {
		return desk.Ticket{}, err
	}
	if err := CheckReopen(d.Ticket, s.Config().ReopenWithin, s.now()); err != nil {
		return desk.Ticket{}, err
	}
	if _, err := s.Desk.SetStatus(ctx, actor, id, desk.StatusInput{Status: desk.StatusOpen}); err != nil {
		return desk.Ticket{}, err
	}
	_, t, err := s.Desk.AddRequesterComment(ctx, actor, id, in.Reason)
	return t, err
}

// SubmitInput is a filled-in catalog form.
type SubmitInput struct {
	Fields Values `json:"fields"`
	// Shared shows the request to the requester's organisation.
	Shared bool `json:"shared,omitempty"`
}

// Submit turns a catalog form into a ticket of type request for who, its
// fields validated (every problem named "fields.<name>") and stored on
// it. An item with an approval opens waiting for approval, its clocks
// paused, with one approval row per approver to be mailed.
func (s *Store) Submit(ctx context.Context, who Who, actor, itemName string, in SubmitInput) (desk.Ticket, error) {
	item, ok := s.Config().Item(itemName)
	if !ok {
		return desk.Ticket{}, apperr.NotFound("catalog item %q", itemName)
	}
	now := s.now()
	isUser := func(name string) bool { _, err := s.Auth.GetUser(ctx, name); return err == nil }
	values, problems := item.Validate(in.Fields, now, isUser)
	if len(problems) > 0 {
		return desk.Ticket{}, &apperr.Invalid{Fields: problems}
	}
	var approvers []auth.User
	quorum := 0
	if item.Approval != nil {
		var err error
		if approvers, err = s.approvers(ctx, *item.Approval, who); err != nil {
			return desk.Ticket{}, err
		}
		quorum = item.Approval.Quorum
		if len(approvers) < quorum {
			return desk.Ticket{}, apperr.Conflict("catalog item %q needs %d approvals but has %d approvers; tell the service desk", itemName, quorum, len(approvers))
		}
	}
	f := Facts{Organisation: who.Organisation, Shared: in.Shared && who.Organisation != "", Item: item.Name, Fields: values, Quorum: quorum}
	if quorum > 0 {
		f.Approval = ApprovalPending
	}
	t, err := s.Desk.CreateWith(ctx, actor, desk.Input{Type: desk.TypeRequest, Title: item.Title, Description: item.Describe(values),
		Service: item.Service, Queue: item.Queue, Requester: who.Name, AwaitApproval: quorum > 0},
		func(ctx context.Context, tx *sql.Tx, t desk.Ticket) error {
			if err := writeFacts(ctx, tx, t.ID, f); err != nil {
				return err
			}
			for _, u := range approvers {
				if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_approvals (ticket_id, approver, email) VALUES ($1, $2, $3)`, t.ID, u.Name, u.Email); err != nil {
					return fmt.Errorf("portal: add approver: %w", err)
				}
				if err := desk.RecordHistory(ctx, tx, t.ID, t.OpenedAt, actor, "approval", "", "requested from "+u.Name); err != nil {
					return err
				}
			}
			return nil
		})
	if err == nil && quorum > 0 && s.OnApproval != nil {
		s.OnApproval()
	}
	return t, err
}

// Describe writes a request's fields as the ticket's description, one
// "Label: value" line each in the form's order, for agents and mail.
func (it CompiledItem) Describe(values map[string]any) string {
	var b strings.Builder
	if it.Description != "" {
		b.WriteString(it.Description + "\n\n")
	}
	for _, f := range it.Fields {
		v, ok := values[f.Name]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", f.Label, FormatValue(v))
	}
	return strings.TrimRight(b.String(), "\n")
}

// FormatValue shows a stored field value as text.
func FormatValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []string:
		return strings.Join(x, ", ")
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// approvers are the accounts that approve a request of who: the named
// people, or every enabled account whose role allows the approval's role;
// never who itself, so nobody approves their own request.
func (s *Store) approvers(ctx context.Context, a ApprovalRule, who Who) ([]auth.User, error) {
	var out []auth.User
	if a.Role != "" {
		us, err := s.Auth.UsersAllowed(ctx, auth.Role(a.Role))
		if err != nil {
			return nil, err
		}
		out = us
	}
	for _, name := range a.People {
		u, err := s.Auth.GetUser(ctx, name)
		if errors.Is(err, apperr.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !u.Disabled {
			out = append(out, u)
		}
	}
	out = slices.DeleteFunc(out, func(u auth.User) bool { return u.Name == who.Name })
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Approval is one approver's part in a request.
type Approval struct {
	ID       int64  `json:"id"`
	TicketID int64  `json:"ticket_id"`
	Approver string `json:"approver"`
	// Decision is "" while pending, approved or rejected.
	Decision  string     `json:"decision"`
	Reason    string     `json:"reason,omitempty"`
	Via       string     `json:"via,omitempty"`
	DecidedAt *time.Time `json:"decided_at"`
	MailedAt  *time.Time `json:"mailed_at"`
	Email     string     `json:"-"`
}

const approvalColumns = `id, ticket_id, approver, email, decision, reason, via, decided_at, mailed_at`

func scanApproval(sc interface{ Scan(...any) error }) (Approval, error) {
	var a Approval
	var decided, mailed sql.NullInt64
	if err := sc.Scan(&a.ID, &a.TicketID, &a.Approver, &a.Email, &a.Decision, &a.Reason, &a.Via, &decided, &mailed); err != nil {
		return a, err
	}
	a.DecidedAt, a.MailedAt = nullTime(decided), nullTime(mailed)
	return a, nil
}

func nullTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := store.FromMillis(n.Int64)
	return &t
}

func (s *Store) approvalsWhere(ctx context.Context, q store.Querier, where string, args ...any) ([]Approval, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+approvalColumns+` FROM ticket_approvals WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("portal: approvals: %w", err)
	}
	defer rows.Close()
	out := []Approval{}
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Approvals lists a ticket's approvals by approver.
func (s *Store) Approvals(ctx context.Context, id int64) ([]Approval, error) {
	return s.approvalsWhere(ctx, s.DB.Reader(), `ticket_id = $1 ORDER BY approver`, id)
}

// Pending lists the requests waiting for approver's decision, oldest
// first.
func (s *Store) Pending(ctx context.Context, approver string) ([]Approval, error) {
	return s.approvalsWhere(ctx, s.DB.Reader(), `approver = $1 AND decision = '' AND ticket_id IN
		(SELECT ticket_id FROM ticket_portal WHERE approval = 'pending') ORDER BY ticket_id`, approver)
}

// Decision is an approver's answer.
type Decision struct {
	// Decision is approve or reject.
	Decision string `json:"decision"`
	// Reason is told to the requester; a rejection needs one.
	Reason string `json:"reason,omitempty"`
}

// Validate names a decision's problems.
func (d *Decision) Validate() error {
	var inv apperr.Invalid
	switch {
	case d.Decision != Approve && d.Decision != Reject:
		inv.Add("decision", "must be approve or reject, not %q", d.Decision)
	case d.Decision == Reject && strings.TrimSpace(d.Reason) == "":
		inv.Add("reason", "say why the request is rejected")
	}
	if len(d.Reason) > desk.MaxComment {
		inv.Add("reason", "is %d bytes long; at most %d", len(d.Reason), desk.MaxComment)
	}
	return inv.Err()
}

// The ways a decision reaches the server.
const (
	ViaLink = "link"
	ViaUI   = "ui"
	ViaAPI  = "api"
)

// Decide records approver's decision on request id and acts on the tally,
// in one transaction: the quorum reached moves the ticket to open (its
// clocks run again), a rejection closes it with the reason as a public
// reply; otherwise the ticket keeps waiting. Every decision is a row of
// the ticket's history.
func (s *Store) Decide(ctx context.Context, actor string, id int64, approver, via string, d Decision) (desk.Ticket, error) {
	if err := d.Validate(); err != nil {
		return desk.Ticket{}, err
	}
	decision := ApprovalApproved
	in := desk.StatusInput{Status: desk.StatusOpen}
	if d.Decision == Reject {
		decision = ApprovalRejected
		in = desk.StatusInput{Status: desk.StatusClosed, Note: "Request rejected by " + approver + ": " + strings.TrimSpace(d.Reason)}
	}
	now := s.now()
	return s.Desk.SetStatusWith(ctx, actor, id, in, func(ctx context.Context, tx *sql.Tx, t desk.Ticket) error {
		// Take the request's row first, so that two approvers deciding at
		// once are counted one after the other.
		res, err := tx.ExecContext(ctx, `UPDATE ticket_portal SET approval = approval WHERE ticket_id = $1 AND approval = $2`, id, ApprovalPending)
		if err != nil {
			return fmt.Errorf("portal: lock request %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.Conflict("ticket %d is not waiting for approval", id)
		}
		res, err = tx.ExecContext(ctx, `UPDATE ticket_approvals SET decision = $3, reason = $4, via = $5, decided_at = $6
			WHERE ticket_id = $1 AND approver = $2 AND decision = ''`, id, approver, decision, strings.TrimSpace(d.Reason), via, store.Millis(now))
		if err != nil {
			return fmt.Errorf("portal: decide: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM ticket_approvals WHERE ticket_id = $1 AND approver = $2`, id, approver).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.NotFound("approval of ticket %d by %s", id, approver)
			}
			return apperr.Conflict("%s has already decided on ticket %d", approver, id)
		}
		what := decision + " by " + approver + " (" + via + ")"
		if d.Reason != "" {
			what += ": " + strings.TrimSpace(d.Reason)
		}
		if err := desk.RecordHistory(ctx, tx, id, now, actor, "approval", "", what); err != nil {
			return err
		}
		all, err := s.approvalsWhere(ctx, tx, `ticket_id = $1`, id)
		if err != nil {
			return err
		}
		f, err := facts(ctx, tx, id)
		if err != nil {
			return err
		}
		decisions := make([]string, len(all))
		for i, a := range all {
			decisions[i] = a.Decision
		}
		state := Tally(decisions, f.Quorum)
		if state == ApprovalPending {
			return desk.ErrNoMove
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ticket_portal SET approval = $2 WHERE ticket_id = $1`, id, state); err != nil {
			return fmt.Errorf("portal: settle request %d: %w", id, err)
		}
		if err := desk.RecordHistory(ctx, tx, id, now, actor, "approval", ApprovalPending, state); err != nil {
			return err
		}
		if t.Status != desk.StatusWaiting || t.WaitingOn != desk.WaitApproval {
			// An agent has already moved it on; the tally is kept, the
			// ticket stays where the agent put it.
			return desk.ErrNoMove
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, "ticket-approval", strconv.FormatInt(id, 10), nil, map[string]string{"approver": approver, "decision": decision, "state": state, "via": via})
	})
}
