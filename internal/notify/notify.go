// Package notify tells people about incidents through channels: e-mail over
// SMTP, Slack, Microsoft Teams, a generic signed webhook and ntfy. A Channel
// renders one Message and sends it; the Outbox worker reads the durable
// outbox table that the incident package writes in the same transaction as
// its decision, sends each row at least once, retries with backoff and keeps
// a delivery log in the incident's timeline.
//
// What each channel sends (details on the channel types' comments):
//
//   - webhook: POST application/json WebhookPayload
//     {"event": kind, "incident": {"id", "service", "summary", "severity",
//     "status", "source", "created_at", "url", "ack_url", "resolve_url",
//     "in_maintenance", "workaround"}} — or, for a ticket's SLA warning,
//     {"event": "sla_warning"|"sla_breach", "ticket": {…}} — signed with HMAC-SHA256 over
//     "<timestamp>.<body>" (see SignatureHeader and VerifyWebhook);
//   - slack: an incoming-webhook {"text", "blocks"} with URL buttons;
//   - teams: {"type": "message", "attachments": [an Adaptive Card 1.4]}
//     with Action.OpenUrl buttons, for Workflows webhooks;
//   - ntfy: POST <url>/<topic> with Title, Priority, Tags, Click, Actions;
//   - email: multipart/alternative, plain text plus a simple HTML part.
//
// The acknowledge and resolve links are opened with GET by browsers, mail
// scanners and chat link previews (Slack, Teams, e-mail), and POSTed by
// ntfy's action buttons; the handler behind them must act only on POST and
// answer GET with a confirmation page.
//
// All channels live in this one package, one file each, because they share
// the Message they render, the HTTP client that refuses cloud-metadata
// addresses and the rules for keeping secrets out of errors; subpackages
// would have to import those back from here.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/probe"
	"github.com/sextant-ops/sextant/internal/secret"
)

// The channel types a Config may name.
const (
	TypeEmail   = "email"
	TypeSlack   = "slack"
	TypeTeams   = "teams"
	TypeWebhook = "webhook"
	TypeNtfy    = "ntfy"
)

// The kinds of notification, as Message.Kind and the outbox's kind column
// spell them.
const (
	KindTriggered    = "triggered"
	KindAcknowledged = "acknowledged"
	KindResolved     = "resolved"
	KindEscalated    = "escalated"
)

// DefaultTimeout bounds one send when a channel sets no timeout.
const DefaultTimeout = 10 * time.Second

// MaxTimeout is the longest timeout a channel may set. It stays well below
// the outbox's two-minute claim, so that a send always ends before another
// replica may take the row over and send it a second time.
const MaxTimeout = time.Minute

// DefaultNtfyURL is the ntfy server used when an ntfy channel names none.
const DefaultNtfyURL = "https://ntfy.sh"

// Message is what every channel renders.
type Message struct {
	IncidentID int64
	// Kind is what happened: "triggered", "acknowledged", "resolved" or
	// "escalated".
	Kind    string
	Service string
	Summary string
	// Severity is critical, error, warning or info.
	Severity string
	// Status is the incident's status when the notification is sent
	// (triggered, acknowledged, resolved), which may have moved on since
	// the event named by Kind.
	Status    string
	Source    string
	CreatedAt time.Time
	// ResolvedAt is when the incident was resolved; zero while it is open.
	ResolvedAt time.Time
	// URL is the incident's page.
	URL string
	// AckURL and ResolveURL are signed links: anyone holding them may act,
	// so they go only to the channel's own audience.
	AckURL        string
	ResolveURL    string
	InMaintenance bool
	// Workaround is the workaround of the known error the incident
	// matched when it was opened (Markdown); "" when it matched none.
	Workaround string
	// Ticket is set, in place of an incident (IncidentID 0), when the
	// message is about a service desk ticket: an SLA warning.
	Ticket *Ticket
}

// Ticket is the service desk ticket a Message is about. Kind is then
// KindSLAWarning or KindSLABreach; Summary, Service, Severity, Status and
// URL are filled so that every channel's built-in rendering reads well.
type Ticket struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Queue    string `json:"queue"`
	Priority int    `json:"priority"`
	Status   string `json:"status"`
	// Clock is first_response or resolution; Level is 75 or 100 (per
	// cent of the target used).
	Clock string `json:"clock"`
	Level int    `json:"level"`
	// Due is when the clock's target is reached (zero while it is paused).
	Due time.Time `json:"due,omitzero"`
	URL string    `json:"url"`
}

