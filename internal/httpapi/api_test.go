package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/sextant-ops/sextant/internal/capacity"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/postmortem"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// testNow is the API's clock in these tests: reports judge the past as of
// this instant.
var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// harness is an API over a real database with one token per role.
type harness struct {
	t      *testing.T
	srv    *httptest.Server
	api    *httpapi.API
	tokens map[auth.Role]string
	cat    *catalog.Store
	checks *monitor.Store
	mon    *monitor.Monitor
	engine *incident.Engine
	// knownErrors and postmortems back the post-mortem and known-error
	// routes; the engine matches new incidents with knownErrors.
	knownErrors *knownerror.Store
	postmortems *postmortem.Store
	// capacitySources are what the capacity routes read from the rest of
	// the server; a test sets them.
	capacitySources capacity.Sources
	auth            *auth.Service
	// cmdb keeps configuration items; the reporter follows them.
	cmdb *cmdb.Store
	// desk backs the ticket routes, on the clock deskNow (testNow until a
	// test moves it).
	desk    *desk.Store
	deskNow *atomic.Int64
	// feedback keeps surveys (due when the desk resolves) and ratings, on
	// the desk's clock.
	feedback *feedback.Store
	// sessions are signed-in users by the "role" do is called with: the
	// requester role's user, and the portal tests' requesters by name.
	sessions map[string]apiSession
	// portal serves the requester routes over desk.
	portal *portal.Store
	// licences reports on the CMDB's licences; people are the users, and
	// licenceCfg its settings.
	licences   *cmdb.Licences
	licenceCfg *atomic.Pointer[cmdb.LicenceConfig]
}

// apiSession is a signed-in user's session cookie and CSRF token.
type apiSession struct{ id, csrf string }

// signIn creates a user of role in organisation and signs it in; do sends
// its session when called with as (a role name or a user's name).
func (h *harness) signIn(ctx context.Context, role auth.Role, as, organisation string) {
	h.t.Helper()
	if _, err := h.auth.CreateUser(ctx, "test", auth.NewUser{Name: as, Password: "correct horse battery", Role: role,
		Email: as + "@example.com", Organisation: organisation}); err != nil {
		h.t.Fatal(err)
	}
	id, p, err := h.auth.Login(ctx, as, "correct horse battery", "192.0.2.9")
	if err != nil {
		h.t.Fatal(err)
	}
	if h.sessions == nil {
		h.sessions = map[string]apiSession{}
	}
	h.sessions[as] = apiSession{id: id, csrf: p.CSRF}
}

