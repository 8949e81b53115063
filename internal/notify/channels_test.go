package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/probe"
	"github.com/sextant-ops/sextant/internal/secret"
)

// request is one call a receiver got.
type request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// receiver is an httptest server that records requests and answers with
// the status its answer function picks (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []request
	answer func(n int, r request) (int, string)
}

func newReceiver(t *testing.T, answer func(n int, r request) (int, string)) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body}
		rc.mu.Lock()
		rc.got = append(rc.got, req)
		n := len(rc.got)
		rc.mu.Unlock()
		code, text := http.StatusOK, "ok"
		if rc.answer != nil {
			code, text = rc.answer(n, req)
		}
		w.WriteHeader(code)
		io.WriteString(w, text)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.got...)
}

func (rc *receiver) only(t *testing.T) request {
	t.Helper()
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	return got[0]
}

// testMessage is a triggered critical incident with all its links.
func testMessage() Message {
	return Message{
		IncidentID: 42, Kind: KindTriggered, Service: "shop", Summary: "Checkout returns 502",
		Severity: "critical", Status: "triggered", Source: "check:checkout",
		CreatedAt:  time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC),
		URL:        "https://sextant.example/incidents/42",
		AckURL:     "https://sextant.example/i/42/ack?sig=ackTOKEN",
		ResolveURL: "https://sextant.example/i/42/resolve?sig=resTOKEN",
	}
}

// mustNew builds a channel from a config that must be valid.
func mustNew(t *testing.T, c Config) Channel {
	t.Helper()
	if fields := c.Validate(); len(fields) > 0 {
		t.Fatalf("Validate: %v", fields)
	}
	ch, err := New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch
}

func TestWebhookSignedDelivery(t *testing.T) {
	rc := newReceiver(t, nil)
	key := "whsec-0123456789"
	ch := mustNew(t, Config{Name: "ops-hook", Type: TypeWebhook, URL: rc.URL + "/hooks/sextant", Secret: secret.New(key)})
	if err := ch.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := rc.only(t)
	if got.Method != http.MethodPost || got.Path != "/hooks/sextant" || got.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request: %s %s %s", got.Method, got.Path, got.Header.Get("Content-Type"))
	}

	t.Run("signature verifies as documented", func(t *testing.T) {
		ts := got.Header.Get(TimestampHeader)
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
			t.Fatalf("timestamp %q", ts)
		}
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte(ts + "." + string(got.Body)))
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if sig := got.Header.Get(SignatureHeader); sig != want {
			t.Fatalf("signature %q, want %q", sig, want)
		}
		if err := VerifyWebhook([]byte(key), ts, want, got.Body, time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("VerifyWebhook: %v", err)
		}
	})
	t.Run("altered, wrong key or stale deliveries fail", func(t *testing.T) {
		ts, sig := got.Header.Get(TimestampHeader), got.Header.Get(SignatureHeader)
		altered := append([]byte(nil), got.Body...)
		altered[len(altered)-2] = ' '
		if err := VerifyWebhook([]byte(key), ts, sig, altered, time.Now(), 5*time.Minute); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("altered body: %v", err)
		}
		if err := VerifyWebhook([]byte("other"), ts, sig, got.Body, time.Now(), 5*time.Minute); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("wrong key: %v", err)
		}
		if err := VerifyWebhook([]byte(key), ts, sig, got.Body, time.Now().Add(time.Hour), 5*time.Minute); err == nil {
			t.Fatal("an hour-old delivery verified")
		}
	})
	t.Run("payload", func(t *testing.T) {
		var p map[string]any
		if err := json.Unmarshal(got.Body, &p); err != nil {
			t.Fatal(err)
		}
		inc, _ := p["incident"].(map[string]any)
		want := map[string]any{
			"id": 42.0, "service": "shop", "summary": "Checkout returns 502", "severity": "critical",
			"status": "triggered", "source": "check:checkout", "created_at": "2026-03-01T09:30:00Z",
			"url": "https://sextant.example/incidents/42", "ack_url": "https://sextant.example/i/42/ack?sig=ackTOKEN",
			"resolve_url": "https://sextant.example/i/42/resolve?sig=resTOKEN", "in_maintenance": false,
		}
		if p["event"] != "triggered" || len(inc) != len(want) {
			t.Fatalf("payload %s", got.Body)
		}
		for k, v := range want {
			if inc[k] != v {
				t.Errorf("incident.%s = %v, want %v", k, inc[k], v)
			}
		}
	})
}

