package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// InboundMail is a mail a requester sent to a queue, already parsed and
// judged worth a ticket by the mail listener (auto-replies and bounces
// never reach here). FromMail turns it into a ticket or a reply.
type InboundMail struct {
	// From is the sender's address (a plain address, or "Name <addr>").
	From string
	// To is the address the mail was delivered to: it picks the queue.
	To string
	// Subject opens a new ticket's title.
	Subject string
	// MessageID, InReplyTo and References are the Message-IDs of the
	// threading headers, without angle brackets.
	MessageID  string
	InReplyTo  string
	References []string
	// TicketID is the ticket the listener found in the subject's [#ID];
	// 0 for none.
	TicketID int64
	// Text is the plain text of the body (HTML already turned into text).
	Text string
	// Attachments are the mail's files; Filename and Data are used, the
	// content type is sniffed again.
	Attachments []Attachment
}

// MailActor is the actor of changes made by incoming mail.
const MailActor = "mail"

// FromMail threads a mail onto its ticket — the one named by TicketID, else
// the one whose stored Message-ID the mail answers (In-Reply-To, then
// References) — as a public comment from the requester, which moves a
// ticket waiting on the requester back to open; a mail to a resolved ticket
// reopens it. A mail that threads onto nothing opens a ticket (type
// request) in the queue whose address is To, else the first queue. A mail
// already taken (the same Message-ID) changes nothing and returns its
// ticket again. created says whether a ticket was opened.
func (s *Store) FromMail(ctx context.Context, m InboundMail) (ticketID int64, created bool, err error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return 0, false, &apperr.Invalid{Fields: []apperr.Field{{Path: "from", Msg: fmt.Sprintf("%q is not a mail address", m.From)}}}
	}
	sender := strings.ToLower(from.Address)
	m.MessageID = strings.Trim(strings.TrimSpace(m.MessageID), "<>")
	if m.MessageID != "" {
		if id, ok, err := s.byMessageID(ctx, m.MessageID); err != nil || ok {
			return id, false, err
		}
	}
	id, err := s.thread(ctx, m)
	if err != nil {
		return 0, false, err
	}
	body := strings.TrimSpace(m.Text)
	if body == "" {
		body = "(no text)"
	}
	if len(body) > MaxComment {
		body = body[:MaxComment]
	}
	if id == 0 {
		title := strings.TrimSpace(strings.Join(strings.Fields(m.Subject), " "))
		if title == "" {
			title = "(no subject)"
		}
		if len(title) > MaxTitle {
			title = title[:MaxTitle]
		}
		q := s.Config().QueueFor(m.To)
		t, err := s.create(ctx, MailActor, Input{Type: TypeRequest, Title: strings.ToValidUTF8(title, "?"), Description: body, Requester: sender, Queue: q.Name}, m.MessageID, nil)
		if err != nil {
			return 0, false, err
		}
		id, created = t.ID, true
	} else {
		t, _, err := readTicket(ctx, s.db.Reader(), id)
		if err != nil {
			return 0, false, err
		}
		if t.Status == StatusResolved {
			if _, err := s.SetStatus(ctx, sender, id, StatusInput{Status: StatusOpen}); err != nil {
				return 0, false, err
			}
		}
		if t.Status == StatusClosed {
			// A closed ticket takes no more; the mail opens a new one.
			return s.FromMail(ctx, InboundMail{From: m.From, To: m.To, Subject: m.Subject, MessageID: m.MessageID, Text: m.Text, Attachments: m.Attachments})
		}
		if _, _, err := s.comment(ctx, sender, id, CommentInput{Body: body}, true); err != nil {
			return 0, false, err
		}
	}
	if m.MessageID != "" {
		if err := recordInbound(ctx, s.db.Writer(), m.MessageID, id, s.now()); err != nil {
			return 0, false, err
		}
	}
	for _, a := range m.Attachments {
		if _, err := s.AddAttachment(ctx, sender, id, a.Filename, a.Data); err != nil {
			var inv *apperr.Invalid
			if errors.As(err, &inv) {
				// An empty or oversized file is left out; the mail is kept.
				continue
			}
			return 0, false, err
		}
	}
	return id, created, nil
}

// thread finds the ticket a mail answers, 0 for none.
func (s *Store) thread(ctx context.Context, m InboundMail) (int64, error) {
	if m.TicketID > 0 {
		var one int
		err := s.db.Reader().QueryRowContext(ctx, `SELECT 1 FROM tickets WHERE id = $1`, m.TicketID).Scan(&one)
		if err == nil {
			return m.TicketID, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
	}
	// References run oldest first; the nearest ancestor is the last.
	for _, ref := range append([]string{m.InReplyTo}, reverse(m.References)...) {
		ref = strings.Trim(strings.TrimSpace(ref), "<>")
		if ref == "" {
			continue
		}
		if id, ok, err := s.byMessageID(ctx, ref); err != nil || ok {
			return id, err
		}
	}
	return 0, nil
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func (s *Store) byMessageID(ctx context.Context, id string) (int64, bool, error) {
	var ticket int64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT ticket_id FROM ticket_messages WHERE message_id = $1`, id).Scan(&ticket)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("desk: find message: %w", err)
	}
	return ticket, true, nil
}