func newHarness(t *testing.T, db *store.DB) *harness {
	t.Helper()
	ctx := context.Background()
	a := auth.NewService(db, nil)
	h := &harness{t: t, tokens: map[auth.Role]string{}, cat: catalog.NewStore(db, nil), auth: a}
	for _, r := range auth.Roles {
		if r == auth.Requester {
			// Requesters have no tokens: they sign in, and the harness
			// sends their session cookie with its CSRF header.
			h.signIn(ctx, r, "t-"+string(r), "")
			h.sessions[string(r)] = h.sessions["t-"+string(r)]
			continue
		}
		nt := auth.NewToken{Name: "t-" + string(r), Role: r}
		if r == auth.Agent {
			nt.Location = "paris"
		}
		secret, _, err := a.IssueToken(ctx, "test", nt)
		if err != nil {
			t.Fatal(err)
		}
		h.tokens[r] = secret
	}
	outages := timeline.NewStore(db, nil)
	h.checks = monitor.NewStore(db, nil)
	h.mon = monitor.New(monitor.Options{DB: db, Checks: h.checks, Timeline: outages})
	if err := h.mon.Load(ctx); err != nil {
		t.Fatal(err)
	}
	h.engine = &incident.Engine{Timeline: outages, Now: time.Now}
	h.engine.Configure(incident.Setup{})
	ingest := &incident.Ingester{DB: db, Engine: h.engine}
	ictx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	ingest.Start(ictx)
	reporter := timeline.NewReporter(h.cat, outages, func() time.Time { return testNow })
	h.cmdb = cmdb.NewStore(db, h.cat, h.checks, reporter, nil)
	reporter.SetItems(h.cmdb)
	h.licenceCfg = &atomic.Pointer[cmdb.LicenceConfig]{}
	h.licences = &cmdb.Licences{CMDB: h.cmdb, Now: func() time.Time { return testNow }, Currency: func() string { return "EUR" },
		Person: func(ctx context.Context, name string) bool { _, err := a.GetUser(ctx, name); return err == nil },
		Config: func() cmdb.LicenceConfig {
			if c := h.licenceCfg.Load(); c != nil {
				return *c
			}
			return cmdb.LicenceConfig{}
		}}
	h.knownErrors = knownerror.NewStore(db, nil, nil)
	h.engine.KnownError = h.knownErrors.Match
	h.postmortems = postmortem.NewStore(db, reporter, nil)
	h.deskNow = &atomic.Int64{}
	h.deskNow.Store(testNow.UnixMilli())
	h.desk = desk.NewStore(db, h.cat, func() time.Time { return time.UnixMilli(h.deskNow.Load()).UTC() })
	h.feedback = feedback.NewStore(db, h.cat, signed.New([]byte("test link key")), nil, h.desk.Now)
	h.desk.OnResolved = h.feedback.OnResolved
	h.portal = &portal.Store{DB: db, Desk: h.desk, Auth: a, Catalog: h.cat, KnownErrors: h.knownErrors,
		Now: func() time.Time { return time.UnixMilli(h.deskNow.Load()).UTC() }}
	h.api = httpapi.New(httpapi.Deps{Auth: a, Catalog: h.cat, DB: db, Outages: outages, Portal: h.portal,
		Reporter: reporter, Postmortems: h.postmortems, Desk: h.desk, KnownErrors: h.knownErrors,
		Checks: h.checks, Monitor: h.mon, Version: "test",
		Engine: h.engine, Ingest: ingest, Incidents: &incident.Store{DB: db, Engine: h.engine},
		KnownService: func(name string) bool { _, err := h.cat.GetService(ctx, name); return err == nil },
		OnCall:       noOnCall{}, Setup: testSetup(db, h.cat), CMDB: h.cmdb, Licences: h.licences, Feedback: h.feedback,
		Changes: &change.Store{DB: db, Now: func() time.Time { return testNow }, Rules: func() change.Rules { r, _ := change.Config{}.Compile(); return r }},
		Capacity: &capacity.Deps{Store: &capacity.Store{DB: db, Now: func() time.Time { return testNow }},
			Sources: func() capacity.Sources { return h.capacitySources }, Known: h.capacityKnown}})
	mux := http.NewServeMux()
	h.api.Register(mux)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

// do sends a request as role ("" for none) and returns status and body.
// capacityKnown knows the users and the catalog's services and calendars.
func (h *harness) capacityKnown(ctx context.Context) capacity.Known {
	return capacity.Known{
		Person:   func(name string) bool { _, err := h.auth.GetUser(ctx, name); return err == nil },
		Service:  func(name string) bool { _, err := h.cat.GetService(ctx, name); return err == nil },
		Calendar: func(name string) bool { _, err := h.cat.GetCalendar(ctx, name); return err == nil },
	}
}

func (h *harness) do(role auth.Role, method, path, body string) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if s, ok := h.sessions[string(role)]; ok {
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: s.id})
		req.Header.Set("X-CSRF-Token", s.csrf)
	} else if role != "" {
		req.Header.Set("Authorization", "Bearer "+h.tokens[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// The PagerDuty-compatible routes answer in PagerDuty's own format.
	pdFormat := path == "/api/v1/events" || path == "/v2/enqueue" || path == "/v2/change/enqueue"
	if resp.StatusCode >= 400 && !pdFormat && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		h.t.Errorf("%s %s: %d with Content-Type %q, want problem+json", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, b
}

func (h *harness) mustDo(role auth.Role, method, path, body string, want int) []byte {
	h.t.Helper()
	code, b := h.do(role, method, path, body)
	if code != want {
		h.t.Fatalf("%s %s = %d, want %d: %s", method, path, code, want, b)
	}
	return b
}

const officeCalendar = `{"name":"office","timezone":"Europe/Berlin","weekly":[{"days":"mon-fri","from":"09:00","to":"17:00"}],"holidays":["2026-12-25"]}`

const payroll = `{"name":"payroll","title":"Payroll","owner":"hr-it","tier":2,
 "depends_on":[{"service":"database","kind":"hard"}],
 "objective":{"hours":"office","period":"month","availability":"99.5%","max_outage":"30m","max_outages":3,"degraded":0.5,
   "unknown":"up","merge_gap":"5m","min_outage":"1m","downtime_cost":1200,"budget":5000},
 "maintenance":[{"start":"2026-10-10T20:00:00+02:00","end":"2026-10-10T23:00:00+02:00"},
   {"rrule":"FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0","duration":"2h","timezone":"Europe/Berlin"}]}`

func TestServiceLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/calendars", officeCalendar, 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"database","objective":{"hours":"24x7","availability":"99.9%"}}`, 201)
		b := h.mustDo(auth.Operator, "POST", "/api/v1/services", payroll, 201)
		var got catalog.StoredService
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Source != catalog.SourceAPI || got.Objective.Availability != "99.5%" || *got.Objective.MaxOutages != 3 || got.Objective.Degraded != "0.5" {
			t.Fatalf("created service = %+v", got)
		}
		// Read back as a viewer, in a list and alone.
		b = h.mustDo(auth.Viewer, "GET", "/api/v1/services", "", 200)
		var l struct {
			Items []catalog.StoredService `json:"items"`
			Next  *string                 `json:"next"`
		}
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 2 || l.Items[0].Name != "database" || l.Items[1].Name != "payroll" || l.Next != nil {
			t.Fatalf("list = %s", b)
		}
		h.mustDo(auth.Viewer, "GET", "/api/v1/services/payroll", "", 200)
		// Replace, then delete in dependency order.
		h.mustDo(auth.Operator, "PUT", "/api/v1/services/payroll", `{"title":"Payroll 2","objective":{"availability":"99%"}}`, 200)
		b = h.mustDo(auth.Viewer, "GET", "/api/v1/services/payroll", "", 200)
		if !bytes.Contains(b, []byte(`"Payroll 2"`)) {
			t.Fatalf("after PUT: %s", b)
		}
		h.mustDo(auth.Operator, "DELETE", "/api/v1/services/payroll", "", 204)
		h.mustDo(auth.Viewer, "GET", "/api/v1/services/payroll", "", 404)
		// Every change is in the audit log.
		b = h.mustDo(auth.Admin, "GET", "/api/v1/audit?object_type=service&object_id=payroll", "", 200)
		for _, action := range []string{`"create"`, `"update"`, `"delete"`} {
			if !bytes.Contains(b, []byte(action)) {
				t.Errorf("audit log lacks %s: %s", action, b)
			}
		}
	})
}