func TestWebhookWithoutSecretIsUnsigned(t *testing.T) {
	rc := newReceiver(t, nil)
	ch := mustNew(t, Config{Name: "plain", Type: TypeWebhook, URL: rc.URL})
	if err := ch.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	if h := rc.only(t).Header; h.Get(SignatureHeader) != "" || h.Get(TimestampHeader) != "" {
		t.Fatalf("unsigned delivery carries signature headers: %v", h)
	}
}

func TestSlack(t *testing.T) {
	rc := newReceiver(t, nil)
	ch := mustNew(t, Config{Name: "chat", Type: TypeSlack, URL: rc.URL + "/services/T0001/B0001/abcdefghijklmnopqrstuvwx"})
	m := testMessage()
	m.Summary = "<!channel> checkout & cart down"
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := rc.only(t)
	var p struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type     string `json:"type"`
			Text     *struct{ Type, Text string }
			Fields   []struct{ Type, Text string }
			Elements []struct {
				Type  string
				Text  struct{ Text string }
				URL   string
				Style string
			}
		} `json:"blocks"`
	}
	if err := json.Unmarshal(got.Body, &p); err != nil {
		t.Fatalf("%v: %s", err, got.Body)
	}
	if p.Text != "[TRIGGERED] shop: &lt;!channel&gt; checkout &amp; cart down" {
		t.Errorf("text = %q", p.Text)
	}
	var texts []string
	for _, b := range p.Blocks {
		if b.Text != nil {
			texts = append(texts, b.Text.Text)
		}
		for _, f := range b.Fields {
			texts = append(texts, f.Text)
		}
	}
	body := strings.Join(texts, "\n")
	for _, want := range []string{"*<" + m.URL + "|Incident #42> triggered*", "&lt;!channel&gt; checkout &amp; cart down", "*Severity*\ncritical", "*Service*\nshop"} {
		if !strings.Contains(body, want) {
			t.Errorf("payload lacks %q: %s", want, body)
		}
	}
	if strings.Contains(body, "<!channel>") {
		t.Errorf("unescaped mention in %s", body)
	}
	last := p.Blocks[len(p.Blocks)-1]
	if last.Type != "actions" || len(last.Elements) != 3 {
		t.Fatalf("actions block: %+v", last)
	}
	for i, want := range [][2]string{{"View incident", m.URL}, {"Acknowledge", m.AckURL}, {"Resolve", m.ResolveURL}} {
		if e := last.Elements[i]; e.Type != "button" || e.Text.Text != want[0] || e.URL != want[1] {
			t.Errorf("button %d = %+v, want %v", i, e, want)
		}
	}

	t.Run("resolved incidents offer only the view link", func(t *testing.T) {
		m := testMessage()
		m.Kind, m.Status = KindResolved, "resolved"
		p, err := ch.(*slack).payload(m)
		if err != nil {
			t.Fatal(err)
		}
		if last := p.Blocks[len(p.Blocks)-1]; len(last.Elements) != 1 {
			t.Fatalf("buttons: %+v", last.Elements)
		}
	})
}

func TestTeams(t *testing.T) {
	rc := newReceiver(t, func(int, request) (int, string) { return http.StatusAccepted, "" })
	ch := mustNew(t, Config{Name: "teams", Type: TypeTeams, URL: rc.URL + "/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SIGsecretSIGsecret"})
	m := testMessage()
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Type        string
		Attachments []struct {
			ContentType string
			Content     struct {
				Type, Version string
				Body          []map[string]any
				Actions       []struct{ Type, Title, URL string }
			}
		}
	}
	got := rc.only(t)
	if err := json.Unmarshal(got.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "message" || len(p.Attachments) != 1 || p.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("envelope: %s", got.Body)
	}
	card := p.Attachments[0].Content
	if card.Type != "AdaptiveCard" || card.Version != "1.4" {
		t.Fatalf("card %s %s", card.Type, card.Version)
	}
	if card.Body[0]["text"] != "[TRIGGERED] shop: Checkout returns 502" || card.Body[1]["text"] != m.Summary || card.Body[2]["type"] != "FactSet" {
		t.Errorf("card body: %v", card.Body)
	}
	if len(card.Actions) != 3 || card.Actions[1].Title != "Acknowledge" || card.Actions[1].URL != m.AckURL || card.Actions[2].URL != m.ResolveURL || card.Actions[0].Type != "Action.OpenUrl" {
		t.Errorf("actions: %+v", card.Actions)
	}
}

