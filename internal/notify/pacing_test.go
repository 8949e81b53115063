package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/secret"
)

func TestRetryAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		code   int
		header string
		want   time.Duration // from now
		ok     bool
	}{
		{"seconds on 429", 429, "2", 2 * time.Second, true},
		{"seconds on 503", 503, " 120 ", 2 * time.Minute, true},
		{"HTTP date", 429, "Sun, 01 Mar 2026 10:00:30 GMT", 30 * time.Second, true},
		{"a date in the past means a second from now", 429, "Sun, 01 Mar 2026 09:00:00 GMT", time.Second, true},
		{"zero means a second from now", 503, "0", time.Second, true},
		{"capped at an hour", 429, "86400", MaxRetryAfter, true},
		{"a far date is capped too", 503, "Mon, 01 Jun 2026 10:00:00 GMT", MaxRetryAfter, true},
		{"no header", 429, "", 0, false},
		{"garbage", 429, "soon", 0, false},
		{"negative", 429, "-5", 0, false},
		{"other statuses are ordinary failures", 500, "2", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at, ok := (&StatusError{Code: tc.code, RetryAfter: tc.header}).RetryAt(now)
			if ok != tc.ok || (ok && at.Sub(now) != tc.want) {
				t.Fatalf("RetryAt = %s, %v; want +%s, %v", at.Sub(now), ok, tc.want, tc.ok)
			}
		})
	}
}

func TestWindowAllowsAtMostTheRate(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	w := &window{rate: duration.Rate{Events: 3, Per: 10 * time.Second}}
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {0, true}, {time.Second, true}, // the burst
		{2 * time.Second, false}, {9 * time.Second, false}, // three in the last 10 s
		{10 * time.Second, true}, {10 * time.Second, true}, // the two at 0 have left the window
		{10 * time.Second, false}, {11 * time.Second, true}, {12 * time.Second, false},
	}
	for i, s := range steps {
		if got := w.take(t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d at +%s: %v, want %v", i, s.at, got, s.want)
		}
	}
	w.giveBack()
	if !w.take(t0.Add(12 * time.Second)) {
		t.Fatal("a given-back send is allowed again")
	}
}

