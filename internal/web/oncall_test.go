package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/override"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// fakeOnCall is an on-call directory held in memory.
type fakeOnCall struct {
	people    []escalation.Person
	schedules []oncall.Schedule
	compiled  map[string]*oncall.Compiled
	policies  []incident.EscalationPolicy
}

func (f *fakeOnCall) People() []escalation.Person { return f.people }
func (f *fakeOnCall) Person(name string) (escalation.Person, bool) {
	for _, p := range f.people {
		if p.Name == name {
			return p, true
		}
	}
	return escalation.Person{}, false
}
func (f *fakeOnCall) Schedules() []oncall.Schedule          { return f.schedules }
func (f *fakeOnCall) Policies() []incident.EscalationPolicy { return f.policies }
func (f *fakeOnCall) Schedule(name string) (*oncall.Compiled, oncall.Schedule, bool) {
	c, ok := f.compiled[name]
	for _, s := range f.schedules {
		if s.Name == name {
			return c, s, ok
		}
	}
	return nil, oncall.Schedule{}, false
}

// Secrets that must never reach a page.
const (
	slackSecret   = "https://hooks.slack.example/services/T000/B000/SLACKSECRET"
	webhookSecret = "https://hooks.example/very-secret-path"
)

// testNow is a Saturday in Berlin, the day before clocks go forward.
var testNow = time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)

// testDirectory: "primary" rotates alice and bob daily at 09:00 Berlin
// time, with carol overriding 12:00–15:00 CET on the test's day;
// "backup" always has dave. dave has no contact method.
func testDirectory(t *testing.T) *fakeOnCall {
	t.Helper()
	f := &fakeOnCall{compiled: map[string]*oncall.Compiled{},
		people: []escalation.Person{
			{Name: "alice", DisplayName: "Alice Adams", Timezone: "Europe/Berlin", Email: "alice@example.org", Slack: secret.New(slackSecret)},
			{Name: "bob", Timezone: "America/New_York", Webhook: secret.New(webhookSecret)},
			{Name: "carol", Ntfy: "carol-pages"},
			{Name: "dave"},
		},
		schedules: []oncall.Schedule{
			{Name: "primary", Timezone: "Europe/Berlin", Layers: []oncall.Layer{{Rotation: "daily", Handoff: "09:00", Members: []string{"alice", "bob"}, Start: "2026-03-23"}},
				Overrides: []oncall.Override{{User: "carol", Start: "2026-03-28T11:00:00Z", End: "2026-03-28T14:00:00Z"}}},
			{Name: "backup", Layers: []oncall.Layer{{Rotation: "weekly", Members: []string{"dave"}}}},
		},
		policies: []incident.EscalationPolicy{{Name: "default", Repeat: 1, Levels: []incident.Level{
			{Delay: "0m", Notify: []string{"schedule:primary"}}, {Delay: "15m", Notify: []string{"user:dave", "channel:ops-hook"}}}}},
	}
	for _, s := range f.schedules {
		c, err := oncall.Compile(s)
		if err != nil {
			t.Fatalf("compile %s: %v", s.Name, err)
		}
		f.compiled[s.Name] = c
	}
	return f
}

// ocEnv is the UI with everything: post-mortems, known errors, on-call
// pages, and fake escalation states and reassignment.
type ocEnv struct {
	*pmEnv
	mu         sync.Mutex
	states     map[int64]escalation.State
	reassigned []string
	// dir is the fake directory; overrides stores the overrides made on
	// the schedule pages and recompiles dir's schedules with them, as the
	// server's directory does.
	dir       *fakeOnCall
	overrides *override.Store
}

