package app_test

import (
	"bufio"
	"fmt"
	"io"
	"mime"
	"net/http/httptest"
	netmail "net/mail"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// deskMail is one mail the desk sent, taken apart.
type deskMail struct {
	envelopeTo string
	header     netmail.Header
	subject    string
	body       string
}

func readDeskMail(t *testing.T, raw string) deskMail {
	t.Helper()
	first, rest, _ := strings.Cut(raw, "\r\n")
	msg, err := netmail.ReadMessage(bufio.NewReader(strings.NewReader(rest)))
	if err != nil {
		t.Fatalf("read mail: %v\n%s", err, raw)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	return deskMail{envelopeTo: strings.TrimPrefix(first, "To-Envelope: "), header: msg.Header, subject: subject, body: unfold(string(body))}
}

// waitMails waits until the inbox holds n mails and returns them.
func waitMails(t *testing.T, box *inbox, n int) []deskMail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for len(box.all()) < n && time.Now().Before(deadline) {
		time.Sleep(25 * time.Millisecond)
	}
	all := box.all()
	if len(all) < n {
		t.Fatalf("%d mails reached the requester, want %d:\n%s", len(all), n, strings.Join(all, "\n----\n"))
	}
	out := make([]deskMail, len(all))
	for i, raw := range all {
		out[i] = readDeskMail(t, raw)
	}
	return out
}

// TestDeskMailLoop runs the whole mail loop over real SMTP on both
// engines: a mail to the queue's address opens a ticket and is answered
// with an acknowledgement threaded on it; an agent's public reply reaches
// the requester, threaded on the thread so far; the requester's answer to
// that mail (by In-Reply-To alone, no [#ID]) threads back onto the ticket;
// an internal note sends nothing; resolving writes once more.
func TestDeskMailLoop(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			box, port := startInbox(t)
			dir := t.TempDir()
			cfg := filepath.Join(dir, "sextant.yaml")
			if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`mail: {from: sextant@ops.example.org, smtp: {host: 127.0.0.1, port: %d, tls: none}}
desk:
  queues: [{name: help, address: help@desk.example.org}]
  mail: {domains: [desk.example.org]}
`, port)), 0o600); err != nil {
				t.Fatal(err)
			}
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir, SMTPListen: "127.0.0.1:0"})
			send := func(msg string) {
				t.Helper()
				if err := smtp.SendMail(s.app.SMTPAddr(), nil, "ann@example.com", []string{"help@desk.example.org"}, []byte(msg)); err != nil {
					t.Fatalf("send: %v", err)
				}
			}
			send("From: Ann <ann@example.com>\r\nTo: help@desk.example.org\r\nSubject: Printer jammed\r\nMessage-ID: <a1@example.com>\r\n\r\nThe printer on floor 2 is jammed.\r\n")
			var list struct {
				Items []struct {
					ID    int64
					Queue string
				}
			}
			if code := s.json("GET", "/api/v1/tickets", "", &list); code != 200 || len(list.Items) != 1 || list.Items[0].Queue != "help" {
				t.Fatalf("tickets: %d %+v", code, list)
			}
			id := list.Items[0].ID
			tag := fmt.Sprintf("[#%d]", id)

			ack := waitMails(t, box, 1)[0]
			if ack.envelopeTo != "ann@example.com" || !strings.Contains(ack.subject, tag) || !strings.Contains(ack.header.Get("From"), "help@desk.example.org") {
				t.Errorf("acknowledgement to %s from %s: %q", ack.envelopeTo, ack.header.Get("From"), ack.subject)
			}
			if ack.header.Get("In-Reply-To") != "<a1@example.com>" || ack.header.Get("References") != "<a1@example.com>" || ack.header.Get("Auto-Submitted") != "auto-replied" {
				t.Errorf("acknowledgement threading: In-Reply-To %q References %q Auto-Submitted %q",
					ack.header.Get("In-Reply-To"), ack.header.Get("References"), ack.header.Get("Auto-Submitted"))
			}
			ackID := ack.header.Get("Message-ID")
			if !strings.HasSuffix(ackID, "@desk.example.org>") {
				t.Errorf("acknowledgement Message-ID %q", ackID)
			}

			if code := s.json("POST", fmt.Sprintf("/api/v1/tickets/%d/comments", id), `{"body": "Which printer exactly? The one by the window?", "public": true}`, nil); code != 201 {
				t.Fatalf("public comment: %d", code)
			}
			reply := waitMails(t, box, 2)[1]
			if !strings.Contains(reply.body, "Which printer exactly?") || !strings.Contains(reply.subject, tag) {
				t.Errorf("agent's reply: %q\n%s", reply.subject, reply.body)
			}
			if reply.header.Get("In-Reply-To") != "<a1@example.com>" || reply.header.Get("References") != "<a1@example.com> "+ackID {
				t.Errorf("reply threading: In-Reply-To %q References %q", reply.header.Get("In-Reply-To"), reply.header.Get("References"))
			}

			// The requester answers the agent's mail; only its In-Reply-To
			// names the ticket.
			send(fmt.Sprintf("From: Ann <ann@example.com>\r\nTo: help@desk.example.org\r\nSubject: Re: Printer jammed\r\nMessage-ID: <a2@example.com>\r\nIn-Reply-To: %s\r\n\r\nThe one by the window.\r\n", reply.header.Get("Message-ID")))
			var detail struct {
				Comments []struct {
					Body          string
					FromRequester bool `json:"from_requester"`
				}
			}
			if code := s.json("GET", fmt.Sprintf("/api/v1/tickets/%d", id), "", &detail); code != 200 {
				t.Fatalf("ticket: %d", code)
			}
			if n := len(detail.Comments); n != 2 || detail.Comments[1].Body != "The one by the window." || !detail.Comments[1].FromRequester {
				t.Fatalf("comments after the requester's answer: %+v", detail.Comments)
			}
			if code := s.json("GET", "/api/v1/tickets", "", &list); code != 200 || len(list.Items) != 1 {
				t.Fatalf("the answer opened a ticket: %+v", list)
			}

			// The desk's own acknowledgement come back (a forwarding loop)
			// is not a requester's mail: it opens nothing.
			send(fmt.Sprintf("From: help@desk.example.org\r\nTo: help@desk.example.org\r\nSubject: Re: %s\r\nMessage-ID: <loop1@elsewhere.example>\r\n\r\nLooped.\r\n", ack.subject[len(tag)+1:]))
			if code := s.json("GET", "/api/v1/tickets", "", &list); code != 200 || len(list.Items) != 1 {
				t.Fatalf("the desk's own mail opened a ticket: %+v", list)
			}

			if code := s.json("POST", fmt.Sprintf("/api/v1/tickets/%d/comments", id), `{"body": "Internal: toner supplier is slow", "public": false}`, nil); code != 201 {
				t.Fatalf("internal comment: %d", code)
			}
			if code := s.json("POST", fmt.Sprintf("/api/v1/tickets/%d/status", id), `{"status": "resolved", "note": "Replaced the fuser unit."}`, nil); code != 200 {
				t.Fatalf("resolve: %d", code)
			}
			// Resolving also sends the satisfaction survey, a mail of its own.
			all := waitMails(t, box, 4)
			time.Sleep(300 * time.Millisecond) // a stray fifth mail would be sent by now
			if n := len(box.all()); n != 4 {
				t.Fatalf("%d mails, want 4 (acknowledgement, reply, resolution, survey):\n%s", n, strings.Join(box.all(), "\n----\n"))
			}
			var mails []deskMail
			surveys := 0
			for _, m := range all {
				if strings.Contains(m.body, "/survey/") {
					surveys++
					continue
				}
				mails = append(mails, m)
			}
			if surveys != 1 || len(mails) != 3 {
				t.Fatalf("%d survey mails and %d desk mails, want 1 and 3:\n%s", surveys, len(mails), strings.Join(box.all(), "\n----\n"))
			}
			resolved := mails[2]
			if !strings.Contains(resolved.body, "Replaced the fuser unit.") || !strings.Contains(resolved.subject, "resolved") ||
				resolved.header.Get("In-Reply-To") != "<a2@example.com>" {
				t.Errorf("resolution mail %q In-Reply-To %q:\n%s", resolved.subject, resolved.header.Get("In-Reply-To"), resolved.body)
			}
			for _, m := range mails {
				if strings.Contains(m.body, "toner supplier") {
					t.Errorf("an internal note reached the requester: %s", m.body)
				}
			}
			// The ticket lists its mails with their delivery.
			var sent struct {
				Mails []struct {
					Kind, To, Subject, Status string
				}
			}
			waitUntil(t, "the three mails recorded as sent", 10*time.Second, func() bool {
				s.json("GET", fmt.Sprintf("/api/v1/tickets/%d", id), "", &sent)
				n := 0
				for _, m := range sent.Mails {
					if m.Status == "sent" && m.To == "ann@example.com" {
						n++
					}
				}
				return n == 3
			})
			if k := []string{sent.Mails[0].Kind, sent.Mails[1].Kind, sent.Mails[2].Kind}; strings.Join(k, ",") != "opened,reply,resolved" || sent.Mails[0].Subject != ack.subject {
				t.Errorf("the ticket's mails %+v", sent.Mails)
			}
		})
	}
}

