package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/sso"
	"github.com/sextant-ops/sextant/internal/sso/ssotest"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// ssoEnv is the UI behind a real HTTP server with single sign-on through
// an in-process provider, and a browser-like client that keeps cookies and
// follows redirects.
type ssoEnv struct {
	*env
	op  *ssotest.Provider
	srv *httptest.Server
}

func newSSOEnv(t *testing.T, db *store.DB, cfg func(*sso.Config)) *ssoEnv {
	t.Helper()
	op := ssotest.New(t, "sextant", "client-secret")
	c := sso.Config{Issuer: op.URL, ClientID: op.ClientID, ClientSecret: secret.New(op.ClientSecret), ButtonLabel: "Sign in with Example ID",
		Roles: sso.RoleMap{Admin: []string{"sre-leads"}, Operator: []string{"sre"}}}
	if cfg != nil {
		cfg(&c)
	}
	p := sso.New(c, nil, nil)
	e := newEnv(t, db, func(d *Deps) { d.SSO = func() *sso.Provider { return p } })
	// The server's form-action policy is part of what sign-out must work
	// under: browsers refuse a form's redirect to another site.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; form-action 'self'")
		e.handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &ssoEnv{env: e, op: op, srv: srv}
}

// browser returns a client with its own cookies.
func (s *ssoEnv) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// visit GETs a path (or absolute URL) and returns the final response and
// its body, after every redirect.
func (s *ssoEnv) visit(c *http.Client, path string) (*http.Response, string) {
	s.t.Helper()
	if strings.HasPrefix(path, "/") {
		path = s.srv.URL + path
	}
	res, err := c.Get(path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestSSOSignInFlow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newSSOEnv(t, db, nil)
		sam := ssotest.User{Subject: "u-1", Email: "sam@example.com", Name: "Sam Reed", PreferredUsername: "sam", Groups: []string{"staff", "sre"}}
		s.op.SetUser(sam)
		c := s.browser()

		t.Run("login page offers the provider and local sign-in", func(t *testing.T) {
			res, body := s.visit(c, "/login?next=/incidents")
			if res.StatusCode != http.StatusOK || !strings.Contains(body, `href="/login/oidc?next=%2fincidents"`) || !strings.Contains(body, "Sign in with Example ID") || !strings.Contains(body, `name="password"`) {
				t.Fatalf("login page %d:\n%s", res.StatusCode, body)
			}
		})
		t.Run("sign-in lands on next with the role from groups", func(t *testing.T) {
			res, body := s.visit(c, "/login/oidc?next=/incidents")
			if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/incidents" || !strings.Contains(body, `sam</a> <span class="role">operator</span>`) {
				t.Fatalf("after sign-in at %s (%d):\n%s", res.Request.URL, res.StatusCode, body)
			}
			u, err := s.auth.GetUser(context.Background(), "sam")
			if err != nil || u.SSOIssuer != s.op.URL || u.DisplayName != "Sam Reed" || u.Email != "sam@example.com" {
				t.Fatalf("user %+v, %v", u, err)
			}
		})
		t.Run("admins see the account as SSO-managed, without a password", func(t *testing.T) {
			ada := s.login("ada")
			_, body := s.get("/admin/users", &ada)
			if !strings.Contains(body, `title="Signs in through `+s.op.URL+`">single sign-on</span>`) || strings.Contains(body, "/admin/users/sam/password") {
				t.Fatalf("users page:\n%s", body)
			}
			res, body := s.post("/admin/users/sam/password", url.Values{"password": {"a-long-password"}, "password_confirm": {"a-long-password"}}, &ada)
			if res.StatusCode != http.StatusConflict || !strings.Contains(body, "signs in through single sign-on and has no password") {
				t.Fatalf("setting an SSO account's password: %d\n%s", res.StatusCode, body)
			}
		})
		t.Run("next sign-in takes the new role and creates no user", func(t *testing.T) {
			before, _ := s.auth.CountUsers(context.Background())
			s.op.SetUser(ssotest.User{Subject: "u-1", Email: "sam@example.com", Name: "Sam Reed", PreferredUsername: "sam", Groups: []string{"sre-leads"}})
			res, body := s.visit(s.browser(), "/login/oidc")
			if res.Request.URL.Path != "/" || !strings.Contains(body, `sam</a> <span class="role">admin</span>`) {
				t.Fatalf("after second sign-in at %s:\n%s", res.Request.URL, body)
			}
			if after, _ := s.auth.CountUsers(context.Background()); after != before {
				t.Fatalf("%d users after, %d before", after, before)
			}
		})
		t.Run("logout ends the session and signs out at the provider", func(t *testing.T) {
			_, body := s.visit(c, "/")
			m := csrfInput.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no csrf token on the dashboard:\n%s", body)
			}
			res, err := c.PostForm(s.srv.URL+"/logout", url.Values{"csrf": {m[1]}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			to, ok := strings.CutPrefix(res.Header.Get("Refresh"), "0; url=")
			if res.StatusCode != http.StatusOK || !ok || !strings.HasPrefix(to, s.op.URL+"/logout?") {
				t.Fatalf("logout answered %d with Refresh %q", res.StatusCode, res.Header.Get("Refresh"))
			}
			if res, _ := s.visit(c, to); res.Request.URL.Path != "/login" {
				t.Fatalf("the provider's sign-out ended at %s", res.Request.URL)
			}
			logouts := s.op.Logouts()
			if len(logouts) != 1 || logouts[0].Get("id_token_hint") == "" || logouts[0].Get("post_logout_redirect_uri") != s.srv.URL+"/login" {
				t.Fatalf("provider logouts %v", logouts)
			}
			if res, _ := s.visit(c, "/incidents"); res.Request.URL.Path != "/login" {
				t.Fatalf("still signed in after logout: %s", res.Request.URL)
			}
		})
		t.Run("a provider user named like a local account gets its own", func(t *testing.T) {
			s.op.SetUser(ssotest.User{Subject: "u-ada", Email: "ada@example.com", PreferredUsername: "ada", Groups: []string{"sre"}})
			_, body := s.visit(s.browser(), "/login/oidc")
			if !strings.Contains(body, `ada-`) || strings.Contains(body, `ada</a> <span class="role">`) {
				t.Fatalf("the provider's ada signed in as the local one:\n%s", body)
			}
			if local, _ := s.auth.GetUser(context.Background(), "ada"); local.Role != auth.Admin || local.SSOIssuer != "" {
				t.Fatalf("local ada changed: %+v", local)
			}
		})
	})
}

