package app_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// inbox is a real SMTP server (go-smtp) on a loopback port keeping what it
// receives.
type inbox struct {
	mu   sync.Mutex
	mail []string
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &inboxSession{box: b}, nil }

type inboxSession struct {
	box *inbox
	to  string
}

func (s *inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *inboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *inboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.mu.Lock()
	s.box.mail = append(s.box.mail, "To-Envelope: "+s.to+"\r\n"+string(b))
	s.box.mu.Unlock()
	return nil
}
func (s *inboxSession) Reset()        {}
func (s *inboxSession) Logout() error { return nil }

func (b *inbox) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.mail...)
}

func startInbox(t *testing.T) (*inbox, int) {
	t.Helper()
	box := &inbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return box, ln.Addr().(*net.TCPAddr).Port
}

// unfold undoes quoted-printable soft breaks and header folding enough to
// find links in a message.
func unfold(m string) string {
	m = strings.ReplaceAll(m, "=\r\n", "")
	m = strings.ReplaceAll(m, "=3D", "=")
	return m
}

var linkRE = regexp.MustCompile(`http://[^\s>]+/status/main/subscription/\d+/(confirm|unsubscribe)\?sig=[0-9a-f]+`)

// TestStatusPageSubscriptions walks e-mail subscription end to end on the
// real server with a real SMTP server: the form answers alike whatever is
// stored, nothing is sent before the signed confirmation link is opened,
// a public note reaches the subscriber through the outbox (public words
// only, with List-Unsubscribe), an internal note does not, and after the
// one-click unsubscribe nothing more is sent.
func TestStatusPageSubscriptions(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			box, port := startInbox(t)
			t.Setenv("ROUTING_KEY", routingKey)
			dir := t.TempDir()
			cfg := filepath.Join(dir, "sextant.yaml")
			if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`services:
  - {name: payroll, objective: {availability: 99.5%%}}
integrations:
  - {name: prometheus, kind: events, key: "${ROUTING_KEY}", service: payroll}
mail: {from: status@example.com, smtp: {host: 127.0.0.1, port: %d, tls: none}}
status_pages:
  - name: main
    title: Example status
    groups: [{title: Apps, services: [payroll]}]
    display_names: {payroll: Payroll portal}
`, port)), 0o600); err != nil {
				t.Fatal(err)
			}
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			page := func() string {
				res, err := http.Get(s.base + "/status/main")
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return string(b)
			}
			if p := page(); !strings.Contains(p, `action="/status/main/subscribe"`) {
				t.Fatalf("no subscribe form on the page:\n%s", p)
			}
			subscribe := func(email string) (int, string) {
				res, err := http.PostForm(s.base+"/status/main/subscribe", url.Values{"email": {email}})
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}

			t.Run("bad addresses are named", func(t *testing.T) {
				for _, c := range []struct{ name, email, want string }{
					{"empty", "", "is required"},
					{"not an address", "reader at example", "is not an e-mail address"},
				} {
					t.Run(c.name, func(t *testing.T) {
						code, body := subscribe(c.email)
						if code != 400 || !strings.Contains(body, c.want) || !strings.Contains(body, `aria-invalid="true"`) {
							t.Errorf("got %d:\n%s", code, body)
						}
					})
				}
			})

			code, first := subscribe("Reader@Example.com")
			if code != 200 || !strings.Contains(first, "Check your inbox") {
				t.Fatalf("subscribe: %d\n%s", code, first)
			}
			waitUntil(t, "the confirmation mail", 5*time.Second, func() bool { return len(box.all()) == 1 })
			confirm := linkRE.FindString(unfold(box.all()[0]))
			if !strings.Contains(confirm, "/confirm?") || !strings.Contains(box.all()[0], "reader@example.com") {
				t.Fatalf("confirmation mail:\n%s", box.all()[0])
			}

			// Nothing is sent before confirming: a public note now reaches nobody.
			id := triggerIncident(t, s, "before")
			if code := s.json("POST", fmt.Sprintf("/api/v1/incidents/%d/notes", id), `{"text":"Public: early words"}`, nil); code != 200 {
				t.Fatalf("note: %d", code)
			}

			if res, _ := http.Get(strings.Replace(confirm, "sig=", "sig=00", 1)); res.StatusCode != 404 {
				t.Errorf("a confirm link with a wrong signature: %d, want 404", res.StatusCode)
			}
			res, err := http.Get(confirm)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("confirm: %v %v", err, res)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !strings.Contains(string(b), "You are subscribed") {
				t.Fatalf("confirm page:\n%s", b)
			}
			// Subscribing again answers the same and sends nothing.
			if code, again := subscribe("Reader@Example.com"); code != 200 || again != first {
				t.Errorf("a second subscription answered differently: %d\n%s", code, again)
			}

			if code := s.json("POST", fmt.Sprintf("/api/v1/incidents/%d/notes", id), `{"text":"Only for us: the database is full"}`, nil); code != 200 {
				t.Fatalf("internal note: %d", code)
			}
			if code := s.json("POST", fmt.Sprintf("/api/v1/incidents/%d/notes", id), `{"text":"Public: Payslips are delayed; we are on it."}`, nil); code != 200 {
				t.Fatalf("public note: %d", code)
			}
			waitUntil(t, "the update mail", 5*time.Second, func() bool { return len(box.all()) >= 2 })
			time.Sleep(1500 * time.Millisecond)
			all := box.all()
			if len(all) != 2 {
				t.Fatalf("%d mails, want the confirmation and one update:\n%s", len(all), strings.Join(all, "\n----\n"))
			}
			update := unfold(all[1])
			msg, err := netmail.ReadMessage(strings.NewReader(strings.SplitN(all[1], "\r\n", 2)[1]))
			if err != nil {
				t.Fatal(err)
			}
			if h := msg.Header.Get("List-Unsubscribe"); !linkRE.MatchString(h) || !strings.HasPrefix(h, "<") {
				t.Errorf("List-Unsubscribe: %q", h)
			}
			if h := msg.Header.Get("List-Unsubscribe-Post"); h != "List-Unsubscribe=One-Click" {
				t.Errorf("List-Unsubscribe-Post: %q", h)
			}
			for _, want := range []string{"Payslips are delayed; we are on it.", "Payroll portal"} {
				if !strings.Contains(update, want) {
					t.Errorf("the update lacks %q:\n%s", want, update)
				}
			}
			for _, leak := range []string{"database is full", "early words", "payroll before"} {
				if strings.Contains(update, leak) {
					t.Errorf("the update carries %q:\n%s", leak, update)
				}
			}
			unsubscribe := linkRE.FindString(strings.SplitN(update, "\r\n\r\n", 2)[1])
			if !strings.Contains(unsubscribe, "/unsubscribe?") {
				t.Fatalf("no unsubscribe link in:\n%s", update)
			}
			// The link shows a button; the one-click POST unsubscribes.
			res, _ = http.Get(unsubscribe)
			b, _ = io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(b), "<button type=\"submit\">Unsubscribe</button>") {
				t.Fatalf("unsubscribe page: %d\n%s", res.StatusCode, b)
			}
			res, err = http.Post(unsubscribe, "application/x-www-form-urlencoded", bytes.NewReader([]byte("List-Unsubscribe=One-Click")))
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("one-click unsubscribe: %v %v", err, res)
			}
			res.Body.Close()

			// A webhook subscriber, added through the API, gets the next
			// update signed with its secret.
			const hookSecret = "0123456789abcdef-hook"
			var mu sync.Mutex
			var posted []string
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if err := notify.VerifyWebhook([]byte(hookSecret), r.Header.Get(notify.TimestampHeader), r.Header.Get(notify.SignatureHeader), b, time.Now(), time.Minute); err != nil {
					t.Errorf("webhook signature: %v", err)
				}
				mu.Lock()
				posted = append(posted, string(b))
				mu.Unlock()
			}))
			defer recv.Close()
			t.Run("webhook subscribers: bad input names each field", func(t *testing.T) {
				var p map[string]any
				code := s.json("POST", "/api/v1/status-pages/main/webhooks", `{"url":"ftp://x","secret":"short"}`, &p)
				if code != 400 || !strings.Contains(fmt.Sprint(p), "/url") || !strings.Contains(fmt.Sprint(p), "/secret") {
					t.Errorf("got %d %v", code, p)
				}
				if code := s.json("POST", "/api/v1/status-pages/nope/webhooks", `{"url":"http://x","secret":"0123456789abcdef"}`, nil); code != 404 {
					t.Errorf("unknown page: %d", code)
				}
			})
			var hook struct{ ID int64 }
			if code := s.json("POST", "/api/v1/status-pages/main/webhooks", fmt.Sprintf(`{"url":%q,"secret":%q}`, recv.URL+"/hook", hookSecret), &hook); code != 201 {
				t.Fatalf("add webhook: %d", code)
			}
			var listed []map[string]any
			if code := s.json("GET", "/api/v1/status-pages/main/webhooks", "", &listed); code != 200 || len(listed) != 1 || strings.Contains(fmt.Sprint(listed), hookSecret) {
				t.Errorf("list: %d %v", code, listed)
			}

			if code := s.json("POST", fmt.Sprintf("/api/v1/incidents/%d/notes", id), `{"text":"Public: fixed"}`, nil); code != 200 {
				t.Fatalf("note: %d", code)
			}
			waitUntil(t, "the webhook delivery", 5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(posted) == 1 })
			mu.Lock()
			got := posted[0]
			mu.Unlock()
			for _, want := range []string{`"event":"public_update"`, `"page":"main"`, `"service":"Payroll portal"`, `"text":"fixed"`} {
				if !strings.Contains(got, want) {
					t.Errorf("the delivery lacks %s: %s", want, got)
				}
			}
			time.Sleep(500 * time.Millisecond)
			if n := len(box.all()); n != 2 {
				t.Errorf("%d mails after unsubscribing, want still 2", n)
			}
			if code := s.json("DELETE", fmt.Sprintf("/api/v1/status-pages/main/webhooks/%d", hook.ID), "", nil); code != 204 {
				t.Errorf("remove webhook: %d", code)
			}

			// The form takes PerIP requests an hour from one address (this
			// test has sent four); then it says to come back later.
			t.Run("one address is limited", func(t *testing.T) {
				code, body, n := 0, "", 0
				for n = 0; n < 20 && code != http.StatusTooManyRequests; n++ {
					code, body = subscribe(fmt.Sprintf("many%d@example.com", n))
				}
				if code != http.StatusTooManyRequests || n != 7 || !strings.Contains(body, "Try again in an hour") {
					t.Fatalf("request %d: %d\n%s", n, code, body)
				}
			})
		})
	}
}

func triggerIncident(t *testing.T, s *server, dedup string) int64 {
	t.Helper()
	body := fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":%q,"payload":{"summary":"payroll %s","source":"x","severity":"error"}}`, routingKey, dedup, dedup)
	res, err := http.Post(s.base+"/v2/enqueue", "application/json", strings.NewReader(body))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("event: %v %v", err, res)
	}
	res.Body.Close()
	var list struct{ Items []struct{ ID int64 } }
	waitUntil(t, "the incident", 5*time.Second, func() bool {
		s.json("GET", "/api/v1/incidents?dedup_key="+dedup, "", &list)
		return len(list.Items) == 1
	})
	return list.Items[0].ID
}