// The kinds of a ticket's SLA warning: 75 % of a target used, and the
// target reached.
const (
	KindSLAWarning = "sla_warning"
	KindSLABreach  = "sla_breach"
)

// Name is how messages name what they are about: "Incident #42" or
// "Ticket #12".
func (m Message) Name() string {
	if m.Ticket != nil {
		return fmt.Sprintf("Ticket #%d", m.Ticket.ID)
	}
	return fmt.Sprintf("Incident #%d", m.IncidentID)
}

// Config is one channel as declared in the YAML config file (decoded by a
// strict decoder that uses `yaml` tags and encoding.TextUnmarshaler;
// secret.Secret implements it).
//
// URL is a secret for Slack and Teams (whoever holds an incoming-webhook URL
// may post), so errors and logs show only its scheme and host; LogValue does
// the same when a Config is logged.
type Config struct {
	Name string `yaml:"name"`
	// Type is email, slack, teams, webhook or ntfy.
	Type string `yaml:"type"`
	// URL is the incoming-webhook URL (slack, teams), the receiver
	// (webhook) or the ntfy server's base URL (default https://ntfy.sh).
	URL string `yaml:"url"`
	// Secret is the HMAC-SHA256 key of a webhook, or an ntfy access token
	// sent as a Bearer token.
	Secret secret.Secret `yaml:"secret"`
	// Topic is the ntfy topic.
	Topic string `yaml:"topic"`
	// To lists the e-mail recipients.
	To []string `yaml:"to"`
	// From is the e-mail sender, default sextant@<hostname>.
	From string     `yaml:"from"`
	SMTP SMTPConfig `yaml:"smtp"`
	// AllowLinkLocal lets this channel's calls reach link-local and
	// cloud-metadata addresses (off by default). The outbound policy's
	// deny and allow rules still apply.
	AllowLinkLocal bool `yaml:"allow_link_local"`
	// Templates are text/template over Message; empty means built-in.
	Templates Templates `yaml:"templates"`
	// Timeout bounds one send, default 10s, at most 1m.
	Timeout string `yaml:"timeout"`
	// RateLimit paces sends to this channel, e.g. "30/m": at most 30 in
	// any minute, the rest waiting in the outbox. Empty for no limit.
	RateLimit string `yaml:"rate_limit"`
	// DigestAfter is how many notifications may be due for this channel at
	// once and still go out one by one; more become one digest message
	// (default 10).
	DigestAfter int `yaml:"digest_after"`
}

// SMTPConfig says how an e-mail channel reaches its mail server.
type SMTPConfig struct {
	Host     string        `yaml:"host"`
	Port     int           `yaml:"port"`
	Username string        `yaml:"username"`
	Password secret.Secret `yaml:"password"`
	// TLS is "none", "starttls" or "tls" (implicit TLS, "SMTPS"). Empty
	// means "tls" on port 465 and "starttls" otherwise; STARTTLS is then
	// required, not merely tried, so a man in the middle cannot strip it.
	TLS string `yaml:"tls"`
}

// The SMTP TLS modes.
const (
	SMTPTLSNone     = "none"
	SMTPTLSStartTLS = "starttls"
	SMTPTLSImplicit = "tls"
)

// Templates override the built-in rendering. Subject is the e-mail subject,
// the ntfy title and the Teams card's title; Body is the e-mail's plain-text
// body, the ntfy message, the Slack text and the Teams card's text. Both see
// a Message as their dot.
type Templates struct {
	Subject string `yaml:"subject"`
	Body    string `yaml:"body"`
}

// Channel sends one Message somewhere people will see it. Send returns nil
// once the receiver accepted the message; errors are wrapped so that
// IsPermanent tells whether a retry could help, and their text never holds
// the channel's secrets.
type Channel interface {
	Send(ctx context.Context, m Message) error
}