func TestNtfy(t *testing.T) {
	rc := newReceiver(t, nil)
	ch := mustNew(t, Config{Name: "phone", Type: TypeNtfy, URL: rc.URL + "/", Topic: "sextant-ops_1", Secret: secret.New("tk_accesstoken123")})
	m := testMessage()
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := rc.only(t)
	if got.Path != "/sextant-ops_1" || got.Method != http.MethodPost {
		t.Fatalf("%s %s", got.Method, got.Path)
	}
	for h, want := range map[string]string{
		"Title":         "[TRIGGERED] shop: Checkout returns 502",
		"Priority":      "5",
		"Tags":          "rotating_light,critical,triggered",
		"Click":         m.URL,
		"Actions":       "http, Acknowledge, " + m.AckURL + ", method=POST, clear=true; http, Resolve, " + m.ResolveURL + ", method=POST, clear=true",
		"Authorization": "Bearer tk_accesstoken123",
	} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
	if body := string(got.Body); body != "Checkout returns 502\nshop · critical · triggered\n" {
		t.Errorf("body = %q", body)
	}

	t.Run("priorities", func(t *testing.T) {
		for _, c := range []struct{ kind, severity, want string }{
			{KindTriggered, "critical", "5"}, {KindTriggered, "error", "4"}, {KindTriggered, "warning", "3"},
			{KindTriggered, "info", "2"}, {KindEscalated, "critical", "5"}, {KindResolved, "critical", "3"},
			{KindAcknowledged, "error", "3"}, {KindResolved, "info", "2"},
		} {
			if got := ntfyPriority(Message{Kind: c.kind, Severity: c.severity}); got != c.want {
				t.Errorf("%s %s: %s, want %s", c.kind, c.severity, got, c.want)
			}
		}
	})
	t.Run("non-ASCII titles are RFC 2047 encoded", func(t *testing.T) {
		m := testMessage()
		m.Summary = "Kasse gestört 💥"
		h, _, err := ch.(*ntfy).request(m)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := new(mime.WordDecoder).DecodeHeader(h.Get("Title"))
		if err != nil || dec != "[TRIGGERED] shop: Kasse gestört 💥" || h.Get("Title") == dec {
			t.Fatalf("title %q decodes to %q (%v)", h.Get("Title"), dec, err)
		}
	})
	t.Run("default server", func(t *testing.T) {
		n := mustNew(t, Config{Name: "p", Type: TypeNtfy, Topic: "x"}).(*ntfy)
		if n.url != "https://ntfy.sh/x" || n.token != "" {
			t.Fatalf("url %q", n.url)
		}
	})
}

func TestCustomTemplates(t *testing.T) {
	rc := newReceiver(t, nil)
	ch := mustNew(t, Config{Name: "phone", Type: TypeNtfy, URL: rc.URL, Topic: "t", Templates: Templates{
		Subject: "{{.Service}} is {{.Status}}",
		Body:    "{{upper .Severity}}: {{.Summary}}{{if .InMaintenance}} (maintenance){{end}}",
	}})
	m := testMessage()
	m.InMaintenance = true
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := rc.only(t)
	if got.Header.Get("Title") != "shop is triggered" || string(got.Body) != "CRITICAL: Checkout returns 502 (maintenance)\n" {
		t.Fatalf("title %q body %q", got.Header.Get("Title"), got.Body)
	}
}

