package subscribe_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/status"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/subscribe"
)

func TestDueNotices(t *testing.T) {
	start := time.Date(2026, 5, 2, 22, 0, 0, 0, time.UTC)
	occ := []catalog.Occurrence{
		{Service: "shop", Window: "w1", Title: "Database upgrade", Start: start, End: start.Add(2 * time.Hour), Timezone: "Europe/Berlin"},
		{Service: "shop", Window: "w2", Start: start, End: start.Add(time.Hour), Recurring: true},
		{Service: "billing", Window: "w3", Start: start.Add(-time.Hour), End: start.Add(time.Hour), InProgress: true},
	}
	got := subscribe.DueNotices(occ)
	want := []string{"maintenance_scheduled shop w1", "maintenance_started billing w3"}
	if len(got) != len(want) {
		t.Fatalf("DueNotices = %+v, want %v", got, want)
	}
	for i, n := range got {
		if n.Kind+" "+n.Service+" "+n.Window != want[i] {
			t.Errorf("notice %d is %s %s %s, want %s", i, n.Kind, n.Service, n.Window, want[i])
		}
	}
}

// TestMaintenanceNotices announces a one-off window on a service of the
// page "main": one outbox row per confirmed subscriber of that page (two
// addresses and a webhook; the pending address and the other page's
// subscriber get none), once however often housekeeping looks, and once
// more when the window starts. The webhook subscriber receives the notice
// through the real outbox, signed.
func TestMaintenanceNotices(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 5, 2, 20, 0, 0, 0, time.UTC)
		s, err := subscribe.Open(ctx, db, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var posted []string
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			if err := notify.VerifyWebhook([]byte("0123456789abcdef"), r.Header.Get(notify.TimestampHeader), r.Header.Get(notify.SignatureHeader), b, time.Now(), time.Hour); err != nil {
				t.Errorf("webhook signature: %v", err)
			}
			mu.Lock()
			posted = append(posted, string(b))
			mu.Unlock()
		}))
		defer recv.Close()
		sender := &subscribe.Sender{Store: s, Log: slog.New(slog.DiscardHandler), BaseURL: func() string { return "https://status.example" },
			Pages: func() []status.Page {
				return []status.Page{
					{Name: "main", Title: "Example", Groups: []status.Group{{Title: "Apps", Services: []string{"shop"}}}, DisplayNames: map[string]string{"shop": "Web shop"}},
					{Name: "other", Title: "Other", Groups: []status.Group{{Title: "Apps", Services: []string{"billing"}}}},
				}
			}}
		confirm := func(page, address string) int64 {
			sub, _, err := s.Request(ctx, page, address)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Confirm(ctx, page, sub.ID, s.Sign("confirm", sub)); err != nil {
				t.Fatal(err)
			}
			return sub.ID
		}
		a, b := confirm("main", "a@example.com"), confirm("main", "b@example.com")
		confirm("other", "d@example.com")
		if _, _, err := s.Request(ctx, "main", "pending@example.com"); err != nil {
			t.Fatal(err)
		}
		hook, err := s.AddWebhook(ctx, "test", "main", subscribe.WebhookInput{URL: recv.URL + "/hook", Secret: "0123456789abcdef"})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 5, 2, 22, 0, 0, 0, time.UTC)
		window := catalog.Occurrence{Service: "shop", Window: "w1", Title: "Database upgrade", Start: start, End: start.Add(2 * time.Hour), Timezone: "Europe/Berlin"}
		rows := func() []string {
			t.Helper()
			rs, err := db.Reader().QueryContext(ctx, `SELECT channel || ' ' || kind FROM outbox WHERE incident_id IS NULL ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			var out []string
			for rs.Next() {
				var r string
				_ = rs.Scan(&r)
				out = append(out, r)
			}
			return out
		}

		for pass := 0; pass < 2; pass++ {
			if _, err := sender.NoticeMaintenance(ctx, []catalog.Occurrence{window}, now); err != nil {
				t.Fatal(err)
			}
		}
		got := rows()
		want := []string{subscribe.Channel(a), subscribe.Channel(b), subscribe.Channel(hook.ID)}
		if len(got) != len(want) {
			t.Fatalf("rows after two passes: %v, want one each for %v", got, want)
		}
		for i, r := range got {
			if !strings.HasPrefix(r, want[i]+" maintenance_scheduled:") {
				t.Errorf("row %d is %q, want %s maintenance_scheduled", i, r, want[i])
			}
		}
		now = start.Add(time.Minute)
		window.InProgress = true
		if n, err := sender.NoticeMaintenance(ctx, []catalog.Occurrence{window}, now); err != nil || n != 3 {
			t.Fatalf("at the start: %d rows, %v; want 3 more", n, err)
		}
		if n, err := sender.NoticeMaintenance(ctx, []catalog.Occurrence{window}, now); err != nil || n != 0 {
			t.Fatalf("again at the start: %d rows, %v; want none", n, err)
		}

		// The webhook's two rows go out through the outbox; the mail rows
		// fail for want of mail settings, said plainly.
		out := &notify.Outbox{DB: db, Now: func() time.Time { return now }, Channels: func() map[string]notify.Channel {
			return map[string]notify.Channel{subscribe.Channel(a): sender.Channel(a), subscribe.Channel(b): sender.Channel(b), subscribe.Channel(hook.ID): sender.Channel(hook.ID)}
		}}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = out.Run(runCtx) }()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := len(posted)
			mu.Unlock()
			if n == 2 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		<-done
		mu.Lock()
		defer mu.Unlock()
		if len(posted) != 2 {
			t.Fatalf("the webhook received %d notices, want 2: %v", len(posted), posted)
		}
		// The two may arrive in either order: the outbox sends in parallel.
		events := map[string]subscribe.WebhookNotice{}
		for _, p := range posted {
			var n subscribe.WebhookNotice
			if err := json.Unmarshal([]byte(p), &n); err != nil {
				t.Fatal(err)
			}
			events[n.Event] = n
		}
		first, ok := events[subscribe.NoticeScheduled]
		if !ok || first.Service != "Web shop" || first.Title != "Database upgrade" || !first.Start.Equal(start) || !first.End.Equal(start.Add(2*time.Hour)) ||
			first.URL != "https://status.example/status/main" {
			t.Errorf("the scheduled notice: %+v", first)
		}
		if _, ok := events[subscribe.NoticeStarted]; !ok {
			t.Errorf("no started notice: %v", posted)
		}
	})
}

// TestNoticeText words a notice in the window's own zone.
func TestNoticeText(t *testing.T) {
	start := time.Date(2026, 5, 2, 22, 0, 0, 0, time.UTC)
	n := subscribe.Notice{Kind: subscribe.NoticeScheduled, Service: "shop", Title: "Database upgrade", Start: start, End: start.Add(2 * time.Hour), Timezone: "Europe/Berlin"}
	subject, body := subscribe.NoticeText(n, "Web shop")
	if subject != "Web shop: maintenance scheduled" ||
		body != "Planned maintenance (Database upgrade) of Web shop is scheduled from Sun 3 May 2026 00:00 CEST to Sun 3 May 2026 02:00 CEST. The service may be unavailable meanwhile." {
		t.Errorf("scheduled: %q / %q", subject, body)
	}
	n.Kind, n.Title, n.Timezone = subscribe.NoticeStarted, "", ""
	subject, body = subscribe.NoticeText(n, "Web shop")
	if subject != "Web shop: maintenance under way" || body != "Planned maintenance of Web shop has begun; it is planned to end at Sun 3 May 2026 00:00 UTC." {
		t.Errorf("started: %q / %q", subject, body)
	}
}

// mailbox is a real SMTP server (go-smtp) on a loopback port keeping what
// it receives.
type mailbox struct {
	mu   sync.Mutex
	mail []string
}

func (b *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: b}, nil }

type mailSession struct{ box *mailbox }

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Reset()                               {}
func (s *mailSession) Logout() error                        { return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.mu.Lock()
	s.box.mail = append(s.box.mail, string(b))
	s.box.mu.Unlock()
	return nil
}

// TestMaintenanceNoticeMail sends a notice to an e-mail subscriber through
// a real SMTP server: the page's name for the service, the window's times
// in its zone, and an unsubscribe link in the body and the header.
func TestMaintenanceNoticeMail(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		box := &mailbox{}
		srv := smtp.NewServer(box)
		srv.Domain, srv.AllowInsecureAuth = "localhost", true
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		mailer, err := notify.NewMailer("status@example.com", notify.SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: "none"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 5, 2, 20, 0, 0, 0, time.UTC)
		s, err := subscribe.Open(ctx, db, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		sender := &subscribe.Sender{Store: s, Log: slog.New(slog.DiscardHandler), BaseURL: func() string { return "https://status.example" },
			Mailer: func() *notify.Mailer { return mailer },
			Pages: func() []status.Page {
				return []status.Page{{Name: "main", Title: "Example", Groups: []status.Group{{Title: "Apps", Services: []string{"shop"}}}, DisplayNames: map[string]string{"shop": "Web shop"}}}
			}}
		sub, _, err := s.Request(ctx, "main", "reader@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Confirm(ctx, "main", sub.ID, s.Sign("confirm", sub)); err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 5, 2, 22, 0, 0, 0, time.UTC)
		occ := []catalog.Occurrence{{Service: "shop", Window: "w1", Title: "Database upgrade", Start: start, End: start.Add(2 * time.Hour), Timezone: "Europe/Berlin"}}
		if n, err := sender.NoticeMaintenance(ctx, occ, now); err != nil || n != 1 {
			t.Fatalf("enqueued %d, %v; want 1", n, err)
		}
		var kind string
		if err := db.Reader().QueryRowContext(ctx, `SELECT kind FROM outbox WHERE channel = $1`, subscribe.Channel(sub.ID)).Scan(&kind); err != nil {
			t.Fatal(err)
		}
		if err := sender.Channel(sub.ID).Send(ctx, notify.Message{Kind: kind}); err != nil {
			t.Fatal(err)
		}
		box.mu.Lock()
		defer box.mu.Unlock()
		if len(box.mail) != 1 {
			t.Fatalf("%d mails, want 1", len(box.mail))
		}
		m := strings.NewReplacer("=\r\n", "", "=3D", "=", "\r\n ", " ").Replace(box.mail[0])
		for _, want := range []string{"Subject: [Example] Web shop: maintenance scheduled", "Database upgrade", "Sun 3 May 2026 00:00 CEST",
			"https://status.example/status/main", "List-Unsubscribe: <https://status.example/status/main/subscription/"} {
			if !strings.Contains(m, want) {
				t.Errorf("the mail lacks %q:\n%s", want, m)
			}
		}
	})
}