func TestChannelPacingConfig(t *testing.T) {
	base := Config{Name: "ops-hook", Type: TypeWebhook, URL: "https://hooks.example/x"}
	cases := []struct {
		name        string
		rate        string
		digestAfter int
		field, msg  string
		want        Pacing
	}{
		{name: "defaults", want: Pacing{DigestAfter: DefaultDigestAfter}},
		{name: "per minute", rate: "30/m", digestAfter: 25, want: Pacing{Rate: duration.Rate{Events: 30, Per: time.Minute}, DigestAfter: 25}},
		{name: "not a rate", rate: "fast", field: "rate_limit", msg: "expected events per time"},
		{name: "too many to track", rate: "200000/s", field: "rate_limit", msg: "at most 100000"},
		{name: "negative digest threshold", digestAfter: -1, field: "digest_after", msg: "must be at least 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.RateLimit, c.DigestAfter = tc.rate, tc.digestAfter
			fields := c.Validate()
			if tc.field != "" {
				if len(fields) != 1 || fields[0].Path != tc.field || !strings.Contains(fields[0].Msg, tc.msg) {
					t.Fatalf("Validate = %v, want %s: %s", fields, tc.field, tc.msg)
				}
				if _, err := New(c); err == nil {
					t.Fatal("New accepted what Validate refused")
				}
				return
			}
			if len(fields) > 0 {
				t.Fatalf("Validate: %v", fields)
			}
			if got := mustNew(t, c).(Paced).Pacing(); got != tc.want {
				t.Fatalf("Pacing = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// testDigest is 37 triggers on shop and 3 resolutions on payroll.
func testDigest() Digest {
	d := Digest{Since: start.Add(-50 * time.Second), Now: start}
	for i := range 40 {
		m := testMessage()
		m.IncidentID, m.Summary = int64(100+i), fmt.Sprintf("error %d <b>", i)
		m.URL = fmt.Sprintf("https://sextant.example/incidents/%d", m.IncidentID)
		if i >= 37 {
			m.Kind, m.Service, m.Status = KindResolved, "payroll", "resolved"
		}
		d.Items = append(d.Items, m)
	}
	return d
}

func TestDigestTitle(t *testing.T) {
	cases := []struct {
		name string
		d    Digest
		want string
	}{
		{"a mixture", testDigest(), "37 incidents opened on shop, 3 resolved on payroll in the last minute"},
		{"one kind", Digest{Items: testDigest().Items[:12], Since: start.Add(-20 * time.Minute), Now: start}, "12 incidents opened on shop in the last 20 minutes"},
		{"a long backlog", Digest{Items: testDigest().Items[37:], Since: start.Add(-150 * time.Minute), Now: start}, "3 incidents resolved on payroll in the last 3 hours"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.Title(); got != tc.want {
				t.Fatalf("Title = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDigestInEveryChannel(t *testing.T) {
	d := testDigest()
	title := d.Title()
	box := startMailbox(t, &mailbox{}, nil, false)
	cases := []struct {
		typ   string
		check func(t *testing.T, r request)
	}{
		{TypeWebhook, func(t *testing.T, r request) {
			var p WebhookDigest
			if err := json.Unmarshal(r.Body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Event != KindDigest || p.Title != title || p.Count != 40 || len(p.Notifications) != 40 || p.Notifications[39].Event != KindResolved {
				t.Fatalf("webhook digest %+v", p)
			}
		}},
		{TypeSlack, func(t *testing.T, r request) {
			body := string(r.Body)
			for _, want := range []string{`"text":"` + title, "\\u003chttps://sextant.example/incidents/100|#100 shop: error 0 \\u0026lt;b\\u0026gt;\\u003e", "and 30 more"} {
				if !strings.Contains(body, want) {
					t.Errorf("slack digest lacks %s:\n%s", want, body)
				}
			}
			if strings.Contains(body, "incidents/110") {
				t.Error("slack digest lists more than 10")
			}
		}},
		{TypeTeams, func(t *testing.T, r request) {
			body := string(r.Body)
			for _, want := range []string{title, "[#100 shop: error 0 \\u003cb\\u003e](https://sextant.example/incidents/100)", "and 30 more"} {
				if !strings.Contains(body, want) {
					t.Errorf("teams digest lacks %s:\n%s", want, body)
				}
			}
		}},
		{TypeNtfy, func(t *testing.T, r request) {
			body := string(r.Body)
			if r.Header.Get("Title") != title || r.Header.Get("Priority") != "5" || !strings.Contains(body, "#100 shop: error 0 <b> (opened, critical)\n  https://sextant.example/incidents/100") || !strings.HasSuffix(body, "and 30 more\n") {
				t.Fatalf("ntfy digest: title %q priority %q body:\n%s", r.Header.Get("Title"), r.Header.Get("Priority"), body)
			}
		}},
		{TypeEmail, nil},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			rc := newReceiver(t, nil)
			c := Config{Name: "digest", Type: tc.typ, URL: rc.URL + "/hook"}
			switch tc.typ {
			case TypeNtfy:
				c.URL, c.Topic = rc.URL, "ops"
			case TypeEmail:
				c = emailConfig(box, SMTPTLSNone)
				c.SMTP.Username, c.SMTP.Password = "", secret.Secret{}
			}
			ch := mustNew(t, c)
			if err := ch.(Digester).SendDigest(context.Background(), d); err != nil {
				t.Fatalf("SendDigest: %v", err)
			}
			if tc.typ == TypeEmail {
				got := box.messages()
				if len(got) != 1 {
					t.Fatalf("%d mails", len(got))
				}
				p := parseMail(t, got[0].Data)
				if p.Subject != title || !strings.Contains(p.Text, "#100 shop: error 0 <b> (opened, critical)") || !strings.Contains(p.Text, "and 30 more") ||
					!strings.Contains(p.HTML, "#100 shop: error 0 &lt;b&gt;") || p.Header.Get("X-Sextant-Event") != KindDigest {
					t.Fatalf("digest mail %q:\n%s\n%s", p.Subject, p.Text, p.HTML)
				}
				return
			}
			tc.check(t, rc.only(t))
		})
	}
}
