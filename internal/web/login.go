package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/httpapi"
)

// loginCSRFCookie holds the login form's double-submit token: a login form
// posted from another site cannot know it, so nobody can be signed in to
// an account of the attacker's choosing.
const loginCSRFCookie = "sextant_login_csrf"

// loginPage is the data of the login template.
type loginPage struct {
	Name    string
	Next    string
	Token   string
	Problem string
	// SSOLabel is the single sign-on button's text; "" when it is off.
	SSOLabel string
}

func (u *UI) loginForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := u.session(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	u.showLogin(w, r, http.StatusOK, loginPage{Next: next})
	return nil
}

// showLogin renders the login form with a token that matches the login
// cookie, setting a new cookie when there is none.
func (u *UI) showLogin(w http.ResponseWriter, r *http.Request, status int, lp loginPage) {
	token := ""
	if c, err := r.Cookie(loginCSRFCookie); err == nil && len(c.Value) >= 32 {
		token = c.Value
	} else {
		token = randomToken()
		http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: u.secure(r), MaxAge: int((12 * time.Hour).Seconds())})
	}
	lp.Token = token
	if p := u.ssoProvider(); p != nil {
		lp.SSOLabel = p.Label()
	}
	u.render(w, r, status, "login.html", "Sign in", lp)
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) error {
	lp := loginPage{Name: r.PostFormValue("name"), Next: safeNext(r.PostFormValue("next"))}
	if !validLoginToken(r) {
		lp.Problem = "The sign-in form had expired. Please sign in again."
		u.showLogin(w, r, http.StatusForbidden, lp)
		return nil
	}
	id, _, err := u.deps.Auth.Login(r.Context(), lp.Name, r.PostFormValue("password"), remoteIP(r))
	var pending *auth.PendingLogin
	switch {
	case errors.As(err, &pending):
		// The password was right; the second step asks for the code.
		u.startSecondStep(w, r, pending, lp.Next)
		return nil
	case errors.Is(err, auth.ErrBadCredentials):
		lp.Problem = "Wrong user name or password."
		u.showLogin(w, r, http.StatusUnauthorized, lp)
		return nil
	case errors.Is(err, auth.ErrRateLimited):
		lp.Problem = capitalise(auth.ErrRateLimited.Error()) + "."
		u.showLogin(w, r, http.StatusTooManyRequests, lp)
		return nil
	case errors.Is(err, auth.ErrBusy):
		lp.Problem = capitalise(auth.ErrBusy.Error()) + "."
		w.Header().Set("Retry-After", "1")
		u.showLogin(w, r, http.StatusServiceUnavailable, lp)
		return nil
	case err != nil:
		return err
	}
	u.signedIn(w, r, id, lp.Next)
	return nil
}

// validLoginToken checks the double-submit token of a sign-in form (the
// password step and the code step).
func validLoginToken(r *http.Request) bool {
	c, err := r.Cookie(loginCSRFCookie)
	return err == nil && validToken(r.PostFormValue(csrfField), c.Value)
}

// signedIn hands the browser the cookie of a session just begun (by a
// password, a second factor or single sign-on) and sends it on to next.
func (u *UI) signedIn(w http.ResponseWriter, r *http.Request, sessionID, next string) {
	http.SetCookie(w, &http.Cookie{Name: httpapi.SessionCookie, Value: sessionID, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: u.secure(r), MaxAge: int(auth.SessionLifetime.Seconds())})
	// The login token has done its job; a fresh one is made for the next
	// sign-in.
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: u.secure(r), MaxAge: -1})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(httpapi.SessionCookie)
	if err != nil || c.Value == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	p, err := u.deps.Auth.Session(r.Context(), c.Value)
	to := "/login"
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		// Already over: just forget the cookie.
	case err != nil:
		return err
	case !validToken(r.PostFormValue(csrfField), p.CSRF):
		return errForbidden("The sign-out form was missing its security token or it did not match your session. Go back, reload the page and try again.")
	default:
		// A single sign-on session also signs out at the provider.
		if end, err := u.ssoLogoutURL(r, c.Value); err != nil {
			return err
		} else if end != "" {
			to = end
		}
		if err := u.deps.Auth.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: httpapi.SessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: u.secure(r), MaxAge: -1})
	if to != "/login" {
		u.continueSSOLogout(w, r, to)
		return nil
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// secure says whether cookies get the Secure flag.
func (u *UI) secure(r *http.Request) bool {
	return u.deps.SecureCookies || r.TLS != nil
}

// remoteIP is the address failed logins are counted against. It is the
// connection's peer: behind a reverse proxy that is the proxy.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
