package desk

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/notify"
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
	// InReplyTo is the requester's latest mail on the ticket (else the
	// desk's own latest), References the ticket's thread oldest first:
	// Message-IDs without angle brackets, the ones the mail listener
	// threads replies by.
	InReplyTo  string
	References []string
	Text       string
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

// Sender is an Outbox that may be switched off (the config has no mail
// settings): while Sends is false no mail is written, and no Message-ID
// recorded for it.
type Sender interface {
	Sends() bool
}

// SubjectTag is how a ticket is named in mail subjects; replies are
// threaded by it.
func SubjectTag(id int64) string { return "[#" + strconv.FormatInt(id, 10) + "]" }

// maxReferences is how many Message-IDs a mail's References keeps: the
// thread's first and its latest, as RFC 5322 3.6.4 allows trimming.
const maxReferences = 10

// notify writes the requester a mail about t when the requester is a mail
// address and an outbox is set.
func (s *Store) notify(ctx context.Context, q store.Querier, kind string, t Ticket, text string) error {
	if s.Outbox == nil || !strings.Contains(t.Requester, "@") {
		return nil
	}
	if sw, ok := s.Outbox.(Sender); ok && !sw.Sends() {
		return nil
	}
	from := s.Config().QueueFor("").Address
	if qu, ok := s.Config().Queue(t.Queue); ok && qu.Address != "" {
		from = qu.Address
	}
	var subject, body string
	headers := map[string]string{"X-Auto-Response-Suppress": "OOF, AutoReply", "X-Sextant-Ticket": strconv.FormatInt(t.ID, 10)}
	switch kind {
	case MailOpened:
		subject = "Ticket opened: " + t.Title
		body = fmt.Sprintf("Your ticket %d has been opened: %s\n\nReply to this mail to add to it.\n", t.ID, t.Title)
		// The acknowledgement answers the requester's mail by itself.
		headers["Auto-Submitted"] = "auto-replied"
	case MailReply:
		subject = "Re: " + t.Title
		body = strings.TrimRight(text, "\n") + fmt.Sprintf("\n\n-- \nTicket %d: %s. Reply to this mail to answer.\n", t.ID, t.Title)
	case MailResolved:
		subject = "Ticket resolved: " + t.Title
		body = fmt.Sprintf("Your ticket %d has been resolved.\n\n%s\nReply to this mail to reopen it.\n", t.ID, text)
	}
	id, err := messageID(from)
	if err != nil {
		return err
	}
	inReplyTo, refs, err := threadOf(ctx, q, t.ID)
	if err != nil {
		return err
	}
	if err := recordMessage(ctx, q, id, t.ID, s.now(), false); err != nil {
		return err
	}
	return s.Outbox.Enqueue(ctx, q, OutgoingMail{TicketID: t.ID, Kind: kind, To: t.Requester, From: from,
		Subject: SubjectTag(t.ID) + " " + subject, MessageID: id, InReplyTo: inReplyTo, References: refs, Text: body, Headers: headers})
}

// threadOf returns what a new mail on ticket id answers: the requester's
// latest mail (else the desk's latest) and the thread's Message-IDs in
// order, trimmed to its first and latest.
func threadOf(ctx context.Context, q store.Querier, id int64) (inReplyTo string, refs []string, err error) {
	rows, err := q.QueryContext(ctx, `SELECT message_id, inbound FROM ticket_messages WHERE ticket_id = $1 ORDER BY at`, id)
	if err != nil {
		return "", nil, fmt.Errorf("desk: thread of ticket %d: %w", id, err)
	}
	defer rows.Close()
	lastIn := ""
	for rows.Next() {
		var mid string
		var inbound bool
		if err := rows.Scan(&mid, &inbound); err != nil {
			return "", nil, err
		}
		if !cleanMessageID(mid) {
			// A sender's odd id is still threaded on, never written back
			// into a header.
			continue
		}
		refs = append(refs, mid)
		if inbound {
			lastIn = mid
		}
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1:1], refs[len(refs)-maxReferences+1:]...)
	}
	inReplyTo = lastIn
	if inReplyTo == "" && len(refs) > 0 {
		inReplyTo = refs[len(refs)-1]
	}
	return inReplyTo, refs, nil
}

