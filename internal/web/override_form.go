package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/override"
)

// coverForm is the "cover from … to …" form of a schedule's page, and the
// problems of the last override asked for there or by "take this shift".
type coverForm struct {
	formProblems
	User, Start, End, Note string
	People                 []option
}

// storedOverride is an override made in the UI or API, as the schedule's
// page lists it (with a button to remove it).
type storedOverride struct {
	ID         int64
	User, Note string
	Start, End stamp
	By         string
}

func (p *schedulePage) template() string  { return "schedule.html" }
func (p *schedulePage) pageTitle() string { return "Schedule " + p.Name }
func (p *schedulePage) setProblems(fields []apperr.Field) {
	p.Cover.reset()
	labels := map[string]string{"user": "Person", "start": "From", "end": "To", "note": "Note"}
	for _, f := range fields {
		label := labels[f.Path]
		if label == "" {
			label = "Override"
		}
		p.Cover.add(f.Path, label, f.Msg, labels[f.Path] != "")
	}
}

// overrideParts fills the parts of a schedule's page that make and list
// overrides: who the signed-in person is in the directory, the people to
// choose from and the stored overrides.
func (u *UI) overrideParts(r *http.Request, p *schedulePage) error {
	if u.deps.Overrides == nil {
		return nil
	}
	p.CanOverride = true
	if person, ok := u.onCall().Person(principal(r).Name); ok && principal(r).Kind == "user" {
		p.Me = person.Name
	}
	for _, person := range u.onCall().People() {
		label := person.Name
		if person.DisplayName != "" {
			label = person.DisplayName + " (" + person.Name + ")"
		}
		p.Cover.People = append(p.Cover.People, option{Value: person.Name, Label: label, Selected: person.Name == p.Cover.User})
	}
	c, _, _ := u.onCall().Schedule(p.Name)
	stored, err := u.deps.Overrides.List(r.Context(), p.Name, u.deps.Now())
	if err != nil {
		return err
	}
	for _, o := range stored {
		p.Stored = append(p.Stored, storedOverride{ID: o.ID, User: o.User, Note: o.Note, Start: stampIn(o.Start, c.Location()), End: stampIn(o.End, c.Location()),
			By: strings.TrimPrefix(o.CreatedBy, "user:")})
	}
	return nil
}

// parseWhen reads an override's start or end: an RFC 3339 instant (as the
// "take this shift" buttons send) or a datetime-local value read in the
// schedule's zone (as the cover form sends).
func parseWhen(v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, _, err := parseLocal(v, loc)
	return t, err
}

// createOverride serves both "take this shift" (the shift's span, the
// signed-in person) and "cover from … to …" (a chosen person and span):
// one form handler, the same validation, the page again with every
// problem by its field.
func (u *UI) createOverride(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Overrides == nil {
		return errPageNotFound
	}
	p, err := u.schedulePage(r)
	if err != nil {
		return err
	}
	c, _, _ := u.onCall().Schedule(p.Name)
	p.Cover.User, p.Cover.Start, p.Cover.End, p.Cover.Note = r.PostFormValue("user"), r.PostFormValue("start"), r.PostFormValue("end"), r.PostFormValue("note")
	if r.PostFormValue("take") != "" {
		p.Cover.User = ""
		if person, ok := u.onCall().Person(principal(r).Name); ok && principal(r).Kind == "user" {
			p.Cover.User = person.Name
		}
	}
	if err := u.overrideParts(r, p); err != nil {
		return err
	}
	inv := &apperr.Invalid{}
	start, err := parseWhen(p.Cover.Start, c.Location())
	if err != nil {
		inv.Add("start", "%s", err)
	}
	end, err := parseWhen(p.Cover.End, c.Location())
	if err != nil {
		inv.Add("end", "%s", err)
	}
	// The form shows back what was asked in the schedule's zone, so a
	// refused "take this shift" leaves the cover form ready to adjust.
	if !start.IsZero() {
		p.Cover.Start = start.In(c.Location()).Format(atLayout)
	}
	if !end.IsZero() {
		p.Cover.End = end.In(c.Location()).Format(atLayout)
	}
	if r.PostFormValue("take") != "" && p.Cover.User == "" {
		inv.Add("user", "your account %q is not a person in the on-call directory, so it cannot take a shift; choose a person in the cover form", principal(r).Name)
	}
	in := override.Input{User: p.Cover.User, Start: start, End: end, Note: p.Cover.Note}
	known := func(name string) bool { _, ok := u.onCall().Person(name); return ok }
	return saveForm(w, r, p, inv, func() error { return override.Validate(in, known, u.deps.Now()) }, func() error {
		_, err := u.deps.Overrides.Create(r.Context(), principal(r).Actor(), p.Name, in, known)
		return err
	}, "/oncall/schedules/"+url.PathEscape(p.Name)+"?done=override#overrides")
}

func (u *UI) deleteOverride(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Overrides == nil {
		return errPageNotFound
	}
	name := r.PathValue("name")
	if _, _, ok := u.onCall().Schedule(name); !ok {
		return apperr.NotFound("schedule %q", name)
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errPageNotFound
	}
	if err := u.deps.Overrides.Delete(r.Context(), principal(r).Actor(), name, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/oncall/schedules/"+url.PathEscape(name)+"?done=removed#overrides", http.StatusSeeOther)
	return nil
}
