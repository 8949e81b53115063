package web

import (
	"net/http"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// zoneCookie holds the browser's own time zone, which the pages' script
// sets once: the server cannot otherwise know it.
const zoneCookie = "sextant_tz"

// profilePage is a person's own settings: today, the time zone the UI
// shows them times in.
type profilePage struct {
	Timezone string // the chosen zone, "" for the browser's
	Browser  string // the browser's zone, as its script last said
	Saved    bool
	formProblems
}

func (p *profilePage) template() string  { return "profile.html" }
func (p *profilePage) pageTitle() string { return "Your profile" }
func (p *profilePage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		p.add(f.Path, "Time zone", f.Msg, f.Path == "timezone")
	}
}

// browserZone is the zone the browser's script reported, when it names a
// zone this server knows.
func browserZone(r *http.Request) string {
	c, err := r.Cookie(zoneCookie)
	if err != nil || c.Value == "" || c.Value == "Local" {
		return ""
	}
	if _, err := time.LoadLocation(c.Value); err != nil {
		return ""
	}
	return c.Value
}

// viewerZone is the zone the viewer chose in their profile, "" for none:
// the pages' script then uses the browser's zone as it is now (the cookie
// may be from before a journey), and without a script times stay in UTC,
// named.
func viewerZone(r *http.Request) string {
	if p, ok := principalOf(r); ok {
		return p.Timezone
	}
	return ""
}

func (u *UI) showProfile(w http.ResponseWriter, r *http.Request) error {
	p := &profilePage{Timezone: principal(r).Timezone, Browser: browserZone(r), Saved: r.URL.Query().Get("saved") == "1"}
	u.render(w, r, http.StatusOK, p.template(), p.pageTitle(), p)
	return nil
}

func (u *UI) saveProfile(w http.ResponseWriter, r *http.Request) error {
	me := principal(r)
	p := &profilePage{Timezone: r.PostFormValue("timezone"), Browser: browserZone(r)}
	if err := u.deps.Auth.SetTimezone(r.Context(), me.Actor(), me.Name, p.Timezone); err != nil {
		return &formError{err: err, form: p}
	}
	http.Redirect(w, r, "/profile?saved=1", http.StatusSeeOther)
	return nil
}