// cleanMessageID reports whether id may go into a header between angle
// brackets: printable ASCII without spaces or brackets, of a sane length.
func cleanMessageID(id string) bool {
	if id == "" || len(id) > 250 {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r >= 0x7f || r == '<' || r == '>' {
			return false
		}
	}
	return true
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

// MailChannel is the outbox channel that carries requester mail; its rows
// are about no incident, and their kind names the stored mail
// ("ticket-mail:12").
const MailChannel = "desk:mail"

const mailKindPrefix = "ticket-mail:"

// MailOutbox is the Outbox over the notification outbox: each mail is
// stored whole (ticket_mail) with an outbox row on MailChannel in the
// change's transaction, and the outbox worker sends it through the
// channel Store.MailSender returns, retrying as it retries any channel.
type MailOutbox struct {
	// Enabled says whether mail can be sent at all (the config has mail
	// settings); while it cannot, nothing is stored. Nil means always.
	Enabled func() bool
	// Now is the clock of the rows, time.Now when nil.
	Now func() time.Time
	// Kick wakes the outbox worker; nil leaves it to its next poll.
	Kick func()
}

// Sends says whether mail is written now.
func (o MailOutbox) Sends() bool { return o.Enabled == nil || o.Enabled() }

// Enqueue stores m and its outbox row in q's transaction.
func (o MailOutbox) Enqueue(ctx context.Context, q store.Querier, m OutgoingMail) error {
	if !o.Sends() {
		return nil
	}
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	headers, err := json.Marshal(m.Headers)
	if err != nil {
		return err
	}
	var id int64
	if err := q.QueryRowContext(ctx, `INSERT INTO ticket_mail (ticket_id, kind, to_addr, from_addr, subject, message_id, in_reply_to, refs, body, headers, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		m.TicketID, m.Kind, m.To, m.From, m.Subject, m.MessageID, m.InReplyTo, strings.Join(m.References, " "), m.Text, string(headers), store.Millis(now)).Scan(&id); err != nil {
		return fmt.Errorf("desk: store mail: %w", err)
	}
	var row int64
	if err := q.QueryRowContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
		VALUES (NULL, $1, $2, 'pending', 0, $3, 0, '', $3) RETURNING id`, MailChannel, mailKindPrefix+strconv.FormatInt(id, 10), store.Millis(now)).Scan(&row); err != nil {
		return fmt.Errorf("desk: enqueue mail: %w", err)
	}
	if _, err := q.ExecContext(ctx, `UPDATE ticket_mail SET outbox_id = $2 WHERE id = $1`, id, row); err != nil {
		return fmt.Errorf("desk: enqueue mail: %w", err)
	}
	if o.Kick != nil {
		o.Kick()
	}
	return nil
}

// MailSender returns the outbox channel that sends the stored requester
// mail with the running config's mailer (nil when the config has no mail
// settings, which fails the row, said plainly).
func (s *Store) MailSender(mailer func() *notify.Mailer) notify.Channel {
	return &mailSender{s: s, mailer: mailer}
}

type mailSender struct {
	s      *Store
	mailer func() *notify.Mailer
}

// Send sends the mail the row's kind names.
func (c *mailSender) Send(ctx context.Context, m notify.Message) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(m.Kind, mailKindPrefix), 10, 64)
	if !strings.HasPrefix(m.Kind, mailKindPrefix) || err != nil {
		return notify.Permanent(fmt.Errorf("the desk's mail channel sends ticket mail only, not %q", m.Kind))
	}
	l, err := c.s.Mail(ctx, id)
	if err != nil {
		return err
	}
	mailer := c.mailer()
	if mailer == nil {
		return notify.Permanent(errors.New("no mail settings: add mail.smtp to the config to write to requesters"))
	}
	return mailer.Send(ctx, l)
}

// Mail reads stored requester mail id as the letter it is sent as.
func (s *Store) Mail(ctx context.Context, id int64) (notify.Letter, error) {
	var l notify.Letter
	var refs, headers string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT to_addr, from_addr, subject, message_id, in_reply_to, refs, body, headers FROM ticket_mail WHERE id = $1`, id).
		Scan(&l.To, &l.From, &l.Subject, &l.MessageID, &l.InReplyTo, &refs, &l.Body, &headers)
	if errors.Is(err, sql.ErrNoRows) {
		return l, notify.Permanent(fmt.Errorf("ticket mail %d is gone (its ticket was deleted)", id))
	}
	if err != nil {
		return l, fmt.Errorf("desk: read mail %d: %w", id, err)
	}
	l.References = strings.Fields(refs)
	if headers != "" && headers != "null" {
		if err := json.Unmarshal([]byte(headers), &l.Headers); err != nil {
			return l, notify.Permanent(fmt.Errorf("ticket mail %d: headers: %w", id, err))
		}
	}
	return l, nil
}

// SentMail is one mail to the requester as the ticket page and API show
// it: what was written and what the outbox made of it.
type SentMail struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	At      time.Time `json:"at"`
	// Status is the outbox's: pending, sent or failed.
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	SentAt    time.Time `json:"sent_at,omitzero"`
}

// mails lists the mails written to a ticket's requester, oldest first.
func mails(ctx context.Context, q store.Querier, id int64) ([]SentMail, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.kind, m.to_addr, m.subject, m.created_at, COALESCE(o.status, ''), COALESCE(o.attempts, 0),
			COALESCE(o.last_error, ''), o.sent_at
		FROM ticket_mail m LEFT JOIN outbox o ON o.id = m.outbox_id
		WHERE m.ticket_id = $1 ORDER BY m.id`, id)
	if err != nil {
		return nil, fmt.Errorf("desk: mails of ticket %d: %w", id, err)
	}
	defer rows.Close()
	out := []SentMail{}
	for rows.Next() {
		var m SentMail
		var at int64
		var sent sql.NullInt64
		if err := rows.Scan(&m.ID, &m.Kind, &m.To, &m.Subject, &at, &m.Status, &m.Attempts, &m.LastError, &sent); err != nil {
			return nil, err
		}
		m.At, m.SentAt = store.FromMillis(at), store.FromNullMillis(sent)
		out = append(out, m)
	}
	return out, rows.Err()
}
