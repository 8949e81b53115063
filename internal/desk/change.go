package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/store"
)

// edit runs fn on ticket id inside a transaction with the ticket read
// first; fn changes t and names each changed field with its value before.
// Afterwards the ticket's row, history rows, sort key and audit entry are
// written. at is when the change happened (now, or an import's instant).
type editFunc func(tx *sql.Tx, t *Ticket, pauses *[]Pause, at time.Time) ([]fieldChange, error)

type fieldChange struct{ field, before, after string }

func (s *Store) edit(ctx context.Context, actor string, id int64, at *time.Time, fn editFunc) (Ticket, error) {
	cfg := s.Config()
	w, err := s.world(ctx)
	if err != nil {
		return Ticket{}, err
	}
	now := s.now()
	var out Ticket
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, warned, err := readTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		when := now
		if at != nil {
			var inv apperr.Invalid
			checkAt(&inv, "at", at, now, t.UpdatedAt)
			if err := inv.Err(); err != nil {
				return err
			}
			when = *at
		}
		when = when.UTC().Truncate(time.Millisecond)
		ps, err := pausesOf(ctx, tx, id)
		if err != nil {
			return err
		}
		pauses := ps[id]
		before := t
		changed, err := fn(tx, &t, &pauses, when)
		if err != nil {
			return err
		}
		if len(changed) == 0 {
			out = t
			w.clocks(cfg, &out, pauses).apply(&out, now, warned)
			return nil
		}
		for _, c := range changed {
			if err := history(ctx, tx, id, when, actor, c.field, c.before, c.after); err != nil {
				return err
			}
		}
		if when.After(t.UpdatedAt) {
			t.UpdatedAt = when
		}
		// A change of priority or policy resets the warnings: the new
		// target's 75 % and 100 % are warned afresh.
		if t.Priority != before.Priority || t.Type != before.Type || t.Service != before.Service {
			warned = 0
		}
		k := w.clocks(cfg, &t, pauses).key(&t, now, warned)
		_, err = tx.ExecContext(ctx, `UPDATE tickets SET type = $2, title = $3, description = $4, service = $5, requester = $6, queue = $7,
			assignee = $8, impact = $9, urgency = $10, priority = $11, status = $12, waiting_on = $13, third_party = $14,
			first_response_at = $15, resolved_at = $16, updated_at = $17, due_at = $18, breached = $19, warn_at = $20, warned = $21 WHERE id = $1`,
			id, t.Type, t.Title, t.Description, t.Service, t.Requester, t.Queue, t.Assignee, t.Impact, t.Urgency, t.Priority, t.Status,
			t.WaitingOn, t.ThirdParty, nullMillis(t.FirstResponseAt), nullMillis(t.ResolvedAt), store.Millis(t.UpdatedAt), k.due, k.breached, k.warn, warned)
		if err != nil {
			return fmt.Errorf("desk: update ticket %d: %w", id, err)
		}
		if err := audit.Record(ctx, tx, now, actor, audit.Update, "ticket", strconv.FormatInt(id, 10), before, t); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

func nullMillis(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: store.Millis(*t), Valid: true}
}

// Patch changes a ticket's fields; a field left out (nil) stays.
type Patch struct {
	Type        *string `json:"type,omitempty"`
	Title       *string `json:"title,omitempty"`
	Description *string `json:"description,omitempty"`
	Service     *string `json:"service,omitempty"`
	Requester   *string `json:"requester,omitempty"`
	Queue       *string `json:"queue,omitempty"`
	Assignee    *string `json:"assignee,omitempty"`
	Impact      *string `json:"impact,omitempty"`
	Urgency     *string `json:"urgency,omitempty"`
	// At is for imports (admins only): when the change happened.
	At *time.Time `json:"at,omitempty"`
}

