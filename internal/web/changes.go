package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/store"
)

// The change pages: the list, the "awaiting my approval" queue, the
// calendar, a change with its risk, approvals and history and the forms
// that move it, the form that makes one, and the page a signed approval
// link from a mail opens.

// ChangeDecisionPath is the path of the page an approval mail links to
// (its query carries the approver and the signature).
func ChangeDecisionPath(id int64) string { return "/changes/" + strconv.FormatInt(id, 10) + "/decide" }

func changeURL(id int64) string { return "/changes/" + strconv.FormatInt(id, 10) }

func (u *UI) changeStore() (*change.Store, error) {
	if u.deps.Changes == nil || u.deps.Changes.Rules == nil {
		return nil, apperr.NotFound("page")
	}
	return u.deps.Changes, nil
}

// changeActor is the signed-in person as change management sees them.
func changeActor(r *http.Request) change.Actor {
	p := principal(r)
	return change.Actor{Name: p.Name, Role: p.Role, Audit: p.Actor()}
}

// changesPage is the list of changes.
type changesPage struct {
	State    string
	Service  string
	States   []change.State
	Changes  []change.Request
	Next     string
	Awaiting int
}

func (u *UI) listChangeRequests(w http.ResponseWriter, r *http.Request) error {
	s, err := u.changeStore()
	if err != nil {
		return err
	}
	p := changesPage{State: r.URL.Query().Get("state"), States: change.States}
	if p.State != "" && !slices.Contains(change.States, change.State(p.State)) {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "state", Msg: "unknown state " + strconv.Quote(p.State)}}}
	}
	p.Service = r.URL.Query().Get("service")
	if p.Changes, p.Next, err = s.Query(r.Context(), change.Filter{State: change.State(p.State), Service: p.Service}, store.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")}); err != nil {
		return err
	}
	mine, err := s.Awaiting(r.Context(), changeActor(r))
	if err != nil {
		return err
	}
	p.Awaiting = len(mine)
	u.render(w, r, http.StatusOK, "changes.html", "Changes", p)
	return nil
}

func (u *UI) awaitingChanges(w http.ResponseWriter, r *http.Request) error {
	s, err := u.changeStore()
	if err != nil {
		return err
	}
	mine, err := s.Awaiting(r.Context(), changeActor(r))
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "changes_awaiting.html", "Awaiting my approval", mine)
	return nil
}

// calendarDay is one day of the change calendar.
type calendarDay struct {
	Day     time.Time
	Changes []calendarEntry
}

// calendarEntry is a change on the calendar over its span: actual once it
// ran, planned before.
type calendarEntry struct {
	change.Request
	Start, End time.Time
}

func (u *UI) changeCalendar(w http.ResponseWriter, r *http.Request) error {
	s, err := u.changeStore()
	if err != nil {
		return err
	}
	now := u.deps.Now().UTC()
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -7)
	to := from.AddDate(0, 0, 42)
	cs, err := s.List(r.Context(), from, to)
	if err != nil {
		return err
	}
	var days []calendarDay
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		day := calendarDay{Day: d}
		for _, c := range cs {
			start, end := change.Span(c)
			if start.Before(d.AddDate(0, 0, 1)) && end.After(d) && c.State != change.Rejected {
				day.Changes = append(day.Changes, calendarEntry{Request: c, Start: start, End: end})
			}
		}
		if len(day.Changes) > 0 {
			days = append(days, day)
		}
	}
	freezes, err := s.Freezes(r.Context())
	if err != nil {
		return err
	}
	freezes = slices.DeleteFunc(freezes, func(f change.Freeze) bool { return !f.End.After(from) || !f.Start.Before(to) })
	u.render(w, r, http.StatusOK, "changes_calendar.html", "Change calendar", struct {
		From, To time.Time
		Days     []calendarDay
		Freezes  []change.Freeze
	}{from, to, days, freezes})
	return nil
}

// changePage is one change with what the viewer may do to it.
type changePage struct {
	C change.Request
	// CanDecide says the viewer is an approver who has not decided yet;
	// Moves are the steps the viewer may take.
	CanDecide bool
	Moves     []change.State
	Outcomes  []change.Outcome
	Done      string
	Comment   string
	formProblems
}

func (p *changePage) template() string  { return "change.html" }
func (p *changePage) pageTitle() string { return "Change #" + strconv.FormatInt(p.C.ID, 10) }
func (p *changePage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		label := capitalise(strings.ReplaceAll(f.Path, "_", " "))
		if label == "" {
			label = "The change"
		}
		p.add(f.Path, label, f.Msg, false)
	}
}