func newOnCallEnv(t *testing.T, db *store.DB) *ocEnv {
	t.Helper()
	e := &ocEnv{pmEnv: newPMEnv(t, db), states: map[int64]escalation.State{}, dir: testDirectory(t)}
	e.overrides = &override.Store{DB: db, Now: func() time.Time { return testNow }, OnChange: func(ctx context.Context) {
		stored, err := e.overrides.BySchedule(ctx, testNow.Add(-35*24*time.Hour))
		if err != nil {
			t.Errorf("stored overrides: %v", err)
			return
		}
		for _, s := range e.dir.schedules {
			s.Overrides = append(append([]oncall.Override(nil), s.Overrides...), stored[s.Name]...)
			c, err := oncall.Compile(s)
			if err != nil {
				t.Errorf("compile %s: %v", s.Name, err)
				return
			}
			e.dir.compiled[s.Name] = c
		}
	}}
	outbox := &notify.Outbox{DB: db}
	ui, err := New(Deps{Auth: e.auth, Catalog: e.catalog, Outages: e.outages, Reports: timeline.NewReporter(e.catalog, e.outages, nil),
		Monitor: e.monitor, Checks: e.checks, Incidents: e.incidents, Signer: e.signer, Deliveries: outbox.Deliveries,
		Postmortems: e.postmortems, KnownErrors: e.known, OnCall: e.dir, Overrides: e.overrides,
		Audit: func(ctx context.Context, f audit.Filter, p store.Page) ([]audit.Entry, string, error) {
			return audit.List(ctx, db, f, p)
		},
		Escalation: func(_ context.Context, id int64) (escalation.State, bool, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			s, ok := e.states[id]
			return s, ok, nil
		},
		Reassign: func(_ context.Context, id int64, user, actor string) error {
			if user == "dave" {
				return &apperr.Invalid{Fields: []apperr.Field{{Path: "user", Msg: `cannot notify "dave": dave has no contact method`}}}
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			e.reassigned = append(e.reassigned, strconv.FormatInt(id, 10)+" "+user+" "+actor)
			return nil
		},
		Now: func() time.Time { return testNow }, Version: "test"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	e.handler = mux
	return e
}

func TestOnCallPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newOnCallEnv(t, db)
		viewer := e.login("victor")
		res, body := e.get("/oncall", &viewer)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body,
			`<a href="/oncall" aria-current="page">On-call</a>`,
			// primary: carol's override now, until 15:00 CET; then bob.
			`<a href="/oncall/schedules/primary">primary</a>`, `On call now: <a href="#person-carol" class="person">carol</a>`,
			`until <time datetime="2026-03-28T14:00:00Z" title="Sat 28 Mar 14:00 UTC">Sat 28 Mar 15:00 CET</time>`,
			`Next hand-off: <strong>bob</strong> from <time datetime="2026-03-28T14:00:00Z"`,
			// backup: dave for good.
			`<a href="#person-dave" class="person">dave</a>`, "no hand-off in the next 30 days",
			// People: kinds of contact, zones, where they are on call.
			`<tr id="person-alice">`, "Alice Adams", "Europe/Berlin", `<span class="badge contact">email</span>`, `<span class="badge contact">slack</span>`,
			`<span class="badge contact">webhook</span>`, `<span class="badge contact">ntfy</span>`, `<span class="badge contact none">no contact method</span>`,
			`<a href="/oncall/schedules/backup">backup</a>`,
			// Policies.
			`id="policy-default"`, "at once", "after 15m", `<a href="/oncall/schedules/primary">primary</a>`, `<a href="#person-dave">dave</a>`,
			"<code>ops-hook</code>", "runs 1 more time, 15m after its last level")
		// Never a webhook URL, nor the ntfy topic or e-mail address.
		wantNotContains(t, body, slackSecret, "SLACKSECRET", webhookSecret, "very-secret-path", "alice@example.org", "[redacted]")
	})
}