func TestStatusClassification(t *testing.T) {
	for _, c := range []struct {
		code      int
		permanent bool
	}{
		{400, true}, {401, true}, {403, true}, {404, true}, {410, true},
		{408, false}, {429, false}, {500, false}, {502, false}, {503, false},
		{301, true},
	} {
		t.Run(strconv.Itoa(c.code), func(t *testing.T) {
			rc := newReceiver(t, func(int, request) (int, string) { return c.code, "nope\nsecond line" })
			ch := mustNew(t, Config{Name: "h", Type: TypeWebhook, URL: rc.URL})
			err := ch.Send(context.Background(), testMessage())
			var se *StatusError
			if !errors.As(err, &se) || se.Code != c.code || se.Body != "nope" {
				t.Fatalf("err = %v", err)
			}
			if IsPermanent(err) != c.permanent {
				t.Fatalf("IsPermanent(%v) = %v", err, !c.permanent)
			}
		})
	}
}

func TestLargeAnswersAreCut(t *testing.T) {
	rc := newReceiver(t, func(int, request) (int, string) { return 500, strings.Repeat("x", 1<<20) })
	ch := mustNew(t, Config{Name: "h", Type: TypeWebhook, URL: rc.URL})
	err := ch.Send(context.Background(), testMessage())
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("err (%d bytes) = %.100v", len(err.Error()), err)
	}
}

func TestMetadataAddressesRefusedAtDial(t *testing.T) {
	for _, c := range []struct {
		name, url string
		metadata  bool
	}{
		{"metadata IPv4", "http://169.254.169.254/latest/meta-data/", true},
		{"link-local IPv6", "http://[fe80::1]/hook", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch := mustNew(t, Config{Name: "h", Type: TypeWebhook, URL: c.url, Timeout: "1s"})
			err := ch.Send(context.Background(), testMessage())
			var refused *probe.RefusedAddressError
			if !errors.As(err, &refused) || refused.Metadata != c.metadata {
				t.Fatalf("err = %v, want a refused address", err)
			}
			if !IsPermanent(err) || !strings.Contains(err.Error(), "refused:") {
				t.Fatalf("err = %v: want permanent and saying refused", err)
			}
			if strings.Contains(err.Error(), "meta-data") || strings.Contains(err.Error(), "/hook") {
				t.Fatalf("error shows the URL's path: %v", err)
			}
		})
		t.Run(c.name+" with allow_link_local", func(t *testing.T) {
			ch := mustNew(t, Config{Name: "h", Type: TypeWebhook, URL: c.url, Timeout: "1s", AllowLinkLocal: true})
			err := ch.Send(context.Background(), testMessage())
			var refused *probe.RefusedAddressError
			if errors.As(err, &refused) || (err != nil && strings.Contains(err.Error(), "refused: ")) {
				t.Fatalf("still refused by Sextant: %v", err)
			}
			// Whatever the network says instead (unreachable, timeout), it
			// is the network's answer, worth a retry.
			t.Logf("network's answer: %v", err)
		})
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	const (
		token   = "XyZsecretPathToken0123456789"
		key     = "hmac-key-never-shown-42"
		ntfyTok = "tk_bearer_never_shown_99"
	)
	// The receiver echoes what it got, the worst case for leaking.
	echo := newReceiver(t, func(_ int, r request) (int, string) {
		return http.StatusNotFound, "no_service " + r.Path + " " + r.Header.Get("Authorization")
	})
	closed := httptest.NewServer(http.NotFoundHandler())
	deadURL := closed.URL
	closed.Close()
	for _, c := range []Config{
		{Name: "slack", Type: TypeSlack, URL: echo.URL + "/services/T1/B1/" + token},
		{Name: "slack-down", Type: TypeSlack, URL: deadURL + "/services/T1/B1/" + token},
		{Name: "teams", Type: TypeTeams, URL: echo.URL + "/invoke?api-version=1&sig=" + token},
		{Name: "webhook", Type: TypeWebhook, URL: "http://user:" + token + "@" + strings.TrimPrefix(echo.URL, "http://") + "/h", Secret: secret.New(key)},
		{Name: "ntfy", Type: TypeNtfy, URL: echo.URL, Topic: token, Secret: secret.New(ntfyTok)},
		{Name: "ntfy-down", Type: TypeNtfy, URL: deadURL, Topic: token, Secret: secret.New(ntfyTok)},
	} {
		t.Run(c.Name, func(t *testing.T) {
			err := mustNew(t, c).Send(context.Background(), testMessage())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			for _, s := range []string{token, key, ntfyTok, base64.StdEncoding.EncodeToString([]byte("user:" + token))} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error shows a secret: %v", err)
				}
			}
			if !strings.Contains(err.Error(), "404") && !strings.Contains(err.Error(), "127.0.0.1") {
				t.Fatalf("error says too little: %v", err)
			}
			t.Log(err)
		})
	}
	t.Run("config in logs", func(t *testing.T) {
		v := Config{Name: "s", Type: TypeSlack, URL: "https://hooks.slack.com/services/T1/B1/" + token}.LogValue().String()
		if strings.Contains(v, token) || !strings.Contains(v, "https://hooks.slack.com/[redacted]") {
			t.Fatalf("LogValue = %s", v)
		}
	})
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(func() { close(release); srv.Close() })
	ch := mustNew(t, Config{Name: "slow", Type: TypeWebhook, URL: srv.URL + "/secret-path-0123456789", Timeout: "300ms"})
	start := time.Now()
	err := ch.Send(context.Background(), testMessage())
	if err == nil || IsPermanent(err) || time.Since(start) > 3*time.Second {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
	if !strings.Contains(err.Error(), "no answer within 300ms") || strings.Contains(err.Error(), "secret-path") {
		t.Fatalf("err = %v", err)
	}
}