// Update applies a patch. Impact and urgency give the priority again by
// the matrix; the elapsed time and pauses stay, only the target changes.
func (s *Store) Update(ctx context.Context, actor string, id int64, p Patch) (Ticket, error) {
	cfg := s.Config()
	w, err := s.world(ctx)
	if err != nil {
		return Ticket{}, err
	}
	return s.edit(ctx, actor, id, p.At, func(_ *sql.Tx, t *Ticket, _ *[]Pause, _ time.Time) ([]fieldChange, error) {
		var inv apperr.Invalid
		var ch []fieldChange
		set := func(field string, dst *string, v *string) {
			if v != nil && *v != *dst {
				ch = append(ch, fieldChange{field, *dst, *v})
				*dst = *v
			}
		}
		if p.Type != nil && !slices.Contains(Types, *p.Type) {
			inv.Add("type", "must be one of %s, not %q", strings.Join(Types, ", "), *p.Type)
		}
		if p.Title != nil {
			checkText(&inv, "title", *p.Title, MaxTitle, true)
		}
		if p.Description != nil {
			checkText(&inv, "description", *p.Description, MaxDescription, false)
		}
		if p.Service != nil && *p.Service != "" {
			if _, ok := w.services[*p.Service]; !ok {
				inv.Add("service", "unknown service %q", *p.Service)
			}
		}
		if p.Requester != nil {
			if *p.Requester == "" {
				inv.Add("requester", "is required")
			}
			s.checkPerson(ctx, &inv, "requester", *p.Requester)
		}
		queue := t.Queue
		if p.Queue != nil {
			queue = *p.Queue
			if _, ok := cfg.Queue(queue); !ok {
				inv.Add("queue", "unknown queue %q", queue)
			}
		}
		if p.Assignee != nil {
			s.checkAssignee(ctx, &inv, cfg, queue, *p.Assignee)
		}
		if p.Impact != nil {
			level(&inv, "impact", *p.Impact)
			if *p.Impact == "" {
				inv.Add("impact", "must be high, medium or low")
			}
		}
		if p.Urgency != nil {
			level(&inv, "urgency", *p.Urgency)
			if *p.Urgency == "" {
				inv.Add("urgency", "must be high, medium or low")
			}
		}
		if err := inv.Err(); err != nil {
			return nil, err
		}
		set("type", &t.Type, p.Type)
		set("title", &t.Title, p.Title)
		set("description", &t.Description, p.Description)
		set("service", &t.Service, p.Service)
		set("requester", &t.Requester, p.Requester)
		set("queue", &t.Queue, p.Queue)
		set("assignee", &t.Assignee, p.Assignee)
		set("impact", &t.Impact, p.Impact)
		set("urgency", &t.Urgency, p.Urgency)
		if pr := cfg.Matrix.Priority(t.Impact, t.Urgency); pr != t.Priority {
			ch = append(ch, fieldChange{"priority", strconv.Itoa(t.Priority), strconv.Itoa(pr)})
			t.Priority = pr
		}
		if t.Status == StatusNew && t.Assignee != "" {
			ch = append(ch, fieldChange{"status", t.Status, StatusOpen})
			t.Status = StatusOpen
		}
		return ch, nil
	})
}

// CommentInput is a reply or an internal note.
type CommentInput struct {
	Body   string `json:"body"`
	Public bool   `json:"public"`
	// At is for imports (admins only): when it was written.
	At *time.Time `json:"at,omitempty"`
}

// AddComment adds a comment by actor. A public comment by anyone but the
// requester is a response: the first one stops the first-response clock,
// and it is mailed to the requester. A comment from the requester moves a
// ticket waiting on the requester back to open.
func (s *Store) AddComment(ctx context.Context, actor string, id int64, in CommentInput) (Comment, Ticket, error) {
	return s.comment(ctx, actor, id, in, false)
}

// AddRequesterComment adds a public reply on the requester's side: by the
// requester, or by a colleague of its organisation the ticket is shared
// with (the portal). Like a mail from the requester it is no response:
// it moves a ticket waiting on the requester back to open and stops no
// clock.
func (s *Store) AddRequesterComment(ctx context.Context, actor string, id int64, body string) (Comment, Ticket, error) {
	return s.comment(ctx, actor, id, CommentInput{Body: body, Public: true}, true)
}

