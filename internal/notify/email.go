package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"html/template"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/probe"
	"github.com/wneessen/go-mail"
)

// email sends a multipart/alternative message over SMTP with go-mail: the
// plain-text body from the body template and a simple HTML part around it
// with the incident's links as buttons. Each send opens its own connection:
// notifications are rare, and a pooled connection would only time out
// between incidents.
type email struct {
	paced
	host     string
	port     int
	mode     string // none, starttls, tls
	username string
	password string
	from     string
	to       []string
	tmpl     templates
	timeout  time.Duration
	// outbound is the policy the SMTP connection obeys.
	outbound *probe.Policy
	// rootCAs replaces the system roots; tests set it.
	rootCAs *x509.CertPool
	scrub   *strings.Replacer
}

// newEmail builds an e-mail channel from a validated Config.
func newEmail(c Config, tmpl templates, timeout time.Duration, outbound *probe.Policy) (*email, error) {
	mode, port := smtpMode(c.SMTP)
	from := c.From
	if from == "" {
		from = defaultFrom()
	}
	return &email{
		host: c.SMTP.Host, port: port, mode: mode,
		username: c.SMTP.Username, password: c.SMTP.Password.Reveal(),
		from: from, to: c.To, tmpl: tmpl, timeout: timeout, outbound: outbound,
		scrub: newScrubber([]string{c.SMTP.Password.Reveal()}),
	}, nil
}

// smtpMode fills in the TLS mode and port: implicit TLS on 465, STARTTLS
// (required) otherwise; port 465 for implicit TLS, 25 without TLS, 587 for
// STARTTLS.
func smtpMode(c SMTPConfig) (mode string, port int) {
	mode, port = c.TLS, c.Port
	if mode == "" {
		mode = SMTPTLSStartTLS
		if port == 465 {
			mode = SMTPTLSImplicit
		}
	}
	if port == 0 {
		switch mode {
		case SMTPTLSImplicit:
			port = 465
		case SMTPTLSNone:
			port = 25
		default:
			port = 587
		}
	}
	return mode, port
}

// parseAddress checks one e-mail address ("ops@example.com" or
// "Ops <ops@example.com>").
func parseAddress(s string) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an e-mail address", s)
	}
	return a, nil
}

// Send delivers the message to every recipient in one SMTP transaction.
func (e *email) Send(ctx context.Context, m Message) error {
	msg, err := e.message(m)
	if err != nil {
		return err
	}
	return e.deliver(ctx, msg)
}

// deliver sends one built message over SMTP.
func (e *email) deliver(ctx context.Context, msg *mail.Msg) error {
	client, err := mail.NewClient(e.host, e.options()...)
	if err != nil {
		return Permanent(fmt.Errorf("smtp %s: %s", e.addr(), e.scrub.Replace(err.Error())))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		out := &scrubbedError{msg: fmt.Sprintf("smtp %s: %s", e.addr(), e.scrub.Replace(err.Error())), err: err}
		if smtpPermanent(err) {
			return Permanent(out)
		}
		return out
	}
	return nil
}

// addr is the server as errors show it.
func (e *email) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// options configure go-mail for this channel.
func (e *email) options() []mail.Option {
	tlsConfig := &tls.Config{ServerName: e.host, MinVersion: tls.VersionTLS12, RootCAs: e.rootCAs}
	opts := []mail.Option{
		mail.WithPort(e.port),
		mail.WithTimeout(e.timeout),
		mail.WithTLSConfig(tlsConfig),
		mail.WithDialContextFunc(e.dial(tlsConfig)),
	}
	switch e.mode {
	case SMTPTLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case SMTPTLSImplicit:
		// The dial function does the handshake; WithSSL only tells go-mail
		// not to attempt STARTTLS on top.
		opts = append(opts, mail.WithSSL())
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if e.username != "" {
		// PLAIN and LOGIN refuse to send the password over an unencrypted
		// connection to anything but localhost.
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1, mail.SMTPAuthCramMD5, mail.SMTPAuthPlain, mail.SMTPAuthLogin),
			mail.WithUsername(e.username),
			mail.WithPassword(e.password),
		)
	}
	return opts
}