func TestValidate(t *testing.T) {
	email := func(mod func(*Config)) Config {
		c := Config{Name: "mail", Type: TypeEmail, To: []string{"ops@example.com"}, SMTP: SMTPConfig{Host: "smtp.example.com"}}
		mod(&c)
		return c
	}
	for _, c := range []struct {
		name string
		cfg  Config
		want []string // paths
	}{
		{"valid webhook", Config{Name: "h", Type: TypeWebhook, URL: "https://example.com/h"}, nil},
		{"valid email", email(func(*Config) {}), nil},
		{"valid ntfy", Config{Name: "n", Type: TypeNtfy, Topic: "ops"}, nil},
		{"no name or type", Config{}, []string{"name", "type"}},
		{"unknown type", Config{Name: "x", Type: "pager"}, []string{"type"}},
		{"slack without url", Config{Name: "s", Type: TypeSlack}, []string{"url"}},
		{"teams with ftp url", Config{Name: "t", Type: TypeTeams, URL: "ftp://x/y"}, []string{"url"}},
		{"webhook with templates", Config{Name: "h", Type: TypeWebhook, URL: "http://x", Templates: Templates{Body: "x"}}, []string{"templates"}},
		{"ntfy bad topic", Config{Name: "n", Type: TypeNtfy, Topic: "a/b"}, []string{"topic"}},
		{"ntfy no topic", Config{Name: "n", Type: TypeNtfy}, []string{"topic"}},
		{"slack with secret", Config{Name: "s", Type: TypeSlack, URL: "https://h/x", Secret: secret.New("k")}, []string{"secret"}},
		{"email without recipients or host", Config{Name: "m", Type: TypeEmail}, []string{"to", "smtp.host"}},
		{"email bad addresses", email(func(c *Config) { c.To = []string{"ok@example.com", "not an address"}; c.From = "@" }), []string{"to[1]", "from"}},
		{"email bad tls and port", email(func(c *Config) { c.SMTP.TLS = "ssl"; c.SMTP.Port = 70000 }), []string{"smtp.port", "smtp.tls"}},
		{"email host with port", email(func(c *Config) { c.SMTP.Host = "smtp.example.com:25" }), []string{"smtp.host"}},
		{"email password without user", email(func(c *Config) { c.SMTP.Password = secret.New("p") }), []string{"smtp.username"}},
		{"email with url", email(func(c *Config) { c.URL = "http://x" }), []string{"url"}},
		{"bad subject template", email(func(c *Config) { c.Templates.Subject = "{{.Service" }), []string{"templates.subject"}},
		{"unknown field in body", email(func(c *Config) { c.Templates.Body = "{{.Servce}}" }), []string{"templates.body"}},
		{"bad timeout", Config{Name: "h", Type: TypeWebhook, URL: "http://x", Timeout: "soon"}, []string{"timeout"}},
		{"timeout beyond the claim", Config{Name: "h", Type: TypeWebhook, URL: "http://x", Timeout: "5m"}, []string{"timeout"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fields := c.cfg.Validate()
			var paths []string
			for _, f := range fields {
				paths = append(paths, f.Path)
			}
			if strings.Join(paths, ",") != strings.Join(c.want, ",") {
				t.Fatalf("paths %v, want %v (%v)", paths, c.want, fields)
			}
			_, err := New(c.cfg)
			var inv *apperr.Invalid
			if (len(c.want) > 0) != errors.As(err, &inv) {
				t.Fatalf("New: %v", err)
			}
		})
	}
	t.Run("template error names the problem", func(t *testing.T) {
		f := email(func(c *Config) { c.Templates.Body = "{{.Servce}}" }).Validate()
		if len(f) != 1 || !strings.Contains(f[0].Msg, "Servce") {
			t.Fatalf("%v", f)
		}
	})
}