// Validate reports every problem with c, with paths relative to the
// channel ("url", "smtp.host", "templates.body"). It parses and trial-runs
// the templates, so that a typo in a field name is caught when the config
// is loaded rather than when an incident fires.
func (c Config) Validate() []apperr.Field {
	var inv apperr.Invalid
	if strings.TrimSpace(c.Name) == "" {
		inv.Add("name", "is required")
	}
	switch c.Type {
	case TypeSlack, TypeTeams, TypeWebhook:
		if c.URL == "" {
			inv.Add("url", "is required for a %s channel", c.Type)
		} else if msg := checkURL(c.URL); msg != "" {
			inv.Add("url", "%s", msg)
		}
	case TypeNtfy:
		if c.URL != "" {
			if msg := checkURL(c.URL); msg != "" {
				inv.Add("url", "%s", msg)
			}
		}
		if c.Topic == "" {
			inv.Add("topic", "is required for an ntfy channel")
		} else if !validTopic(c.Topic) {
			inv.Add("topic", "must be 1 to 64 letters, digits, '-' or '_'")
		}
	case TypeEmail:
		validateEmail(c, &inv)
	case "":
		inv.Add("type", "is required: email, slack, teams, webhook or ntfy")
	default:
		inv.Add("type", "unknown channel type %q: use email, slack, teams, webhook or ntfy", c.Type)
	}
	if c.Type != TypeWebhook && c.Type != TypeNtfy && !c.Secret.IsZero() {
		inv.Add("secret", "is only used by webhook and ntfy channels")
	}
	if c.Type != TypeNtfy && c.Topic != "" {
		inv.Add("topic", "is only used by ntfy channels")
	}
	if c.Type != TypeEmail {
		if len(c.To) > 0 {
			inv.Add("to", "is only used by email channels")
		}
		if c.From != "" {
			inv.Add("from", "is only used by email channels")
		}
		if c.SMTP != (SMTPConfig{}) {
			inv.Add("smtp", "is only used by email channels")
		}
	}
	if c.Type == TypeEmail && c.URL != "" {
		inv.Add("url", "is not used by email channels (set smtp.host)")
	}
	if c.Type == TypeWebhook && (c.Templates != Templates{}) {
		inv.Add("templates", "webhook channels send a fixed JSON document; templates are not used")
	}
	if _, err := parseTemplates(c.Templates); err != nil {
		var te *templateError
		if errors.As(err, &te) {
			inv.Add("templates."+te.field, "%s", te.msg)
		} else {
			inv.Add("templates", "%s", err)
		}
	}
	if _, err := parseTimeout(c.Timeout); err != nil {
		inv.Add("timeout", "%s", err)
	}
	if c.RateLimit != "" {
		if _, err := parsePacing(Config{RateLimit: c.RateLimit}); err != nil {
			inv.Add("rate_limit", "%s", err)
		}
	}
	if c.DigestAfter < 0 {
		inv.Add("digest_after", "must be at least 1 (the default is %d)", DefaultDigestAfter)
	}
	return inv.Fields
}

// validateEmail checks the e-mail half of a Config.
func validateEmail(c Config, inv *apperr.Invalid) {
	if len(c.To) == 0 {
		inv.Add("to", "needs at least one recipient")
	}
	for i, to := range c.To {
		if _, err := parseAddress(to); err != nil {
			inv.Add(fmt.Sprintf("to[%d]", i), "%s", err)
		}
	}
	if c.From != "" {
		if _, err := parseAddress(c.From); err != nil {
			inv.Add("from", "%s", err)
		}
	}
	if c.SMTP.Host == "" {
		inv.Add("smtp.host", "is required for an email channel")
	} else if strings.ContainsAny(c.SMTP.Host, "/: ") && !strings.HasPrefix(c.SMTP.Host, "[") {
		inv.Add("smtp.host", "must be a host name or address without a port (set smtp.port)")
	}
	if c.SMTP.Port < 0 || c.SMTP.Port > 65535 {
		inv.Add("smtp.port", "must be between 1 and 65535")
	}
	switch c.SMTP.TLS {
	case "", SMTPTLSNone, SMTPTLSStartTLS, SMTPTLSImplicit:
	default:
		inv.Add("smtp.tls", "unknown mode %q: use none, starttls or tls", c.SMTP.TLS)
	}
	if c.SMTP.Username == "" && !c.SMTP.Password.IsZero() {
		inv.Add("smtp.username", "is required when a password is set")
	}
}

// checkURL says what is wrong with an http(s) URL, without repeating the
// URL: it may be a secret.
func checkURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URL"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "must start with http:// or https://"
	}
	if u.Host == "" || u.Hostname() == "" {
		return "has no host"
	}
	return ""
}