func TestPaging(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		for _, n := range []string{"a", "b", "c", "d", "e"} {
			h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"`+n+`"}`, 201)
		}
		var names []string
		cursor := ""
		for pages := 0; pages < 10; pages++ {
			b := h.mustDo(auth.Viewer, "GET", "/api/v1/services?limit=2&cursor="+cursor, "", 200)
			var l struct {
				Items []catalog.StoredService `json:"items"`
				Next  *string                 `json:"next"`
			}
			if err := json.Unmarshal(b, &l); err != nil {
				t.Fatal(err)
			}
			for _, s := range l.Items {
				names = append(names, s.Name)
			}
			if l.Next == nil {
				break
			}
			cursor = *l.Next
		}
		if strings.Join(names, ",") != "a,b,c,d,e" {
			t.Fatalf("paged names = %v", names)
		}
		for _, q := range []string{"limit=0", "limit=1001", "limit=x", "cursor=%25%25"} {
			code, b := h.do(auth.Viewer, "GET", "/api/v1/services?"+q, "")
			if code != 400 || !bytes.Contains(b, []byte(`"parameter"`)) {
				t.Errorf("?%s = %d %s, want 400 naming the parameter", q, code, b)
			}
		}
	})
}

// TestBadInput sends mistakes and checks each gets a 4xx problem naming the
// field, and that nothing changed.
func TestBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/calendars", officeCalendar, 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"database","objective":{"availability":"99.9%"}}`, 201)
		cases := []struct {
			name, method, path, body string
			status                   int
			pointer, detail          string
		}{
			{"target above 100%", "POST", "/api/v1/services", `{"name":"x","objective":{"availability":"101%"}}`, 400, "/objective/availability", "outside"},
			{"target zero", "POST", "/api/v1/services", `{"name":"x","objective":{"availability":"0%"}}`, 400, "/objective/availability", "outside"},
			{"missing target", "POST", "/api/v1/services", `{"name":"x","objective":{"hours":"24x7"}}`, 400, "/objective/availability", "required"},
			{"unknown calendar", "POST", "/api/v1/services", `{"name":"x","objective":{"hours":"night","availability":"99%"}}`, 400, "/objective/hours", "unknown calendar"},
			{"bad duration", "POST", "/api/v1/services", `{"name":"x","objective":{"availability":"99%","max_outage":"soon"}}`, 400, "/objective/max_outage", "soon"},
			{"bad rrule", "POST", "/api/v1/services", `{"name":"x","maintenance":[{"rrule":"FREQ=SOMETIMES","duration":"1h"}]}`, 400, "/maintenance/0/rrule", ""},
			{"rrule INTERVAL=0", "POST", "/api/v1/services", `{"name":"x","maintenance":[{"rrule":"FREQ=WEEKLY;INTERVAL=0","duration":"1h"}]}`, 400, "/maintenance/0/rrule", "INTERVAL must be a whole number of at least 1"},
			{"rrule BYHOUR=24", "POST", "/api/v1/services", `{"name":"x","maintenance":[{"rrule":"FREQ=DAILY;BYHOUR=24","duration":"1h"}]}`, 400, "/maintenance/0/rrule", "BYHOUR value"},
			{"rrule never occurs", "POST", "/api/v1/services", `{"name":"x","maintenance":[{"rrule":"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30","duration":"1h"}]}`, 400, "/maintenance/0/rrule", "no occurrence"},
			{"cron never fires", "POST", "/api/v1/checks", `{"name":"nightly","service":"database","type":"heartbeat","cron":"0 0 30 2 *"}`, 400, "/cron", "never fires"},
			{"bad zone", "POST", "/api/v1/services", `{"name":"x","maintenance":[{"rrule":"FREQ=DAILY","duration":"1h","timezone":"Mars/Olympus"}]}`, 400, "/maintenance/0/timezone", "unknown time zone"},
			{"end before start", "POST", "/api/v1/services", `{"name":"x","maintenance":[{"start":"2026-10-10T23:00:00Z","end":"2026-10-10T20:00:00Z"}]}`, 400, "/maintenance/0/end", "after start"},
			{"unknown dependency", "POST", "/api/v1/services", `{"name":"x","depends_on":[{"service":"ghost"}]}`, 400, "/depends_on/0/service", "unknown service"},
			{"bad dependency kind", "POST", "/api/v1/services", `{"name":"x","depends_on":[{"service":"database","kind":"loose"}]}`, 400, "/depends_on/0/kind", "hard"},
			{"bad name", "POST", "/api/v1/services", `{"name":"Pay Roll"}`, 400, "/name", "lower-case"},
			{"unknown field", "POST", "/api/v1/services", `{"name":"x","colour":"red"}`, 400, "/colour", "unknown field"},
			{"wrong type", "POST", "/api/v1/services", `{"name":"x","tier":"high"}`, 400, "/tier", "whole number"},
			{"tier range", "POST", "/api/v1/services", `{"name":"x","tier":9}`, 400, "/tier", "between"},
			{"bad degraded", "POST", "/api/v1/services", `{"name":"x","objective":{"availability":"99%","degraded":1.5}}`, 400, "/objective/degraded", "weight"},
			{"syntax", "POST", "/api/v1/services", `{"name":`, 400, "", "ends"},
			{"empty body", "POST", "/api/v1/services", ``, 400, "", "empty"},
			{"two values", "POST", "/api/v1/services", `{"name":"x"} {}`, 400, "", "single"},
			{"duplicate", "POST", "/api/v1/services", `{"name":"database"}`, 409, "", "already exists"},
			{"rename by PUT", "PUT", "/api/v1/services/database", `{"name":"db"}`, 400, "/name", "differs"},
			{"PUT missing", "PUT", "/api/v1/services/ghost", `{}`, 404, "", "not found"},
			{"self cycle", "PUT", "/api/v1/services/database", `{"depends_on":[{"service":"database"}]}`, 400, "/depends_on/0/service", "itself"},
			{"calendar without windows", "POST", "/api/v1/calendars", `{"name":"empty","timezone":"UTC"}`, 400, "/weekly", "at least one"},
			{"calendar bad day", "POST", "/api/v1/calendars", `{"name":"c","timezone":"UTC","weekly":[{"days":"mon-fry","from":"09:00","to":"17:00"}]}`, 400, "/weekly/0/days", ""},
			{"calendar bad zone", "POST", "/api/v1/calendars", `{"name":"c","timezone":"Europe/Gotham","weekly":[{"days":"mon","from":"09:00","to":"17:00"}]}`, 400, "/timezone", "unknown time zone"},
			{"calendar bad holiday", "POST", "/api/v1/calendars", `{"name":"c","timezone":"UTC","weekly":[{"days":"mon","from":"09:00","to":"17:00"}],"holidays":["25.12.2026"]}`, 400, "/holidays/0", ""},
			{"delete used calendar", "DELETE", "/api/v1/calendars/office", ``, 204, "", ""},
			{"user short password", "POST", "/api/v1/users", `{"name":"bob","password":"short","role":"viewer"}`, 400, "/password", "at least"},
			{"user bad role", "POST", "/api/v1/users", `{"name":"bob","password":"long-enough-1","role":"god"}`, 400, "/role", "unknown role"},
			{"token bad role", "POST", "/api/v1/tokens", `{"name":"ci","role":"root"}`, 400, "/role", "unknown role"},
			{"reload without file", "POST", "/api/v1/config/reload", ``, 409, "", "config file"},
			{"not json", "POST", "/api/v1/services", `name=x`, 400, "", "invalid JSON"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := *h
				h.t = t
				role := auth.Operator
				if strings.Contains(c.path, "/users") || strings.Contains(c.path, "/tokens") || strings.Contains(c.path, "/config") {
					role = auth.Admin
				}
				before := h.mustDo(auth.Admin, "GET", "/api/v1/audit?limit=1000", "", 200)
				code, b := h.do(role, c.method, c.path, c.body)
				if code != c.status {
					t.Fatalf("status %d, want %d: %s", code, c.status, b)
				}
				if code < 400 {
					return
				}
				var p httpapi.Problem
				if err := json.Unmarshal(b, &p); err != nil {
					t.Fatalf("not a problem document: %s", b)
				}
				if p.Status != code || p.Title == "" {
					t.Fatalf("problem = %+v", p)
				}
				if c.pointer != "" {
					found := false
					for _, e := range p.Errors {
						if e.Pointer == c.pointer && strings.Contains(e.Detail, c.detail) {
							found = true
						}
					}
					if !found {
						t.Fatalf("no error at %s mentioning %q: %s", c.pointer, c.detail, b)
					}
				} else if !strings.Contains(string(b), c.detail) {
					t.Fatalf("problem does not mention %q: %s", c.detail, b)
				}
				after := h.mustDo(auth.Admin, "GET", "/api/v1/audit?limit=1000", "", 200)
				if !bytes.Equal(before, after) {
					t.Fatalf("a rejected request changed something (audit log grew)")
				}
			})
		}
	})
}

