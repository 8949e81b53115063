package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/httpapi"
)

// csrfField names the hidden form field that carries the anti-forgery token.
const csrfField = "csrf"

// public wraps a handler that needs no session (the login and logout
// pages, and the signed action links of notifications).
func (u *UI) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := h(w, r); err != nil {
			u.fail(w, r, err)
		}
	})
}

// page wraps a handler that needs a session whose role allows need. Without
// a session it sends the browser to the login page, which brings it back.
// Every POST must carry the session's CSRF token.
func (u *UI) page(need auth.Role, h handlerFunc) http.Handler {
	return u.guard(need, u.session, h)
}

// enrolment wraps the pages that set up a second factor: they also serve
// a user who must set one up before anything else.
func (u *UI) enrolment(h handlerFunc) http.Handler {
	return u.guard(auth.Requester, u.enrolmentSession, h)
}

// guard is page with the way the session is looked up.
func (u *UI) guard(need auth.Role, session func(*http.Request) (auth.Principal, error), h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p, err := session(r)
		if errors.Is(err, auth.ErrSecondFactorRequired) {
			// Nothing else until the second factor is set up.
			http.Redirect(w, r, twoFactorPath, http.StatusSeeOther)
			return
		}
		if errors.Is(err, auth.ErrUnauthenticated) {
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				next = r.URL.Path
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		if err != nil {
			u.fail(w, r, err)
			return
		}
		r = r.WithContext(httpapi.WithPrincipal(r.Context(), p))
		if !p.Role.Allows(auth.Requester) {
			u.fail(w, r, errForbidden("Your role ("+string(p.Role)+") cannot use the web interface."))
			return
		}
		if p.Role == auth.Requester && !p.Role.Allows(need) && r.URL.Path == "/" && r.Method == http.MethodGet {
			// A requester's home is the portal.
			http.Redirect(w, r, "/portal", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !validToken(r.PostFormValue(csrfField), p.CSRF) {
			u.fail(w, r, errForbidden("The form was missing its security token or it did not match your session. Go back, reload the page and try again."))
			return
		}
		if !p.Role.Allows(need) {
			u.fail(w, r, errForbidden("This needs the "+string(need)+" role; you are signed in as "+string(p.Role)+"."))
			return
		}
		if err := h(w, r); err != nil {
			u.fail(w, r, err)
		}
	})
}

// session returns the principal of the request's session cookie.
func (u *UI) session(r *http.Request) (auth.Principal, error) {
	c, err := r.Cookie(httpapi.SessionCookie)
	if err != nil || c.Value == "" {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return u.deps.Auth.Session(r.Context(), c.Value)
}

// enrolmentSession is session for the pages that set up a second factor.
func (u *UI) enrolmentSession(r *http.Request) (auth.Principal, error) {
	c, err := r.Cookie(httpapi.SessionCookie)
	if err != nil || c.Value == "" {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return u.deps.Auth.EnrolmentSession(r.Context(), c.Value)
}

// principal returns the signed-in user of a request that went through page.
func principal(r *http.Request) auth.Principal {
	p, _ := httpapi.PrincipalFrom(r.Context())
	return p
}

// validToken compares a submitted token with the expected one in constant
// time; an empty expected token never matches.
func validToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// safeNext returns next when it is a path on this site, and "/" otherwise,
// so that the login form cannot be used to send people elsewhere.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/"
	}
	// Browsers read a backslash as a slash ("/\evil.example"), and control
	// characters may be dropped before parsing.
	if strings.ContainsAny(next, "\\") || strings.ContainsFunc(next, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return "/"
	}
	p, err := url.Parse(next)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil {
		return "/"
	}
	return next
}
