package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// calendarForm returns a complete, valid calendar form.
func validCalendarForm(name string) url.Values {
	return url.Values{
		"name":            {name},
		"timezone":        {"Europe/Paris"},
		"weekly[0].days":  {"mon-fri"},
		"weekly[0].from":  {"08:00"},
		"weekly[0].to":    {"18:00"},
		"weekly[1].days":  {""},
		"weekly[1].from":  {""},
		"weekly[1].to":    {""},
		"weekly[2].days":  {"sat"},
		"weekly[2].from":  {"09:00"},
		"weekly[2].to":    {"12:00"},
		"holidays":        {"2026-12-25\r\n\r\n2026-12-26\r\n"},
		"weekly[3].days":  {""},
		"weekly[3].from":  {""},
		"weekly[3].to":    {""},
		"unrelated_field": {"x"},
	}
}

func TestCalendarForms(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		operator, viewer := e.login("olivia"), e.login("victor")

		t.Run("list offers a new calendar to operators only", func(t *testing.T) {
			_, body := e.get("/calendars", &operator)
			wantContains(t, body, `href="/calendars/new"`)
			_, body = e.get("/calendars", &viewer)
			wantNotContains(t, body, `href="/calendars/new"`)
		})

		t.Run("viewer cannot edit", func(t *testing.T) {
			for _, p := range []string{"/calendars/new", "/calendars/x/edit", "/calendars/x/delete"} {
				res, _ := e.get(p, &viewer)
				wantStatus(t, res, http.StatusForbidden)
			}
			res, _ := e.post("/calendars/new", validCalendarForm("sneaky"), &viewer)
			wantStatus(t, res, http.StatusForbidden)
			if _, err := e.catalog.GetCalendar(ctx, "sneaky"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("a viewer's calendar was stored: %v", err)
			}
		})

		t.Run("create", func(t *testing.T) {
			res, body := e.get("/calendars/new", &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `<datalist id="zones">`, `<option value="Europe/Berlin">`, `name="weekly[2].days"`, `name="holidays"`)
			res, _ = e.post("/calendars/new", validCalendarForm("office"), &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != "/calendars/office?saved=1" {
				t.Errorf("Location %q", loc)
			}
			c, err := e.catalog.GetCalendar(ctx, "office")
			if err != nil {
				t.Fatal(err)
			}
			if c.Timezone != "Europe/Paris" || len(c.Weekly) != 2 || c.Weekly[1].Days != "sat" || strings.Join(c.Holidays, ",") != "2026-12-25,2026-12-26" || c.Source != catalog.SourceAPI {
				t.Errorf("stored %+v", c)
			}
			_, body = e.get("/calendars/office?saved=1", &operator)
			wantContains(t, body, "Saved.", `<span class="badge api">API</span>`, `href="/calendars/office/edit"`, `href="/calendars/office/delete"`)
			_, body = e.get("/calendars/office", &viewer)
			wantNotContains(t, body, `href="/calendars/office/edit"`)
		})

		t.Run("create twice is a conflict", func(t *testing.T) {
			res, body := e.post("/calendars/new", validCalendarForm("office"), &operator)
			wantStatus(t, res, http.StatusConflict)
			wantContains(t, body, `calendar &#34;office&#34; already exists`)
		})

		t.Run("problems at their fields, nothing stored", func(t *testing.T) {
			form := validCalendarForm("broken")
			form.Set("timezone", "Mars/Olympus")
			form.Set("weekly[2].days", "funday")
			form.Set("holidays", "2026-12-25\n\n2026-13-40\n")
			res, body := e.post("/calendars/new", form, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, "3 problems to fix",
				`<a href="#f-timezone">Time zone</a>`, `id="f-timezone-error"`,
				// The empty middle row was closed up: "sat" is now window 2.
				`<a href="#f-weekly-1-days">Window 2, days</a>`, `id="f-weekly-1-days-error"`,
				`<a href="#f-holidays">Holidays</a>: line 3:`, `id="f-holidays-error"`,
				// The input is kept.
				`value="Mars/Olympus"`, `value="funday"`, "2026-13-40</textarea>", `value="broken"`)
			if _, err := e.catalog.GetCalendar(ctx, "broken"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("the broken calendar was stored: %v", err)
			}
		})

		t.Run("no window", func(t *testing.T) {
			form := url.Values{"name": {"empty"}, "timezone": {"UTC"}, "weekly[0].days": {""}, "weekly[0].from": {""}, "weekly[0].to": {""}}
			res, body := e.post("/calendars/new", form, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<a href="#f-weekly">Weekly hours</a>: needs at least one window`)
		})

		t.Run("bad name", func(t *testing.T) {
			res, body := e.post("/calendars/new", validCalendarForm("Bad Name"), &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<a href="#f-name">Name</a>`)
		})

		t.Run("edit", func(t *testing.T) {
			res, body := e.get("/calendars/office/edit", &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `value="Europe/Paris"`, `value="sat"`, "2026-12-25\n2026-12-26</textarea>", `name="weekly[4].days"`)
			wantNotContains(t, body, `name="name"`)
			form := validCalendarForm("ignored")
			form.Set("weekly[0].days", "noday")
			res, body = e.post("/calendars/office/edit", form, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<a href="#f-weekly-0-days">Window 1, days</a>`, "Edit calendar office")
			form = validCalendarForm("ignored")
			form.Set("timezone", "Europe/Berlin")
			res, _ = e.post("/calendars/office/edit", form, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if c, _ := e.catalog.GetCalendar(ctx, "office"); c.Timezone != "Europe/Berlin" {
				t.Errorf("time zone %q after the edit", c.Timezone)
			}
			if _, err := e.catalog.GetCalendar(ctx, "ignored"); err == nil {
				t.Error("an edit renamed or created a calendar")
			}
			res, _ = e.get("/calendars/gone/edit", &operator)
			wantStatus(t, res, http.StatusNotFound)
		})

		t.Run("delete", func(t *testing.T) {
			e.putService(catalog.Service{Name: "payroll", Objective: &catalog.Objective{Hours: "office", Availability: "99%"}})
			res, body := e.get("/calendars/office/delete", &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "Delete calendar office?", `<a href="/services/payroll">payroll</a>`)
			res, body = e.post("/calendars/office/delete", nil, &operator)
			wantStatus(t, res, http.StatusConflict)
			wantContains(t, body, "The calendar was not deleted.", "is the service hours of payroll")
			if _, err := e.catalog.GetCalendar(ctx, "office"); err != nil {
				t.Fatal(err)
			}
			res, _ = e.post("/calendars/office/delete", url.Values{"csrf": {"forged"}}, &operator)
			wantStatus(t, res, http.StatusForbidden)

			if _, err := e.catalog.PutCalendar(ctx, "test", catalog.Calendar{Name: "spare", CalendarSpec: catalog.CalendarSpec{Timezone: "UTC",
				Weekly: []catalog.WeeklyWindow{{Days: "daily", From: "00:00", To: "12:00"}}}}, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
			res, _ = e.post("/calendars/spare/delete", nil, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != "/calendars?deleted=spare" {
				t.Errorf("Location %q", loc)
			}
			if _, err := e.catalog.GetCalendar(ctx, "spare"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("after deletion: %v", err)
			}
			_, body = e.get("/calendars?deleted=spare", &operator)
			wantContains(t, body, "The calendar spare was deleted.")
		})

		t.Run("a file calendar says so", func(t *testing.T) {
			if _, err := e.catalog.ApplyFile(ctx, "config", catalog.Catalog{Calendars: []catalog.Calendar{{Name: "declared", CalendarSpec: catalog.CalendarSpec{
				Timezone: "UTC", Weekly: []catalog.WeeklyWindow{{Days: "daily", From: "00:00", To: "12:00"}}}}}}); err != nil {
				t.Skipf("ApplyFile: %v", err)
			}
			_, body := e.get("/calendars/declared", &operator)
			wantContains(t, body, "Declared in the config file", `<span class="badge file">config file</span>`)
			_, body = e.get("/calendars/declared/edit", &operator)
			wantContains(t, body, "Declared in the config file")
		})
	})
}

func TestAdminPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		admin, operator, viewer := e.login("ada"), e.login("olivia"), e.login("victor")

		t.Run("admins only", func(t *testing.T) {
			gets := []string{"/admin", "/admin/users", "/admin/users/olivia/delete", "/admin/users/olivia/password", "/admin/tokens", "/admin/tokens/x/revoke", "/admin/audit"}
			posts := []string{"/admin/users", "/admin/users/olivia/delete", "/admin/users/olivia/password", "/admin/tokens", "/admin/tokens/x/revoke"}
			for _, s := range []*session{&operator, &viewer} {
				for _, p := range gets {
					res, body := e.get(p, s)
					if res.StatusCode != http.StatusForbidden {
						t.Errorf("GET %s: status %d, want 403", p, res.StatusCode)
					}
					wantNotContains(t, body, `href="/admin"`)
				}
				for _, p := range posts {
					res, _ := e.post(p, url.Values{"name": {"mallory"}, "role": {"admin"}, "password": {testPassword}, "password_confirm": {testPassword}}, s)
					if res.StatusCode != http.StatusForbidden {
						t.Errorf("POST %s: status %d, want 403", p, res.StatusCode)
					}
				}
				_, body := e.get("/services", s)
				wantNotContains(t, body, `href="/admin"`, ">Admin<")
			}
			if _, err := e.auth.GetUser(ctx, "mallory"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("a non-admin created a user: %v", err)
			}
			if _, _, err := e.auth.Login(ctx, "olivia", testPassword, "192.0.2.9"); err != nil {
				t.Errorf("a non-admin changed a password: %v", err)
			}
			_, body := e.get("/services", &admin)
			nav := body[strings.Index(body, `<nav aria-label="Main"`):]
			nav = nav[:strings.Index(nav, "</nav>")]
			last := nav[strings.LastIndex(nav, "<summary"):]
			if !strings.HasPrefix(last, "<summary>Admin</summary>") || !strings.Contains(last, `<a href="/admin">`) {
				t.Errorf("Admin is not the last navigation menu:\n%s", nav)
			}
			res, body := e.get("/admin", &admin)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `<a href="/admin" aria-current="page">Users, tokens and audit</a>`, `href="/admin/users"`, `href="/admin/tokens"`, `href="/admin/audit"`)
		})

		t.Run("create a user", func(t *testing.T) {
			res, body := e.get("/admin/users", &admin)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "<th scope=\"row\">ada <span class=\"muted\">(you)</span>", ">olivia<", ">operator<", `<option value="viewer" selected>`)
			form := url.Values{"name": {"bob"}, "display_name": {"Bob Builder"}, "email": {"bob@example.com"}, "role": {"operator"},
				"password": {"a long enough password"}, "password_confirm": {"a long enough passwort"}}
			res, body = e.post("/admin/users", form, &admin)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<a href="#f-password_confirm">Password again</a>: does not match`, `id="f-password_confirm-error"`,
				`value="Bob Builder"`, `value="bob@example.com"`, `<option value="operator" selected>`)
			wantNotContains(t, body, "a long enough passw")
			if _, err := e.auth.GetUser(ctx, "bob"); !errors.Is(err, apperr.ErrNotFound) {
				t.Fatalf("bob was created despite the mismatch: %v", err)
			}
			bad := url.Values{"name": {"Bob!"}, "email": {"nope"}, "role": {"admin"}, "password": {"short"}, "password_confirm": {"short"}}
			res, body = e.post("/admin/users", bad, &admin)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<a href="#f-name">User name</a>`, `<a href="#f-email">E-mail</a>`, `<a href="#f-password">Password</a>: must be at least`)

			form.Set("password_confirm", "a long enough password")
			res, _ = e.post("/admin/users", form, &admin)
			wantStatus(t, res, http.StatusSeeOther)
			_, body = e.get(res.Header.Get("Location"), &admin)
			wantContains(t, body, "The user <strong>bob</strong> was created", "Bob Builder", "bob@example.com")
			if _, p, err := e.auth.Login(ctx, "bob", "a long enough password", "192.0.2.10"); err != nil || p.Role != auth.Operator {
				t.Fatalf("bob cannot sign in: %v (%+v)", err, p)
			}
			res, body = e.post("/admin/users", form, &admin)
			wantStatus(t, res, http.StatusConflict)
			wantContains(t, body, "already exists")
		})

		t.Run("reset a password ends the sessions", func(t *testing.T) {
			id, _, err := e.auth.Login(ctx, "bob", "a long enough password", "192.0.2.10")
			if err != nil {
				t.Fatal(err)
			}
			res, body := e.get("/admin/users/bob/password", &admin)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "signs bob out everywhere")
			res, body = e.post("/admin/users/bob/password", url.Values{"password": {"another good password"}, "password_confirm": {"another"}}, &admin)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<a href="#f-password_confirm">`)
			res, body = e.post("/admin/users/bob/password", url.Values{"password": {"short"}, "password_confirm": {"short"}}, &admin)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<a href="#f-password">Password</a>: must be at least`)
			if _, err := e.auth.Session(ctx, id); err != nil {
				t.Fatalf("a refused reset ended the session: %v", err)
			}
			res, _ = e.post("/admin/users/bob/password", url.Values{"password": {"another good password"}, "password_confirm": {"another good password"}}, &admin)
			wantStatus(t, res, http.StatusSeeOther)
			_, body = e.get(res.Header.Get("Location"), &admin)
			wantContains(t, body, "The password of <strong>bob</strong> was changed. Their sessions were ended")
			if _, err := e.auth.Session(ctx, id); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Errorf("bob's session survived the reset: %v", err)
			}
			if _, _, err := e.auth.Login(ctx, "bob", "another good password", "192.0.2.10"); err != nil {
				t.Errorf("the new password does not work: %v", err)
			}
			res, _ = e.get("/admin/users/nobody/password", &admin)
			wantStatus(t, res, http.StatusNotFound)
		})

		t.Run("delete users", func(t *testing.T) {
			res, body := e.get("/admin/users/ada/delete", &admin)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "Delete user ada?", "This is your own account")
			res, body = e.post("/admin/users/ada/delete", nil, &admin)
			wantStatus(t, res, http.StatusConflict)
			wantContains(t, body, "The user was not deleted.", "User &#34;ada&#34; is the last admin")
			if _, err := e.auth.GetUser(ctx, "ada"); err != nil {
				t.Fatal(err)
			}
			res, _ = e.post("/admin/users/bob/delete", nil, &admin)
			wantStatus(t, res, http.StatusSeeOther)
			_, body = e.get(res.Header.Get("Location"), &admin)
			wantContains(t, body, "The user <strong>bob</strong> was deleted")
			if _, err := e.auth.GetUser(ctx, "bob"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("bob still exists: %v", err)
			}
		})

		var secret string
		t.Run("tokens", func(t *testing.T) {
			res, body := e.get("/admin/tokens", &admin)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "There are no API tokens yet.")
			res, body = e.post("/admin/tokens", url.Values{"name": {"CI!"}, "role": {"root"}}, &admin)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<a href="#f-name">Name</a>`, `<a href="#f-role">Role</a>`, `value="CI!"`)
			res, body = e.post("/admin/tokens", url.Values{"name": {"ci-deploy"}, "role": {"operator"}}, &admin)
			wantStatus(t, res, http.StatusCreated)
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			m := regexp.MustCompile(`id="token-secret" class="copy" readonly value="(sxt_[^"]+)"`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no secret in the page:\n%s", body)
			}
			secret = m[1]
			wantContains(t, body, "shown only this once")
			p, err := e.auth.Bearer(ctx, secret)
			if err != nil || p.Name != "ci-deploy" || p.Role != auth.Operator {
				t.Fatalf("Bearer(secret) = %+v, %v", p, err)
			}
			_, body = e.get("/admin/tokens", &admin)
			wantContains(t, body, "<th scope=\"row\">ci-deploy</th>", "<code>"+secret[:10]+"…</code>", "user:ada")
			wantNotContains(t, body, secret)
			res, body = e.post("/admin/tokens", url.Values{"name": {"ci-deploy"}, "role": {"viewer"}}, &admin)
			wantStatus(t, res, http.StatusConflict)
			wantContains(t, body, "already exists")

			res, body = e.get("/admin/tokens/ci-deploy/revoke", &admin)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "Revoke token ci-deploy?")
			wantNotContains(t, body, secret)
			res, _ = e.post("/admin/tokens/ci-deploy/revoke", nil, &admin)
			wantStatus(t, res, http.StatusSeeOther)
			_, body = e.get(res.Header.Get("Location"), &admin)
			wantContains(t, body, "The token <strong>ci-deploy</strong> was revoked")
			wantNotContains(t, body, `href="/admin/tokens/ci-deploy/revoke"`, secret)
			if _, err := e.auth.Bearer(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Errorf("the revoked token still works: %v", err)
			}
			res, _ = e.get("/admin/tokens/ci-deploy/revoke", &admin)
			wantStatus(t, res, http.StatusNotFound)
		})

		t.Run("audit log", func(t *testing.T) {
			res, body := e.get("/admin/audit", &admin)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `<a href="/admin" aria-current="page">Users, tokens and audit</a>`,
				"user <strong>bob</strong>", "token <strong>ci-deploy</strong>", `href="/admin/audit?actor=user%3aada"`,
				"<summary>Before and after</summary>", "&#34;display_name&#34;: &#34;Bob Builder&#34;")
			wantNotContains(t, body, secret)
			// Newest first: the revocation comes before the creation.
			if i, j := strings.Index(body, `&#34;state&#34;: &#34;revoked&#34;`), strings.Index(body, `&#34;created_by&#34;: &#34;user:ada&#34;`); i < 0 || j < 0 || i > j {
				t.Errorf("entries not newest first (%d, %d)", i, j)
			}

			_, body = e.get("/admin/audit?type=token", &admin)
			wantContains(t, body, "token <strong>ci-deploy</strong>", `<option value="token" selected>`, `href="/admin/audit">Clear</a>`)
			wantNotContains(t, body, "user <strong>bob</strong>")
			_, body = e.get("/admin/audit?type=user&id=bob", &admin)
			if n := strings.Count(body, `class="audit-entry `); n != 3 { // created, password, deleted
				t.Errorf("%d entries for user bob, want 3", n)
			}
			_, body = e.get("/admin/audit?actor=user:olivia", &admin)
			wantContains(t, body, "No entry matches these filters.")

			// Pages of two, through every entry of ada's.
			all := 0
			seen := map[string]bool{}
			next := "/admin/audit?actor=user%3Aada&limit=2"
			for page := 0; next != ""; page++ {
				if page > 20 {
					t.Fatal("paging does not end")
				}
				res, body := e.get(next, &admin)
				wantStatus(t, res, http.StatusOK)
				all += strings.Count(body, `class="audit-entry `)
				if page > 0 {
					wantContains(t, body, ">Newest entries</a>")
				}
				for _, id := range regexp.MustCompile(`<strong>([a-z-]+)</strong>`).FindAllStringSubmatch(body, -1) {
					seen[id[1]] = true
				}
				next = ""
				if m := regexp.MustCompile(`<a href="([^"]+)" rel="next">Older entries</a>`).FindStringSubmatch(body); m != nil {
					next = strings.ReplaceAll(m[1], "&amp;", "&")
				}
			}
			if all != 5 || !seen["bob"] || !seen["ci-deploy"] {
				t.Errorf("paging showed %d entries (%v), want the 5 of ada's", all, seen)
			}
			res, _ = e.get("/admin/audit?cursor=!!", &admin)
			wantStatus(t, res, http.StatusBadRequest)
		})
	})
}

func TestReadableJSON(t *testing.T) {
	for in, want := range map[string]string{
		`null`:                                 ``,
		`{"c":"a \u003c 5 \u0026 b \u003e 2"}`: "{\n  \"c\": \"a < 5 & b > 2\"\n}",
		`["\\u003c", "\u00e9"]`:                "[\n  \"\\\\u003c\",\n  \"\\u00e9\"\n]",
	} {
		if got := readableJSON([]byte(in)); got != want {
			t.Errorf("readableJSON(%s) = %q, want %q", in, got, want)
		}
	}
}
