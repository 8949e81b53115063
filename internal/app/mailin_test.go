package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/desk/mailin"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

type mailbox struct {
	mu  sync.Mutex
	got []mailin.Message
}

func (b *mailbox) Deliver(_ context.Context, m mailin.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, m)
	return nil
}

func (b *mailbox) messages() []mailin.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]mailin.Message(nil), b.got...)
}

// TestSMTPListener runs the whole server with --smtp-listen and sends it
// mail over SMTP: a new mail and its reply reach the Sink, the reply with
// its ticket, and an auto-reply does not.
func TestSMTPListener(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			box := &mailbox{}
			s := start(t, e, app.Options{SMTPListen: "127.0.0.1:0", Mail: mailin.Config{Domains: []string{"desk.example.org"}}, MailSink: box})
			addr := s.app.SMTPAddr()
			if addr == "" {
				t.Fatal("no SMTP listener")
			}
			mails := []struct{ from, msg string }{
				{"ann@example.com", "From: Ann <ann@example.com>\r\nTo: help@desk.example.org\r\nSubject: Printer jammed\r\nMessage-ID: <a1@example.com>\r\n\r\nThe printer is jammed.\r\n"},
				{"ann@example.com", "From: Ann <ann@example.com>\r\nTo: help@desk.example.org\r\nSubject: Re: [#7] Printer jammed\r\nMessage-ID: <a2@example.com>\r\nIn-Reply-To: <t7@desk.example.org>\r\n\r\nFixed, thanks.\r\n\r\nOn Wed, IT Help wrote:\r\n> Is it fixed?\r\n"},
				{"dave@example.com", "From: dave@example.com\r\nTo: help@desk.example.org\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n"},
			}
			for _, m := range mails {
				if err := smtp.SendMail(addr, nil, m.from, []string{"help@desk.example.org"}, []byte(m.msg)); err != nil {
					t.Fatalf("send: %v", err)
				}
			}
			got := box.messages()
			if len(got) != 2 {
				t.Fatalf("%d messages delivered, want 2: %+v", len(got), got)
			}
			if got[0].Subject != "Printer jammed" || got[0].TicketID != 0 || got[1].TicketID != 7 || got[1].Text != "Fixed, thanks." {
				t.Errorf("delivered %+v", got)
			}
		})
	}
}

func TestSMTPListenerNeedsASink(t *testing.T) {
	e := storetest.Engines(t)[0]
	logs := &lockedBuffer{}
	s := start(t, e, app.Options{SMTPListen: "127.0.0.1:0", Mail: mailin.Config{Domains: []string{"desk.example.org"}}, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if addr := s.app.SMTPAddr(); addr != "" {
		t.Errorf("an SMTP listener runs on %s with nowhere to deliver", addr)
	}
	if !strings.Contains(logs.String(), "incoming mail not started: no service desk to deliver the mail to") {
		t.Errorf("the log does not say why:\n%s", logs)
	}
}

func TestBadMailSettingsStopRun(t *testing.T) {
	e := storetest.Engines(t)[0]
	dsn, dir := e.DSN(t)
	a, err := app.New(context.Background(), app.Options{Database: dsn, DataDir: dir, Listen: "127.0.0.1:0",
		Mail: mailin.Config{IMAP: &mailin.IMAPConfig{Host: "imap.example.org:993"}}, MailSink: &mailbox{}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	err = a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "desk.mail: imap.host: must be a host name or address without a port") || !strings.Contains(err.Error(), "imap.password: is required") {
		t.Errorf("Run = %v", err)
	}
}

// TestIMAPPolling runs the whole server with a mailbox to poll: the mail
// already waiting there reaches the Sink at the first poll.
func TestIMAPPolling(t *testing.T) {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("help@desk.example.org", "imap-pass")
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	msg := "From: Ann <ann@example.com>\r\nTo: help@desk.example.org\r\nSubject: Printer jammed\r\nMessage-ID: <a1@example.com>\r\n\r\nThe printer is jammed.\r\n"
	if _, err := u.Append("INBOX", literal{strings.NewReader(msg), int64(len(msg))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	box := &mailbox{}
	start(t, storetest.Engines(t)[0], app.Options{MailSink: box, Mail: mailin.Config{IMAP: &mailin.IMAPConfig{
		Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: mailin.IMAPNoTLS, Username: "help@desk.example.org", Password: secret.New("imap-pass"),
	}}})
	deadline := time.Now().Add(10 * time.Second)
	for len(box.messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := box.messages()
	if len(got) != 1 || got[0].Subject != "Printer jammed" || got[0].To != "help@desk.example.org" {
		t.Fatalf("delivered %+v", got)
	}
}

// literal is the message handed to the in-memory server's Append.
type literal struct {
	io.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }
