package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/setup"
	"github.com/sextant-ops/sextant/internal/status"
)

// The people, schedule and status page editors: setup forms like the
// channel's, saved through the same setup manager.

// spareRows are the empty rows added to a form with repeated rows, so that
// more can be entered without JavaScript.
const spareRows = 1

// personInputs are the person form's inputs, in the store's paths.
var personInputs = map[string]string{"name": "Name", "display_name": "Display name", "timezone": "Time zone", "email": "E-mail",
	"slack": "Slack webhook URL", "teams": "Teams webhook URL", "webhook": "Webhook URL", "ntfy": "ntfy topic"}

// directoryListPage is the data of the people, schedule and status page
// lists.
type directoryListPage[E any] struct {
	Items          []E
	Saved, Deleted string
	// Base is where the server is reached, for the pages' public URLs.
	Base string
}

// listObjects serves a list page of one kind.
func listObjects[E any](u *UI, tmpl, title string, list func(m *setup.Manager, ctx context.Context) ([]E, error)) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		m, err := u.setupManager()
		if err != nil {
			return err
		}
		items, err := list(m, r.Context())
		if err != nil {
			return err
		}
		q := r.URL.Query()
		u.render(w, r, http.StatusOK, tmpl, title, directoryListPage[E]{Items: items, Saved: q.Get("saved"), Deleted: q.Get("deleted"),
			Base: monitor.BaseURL(u.deps.PublicURL, r)})
		return nil
	}
}

// editObject serves the edit form of a stored object; the file's are
// read-only.
func editObject[E any](u *UI, get func(ctx context.Context, m *setup.Manager, name string) (E, setup.Entry, error), form func(E) *setupForm) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		m, err := u.setupManager()
		if err != nil {
			return err
		}
		x, e, err := get(r.Context(), m, r.PathValue("name"))
		if err != nil {
			return err
		}
		if e.ReadOnly() {
			return fmt.Errorf("%q is declared in %s and read-only here; change it there: %w", r.PathValue("name"), e.DeclaredIn, apperr.ErrForbidden)
		}
		f := form(x)
		u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
		return nil
	}
}

// newObject serves the empty form of a kind.
func newObject(u *UI, form func() *setupForm) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := u.setupManager(); err != nil {
			return err
		}
		f := form()
		u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
		return nil
	}
}

// saveObject is the one save of the three kinds: parse the form, then the
// setup form's save path (problems shown together, or the object written
// and the list shown with a "saved" note).
func saveObject[T any](u *UI, base string, create bool, parse func(r *http.Request, name string, create bool) (*setupForm, T, []apperr.Field),
	validate func(m *setup.Manager, ctx context.Context, x T) error, put func(m *setup.Manager, ctx context.Context, actor string, x T, op setup.Op) error,
	name func(T) string) func(w http.ResponseWriter, r *http.Request) error {
	op := setup.Replace
	if create {
		op = setup.Create
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		m, err := u.setupManager()
		if err != nil {
			return err
		}
		f, x, parsed := parse(r, r.PathValue("name"), create)
		return u.saveSetup(w, r, f, parsed,
			func(ctx context.Context) error { return validate(m, ctx, x) },
			func(ctx context.Context) (string, error) { return name(x), put(m, ctx, principal(r).Actor(), x, op) },
			func(n string) error {
				http.Redirect(w, r, base+"?saved="+url.QueryEscape(n), http.StatusSeeOther)
				return nil
			})
	}
}

// titles sets a form's title, action and cancel link.
func (f *setupForm) titles(noun, base, name string) {
	if f.Create {
		f.Title, f.Action = "New "+noun, base+"/new"
	} else {
		f.Title, f.Action = "Edit "+noun+" "+name, base+"/"+url.PathEscape(name)+"/edit"
	}
	f.Cancel = base
}

// rows makes n repeated rows of list, labelled "Layer 1, rotation" and so
// on from the inputs' labels.
func (f *setupForm) rows(list, noun string, n int, inputs map[string]string) {
	f.Rows = nil
	for i := range n {
		f.Rows = append(f.Rows, i)
		f.labels[fieldPath(list, i, "")] = fmt.Sprintf("%s %d", noun, i+1)
		for in, label := range inputs {
			f.labels[fieldPath(list, i, in)] = fmt.Sprintf("%s %d, %s", noun, i+1, label)
		}
	}
}

// ---- people

func personForm(p setup.Person, create bool) *setupForm {
	v := map[string]string{"name": p.Name, "display_name": p.DisplayName, "timezone": p.Timezone, "email": p.Email,
		"slack": p.Slack, "teams": p.Teams, "webhook": p.Webhook, "ntfy": p.Ntfy}
	f := &setupForm{Create: create, Name: p.Name, V: v, tmpl: "person_form.html", noun: "person", labels: personInputs}
	f.titles("person", "/people", p.Name)
	return f
}

func parsePersonForm(r *http.Request, name string, create bool) (*setupForm, setup.Person, []apperr.Field) {
	v := formValues(r, "name", "display_name", "timezone", "email", "slack", "teams", "webhook", "ntfy")
	if !create {
		v["name"] = name
	}
	p := setup.Person{Name: v["name"], DisplayName: v["display_name"], Timezone: v["timezone"], Email: v["email"],
		Slack: v["slack"], Teams: v["teams"], Webhook: v["webhook"], Ntfy: v["ntfy"]}
	return personForm(p, create), p, nil
}

// ---- schedules

// layerInputs are the inputs of a schedule's layer row.
var layerInputs = map[string]string{"rotation": "rotation", "handoff": "hand-off", "members": "members", "start": "start", "restrict": "hours"}

// schedulePreview is who would be on call under the schedule in the form.
type schedulePreview struct {
	Days   int
	Shifts []previewShift
}

// previewShift is one row of a preview, times in the schedule's zone.
type previewShift struct {
	User, From, To string
}

func rotaForm(s oncall.Schedule, create bool) *setupForm {
	v := map[string]string{"name": s.Name, "timezone": s.Timezone}
	f := &setupForm{Create: create, Name: s.Name, V: v, tmpl: "schedule_form.html", noun: "schedule",
		labels: map[string]string{"name": "Name", "timezone": "Time zone", "layers": "Layers"}}
	for i, l := range s.Layers {
		v[fieldPath("layers", i, "rotation")] = l.Rotation
		v[fieldPath("layers", i, "handoff")] = l.Handoff
		v[fieldPath("layers", i, "members")] = strings.Join(l.Members, ", ")
		v[fieldPath("layers", i, "start")] = l.Start
		v[fieldPath("layers", i, "restrict")] = formatWindows(l.Restrict)
	}
	f.rows("layers", "Layer", len(s.Layers)+spareRows, layerInputs)
	f.titles("schedule", "/schedules", s.Name)
	return f
}

var windowText = regexp.MustCompile(`^(?:(\S+)\s+)?(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$`)

// parseWindows reads a layer's hours, "mon-fri 09:00-17:00; sat
// 10:00-14:00" (days may be left out for every day), or says what is
// wrong with them.
func parseWindows(s string) ([]oncall.Window, string) {
	var out []oncall.Window
	for _, part := range strings.Split(s, ";") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		m := windowText.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Sprintf("%q: write each window as DAYS FROM-TO, e.g. mon-fri 09:00-17:00, separated by ';'", part)
		}
		out = append(out, oncall.Window{Days: m[1], From: m[2], To: m[3]})
	}
	return out, ""
}

