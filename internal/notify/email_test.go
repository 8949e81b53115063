package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/testcert"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sextant-ops/sextant/internal/probe"
	"github.com/sextant-ops/sextant/internal/secret"
)

// mailbox is a real SMTP server (go-smtp) on a loopback port that keeps
// what it receives.
type mailbox struct {
	host string
	port int
	user string
	pass string
	// refuseRcpt makes RCPT TO answer this code for every recipient.
	refuseRcpt int

	mu   sync.Mutex
	mail []received
}

// received is one delivered message.
type received struct {
	From string
	To   []string
	Data []byte
	Auth string // user that authenticated, if any
}

type mailSession struct {
	box  *mailbox
	cur  received
	user string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.box.user || pass != s.box.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		s.user = user
		return nil
	}), nil
}
func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.box.user != "" && s.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	s.cur = received{From: from, Auth: s.user}
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.box.refuseRcpt != 0 {
		return &smtp.SMTPError{Code: s.box.refuseRcpt, EnhancedCode: smtp.EnhancedCode{s.box.refuseRcpt / 100, 1, 1}, Message: "no such user"}
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.box.mu.Lock()
	s.box.mail = append(s.box.mail, s.cur)
	s.box.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        { s.cur = received{} }
func (s *mailSession) Logout() error { return nil }

// startMailbox serves SMTP on 127.0.0.1:0. With tlsConfig set the server
// offers STARTTLS, or, when implicit, speaks TLS from the first byte.
func startMailbox(t *testing.T, box *mailbox, tlsConfig *tls.Config, implicit bool) *mailbox {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: box}, nil }))
	srv.Domain = "mx.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	var l net.Listener
	var err error
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", tlsConfig)
	} else {
		srv.TLSConfig = tlsConfig
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	addr := l.Addr().(*net.TCPAddr)
	box.host, box.port = "127.0.0.1", addr.Port
	return box
}

func (b *mailbox) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.mail...)
}

// selfSigned makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	c := testcert.SelfSigned(t)
	return c.ServerConfig(), c.Pool()
}

// parsedMail is a received message taken apart.
type parsedMail struct {
	Header  netmail.Header
	Subject string
	Text    string
	HTML    string
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	out := parsedMail{Header: msg.Header}
	out.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(p)
		}
		b, _ := io.ReadAll(r)
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			out.Text = string(b)
		case "text/html":
			out.HTML = string(b)
		}
	}
	return out
}

func emailConfig(box *mailbox, mode string) Config {
	return Config{
		Name: "oncall-mail", Type: TypeEmail, From: "Sextant <sextant@ops.example>",
		To:      []string{"alice@example.com", "Bob <bob@example.com>"},
		SMTP:    SMTPConfig{Host: box.host, Port: box.port, Username: box.user, Password: secret.New(box.pass), TLS: mode},
		Timeout: "5s",
	}
}

func TestEmailThroughRealSMTPServer(t *testing.T) {
	box := startMailbox(t, &mailbox{user: "sextant", pass: "smtp-pass-9876"}, nil, false)
	ch := mustNew(t, emailConfig(box, SMTPTLSNone))
	m := testMessage()
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := box.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	r := got[0]
	if r.From != "sextant@ops.example" || strings.Join(r.To, ",") != "alice@example.com,bob@example.com" || r.Auth != "sextant" {
		t.Fatalf("envelope from %q to %v auth %q", r.From, r.To, r.Auth)
	}
	p := parseMail(t, r.Data)
	if p.Subject != "[TRIGGERED] shop: Checkout returns 502" {
		t.Errorf("subject %q", p.Subject)
	}
	for h, want := range map[string]string{"To": `"alice@example.com", "Bob" <bob@example.com>`, "X-Sextant-Incident": "42", "Auto-Submitted": "auto-generated", "References": "<incident-42.sextant@ops.example>"} {
		if v := p.Header.Get(h); v != want && !(h == "To" && strings.Contains(v, "bob@example.com") && strings.Contains(v, "alice@example.com")) {
			t.Errorf("%s: %q, want %q", h, v, want)
		}
	}
	for _, want := range []string{"Incident #42 triggered: Checkout returns 502", "Severity: critical", "Opened:   2026-03-01 09:30 UTC", "Acknowledge: " + m.AckURL, "Resolve:     " + m.ResolveURL} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("text body lacks %q:\n%s", want, p.Text)
		}
	}
	if !strings.Contains(p.HTML, `<a href="https://sextant.example/i/42/ack?sig=ackTOKEN"`) || !strings.Contains(p.HTML, "<pre") {
		t.Errorf("HTML part:\n%s", p.HTML)
	}
}