func (s *Store) comment(ctx context.Context, actor string, id int64, in CommentInput, fromRequester bool) (Comment, Ticket, error) {
	var inv apperr.Invalid
	checkText(&inv, "body", in.Body, MaxComment, true)
	if err := inv.Err(); err != nil {
		return Comment{}, Ticket{}, err
	}
	var c Comment
	t, err := s.edit(ctx, actor, id, in.At, func(tx *sql.Tx, t *Ticket, pauses *[]Pause, at time.Time) ([]fieldChange, error) {
		if t.Status == StatusClosed {
			return nil, apperr.Conflict("ticket %d is closed", id)
		}
		fromRequester := fromRequester || Person(actor) == t.Requester
		c = Comment{TicketID: id, Author: actor, Public: in.Public || fromRequester, FromRequester: fromRequester, Body: in.Body, At: at}
		if err := tx.QueryRowContext(ctx, `INSERT INTO ticket_comments (ticket_id, author, public, from_requester, body, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			id, c.Author, c.Public, c.FromRequester, c.Body, store.Millis(at)).Scan(&c.ID); err != nil {
			return nil, fmt.Errorf("desk: add comment: %w", err)
		}
		kind := "internal note"
		if c.Public {
			kind = "public reply"
		}
		ch := []fieldChange{{"comment", "", kind + " " + strconv.FormatInt(c.ID, 10)}}
		switch {
		case fromRequester && t.Status == StatusWaiting && t.WaitingOn == WaitRequester:
			more, err := s.move(ctx, tx, t, pauses, at, StatusOpen, "", "")
			if err != nil {
				return nil, err
			}
			ch = append(ch, more...)
		case c.Public && !fromRequester:
			if t.FirstResponseAt == nil {
				t.FirstResponseAt = &at
				ch = append(ch, fieldChange{"first_response_at", "", at.Format(time.RFC3339Nano)})
			}
			if err := s.notify(ctx, tx, MailReply, *t, c.Body); err != nil {
				return nil, err
			}
		}
		return ch, nil
	})
	if err != nil {
		return Comment{}, Ticket{}, err
	}
	return c, t, nil
}

// StatusInput moves a ticket. Waiting needs a reason: "requester" or
// "third_party" with the party's name.
type StatusInput struct {
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
	ThirdParty string `json:"third_party,omitempty"`
	// Note, when set, is added as a public comment with the change (the
	// resolution's words to the requester).
	Note string `json:"note,omitempty"`
	// At is for imports (admins only): when the change happened.
	At *time.Time `json:"at,omitempty"`
}

// SetStatus moves a ticket along its flow.
func (s *Store) SetStatus(ctx context.Context, actor string, id int64, in StatusInput) (Ticket, error) {
	return s.SetStatusWith(ctx, actor, id, in, nil)
}

// SetStatusWith is SetStatus with more work in the same transaction:
// during is called with the ticket as it stands before the move, and its
// error refuses the move (an approval decision is recorded through it, so
// that the decision and its effect commit together). A during that returns
// ErrNoMove keeps the ticket as it is and commits the rest.
func (s *Store) SetStatusWith(ctx context.Context, actor string, id int64, in StatusInput, during func(ctx context.Context, tx *sql.Tx, t Ticket) error) (Ticket, error) {
	var inv apperr.Invalid
	if !slices.Contains(Statuses, in.Status) {
		inv.Add("status", "must be one of %s, not %q", strings.Join(Statuses, ", "), in.Status)
	}
	switch {
	case in.Status == StatusWaiting && in.Reason != WaitRequester && in.Reason != WaitThirdParty:
		inv.Add("reason", "waiting needs a reason: %q or %q, not %q", WaitRequester, WaitThirdParty, in.Reason)
	case in.Status == StatusWaiting && in.Reason == WaitThirdParty && strings.TrimSpace(in.ThirdParty) == "":
		inv.Add("third_party", "name the third party the ticket waits on")
	case in.Status != StatusWaiting && (in.Reason != "" || in.ThirdParty != ""):
		inv.Add("reason", "only a move to waiting takes a reason")
	}
	checkText(&inv, "third_party", in.ThirdParty, MaxThirdParty, false)
	checkText(&inv, "note", in.Note, MaxComment, false)
	if err := inv.Err(); err != nil {
		return Ticket{}, err
	}
	return s.edit(ctx, actor, id, in.At, func(tx *sql.Tx, t *Ticket, pauses *[]Pause, at time.Time) ([]fieldChange, error) {
		if during != nil {
			err := during(ctx, tx, *t)
			if errors.Is(err, ErrNoMove) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
		}
		ch, err := s.move(ctx, tx, t, pauses, at, in.Status, in.Reason, strings.TrimSpace(in.ThirdParty))
		if err != nil {
			return nil, err
		}
		if in.Note != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_comments (ticket_id, author, public, from_requester, body, at) VALUES ($1, $2, TRUE, FALSE, $3, $4)`,
				id, actor, in.Note, store.Millis(at)); err != nil {
				return nil, fmt.Errorf("desk: add note: %w", err)
			}
			if t.FirstResponseAt == nil {
				t.FirstResponseAt = &at
			}
		}
		if in.Status == StatusResolved {
			if err := s.notify(ctx, tx, MailResolved, *t, in.Note); err != nil {
				return nil, err
			}
			if s.OnResolved != nil {
				if err := s.OnResolved(ctx, tx, *t, at); err != nil {
					return nil, err
				}
			}
		} else if in.Note != "" {
			if err := s.notify(ctx, tx, MailReply, *t, in.Note); err != nil {
				return nil, err
			}
		}
		return ch, nil
	})
}