// formatWindows writes windows as parseWindows reads them.
func formatWindows(ws []oncall.Window) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		p := w.From + "-" + w.To
		if w.Days != "" {
			p = w.Days + " " + p
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// parseScheduleForm reads a submitted schedule form: empty layer rows are
// dropped and the rows closed up; the stored schedule's overrides, which
// this form does not show, are kept by the caller.
func parseScheduleForm(r *http.Request, name string, create bool) (*setupForm, oncall.Schedule, []apperr.Field) {
	pf := r.PostForm
	get := func(k string) string { return strings.TrimSpace(pf.Get(k)) }
	s := oncall.Schedule{Name: get("name"), Timezone: get("timezone")}
	if !create {
		s.Name = name
	}
	var parsed []apperr.Field
	var typed []string
	for i := range maxFormRows {
		if !pf.Has(fieldPath("layers", i, "rotation")) {
			break
		}
		l := oncall.Layer{Rotation: get(fieldPath("layers", i, "rotation")), Handoff: get(fieldPath("layers", i, "handoff")),
			Members: splitList(get(fieldPath("layers", i, "members"))), Start: get(fieldPath("layers", i, "start"))}
		restrict := get(fieldPath("layers", i, "restrict"))
		if l.Rotation == "" && l.Handoff == "" && len(l.Members) == 0 && l.Start == "" && restrict == "" {
			continue
		}
		typed = append(typed, restrict)
		ws, msg := parseWindows(restrict)
		if msg != "" {
			parsed = append(parsed, apperr.Field{Path: fieldPath("layers", len(s.Layers), "restrict"), Msg: msg})
		}
		l.Restrict = ws
		s.Layers = append(s.Layers, l)
	}
	f := rotaForm(s, create)
	// What was typed in the hours stays, even when it did not parse.
	for i, raw := range typed {
		f.V[fieldPath("layers", i, "restrict")] = raw
	}
	return f, s, parsed
}

// withOverrides keeps the stored schedule's overrides on an update made
// from the form, which does not show them.
func withOverrides(ctx context.Context, m *setup.Manager, s oncall.Schedule) oncall.Schedule {
	if old, err := m.GetSchedule(ctx, s.Name); err == nil && !old.ReadOnly() {
		s.Overrides = old.Overrides
	}
	return s
}

// saveSchedule saves, or with the Preview button shows who would be on
// call over the next two weeks under the form's schedule, unsaved.
func (u *UI) saveSchedule(create bool) func(w http.ResponseWriter, r *http.Request) error {
	save := saveObject(u, "/schedules", create, parseScheduleForm,
		func(m *setup.Manager, ctx context.Context, s oncall.Schedule) error {
			return m.ValidateSchedule(ctx, withOverrides(ctx, m, s))
		},
		func(m *setup.Manager, ctx context.Context, actor string, s oncall.Schedule, op setup.Op) error {
			_, err := m.PutSchedule(ctx, actor, withOverrides(ctx, m, s), op)
			return err
		}, func(s oncall.Schedule) string { return s.Name })
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.PostForm.Get("preview") == "" {
			return save(w, r)
		}
		m, err := u.setupManager()
		if err != nil {
			return err
		}
		f, s, parsed := parseScheduleForm(r, r.PathValue("name"), create)
		if len(parsed) > 0 {
			return withValidation(&formError{err: &apperr.Invalid{Fields: parsed}, form: f}, func() error { return m.ValidateSchedule(r.Context(), s) })
		}
		shifts, err := m.PreviewSchedule(r.Context(), s, time.Now())
		if err != nil {
			return &formError{err: err, form: f}
		}
		f.Preview = previewOf(s, shifts)
		u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
		return nil
	}
}

// previewOf writes shifts in the schedule's zone.
func previewOf(s oncall.Schedule, shifts []oncall.Shift) *schedulePreview {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		loc = time.UTC
	}
	p := &schedulePreview{Days: setup.PreviewDays}
	const layout = "Mon 2 Jan 15:04 MST"
	for _, sh := range shifts {
		p.Shifts = append(p.Shifts, previewShift{User: sh.User, From: sh.Start.In(loc).Format(layout), To: sh.End.In(loc).Format(layout)})
	}
	return p
}

// ---- status pages

func statusPageForm(p status.Page, create bool) *setupForm {
	v := map[string]string{"name": p.Name, "title": p.Title, "description": p.Description, "display_names": formatDisplayNames(p.DisplayNames),
		"feedback": feedbackChoice(p.Feedback)}
	f := &setupForm{Create: create, Name: p.Name, V: v, tmpl: "status_page_form.html", noun: "status page",
		labels: map[string]string{"name": "Name", "title": "Title", "description": "Description", "groups": "Groups", "display_names": "Names on the page", "feedback": "Visitor ratings"}}
	for i, g := range p.Groups {
		v[fieldPath("groups", i, "title")] = g.Title
		v[fieldPath("groups", i, "services")] = strings.Join(g.Services, ", ")
	}
	f.rows("groups", "Group", len(p.Groups)+spareRows, map[string]string{"title": "title", "services": "services"})
	f.titles("status page", "/status-pages", p.Name)
	return f
}