func TestEmailTLSModes(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	t.Run("starttls", func(t *testing.T) {
		box := startMailbox(t, &mailbox{user: "u", pass: "p4ss-word"}, serverTLS, false)
		ch := mustNew(t, emailConfig(box, SMTPTLSStartTLS)).(*email)
		ch.rootCAs = roots
		if err := ch.Send(context.Background(), testMessage()); err != nil {
			t.Fatal(err)
		}
		if len(box.messages()) != 1 {
			t.Fatal("no mail")
		}
	})
	t.Run("implicit tls", func(t *testing.T) {
		box := startMailbox(t, &mailbox{user: "u", pass: "p4ss-word"}, serverTLS, true)
		ch := mustNew(t, emailConfig(box, SMTPTLSImplicit)).(*email)
		ch.rootCAs = roots
		if err := ch.Send(context.Background(), testMessage()); err != nil {
			t.Fatal(err)
		}
		if len(box.messages()) != 1 {
			t.Fatal("no mail")
		}
	})
	t.Run("untrusted certificate fails", func(t *testing.T) {
		box := startMailbox(t, &mailbox{}, serverTLS, false)
		err := mustNew(t, emailConfig(box, SMTPTLSStartTLS)).Send(context.Background(), testMessage())
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err = %v", err)
		}
		if len(box.messages()) != 0 {
			t.Fatal("mail sent over an untrusted connection")
		}
	})
	t.Run("starttls required but not offered", func(t *testing.T) {
		box := startMailbox(t, &mailbox{}, nil, false)
		err := mustNew(t, emailConfig(box, "")).Send(context.Background(), testMessage())
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") || len(box.messages()) != 0 {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestEmailFailures(t *testing.T) {
	t.Run("wrong password is permanent and not shown", func(t *testing.T) {
		box := startMailbox(t, &mailbox{user: "sextant", pass: "right-password"}, nil, false)
		c := emailConfig(box, SMTPTLSNone)
		c.SMTP.Password = secret.New("wrong-password-123")
		err := mustNew(t, c).Send(context.Background(), testMessage())
		if err == nil || !IsPermanent(err) || strings.Contains(err.Error(), "wrong-password-123") {
			t.Fatalf("err = %v (permanent %v)", err, IsPermanent(err))
		}
	})
	t.Run("recipient refused with 550 is permanent", func(t *testing.T) {
		box := startMailbox(t, &mailbox{refuseRcpt: 550}, nil, false)
		err := mustNew(t, emailConfig(box, SMTPTLSNone)).Send(context.Background(), testMessage())
		if err == nil || !IsPermanent(err) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("recipient deferred with 450 is retried", func(t *testing.T) {
		box := startMailbox(t, &mailbox{refuseRcpt: 450}, nil, false)
		err := mustNew(t, emailConfig(box, SMTPTLSNone)).Send(context.Background(), testMessage())
		if err == nil || IsPermanent(err) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("server down is retried", func(t *testing.T) {
		host, port, _ := net.SplitHostPort(freePort(t))
		p, _ := strconv.Atoi(port)
		c := Config{Name: "m", Type: TypeEmail, To: []string{"a@example.com"}, SMTP: SMTPConfig{Host: host, Port: p, TLS: SMTPTLSNone}, Timeout: "2s"}
		err := mustNew(t, c).Send(context.Background(), testMessage())
		if err == nil || IsPermanent(err) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("metadata address refused", func(t *testing.T) {
		c := Config{Name: "m", Type: TypeEmail, To: []string{"a@example.com"}, SMTP: SMTPConfig{Host: "169.254.169.254", Port: 25, TLS: SMTPTLSNone}, Timeout: "1s"}
		err := mustNew(t, c).Send(context.Background(), testMessage())
		if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "refused: cloud metadata address") {
			t.Fatalf("err = %v", err)
		}
		var refused *probe.RefusedAddressError
		if !errors.As(err, &refused) || !refused.Metadata {
			t.Fatalf("err = %v: not a refused address", err)
		}
	})
}

// TestTicketWarningByEmail sends a ticket's SLA breach through an e-mail
// channel: it names the ticket, not an incident, and threads by ticket.
func TestTicketWarningByEmail(t *testing.T) {
	box := startMailbox(t, &mailbox{user: "sextant", pass: "smtp-pass-9876"}, nil, false)
	ch := mustNew(t, emailConfig(box, SMTPTLSNone))
	m := Message{Kind: KindSLABreach, Service: "shop", Summary: "Printer jammed: resolution at 100% of its 8h target", Severity: "critical",
		Status: "open", Source: "desk", CreatedAt: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), URL: "https://sextant.example/desk/tickets/12",
		Ticket: &Ticket{ID: 12, Title: "Printer jammed", Queue: "help", Priority: 2, Status: "open", Clock: "resolution", Level: 100, URL: "https://sextant.example/desk/tickets/12"}}
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := box.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	p := parseMail(t, got[0].Data)
	if p.Header.Get("References") != "<ticket-12.sextant@ops.example>" || p.Header.Get("X-Sextant-Ticket") != "12" || p.Header.Get("X-Sextant-Incident") != "" {
		t.Errorf("headers %v", p.Header)
	}
	if !strings.HasPrefix(p.Text, "Ticket #12 sla_breach: Printer jammed") || strings.Contains(p.Text, "Incident #") || !strings.Contains(p.Text, "View:        https://sextant.example/desk/tickets/12") {
		t.Errorf("text:\n%s", p.Text)
	}
	body, _ := json.Marshal(webhookPayload(m))
	if s := string(body); strings.Contains(s, `"incident"`) || !strings.Contains(s, `"ticket":{"id":12`) || !strings.Contains(s, `"event":"sla_breach"`) {
		t.Errorf("webhook document %s", s)
	}
}
