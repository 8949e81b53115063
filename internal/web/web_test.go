package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestUI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if _, err := e.catalog.PutCalendar(ctx, "test", catalog.Calendar{Name: "office", CalendarSpec: catalog.CalendarSpec{
			Timezone: "Europe/Berlin", Weekly: []catalog.WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}, Holidays: []string{"2026-12-25"}}}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		e.putService(catalog.Service{Name: "database", Title: "Main database", Owner: "dba", Tier: 1})
		maxOutages := 3
		e.putService(catalog.Service{Name: "payroll", Title: "Payroll", Owner: "finance-it", Tier: 2,
			DependsOn:   []catalog.Dependency{{Service: "database", Kind: catalog.Hard}},
			Objective:   &catalog.Objective{Hours: "office", Availability: "99.5%", MaxOutage: "30m", MaxOutages: &maxOutages},
			Maintenance: []catalog.MaintenanceWindow{{Title: "Patch Sunday", RRule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", Duration: "2h"}}})
		operator, viewer, agent := e.login("olivia"), e.login("victor"), e.login("agnes")

		t.Run("pages need a session", func(t *testing.T) {
			for _, path := range []string{"/", "/incidents", "/incidents/1", "/services", "/services/payroll?x=1", "/calendars", "/no-such-page"} {
				res, _ := e.get(path, nil)
				wantStatus(t, res, http.StatusSeeOther)
				if got, want := res.Header.Get("Location"), "/login?next="+url.QueryEscape(path); got != want {
					t.Errorf("GET %s redirects to %q, want %q", path, got, want)
				}
			}
			res, _ := e.get("/services", &session{cookie: &http.Cookie{Name: httpapi.SessionCookie, Value: "forged"}})
			wantStatus(t, res, http.StatusSeeOther)
		})

		t.Run("front page is the dashboard", func(t *testing.T) {
			res, body := e.get("/", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "<h1>Dashboard</h1>", `<a href="/services/payroll">payroll</a>`)
		})

		t.Run("login", func(t *testing.T) {
			res, body := e.get("/login?next=/services/payroll", nil)
			wantStatus(t, res, http.StatusOK)
			token := hiddenValue(t, body, "csrf")
			loginCookie := cookieNamed(res, loginCSRFCookie)
			if loginCookie == nil || !loginCookie.HttpOnly || loginCookie.Value != token {
				t.Fatalf("login CSRF cookie %+v does not carry the form's token", loginCookie)
			}
			if next := hiddenValue(t, body, "next"); next != "/services/payroll" {
				t.Errorf("next = %q", next)
			}
			post := func(form url.Values, withCookie bool) (*http.Response, string) {
				req := formRequest("/login", form)
				if withCookie {
					req.AddCookie(loginCookie)
				}
				return e.do(req, nil)
			}

			t.Run("wrong password", func(t *testing.T) {
				res, body := post(url.Values{"csrf": {token}, "name": {"olivia"}, "password": {"wrong password"}}, true)
				wantStatus(t, res, http.StatusUnauthorized)
				wantContains(t, body, "Wrong user name or password", `value="olivia"`)
				if c := cookieNamed(res, httpapi.SessionCookie); c != nil {
					t.Errorf("a failed login set the session cookie %+v", c)
				}
			})
			t.Run("unknown user", func(t *testing.T) {
				res, body := post(url.Values{"csrf": {token}, "name": {"nobody"}, "password": {testPassword}}, true)
				wantStatus(t, res, http.StatusUnauthorized)
				wantContains(t, body, "Wrong user name or password")
			})
			t.Run("without the login token", func(t *testing.T) {
				for name, c := range map[string]struct {
					form   url.Values
					cookie bool
				}{
					"no field":    {url.Values{"name": {"olivia"}, "password": {testPassword}}, true},
					"no cookie":   {url.Values{"csrf": {token}, "name": {"olivia"}, "password": {testPassword}}, false},
					"wrong field": {url.Values{"csrf": {token + "x"}, "name": {"olivia"}, "password": {testPassword}}, true},
				} {
					res, _ := post(c.form, c.cookie)
					if res.StatusCode != http.StatusForbidden || cookieNamed(res, httpapi.SessionCookie) != nil {
						t.Errorf("%s: status %d, session cookie %v; want 403 and none", name, res.StatusCode, cookieNamed(res, httpapi.SessionCookie))
					}
				}
			})
			t.Run("success sets a safe cookie", func(t *testing.T) {
				res, _ := post(url.Values{"csrf": {token}, "name": {"olivia"}, "password": {testPassword}, "next": {"/services/payroll"}}, true)
				wantStatus(t, res, http.StatusSeeOther)
				if loc := res.Header.Get("Location"); loc != "/services/payroll" {
					t.Errorf("Location %q, want /services/payroll", loc)
				}
				c := cookieNamed(res, httpapi.SessionCookie)
				if c == nil {
					t.Fatal("no session cookie")
				}
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 12*3600 || c.Secure {
					t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, MaxAge=12h, not Secure over plain HTTP", c)
				}
				res, body := e.get("/services", &session{cookie: &http.Cookie{Name: c.Name, Value: c.Value}})
				wantStatus(t, res, http.StatusOK)
				wantContains(t, body, "olivia", "operator", "Sign out")
			})
			t.Run("next must stay on this site", func(t *testing.T) {
				for _, next := range []string{"//evil.example", "//evil.example/services", "https://evil.example/", "/\\evil.example", "evil.example", "javascript:alert(1)"} {
					res, _ := post(url.Values{"csrf": {token}, "name": {"olivia"}, "password": {testPassword}, "next": {next}}, true)
					wantStatus(t, res, http.StatusSeeOther)
					if loc := res.Header.Get("Location"); loc != "/" {
						t.Errorf("next=%q redirects to %q, want /", next, loc)
					}
				}
				res, body := e.get("/login?next="+url.QueryEscape("//evil.example"), nil)
				wantStatus(t, res, http.StatusOK)
				if next := hiddenValue(t, body, "next"); next != "/" {
					t.Errorf("the form carries next=%q", next)
				}
			})
		})

		t.Run("logout", func(t *testing.T) {
			s := e.login("victor")
			res, _ := e.post("/logout", url.Values{"csrf": {"wrong"}}, &s)
			wantStatus(t, res, http.StatusForbidden)
			res, _ = e.get("/services", &s)
			wantStatus(t, res, http.StatusOK)

			res, _ = e.post("/logout", nil, &s)
			wantStatus(t, res, http.StatusSeeOther)
			if c := cookieNamed(res, httpapi.SessionCookie); c == nil || c.MaxAge >= 0 {
				t.Errorf("logout did not clear the cookie: %+v", c)
			}
			res, _ = e.get("/services", &s)
			wantStatus(t, res, http.StatusSeeOther)
		})

		t.Run("agents may not use the UI", func(t *testing.T) {
			res, _ := e.get("/services", &agent)
			wantStatus(t, res, http.StatusForbidden)
		})

		t.Run("service list", func(t *testing.T) {
			res, body := e.get("/services", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `href="/services/payroll"`, "Payroll", "finance-it", "99.5% · office · month", `href="/services/database"`, `<span class="badge api">API</span>`)
			if strings.Index(body, "/services/database") > strings.Index(body, ">payroll<") {
				t.Error("services are not sorted by name")
			}
			wantNotContains(t, body, "New service")

			_, body = e.get("/services", &operator)
			wantContains(t, body, `href="/services/new"`)

			row := func(name string) string { return `<th scope="row"><a href="/services/` + name + `">` }
			_, body = e.get("/services?tier=1", &viewer)
			wantContains(t, body, row("database"))
			wantNotContains(t, body, row("payroll"))
			_, body = e.get("/services?owner=finance-it", &viewer)
			wantContains(t, body, row("payroll"))
			wantNotContains(t, body, row("database"))

			_, body = e.get("/services?limit=1", &viewer)
			wantContains(t, body, row("database"), "Next page")
			wantNotContains(t, body, row("payroll"))
			res, body = e.get("/services?limit=1&cursor="+store.Cursor("database"), &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, row("payroll"), "First page")
			wantNotContains(t, body, "Next page")

			res, _ = e.get("/services?cursor=!!!", &viewer)
			wantStatus(t, res, http.StatusBadRequest)
		})

		t.Run("service detail", func(t *testing.T) {
			res, body := e.get("/services/payroll", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "<dd>99.5%</dd>", `<a href="/calendars/office">office</a>`, "<dd>30m</dd>", "<dd>3</dd>",
				`<a href="/services/database">database</a>`, "Patch Sunday", "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", `<time class="t" datetime=`)
			wantNotContains(t, body, "/services/payroll/edit", "/services/payroll/delete", "Declared in the config file")

			_, body = e.get("/services/payroll", &operator)
			wantContains(t, body, `href="/services/payroll/edit"`, `href="/services/payroll/delete"`)

			_, body = e.get("/services/database", &viewer)
			wantContains(t, body, "Needed by", `<a href="/services/payroll">payroll</a>`, "no objective")
		})

		t.Run("config-file services say so", func(t *testing.T) {
			if _, err := e.catalog.ApplyFile(ctx, "config", catalog.Catalog{Services: []catalog.Service{{Name: "from-file", Title: "From the file"}}}); err != nil {
				t.Fatal(err)
			}
			_, body := e.get("/services/from-file", &viewer)
			wantContains(t, body, "Declared in the config file: edits here are overwritten on the next reload", "config file")
		})

		t.Run("not found", func(t *testing.T) {
			_, body := e.get("/services/nope", &viewer)
			wantContains(t, body, "Service &#34;nope&#34; does not exist.")
			for _, path := range []string{"/services/nope", "/services/nope/edit", "/calendars/nope", "/no-such-page"} {
				res, body := e.get(path, &operator)
				wantStatus(t, res, http.StatusNotFound)
				wantContains(t, strings.ToLower(body), "not found</h1>")
			}
		})

		t.Run("viewers cannot change anything", func(t *testing.T) {
			res, _ := e.get("/services/new", &viewer)
			wantStatus(t, res, http.StatusForbidden)
			res, _ = e.get("/services/payroll/edit", &viewer)
			wantStatus(t, res, http.StatusForbidden)

			form := validServiceForm("payroll")
			form.Set("title", "Hacked")
			res, _ = e.post("/services/payroll/edit", form, &viewer)
			wantStatus(t, res, http.StatusForbidden)
			res, _ = e.post("/services/payroll/delete", nil, &viewer)
			wantStatus(t, res, http.StatusForbidden)
			res, _ = e.post("/services/new", validServiceForm("viewer-made"), &viewer)
			wantStatus(t, res, http.StatusForbidden)

			s, err := e.catalog.GetService(ctx, "payroll")
			if err != nil || s.Title != "Payroll" {
				t.Errorf("payroll changed: %+v, %v", s.Service, err)
			}
			if _, err := e.catalog.GetService(ctx, "viewer-made"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("a viewer created a service: %v", err)
			}
		})

		t.Run("posts need the CSRF token", func(t *testing.T) {
			for name, token := range map[string]string{"missing": "", "wrong": operator.csrf + "x", "another session's": viewer.csrf} {
				form := validServiceForm("csrf-" + strings.ReplaceAll(strings.Split(name, "'")[0], " ", ""))
				form.Set("csrf", token)
				res, body := e.post("/services/new", form, &operator)
				wantStatus(t, res, http.StatusForbidden)
				wantContains(t, body, "security token")
				if _, err := e.catalog.GetService(ctx, form.Get("name")); !errors.Is(err, apperr.ErrNotFound) {
					t.Errorf("%s token: the service was created (%v)", name, err)
				}
				edit := validServiceForm("payroll")
				edit.Set("title", "Forged")
				edit.Set("csrf", token)
				res, _ = e.post("/services/payroll/edit", edit, &operator)
				wantStatus(t, res, http.StatusForbidden)
				res, _ = e.post("/services/database/delete", url.Values{"csrf": {token}}, &operator)
				wantStatus(t, res, http.StatusForbidden)
			}
			if s, _ := e.catalog.GetService(ctx, "payroll"); s.Title != "Payroll" {
				t.Errorf("payroll title changed to %q", s.Title)
			}
			if _, err := e.catalog.GetService(ctx, "database"); err != nil {
				t.Errorf("database was deleted: %v", err)
			}
		})

		t.Run("cross-site posts are refused", func(t *testing.T) {
			form := validServiceForm("cross-site")
			form.Set("csrf", operator.csrf)
			req := formRequest("/services/new", form)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			res, _ := e.do(req, &operator)
			wantStatus(t, res, http.StatusForbidden)
			if _, err := e.catalog.GetService(ctx, "cross-site"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("created: %v", err)
			}
		})

		t.Run("invalid input is shown next to its field", func(t *testing.T) {
			form := validServiceForm("bad-target")
			form.Set("objective.availability", "lots")
			form.Set("description", "Keeps <what> I typed")
			res, body := e.post("/services/new", form, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body,
				`<a href="#f-objective-availability">Availability target</a>: expected a percentage such as 99.9%, got &#34;lots&#34;`,
				`<ul class="problems" id="f-objective-availability-error"><li>expected a percentage such as 99.9%, got &#34;lots&#34;</li></ul>`,
				`id="f-objective-availability" name="objective.availability" value="lots" aria-describedby="f-objective-availability-hint f-objective-availability-error" aria-invalid="true"`,
				`value="bad-target"`, `value="30m"`, "Keeps &lt;what&gt; I typed</textarea>")
			if _, err := e.catalog.GetService(ctx, "bad-target"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("the invalid service was stored: %v", err)
			}
		})

		t.Run("numbers that do not parse", func(t *testing.T) {
			form := validServiceForm("bad-numbers")
			form.Set("tier", "two")
			form.Set("objective.max_outages", "a few")
			form.Set("objective.downtime_cost", "lots")
			form.Set("objective.budget", "1,000")
			res, body := e.post("/services/new", form, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, "4 problems to fix",
				`id="f-tier-error"`, `value="two"`, `id="f-objective-max_outages-error"`, `value="a few"`,
				`id="f-objective-downtime_cost-error"`, `id="f-objective-budget-error"`, `value="1,000"`)
			if _, err := e.catalog.GetService(ctx, "bad-numbers"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("stored: %v", err)
			}
		})

		t.Run("row problems land on their row", func(t *testing.T) {
			form := validServiceForm("bad-rows")
			// An empty first row is dropped, so the unknown service becomes
			// depends_on[0] both in the store's problem and on the form.
			form.Set("depends_on[0].service", "")
			form.Set("depends_on[1].service", "ghost")
			form.Set("depends_on[1].kind", "soft")
			form.Set("maintenance[0].start", "tomorrow")
			form.Set("maintenance[0].end", "2026-10-10T23:00:00Z")
			res, body := e.post("/services/new", form, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<a href="#f-depends_on-0-service">Dependency 1, service</a>: unknown service &#34;ghost&#34;`,
				`id="f-depends_on-0-service-error"`, `<option value="ghost" selected>ghost</option>`,
				`<a href="#f-maintenance-0-start">Maintenance window 1, start</a>`, `value="tomorrow"`)
		})

		t.Run("a taken name is a conflict on the form", func(t *testing.T) {
			res, body := e.post("/services/new", validServiceForm("payroll"), &operator)
			wantStatus(t, res, http.StatusConflict)
			wantContains(t, body, `service &#34;payroll&#34; already exists`, `value="99.5%"`)
		})

		t.Run("create, edit and delete", func(t *testing.T) {
			res, body := e.get("/services/new", &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `name="csrf" value="`+operator.csrf+`"`, `<option value="office">office</option>`, `name="depends_on[2].service"`)

			form := validServiceForm("billing")
			form.Set("depends_on[0].service", "database")
			form.Set("depends_on[0].kind", "soft")
			form.Set("objective.hours", "office")
			form.Set("objective.downtime_cost", "2500.5")
			form.Set("maintenance[0].start", "2026-10-10T20:00:00+02:00")
			form.Set("maintenance[0].end", "2026-10-10T23:00:00+02:00")
			res, _ = e.post("/services/new", form, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != "/services/billing?saved=1" {
				t.Errorf("Location %q", loc)
			}
			s, err := e.catalog.GetService(ctx, "billing")
			if err != nil {
				t.Fatal(err)
			}
			if s.Title != "Payroll" || s.Tier != 2 || s.Owner != "finance-it" || s.Source != catalog.SourceAPI ||
				len(s.DependsOn) != 1 || s.DependsOn[0] != (catalog.Dependency{Service: "database", Kind: "soft"}) ||
				s.Objective == nil || s.Objective.Availability != "99.5%" || s.Objective.Hours != "office" ||
				s.Objective.MaxOutages == nil || *s.Objective.MaxOutages != 3 || s.Objective.DowntimeCost == nil || *s.Objective.DowntimeCost != 2500.5 ||
				len(s.Maintenance) != 1 || s.Maintenance[0].Start != "2026-10-10T20:00:00+02:00" {
				t.Errorf("stored %+v, objective %+v", s.Service, s.Objective)
			}

			res, body = e.get("/services/billing/edit", &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `value="Payroll"`, `<option value="database" selected>database</option>`, `<option value="soft" selected>`,
				`<option value="office" selected>office</option>`, `value="2500.5"`, `value="2026-10-10T20:00:00&#43;02:00"`)
			wantNotContains(t, body, `<option value="billing"`, `name="name"`)

			// Clearing every objective field removes the objective.
			edit := url.Values{"title": {"Billing"}, "owner": {"finance-it"}, "depends_on[0].service": {"database"}, "depends_on[0].kind": {"hard"}}
			res, _ = e.post("/services/billing/edit", edit, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			s, err = e.catalog.GetService(ctx, "billing")
			if err != nil {
				t.Fatal(err)
			}
			if s.Title != "Billing" || s.Objective != nil || s.Tier != 0 || len(s.Maintenance) != 0 || s.DependsOn[0].Kind != "hard" {
				t.Errorf("after edit: %+v", s.Service)
			}
			_, body = e.get("/services/billing?saved=1", &operator)
			wantContains(t, body, "Saved.", "Billing")

			// database is needed by billing and payroll: deleting it is a conflict.
			res, body = e.post("/services/database/delete", nil, &operator)
			wantStatus(t, res, http.StatusConflict)
			wantContains(t, body, "is a dependency of")

			res, body = e.get("/services/billing/delete", &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "Delete billing?", `action="/services/billing/delete"`)
			res, _ = e.post("/services/billing/delete", nil, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != "/services?deleted=billing" {
				t.Errorf("Location %q", loc)
			}
			if _, err := e.catalog.GetService(ctx, "billing"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("billing still there: %v", err)
			}
			_, body = e.get("/services?deleted=billing", &operator)
			wantContains(t, body, "was deleted")
		})

		t.Run("calendars", func(t *testing.T) {
			res, body := e.get("/calendars", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `href="/calendars/office"`, "Europe/Berlin", "mon-fri 09:00–17:00", `<a href="/services/payroll">payroll</a>`)
			res, body = e.get("/calendars/office", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "Europe/Berlin", "<td>mon-fri</td>", `<time datetime="2026-12-25">2026-12-25</time>`, `<a href="/services/payroll">payroll</a>`)
		})

		t.Run("static files are fingerprinted", func(t *testing.T) {
			_, body := e.get("/services", &viewer)
			i := strings.Index(body, `href="/static/app.`)
			if i < 0 {
				t.Fatalf("no style sheet link in:\n%s", body)
			}
			href := body[i+len(`href="`):]
			href = href[:strings.IndexByte(href, '"')]
			res, css := e.get(href, nil)
			wantStatus(t, res, http.StatusOK)
			if ct, cc := res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"); !strings.HasPrefix(ct, "text/css") || !strings.Contains(cc, "immutable") {
				t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
			}
			wantContains(t, css, "prefers-color-scheme: dark")
			res, _ = e.get("/static/app.css", nil)
			wantStatus(t, res, http.StatusNotFound)
		})
	})
}

func formRequest(path string, form url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.RemoteAddr = "192.0.2.1:1234"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "/",
		"/":                      "/",
		"/services?tier=1":       "/services?tier=1",
		"/services/payroll/edit": "/services/payroll/edit",
		"//evil.example":         "/",
		"/\\evil.example":        "/",
		"https://evil.example":   "/",
		"evil.example":           "/",
		"/\t/evil.example":       "/",
		"javascript:alert(1)":    "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFieldID(t *testing.T) {
	for in, want := range map[string]string{
		"objective.availability": "f-objective-availability",
		"depends_on[0].service":  "f-depends_on-0-service",
		"maintenance[1]":         "f-maintenance-1",
		"":                       "f-form",
	} {
		if got := fieldID(in); got != want {
			t.Errorf("fieldID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRecordOutageFromServicePage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop", Objective: &catalog.Objective{Availability: "99%"}})
		op, viewer := e.login("olivia"), e.login("victor")

		_, body := e.get("/services/shop", &viewer)
		wantContains(t, body, "Objective met", `id="fig-availability"`, "None recorded.")
		if strings.Contains(body, `id="record-outage"`) {
			t.Error("a viewer sees the form to record outages")
		}

		// Bad input: the page again with the problem at the field, nothing stored.
		resp, body := e.post("/services/shop/outages", url.Values{"csrf": {op.csrf}, "start": {"2026-11-01T11:00:00Z"}, "end": {"2026-11-01T10:00:00Z"}, "state": {"down"}}, &op)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad outage: %d", resp.StatusCode)
		}
		wantContains(t, body, `id="outage-end-error"`, "must be after start", `value="2026-11-01T11:00:00Z"`)
		if got, _ := e.outages.List(context.Background(), "shop"); len(got) != 0 {
			t.Fatalf("a refused outage was stored: %+v", got)
		}
		// A viewer cannot record one.
		if resp, _ := e.post("/services/shop/outages", url.Values{"csrf": {viewer.csrf}, "start": {"2026-11-01T10:00:00Z"}, "end": {"2026-11-01T11:00:00Z"}, "state": {"down"}}, &viewer); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("viewer recording an outage: %d", resp.StatusCode)
		}
		// Good input is stored and listed.
		resp, _ = e.post("/services/shop/outages", url.Values{"csrf": {op.csrf}, "start": {"2026-11-01T10:00:00Z"}, "end": {"2026-11-01T11:00:00Z"}, "state": {"down"}, "note": {"power cut"}}, &op)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("record outage: %d", resp.StatusCode)
		}
		got, _ := e.outages.List(context.Background(), "shop")
		if len(got) != 1 || got[0].Note != "power cut" || got[0].CreatedBy != "user:olivia" {
			t.Fatalf("stored outages: %+v", got)
		}
		_, body = e.get("/services/shop", &op)
		wantContains(t, body, "power cut", "Outage")
		// And removed again.
		resp, _ = e.post(fmt.Sprintf("/services/shop/outages/%d/delete", got[0].ID), url.Values{"csrf": {op.csrf}}, &op)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("remove outage: %d", resp.StatusCode)
		}
		if got, _ := e.outages.List(context.Background(), "shop"); len(got) != 0 {
			t.Fatalf("outage not removed: %+v", got)
		}
	})
}