// TestEveryRouteChecksTheRole walks the whole route table with no
// credentials and with each role.
func TestEveryRouteChecksTheRole(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		for _, rt := range h.api.Routes() {
			path := strings.NewReplacer("{name}", "nothing-here", "{id}", "1", "{token}", "no-such-token", "{signal}", "start", "{integration}", "am", "{attachment}", "1").Replace(rt.Path)
			for _, role := range append([]auth.Role{""}, auth.Roles...) {
				name := rt.Method + " " + rt.Path + " as " + string(role)
				if role == "" {
					name = rt.Method + " " + rt.Path + " anonymously"
				}
				t.Run(name, func(t *testing.T) {
					body := ""
					if rt.Request != nil {
						body = `{}`
					}
					sub := *h
					sub.t = t
					code, b := sub.do(role, rt.Method, path, body)
					switch {
					case rt.KeyAuth:
						// Authenticated by an integration key, not a role:
						// without one it is refused whoever asks.
						if code < 400 || code >= 500 {
							t.Fatalf("key-authenticated route without a key: %d", code)
						}
					case rt.Role == "":
						if code == 401 || code == 403 {
							t.Fatalf("public route answered %d", code)
						}
					case role == "":
						if code != 401 {
							t.Fatalf("no credentials: %d, want 401: %s", code, b)
						}
					case !role.Allows(rt.Role):
						if code != 403 {
							t.Fatalf("role %s on a %s route: %d, want 403: %s", role, rt.Role, code, b)
						}
					default:
						if code == 401 || code == 403 || code >= 500 {
							t.Fatalf("role %s on a %s route: %d: %s", role, rt.Role, code, b)
						}
					}
				})
			}
		}
		// A wrong or revoked token is refused.
		req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/services", nil)
		req.Header.Set("Authorization", "Bearer sxt_not-a-real-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("bogus token: %d", resp.StatusCode)
		}
		h.mustDo(auth.Admin, "DELETE", "/api/v1/tokens/t-viewer", "", 204)
		h.mustDo(auth.Viewer, "GET", "/api/v1/services", "", 401)
	})
}