// StateLabel reads a state as people write it.
func (p *changePage) StateLabel(s change.State) string {
	return strings.ReplaceAll(string(s), "_", " ")
}

func (u *UI) loadChange(r *http.Request) (*change.Store, *changePage, error) {
	s, err := u.changeStore()
	if err != nil {
		return nil, nil, err
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	c, err := s.Get(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	p := &changePage{C: c, Outcomes: []change.Outcome{change.Successful, change.Failed, change.RolledBack}}
	me := changeActor(r)
	if c.Approval.Status == change.Submitted && !slices.ContainsFunc(c.Approvals, func(a change.Approval) bool { return a.Approver == me.Name }) {
		for _, g := range change.Required(s.Rule().Approvers, c.Type, c.Risk.Level) {
			if change.Member(g, me.Name, me.Role) {
				p.CanDecide = c.State != change.Draft && c.State != change.Rejected && (c.Type == change.Emergency || c.State == change.Submitted)
			}
		}
	}
	if me.Role.Allows("operator") {
		for _, to := range []change.State{change.Submitted, change.Scheduled, change.InProgress, change.Completed, change.Closed} {
			outcome := change.Outcome("")
			if to == change.Completed {
				outcome = change.Successful
			}
			if change.Step(c, c.Approval, to, outcome) == nil {
				p.Moves = append(p.Moves, to)
			}
		}
	}
	return s, p, nil
}

func (u *UI) showChangeRequest(w http.ResponseWriter, r *http.Request) error {
	_, p, err := u.loadChange(r)
	if err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "created", "moved", "decided", "linked":
		p.Done = d
	}
	u.render(w, r, http.StatusOK, "change.html", p.pageTitle(), p)
	return nil
}

// changeAction runs act and goes back to the change; a refusal draws the
// page again with its reason.
func (u *UI) changeAction(w http.ResponseWriter, r *http.Request, done string, act func(s *change.Store, p *changePage) error) error {
	s, p, err := u.loadChange(r)
	if err != nil {
		return err
	}
	if err := act(s, p); err != nil {
		if !isInvalid(err) && !errors.Is(err, apperr.ErrConflict) {
			return err
		}
		return &formError{err: err, form: p}
	}
	http.Redirect(w, r, changeURL(p.C.ID)+"?done="+done, http.StatusSeeOther)
	return nil
}

func (u *UI) moveChangeRequest(w http.ResponseWriter, r *http.Request) error {
	in := change.StatusInput{Status: change.State(r.PostFormValue("status")), Note: strings.TrimSpace(r.PostFormValue("note")),
		Override: strings.TrimSpace(r.PostFormValue("override"))}
	if in.Status == change.Completed {
		in.Outcome = change.Outcome(r.PostFormValue("outcome"))
	}
	return u.changeAction(w, r, "moved", func(s *change.Store, p *changePage) error {
		_, err := s.Transition(r.Context(), changeActor(r), p.C.ID, in)
		return err
	})
}

func (u *UI) decideChangeRequest(w http.ResponseWriter, r *http.Request) error {
	d := change.Decision{Decision: r.PostFormValue("decision"), Comment: strings.TrimSpace(r.PostFormValue("comment"))}
	return u.changeAction(w, r, "decided", func(s *change.Store, p *changePage) error {
		p.Comment = d.Comment
		_, err := s.Decide(r.Context(), changeActor(r), p.C.ID, d, change.ViaUI)
		return err
	})
}

func (u *UI) linkChangeIncident(w http.ResponseWriter, r *http.Request) error {
	v := strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("incident")), "#")
	return u.changeAction(w, r, "linked", func(s *change.Store, p *changePage) error {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "incident", Msg: "give the incident's number, e.g. 42"}}}
		}
		_, err = s.LinkIncident(r.Context(), changeActor(r), p.C.ID, change.LinkInput{Incident: id, Note: strings.TrimSpace(r.PostFormValue("note"))})
		return err
	})
}

// changeForm is the form that makes a change request.
type changeForm struct {
	Type, Template, Title, Description, Items string
	Implementation, Backout, Start, End       string
	Outage                                    bool
	Override                                  string
	Services                                  []string
	Choices                                   []string
	Templates                                 []change.Template
	IsAdmin                                   bool
	formProblems
}

