package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
)

// linkVerbs are the actions a signed link may carry, with the word on the
// button.
var linkVerbs = map[string]string{incident.ActionAcknowledge: "Acknowledge", incident.ActionResolve: "Resolve"}

// errBadLink answers a signed link that does not verify. It says no more
// than that, so that a guesser learns nothing from it.
var errBadLink = errForbidden("This link is invalid or has expired. Links in notifications work for " +
	strconv.Itoa(int(incident.LinkLifetime/(24*time.Hour))) + " days; sign in to act on the incident instead.")

// actPage is the data of a signed link's pages: the confirmation before
// the action and the answer after it.
type actPage struct {
	Incident incident.Incident
	Action   string // acknowledge or resolve
	Verb     string // Acknowledge or Resolve
	Exp, Sig string
	Expires  time.Time
	// Done is set once the action has been taken; Message says why it was
	// not when the incident had moved on.
	Done     bool
	Message  string
	SignedIn bool
}

// Applies says whether the action can still be taken.
func (p actPage) Applies() bool {
	switch p.Action {
	case incident.ActionAcknowledge:
		return p.Incident.Status == incident.Triggered
	case incident.ActionResolve:
		return p.Incident.Status != incident.Resolved
	}
	return false
}

// signedLink reads and checks a signed action link. The signature is the
// credential, so anything wrong with it is the same refusal.
func (u *UI) signedLink(r *http.Request) (actPage, int64, error) {
	p := actPage{Action: r.PathValue("action"), Exp: r.FormValue("exp"), Sig: r.FormValue("sig")}
	p.Verb = linkVerbs[p.Action]
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || p.Verb == "" {
		return p, 0, errBadLink
	}
	exp, err := strconv.ParseInt(p.Exp, 10, 64)
	if err != nil {
		return p, 0, errBadLink
	}
	p.Expires = time.Unix(exp, 0)
	if !u.deps.Signer.Verify(id, p.Action, p.Expires, p.Sig, u.now()) {
		return p, 0, errBadLink
	}
	return p, id, nil
}

// now is the incident engine's clock, which signed the links.
func (u *UI) now() time.Time {
	if e := u.deps.Incidents.Engine; e != nil && e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// withSession adds the principal of a session, when the request has one,
// to a request that does not need it: the page then shows who is signed
// in, and the action is recorded under their name.
func (u *UI) withSession(r *http.Request) (*http.Request, bool) {
	p, err := u.session(r)
	if err != nil || !p.Role.Allows(auth.Viewer) {
		return r, false
	}
	return r.WithContext(httpapi.WithPrincipal(r.Context(), p)), true
}

// confirmLinkAction answers GET /incidents/{id}/act/{action}: a page with
// one button, so that a link preview or a mail scanner following the link
// changes nothing.
func (u *UI) confirmLinkAction(w http.ResponseWriter, r *http.Request) error {
	// The address carries the signature: do not hand it to anyone else.
	w.Header().Set("Referrer-Policy", "no-referrer")
	p, id, err := u.signedLink(r)
	if err != nil {
		return err
	}
	r, p.SignedIn = u.withSession(r)
	if p.Incident, _, err = u.deps.Incidents.Get(r.Context(), id); err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "incident_act.html", p.Verb+" incident #"+strconv.FormatInt(id, 10), p)
	return nil
}

// linkAction answers POST /incidents/{id}/act/{action}: the browser's
// confirmation, or a tool that posts to the link directly (ntfy's action
// buttons). There is no CSRF token: the signature is the credential.
func (u *UI) linkAction(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	p, id, err := u.signedLink(r)
	if err != nil {
		return err
	}
	r, p.SignedIn = u.withSession(r)
	actor := "link:" + p.Action
	if p.SignedIn {
		actor = "link:" + principal(r).Actor()
	}
	switch p.Action {
	case incident.ActionAcknowledge:
		p.Incident, err = u.deps.Incidents.Acknowledge(r.Context(), id, actor)
	case incident.ActionResolve:
		p.Incident, err = u.deps.Incidents.Resolve(r.Context(), id, actor)
	}
	p.Done = true
	status := http.StatusOK
	if errors.Is(err, apperr.ErrConflict) {
		// Someone was quicker: say so, with the incident as it is now.
		if p.Incident, _, err = u.deps.Incidents.Get(r.Context(), id); err != nil {
			return err
		}
		p.Message = "Nothing was changed: the incident is already " + p.Incident.Status + "."
		status = http.StatusConflict
	} else if err != nil {
		return err
	}
	u.render(w, r, status, "incident_act.html", p.Verb+" incident #"+strconv.FormatInt(id, 10), p)
	return nil
}
