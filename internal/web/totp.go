package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"rsc.io/qr"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
)

// Two-factor sign-in: the second step of the login form, the page where a
// user sets up, sees and turns off their second factor, and the admin's
// reset. The auth service checks, stores and audits; these handlers only
// show and ask.

// twoFactorPath is the signed-in user's two-factor page, where a user who
// must set one up is sent.
const twoFactorPath = "/account/two-factor"

// pendingCookie carries the token of a sign-in whose password was right
// and whose code is still to come. It is not a session: the code step is
// the only thing it opens.
const pendingCookie = "sextant_login_pending"

// codePage is the data of the login's code step.
type codePage struct {
	Next    string
	Token   string
	Problem string
}

// startSecondStep keeps the pending sign-in's token in its cookie and
// sends the browser to the code step.
func (u *UI) startSecondStep(w http.ResponseWriter, r *http.Request, p *auth.PendingLogin, next string) {
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: p.Token, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: u.secure(r), MaxAge: int(auth.PendingLoginLifetime.Seconds())})
	http.Redirect(w, r, "/login/code?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// endSecondStep forgets the pending sign-in's cookie.
func (u *UI) endSecondStep(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: "", Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: u.secure(r), MaxAge: -1})
}

// showCode renders the code step, or sends the browser back to the
// password when there is no sign-in waiting for a code.
func (u *UI) showCode(w http.ResponseWriter, r *http.Request, status int, cp codePage) {
	pc, err := r.Cookie(pendingCookie)
	lc, lerr := r.Cookie(loginCSRFCookie)
	if err != nil || pc.Value == "" || lerr != nil || lc.Value == "" {
		u.showLogin(w, r, http.StatusUnauthorized, loginPage{Next: cp.Next, Problem: capitalise(auth.ErrLoginExpired.Error()) + "."})
		return
	}
	cp.Token = lc.Value
	u.render(w, r, status, "login_code.html", "Two-factor sign-in", cp)
}

func (u *UI) codeForm(w http.ResponseWriter, r *http.Request) error {
	u.showCode(w, r, http.StatusOK, codePage{Next: safeNext(r.URL.Query().Get("next"))})
	return nil
}

func (u *UI) loginCode(w http.ResponseWriter, r *http.Request) error {
	cp := codePage{Next: safeNext(r.PostFormValue("next"))}
	if !validLoginToken(r) {
		u.endSecondStep(w, r)
		u.showLogin(w, r, http.StatusForbidden, loginPage{Next: cp.Next, Problem: "The sign-in form had expired. Please sign in again."})
		return nil
	}
	token := ""
	if c, err := r.Cookie(pendingCookie); err == nil {
		token = c.Value
	}
	id, _, err := u.deps.Auth.LoginSecondFactor(r.Context(), token, r.PostFormValue("code"), remoteIP(r))
	switch {
	case errors.Is(err, auth.ErrBadCode):
		cp.Problem = "Wrong code. Enter the code your app shows now, or one of your recovery codes."
		u.showCode(w, r, http.StatusUnauthorized, cp)
		return nil
	case errors.Is(err, auth.ErrRateLimited):
		cp.Problem = "Too many wrong codes; wait a minute and try again."
		u.showCode(w, r, http.StatusTooManyRequests, cp)
		return nil
	case errors.Is(err, auth.ErrLoginExpired):
		u.endSecondStep(w, r)
		u.showLogin(w, r, http.StatusUnauthorized, loginPage{Next: cp.Next, Problem: capitalise(auth.ErrLoginExpired.Error()) + "."})
		return nil
	case err != nil:
		return err
	}
	u.endSecondStep(w, r)
	u.signedIn(w, r, id, cp.Next)
	return nil
}

// twoFactorPage is the signed-in user's two-factor page.
type twoFactorPage struct {
	auth.TOTPState
	// Required says the user's role must have a second factor.
	Required bool
	Role     auth.Role
	// Done says what just happened ("off").
	Done    string
	Problem string
}

func (u *UI) twoFactorPageOf(r *http.Request) (twoFactorPage, error) {
	p := principal(r)
	st, err := u.deps.Auth.TOTPStatus(r.Context(), p.UserID)
	if err != nil {
		return twoFactorPage{}, err
	}
	return twoFactorPage{TOTPState: st, Required: u.deps.Auth.SecondFactorRequired(p.Role), Role: p.Role, Done: r.URL.Query().Get("done")}, nil
}

func (u *UI) showTwoFactor(w http.ResponseWriter, r *http.Request) error {
	tp, err := u.twoFactorPageOf(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "account_two_factor.html", "Two-factor sign-in", tp)
	return nil
}

func (u *UI) startTwoFactor(w http.ResponseWriter, r *http.Request) error {
	if _, err := u.deps.Auth.BeginTOTP(r.Context(), principal(r)); err != nil {
		return err
	}
	http.Redirect(w, r, twoFactorPath+"/setup", http.StatusSeeOther)
	return nil
}