func (f *changeForm) template() string  { return "change_form.html" }
func (f *changeForm) pageTitle() string { return "New change" }
func (f *changeForm) setProblems(fields []apperr.Field) {
	f.reset()
	for _, fl := range fields {
		path := fl.Path
		if strings.HasPrefix(path, "services[") {
			path = "services"
		}
		if strings.HasPrefix(path, "items[") {
			path = "items"
		}
		f.add(path, capitalise(strings.ReplaceAll(path, "_", " ")), fl.Msg, path != "")
	}
}

// TypeOptions are the form's change types.
func (f *changeForm) TypeOptions() []option {
	var out []option
	for _, t := range change.Types {
		out = append(out, option{Value: string(t), Label: string(t), Selected: f.Type == string(t)})
	}
	return out
}

// TemplateOptions are the config's templates, for standard changes.
func (f *changeForm) TemplateOptions() []option {
	out := []option{{Value: "", Label: "(none: a normal or emergency change)", Selected: f.Template == ""}}
	for _, t := range f.Templates {
		out = append(out, option{Value: t.Name, Label: t.Name + " — " + t.Title, Selected: f.Template == t.Name})
	}
	return out
}

// Chosen says whether service name is ticked.
func (f *changeForm) Chosen(name string) bool { return slices.Contains(f.Services, name) }

func (u *UI) changeFormFor(r *http.Request, s *change.Store) (*changeForm, error) {
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return nil, err
	}
	f := &changeForm{Type: string(change.Normal), Templates: s.Rule().Templates, IsAdmin: principal(r).Role.Allows("admin")}
	for _, svc := range cat.Services {
		f.Choices = append(f.Choices, svc.Name)
	}
	return f, nil
}

func (u *UI) newChangeRequest(w http.ResponseWriter, r *http.Request) error {
	s, err := u.changeStore()
	if err != nil {
		return err
	}
	f, err := u.changeFormFor(r, s)
	if err != nil {
		return err
	}
	if svc := r.URL.Query().Get("service"); svc != "" {
		f.Services = []string{svc}
	}
	u.render(w, r, http.StatusOK, "change_form.html", f.pageTitle(), f)
	return nil
}

// changeTimeLayout is how the form's datetime-local inputs write times;
// they are read in UTC.
const changeTimeLayout = "2006-01-02T15:04"

func (u *UI) createChangeRequest(w http.ResponseWriter, r *http.Request) error {
	s, err := u.changeStore()
	if err != nil {
		return err
	}
	f, err := u.changeFormFor(r, s)
	if err != nil {
		return err
	}
	f.Type, f.Template, f.Title = r.PostFormValue("type"), r.PostFormValue("template"), r.PostFormValue("title")
	f.Description, f.Items = r.PostFormValue("description"), r.PostFormValue("items")
	f.Implementation, f.Backout = r.PostFormValue("implementation_plan"), r.PostFormValue("backout_plan")
	f.Start, f.End = r.PostFormValue("planned_start"), r.PostFormValue("planned_end")
	f.Outage, f.Override = r.PostFormValue("outage_expected") == "on", strings.TrimSpace(r.PostFormValue("override"))
	f.Services = r.PostForm["services"]
	in := change.Input{Type: change.Type(f.Type), Template: f.Template, Title: f.Title, Description: f.Description,
		Services: f.Services, Implementation: f.Implementation, Backout: f.Backout, Outage: f.Outage,
		Submit: r.PostFormValue("submit") == "1", Override: f.Override}
	for _, it := range strings.Split(f.Items, ",") {
		if it = strings.TrimSpace(it); it != "" {
			in.Items = append(in.Items, it)
		}
	}
	var inv apperr.Invalid
	for _, t := range []struct {
		path, v string
		dst     *time.Time
	}{{"planned_start", f.Start, &in.PlannedStart}, {"planned_end", f.End, &in.PlannedEnd}} {
		if strings.TrimSpace(t.v) == "" {
			continue // the store names a missing time
		}
		v, msg := parseLocalTime(t.v, time.UTC)
		if msg != "" {
			inv.Add(t.path, "%s", msg)
			continue
		}
		*t.dst = v
	}
	if err := inv.Err(); err != nil {
		return &formError{err: err, form: f}
	}
	c, err := s.Create(r.Context(), changeActor(r), in)
	if err != nil {
		if isInvalid(err) || errors.Is(err, apperr.ErrConflict) {
			return &formError{err: err, form: f}
		}
		return err
	}
	http.Redirect(w, r, changeURL(c.ID)+"?done=created", http.StatusSeeOther)
	return nil
}