// TestOpenAPIMatchesRoutes checks the served document lists every route with
// its method, and that every operation in it is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		b := h.mustDo("", "GET", "/api/v1/openapi.json", "", 200)
		var doc struct {
			OpenAPI string                                `json:"openapi"`
			Paths   map[string]map[string]json.RawMessage `json:"paths"`
			Comps   struct {
				Schemas map[string]json.RawMessage `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.OpenAPI != "3.1.0" {
			t.Fatalf("openapi = %q", doc.OpenAPI)
		}
		want := map[string]bool{}
		for _, rt := range h.api.Routes() {
			key := strings.ToLower(rt.Method) + " " + rt.Path
			want[key] = true
			if _, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]; !ok {
				t.Errorf("document lacks %s", key)
			}
		}
		for p, ops := range doc.Paths {
			for m := range ops {
				if !want[m+" "+p] {
					t.Errorf("document has %s %s, which is not served", m, p)
				}
			}
		}
		// Every $ref resolves.
		for _, ref := range bytes.Split(b, []byte(`"$ref": "#/components/schemas/`))[1:] {
			name := string(ref[:bytes.IndexByte(ref, '"')])
			if _, ok := doc.Comps.Schemas[name]; !ok {
				t.Errorf("dangling $ref to %s", name)
			}
		}
		if _, ok := doc.Comps.Schemas["CatalogService"]; !ok {
			t.Errorf("no CatalogService schema; have %v", keys(doc.Comps.Schemas))
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestUnknownAPIPathIsAProblem(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Viewer, "GET", "/api/v1/nothing", "", 404)
		code, _ := h.do(auth.Operator, "PATCH", "/api/v1/services/x", "{}")
		if code != 405 && code != 404 {
			t.Fatalf("PATCH = %d", code)
		}
	})
}

