package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/sso/ssotest"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserSSO signs in through an OpenID Connect provider in headless
// Chromium: the login page's button, the provider's approval, the
// dashboard with the role the group claim maps to, a role change at the
// next sign-in, sign-out through the provider, a user with no role
// refused, and with the provider down the local admin signing in. Each
// step leaves a screenshot in test-output/browser/sso-*.png.
func TestBrowserSSO(t *testing.T) {
	sqlite := storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }}
	s := newSSOEnv(t, storetest.Open(t, sqlite), nil)
	s.op.SetUser(ssotest.User{Subject: "u-1", Email: "sam@example.com", Name: "Sam Reed", PreferredUsername: "sam", Groups: []string{"staff", "sre"}})

	b := newBrowser(t, "sso", 60*time.Second)
	shot, do, text, location := b.shot, b.do, b.text, b.location
	signOut := func() {
		t.Helper()
		do("sign out through the provider",
			chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
			chromedp.WaitVisible(chromedp.ID("sso-login")),
		)
	}

	do("open Sextant, which asks to sign in",
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("sso-login")),
	)
	if got := text("#sso-login"); got != "Sign in with Example ID" {
		t.Errorf("the button reads %q", got)
	}
	shot("login")

	do("sign in with the provider",
		chromedp.Click(chromedp.ID("sso-login")),
		chromedp.WaitVisible(chromedp.CSS(".who")),
	)
	if l := location(); l != s.srv.URL+"/" {
		t.Errorf("after sign-in at %s, want the dashboard", l)
	}
	if got := text(".account"); !strings.Contains(got, "sam") || !strings.Contains(got, "operator") {
		t.Errorf("signed in as %q, want sam with the operator role from the sre group", got)
	}
	shot("dashboard-operator")

	signOut()
	if l := location(); !strings.HasPrefix(l, s.srv.URL+"/login") {
		t.Errorf("after sign-out at %s", l)
	}
	if lo := s.op.Logouts(); len(lo) != 1 || lo[0].Get("id_token_hint") == "" {
		t.Errorf("the provider saw sign-outs %v", lo)
	}

	s.op.SetUser(ssotest.User{Subject: "u-1", Email: "sam@example.com", Name: "Sam Reed", PreferredUsername: "sam", Groups: []string{"sre-leads"}})
	do("sign in again after joining sre-leads",
		chromedp.Click(chromedp.ID("sso-login")),
		chromedp.WaitVisible(chromedp.CSS(".who")),
	)
	if got := text(".account"); !strings.Contains(got, "admin") {
		t.Errorf("signed in as %q, want the admin role from sre-leads", got)
	}
	shot("dashboard-admin")
	signOut()

	s.op.SetUser(ssotest.User{Subject: "u-9", Email: "nat@example.com", PreferredUsername: "nat", Groups: []string{"sales"}})
	do("sign in as a user whose groups grant no role",
		chromedp.Click(chromedp.ID("sso-login")),
		chromedp.WaitVisible(chromedp.CSS(".alert.error")),
	)
	if got := text(".alert.error"); !strings.Contains(got, "Your account has no Sextant role; ask an admin.") {
		t.Errorf("refusal reads %q", got)
	}
	shot("no-role")

	// A second server whose provider is down from the start: the button
	// explains, and the local admin signs in below it.
	down := newSSOEnv(t, storetest.Open(t, sqlite), nil)
	down.op.Stop()
	do("try the provider while it is down",
		chromedp.Navigate(down.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("sso-login")),
		chromedp.Click(chromedp.ID("sso-login")),
		chromedp.WaitVisible(chromedp.CSS(".alert.error")),
	)
	if got := text(".alert.error"); !strings.Contains(got, "cannot be reached right now") {
		t.Errorf("provider-down message reads %q", got)
	}
	shot("provider-down")
	do("sign in as the local admin",
		chromedp.SendKeys(chromedp.ID("login-name"), "ada"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".who")),
	)
	if got := text(".account"); !strings.Contains(got, "ada") || !strings.Contains(got, "admin") {
		t.Errorf("break-glass sign-in as %q", got)
	}
	shot("break-glass-admin")
}