// setupPage shows the secret being set up: as a QR code drawn here, as
// text to type in, and as the otpauth:// URI.
type setupPage struct {
	QR      template.HTML
	Secret  string // in groups of four, as apps accept it
	URI     string
	Problem string
}

// setupPageOf is the set-up page of the enrolment under way; without one it
// says so with a not-found error.
func (u *UI) setupPageOf(r *http.Request) (setupPage, error) {
	e, err := u.deps.Auth.PendingTOTP(r.Context(), principal(r))
	if err != nil {
		return setupPage{}, err
	}
	svg, err := qrSVG(e.URI)
	if err != nil {
		return setupPage{}, err
	}
	return setupPage{QR: svg, Secret: groups(e.Secret, 4), URI: e.URI}, nil
}

func (u *UI) showTwoFactorSetup(w http.ResponseWriter, r *http.Request) error {
	sp, err := u.setupPageOf(r)
	if errors.Is(err, apperr.ErrNotFound) {
		http.Redirect(w, r, twoFactorPath, http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "account_two_factor_setup.html", "Set up two-factor sign-in", sp)
	return nil
}

// recoveryPage shows the recovery codes, the only time they are shown.
type recoveryPage struct {
	Codes []string
}

func (u *UI) confirmTwoFactor(w http.ResponseWriter, r *http.Request) error {
	codes, err := u.deps.Auth.ConfirmTOTP(r.Context(), principal(r), r.PostFormValue("code"))
	var inv *apperr.Invalid
	switch {
	case errors.Is(err, auth.ErrBadCode), errors.As(err, &inv):
		sp, serr := u.setupPageOf(r)
		if serr != nil {
			return serr
		}
		sp.Problem = "That is not the code your app shows now. Check that the app's clock is right, and enter the current six digits."
		if inv != nil {
			sp.Problem = "The code " + inv.Fields[0].Msg + "."
		}
		u.render(w, r, http.StatusUnprocessableEntity, "account_two_factor_setup.html", "Set up two-factor sign-in", sp)
		return nil
	case errors.Is(err, apperr.ErrNotFound):
		http.Redirect(w, r, twoFactorPath, http.StatusSeeOther)
		return nil
	case err != nil:
		return err
	}
	// The codes are in this response only, which no cache keeps (every
	// page is sent with Cache-Control: no-store).
	u.render(w, r, http.StatusOK, "account_two_factor_codes.html", "Your recovery codes", recoveryPage{Codes: codes})
	return nil
}

func (u *UI) disableTwoFactor(w http.ResponseWriter, r *http.Request) error {
	err := u.deps.Auth.DisableTOTP(r.Context(), principal(r), r.PostFormValue("code"))
	if errors.Is(err, auth.ErrBadCode) {
		tp, terr := u.twoFactorPageOf(r)
		if terr != nil {
			return terr
		}
		tp.Problem = "Wrong code: two-factor sign-in is still on. Enter the code your app shows now, or an unused recovery code."
		u.render(w, r, http.StatusUnprocessableEntity, "account_two_factor.html", "Two-factor sign-in", tp)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, twoFactorPath+"?done=off", http.StatusSeeOther)
	return nil
}

// resetPage confirms an admin's reset of another user's second factor.
type resetPage struct {
	auth.User
	State auth.TOTPState
	Self  bool
}

func (u *UI) confirmResetTwoFactor(w http.ResponseWriter, r *http.Request) error {
	usr, err := u.deps.Auth.GetUser(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	st, err := u.deps.Auth.TOTPStatus(r.Context(), usr.ID)
	if err != nil {
		return err
	}
	if !st.Enabled && !st.Pending {
		return apperr.NotFound("two-factor sign-in for user %q", usr.Name)
	}
	u.render(w, r, http.StatusOK, "admin_two_factor_reset.html", "Reset two-factor sign-in of "+usr.Name,
		resetPage{User: usr, State: st, Self: usr.Name == principal(r).Name})
	return nil
}

func (u *UI) resetTwoFactor(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := u.deps.Auth.ResetTOTP(r.Context(), principal(r).Actor(), name); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?done=two-factor&user="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}

// qrSVG draws text as a QR code in inline SVG: one path of unit squares
// with the four-module quiet zone scanners need, black on white whatever
// the page's colour scheme.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("web: QR code: %w", err)
	}
	const quiet = 4
	n := code.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="QR code of the secret" shape-rendering="crispEdges">`, n, n, n*6, n*6)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	// Only numbers and fixed markup are written above: nothing of text
	// reaches the HTML but its QR modules.
	return template.HTML(b.String()), nil
}

// groups splits s into groups of n characters, for reading aloud or
// typing.
func groups(s string, n int) string {
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), " ")
}
