package app_test

import (
	"context"
	"fmt"
	"io"
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

// TestMailOpensAndThreadsTickets runs the whole server with its own
// service desk behind the SMTP listener: a mail sent over SMTP opens a
// ticket, its reply (by [#ID] in the subject) threads onto it as the
// requester's comment, a reply by In-Reply-To alone finds it too, and an
// out-of-office reply does nothing.
func TestMailOpensAndThreadsTickets(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e, app.Options{SMTPListen: "127.0.0.1:0", Mail: mailin.Config{Domains: []string{"desk.example.org"}}})
			addr := s.app.SMTPAddr()
			if addr == "" {
				t.Fatal("no SMTP listener with the desk behind it")
			}
			send := func(from, msg string) {
				t.Helper()
				if err := smtp.SendMail(addr, nil, from, []string{"help@desk.example.org"}, []byte(msg)); err != nil {
					t.Fatalf("send: %v", err)
				}
			}
			type ticket struct {
				ID        int64  `json:"id"`
				Title     string `json:"title"`
				Requester string `json:"requester"`
			}
			tickets := func() []ticket {
				t.Helper()
				var page struct{ Items []ticket }
				if code := s.json("GET", "/api/v1/tickets", "", &page); code != 200 {
					t.Fatalf("tickets: %d", code)
				}
				return page.Items
			}
			send("ann@example.com", "From: Ann <ann@example.com>\r\nTo: help@desk.example.org\r\nSubject: Printer jammed\r\nMessage-ID: <a1@example.com>\r\n\r\nThe printer on floor 2 is jammed.\r\n")
			ts := tickets()
			if len(ts) != 1 || ts[0].Title != "Printer jammed" || !strings.Contains(ts[0].Requester, "ann@example.com") {
				t.Fatalf("tickets after the first mail: %+v", ts)
			}
			id := ts[0].ID
			send("ann@example.com", fmt.Sprintf("From: Ann <ann@example.com>\r\nTo: help@desk.example.org\r\nSubject: Re: [#%d] Printer jammed\r\nMessage-ID: <a2@example.com>\r\n\r\nIt jams again.\r\n\r\nOn Wed, IT Help wrote:\r\n> Is it fixed?\r\n", id))
			send("ann@example.com", "From: Ann <ann@example.com>\r\nTo: help@desk.example.org\r\nSubject: Re: Printer jammed\r\nMessage-ID: <a3@example.com>\r\nIn-Reply-To: <a2@example.com>\r\n\r\nAnd once more.\r\n")
			send("dave@example.com", "From: dave@example.com\r\nTo: help@desk.example.org\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <d1@example.com>\r\n\r\nAway.\r\n")
			if ts := tickets(); len(ts) != 1 {
				t.Fatalf("tickets after the replies and an auto-reply: %+v, want the one", ts)
			}
			var detail map[string]any
			if code := s.json("GET", fmt.Sprintf("/api/v1/tickets/%d", id), "", &detail); code != 200 {
				t.Fatalf("ticket: %d", code)
			}
			body := fmt.Sprint(detail)
			if !strings.Contains(body, "It jams again.") || !strings.Contains(body, "And once more.") || strings.Contains(body, "Is it fixed?") || strings.Contains(body, "Away.") {
				t.Fatalf("the ticket does not hold the two replies alone: %s", body)
			}
		})
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
