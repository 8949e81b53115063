package web

import (
	"context"
	"database/sql"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// testPassword is every test user's password.
const testPassword = "correct horse battery"

// env is a UI over a real database, with a user of each role.
type env struct {
	t         *testing.T
	handler   http.Handler
	catalog   *catalog.Store
	auth      *auth.Service
	outages   *timeline.Store
	checks    *monitor.Store
	monitor   *monitor.Monitor
	db        *store.DB
	engine    *incident.Engine
	incidents *incident.Store
	signer    *incident.Signer
	ui        *UI
}

// newEnv builds the UI; each opt may change its Deps first.
func newEnv(t *testing.T, db *store.DB, opts ...func(*Deps)) *env {
	t.Helper()
	e := &env{t: t, catalog: catalog.NewStore(db, nil), auth: auth.NewService(db, nil), outages: timeline.NewStore(db, nil), checks: monitor.NewStore(db, nil)}
	e.monitor = monitor.New(monitor.Options{DB: db, Checks: e.checks, Timeline: e.outages})
	if err := e.monitor.Load(context.Background()); err != nil {
		t.Fatalf("load monitor: %v", err)
	}
	e.db = db
	e.engine = &incident.Engine{Timeline: e.outages, Now: time.Now}
	e.engine.Configure(incident.Setup{})
	e.incidents = &incident.Store{DB: db, Engine: e.engine}
	signer, err := incident.LoadSigner(context.Background(), db)
	if err != nil {
		t.Fatalf("load signer: %v", err)
	}
	e.signer = signer
	outbox := &notify.Outbox{DB: db}
	deps := Deps{Auth: e.auth, Catalog: e.catalog, Outages: e.outages, Reports: timeline.NewReporter(e.catalog, e.outages, nil),
		Monitor: e.monitor, Checks: e.checks, Incidents: e.incidents, Signer: e.signer, Deliveries: outbox.Deliveries, Version: "test",
		Setup: testSetup(db, e.catalog),
		Audit: func(ctx context.Context, f audit.Filter, p store.Page) ([]audit.Entry, string, error) {
			return audit.List(ctx, db, f, p)
		}}
	for _, o := range opts {
		o(&deps)
	}
	ui, err := New(deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	e.handler, e.ui = mux, ui
	for _, u := range []struct {
		name string
		role auth.Role
	}{{"olivia", auth.Operator}, {"victor", auth.Viewer}, {"agnes", auth.Agent}, {"ada", auth.Admin}} {
		if _, err := e.auth.CreateUser(context.Background(), "test", auth.NewUser{Name: u.name, Password: testPassword, Role: u.role}); err != nil {
			t.Fatalf("create user %s: %v", u.name, err)
		}
	}
	return e
}

// session is a signed-in user.
type session struct {
	cookie *http.Cookie
	csrf   string
}

// login starts a session for name directly through the auth service.
func (e *env) login(name string) session {
	e.t.Helper()
	id, p, err := e.auth.Login(context.Background(), name, testPassword, "192.0.2.1")
	if err != nil {
		e.t.Fatalf("login %s: %v", name, err)
	}
	return session{cookie: &http.Cookie{Name: httpapi.SessionCookie, Value: id}, csrf: p.CSRF}
}

// do sends a request and returns the response with its body read.
func (e *env) do(req *http.Request, s *session) (*http.Response, string) {
	e.t.Helper()
	if s != nil {
		req.AddCookie(s.cookie)
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (e *env) get(path string, s *session) (*http.Response, string) {
	return e.do(httptest.NewRequest(http.MethodGet, path, nil), s)
}

// post submits a form; the session's CSRF token is added unless form
// already has a "csrf" entry.
func (e *env) post(path string, form url.Values, s *session) (*http.Response, string) {
	if form == nil {
		form = url.Values{}
	}
	if s != nil && !form.Has("csrf") {
		form.Set("csrf", s.csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req, s)
}

// putService stores a service directly, for setting up a test.
func (e *env) putService(s catalog.Service) {
	e.t.Helper()
	if _, err := e.catalog.PutService(context.Background(), "test", s, catalog.MustCreate); err != nil {
		e.t.Fatalf("put service %s: %v", s.Name, err)
	}
}

// putCheck stores a check directly and has the monitor load it.
func (e *env) putCheck(c monitor.Check) monitor.StoredCheck {
	e.t.Helper()
	sc, err := e.checks.Put(context.Background(), "test", c, catalog.MustCreate)
	if err != nil {
		e.t.Fatalf("put check %s: %v", c.Name, err)
	}
	if err := e.monitor.Load(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return sc
}

// record feeds results to the monitor, for a check's state and history.
func (e *env) record(results ...monitor.Result) {
	e.t.Helper()
	if err := e.monitor.Record(context.Background(), results); err != nil {
		e.t.Fatalf("record: %v", err)
	}
}

func wantStatus(t *testing.T, res *http.Response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("status %d, want %d", res.StatusCode, want)
	}
}

func wantContains(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("page does not contain %q", p)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", body)
	}
}

func wantNotContains(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(body, p) {
			t.Errorf("page contains %q", p)
		}
	}
}

// hiddenValue returns the value of the hidden input named name.
func hiddenValue(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<input type="hidden" name="` + regexp.QuoteMeta(name) + `" value="([^"]*)">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no hidden input %q in page:\n%s", name, body)
	}
	return html.UnescapeString(m[1])
}

func cookieNamed(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// trigger opens an incident (or adds to the open one with the same key)
// through the engine, as an alert event would, and returns its id.
func (e *env) trigger(service, dedup, summary string) int64 {
	e.t.Helper()
	return e.triggerWith(incident.Event{Integration: "x", Action: incident.ActionTrigger, DedupKey: dedup,
		Service: service, Summary: summary, Source: "s", Severity: "critical", Body: []byte("{}")})
}

// triggerWith applies one event in a transaction and returns the id of the
// incident it opened or changed.
func (e *env) triggerWith(ev incident.Event) int64 {
	e.t.Helper()
	var out []incident.Outcome
	err := e.db.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		out, _, err = e.engine.Apply(context.Background(), tx, []incident.Event{ev})
		return err
	})
	if err != nil {
		e.t.Fatalf("apply %s to %s/%s: %v", ev.Action, ev.Service, ev.DedupKey, err)
	}
	return out[0].IncidentID
}

// serviceForm returns a complete, valid form for a new service.
func validServiceForm(name string) url.Values {
	return url.Values{
		"name":                   {name},
		"title":                  {"Payroll"},
		"owner":                  {"finance-it"},
		"tier":                   {"2"},
		"description":            {"Pays people."},
		"depends_on[0].service":  {""},
		"depends_on[0].kind":     {"hard"},
		"objective.availability": {"99.5%"},
		"objective.hours":        {""},
		"objective.period":       {"month"},
		"objective.max_outage":   {"30m"},
		"objective.max_outages":  {"3"},
		"maintenance[0].start":   {""},
		"maintenance[0].end":     {""},
		"maintenance[0].rrule":   {""},
	}
}