func TestSchedulePage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newOnCallEnv(t, db)
		op, viewer := e.login("olivia"), e.login("victor")
		res, body := e.get("/oncall/schedules/primary", &viewer)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body, `<a href="/oncall" aria-current="page">On-call</a>`, "On call now: <strong>carol</strong>",
			// carol's override now (highlighted), then bob again.
			`<time datetime="2026-03-28T11:00:00Z" title="Sat 28 Mar 11:00 UTC">Sat 28 Mar 12:00 CET</time>`,
			`<tr class="override current">`, `<span class="badge override">override</span>`,
			// Across the change to summer time: bob hands over at 09:00
			// CEST, 07:00 UTC, after 17 hours.
			`<td data-label="End UTC" class="nowrap utc">Sun 29 Mar 07:00 UTC</td>`,
			`<time datetime="2026-03-29T07:00:00Z" title="Sun 29 Mar 07:00 UTC">Sun 29 Mar 09:00 CEST</time>`,
			`<td data-label="Duration" class="num">17h</td>`,
			// The timeline, one bar per day, and the override marked.
			`<svg class="day-bar"`, `aria-label="Sat 28 Mar: alice 00:00–09:00, bob 09:00–12:00, carol 12:00–15:00 (override), bob 15:00–24:00"`, `carol 12:00–15:00 (override)`, `class="ov-mark"`,
			// The at-form, filled with now in the schedule's zone.
			`<input type="datetime-local" id="at-input" name="at" value="2026-03-28T13:00">`,
			// The feed, without buttons for a viewer.
			"/api/v1/schedules/primary/calendar.ics", "API token")
		wantNotContains(t, body, "Create a secret calendar URL")

		for _, tc := range []struct{ at, want string }{
			{"2026-03-29T08:30", "At <time datetime=\"2026-03-29T06:30:00Z\" title=\"Sun 29 Mar 06:30 UTC\">Sun 29 Mar 08:30 CEST</time> <span class=\"muted\">(Sun 29 Mar 06:30 UTC)</span>:\n  <strong>bob</strong> is on call."},
			{"2026-03-29T09:30", "Sun 29 Mar 07:30 UTC)</span>:\n  <strong>alice</strong> is on call."},
			{"2026-03-28T12:30", "<strong>carol</strong> is on call."},
			{"2026-03-29T02:30", "02:30 does not exist on 29 Mar in Europe/Berlin"},
			{"2026-10-25T02:30", "02:30 happens twice on 25 Oct in Europe/Berlin"},
		} {
			res, body := e.get("/oncall/schedules/primary?at="+url.QueryEscape(tc.at), &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, tc.want, `value="`+tc.at+`"`)
		}
		res, body = e.get("/oncall/schedules/primary?at=tomorrow", &viewer)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body, `aria-invalid="true"`, "Expected a date and time")

		_, body = e.get("/oncall/schedules/backup?at=2030-01-01T00:00", &viewer)
		wantContains(t, body, "<strong>dave</strong> is on call.", "Times below are in UTC")
		res, _ = e.get("/oncall/schedules/nope", &viewer)
		wantStatus(t, res, http.StatusNotFound)

		// The feed's secret URL: operators only, with the CSRF token.
		secretPath := "/oncall/schedules/primary/calendar-secret"
		res, _ = e.post(secretPath, nil, &viewer)
		wantStatus(t, res, http.StatusForbidden)
		res, _ = e.post(secretPath, url.Values{"csrf": {"wrong"}}, &op)
		wantStatus(t, res, http.StatusForbidden)
		res, _ = e.post(secretPath+"/revoke", nil, &viewer)
		wantStatus(t, res, http.StatusForbidden)
		_, body = e.get("/oncall/schedules/primary", &op)
		wantContains(t, body, "Create a secret calendar URL", `action="`+secretPath+`/revoke"`)
		res, body = e.post(secretPath, nil, &op)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body, "it is shown only once")
		m := regexp.MustCompile(`/api/v1/schedules/primary/calendar\.ics\?secret=([A-Za-z0-9_%-]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no secret URL in page:\n%s", body)
		}
		sec, _ := url.QueryUnescape(m[1])
		ctx := context.Background()
		if !e.auth.CheckFeedSecret(ctx, "schedule:primary", sec) {
			t.Fatal("the secret shown does not open the feed")
		}
		_, body = e.get("/oncall/schedules/primary", &op)
		wantNotContains(t, body, sec)
		res, _ = e.post(secretPath+"/revoke", url.Values{"csrf": {"wrong"}}, &op)
		wantStatus(t, res, http.StatusForbidden)
		res, _ = e.post(secretPath+"/revoke", nil, &op)
		if got := location(t, res); got != "/oncall/schedules/primary?done=revoked#feed" {
			t.Errorf("revoke went to %q", got)
		}
		if e.auth.CheckFeedSecret(ctx, "schedule:primary", sec) {
			t.Error("the secret still opens the feed after revoking")
		}
		_, body = e.get("/oncall/schedules/primary?done=revoked", &op)
		wantContains(t, body, "The secret calendar URL was revoked")
		res, _ = e.post(secretPath+"/revoke", nil, &op)
		if got := location(t, res); got != "/oncall/schedules/primary?done=none#feed" {
			t.Errorf("second revoke went to %q", got)
		}
		res, _ = e.post("/oncall/schedules/nope/calendar-secret", nil, &op)
		wantStatus(t, res, http.StatusNotFound)
	})
}

func TestIncidentEscalation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newOnCallEnv(t, db)
		e.putService(testService("payroll"))
		op, viewer := e.login("olivia"), e.login("victor")
		ctx := context.Background()
		waiting := e.trigger("payroll", "w", "Export late")
		active := e.trigger("payroll", "a", "Export failing")
		stopped := e.trigger("payroll", "s", "Export slow")
		none := e.trigger("payroll", "n", "No policy")
		e.states[waiting] = escalation.State{IncidentID: waiting, Policy: "default", Status: escalation.Waiting,
			NextAt: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), Reason: "outside the service hours: paging starts Mon 23 Nov 09:00 CET"}
		e.states[active] = escalation.State{IncidentID: active, Policy: "default", Level: 1, Round: 1, Status: escalation.Active,
			NextAt: time.Date(2026, 3, 28, 12, 15, 0, 0, time.UTC), Reason: "not acknowledged: level 2 is next", AssignedTo: "alice"}
		e.states[stopped] = escalation.State{IncidentID: stopped, Policy: "default", Status: escalation.Stopped, Reason: "acknowledged by user:olivia"}
		path := func(id int64) string { return "/incidents/" + strconv.FormatInt(id, 10) }

		_, body := e.get(path(waiting), &viewer)
		wantContains(t, body, `<section class="escalation-box waiting" id="escalation"`,
			"<strong>Paging waits:</strong> outside the service hours: paging starts Mon 23 Nov 09:00 CET", "Not assigned to anyone.",
			`<dt>Escalation policy</dt><dd><span class="muted">none</span></dd>`)
		wantNotContains(t, body, "/reassign\"", `name="user"`)
		_, body = e.get(path(waiting), &op)
		wantContains(t, body, `action="`+path(waiting)+`/reassign"`, `<select id="reassign-user" name="user"`,
			`<option value="alice">Alice Adams (alice)</option>`, `<option value="dave">dave — no contact method</option>`)

		_, body = e.get(path(active), &viewer)
		wantContains(t, body, `Level 2 of policy <a href="/oncall#policy-default">default</a> is due at <time class="t" datetime="2026-03-28T12:15:00Z" title="Sat 28 Mar 2026 12:15:00 UTC">in 15 min</time>`,
			"(round 2 of 2)", "Not acknowledged: level 2 is next.", "Assigned to <strong>Alice Adams (alice)</strong>.")
		_, body = e.get(path(stopped), &viewer)
		wantContains(t, body, "<strong>Stopped:</strong> acknowledged by user:olivia.")
		_, body = e.get(path(none), &op)
		wantContains(t, body, "This incident has no escalation", `action="`+path(none)+`/reassign"`)

		// Reassigning: operators only, with the token; the func is called
		// and the browser goes back to the box.
		res, _ := e.post(path(active)+"/reassign", url.Values{"user": {"bob"}}, &viewer)
		wantStatus(t, res, http.StatusForbidden)
		res, _ = e.post(path(active)+"/reassign", url.Values{"user": {"bob"}, "csrf": {"wrong"}}, &op)
		wantStatus(t, res, http.StatusForbidden)
		if len(e.reassigned) != 0 {
			t.Fatalf("reassigned %v after refused posts", e.reassigned)
		}
		res, _ = e.post(path(active)+"/reassign", url.Values{"user": {"bob"}}, &op)
		if got := location(t, res); got != path(active)+"?done=reassigned#escalation" {
			t.Errorf("reassign went to %q", got)
		}
		if want := strconv.FormatInt(active, 10) + " bob user:olivia"; len(e.reassigned) != 1 || e.reassigned[0] != want {
			t.Errorf("reassigned %v, want [%s]", e.reassigned, want)
		}
		_, body = e.get(path(active)+"?done=reassigned", &op)
		wantContains(t, body, "Incident handed over")

		// Someone who cannot be notified: the page again, with the reason
		// at the form and the choice kept.
		res, body = e.post(path(active)+"/reassign", url.Values{"user": {"dave"}}, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, `<ul class="problems" id="reassign-user-error"><li>Cannot notify &#34;dave&#34;: dave has no contact method.</li></ul>`,
			`<option value="dave" selected>`, "Level 2 of policy", "Export failing")
		res, body = e.post(path(active)+"/reassign", url.Values{"user": {"zed"}}, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "There is no person &#34;zed&#34;.")
		res, body = e.post(path(active)+"/reassign", url.Values{"user": {""}}, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "Choose the person to hand the incident to.")
		if len(e.reassigned) != 1 {
			t.Errorf("reassigned %v", e.reassigned)
		}

		// A resolved incident offers no reassignment.
		if _, err := e.incidents.Resolve(ctx, stopped, "test"); err != nil {
			t.Fatal(err)
		}
		_, body = e.get(path(stopped), &op)
		wantNotContains(t, body, "/reassign\"")
	})
}