func TestSSORefusals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newSSOEnv(t, db, func(c *sso.Config) { c.AllowedDomains = []string{"example.com"} })
		good := ssotest.User{Subject: "u-2", Email: "kim@example.com", PreferredUsername: "kim", Groups: []string{"sre"}}
		for _, tc := range []struct {
			name   string
			user   ssotest.User
			fault  ssotest.Fault
			status int
			want   string
		}{
			{"disallowed domain", ssotest.User{Subject: "u-3", Email: "eve@evil.example", PreferredUsername: "eve", Groups: []string{"sre"}}, ssotest.Honest,
				http.StatusForbidden, "Your account is not allowed to sign in to Sextant; ask an admin."},
			{"no role", ssotest.User{Subject: "u-4", Email: "nat@example.com", PreferredUsername: "nat", Groups: []string{"sales"}}, ssotest.Honest,
				http.StatusForbidden, "Your account has no Sextant role; ask an admin."},
			{"bad signature", good, ssotest.BadSignature, http.StatusUnauthorized, "could not be verified"},
			{"wrong audience", good, ssotest.WrongAudience, http.StatusUnauthorized, "could not be verified"},
			{"expired token", good, ssotest.Expired, http.StatusUnauthorized, "could not be verified"},
			{"wrong nonce", good, ssotest.WrongNonce, http.StatusUnauthorized, "could not be verified"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s.op.SetUser(tc.user)
				s.op.SetFault(tc.fault)
				defer s.op.SetFault(ssotest.Honest)
				before, _ := s.auth.CountUsers(context.Background())
				res, body := s.visit(s.browser(), "/login/oidc")
				if res.StatusCode != tc.status || res.Request.URL.Path != sso.CallbackPath || !strings.Contains(body, tc.want) || !strings.Contains(body, `name="password"`) {
					t.Fatalf("%d at %s, want %d with %q and the local form:\n%s", res.StatusCode, res.Request.URL.Path, tc.status, tc.want, body)
				}
				if after, _ := s.auth.CountUsers(context.Background()); after != before {
					t.Fatalf("a refused sign-in created a user (%d → %d)", before, after)
				}
			})
		}
		t.Run("the provider's own error", func(t *testing.T) {
			c := s.browser()
			noFollow := *c
			noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			res, err := noFollow.Get(s.srv.URL + "/login/oidc")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			state := mustParse(t, res.Header.Get("Location")).Query().Get("state")
			res, body := s.visit(c, sso.CallbackPath+"?error=access_denied&error_description=User+cancelled&state="+url.QueryEscape(state))
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "did not sign you in: User cancelled (access_denied)") {
				t.Fatalf("%d:\n%s", res.StatusCode, body)
			}
		})
		t.Run("state must match this browser and be used once", func(t *testing.T) {
			s.op.SetUser(good)
			c := s.browser()
			var callback string
			c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
				if r.URL.Path == sso.CallbackPath && callback == "" {
					callback = r.URL.String()
				}
				return nil
			}
			if res, _ := s.visit(c, "/login/oidc"); res.Request.URL.Path != "/" {
				t.Fatalf("honest sign-in ended at %s", res.Request.URL)
			}
			// Another browser (an attacker's victim) opening the same
			// callback URL is not signed in to kim's account.
			res, body := s.visit(s.browser(), callback)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "expired or was begun in another browser") {
				t.Fatalf("callback in another browser: %d\n%s", res.StatusCode, body)
			}
			// The same browser replaying it is refused as well.
			res, _ = s.visit(c, callback)
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("replayed callback: %d", res.StatusCode)
			}
		})
		t.Run("an SSO account cannot use the password form", func(t *testing.T) {
			res, body := s.post("/login", url.Values{"name": {"kim"}, "password": {"!sso"}, "csrf": {"x"}}, nil)
			if res.StatusCode == http.StatusSeeOther || strings.Contains(body, "kim <span") {
				t.Fatalf("password login as an SSO account: %d", res.StatusCode)
			}
		})
	})
}