func TestSMTPModeDefaults(t *testing.T) {
	for _, c := range []struct {
		in   SMTPConfig
		mode string
		port int
	}{
		{SMTPConfig{}, SMTPTLSStartTLS, 587},
		{SMTPConfig{Port: 587}, SMTPTLSStartTLS, 587},
		{SMTPConfig{Port: 465}, SMTPTLSImplicit, 465},
		{SMTPConfig{TLS: "tls"}, SMTPTLSImplicit, 465},
		{SMTPConfig{TLS: "none"}, SMTPTLSNone, 25},
		{SMTPConfig{Port: 25}, SMTPTLSStartTLS, 25},
		{SMTPConfig{Port: 2525, TLS: "none"}, SMTPTLSNone, 2525},
	} {
		if mode, port := smtpMode(c.in); mode != c.mode || port != c.port {
			t.Errorf("%+v: %s %d, want %s %d", c.in, mode, port, c.mode, c.port)
		}
	}
}

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestOutboundPolicyRefusesChannels sends through every kind of channel to
// a receiver on 127.0.0.1 under a policy that denies loopback: the send
// fails at once, permanently, with the policy's reason and without the
// URL's secrets, and the receiver sees nothing. allow_link_local lifts only
// the metadata refusal, not the policy.
func TestOutboundPolicyRefusesChannels(t *testing.T) {
	rc := newReceiver(t, nil)
	box := startMailbox(t, &mailbox{}, nil, false)
	loopback, err := probe.ParseRule("loopback")
	if err != nil {
		t.Fatal(err)
	}
	policy := probe.NewPolicy([]probe.Rule{loopback}, nil, false)
	const reason = "address 127.0.0.1 refused by the outbound policy (deny loopback 127.0.0.0/8)"
	for _, c := range []Config{
		{Name: "hook", Type: TypeWebhook, URL: rc.URL + "/hook/s3cretPathToken", Secret: secret.New("hmac-key-1234")},
		{Name: "slack", Type: TypeSlack, URL: rc.URL + "/services/T000/B000/s3cretSlackToken"},
		{Name: "teams", Type: TypeTeams, URL: rc.URL + "/workflows/s3cretTeamsToken"},
		{Name: "ntfy", Type: TypeNtfy, URL: rc.URL, Topic: "s3cretTopic"},
		{Name: "linklocal", Type: TypeWebhook, URL: rc.URL + "/hook", AllowLinkLocal: true},
		{Name: "mail", Type: TypeEmail, To: []string{"a@example.com"}, SMTP: SMTPConfig{Host: box.host, Port: box.port, TLS: SMTPTLSNone}},
	} {
		t.Run(c.Name, func(t *testing.T) {
			c.Timeout = "2s"
			if fields := c.Validate(); len(fields) > 0 {
				t.Fatalf("Validate: %v", fields)
			}
			ch, err := NewWith(c, policy)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			start := time.Now()
			err = ch.Send(context.Background(), testMessage())
			if err == nil || !strings.Contains(err.Error(), reason) {
				t.Fatalf("err = %v, want one saying %q", err, reason)
			}
			if time.Since(start) > time.Second {
				t.Fatalf("refusal took %v", time.Since(start))
			}
			if !IsPermanent(err) {
				t.Fatalf("err = %v: a refused address is not worth a retry", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("err shows a secret: %v", err)
			}
		})
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) > 0 {
		t.Fatalf("the receiver got %d requests", len(rc.got))
	}
	box.mu.Lock()
	defer box.mu.Unlock()
	if len(box.mail) > 0 {
		t.Fatalf("the mailbox got %d messages", len(box.mail))
	}
}
