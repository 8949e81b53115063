package sso_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/sso"
	"github.com/sextant-ops/sextant/internal/sso/ssotest"
)

const callback = "https://sextant.example.com/login/oidc/callback"

func config(op *ssotest.Provider) sso.Config {
	return sso.Config{Issuer: op.URL, ClientID: op.ClientID, ClientSecret: secret.New(op.ClientSecret),
		Roles: sso.RoleMap{Admin: []string{"sre-leads"}, Operator: []string{"sre"}}}
}

// authorize runs the browser's half: to the provider and back with a code.
func authorize(t *testing.T, p *sso.Provider, state, nonce, verifier string) string {
	t.Helper()
	to, err := p.AuthCodeURL(context.Background(), callback, state, nonce, verifier)
	if err != nil {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(to)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), callback) || back.Query().Get("state") != state {
		t.Fatalf("provider sent the browser to %q", res.Header.Get("Location"))
	}
	return back.Query().Get("code")
}

func TestExchange(t *testing.T) {
	op := ssotest.New(t, "sextant", "s3cret")
	op.SetUser(ssotest.User{Subject: "u-1", Email: "sam@example.com", Name: "Sam Reed", PreferredUsername: "sam", Groups: []string{"staff", "sre"}})
	p := sso.New(config(op), nil, nil)
	verifier := "a-verifier-of-at-least-43-characters-long-0123456789"

	t.Run("honest token", func(t *testing.T) {
		code := authorize(t, p, "st", "nonce-1", verifier)
		id, err := p.Exchange(context.Background(), callback, code, verifier, "nonce-1")
		if err != nil {
			t.Fatal(err)
		}
		if id.Issuer != op.URL || id.Subject != "u-1" || id.Email != "sam@example.com" || !id.EmailVerified || id.Username != "sam" || id.Name != "Sam Reed" || id.IDToken == "" {
			t.Fatalf("identity %+v", id)
		}
		if role, err := p.Role(id); err != nil || role != auth.Operator {
			t.Fatalf("Role = %q, %v; want operator from the sre group", role, err)
		}
		// PKCE: the provider was asked with the verifier's S256 challenge.
		a := op.Authorizations()
		if q := a[len(a)-1]; q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") != "nonce-1" || q.Get("scope") != "openid email profile" {
			t.Fatalf("authorization request %v", q)
		}
	})
	for _, tc := range []struct {
		name  string
		fault ssotest.Fault
		want  string
	}{
		{"bad signature", ssotest.BadSignature, "signature"},
		{"wrong audience", ssotest.WrongAudience, "audience"},
		{"wrong issuer", ssotest.WrongIssuer, "different provider"},
		{"expired", ssotest.Expired, "expired"},
		{"wrong nonce", ssotest.WrongNonce, "nonce"},
	} {
		t.Run(tc.name+" refused", func(t *testing.T) {
			op.SetFault(tc.fault)
			defer op.SetFault(ssotest.Honest)
			code := authorize(t, p, "st", "nonce-2", verifier)
			_, err := p.Exchange(context.Background(), callback, code, verifier, "nonce-2")
			if !errors.Is(err, sso.ErrRejected) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Exchange = %v, want ErrRejected about %s", err, tc.want)
			}
		})
	}
	t.Run("wrong PKCE verifier refused", func(t *testing.T) {
		code := authorize(t, p, "st", "nonce-3", verifier)
		_, err := p.Exchange(context.Background(), callback, code, verifier+"x", "nonce-3")
		if !errors.Is(err, sso.ErrRejected) || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("Exchange = %v, want ErrRejected (invalid_grant)", err)
		}
	})
	t.Run("a code is exchanged once", func(t *testing.T) {
		code := authorize(t, p, "st", "nonce-4", verifier)
		if _, err := p.Exchange(context.Background(), callback, code, verifier, "nonce-4"); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Exchange(context.Background(), callback, code, verifier, "nonce-4"); !errors.Is(err, sso.ErrRejected) {
			t.Fatalf("second exchange = %v", err)
		}
	})
	t.Run("logout URL carries the ID token hint", func(t *testing.T) {
		u, err := url.Parse(p.LogoutURL("the-id-token", "https://sextant.example.com/login"))
		if err != nil || u.Path != "/logout" || u.Query().Get("id_token_hint") != "the-id-token" ||
			u.Query().Get("post_logout_redirect_uri") != "https://sextant.example.com/login" || u.Query().Get("client_id") != "sextant" {
			t.Fatalf("LogoutURL = %v (%v)", u, err)
		}
		if got := p.LogoutURL("", "https://sextant.example.com/login"); got != "" {
			t.Fatalf("LogoutURL without a token = %q", got)
		}
	})
}

func TestDiscoveryRetried(t *testing.T) {
	op := ssotest.New(t, "sextant", "s3cret")
	op.SetUnavailable(true)
	p := sso.New(config(op), nil, nil)
	if _, err := p.AuthCodeURL(context.Background(), callback, "s", "n", "v"); !errors.Is(err, sso.ErrUnavailable) {
		t.Fatalf("AuthCodeURL with the provider answering 503 = %v, want ErrUnavailable", err)
	}
	op.SetUnavailable(false)
	if _, err := p.AuthCodeURL(context.Background(), callback, "s", "n", "v"); err != nil {
		t.Fatalf("AuthCodeURL once the provider is back = %v", err)
	}
}

