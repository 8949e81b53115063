package web

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// cookieClient is a browser's cookie handling over the test handler: it
// sends back what the server set and forgets what it deleted.
type cookieClient struct {
	e       *env
	addr    string
	cookies map[string]*http.Cookie
}

func (e *env) client() *cookieClient { return e.clientFrom("192.0.2.1") }

// clientFrom is a browser at another address, which has failed-login
// limits of its own.
func (e *env) clientFrom(ip string) *cookieClient {
	return &cookieClient{e: e, addr: ip + ":40000", cookies: map[string]*http.Cookie{}}
}

func (c *cookieClient) send(req *http.Request) (*http.Response, string) {
	c.e.t.Helper()
	req.RemoteAddr = c.addr
	for _, k := range c.cookies {
		req.AddCookie(k)
	}
	res, body := c.e.do(req, nil)
	for _, k := range res.Cookies() {
		if k.MaxAge < 0 {
			delete(c.cookies, k.Name)
		} else {
			c.cookies[k.Name] = k
		}
	}
	return res, body
}

func (c *cookieClient) get(path string) (*http.Response, string) {
	return c.send(httptest.NewRequest(http.MethodGet, path, nil))
}

func (c *cookieClient) post(path string, form url.Values) (*http.Response, string) {
	return c.send(formRequest(path, form))
}

// signIn posts the password step with the login form's token.
func (c *cookieClient) signIn(name, password string) (*http.Response, string) {
	c.e.t.Helper()
	_, body := c.get("/login")
	return c.post("/login", url.Values{"csrf": {hiddenValue(c.e.t, body, "csrf")}, "name": {name}, "password": {password}, "next": {"/services"}})
}

// code posts the code step.
func (c *cookieClient) code(code string) (*http.Response, string) {
	c.e.t.Helper()
	_, body := c.get("/login/code?next=/services")
	return c.post("/login/code", url.Values{"csrf": {hiddenValue(c.e.t, body, "csrf")}, "code": {code}, "next": {"/services"}})
}

// csrf is the session's token, read from a page's sign-out form.
func (c *cookieClient) csrf(t *testing.T) string {
	t.Helper()
	_, body := c.get(twoFactorPath)
	return hiddenValue(t, body, "csrf")
}

var secretRe = regexp.MustCompile(`<code class="secret" id="totp-secret">([A-Z2-7 ]+)</code>`)

