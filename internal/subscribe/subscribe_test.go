package subscribe_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/subscribe"
)

func TestAddress(t *testing.T) {
	for _, c := range []struct{ name, in, want, problem string }{
		{"plain", " Reader@Example.COM ", "reader@example.com", ""},
		{"empty", "", "", "is required: type the address to send updates to"},
		{"no at", "reader", "", `"reader" is not an e-mail address such as name@example.com`},
		{"with a name", "Reader <r@example.com>", "", `"Reader <r@example.com>" is not an e-mail address such as name@example.com`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := subscribe.Address(c.in)
			var inv *apperr.Invalid
			switch {
			case c.problem == "" && (err != nil || got != c.want):
				t.Errorf("got %q, %v; want %q", got, err, c.want)
			case c.problem != "" && (!errors.As(err, &inv) || inv.Fields[0].Path != "email" || inv.Fields[0].Msg != c.problem):
				t.Errorf("got %v, want email: %s", err, c.problem)
			}
		})
	}
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s, err := subscribe.Open(ctx, db, clock)
		if err != nil {
			t.Fatal(err)
		}
		changes := 0
		s.OnChange = func(context.Context) { changes++ }

		sub, send, err := s.Request(ctx, "main", "a@example.com")
		if err != nil || !send || sub.Confirmed() {
			t.Fatalf("first request: %+v %v %v", sub, send, err)
		}
		t.Run("at most PerAddress confirmation mails an hour", func(t *testing.T) {
			for i := 2; i <= subscribe.PerAddress; i++ {
				if _, send, _ := s.Request(ctx, "main", "a@example.com"); !send {
					t.Fatalf("request %d sends nothing", i)
				}
			}
			if _, send, _ := s.Request(ctx, "main", "a@example.com"); send {
				t.Error("one request too many still sends")
			}
			now = now.Add(subscribe.Window)
			if _, send, _ := s.Request(ctx, "main", "a@example.com"); !send {
				t.Error("an hour later the address is still refused")
			}
		})
		t.Run("links are signed per action and subscriber", func(t *testing.T) {
			if _, err := s.Confirm(ctx, "main", sub.ID, s.Sign("unsubscribe", sub)); !errors.Is(err, subscribe.ErrNotFound) {
				t.Errorf("the unsubscribe signature confirms: %v", err)
			}
			if _, err := s.Confirm(ctx, "other", sub.ID, s.Sign("confirm", sub)); !errors.Is(err, subscribe.ErrNotFound) {
				t.Errorf("another page's link confirms: %v", err)
			}
			got, err := s.Confirm(ctx, "main", sub.ID, s.Sign("confirm", sub))
			if err != nil || !got.Confirmed() {
				t.Fatalf("confirm: %+v %v", got, err)
			}
			if _, send, _ := s.Request(ctx, "main", "a@example.com"); send {
				t.Error("a confirmed address is sent another confirmation")
			}
		})
		t.Run("only confirmed subscribers of the pages get deliveries", func(t *testing.T) {
			pending, _, _ := s.Request(ctx, "main", "b@example.com")
			other, _, _ := s.Request(ctx, "other", "c@example.com")
			if _, err := s.Confirm(ctx, "other", other.ID, s.Sign("confirm", other)); err != nil {
				t.Fatal(err)
			}
			if _, err := catalog.NewStore(db, nil).PutService(ctx, "test", catalog.Service{Name: "x"}, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
			var incident int64
			if err := db.Writer().QueryRowContext(ctx, `INSERT INTO incidents (service, status, severity, summary, source, dedup_key, integration, escalation, in_maintenance, service_state, details, event_count, created_at, last_event_at)
				VALUES ('x', 'triggered', 'error', 's', 'src', 'k', 'i', '', false, 'down', '{}', 1, 0, 0) RETURNING id`).Scan(&incident); err != nil {
				t.Fatal(err)
			}
			n, err := subscribe.Enqueue(ctx, db.Writer(), []string{"main"}, incident, 7, now)
			if err != nil || n != 1 {
				t.Fatalf("enqueue: %d %v", n, err)
			}
			var channel, kind string
			if err := db.Reader().QueryRowContext(ctx, `SELECT channel, kind FROM outbox WHERE incident_id = $1`, incident).Scan(&channel, &kind); err != nil {
				t.Fatal(err)
			}
			if channel != subscribe.Channel(sub.ID) || kind != subscribe.KindUpdate+"7" {
				t.Errorf("row for %s %s", channel, kind)
			}
			_ = pending
		})
		t.Run("unsubscribe", func(t *testing.T) {
			if err := s.Unsubscribe(ctx, "main", sub.ID, s.Sign("confirm", sub)); !errors.Is(err, subscribe.ErrNotFound) {
				t.Errorf("the confirm signature unsubscribes: %v", err)
			}
			if err := s.Unsubscribe(ctx, "main", sub.ID, s.Sign("unsubscribe", sub)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, sub.ID); !errors.Is(err, subscribe.ErrNotFound) {
				t.Errorf("still there: %v", err)
			}
			ids, err := s.ConfirmedIDs(ctx)
			if err != nil || len(ids) != 1 {
				t.Errorf("confirmed ids: %v %v", ids, err)
			}
		})
		if changes != 3 {
			t.Errorf("OnChange called %d times, want 3 (two confirmations, one removal)", changes)
		}
	})
}