// feedbackChoice is the form's value of a page's own feedback setting:
// "" (the config's feedback.public decides), "public" or "closed".
func feedbackChoice(f *status.PageFeedback) string {
	switch {
	case f == nil:
		return ""
	case f.Public:
		return "public"
	}
	return "closed"
}

// parseDisplayNames reads "SERVICE: name on the page" lines, or says
// what is wrong with them.
func parseDisplayNames(s string) (map[string]string, string) {
	var out map[string]string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		svc, text, ok := strings.Cut(line, ":")
		svc, text = strings.TrimSpace(svc), strings.TrimSpace(text)
		if !ok || svc == "" || text == "" {
			return nil, fmt.Sprintf("%q: write one SERVICE: name per line, e.g. shop: Web shop", line)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[svc] = text
	}
	return out, ""
}

// formatDisplayNames writes display names as parseDisplayNames reads
// them, by service.
func formatDisplayNames(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		lines = append(lines, k+": "+m[k])
	}
	return strings.Join(lines, "\n")
}

func parseStatusPageForm(r *http.Request, name string, create bool) (*setupForm, status.Page, []apperr.Field) {
	pf := r.PostForm
	get := func(k string) string { return strings.TrimSpace(pf.Get(k)) }
	p := status.Page{Name: get("name"), Title: get("title"), Description: get("description")}
	if !create {
		p.Name = name
	}
	var parsed []apperr.Field
	names, msg := parseDisplayNames(pf.Get("display_names"))
	if msg != "" {
		parsed = append(parsed, apperr.Field{Path: "display_names", Msg: msg})
	}
	p.DisplayNames = names
	switch pf.Get("feedback") {
	case "":
	case "public":
		p.Feedback = &status.PageFeedback{Public: true}
	case "closed":
		p.Feedback = &status.PageFeedback{Public: false}
	default:
		parsed = append(parsed, apperr.Field{Path: "feedback", Msg: fmt.Sprintf("must be left to the config, public or closed, not %q", pf.Get("feedback"))})
	}
	for i := range maxFormRows {
		if !pf.Has(fieldPath("groups", i, "title")) {
			break
		}
		g := status.Group{Title: get(fieldPath("groups", i, "title")), Services: splitList(get(fieldPath("groups", i, "services")))}
		if g.Title == "" && len(g.Services) == 0 {
			continue
		}
		p.Groups = append(p.Groups, g)
	}
	f := statusPageForm(p, create)
	f.V["display_names"] = pf.Get("display_names")
	return f, p, parsed
}

// The kinds' delete pages.
var (
	personKind = setupKind{kind: setup.KindPerson, label: "person", plural: "People", base: "/people",
		entry: func(ctx context.Context, m *setup.Manager, name string) (setup.Entry, error) {
			e, err := m.GetPerson(ctx, name)
			return e.Entry, err
		},
		remove: func(ctx context.Context, m *setup.Manager, actor, name string) error {
			return m.DeletePerson(ctx, actor, name)
		}}
	scheduleKind = setupKind{kind: setup.KindSchedule, label: "schedule", plural: "Schedules", base: "/schedules",
		entry: func(ctx context.Context, m *setup.Manager, name string) (setup.Entry, error) {
			e, err := m.GetSchedule(ctx, name)
			return e.Entry, err
		},
		remove: func(ctx context.Context, m *setup.Manager, actor, name string) error {
			return m.DeleteSchedule(ctx, actor, name)
		}}
	statusPageKind = setupKind{kind: setup.KindStatusPage, label: "status page", plural: "Status pages", base: "/status-pages",
		entry: func(ctx context.Context, m *setup.Manager, name string) (setup.Entry, error) {
			e, err := m.GetStatusPage(ctx, name)
			return e.Entry, err
		},
		remove: func(ctx context.Context, m *setup.Manager, actor, name string) error {
			return m.DeleteStatusPage(ctx, actor, name)
		}}
)

