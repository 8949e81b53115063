// Package mailin reads the service desk's incoming mail. Parse turns an RFC
// 5322 message into a Message (plain text preferred, HTML sanitised, quoted
// reply text set apart, attachments kept within limits, the ticket a reply
// belongs to) and a Verdict that says whether it may open or update a ticket:
// auto-replies, bounces, mailing-list mail and Sextant's own mail coming back
// are ignored, so that a desk and an auto-responder never answer each other
// forever. Server is the built-in SMTP listener that hands accepted messages
// to a Sink. The package stores nothing itself; the desk owns the tickets.
package mailin

import (
	"context"
	"errors"
)

// Message is one incoming mail as the desk needs it. Its first fields are
// those of the desk's inbound mail, with the same names and types.
type Message struct {
	// From is the sender's address, lower-cased ("ann@example.com").
	From string
	// To is the recipient the message came in for: the envelope recipient
	// when it arrived over SMTP, otherwise the first address of To.
	To      string
	Subject string
	// MessageID, InReplyTo and References are message ids without their
	// angle brackets.
	MessageID  string
	InReplyTo  string
	References []string
	// TicketID is the ticket named by "[#123]" in the subject, 0 for none.
	TicketID int64
	// Text is the new text of the message, without the quoted reply below
	// it; an HTML-only message is turned into text.
	Text        string
	Attachments []Attachment

	// FromName is the sender's display name ("Ann Example"), if any.
	FromName string
	// Quoted is the reply's quoted text ("On … wrote:" and what follows,
	// or the trailing "> " lines), set apart from Text.
	Quoted string
	// HTML is the HTML body sanitised to a safe subset (no script, style,
	// event handlers or remote forms), "" when the message had none.
	HTML string
	// Dropped names the attachments left out, each with the reason
	// ("big.iso: larger than 10485760 bytes").
	Dropped []string
}

// Attachment is one file attached to a message.
type Attachment struct {
	// Name is the file name, sanitised: no directory, no control or
	// reserved characters, at most 200 bytes.
	Name string
	// ContentType is the declared media type without its parameters
	// ("application/pdf"); the desk sniffs the content itself.
	ContentType string
	Data        []byte
}

// Action is what to do with a message.
type Action int

// The actions. Ignore is for mail a machine sent in answer to mail (an
// auto-reply, a bounce) or to many people (a list): it never opens or
// updates a ticket and is never answered.
const (
	Accept Action = iota
	Ignore
)

// String names the action.
func (a Action) String() string {
	if a == Ignore {
		return "ignore"
	}
	return "accept"
}

// Verdict says whether a message is taken, and if not, why.
type Verdict struct {
	Action Action
	// Reason says why a message is ignored ("Auto-Submitted:
	// auto-replied"); empty when it is accepted.
	Reason string
}

// Ignored reports whether the verdict is Ignore.
func (v Verdict) Ignored() bool { return v.Action == Ignore }

func ignore(format string) Verdict { return Verdict{Action: Ignore, Reason: format} }

// Sink receives the accepted messages. An error means the message was not
// kept; the SMTP listener then answers with a temporary failure so that the
// sending server tries again later.
type Sink interface {
	Deliver(ctx context.Context, m Message) error
}

// SinkFunc lets a function serve as a Sink.
type SinkFunc func(ctx context.Context, m Message) error

// Deliver calls f.
func (f SinkFunc) Deliver(ctx context.Context, m Message) error { return f(ctx, m) }

// Limits bound what Parse reads.
type Limits struct {
	// MaxMessageBytes is the largest message read, headers included;
	// zero means DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// MaxAttachmentBytes is the largest attachment kept; a larger one is
	// dropped and named in Message.Dropped. Zero means
	// DefaultMaxAttachmentBytes.
	MaxAttachmentBytes int64
	// MaxAttachments is how many attachments are kept; zero means
	// DefaultMaxAttachments.
	MaxAttachments int
}

// The default limits.
const (
	DefaultMaxMessageBytes    = 25 << 20
	DefaultMaxAttachmentBytes = 10 << 20
	DefaultMaxAttachments     = 20
	// maxParts and maxDepth bound the MIME tree, so that a message of a
	// million empty parts or parts nested a thousand deep costs little.
	maxParts = 200
	maxDepth = 12
)

func (l Limits) withDefaults() Limits {
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if l.MaxAttachmentBytes <= 0 {
		l.MaxAttachmentBytes = DefaultMaxAttachmentBytes
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = DefaultMaxAttachments
	}
	return l
}

// ErrTooLarge is returned by Parse for a message over MaxMessageBytes.
var ErrTooLarge = errors.New("message is larger than the limit")

// ErrMalformed wraps the reasons a message cannot be read at all (no
// header, no sender). Parts of a message that cannot be decoded are kept
// as they are or dropped; they do not make the whole message malformed.
var ErrMalformed = errors.New("malformed message")
