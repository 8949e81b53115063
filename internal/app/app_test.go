package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// server runs the whole Sextant server in-process on 127.0.0.1:0.
type server struct {
	t     *testing.T
	app   *app.App
	base  string
	out   *bytes.Buffer
	token string
}

func start(t *testing.T, e storetest.Engine, o app.Options) *server {
	t.Helper()
	dsn, dir := e.DSN(t)
	if o.DataDir == "" {
		o.DataDir = dir
	}
	o.Database, o.Listen, o.Version = dsn, "127.0.0.1:0", "test"
	// The server's log is kept and shown when the test fails (or always,
	// with SEXTANT_TEST_LOG set), so a failure explains itself.
	logs := &lockedBuffer{}
	var logTo io.Writer = logs
	if os.Getenv("SEXTANT_TEST_LOG") != "" {
		logTo = os.Stderr
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	out := &bytes.Buffer{}
	o.Out = out
	a, err := app.New(context.Background(), o)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		a.Close()
	})
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	s := &server{t: t, app: a, base: "http://" + a.Addr(), out: out}
	// Replicas of one test share the database, and each makes its token.
	tokenName := "admin-token"
	if o.ReplicaID != "" {
		tokenName += "-" + o.ReplicaID
	}
	secret, _, err := a.Auth().CreateToken(context.Background(), "test", tokenName, "admin")
	if err != nil {
		t.Fatal(err)
	}
	s.token = secret
	return s
}

func (s *server) do(method, path string, auth bool) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, nil)
	if auth {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDemoServer(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e, app.Options{Demo: true})
			// How to sign in was printed, and the password works.
			m := regexp.MustCompile(`sign in as "admin" with the password (\S+)`).FindStringSubmatch(s.out.String())
			if m == nil {
				t.Fatalf("start-up output lacks the admin password:\n%s", s.out)
			}
			if !strings.Contains(s.out.String(), "Sextant is running at http://127.0.0.1:") {
				t.Fatalf("start-up output lacks the URL:\n%s", s.out)
			}
			if _, _, err := s.app.Auth().Login(context.Background(), "admin", m[1], "127.0.0.1"); err != nil {
				t.Fatalf("printed password does not work: %v", err)
			}
			code, body := s.do("GET", "/api/v1/services?limit=1000", true)
			if code != 200 || !strings.Contains(body, `"payroll"`) || !strings.Contains(body, `"source": "file"`) {
				t.Fatalf("services: %d %s", code, body)
			}
			for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/login": 200} {
				if code, _ := s.do("GET", path, false); code != want {
					t.Errorf("GET %s = %d, want %d", path, code, want)
				}
			}
			if code, _ := s.do("GET", "/metrics", false); code != 401 {
				t.Errorf("anonymous /metrics = %d, want 401", code)
			}
			code, body = s.do("GET", "/metrics", true)
			if code != 200 || !strings.Contains(body, "sextant_services 7") || !strings.Contains(body, "sextant_config_reloads_total 1") {
				t.Errorf("/metrics = %d:\n%s", code, body)
			}
			// The demo has history: the shop breaches its objective, and an
			// incident is open on the payment gateway.
			var rep struct {
				Compliance struct {
					Met      bool
					Breaches []string
				}
			}
			s.json("GET", "/api/v1/services/shop/report", "", &rep)
			if rep.Compliance.Met || len(rep.Compliance.Breaches) == 0 {
				t.Errorf("demo shop report: %+v", rep)
			}
			var open struct{ Items []map[string]any }
			s.json("GET", "/api/v1/incidents?status=open", "", &open)
			if len(open.Items) != 1 || open.Items[0]["service"] != "payments" {
				t.Errorf("demo incidents: %+v", open.Items)
			}
			// Signed in with the printed password, the UI shows the demo
			// catalog and its breach.
			sid, _, err := s.app.Auth().Login(context.Background(), "admin", m[1], "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			for path, want := range map[string][]string{
				"/services": {`href="/services/payroll"`, `href="/services/shop"`, `href="/services/database"`},
				"/":         {"breached", "Card authorisations failing for one acquirer"},
			} {
				req, _ := http.NewRequest("GET", s.base+path, nil)
				req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: sid})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				page, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				for _, w := range want {
					if !strings.Contains(string(page), w) {
						t.Errorf("GET %s (signed in) lacks %q", path, w)
					}
				}
			}
			// The public status page is linked from every page's footer.
			if _, page := s.do("GET", "/login", false); !strings.Contains(page, `href="/status">Public status page`) {
				t.Errorf("no link to the status page in the footer")
			}
			code, body = s.do("GET", "/", false)
			if code != 200 || !strings.Contains(body, "Sign in") {
				t.Errorf("GET / without a session should end on the sign-in page: %d", code)
			}
		})
	}
}

func TestReloadKeepsRunningConfigOnError(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sextant.yaml")
			write := func(s string) {
				if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("services:\n  - name: database\n    objective: {availability: 99.9%}\n")
			logs := &lockedBuffer{}
			s := start(t, e, app.Options{ConfigPath: path, DataDir: dir, Log: slog.New(slog.NewTextHandler(logs, nil))})
			write("services:\n  - name: database\n    objective: {availability: 199%}\n  - name: shop\n    depends_on: [{service: nowhere}]\n")
			code, body := s.do("POST", "/api/v1/config/reload", true)
			if code != 422 || !strings.Contains(body, `"line":3`) || !strings.Contains(body, "199%") || !strings.Contains(body, "nowhere") {
				t.Fatalf("bad reload: %d %s", code, body)
			}
			if !strings.Contains(logs.String(), "config rejected; keeping the running config") {
				t.Errorf("the log does not say the running config stays:\n%s", logs)
			}
			if _, body := s.do("GET", "/api/v1/services", true); strings.Contains(body, "shop") || !strings.Contains(body, "99.9%") {
				t.Fatalf("a bad reload changed the catalog: %s", body)
			}
			write("services:\n  - name: database\n    objective: {availability: 99.95%}\n  - name: shop\n    depends_on: [{service: database}]\n")
			code, body = s.do("POST", "/api/v1/config/reload", true)
			var ch struct{ Created, Updated int }
			_ = json.Unmarshal([]byte(body), &ch)
			if code != 200 || ch.Created != 1 || ch.Updated != 1 {
				t.Fatalf("good reload: %d %s", code, body)
			}
		})
	}
}

// TestBadConfigStopsStart: a server does not start on a file with problems;
// it lists them with line and column and says it did not start. Nothing
// runs yet, so its log does not claim to keep a running config.
func TestBadConfigStopsStart(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"a field that does not exist", "services:\n  - name: x\n    colour: red\n", []string{"3:5", "colour"}},
		{"an objective out of range", "services:\n  - name: x\n    objective: {availability: 199%}\n", []string{"3:", "199%"}},
		{"not YAML", "services: [\n", []string{"bad.yaml:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			logs := &lockedBuffer{}
			_, err := app.New(context.Background(), app.Options{ConfigPath: path, DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(logs, nil))})
			if err == nil || !strings.Contains(err.Error(), "config rejected, so the server did not start") {
				t.Fatalf("New with a bad file = %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q: %v", w, err)
				}
			}
			var p *config.Problems
			if !errors.As(err, &p) || len(p.Errors) == 0 {
				t.Errorf("the error does not carry the problems: %#v", err)
			}
			if strings.Contains(logs.String(), "keeping the running config") {
				t.Errorf("the log claims a running config:\n%s", logs)
			}
		})
	}
}

// lockedBuffer is a buffer the server's goroutines may log to at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