// validTopic reports whether t is a topic name ntfy accepts.
func validTopic(t string) bool {
	if len(t) == 0 || len(t) > 64 {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// parseTimeout reads Config.Timeout.
func parseTimeout(s string) (time.Duration, error) {
	if s == "" {
		return DefaultTimeout, nil
	}
	d, err := duration.Parse(s)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, errors.New("must be more than zero")
	}
	if d > MaxTimeout {
		return 0, fmt.Errorf("must be at most %s, so that a send ends before another server may retry it", MaxTimeout)
	}
	return d, nil
}

// New builds the channel c declares under the default outbound policy,
// which refuses only cloud-metadata addresses; see NewWith.
func New(c Config) (Channel, error) { return NewWith(c, nil) }

// NewWith builds the channel c declares, its connections obeying the
// outbound policy for channels (nil for the default; c.AllowLinkLocal lifts
// the metadata refusal, never the policy's deny and allow rules). Call it
// after Validate: it refuses a config Validate would refuse, with the same
// words.
func NewWith(c Config, outbound *probe.Policy) (Channel, error) {
	if fields := c.Validate(); len(fields) > 0 {
		return nil, fmt.Errorf("channel %q: %w", c.Name, &apperr.Invalid{Fields: fields})
	}
	tmpl, err := parseTemplates(c.Templates)
	if err != nil {
		return nil, err
	}
	timeout, _ := parseTimeout(c.Timeout)
	if c.AllowLinkLocal {
		outbound = outbound.AllowMetadata()
	}
	pace, _ := parsePacing(c)
	ch, err := newChannel(c, tmpl, timeout, outbound)
	if err != nil {
		return nil, err
	}
	ch.setPacing(pace)
	return ch, nil
}

// pacedChannel is a built-in channel: it sends, sends digests and knows
// its pacing.
type pacedChannel interface {
	Channel
	Digester
	Paced
	setPacing(Pacing)
}

// newChannel builds the channel of a validated Config.
func newChannel(c Config, tmpl templates, timeout time.Duration, outbound *probe.Policy) (pacedChannel, error) {
	switch c.Type {
	case TypeEmail:
		return newEmail(c, tmpl, timeout, outbound)
	case TypeSlack:
		return &slack{http: newHTTPSender(c, c.URL, timeout, outbound), url: c.URL, tmpl: tmpl}, nil
	case TypeTeams:
		return &teams{http: newHTTPSender(c, c.URL, timeout, outbound), url: c.URL, tmpl: tmpl}, nil
	case TypeWebhook:
		return &webhook{http: newHTTPSender(c, c.URL, timeout, outbound), url: c.URL, key: []byte(c.Secret.Reveal()), now: time.Now}, nil
	case TypeNtfy:
		base := strings.TrimRight(c.URL, "/")
		if base == "" {
			base = DefaultNtfyURL
		}
		target := base + "/" + c.Topic
		short, err := parseTemplatesWith(c.Templates, shortBody)
		if err != nil {
			return nil, err
		}
		return &ntfy{http: newHTTPSender(c, target, timeout, outbound), url: target, token: c.Secret.Reveal(), tmpl: short}, nil
	}
	return nil, fmt.Errorf("channel %q: unknown type %q", c.Name, c.Type)
}

// LogValue shows a Config in logs without its secrets: the URL keeps only
// its scheme and host.
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("name", c.Name), slog.String("type", c.Type)}
	if c.URL != "" {
		attrs = append(attrs, slog.String("url", redactURL(c.URL)))
	}
	if c.Type == TypeEmail {
		attrs = append(attrs, slog.String("smtp", fmt.Sprintf("%s:%d", c.SMTP.Host, c.SMTP.Port)), slog.Any("to", c.To))
	}
	return slog.GroupValue(attrs...)
}

// permanentError marks an error that a retry cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying: the receiver refused the
// message (a 4xx other than 408 and 429), an address is bad, the target is
// refused. Channels outside this package may use it too.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err is not worth retrying: marked by
// Permanent anywhere in its chain, or a dial refused because the target is
// a cloud-metadata or link-local address or refused by the outbound policy
// (only a config change helps).
func IsPermanent(err error) bool {
	var p *permanentError
	if errors.As(err, &p) {
		return true
	}
	var refused *probe.RefusedAddressError
	return errors.As(err, &refused)
}

// defaultFrom is the sender of e-mails whose channel sets none.
func defaultFrom() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return "sextant@" + host
}
