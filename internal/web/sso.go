package web

import (
	"errors"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/sso"
)

// ssoStateCookie binds a sign-in begun at the provider to the browser that
// began it: the callback's state must equal the cookie, so a callback URL
// made for someone else's sign-in cannot sign this browser in. It is
// scoped to the callback and lives as long as the server-side state.
const ssoStateCookie = "sextant_sso_state"

// ssoProvider returns the configured provider, or nil when single sign-on
// is off.
func (u *UI) ssoProvider() *sso.Provider {
	if u.deps.SSO == nil {
		return nil
	}
	return u.deps.SSO()
}

// startSSO sends the browser to the provider. The state, nonce and PKCE
// verifier stay on the server (the state also in a cookie of this
// browser); a provider that cannot be reached leaves the user on the login
// page, where local accounts still sign in.
func (u *UI) startSSO(w http.ResponseWriter, r *http.Request) error {
	p := u.ssoProvider()
	if p == nil {
		return errPageNotFound
	}
	next := safeNext(r.URL.Query().Get("next"))
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	to, err := p.AuthCodeURL(r.Context(), p.RedirectURL(monitor.BaseURL(u.deps.PublicURL, r)), state, nonce, verifier)
	if err != nil {
		u.log.WarnContext(r.Context(), "sso: provider unavailable", "err", err)
		u.showLogin(w, r, http.StatusServiceUnavailable, loginPage{Next: next,
			Problem: "The single sign-on provider cannot be reached right now. Sign in with a local account, or try again in a minute."})
		return nil
	}
	err = u.deps.Auth.SaveSSOState(r.Context(), remoteIP(r), state, auth.SSOState{Nonce: nonce, Verifier: verifier, Next: next})
	switch {
	case errors.Is(err, auth.ErrRateLimited):
		u.showLogin(w, r, http.StatusTooManyRequests, loginPage{Next: next, Problem: "Too many single sign-ons begun from your address; wait a minute and try again."})
		return nil
	case errors.Is(err, auth.ErrBusy):
		w.Header().Set("Retry-After", "60")
		u.showLogin(w, r, http.StatusServiceUnavailable, loginPage{Next: next, Problem: "Too many single sign-ons are under way; try again in a minute, or sign in with a local account."})
		return nil
	case err != nil:
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: ssoStateCookie, Value: state, Path: sso.CallbackPath, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: u.secure(r), MaxAge: int(auth.SSOStateLifetime.Seconds())})
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// finishSSO takes the provider's answer: it checks the state against the
// cookie and the server's record (once), exchanges the code with the PKCE
// verifier, verifies the ID token, maps the claims to a role and signs the
// user in with a normal session. Every refusal is the login page with a
// message saying why, and changes nothing.
func (u *UI) finishSSO(w http.ResponseWriter, r *http.Request) error {
	p := u.ssoProvider()
	if p == nil {
		return errPageNotFound
	}
	q := r.URL.Query()
	http.SetCookie(w, &http.Cookie{Name: ssoStateCookie, Value: "", Path: sso.CallbackPath, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: u.secure(r), MaxAge: -1})
	refuse := func(status int, next, msg string) error {
		u.showLogin(w, r, status, loginPage{Next: next, Problem: msg})
		return nil
	}
	c, err := r.Cookie(ssoStateCookie)
	if err != nil || !validToken(q.Get("state"), c.Value) {
		return refuse(http.StatusBadRequest, "/", "The single sign-on had expired or was begun in another browser. Please sign in again.")
	}
	st, err := u.deps.Auth.TakeSSOState(r.Context(), q.Get("state"))
	if errors.Is(err, auth.ErrSSOState) {
		return refuse(http.StatusBadRequest, "/", "The single sign-on had expired or was begun in another browser. Please sign in again.")
	}
	if err != nil {
		return err
	}
	if e := q.Get("error"); e != "" {
		msg := "The single sign-on provider did not sign you in (" + e + ")."
		if d := q.Get("error_description"); d != "" {
			msg = "The single sign-on provider did not sign you in: " + d + " (" + e + ")."
		}
		return refuse(http.StatusUnauthorized, st.Next, msg)
	}
	id, err := p.Exchange(r.Context(), p.RedirectURL(monitor.BaseURL(u.deps.PublicURL, r)), q.Get("code"), st.Verifier, st.Nonce)
	switch {
	case errors.Is(err, sso.ErrUnavailable):
		u.log.WarnContext(r.Context(), "sso: provider unavailable", "err", err)
		return refuse(http.StatusServiceUnavailable, st.Next, "The single sign-on provider cannot be reached right now. Sign in with a local account, or try again in a minute.")
	case errors.Is(err, sso.ErrRejected):
		u.log.WarnContext(r.Context(), "sso: answer rejected", "err", err)
		return refuse(http.StatusUnauthorized, st.Next, "The single sign-on provider's answer could not be verified, so you were not signed in. Please try again; if it keeps happening, tell an admin.")
	case err != nil:
		return err
	}
	role, why := p.Role(id)
	if why != nil {
		u.log.InfoContext(r.Context(), "sso: sign-in refused", "issuer", id.Issuer, "subject", id.Subject, "reason", why)
		// Sessions begun before the provider's groups changed end too.
		if err := u.deps.Auth.EndSSOSessions(r.Context(), id.Issuer, id.Subject); err != nil {
			return err
		}
		msg := "Your account has no Sextant role; ask an admin."
		if errors.Is(why, sso.ErrNotAllowed) {
			msg = "Your account is not allowed to sign in to Sextant; ask an admin."
		}
		return refuse(http.StatusForbidden, st.Next, msg)
	}
	sid, pr, created, err := u.deps.Auth.SSOSignIn(r.Context(), auth.SSOIdentity{Issuer: id.Issuer, Subject: id.Subject, Username: id.Username,
		DisplayName: id.Name, Email: id.Email, Role: role, IDToken: id.IDToken})
	if errors.Is(err, auth.ErrAccountDisabled) {
		return refuse(http.StatusForbidden, st.Next, "Your Sextant account is disabled; ask an admin.")
	}
	if err != nil {
		return err
	}
	u.log.InfoContext(r.Context(), "sso: signed in", "user", pr.Name, "role", pr.Role, "created", created)
	u.signedIn(w, r, sid, st.Next)
	return nil
}

// ssoLogoutURL returns where to send the browser after signing out of a
// single sign-on session: the provider's end-session endpoint when it has
// one, coming back to the login page; "" otherwise.
func (u *UI) ssoLogoutURL(r *http.Request, sessionID string) (string, error) {
	p := u.ssoProvider()
	if p == nil {
		return "", nil
	}
	tok, err := u.deps.Auth.SessionIDToken(r.Context(), sessionID)
	if err != nil || tok == "" {
		return "", err
	}
	back, err := url.JoinPath(monitor.BaseURL(u.deps.PublicURL, r), "/login")
	if err != nil {
		return "", err
	}
	return p.LogoutURL(tok, back), nil
}

// continueSSOLogout sends the browser on to the provider's end-session URL
// after the sign-out form. It is a page that refreshes there rather than a
// redirect, because the Content-Security-Policy's form-action 'self'
// forbids a form's answer to redirect to another site, and browsers
// enforce that; the page's button is the fallback.
func (u *UI) continueSSOLogout(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Refresh", "0; url="+to)
	u.render(w, r, http.StatusOK, "sso_logout.html", "Signed out", struct{ URL string }{to})
}
