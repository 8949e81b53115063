package mailin

import (
	"bytes"
	"context"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse reads each message of the corpus; the figures are the
// baseline of BenchmarkSMTP.
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"plain.eml", "reply.eml", "html-only.eml", "attachments.eml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Parse(bytes.NewReader(raw), Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSMTP sends plain.eml over one SMTP connection to the listener
// on 127.0.0.1, into a Sink that keeps nothing: the cost of the listener
// around Parse.
func BenchmarkSMTP(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "plain.eml"))
	if err != nil {
		b.Fatal(err)
	}
	addr := startServerB(b, Config{Domains: []string{"desk.example.org"}, NewTicketsPerHour: 1 << 30})
	c, err := smtp.Dial(addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Mail("ann@example.com"); err != nil {
			b.Fatal(err)
		}
		if err := c.Rcpt("help@desk.example.org"); err != nil {
			b.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(raw); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func startServerB(b *testing.B, cfg Config) string {
	s, err := NewServer(cfg, SinkFunc(func(context.Context, Message) error { return nil }), Options{})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	b.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}