// decisionPage is the page of a signed approval link.
type decisionPage struct {
	C        change.Request
	Approver string
	// Action is the form's target: this page's signed address.
	Action  template.URL
	Decided string
	Problem string
}

// decisionLink checks the signed link of a request and returns the store,
// the change and the approver it was sent to.
func (u *UI) decisionLink(r *http.Request) (*change.Store, int64, string, error) {
	s, err := u.changeStore()
	if err != nil {
		return nil, 0, "", err
	}
	if u.deps.Links == nil {
		return nil, 0, "", apperr.NotFound("page")
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return nil, 0, "", err
	}
	approver, err := change.CheckDecision(u.deps.Links, r.URL.Query(), id, u.deps.Now())
	if err != nil {
		return nil, 0, "", errForbidden(capitalise(signed.ErrInvalid.Error()) + ". Open the change in Sextant to decide there.")
	}
	return s, id, approver, nil
}

// decisionAction is the signed page's own address, which its form posts to.
func decisionAction(r *http.Request) template.URL {
	return template.URL(r.URL.Path + "?" + r.URL.RawQuery)
}

func (u *UI) showChangeDecision(w http.ResponseWriter, r *http.Request) error {
	s, id, approver, err := u.decisionLink(r)
	if err != nil {
		return err
	}
	c, err := s.Get(r.Context(), id)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "change_decide.html", "Decide change #"+strconv.FormatInt(id, 10),
		decisionPage{C: c, Approver: approver, Action: decisionAction(r)})
	return nil
}

func (u *UI) takeChangeDecision(w http.ResponseWriter, r *http.Request) error {
	s, id, approver, err := u.decisionLink(r)
	if err != nil {
		return err
	}
	actor := change.Actor{Name: approver, Audit: "mail:" + approver}
	if u.deps.Auth != nil {
		if usr, err := u.deps.Auth.GetUser(r.Context(), approver); err == nil && !usr.Disabled {
			actor.Role = usr.Role
		}
	}
	d := change.Decision{Decision: r.PostFormValue("decision"), Comment: strings.TrimSpace(r.PostFormValue("comment"))}
	p := decisionPage{Approver: approver, Action: decisionAction(r)}
	status := http.StatusOK
	c, err := s.Decide(r.Context(), actor, id, d, change.ViaMail)
	switch {
	case err == nil:
		p.Decided = d.Decision
	case isInvalid(err) || errors.Is(err, apperr.ErrConflict) || errors.Is(err, apperr.ErrForbidden):
		p.Problem = capitalise(strings.TrimSuffix(userMessage(err, apperr.ErrConflict), ": "+apperr.ErrForbidden.Error())) + "."
		status = http.StatusConflict
		if c, err = s.Get(r.Context(), id); err != nil {
			return err
		}
	default:
		return err
	}
	p.C = c
	u.render(w, r, status, "change_decide.html", "Decide change #"+strconv.FormatInt(id, 10), p)
	return nil
}

// changeBefore is a change shown on an incident: "changed 14 min before:
// #42", or "change #42 under way" when it had not ended.
type changeBefore struct {
	C    change.Request
	Text string
}

// changesBefore lists the changes an incident on service opened at at may
// come from, each with how long before it the change was made.
func (u *UI) changesBefore(ctx context.Context, service string, at time.Time) ([]changeBefore, error) {
	if u.deps.Changes == nil || u.deps.Changes.Rules == nil {
		return nil, nil
	}
	cs, err := u.deps.Changes.Near(ctx, service, at)
	if err != nil {
		return nil, err
	}
	var out []changeBefore
	for _, c := range cs {
		out = append(out, changeBefore{C: c, Text: ChangedBefore(c, at)})
	}
	return out, nil
}

// ChangedBefore says how a change stands to an instant: "under way" when it
// had begun and not ended, else "changed N min before" counting from its
// end (hours past 90 minutes, days past 48 hours).
func ChangedBefore(c change.Request, at time.Time) string {
	if c.EndedAt == nil || c.EndedAt.After(at) {
		return "change under way"
	}
	d := at.Sub(*c.EndedAt)
	switch {
	case d < 90*time.Minute:
		return fmt.Sprintf("changed %d min before", int(d.Round(time.Minute)/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("changed %d h before", int(d.Round(time.Hour)/time.Hour))
	}
	return fmt.Sprintf("changed %d days before", int(d/(24*time.Hour)))
}
