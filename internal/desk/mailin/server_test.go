package mailin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/testcert"

	"github.com/sextant-ops/sextant/internal/secret"
)

// recorder is a Sink that keeps what it is given, or fails while fail is
// set.
type recorder struct {
	mu   sync.Mutex
	got  []Message
	fail error
}

func (r *recorder) Deliver(_ context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, m)
	return nil
}

func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.got...)
}

// startServer runs a listener on 127.0.0.1:0 until the test ends.
func startServer(t *testing.T, cfg Config, sink Sink) string {
	t.Helper()
	if cfg.Domains == nil && cfg.Addresses == nil {
		cfg.Domains = []string{"desk.example.org"}
	}
	s, err := NewServer(cfg, sink, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func corpus(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// send talks SMTP with the standard library's client and returns the code
// of the first refusal, 0 when the message was taken.
func send(t *testing.T, addr, from, to string, msg []byte) (code int, stage string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return transact(t, c, from, to, msg)
}

func transact(t *testing.T, c *smtp.Client, from, to string, msg []byte) (int, string) {
	t.Helper()
	fail := func(stage string, err error) (int, string) {
		var te *textproto.Error
		if !errors.As(err, &te) {
			t.Fatalf("%s: %v", stage, err)
		}
		return te.Code, stage + ": " + te.Msg
	}
	if err := c.Mail(from); err != nil {
		return fail("MAIL", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fail("RCPT", err)
	}
	w, err := c.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		return fail("end of DATA", err)
	}
	return 0, ""
}

func TestServer(t *testing.T) {
	sink := &recorder{}
	addr := startServer(t, Config{OwnAddresses: []string{"help@desk.example.org"}, MessageIDDomain: "desk.example.org"}, sink)

	t.Run("a new mail is delivered for its envelope recipient", func(t *testing.T) {
		if code, stage := send(t, addr, "ann@example.com", "Printers@Desk.Example.org", corpus(t, "plain.eml")); code != 0 {
			t.Fatalf("refused %d at %s", code, stage)
		}
		got := sink.messages()
		if len(got) != 1 {
			t.Fatalf("%d messages delivered, want 1", len(got))
		}
		m := got[0]
		if m.From != "ann@example.com" || m.To != "printers@desk.example.org" || m.Subject != "The printer on floor 3 is jammed" || m.TicketID != 0 || !strings.HasPrefix(m.Text, "Hello,") {
			t.Errorf("delivered %+v", m)
		}
	})
	t.Run("a reply is delivered with its ticket", func(t *testing.T) {
		if code, stage := send(t, addr, "ann@example.com", "help@desk.example.org", corpus(t, "reply.eml")); code != 0 {
			t.Fatalf("refused %d at %s", code, stage)
		}
		got := sink.messages()
		if len(got) != 2 || got[1].TicketID != 42 || got[1].InReplyTo != "ticket-42-reply-1@desk.example.org" || got[1].Text != "It works again, thank you!\n\nAnn" {
			t.Fatalf("delivered %+v", got)
		}
	})
	ignored := []struct{ name, from, file string }{
		{"an auto-reply", "dave@example.com", "ooo-auto-submitted.eml"},
		{"an Exchange out-of-office", "erin@corp.example.net", "exchange-ooo.eml"},
		{"a mailing list", "frank@lists.example.org", "list.eml"},
		{"a bounce with a null return path", "", "bounce-dsn.eml"},
		{"our own mail come back", "help@desk.example.org", "plain.eml"},
	}
	for _, tt := range ignored {
		t.Run(tt.name+" is taken but not delivered", func(t *testing.T) {
			before := len(sink.messages())
			if code, stage := send(t, addr, tt.from, "help@desk.example.org", corpus(t, tt.file)); code != 0 {
				t.Fatalf("refused %d at %s, want 250", code, stage)
			}
			if got := sink.messages(); len(got) != before {
				t.Errorf("delivered %+v", got[before:])
			}
		})
	}
	t.Run("a message bearing our own Message-ID is not delivered", func(t *testing.T) {
		before := len(sink.messages())
		msg := bytes.Replace(corpus(t, "plain.eml"), []byte("<CAB1234abcd@mail.example.com>"), []byte("<ticket-42-opened@desk.example.org>"), 1)
		if code, _ := send(t, addr, "ann@example.com", "help@desk.example.org", msg); code != 0 || len(sink.messages()) != before {
			t.Errorf("code %d, %d delivered", code, len(sink.messages())-before)
		}
	})
	t.Run("a recipient elsewhere is refused at RCPT with 550", func(t *testing.T) {
		code, stage := send(t, addr, "ann@example.com", "someone@elsewhere.example.com", corpus(t, "plain.eml"))
		if code != 550 || !strings.HasPrefix(stage, "RCPT") {
			t.Errorf("got %d at %q, want 550 at RCPT", code, stage)
		}
	})
	t.Run("a sink error is a temporary failure", func(t *testing.T) {
		sink.mu.Lock()
		sink.fail = errors.New("database is locked")
		sink.mu.Unlock()
		defer func() { sink.mu.Lock(); sink.fail = nil; sink.mu.Unlock() }()
		code, stage := send(t, addr, "ann@example.com", "help@desk.example.org", corpus(t, "plain.eml"))
		if code != 451 || !strings.HasPrefix(stage, "end of DATA") {
			t.Errorf("got %d at %q, want 451 at the end of DATA", code, stage)
		}
		if strings.Contains(stage, "database") {
			t.Errorf("the sink's error reached the sender: %q", stage)
		}
	})
	t.Run("a malformed message is refused for good", func(t *testing.T) {
		code, _ := send(t, addr, "ann@example.com", "help@desk.example.org", []byte("Subject: no sender\r\n\r\nbody\r\n"))
		if code != 554 {
			t.Errorf("got %d, want 554", code)
		}
	})
}

func TestServerLimits(t *testing.T) {
	t.Run("a message over the size limit gets 552", func(t *testing.T) {
		sink := &recorder{}
		addr := startServer(t, Config{MaxMessageBytes: 2048}, sink)
		big := append(corpus(t, "plain.eml"), bytes.Repeat([]byte("padding line of text\r\n"), 200)...)
		if code, _ := send(t, addr, "ann@example.com", "help@desk.example.org", big); code != 552 {
			t.Errorf("got %d, want 552", code)
		}
		if len(sink.messages()) != 0 {
			t.Error("an oversized message was delivered")
		}
	})
	t.Run("a sender over the new-ticket rate gets 451, replies still pass", func(t *testing.T) {
		sink := &recorder{}
		addr := startServer(t, Config{NewTicketsPerHour: 2}, sink)
		for i, want := range []int{0, 0, 451} {
			if code, _ := send(t, addr, "ann@example.com", "help@desk.example.org", corpus(t, "plain.eml")); code != want {
				t.Errorf("new mail %d: got %d, want %d", i+1, code, want)
			}
		}
		if code, _ := send(t, addr, "ann@example.com", "help@desk.example.org", corpus(t, "reply.eml")); code != 0 {
			t.Errorf("reply: got %d, want 250", code)
		}
		if n := len(sink.messages()); n != 3 {
			t.Errorf("%d delivered, want 3", n)
		}
	})
	t.Run("connections over the limit get 421", func(t *testing.T) {
		addr := startServer(t, Config{MaxConnections: 1}, &recorder{})
		first, err := smtp.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Close()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		line, err := textproto.NewReader(bufio.NewReader(conn)).ReadLine()
		if err != nil || !strings.HasPrefix(line, "421 ") {
			t.Errorf("second connection read %q, %v; want a 421", line, err)
		}
		// Once the first is gone, a new one is served: the server frees
		// the slot just after its last reply, so a few tries may be
		// needed.
		if err := first.Quit(); err != nil {
			t.Fatal(err)
		}
		for try := 0; ; try++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			line, _ := textproto.NewReader(bufio.NewReader(c)).ReadLine()
			c.Close()
			if strings.HasPrefix(line, "220 ") {
				break
			}
			if try == 100 {
				t.Fatalf("after the first closed, a new connection still reads %q", line)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestServerTLSAndAuth(t *testing.T) {
	cert, key := testcert.SelfSigned(t).WritePEM(t)
	sink := &recorder{}
	addr := startServer(t, Config{TLSCert: cert, TLSKey: key, Username: "relay", Password: secret.New("s3cret")}, sink)
	tlsConfig := &tls.Config{InsecureSkipVerify: true, ServerName: "127.0.0.1"} //nolint:gosec // a test certificate

	dial := func(t *testing.T) *smtp.Client {
		c, err := smtp.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	t.Run("without AUTH, MAIL is refused", func(t *testing.T) {
		c := dial(t)
		if ok, _ := c.Extension("STARTTLS"); !ok {
			t.Fatal("STARTTLS not offered")
		}
		if code, stage := transact(t, c, "ann@example.com", "help@desk.example.org", corpus(t, "plain.eml")); code != 502 || !strings.HasPrefix(stage, "MAIL") {
			t.Errorf("got %d at %q, want 502 at MAIL", code, stage)
		}
	})
	t.Run("a wrong password is refused", func(t *testing.T) {
		c := dial(t)
		if err := c.StartTLS(tlsConfig); err != nil {
			t.Fatal(err)
		}
		var te *textproto.Error
		if err := c.Auth(smtp.PlainAuth("", "relay", "wrong", "127.0.0.1")); !errors.As(err, &te) || te.Code != 535 {
			t.Errorf("AUTH with a wrong password: %v", err)
		}
	})
	t.Run("after STARTTLS and AUTH the message is delivered", func(t *testing.T) {
		c := dial(t)
		if err := c.StartTLS(tlsConfig); err != nil {
			t.Fatal(err)
		}
		if err := c.Auth(smtp.PlainAuth("", "relay", "s3cret", "127.0.0.1")); err != nil {
			t.Fatal(err)
		}
		if code, stage := transact(t, c, "ann@example.com", "help@desk.example.org", corpus(t, "plain.eml")); code != 0 {
			t.Fatalf("refused %d at %s", code, stage)
		}
		if len(sink.messages()) != 1 {
			t.Errorf("%d delivered, want 1", len(sink.messages()))
		}
	})
}

func TestConfigValidate(t *testing.T) {
	cert, key := testcert.SelfSigned(t).WritePEM(t)
	tests := []struct {
		name string
		cfg  Config
		want []string // "path: message" prefixes
	}{
		{"empty is valid", Config{}, nil},
		{"a full one", Config{Listen: "0.0.0.0:25", Domains: []string{"desk.example.org"}, Addresses: []string{"help@example.com"}, OwnAddresses: []string{"noreply@desk.example.org"}, MessageIDDomain: "desk.example.org", TLSCert: cert, TLSKey: key, Username: "u", Password: secret.New("p")}, nil},
		{"listen without recipients", Config{Listen: "127.0.0.1:2525"}, []string{"domains: name at least one"}},
		{"bad listen", Config{Listen: "2525", Domains: []string{"a.example"}}, []string{"listen: \"2525\" is not host:port"}},
		{"address among domains", Config{Domains: []string{"help@example.com"}}, []string{"domains[0]: \"help@example.com\" is not a domain name"}},
		{"named own address", Config{OwnAddresses: []string{"Help <help@example.com>"}}, []string{"own_addresses[0]: "}},
		{"negative sizes", Config{MaxMessageBytes: -1, MaxAttachmentBytes: -1, MaxConnections: -1, NewTicketsPerHour: -1}, []string{"max_message_bytes", "max_attachment_bytes", "max_connections", "new_tickets_per_hour"}},
		{"cert without key", Config{TLSCert: cert}, []string{"tls_key: tls_cert and tls_key are set together"}},
		{"missing cert file", Config{TLSCert: "/nonexistent/cert.pem", TLSKey: "/nonexistent/key.pem"}, []string{"tls_cert: "}},
		{"auth without TLS", Config{Username: "u", Password: secret.New("p")}, []string{"username: AUTH needs STARTTLS"}},
		{"user without password", Config{Username: "u"}, []string{"password: username and password are set together"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.Validate()
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %d problems %q", got, len(tt.want), tt.want)
			}
			for i, f := range got {
				if s := f.Path + ": " + f.Msg; !strings.HasPrefix(s, tt.want[i]) {
					t.Errorf("problem %d = %q, want it to start %q", i, s, tt.want[i])
				}
			}
		})
	}
	if _, err := NewServer(Config{Listen: "x"}, &recorder{}, Options{}); err == nil {
		t.Error("NewServer took an invalid config")
	}
	if _, err := NewServer(Config{}, nil, Options{}); err == nil {
		t.Error("NewServer took a nil sink")
	}
}
