package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestCheckCredentialsInTheUI: the pages show that a credential is set but
// never its value, and the edit form keeps, replaces or removes each one.
func TestCheckCredentialsInTheUI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.putService(catalog.Service{Name: "payroll", Title: "Payroll"})
		operator, viewer, admin := e.login("olivia"), e.login("victor"), e.login("ada")
		pw := "pa55w0rd-basic"
		e.putCheck(monitor.Check{Name: "payroll-web", Service: "payroll", Type: "http", URL: "https://payroll.example.net/health",
			Headers:   map[string]string{"X-Auth-Token": "Bearer s3cr3t", "X-Api-Key": "k3y-0f-the-api", "Accept": "application/json"},
			BasicAuth: &monitor.BasicAuth{Username: "probe", Password: &pw}})
		secrets := []string{"s3cr3t", "k3y-0f-the-api", pw}

		for _, c := range []struct {
			name, path string
			who        *session
			want       []string
		}{
			{"check page for a viewer", "/checks/payroll-web", &viewer, []string{"<code>X-Api-Key: [set]</code>", "<code>Accept: application/json</code>", "user <code>probe</code>, password <code>[set]</code>"}},
			{"check page for an admin", "/checks/payroll-web", &admin, []string{"<code>X-Auth-Token: [set]</code>"}},
			{"check list", "/checks", &admin, []string{"payroll-web"}},
			{"service page", "/services/payroll", &admin, []string{"payroll-web"}},
			{"edit form", "/checks/payroll-web/edit", &operator, []string{"A value is set — leave blank to keep, tick to remove, or type a new one.",
				`name="headers.X-Api-Key" autocomplete="new-password"`, `value="probe"`, `name="basic_auth.remove_password"`}},
			{"delete page", "/checks/payroll-web/delete", &operator, []string{"Delete check payroll-web?"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				res, body := e.get(c.path, c.who)
				wantStatus(t, res, http.StatusOK)
				wantContains(t, body, c.want...)
				wantNotContains(t, body, secrets...)
			})
		}

		edit := func(change func(url.Values)) (*http.Response, string) {
			form := validCheckForm("ignored")
			form.Set("url", "https://payroll.example.net/health")
			form.Set("basic_auth.username", "probe") // as the form shows it
			change(form)
			return e.post("/checks/payroll-web/edit", form, &operator)
		}
		stored := func() monitor.Check {
			t.Helper()
			sc, err := e.checks.Get(ctx, "payroll-web")
			if err != nil {
				t.Fatal(err)
			}
			return sc.Check
		}

		t.Run("blank inputs keep every credential", func(t *testing.T) {
			res, _ := edit(func(url.Values) {})
			wantStatus(t, res, http.StatusSeeOther)
			c := stored()
			if c.Headers["X-Auth-Token"] != "Bearer s3cr3t" || c.Headers["X-Api-Key"] != "k3y-0f-the-api" || c.BasicAuth == nil || c.BasicAuth.Username != "probe" || *c.BasicAuth.Password != pw {
				t.Fatalf("after a blank edit: %+v %+v", c.Headers, c.BasicAuth)
			}
		})
		t.Run("a form with a problem shows no typed credential and changes nothing", func(t *testing.T) {
			res, body := edit(func(f url.Values) {
				f.Set("interval", "soon")
				f.Set("headers.X-Api-Key", "typed-new-key")
				f.Set("new_header.name", "X-Session-Id")
				f.Set("new_header.value", "typed-session")
				f.Set("basic_auth.password", "typed-password")
			})
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantNotContains(t, body, append(secrets, "typed-new-key", "typed-session", "typed-password")...)
			wantContains(t, body, `value="X-Session-Id"`)
			if c := stored(); c.Headers["X-Api-Key"] != "k3y-0f-the-api" || c.Headers["X-Session-Id"] != "" {
				t.Fatalf("a refused form changed the check: %+v", c.Headers)
			}
		})
		t.Run("typed values replace, ticked boxes remove", func(t *testing.T) {
			res, _ := edit(func(f url.Values) {
				f.Set("headers.X-Api-Key", "rotated-key")
				f.Add("remove_header", "X-Auth-Token")
				f.Set("new_header.name", "Cookie")
				f.Set("new_header.value", "session=abc123")
				f.Set("basic_auth.username", "probe")
				f.Set("basic_auth.remove_password", "1")
			})
			wantStatus(t, res, http.StatusSeeOther)
			c := stored()
			if _, left := c.Headers["X-Auth-Token"]; left || c.Headers["X-Api-Key"] != "rotated-key" || c.Headers["Cookie"] != "session=abc123" || c.Headers["Accept"] != "application/json" ||
				c.BasicAuth == nil || c.BasicAuth.HasPassword() {
				t.Fatalf("after the edit: %+v %+v", c.Headers, c.BasicAuth)
			}
			_, body := e.get("/checks/payroll-web", &viewer)
			wantNotContains(t, body, "rotated-key", "abc123")
			wantContains(t, body, "<code>Cookie: [set]</code>")
		})
		t.Run("a blank user name removes basic auth", func(t *testing.T) {
			res, _ := edit(func(f url.Values) { f.Set("basic_auth.username", "") })
			wantStatus(t, res, http.StatusSeeOther)
			if c := stored(); c.BasicAuth != nil {
				t.Fatalf("basic auth left: %+v", c.BasicAuth)
			}
		})
		t.Run("the audit log shows that values were set, never them", func(t *testing.T) {
			res, body := e.get("/admin/audit", &admin)
			wantStatus(t, res, http.StatusOK)
			wantNotContains(t, body, append(secrets, "rotated-key", "abc123")...)
		})
	})
}
