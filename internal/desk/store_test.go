package desk

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// fakeOutbox keeps the mails handed to it.
type fakeOutbox struct {
	mu    sync.Mutex
	mails []OutgoingMail
}

func (f *fakeOutbox) Enqueue(_ context.Context, _ store.Querier, m OutgoingMail) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mails = append(f.mails, m)
	return nil
}

func (f *fakeOutbox) last(t *testing.T) OutgoingMail {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.mails) == 0 {
		t.Fatal("no mail was sent")
	}
	return f.mails[len(f.mails)-1]
}

func newTestStore(t *testing.T, db *store.DB, now time.Time) (*Store, *fakeOutbox) {
	t.Helper()
	s := NewStore(db, catalog.NewStore(db, nil), func() time.Time { return now })
	cfg, problems := Config{Queues: []Queue{
		{Name: "first-line", Address: "help@example.com"},
		{Name: "hr-desk", Address: "hr@example.com"},
	}}.Compile(Refs{})
	if problems != nil {
		t.Fatal(problems)
	}
	s.Configure(cfg)
	out := &fakeOutbox{}
	s.Outbox = out
	return s, out
}

func TestFromMail(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, out := newTestStore(t, db, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))

		// A new mail to the HR address opens a request in its queue.
		id, created, err := s.FromMail(ctx, InboundMail{From: "Ann Example <Ann@Example.com>", To: "HR@example.com", Subject: "  Payslip\tmissing ",
			MessageID: "<m1@mail.example.com>", Text: "My payslip for October is missing.",
			Attachments: []Attachment{{Filename: "note.txt", Data: []byte("hello")}, {Filename: "empty.txt"}}})
		if err != nil || !created {
			t.Fatalf("FromMail = %d, %v, %v", id, created, err)
		}
		d, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Queue != "hr-desk" || d.Type != TypeRequest || d.Title != "Payslip missing" || d.Requester != "ann@example.com" ||
			!strings.Contains(d.Description, "October") || len(d.Attachments) != 1 || d.Attachments[0].ContentType != "text/plain; charset=utf-8" {
			t.Fatalf("opened %+v", d)
		}
		// The requester is told, with the ticket in the subject, and the
		// mail is marked as automatic.
		opened := out.last(t)
		if opened.To != "ann@example.com" || opened.From != "hr@example.com" || !strings.HasPrefix(opened.Subject, SubjectTag(id)+" ") ||
			opened.Headers["Auto-Submitted"] != "auto-replied" || opened.MessageID == "" {
			t.Fatalf("opened mail %+v", opened)
		}

		// The same mail delivered again changes nothing.
		again, created, err := s.FromMail(ctx, InboundMail{From: "ann@example.com", To: "hr@example.com", Subject: "Payslip missing", MessageID: "m1@mail.example.com", Text: "x"})
		if err != nil || created || again != id {
			t.Fatalf("redelivered = %d, %v, %v", again, created, err)
		}

		// The agent waits on the requester; her answer (threaded by
		// In-Reply-To on the opening mail's Message-ID) un-waits it.
		if _, err := s.SetStatus(ctx, "user:bob", id, StatusInput{Status: StatusWaiting, Reason: WaitRequester}); err != nil {
			t.Fatal(err)
		}
		got, created, err := s.FromMail(ctx, InboundMail{From: "ann@example.com", To: "hr@example.com", Subject: "Re: something else",
			MessageID: "m2@mail.example.com", InReplyTo: "<" + opened.MessageID + ">", Text: "It is the October one."})
		if err != nil || created || got != id {
			t.Fatalf("reply = %d, %v, %v", got, created, err)
		}
		d, _ = s.Get(ctx, id)
		if d.Status != StatusOpen || len(d.Comments) != 1 || !d.Comments[0].FromRequester || !d.Comments[0].Public || d.FirstResponseAt != nil {
			t.Fatalf("after the reply: status %s comments %+v first response %v", d.Status, d.Comments, d.FirstResponseAt)
		}
		// A reply naming the ticket in its subject threads onto it too, by
		// References alone as well.
		if got, _, err := s.FromMail(ctx, InboundMail{From: "ann@example.com", To: "x@example.com", TicketID: id, Text: "thanks"}); err != nil || got != id {
			t.Fatalf("by subject tag = %d, %v", got, err)
		}
		if got, _, err := s.FromMail(ctx, InboundMail{From: "ann@example.com", To: "x@example.com", References: []string{"<unknown@x>", "<m2@mail.example.com>"}, Text: "again"}); err != nil || got != id {
			t.Fatalf("by references = %d, %v", got, err)
		}
		// A public reply by an agent is a response and is mailed.
		if _, _, err := s.AddComment(ctx, "user:bob", id, CommentInput{Body: "Resent it.", Public: true}); err != nil {
			t.Fatal(err)
		}
		if m := out.last(t); m.Kind != MailReply || !strings.HasPrefix(m.Text, "Resent it.\n") {
			t.Fatalf("reply mail %+v", m)
		}
		// Resolved, then answered by mail: reopened.
		if _, err := s.SetStatus(ctx, "user:bob", id, StatusInput{Status: StatusResolved, Note: "Sent again."}); err != nil {
			t.Fatal(err)
		}
		if m := out.last(t); m.Kind != MailResolved {
			t.Fatalf("resolved mail %+v", m)
		}
		if _, _, err := s.FromMail(ctx, InboundMail{From: "ann@example.com", To: "hr@example.com", TicketID: id, Text: "Still not there"}); err != nil {
			t.Fatal(err)
		}
		if d, _ = s.Get(ctx, id); d.Status != StatusOpen || d.ResolvedAt != nil {
			t.Fatalf("after a mail to the resolved ticket: %s", d.Status)
		}

		// A mail to an unknown address opens in the first queue; a bad
		// sender is refused.
		id2, created, err := s.FromMail(ctx, InboundMail{From: "carl@example.com", To: "other@example.com", Text: "Hi"})
		if err != nil || !created || id2 == id {
			t.Fatalf("second = %d, %v, %v", id2, created, err)
		}
		if d, _ := s.Get(ctx, id2); d.Queue != "first-line" || d.Title != "(no subject)" {
			t.Fatalf("second ticket %+v", d.Ticket)
		}
		if _, _, err := s.FromMail(ctx, InboundMail{From: "not an address", Text: "x"}); err == nil || !strings.Contains(err.Error(), "from") {
			t.Fatalf("bad sender: %v", err)
		}
	})
}