// directoryRoutes registers the pages of people, schedules and status
// pages: lists for viewers, writes for admins, as for channels.
func (u *UI) directoryRoutes(mux routeMux) {
	viewer, admin := auth.Viewer, auth.Admin
	handle := func(pattern string, role auth.Role, h func(w http.ResponseWriter, r *http.Request) error) {
		mux.Handle(pattern, u.page(role, h))
	}
	handle("GET /people", viewer, listObjects(u, "people.html", "People", (*setup.Manager).People))
	handle("GET /people/new", admin, newObject(u, func() *setupForm { return personForm(setup.Person{}, true) }))
	handle("POST /people/new", admin, saveObject(u, "/people", true, parsePersonForm, (*setup.Manager).ValidatePerson, putPerson, func(p setup.Person) string { return p.Name }))
	handle("GET /people/{name}/edit", admin, editObject(u, func(ctx context.Context, m *setup.Manager, name string) (setup.Person, setup.Entry, error) {
		e, err := m.GetPerson(ctx, name)
		return e.Person, e.Entry, err
	}, func(p setup.Person) *setupForm { return personForm(p, false) }))
	handle("POST /people/{name}/edit", admin, saveObject(u, "/people", false, parsePersonForm, (*setup.Manager).ValidatePerson, putPerson, func(p setup.Person) string { return p.Name }))
	handle("GET /people/{name}/delete", admin, u.confirmDeleteSetup(personKind))
	handle("POST /people/{name}/delete", admin, u.deleteSetup(personKind))

	handle("GET /schedules", viewer, listObjects(u, "schedules.html", "Schedules", (*setup.Manager).Schedules))
	handle("GET /schedules/new", admin, newObject(u, func() *setupForm {
		return rotaForm(oncall.Schedule{Layers: []oncall.Layer{{Rotation: "weekly", Handoff: "mon 09:00"}}}, true)
	}))
	handle("POST /schedules/new", admin, u.saveSchedule(true))
	handle("GET /schedules/{name}/edit", admin, editObject(u, func(ctx context.Context, m *setup.Manager, name string) (oncall.Schedule, setup.Entry, error) {
		e, err := m.GetSchedule(ctx, name)
		return e.Schedule, e.Entry, err
	}, func(s oncall.Schedule) *setupForm { return rotaForm(s, false) }))
	handle("POST /schedules/{name}/edit", admin, u.saveSchedule(false))
	handle("GET /schedules/{name}/delete", admin, u.confirmDeleteSetup(scheduleKind))
	handle("POST /schedules/{name}/delete", admin, u.deleteSetup(scheduleKind))

	handle("GET /status-pages", viewer, listObjects(u, "status_pages.html", "Status pages", (*setup.Manager).StatusPages))
	handle("GET /status-pages/new", admin, newObject(u, func() *setupForm { return statusPageForm(status.Page{}, true) }))
	handle("POST /status-pages/new", admin, saveObject(u, "/status-pages", true, parseStatusPageForm, (*setup.Manager).ValidateStatusPage, putStatusPage, func(p status.Page) string { return p.Name }))
	handle("GET /status-pages/{name}/edit", admin, editObject(u, func(ctx context.Context, m *setup.Manager, name string) (status.Page, setup.Entry, error) {
		e, err := m.GetStatusPage(ctx, name)
		return e.Page, e.Entry, err
	}, func(p status.Page) *setupForm { return statusPageForm(p, false) }))
	handle("POST /status-pages/{name}/edit", admin, saveObject(u, "/status-pages", false, parseStatusPageForm, (*setup.Manager).ValidateStatusPage, putStatusPage, func(p status.Page) string { return p.Name }))
	handle("GET /status-pages/{name}/delete", admin, u.confirmDeleteSetup(statusPageKind))
	handle("POST /status-pages/{name}/delete", admin, u.deleteSetup(statusPageKind))
}

func putPerson(m *setup.Manager, ctx context.Context, actor string, p setup.Person, op setup.Op) error {
	_, err := m.PutPerson(ctx, actor, p, op)
	return err
}

func putStatusPage(m *setup.Manager, ctx context.Context, actor string, p status.Page, op setup.Op) error {
	_, err := m.PutStatusPage(ctx, actor, p, op)
	return err
}