func TestSSOProviderDown(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newSSOEnv(t, db, nil)
		s.op.Stop()
		c := s.browser()
		res, body := s.visit(c, "/login/oidc")
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be reached right now. Sign in with a local account") {
			t.Fatalf("provider down: %d\n%s", res.StatusCode, body)
		}
		// The local admin (break-glass) still signs in from that page.
		m := csrfInput.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no login form:\n%s", body)
		}
		res, err := c.PostForm(s.srv.URL+"/login", url.Values{"csrf": {m[1]}, "name": {"ada"}, "password": {testPassword}, "next": {"/admin"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Request.URL.Path != "/admin" || !strings.Contains(string(b), `ada</a> <span class="role">admin</span>`) {
			t.Fatalf("local admin with the provider down: at %s\n%s", res.Request.URL, b)
		}
	})
}

func TestSSOOff(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		if _, body := e.get("/login", nil); strings.Contains(body, "/login/oidc") {
			t.Fatal("the login page offers single sign-on that is not configured")
		}
		for _, p := range []string{"/login/oidc", sso.CallbackPath + "?state=x&code=y"} {
			if res, _ := e.get(p, nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", p, res.StatusCode)
			}
		}
	})
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSSOBeginLimit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newSSOEnv(t, db, nil)
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		status := 0
		n := 0
		for ; n < 100 && status != http.StatusTooManyRequests; n++ {
			res, err := c.Get(s.srv.URL + "/login/oidc")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			status = res.StatusCode
			if status == http.StatusTooManyRequests && !strings.Contains(string(b), "Too many single sign-ons begun from your address") {
				t.Fatalf("429 page:\n%s", b)
			}
		}
		if n != 21 {
			t.Fatalf("refused after %d sign-ins begun, want the 21st", n)
		}
	})
}
