package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserTwoFactor walks two-factor sign-in in headless Chromium: an
// admin, required to have a second factor, is sent to set it up right
// after the password, scans (here: reads) the key, confirms a code the
// test computes, keeps the recovery codes, signs out, and signs in again
// with password and code, then with a recovery code. Screenshots go to
// test-output/browser/2fa-*.png.
func TestBrowserTwoFactor(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e := newEnv(t, db)
	e.auth.UseKey(make([]byte, 32))
	e.auth.RequireSecondFactor([]auth.Role{auth.Admin})
	srv := httptest.NewServer(e.handler)
	defer srv.Close()

	b := newBrowser(t, "2fa", 60*time.Second)
	ctx := b.ctx
	shot, do, text, location := b.shot, b.do, b.text, b.location
	password := func(next string) {
		t.Helper()
		do("the password step",
			chromedp.Navigate(srv.URL+"/login?next="+next),
			chromedp.WaitVisible(chromedp.ID("login-name")),
			chromedp.SendKeys(chromedp.ID("login-name"), "ada"),
			chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		)
	}
	signOut := func() {
		t.Helper()
		do("sign out",
			chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
			chromedp.WaitVisible(chromedp.ID("login-name")),
		)
	}

	password("/admin/users")
	do("sent to set up a second factor", chromedp.WaitVisible(chromedp.CSS(`form[action="/account/two-factor/start"]`)))
	if l := location(); l != srv.URL+twoFactorPath {
		t.Fatalf("after the password at %s, want the two-factor page", l)
	}
	if got := text("main .alert.note"); !strings.Contains(got, "Your role (admin) must use two-factor sign-in") {
		t.Errorf("the notice reads %q", got)
	}
	shot("required")
	do("nothing else opens",
		chromedp.Navigate(srv.URL+"/admin/users"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/account/two-factor/start"]`)),
	)

	do("start the set-up",
		chromedp.Click(chromedp.CSS(`form[action="/account/two-factor/start"] button`)),
		chromedp.WaitVisible(chromedp.CSS("figure.qr svg")),
	)
	secret := strings.ReplaceAll(text("#totp-secret"), " ", "")
	if len(secret) != 32 {
		t.Fatalf("the key on the page is %q, want 32 base32 characters (160 bits)", secret)
	}
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector("figure.qr svg").getBoundingClientRect(); return [r.width, r.height]; })()`))
	if err != nil || size[0] < 150 || size[0] != size[1] {
		t.Errorf("the QR code is drawn %v (%v), want a square at least 150 px wide", size, err)
	}
	shot("qr-code")

	do("a wrong code first",
		chromedp.SendKeys(chromedp.ID("setup-code"), "12345"),
		chromedp.Click(chromedp.CSS(`form[action="/account/two-factor/setup"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("main .alert.error")),
	)
	if got := text("main .alert.error"); !strings.Contains(got, "The code must be the 6 digits your app shows") {
		t.Errorf("the problem reads %q", got)
	}
	code, err := auth.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do("confirm with the app's code",
		chromedp.SetValue(chromedp.ID("setup-code"), code),
		chromedp.Click(chromedp.CSS(`form[action="/account/two-factor/setup"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")),
	)
	codes := strings.Fields(text("#recovery-codes"))
	if len(codes) != auth.RecoveryCodes {
		t.Fatalf("recovery codes %q", codes)
	}
	shot("recovery-codes")
	do("the admin pages open now",
		chromedp.Navigate(srv.URL+"/admin/users"),
		chromedp.WaitVisible(chromedp.CSS("table.users")),
	)
	signOut()

	password("/admin/users")
	do("the code step", chromedp.WaitVisible(chromedp.ID("login-code")))
	shot("code-step")
	do("a wrong code",
		chromedp.SendKeys(chromedp.ID("login-code"), "000000"),
		chromedp.Click(chromedp.CSS(`form[action="/login/code"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("main .alert.error")),
	)
	if got := text("main .alert.error"); !strings.Contains(got, "Wrong code") {
		t.Errorf("the problem reads %q", got)
	}
	shot("code-step-wrong")
	// The set-up used this time step's code, and a code works once: the
	// app's next code (one step ahead is accepted) signs in.
	next, err := auth.TOTPCode(secret, time.Now().Add(auth.TOTPStep))
	if err != nil {
		t.Fatal(err)
	}
	do("the app's code",
		chromedp.SetValue(chromedp.ID("login-code"), next),
		chromedp.Click(chromedp.CSS(`form[action="/login/code"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.users")),
	)
	if l := location(); l != srv.URL+"/admin/users" {
		t.Errorf("signed in at %s, want /admin/users", l)
	}
	if got := text("table.users"); !strings.Contains(got, "ada") || !strings.Contains(got, "on") {
		t.Errorf("the user list reads %q", got)
	}
	shot("signed-in")
	signOut()

	password("/")
	do("a recovery code instead",
		chromedp.WaitVisible(chromedp.ID("login-code")),
		chromedp.SendKeys(chromedp.ID("login-code"), codes[0]),
		chromedp.Click(chromedp.CSS(`form[action="/login/code"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(srv.URL+twoFactorPath),
		chromedp.WaitVisible(chromedp.ID("disable-code")),
	)
	if got := text("main"); !strings.Contains(got, fmt.Sprintf("%d of your recovery codes are unused", auth.RecoveryCodes-1)) {
		t.Errorf("the two-factor page reads %q", got)
	}
	shot("two-factor-on")
}