// dial connects under the outbound policy, so that an SMTP host resolving
// to a metadata or denied address is refused like any other outgoing call,
// and does the TLS handshake itself for implicit TLS (go-mail leaves that
// to a custom dial function).
func (e *email) dial(tlsConfig *tls.Config) mail.DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := e.outbound.Dialer(e.timeout).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if e.mode != SMTPTLSImplicit {
			return conn, nil
		}
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		return tc, nil
	}
}

// smtpPermanent reports a refusal a retry cannot change: a 5xx reply to
// any command (bad recipient, authentication failed, message refused).
func smtpPermanent(err error) bool {
	var se *mail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode() >= 500
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500
	}
	return false
}

// message builds the e-mail for m.
func (e *email) message(m Message) (*mail.Msg, error) {
	subject, body, err := e.tmpl.render(m)
	if err != nil {
		return nil, err
	}
	htmlBody, err := emailHTML(subject, body, m)
	if err != nil {
		return nil, Permanent(err)
	}
	msg, err := e.envelope(subject, body, htmlBody)
	if err != nil {
		return nil, err
	}
	// One References value per incident lets mail clients thread its
	// triggered, acknowledged and resolved messages together.
	domain := "sextant"
	if a, err := netmail.ParseAddress(e.from); err == nil {
		if i := strings.LastIndex(a.Address, "@"); i >= 0 {
			domain = a.Address[i+1:]
		}
	}
	if m.Ticket != nil {
		// A ticket's SLA warnings thread together, apart from incidents.
		msg.SetGenHeader(mail.HeaderReferences, fmt.Sprintf("<ticket-%d.sextant@%s>", m.Ticket.ID, domain))
		msg.SetGenHeader("X-Sextant-Ticket", strconv.FormatInt(m.Ticket.ID, 10))
	} else if m.IncidentID != 0 {
		msg.SetGenHeader(mail.HeaderReferences, fmt.Sprintf("<incident-%d.sextant@%s>", m.IncidentID, domain))
		msg.SetGenHeader("X-Sextant-Incident", strconv.FormatInt(m.IncidentID, 10))
	}
	msg.SetGenHeader("X-Sextant-Event", oneLine(m.Kind))
	return msg, nil
}

// envelope builds a message from the channel's sender to its recipients
// with the plain-text body and its HTML alternative.
func (e *email) envelope(subject, body, htmlBody string) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(e.from); err != nil {
		return nil, Permanent(fmt.Errorf("from %q: %w", e.from, err))
	}
	if err := msg.To(e.to...); err != nil {
		return nil, Permanent(fmt.Errorf("to: %w", err))
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	// RFC 3834: keeps out-of-office replies from answering a notification.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, body)
	msg.AddAlternativeString(mail.TypeTextHTML, htmlBody)
	return msg, nil
}

// emailPage is the HTML part: the plain-text body kept as it is, and the
// links as buttons.
var emailPage = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:system-ui,sans-serif;font-size:14px;color:#1a1a1a">
<p style="font-size:16px;font-weight:bold">{{.Subject}}</p>
<pre style="font-family:inherit;white-space:pre-wrap">{{.Body}}</pre>
{{- if .Links}}
<p>{{range .Links}}<a href="{{.URL}}" style="display:inline-block;margin-right:8px;padding:6px 12px;border:1px solid #888;border-radius:4px;color:#1a1a1a;text-decoration:none">{{.Label}}</a>{{end}}</p>
{{- end}}
</body></html>
`))

// emailHTML renders the HTML part.
func emailHTML(subject, body string, m Message) (string, error) {
	type htmlLink struct{ URL, Label string }
	data := struct {
		Subject, Body string
		Links         []htmlLink
	}{Subject: subject, Body: body}
	for _, l := range links(m) {
		data.Links = append(data.Links, htmlLink{URL: l.url, Label: l.label})
	}
	var b bytes.Buffer
	if err := emailPage.Execute(&b, data); err != nil {
		return "", fmt.Errorf("email HTML: %w", err)
	}
	return b.String(), nil
}
