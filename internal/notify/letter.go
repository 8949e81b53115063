package notify

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/probe"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/wneessen/go-mail"
)

// Letter is a plain e-mail that is about no one incident's state: a status
// page subscriber's confirmation request or an update they subscribed to.
type Letter struct {
	To, Subject, Body string
	// Unsubscribe, when set, is the one-click unsubscribe URL, sent as
	// List-Unsubscribe with List-Unsubscribe-Post (RFC 8058) so mail
	// clients offer their own button.
	Unsubscribe string
	// From replaces the mailer's sender when set (a service desk queue's
	// own address, which the requester's reply goes back to).
	From string
	// MessageID is the letter's Message-ID without angle brackets; empty
	// makes a random one. InReplyTo and References thread it (RFC 5322
	// 3.6.4), also without angle brackets.
	MessageID  string
	InReplyTo  string
	References []string
	// Headers are set after the defaults, so that "Auto-Submitted" here
	// replaces the default auto-generated (RFC 3834).
	Headers map[string]string
	// Attachments are files sent with the letter (the monthly report's
	// PDF).
	Attachments []Attachment
}

// Attachment is a file attached to a letter.
type Attachment struct {
	Name, ContentType string
	Data              []byte
}

// Mailer sends letters with the mail settings people's e-mail uses, over
// the same outbound policy, TLS modes and error classification as the
// e-mail channel.
type Mailer struct{ e *email }

// NewMailer builds a mailer; the settings are validated as an e-mail
// channel's are.
func NewMailer(from string, smtp SMTPConfig, outbound *probe.Policy) (*Mailer, error) {
	c := Config{Name: "mail", Type: TypeEmail, To: []string{"check@example.com"}, From: from, SMTP: smtp}
	if fields := c.Validate(); len(fields) > 0 {
		return nil, fmt.Errorf("mail settings: %s", fields[0].Msg)
	}
	e, err := newEmail(c, templates{}, DefaultTimeout, outbound)
	if err != nil {
		return nil, err
	}
	return &Mailer{e: e}, nil
}

// Send delivers one letter. A refusal no retry can change is Permanent.
func (m *Mailer) Send(ctx context.Context, l Letter) error {
	msg := mail.NewMsg()
	from := m.e.from
	if l.From != "" {
		from = l.From
	}
	if err := msg.From(from); err != nil {
		return Permanent(fmt.Errorf("from %q: %w", from, err))
	}
	if err := msg.To(l.To); err != nil {
		return Permanent(fmt.Errorf("to: %w", err))
	}
	msg.Subject(l.Subject)
	msg.SetDate()
	if l.MessageID != "" {
		msg.SetMessageIDWithValue(l.MessageID)
	} else {
		msg.SetMessageID()
	}
	if l.InReplyTo != "" {
		msg.SetGenHeader(mail.HeaderInReplyTo, "<"+l.InReplyTo+">")
	}
	if len(l.References) > 0 {
		refs := make([]string, len(l.References))
		for i, r := range l.References {
			refs[i] = "<" + r + ">"
		}
		msg.SetGenHeader(mail.HeaderReferences, strings.Join(refs, " "))
	}
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	for k, v := range l.Headers {
		msg.SetGenHeader(mail.Header(k), v)
	}
	if l.Unsubscribe != "" {
		msg.SetGenHeader("List-Unsubscribe", "<"+l.Unsubscribe+">")
		msg.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(mail.TypeTextPlain, l.Body)
	for _, a := range l.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), mail.WithFileContentType(mail.ContentType(a.ContentType))); err != nil {
			return Permanent(fmt.Errorf("attach %s: %w", a.Name, err))
		}
	}
	client, err := mail.NewClient(m.e.host, m.e.options()...)
	if err != nil {
		return Permanent(fmt.Errorf("smtp %s: %s", m.e.addr(), m.e.scrub.Replace(err.Error())))
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		out := &scrubbedError{msg: fmt.Sprintf("smtp %s: %s", m.e.addr(), m.e.scrub.Replace(err.Error())), err: err}
		if smtpPermanent(err) {
			return Permanent(out)
		}
		return out
	}
	return nil
}

// Poster posts signed JSON documents to one receiver, as webhook channels
// do (SignatureHeader, TimestampHeader), through the outbound policy and
// with the same judgement of answers: for status page webhook subscribers,
// whose documents are not about an incident's state.
type Poster struct {
	http *httpSender
	url  string
	key  []byte
	now  func() time.Time
}

// NewPoster builds a poster for url signed with secret.
func NewPoster(url string, key secret.Secret, outbound *probe.Policy) *Poster {
	return &Poster{http: newHTTPSender(Config{Secret: key}, url, DefaultTimeout, outbound), url: url, key: []byte(key.Reveal()), now: time.Now}
}

// Post sends body (JSON), signed.
func (p *Poster) Post(ctx context.Context, body []byte) error {
	header := http.Header{}
	if len(p.key) > 0 {
		ts := strconv.FormatInt(p.now().Unix(), 10)
		header.Set(TimestampHeader, ts)
		header.Set(SignatureHeader, SignWebhook(p.key, ts, body))
	}
	return p.http.post(ctx, p.url, "application/json", header, body)
}

// Close lets go of the poster's idle connections.
func (p *Poster) Close() { p.http.client.CloseIdleConnections() }