func TestProviderDown(t *testing.T) {
	op := ssotest.New(t, "sextant", "s3cret")
	cfg := config(op)
	op.Stop()
	p := sso.New(cfg, nil, nil)
	for i := range 2 {
		if _, err := p.AuthCodeURL(context.Background(), callback, "s", "n", "v"); !errors.Is(err, sso.ErrUnavailable) {
			t.Fatalf("attempt %d: AuthCodeURL = %v, want ErrUnavailable", i, err)
		}
	}
	if got := p.LogoutURL("tok", "https://sextant.example.com/login"); got != "" {
		t.Fatalf("LogoutURL of an unreached provider = %q", got)
	}
}

func TestRole(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  sso.Config
		id   sso.Identity
		want auth.Role
		err  error
	}{
		{"most powerful group wins", sso.Config{Roles: sso.RoleMap{Admin: []string{"leads"}, Operator: []string{"sre"}}},
			sso.Identity{Groups: []string{"sre", "leads"}}, auth.Admin, nil},
		{"star grants everyone", sso.Config{Roles: sso.RoleMap{Operator: []string{"sre"}, Viewer: []string{"*"}}},
			sso.Identity{Groups: []string{"sales"}}, auth.Viewer, nil},
		{"no group, no default", sso.Config{Roles: sso.RoleMap{Operator: []string{"sre"}}},
			sso.Identity{Groups: []string{"sales"}}, "", sso.ErrNoRole},
		{"no group, default viewer", sso.Config{DefaultRole: "viewer", Roles: sso.RoleMap{Operator: []string{"sre"}}},
			sso.Identity{}, auth.Viewer, nil},
		{"allowed domain", sso.Config{AllowedDomains: []string{"example.com"}, DefaultRole: "viewer"},
			sso.Identity{Email: "a@Example.com", EmailVerified: true}, auth.Viewer, nil},
		{"disallowed domain", sso.Config{AllowedDomains: []string{"example.com"}, DefaultRole: "viewer"},
			sso.Identity{Email: "a@evil.example", EmailVerified: true}, "", sso.ErrNotAllowed},
		{"unverified e-mail does not count", sso.Config{AllowedDomains: []string{"example.com"}, DefaultRole: "viewer"},
			sso.Identity{Email: "a@example.com"}, "", sso.ErrNotAllowed},
		{"allowed subject", sso.Config{AllowedDomains: []string{"example.com"}, AllowedSubjects: []string{"u-7"}, DefaultRole: "viewer"},
			sso.Identity{Subject: "u-7", Email: "contractor@elsewhere.example", EmailVerified: true}, auth.Viewer, nil},
		{"allowed e-mail", sso.Config{AllowedSubjects: []string{"Pat@Elsewhere.example"}, DefaultRole: "viewer"},
			sso.Identity{Subject: "u-8", Email: "pat@elsewhere.example", EmailVerified: true}, auth.Viewer, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sso.New(tc.cfg, nil, nil).Role(tc.id)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Fatalf("Role = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := sso.Config{Issuer: "https://id.example.com/realms/ops", ClientID: "sextant"}
	for _, tc := range []struct {
		name   string
		change func(*sso.Config)
		want   string // "path: message part"; "" for none
	}{
		{"minimal", func(*sso.Config) {}, ""},
		{"localhost over http", func(c *sso.Config) { c.Issuer = "http://127.0.0.1:5556/dex" }, ""},
		{"no issuer", func(c *sso.Config) { c.Issuer = "" }, "issuer: \"\" must be the provider's absolute issuer URL"},
		{"plain http", func(c *sso.Config) { c.Issuer = "http://id.example.com" }, "issuer: \"http://id.example.com\" must use https"},
		{"no client id", func(c *sso.Config) { c.ClientID = "" }, "client_id: is required"},
		{"redirect elsewhere", func(c *sso.Config) { c.RedirectURL = "https://sextant.example.com/cb" }, "redirect_url: \"https://sextant.example.com/cb\" must end in /login/oidc/callback"},
		{"scopes without openid", func(c *sso.Config) { c.Scopes = []string{"email"} }, "scopes: must include openid"},
		{"bad domain", func(c *sso.Config) { c.AllowedDomains = []string{"@example.com"} }, "allowed_domains[0]: \"@example.com\" is not a domain name"},
		{"bad default role", func(c *sso.Config) { c.DefaultRole = "admin" }, "default_role: \"admin\" must be none or viewer"},
		{"empty role value", func(c *sso.Config) { c.Roles.Operator = []string{""} }, "roles.operator[0]: is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.change(&c)
			fields := c.Validate()
			if tc.want == "" {
				if len(fields) > 0 {
					t.Fatalf("problems %v", fields)
				}
				return
			}
			if len(fields) != 1 || !strings.HasPrefix(fields[0].Path+": "+fields[0].Msg, tc.want) {
				t.Fatalf("problems %v, want one starting %q", fields, tc.want)
			}
		})
	}
}