// TestIncidentPageMerged checks that one page shows every box — the known
// error's workaround, the post-mortem link and the escalation — and that
// the page drawn again after a refused note shows them too.
func TestIncidentPageMerged(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newOnCallEnv(t, db)
		e.putService(testService("payroll"))
		op := e.login("olivia")
		ctx := context.Background()
		k, err := e.known.Create(ctx, "test", knownErrorInput("Disk full", "payroll", "disk full", "Run cleanup.sh on the host."))
		if err != nil {
			t.Fatal(err)
		}
		id := e.trigger("payroll", "k", "Disk full on db1")
		e.states[id] = escalation.State{IncidentID: id, Policy: "default", Status: escalation.Waiting, Reason: "outside the service hours: paging starts Mon 30 Mar 09:00 CEST"}
		p := "/incidents/" + strconv.FormatInt(id, 10)
		boxes := []string{"Known error — workaround", "Run cleanup.sh on the host.", `href="/known-errors/` + strconv.FormatInt(k.ID, 10) + `"`,
			"<strong>Paging waits:</strong> outside the service hours", `action="` + p + `/reassign"`}
		_, body := e.get(p, &op)
		wantContains(t, body, boxes...)
		res, body := e.post(p+"/notes", url.Values{"text": {" "}}, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, append(boxes, "The note is required.")...)

		// Resolved, with a post-mortem: the link, on the page and on the
		// page drawn again after a refused action.
		if _, err := e.incidents.Resolve(ctx, id, "test"); err != nil {
			t.Fatal(err)
		}
		pm, err := e.postmortems.Create(ctx, "test", id)
		if err != nil {
			t.Fatal(err)
		}
		link := `<a href="/postmortems/` + strconv.FormatInt(pm.ID, 10) + `">Post-mortem: `
		_, body = e.get(p, &op)
		wantContains(t, body, link, "Known error — workaround")
		res, body = e.post(p+"/resolve", nil, &op)
		wantStatus(t, res, http.StatusConflict)
		wantContains(t, body, link, "Known error — workaround", "is already resolved")
		wantNotContains(t, body, "Start post-mortem")
	})
}

