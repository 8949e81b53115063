package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/sso/ssotest"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestSSOServer signs in through an OpenID Connect provider configured in
// the config file, and with the provider stopped signs the local admin in
// (break-glass); a server whose provider is down at start starts anyway.
func TestSSOServer(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			op := ssotest.New(t, "sextant", "client-secret")
			op.SetUser(ssotest.User{Subject: "u-1", Email: "lee@example.com", PreferredUsername: "lee", Groups: []string{"sre"}})
			t.Setenv("SEXTANT_TEST_OIDC_SECRET", op.ClientSecret)
			cfg := filepath.Join(t.TempDir(), "sextant.yaml")
			if err := os.WriteFile(cfg, []byte(`oidc:
  issuer: `+op.URL+`
  client_id: sextant
  client_secret: ${SEXTANT_TEST_OIDC_SECRET}
  roles:
    operator: [sre]
  button_label: Sign in with Example ID
`), 0o600); err != nil {
				t.Fatal(err)
			}
			s := start(t, e, app.Options{ConfigPath: cfg})
			password := regexp.MustCompile(`sign in as "admin" with the password (\S+)`).FindStringSubmatch(s.out.String())
			if password == nil {
				t.Fatalf("no admin password in:\n%s", s.out)
			}
			get := func(c *http.Client, path string) (*http.Response, string) {
				t.Helper()
				res, err := c.Get(s.base + path)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res, string(b)
			}
			browser := func() *http.Client {
				jar, _ := cookiejar.New(nil)
				return &http.Client{Jar: jar}
			}

			res, body := get(browser(), "/login/oidc")
			if res.Request.URL.Path != "/" || !strings.Contains(body, `lee</a> <span class="role">operator</span>`) {
				t.Fatalf("sign-in through the provider ended at %s:\n%s", res.Request.URL, body)
			}

			// With the provider stopped (its endpoints already discovered,
			// so a browser sent there meets a dead address), the login page
			// still signs the local admin in.
			op.Stop()
			c := browser()
			res, body = get(c, "/login")
			m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
			if res.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, "Sign in with Example ID") {
				t.Fatalf("login page with the provider stopped: %d\n%s", res.StatusCode, body)
			}
			res, err := c.PostForm(s.base+"/login", url.Values{"csrf": {m[1]}, "name": {"admin"}, "password": {password[1]}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.Request.URL.Path != "/" || !strings.Contains(string(b), `admin</a> <span class="role">admin</span>`) {
				t.Fatalf("break-glass admin with the provider stopped: at %s\n%s", res.Request.URL, b)
			}

			// A reload without the oidc key turns single sign-on off.
			if err := os.WriteFile(cfg, []byte("services: []\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := s.app.Reload(context.Background(), "test"); err != nil {
				t.Fatal(err)
			}
			if _, body := get(browser(), "/login"); strings.Contains(body, "Sign in with Example ID") {
				t.Fatal("the login page still offers single sign-on after a reload without it")
			}
			if code, _ := s.do("GET", "/login/oidc", false); code != http.StatusNotFound {
				t.Fatalf("GET /login/oidc after the reload = %d, want 404", code)
			}
		})
	}
	t.Run("provider down at start, then back", func(t *testing.T) {
		op := ssotest.New(t, "sextant", "client-secret")
		op.SetUser(ssotest.User{Subject: "u-2", PreferredUsername: "kai", Groups: []string{"sre"}})
		op.SetUnavailable(true)
		cfg := filepath.Join(t.TempDir(), "sextant.yaml")
		if err := os.WriteFile(cfg, []byte("oidc:\n  issuer: "+op.URL+"\n  client_id: sextant\n  client_secret: client-secret\n  roles: {operator: [sre]}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		s := start(t, storetest.Engines(t)[0], app.Options{ConfigPath: cfg})
		if code, body := s.do("GET", "/login/oidc", false); code != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be reached right now") {
			t.Fatalf("GET /login/oidc with the provider down = %d\n%s", code, body)
		}
		op.SetUnavailable(false)
		jar, _ := cookiejar.New(nil)
		res, err := (&http.Client{Jar: jar}).Get(s.base + "/login/oidc")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Request.URL.Path != "/" || !strings.Contains(string(b), `kai</a> <span class="role">operator</span>`) {
			t.Fatalf("sign-in once the provider is back ended at %s:\n%s", res.Request.URL, b)
		}
	})
}
