package mailin

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/sextant-ops/sextant/internal/secret"
)

// startIMAP runs an in-memory IMAP server on 127.0.0.1:0 with one user
// and an empty INBOX, and returns its port.
func startIMAP(t *testing.T, user, password string) int {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, password)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
		Logger:       discardLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// imapSession is a client of the test server, for putting mail in and
// reading flags back.
func imapSession(t *testing.T, port int, user, password string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(net.JoinHostPort("127.0.0.1", itoa(port)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func appendMail(t *testing.T, c *imapclient.Client, msg []byte) {
	t.Helper()
	cmd := c.Append("INBOX", int64(len(msg)), nil)
	if _, err := cmd.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// unseen returns the number of messages in INBOX without \Seen.
func unseen(t *testing.T, c *imapclient.Client) int {
	t.Helper()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(found.AllUIDs())
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPoller(t *testing.T) {
	const user, password = "help@desk.example.org", "imap-pass"
	port := startIMAP(t, user, password)
	box := imapSession(t, port, user, password)
	for _, name := range []string{"plain.eml", "reply.eml", "ooo-auto-submitted.eml", "bounce-dsn.eml"} {
		appendMail(t, box, corpus(t, name))
	}
	appendMail(t, box, []byte("Subject: no sender\r\n\r\nbody\r\n"))
	sink := &recorder{}
	cfg := Config{IMAP: &IMAPConfig{Host: "127.0.0.1", Port: port, TLS: IMAPNoTLS, Username: user, Password: secret.New(password)}}
	p, err := NewPoller(cfg, sink, Options{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("new mail and replies are delivered, auto-replies, bounces and malformed mail only marked seen", func(t *testing.T) {
		if err := p.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := sink.messages()
		var subjects []string
		for _, m := range got {
			subjects = append(subjects, m.Subject)
			if m.To != user {
				t.Errorf("To = %q, want the mailbox's address", m.To)
			}
		}
		if want := []string{"The printer on floor 3 is jammed", "Re: [#42] The printer on floor 3 is jammed"}; !slices.Equal(subjects, want) {
			t.Fatalf("delivered %q, want %q", subjects, want)
		}
		if got[1].TicketID != 42 {
			t.Errorf("reply TicketID = %d", got[1].TicketID)
		}
		if n := unseen(t, box); n != 0 {
			t.Errorf("%d messages still unseen", n)
		}
	})
	t.Run("a message the sink cannot keep stays unseen and is delivered at the next poll", func(t *testing.T) {
		appendMail(t, box, corpus(t, "alternative-qp-latin1.eml"))
		sink.mu.Lock()
		sink.fail = errors.New("database is locked")
		sink.mu.Unlock()
		if err := p.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := unseen(t, box); n != 1 {
			t.Fatalf("%d unseen after a failed delivery, want 1", n)
		}
		sink.mu.Lock()
		sink.fail = nil
		sink.mu.Unlock()
		if err := p.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := sink.messages()
		if len(got) != 3 || got[2].Subject != "Zugang für neue Mitarbeiterin" || unseen(t, box) != 0 {
			t.Errorf("after the retry: %d delivered, %d unseen", len(got), unseen(t, box))
		}
	})
	t.Run("a wrong password fails the poll, naming the login", func(t *testing.T) {
		bad := cfg
		imapCfg := *cfg.IMAP
		imapCfg.Password = secret.New("wrong")
		bad.IMAP = &imapCfg
		p, err := NewPoller(bad, sink, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "login as help@desk.example.org") || strings.Contains(err.Error(), "wrong") {
			t.Errorf("Poll = %v", err)
		}
	})
}

func TestIMAPConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  IMAPConfig
		want []string
	}{
		{"complete", IMAPConfig{Host: "imap.example.org", Username: "help@example.org", Password: secret.New("p"), Interval: "30s"}, nil},
		{"empty", IMAPConfig{}, []string{"imap.host: is required", "imap.username: is required", "imap.password: is required", "imap.address: is required"}},
		{"host with port", IMAPConfig{Host: "imap.example.org:993", Username: "help", Address: "help@example.org", Password: secret.New("p")}, []string{"imap.host: must be a host name"}},
		{"bad mode and interval", IMAPConfig{Host: "h", TLS: "ssl", Username: "u@x.org", Password: secret.New("p"), Interval: "5s"}, []string{"imap.tls: unknown mode \"ssl\"", "imap.interval: must be at least 10s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Config{IMAP: &tt.cfg}.Validate()
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %q", got, tt.want)
			}
			for i, f := range got {
				if s := f.Path + ": " + f.Msg; !strings.HasPrefix(s, tt.want[i]) {
					t.Errorf("problem %d = %q, want it to start %q", i, s, tt.want[i])
				}
			}
		})
	}
}