func TestNavigationMarksEveryArea(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newOnCallEnv(t, db)
		viewer := e.login("victor")
		for _, tc := range []struct{ path, link string }{
			{"/incidents", `<a href="/incidents" aria-current="page">Incidents</a>`},
			{"/oncall", `<a href="/oncall" aria-current="page">On-call</a>`},
			{"/services", `<a href="/services" aria-current="page">Services</a>`},
			{"/checks", `<a href="/checks" aria-current="page">Checks</a>`},
			{"/calendars", `<a href="/calendars" aria-current="page">Calendars</a>`},
			{"/postmortems", `<a href="/postmortems" aria-current="page">Post-mortems</a>`},
			{"/known-errors", `<a href="/known-errors" aria-current="page">Known errors</a>`},
		} {
			_, body := e.get(tc.path, &viewer)
			wantContains(t, body, tc.link)
			if n := strings.Count(body, `aria-current="page"`); n != 1 {
				t.Errorf("%s: %d entries marked current", tc.path, n)
			}
		}
		admin := e.login("ada")
		for _, tc := range []struct{ path, link string }{
			{"/calendars/new", `<a href="/calendars" aria-current="page">Calendars</a>`},
			{"/admin", `<a href="/admin" aria-current="page">Users, tokens and audit</a>`},
			{"/admin/users", `<a href="/admin" aria-current="page">Users, tokens and audit</a>`},
			{"/admin/tokens", `<a href="/admin" aria-current="page">Users, tokens and audit</a>`},
			{"/admin/audit", `<a href="/admin" aria-current="page">Users, tokens and audit</a>`},
		} {
			_, body := e.get(tc.path, &admin)
			wantContains(t, body, tc.link)
			main := body[strings.Index(body, `<nav aria-label="Main"`):]
			if n := strings.Count(main[:strings.Index(main, "</nav>")], `aria-current="page"`); n != 1 {
				t.Errorf("%s: %d main entries marked current", tc.path, n)
			}
		}
		_, body := e.get("/incidents", &viewer)
		nav := body[strings.Index(body, `<nav aria-label="Main"`):]
		if i, j := strings.Index(nav, `href="/incidents"`), strings.Index(nav, `href="/oncall"`); i < 0 || j < i || j > strings.Index(nav, `href="/services"`) {
			t.Errorf("On-call is not right after Incidents")
		}
	})
}

func knownErrorInput(title, service, match, workaround string) knownerror.Input {
	return knownerror.Input{Title: title, Service: service, SummaryMatch: match, Workaround: workaround}
}
