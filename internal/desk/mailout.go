package desk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/store"
)

// The occasions a requester is written to.
const (
	MailOpened   = "opened"
	MailReply    = "reply"
	MailResolved = "resolved"
)

// OutgoingMail is one mail to a requester, ready for the outbox. Its
// Message-ID is recorded with the ticket before it is handed over, so the
// requester's answer threads back onto it.
type OutgoingMail struct {
	TicketID  int64
	Kind      string
	To        string
	From      string
	Subject   string
	MessageID string
	Text      string
	// Headers are added to the mail as they are: Auto-Submitted:
	// auto-replied, so that the requester's own auto-responder stays quiet
	// (RFC 3834).
	Headers map[string]string
}

// Outbox takes requester mails inside the transaction of the change that
// caused them, so a mail is sent exactly when its change is committed.
type Outbox interface {
	Enqueue(ctx context.Context, q store.Querier, m OutgoingMail) error
}

// SubjectTag is how a ticket is named in mail subjects; replies are
// threaded by it.
func SubjectTag(id int64) string { return "[#" + strconv.FormatInt(id, 10) + "]" }

// notify writes the requester a mail about t when the requester is a mail
// address and an outbox is set.
func (s *Store) notify(ctx context.Context, q store.Querier, kind string, t Ticket, text string) error {
	if s.Outbox == nil || !strings.Contains(t.Requester, "@") {
		return nil
	}
	from := s.Config().QueueFor("").Address
	if qu, ok := s.Config().Queue(t.Queue); ok && qu.Address != "" {
		from = qu.Address
	}
	var subject, body string
	switch kind {
	case MailOpened:
		subject = "Ticket opened: " + t.Title
		body = fmt.Sprintf("Your ticket %d has been opened: %s\n\nReply to this mail to add to it.\n", t.ID, t.Title)
	case MailReply:
		subject = "Re: " + t.Title
		body = text
	case MailResolved:
		subject = "Ticket resolved: " + t.Title
		body = fmt.Sprintf("Your ticket %d has been resolved.\n\n%s\nReply to this mail to reopen it.\n", t.ID, text)
	}
	id, err := messageID(from)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO ticket_messages (message_id, ticket_id) VALUES ($1, $2)`, id, t.ID); err != nil {
		return fmt.Errorf("desk: record message id: %w", err)
	}
	return s.Outbox.Enqueue(ctx, q, OutgoingMail{TicketID: t.ID, Kind: kind, To: t.Requester, From: from,
		Subject: SubjectTag(t.ID) + " " + subject, MessageID: id, Text: body,
		Headers: map[string]string{"Auto-Submitted": "auto-replied"}})
}

// messageID makes a unique Message-ID (without angle brackets) in the
// domain of from.
func messageID(from string) (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	domain := "sextant.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	return "ticket." + hex.EncodeToString(b[:]) + "@" + domain, nil
}