// TestDeskSLAWarningsReachChannels runs the whole server on a frozen clock:
// a ticket's first response at 75 % and then at 100 % of its target is
// told to the queue's escalation policy's channel (a signed webhook),
// once each, with the ticket's link on this server.
func TestDeskSLAWarningsReachChannels(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := &hook{t: t}
			recv := httptest.NewServer(h)
			defer recv.Close()
			dir := t.TempDir()
			clock := &frozen{t: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}
			cfg := incidentConfig(t, dir, recv.URL, `desk:
  queues: [{name: help, escalation: default}]
  sla_policies: [{name: std, first_response: 1h}]
`)
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir, Now: clock.now})
			var tk struct{ ID int64 }
			if code := s.json("POST", "/api/v1/tickets", `{"type": "request", "title": "VPN token expired"}`, &tk); code != 201 {
				t.Fatalf("create: %d", code)
			}
			tickets := func() []map[string]any {
				h.mu.Lock()
				defer h.mu.Unlock()
				var out []map[string]any
				for _, d := range h.received {
					if tk, ok := d["ticket"].(map[string]any); ok {
						out = append(out, tk)
						tk["event"] = d["event"]
					}
				}
				return out
			}
			clock.set(clock.now().Add(45 * time.Minute))
			waitUntil(t, "the 75 % warning", 20*time.Second, func() bool { return len(tickets()) >= 1 })
			clock.set(clock.now().Add(16 * time.Minute))
			waitUntil(t, "the breach", 20*time.Second, func() bool { return len(tickets()) >= 2 })
			time.Sleep(6 * time.Second) // another pass of the warner, which must send nothing
			got := tickets()
			if len(got) != 2 || got[0]["event"] != "sla_warning" || got[1]["event"] != "sla_breach" || got[0]["level"] != 75.0 || got[1]["clock"] != "first_response" ||
				got[0]["url"] != fmt.Sprintf("%s/desk/tickets/%d", s.base, tk.ID) || h.bad.Load() != 0 {
				t.Fatalf("warnings %+v (badly signed %d)", got, h.bad.Load())
			}
		})
	}
}