func TestIncidentTickets(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		s, out := newTestStore(t, db, now)
		if _, err := s.cat.PutService(ctx, "test", catalog.Service{Name: "web", Tier: 4}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		var incID int64
		if err := db.Writer().QueryRowContext(ctx, `INSERT INTO incidents (service, dedup_key, status, severity, summary, source, details, integration, escalation,
			in_maintenance, service_state, created_at, last_event_at, event_count) VALUES ('web', 'k', 'triggered', 'critical', 'Web is down', 's', '{}', 'i', '', $2, 'down', $1, $1, 1) RETURNING id`,
			store.Millis(now), false).Scan(&incID); err != nil {
			t.Fatal(err)
		}
		tk, err := s.FromIncident(ctx, "user:bob", incID, "")
		if err != nil {
			t.Fatal(err)
		}
		if tk.Type != TypeIncident || tk.Service != "web" || tk.Impact != Low || tk.Urgency != High || tk.Priority != 3 {
			t.Fatalf("ticket %+v", tk)
		}
		if _, err := s.FromIncident(ctx, "user:bob", incID, ""); err == nil || !strings.Contains(err.Error(), "already has ticket") {
			t.Fatalf("second ticket: %v", err)
		}
		mailed, err := s.Create(ctx, "user:bob", Input{Type: TypeIncident, Title: "Shop slow", Requester: "dora@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddLink(ctx, "user:bob", mailed.ID, LinkInput{Kind: LinkIncident, TargetID: incID}); err != nil {
			t.Fatal(err)
		}
		done, err := s.ResolveLinked(ctx, "user:bob", incID, "The web servers are back.")
		if err != nil || len(done) != 2 {
			t.Fatalf("resolved %v, %v", done, err)
		}
		if m := out.last(t); m.TicketID != mailed.ID || m.Kind != MailResolved || !strings.Contains(m.Text, "back") {
			t.Fatalf("resolution mail %+v", m)
		}
		d, _ := s.Get(ctx, mailed.ID)
		if d.Status != StatusResolved || len(d.Comments) != 1 || !d.Comments[0].Public {
			t.Fatalf("linked ticket %+v", d)
		}
		// Resolving again leaves the resolved ones alone.
		if again, err := s.ResolveLinked(ctx, "user:bob", incID, "x"); err != nil || len(again) != 0 {
			t.Fatalf("again %v, %v", again, err)
		}
	})
}