// ErrNoMove, returned by SetStatusWith's during, commits its work without
// moving the ticket (an approval that does not yet reach the quorum).
var ErrNoMove = errors.New("desk: no move")

// move changes t's status inside tx, closing and opening pauses: waiting
// opens a pause with its reason, resolving opens a stop of the resolution
// clock, leaving either ends it.
func (s *Store) move(ctx context.Context, tx *sql.Tx, t *Ticket, pauses *[]Pause, at time.Time, to, reason, party string) ([]fieldChange, error) {
	from := t.Status
	if from == to && !(to == StatusWaiting && (reason != t.WaitingOn || party != t.ThirdParty)) {
		return nil, apperr.Conflict("ticket %d is already %s", t.ID, to)
	}
	if from != to && !CanMove(from, to) {
		return nil, apperr.Conflict("ticket %d is %s and cannot move to %s", t.ID, from, to)
	}
	ch := []fieldChange{{"status", from, to}}
	if from == StatusResolved && to == StatusClosed {
		// Closing keeps the resolution's stop as it is.
		t.Status = to
		return ch, nil
	}
	// End the open pause (a wait, or the stop of a resolved ticket).
	if _, err := tx.ExecContext(ctx, `UPDATE ticket_pauses SET ended_at = $2 WHERE ticket_id = $1 AND ended_at IS NULL`, t.ID, store.Millis(at)); err != nil {
		return nil, fmt.Errorf("desk: end pause: %w", err)
	}
	for i := range *pauses {
		if (*pauses)[i].End == nil {
			end := at
			(*pauses)[i].End = &end
		}
	}
	begin := func(reason, party string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO ticket_pauses (ticket_id, reason, third_party, started_at) VALUES ($1, $2, $3, $4)`,
			t.ID, reason, party, store.Millis(at))
		if err != nil {
			return fmt.Errorf("desk: begin pause: %w", err)
		}
		*pauses = append(*pauses, Pause{Reason: reason, ThirdParty: party, Start: at})
		return nil
	}
	switch to {
	case StatusWaiting:
		if err := begin(reason, party); err != nil {
			return nil, err
		}
		what := reason
		if party != "" {
			what += ": " + party
		}
		ch = append(ch, fieldChange{"waiting_on", waitText(t.WaitingOn, t.ThirdParty), what})
	case StatusResolved, StatusClosed:
		if err := begin(pauseResolved, ""); err != nil {
			return nil, err
		}
	}
	if to == StatusResolved {
		t.ResolvedAt = &at
	} else if to != StatusClosed {
		t.ResolvedAt = nil
	}
	t.Status = to
	t.WaitingOn, t.ThirdParty = "", ""
	if to == StatusWaiting {
		t.WaitingOn, t.ThirdParty = reason, party
	}
	return ch, nil
}

func waitText(reason, party string) string {
	if party != "" {
		return reason + ": " + party
	}
	return reason
}