// TestPrunePending removes, by hand-worked instants, the e-mail
// subscriptions left unconfirmed for 48 h, and keeps confirmed ones,
// younger ones and webhooks.
func TestPrunePending(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		s, err := subscribe.Open(ctx, db, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		old, _, _ := s.Request(ctx, "main", "old@example.com")             // 10:00 on 1 May
		confirmed, _, _ := s.Request(ctx, "main", "confirmed@example.com") // 10:00, confirmed
		if _, err := s.Confirm(ctx, "main", confirmed.ID, s.Sign("confirm", confirmed)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddWebhook(ctx, "test", "main", subscribe.WebhookInput{URL: "http://hook.example/x", Secret: "0123456789abcdef"}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		young, _, _ := s.Request(ctx, "main", "young@example.com") // 11:00
		now = time.Date(2026, 5, 3, 9, 59, 0, 0, time.UTC)         // 47 h 59 min after the first
		if n, err := s.PrunePending(ctx); err != nil || n != 0 {
			t.Fatalf("before 48 h: pruned %d, %v", n, err)
		}
		now = time.Date(2026, 5, 3, 10, 0, 0, 0, time.UTC) // 48 h after the first
		if n, err := s.PrunePending(ctx); err != nil || n != 1 {
			t.Fatalf("at 48 h: pruned %d, %v; want the one pending since 10:00", n, err)
		}
		if _, err := s.Get(ctx, old.ID); !errors.Is(err, subscribe.ErrNotFound) {
			t.Errorf("the old pending subscription is still there: %v", err)
		}
		for _, id := range []int64{confirmed.ID, young.ID} {
			if _, err := s.Get(ctx, id); err != nil {
				t.Errorf("subscription %d was pruned: %v", id, err)
			}
		}
		if hooks, _ := s.Webhooks(ctx, "main"); len(hooks) != 1 {
			t.Errorf("webhooks after pruning: %v", hooks)
		}
	})
}

// TestPerIP lets one IP address send PerIP subscribe requests an hour,
// whatever the addresses, and others go on.
func TestPerIP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		s, err := subscribe.Open(ctx, db, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < subscribe.PerIP; i++ {
			if !s.AllowIP("192.0.2.1") {
				t.Fatalf("request %d refused", i+1)
			}
		}
		if s.AllowIP("192.0.2.1") {
			t.Fatal("one request too many allowed")
		}
		if !s.AllowIP("192.0.2.2") {
			t.Fatal("another address is refused")
		}
		now = now.Add(subscribe.Window)
		if !s.AllowIP("192.0.2.1") {
			t.Fatal("refused after the window")
		}
	})
}
