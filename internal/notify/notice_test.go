package notify

import (
	"strings"
	"testing"
	"time"
)

// noticeMessage is a notice about no incident, as the licence warnings
// send: a kind, one line and a link.
func noticeMessage() Message {
	return Message{Kind: "licence_expiring", Severity: "warning", Source: "cmdb",
		Summary:   "Licence office (Microsoft 365) expires on 2027-01-02, in 30 days; 12 of 10 seats in use, 2 over quota",
		URL:       "https://sextant.example/cis/office",
		CreatedAt: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
}

// TestNoticeRendering shows a notice as itself in the built-in
// templates and the rich channels: no "Incident #0", no empty facts, one
// "View" link.
func TestNoticeRendering(t *testing.T) {
	m := noticeMessage()
	tmpl, err := parseTemplates(Templates{})
	if err != nil {
		t.Fatal(err)
	}
	subject, body, err := tmpl.render(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[LICENCE_EXPIRING] " + m.Summary; subject != want {
		t.Errorf("subject %q, want %q", subject, want)
	}
	if want := m.Summary + "\n\nView: " + m.URL + "\n"; body != want {
		t.Errorf("body %q, want %q", body, want)
	}
	s := &slack{tmpl: tmpl}
	p, err := s.payload(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Blocks) != 2 || p.Blocks[0].Text == nil || !strings.HasPrefix(p.Blocks[0].Text.Text, ":large_yellow_circle: *licence_expiring*\n") ||
		p.Blocks[1].Type != "actions" || len(p.Blocks[1].Elements) != 1 || p.Blocks[1].Elements[0].(slackButton).Text.Text != "View" {
		t.Errorf("slack blocks: %+v", p.Blocks)
	}
	tm, err := (&teams{tmpl: tmpl}).payload(m)
	if err != nil {
		t.Fatal(err)
	}
	if c := tm.Attachments[0].Content; len(c.Body) != 2 || len(c.Actions) != 1 || c.Actions[0].Title != "View" {
		t.Errorf("teams card: %+v", c)
	}
	// An incident's message is as before.
	if subject, _, _ := tmpl.render(testMessage()); subject != "[TRIGGERED] shop: Checkout returns 502" {
		t.Errorf("incident subject %q", subject)
	}
}