// noOnCall is an empty on-call directory.
type noOnCall struct{}

func (noOnCall) People() []escalation.Person             { return nil }
func (noOnCall) Person(string) (escalation.Person, bool) { return escalation.Person{}, false }
func (noOnCall) Schedules() []oncall.Schedule            { return nil }
func (noOnCall) Policies() []incident.EscalationPolicy   { return nil }
func (noOnCall) Schedule(string) (*oncall.Compiled, oncall.Schedule, bool) {
	return nil, oncall.Schedule{}, false
}

// TestListsArePaged: lists the server holds whole page like the others.
func TestListsArePaged(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop"}`, 201)
		for i := 0; i < 5; i++ {
			h.mustDo(auth.Operator, "POST", "/api/v1/checks", fmt.Sprintf(`{"name":"c%d","service":"shop","type":"tcp","host":"127.0.0.1","port":1}`, i), 201)
			h.mustDo(auth.Operator, "POST", "/api/v1/services/shop/outages", fmt.Sprintf(`{"start":"2026-10-0%dT10:00:00Z","end":"2026-10-0%dT11:00:00Z","state":"down"}`, i+1, i+1), 201)
		}
		for _, path := range []string{"/api/v1/checks", "/api/v1/services/shop/outages", "/api/v1/tokens"} {
			var got []string
			cursor := ""
			for pages := 0; pages < 10; pages++ {
				b := h.mustDo(auth.Admin, "GET", path+"?limit=2&cursor="+cursor, "", 200)
				var l struct {
					Items []map[string]any `json:"items"`
					Next  *string          `json:"next"`
				}
				if err := json.Unmarshal(b, &l); err != nil {
					t.Fatal(err)
				}
				if len(l.Items) > 2 {
					t.Fatalf("%s: %d items on a page of 2", path, len(l.Items))
				}
				for _, it := range l.Items {
					got = append(got, fmt.Sprint(it["name"], it["id"]))
				}
				if l.Next == nil {
					break
				}
				cursor = *l.Next
			}
			want := 5
			if path == "/api/v1/tokens" {
				// One token per role, but requesters have none.
				want = len(auth.Roles) - 1
			}
			if len(got) != want {
				t.Errorf("%s: walked %d items, want %d: %v", path, len(got), want, got)
			}
		}
		code, _ := h.do(auth.Viewer, "GET", "/api/v1/checks?cursor=bm90LWEta2V5", "")
		if code != 400 {
			t.Errorf("unknown cursor: %d", code)
		}
	})
}
