package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestMailOutbox stores requester mail with its outbox row, threaded on
// the requester's mail, and stores nothing while mail is switched off.
func TestMailOutbox(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		s, _ := newTestStore(t, db, now)
		on := false
		s.Outbox = MailOutbox{Enabled: func() bool { return on }, Now: func() time.Time { return now }}

		// Off: a ticket by mail writes no mail and records no id of its own.
		off, _, err := s.FromMail(ctx, InboundMail{From: "ann@example.com", To: "help@example.com", Subject: "Quiet", MessageID: "<q1@example.com>", Text: "x"})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = $1 AND NOT inbound`, off).Scan(&n); err != nil || n != 0 {
			t.Fatalf("own message ids while off: %d %v", n, err)
		}

		on = true
		id, _, err := s.FromMail(ctx, InboundMail{From: "Ann <ann@example.com>", To: "hr@example.com", Subject: "Payslip", MessageID: "<p1@example.com>", Text: "Where is it?"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AddComment(ctx, "user:olivia", id, CommentInput{Body: "Checking.", Public: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AddComment(ctx, "user:olivia", id, CommentInput{Body: "HR is slow today"}); err != nil {
			t.Fatal(err)
		}
		d, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Mails) != 2 || d.Mails[0].Kind != MailOpened || d.Mails[1].Kind != MailReply || d.Mails[0].Status != "pending" || d.Mails[0].To != "ann@example.com" {
			t.Fatalf("mails %+v", d.Mails)
		}
		ack, err := s.Mail(ctx, d.Mails[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if ack.From != "hr@example.com" || ack.InReplyTo != "p1@example.com" || strings.Join(ack.References, " ") != "p1@example.com" ||
			!strings.HasSuffix(ack.MessageID, "@example.com") || ack.Headers["Auto-Submitted"] != "auto-replied" || !strings.HasPrefix(ack.Subject, SubjectTag(id)+" ") {
			t.Errorf("acknowledgement %+v", ack)
		}
		reply, err := s.Mail(ctx, d.Mails[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if reply.InReplyTo != "p1@example.com" || strings.Join(reply.References, " ") != "p1@example.com "+ack.MessageID ||
			!strings.HasPrefix(reply.Body, "Checking.\n") || reply.Headers["Auto-Submitted"] != "" {
			t.Errorf("reply %+v", reply)
		}
		// The requester's answer to the reply threads by its Message-ID.
		again, created, err := s.FromMail(ctx, InboundMail{From: "ann@example.com", To: "hr@example.com", Subject: "Re: Payslip", MessageID: "<p2@example.com>", InReplyTo: reply.MessageID, Text: "Thanks"})
		if err != nil || created || again != id {
			t.Fatalf("answer threaded onto %d (created %v): %v", again, created, err)
		}
		var rows int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE channel = $1 AND incident_id IS NULL`, MailChannel).Scan(&rows); err != nil || rows != 2 {
			t.Fatalf("outbox rows %d %v", rows, err)
		}
	})
}

func TestCleanMessageID(t *testing.T) {
	for id, want := range map[string]bool{
		"a1@example.com": true, "": false, "a b@example.com": false, "a>b@example.com": false,
		"a\r\nBcc: x@example.com": false, "é@example.com": false, strings.Repeat("a", 251): false,
	} {
		if got := cleanMessageID(id); got != want {
			t.Errorf("cleanMessageID(%q) = %v, want %v", id, got, want)
		}
	}
}