// enrolThroughUI sets up a second factor the way a person does, and
// returns the secret read from the page and the recovery codes.
func enrolThroughUI(t *testing.T, c *cookieClient) (string, []string) {
	t.Helper()
	csrf := c.csrf(t)
	res, _ := c.post(twoFactorPath+"/start", url.Values{"csrf": {csrf}})
	wantStatus(t, res, http.StatusSeeOther)
	res, body := c.get(res.Header.Get("Location"))
	wantStatus(t, res, http.StatusOK)
	wantContains(t, body, `<svg xmlns="http://www.w3.org/2000/svg" class="qr"`, "otpauth://totp/Sextant:")
	// The QR code is drawn by the server: the page loads no script but
	// the UI's own, which only makes pages live.
	if n, own := strings.Count(body, "<script"), strings.Count(body, `<script src="/static/live.`); n != own {
		t.Errorf("the set-up page has %d scripts besides the UI's own", n-own)
	}
	m := secretRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the set-up page:\n%s", body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	code, err := auth.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if wrong == code {
		wrong = "111111"
	}
	res, body = c.post(twoFactorPath+"/setup", url.Values{"csrf": {csrf}, "code": {wrong}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantContains(t, body, "That is not the code your app shows now", `id="totp-secret"`)
	res, body = c.post(twoFactorPath+"/setup", url.Values{"csrf": {csrf}, "code": {code}})
	wantStatus(t, res, http.StatusOK)
	codes := regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`).FindAllStringSubmatch(body, -1)
	if len(codes) != auth.RecoveryCodes {
		t.Fatalf("%d recovery codes on the page:\n%s", len(codes), body)
	}
	var out []string
	for _, m := range codes {
		out = append(out, html.UnescapeString(m[1]))
	}
	// Never shown again.
	res, _ = c.get(twoFactorPath + "/setup")
	wantStatus(t, res, http.StatusSeeOther)
	_, body = c.get(twoFactorPath)
	wantContains(t, body, "Two-factor sign-in is <strong>on</strong>")
	wantNotContains(t, body, m[1], out[0])
	return secret, out
}

func TestTwoFactorPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		olivia := e.client()
		res, _ := olivia.signIn("olivia", testPassword)
		wantStatus(t, res, http.StatusSeeOther)
		secret, recovery := enrolThroughUI(t, olivia)

		t.Run("the password step does not tell whether a second factor is on", func(t *testing.T) {
			for _, name := range []string{"olivia", "victor"} {
				res, body := e.client().signIn(name, "wrong password")
				wantStatus(t, res, http.StatusUnauthorized)
				wantContains(t, body, "Wrong user name or password")
				wantNotContains(t, body, "code")
			}
		})
		t.Run("a right password leads to the code step, not a session", func(t *testing.T) {
			c := e.client()
			res, _ := c.signIn("olivia", testPassword)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != "/login/code?next=%2Fservices" {
				t.Fatalf("Location %q", loc)
			}
			if cookieNamed(res, httpapi.SessionCookie) != nil {
				t.Fatal("the password alone started a session")
			}
			pc := cookieNamed(res, pendingCookie)
			if pc == nil || !pc.HttpOnly || pc.Path != "/login" || pc.MaxAge != int(auth.PendingLoginLifetime.Seconds()) {
				t.Fatalf("pending cookie %+v", pc)
			}
			res, body := c.code("12345")
			wantStatus(t, res, http.StatusUnauthorized)
			wantContains(t, body, "Wrong code", `id="login-code"`)
			// Wait for the next step: the enrolment used this one.
			now := time.Now()
			next := now.Truncate(auth.TOTPStep).Add(auth.TOTPStep)
			code, _ := auth.TOTPCode(secret, next)
			res, _ = c.code(code)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != "/services" {
				t.Fatalf("after the code, Location %q", loc)
			}
			if cookieNamed(res, httpapi.SessionCookie) == nil || c.cookies[pendingCookie] != nil {
				t.Fatalf("cookies after the code step: %v", res.Cookies())
			}
			res, _ = c.get("/services")
			wantStatus(t, res, http.StatusOK)
		})
		t.Run("a recovery code signs in once", func(t *testing.T) {
			c := e.client()
			c.signIn("olivia", testPassword)
			res, _ := c.code(strings.ToUpper(recovery[0]))
			wantStatus(t, res, http.StatusSeeOther)
			c = e.client()
			c.signIn("olivia", testPassword)
			res, body := c.code(recovery[0])
			wantStatus(t, res, http.StatusUnauthorized)
			wantContains(t, body, "Wrong code")
		})
		t.Run("five wrong codes send back to the password", func(t *testing.T) {
			c := e.clientFrom("198.51.100.5")
			c.signIn("olivia", testPassword)
			var res *http.Response
			var body string
			for range auth.PendingLoginAttempts {
				res, body = c.code("zzzzz-zzzzz")
			}
			wantStatus(t, res, http.StatusUnauthorized)
			wantContains(t, body, "had too many wrong codes", `id="login-password"`)
			res, body = c.get("/login/code")
			wantContains(t, body, `id="login-password"`)
		})
		t.Run("the code step without a pending sign-in", func(t *testing.T) {
			res, body := e.client().get("/login/code")
			wantStatus(t, res, http.StatusUnauthorized)
			wantContains(t, body, `id="login-password"`)
		})
		t.Run("turning it off needs a code", func(t *testing.T) {
			csrf := olivia.csrf(t)
			res, body := olivia.post(twoFactorPath+"/disable", url.Values{"csrf": {csrf}, "code": {"999999"}})
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, "Wrong code: two-factor sign-in is still on")
			res, _ = olivia.post(twoFactorPath+"/disable", url.Values{"csrf": {csrf}, "code": {recovery[1]}})
			wantStatus(t, res, http.StatusSeeOther)
			_, body = olivia.get(res.Header.Get("Location"))
			wantContains(t, body, "Two-factor sign-in is off.")
			res, _ = e.client().signIn("olivia", testPassword)
			if res.Header.Get("Location") != "/services" {
				t.Fatalf("after turning it off, the password leads to %q", res.Header.Get("Location"))
			}
		})
		t.Run("an admin resets it, audited", func(t *testing.T) {
			enrolThroughUI(t, olivia)
			ada := e.login("ada")
			_, body := e.get("/admin/users", &ada)
			wantContains(t, body, `href="/admin/users/olivia/two-factor"`)
			wantNotContains(t, body, `href="/admin/users/victor/two-factor"`)
			res, body := e.get("/admin/users/olivia/two-factor", &ada)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "Reset two-factor sign-in of olivia?")
			res, _ = e.get("/admin/users/victor/two-factor", &ada)
			wantStatus(t, res, http.StatusNotFound)
			res, _ = e.post("/admin/users/olivia/two-factor", nil, &ada)
			wantStatus(t, res, http.StatusSeeOther)
			res, _ = e.client().signIn("olivia", testPassword)
			if res.Header.Get("Location") != "/services" {
				t.Fatalf("after the reset, the password leads to %q", res.Header.Get("Location"))
			}
			entries, _, err := audit.List(context.Background(), db, audit.Filter{ObjectType: "user", ObjectID: "olivia"}, store.Page{Limit: 20})
			if err != nil || len(entries) == 0 || entries[0].Actor != "user:ada" || !strings.Contains(string(entries[0].After), "reset") {
				t.Fatalf("reset audit = %+v, %v", entries, err)
			}
			for _, en := range entries {
				if strings.Contains(string(en.Before)+string(en.After), secret) {
					t.Fatal("the audit log holds a secret")
				}
			}
			victor := e.login("victor")
			res, _ = e.post("/admin/users/olivia/two-factor", nil, &victor)
			wantStatus(t, res, http.StatusForbidden)
		})
		t.Run("a required role is sent to set it up first", func(t *testing.T) {
			e.auth.RequireSecondFactor([]auth.Role{auth.Admin})
			defer e.auth.RequireSecondFactor(nil)
			c := e.client()
			res, _ := c.signIn("ada", testPassword)
			wantStatus(t, res, http.StatusSeeOther)
			for _, path := range []string{"/services", "/admin/users", "/"} {
				res, _ := c.get(path)
				wantStatus(t, res, http.StatusSeeOther)
				if loc := res.Header.Get("Location"); loc != twoFactorPath {
					t.Errorf("GET %s → %q, want the two-factor page", path, loc)
				}
			}
			res, body := c.get(twoFactorPath)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "Your role (admin) must use two-factor sign-in")
			enrolThroughUI(t, c)
			res, _ = c.get("/admin/users")
			wantStatus(t, res, http.StatusOK)
		})
	})
}

func TestQRSVG(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"short", "otpauth://totp/Sextant:a?secret=AAAA"},
		{"a whole URI", auth.TOTPURI("someone-with-a-long-name", strings.Repeat("ABCDEFGH", 4))},
		{"markup in the text", `"><script>alert(1)</script>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := qrSVG(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			s := string(svg)
			if !strings.HasPrefix(s, `<svg xmlns="http://www.w3.org/2000/svg" class="qr"`) || strings.Contains(s, "script") || !strings.Contains(s, "h1v1h-1z") {
				t.Fatalf("svg %.200s", s)
			}
		})
	}
}
