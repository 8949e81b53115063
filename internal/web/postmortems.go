package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/postmortem"
	"github.com/sextant-ops/sextant/internal/store"
)

// postmortemPageSize is how many post-mortems one page of the list shows.
const postmortemPageSize = 50

// The post-mortem and known-error pages. The incident page's extras (the
// known error's workaround and the link to, or start of, the post-mortem)
// are gathered in incidents.go with the rest of that page. Markdown written
// by people is shown as text, line breaks kept: the UI renders no Markdown,
// and the export keeps it as written.

// startPostmortem starts the post-mortem of a resolved incident, or goes
// to the one it already has.
func (u *UI) startPostmortem(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Postmortems == nil {
		return errPageNotFound
	}
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	pm, err := u.deps.Postmortems.ForIncident(r.Context(), id)
	if errors.Is(err, apperr.ErrNotFound) {
		pm, err = u.deps.Postmortems.Create(r.Context(), principal(r).Actor(), id)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, postmortemURL(pm.ID), http.StatusSeeOther)
	return nil
}

func postmortemURL(id int64) string { return "/postmortems/" + strconv.FormatInt(id, 10) }

// postmortemListPage is the data of the post-mortem list.
type postmortemListPage struct {
	Items    []postmortem.Listed
	Status   string
	Statuses []option
	NextURL  string
	FirstURL string
}

func (u *UI) listPostmortems(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Postmortems == nil {
		return errPageNotFound
	}
	q := r.URL.Query()
	lp := postmortemListPage{Status: q.Get("status")}
	lp.Statuses = []option{{Value: "", Label: "Any status", Selected: lp.Status == ""}}
	for _, s := range postmortem.Statuses {
		lp.Statuses = append(lp.Statuses, option{Value: s, Label: postmortem.StatusLabel(s), Selected: s == lp.Status})
	}
	if lp.Status != "" && !slices.Contains(postmortem.Statuses, lp.Status) {
		return errBadRequest("There is no post-mortem status " + strconv.Quote(lp.Status) + ": choose draft, in_review or published.")
	}
	pg := store.Page{Limit: postmortemPageSize, Cursor: q.Get("cursor")}
	items, next, err := u.deps.Postmortems.List(r.Context(), postmortem.Filter{Status: lp.Status}, pg)
	if err != nil {
		return err
	}
	lp.Items = items
	link := func(cursor string) string {
		v := url.Values{}
		if lp.Status != "" {
			v.Set("status", lp.Status)
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		if len(v) == 0 {
			return "/postmortems"
		}
		return "/postmortems?" + v.Encode()
	}
	if next != "" {
		lp.NextURL = link(next)
	}
	if pg.Cursor != "" {
		lp.FirstURL = link("")
	}
	u.render(w, r, http.StatusOK, "postmortems.html", "Post-mortems", lp)
	return nil
}

// postmortemPage is the data of a post-mortem's page: the post-mortem, its
// sections form, its status buttons and its action items.
type postmortemPage struct {
	formProblems
	PM postmortem.Postmortem
	// Form holds the sections as submitted, shown again with problems.
	Form postmortem.Postmortem
	// NewItem is the add-an-item form, shown again with problems.
	NewItem     postmortem.ItemInput
	ItemProblem formProblems
	Done        string
	Problem     string
}

func (p *postmortemPage) template() string  { return "postmortem.html" }
func (p *postmortemPage) pageTitle() string { return p.PM.Title }
func (p *postmortemPage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		switch f.Path {
		case "title", "summary", "root_cause", "contributing_factors", "lessons":
			p.add(f.Path, sectionLabel(f.Path), f.Msg, true)
		default:
			p.Problem = capitalise(f.Msg) + "."
			if f.Path != "" {
				p.Problem = capitalise(strings.ReplaceAll(f.Path, "_", " ")) + " " + f.Msg + "."
			}
		}
	}
}

// itemForm re-renders the page with the add-item form's problems.
type itemForm struct{ *postmortemPage }

func (p itemForm) setProblems(fields []apperr.Field) {
	p.ItemProblem.reset()
	for _, f := range fields {
		p.ItemProblem.add("item."+f.Path, capitalise(f.Path), f.Msg, true)
	}
}

func sectionLabel(path string) string {
	switch path {
	case "root_cause":
		return "Root cause"
	case "contributing_factors":
		return "Contributing factors"
	case "lessons":
		return "Lessons learned"
	}
	return capitalise(path)
}

// Editable says whether the texts may still change.
func (p *postmortemPage) Editable() bool { return p.PM.Status != postmortem.Published }

// StatusLabel names the post-mortem's status.
func (p *postmortemPage) StatusLabel() string { return postmortem.StatusLabel(p.PM.Status) }

// statusButton is one status change the page offers.
type statusButton struct{ To, Label string }

// Moves lists the status changes allowed from here.
func (p *postmortemPage) Moves() []statusButton {
	switch p.PM.Status {
	case postmortem.Draft:
		return []statusButton{{postmortem.InReview, "Send for review"}}
	case postmortem.InReview:
		return []statusButton{{postmortem.Published, "Publish"}, {postmortem.Draft, "Back to draft"}}
	}
	return nil
}

// Duration formats a downtime in seconds.
func (p *postmortemPage) Duration(a postmortem.Affected) string {
	return postmortem.FormatDuration(a.Downtime.Duration())
}

// Span formats the incident's span.
func (p *postmortemPage) Span() string {
	return postmortem.FormatDuration(p.PM.Impact.To.Sub(p.PM.Impact.From))
}

// Money formats a cost.
func (p *postmortemPage) Money(f float64) string { return postmortem.Money(f) }

// ItemState names an item's state.
func (p *postmortemPage) ItemState(s string) string { return postmortem.ItemStateLabel(s) }

// ItemField describes an input of the add-item form.
func (p *postmortemPage) ItemField(name, label, value, hint string) field {
	return p.ItemProblem.Field("item."+name, label, value, hint)
}

// postmortemID reads the {id} of a path.
func postmortemID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errPageNotFound
	}
	return id, nil
}

func (u *UI) loadPostmortemPage(r *http.Request) (*postmortemPage, error) {
	if u.deps.Postmortems == nil {
		return nil, errPageNotFound
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return nil, err
	}
	pm, err := u.deps.Postmortems.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return &postmortemPage{PM: pm, Form: pm}, nil
}

func (u *UI) showPostmortem(w http.ResponseWriter, r *http.Request) error {
	p, err := u.loadPostmortemPage(r)
	if err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "saved", "status", "impact", "item":
		p.Done = d
	}
	u.render(w, r, http.StatusOK, "postmortem.html", p.PM.Title, p)
	return nil
}

// postmortemAction runs a change and sends the browser back to the page;
// a refused change draws the page again with the reason.
func (u *UI) postmortemAction(w http.ResponseWriter, r *http.Request, done string, form func(p *postmortemPage) formView,
	act func(p *postmortemPage, actor string) error) error {
	p, err := u.loadPostmortemPage(r)
	if err != nil {
		return err
	}
	if err := act(p, principal(r).Actor()); err != nil {
		if !errors.Is(err, apperr.ErrConflict) && !isInvalid(err) {
			return err
		}
		return &formError{err: err, form: form(p)}
	}
	http.Redirect(w, r, postmortemURL(p.PM.ID)+"?done="+done, http.StatusSeeOther)
	return nil
}

func pageForm(p *postmortemPage) formView { return p }

func (u *UI) savePostmortem(w http.ResponseWriter, r *http.Request) error {
	text := func(name string) *string {
		v := strings.ReplaceAll(r.PostFormValue(name), "\r\n", "\n")
		return &v
	}
	e := postmortem.Edit{Title: text("title"), Summary: text("summary"), RootCause: text("root_cause"),
		ContributingFactors: text("contributing_factors"), Lessons: text("lessons")}
	return u.postmortemAction(w, r, "saved", pageForm, func(p *postmortemPage, actor string) error {
		p.Form.Title, p.Form.Summary, p.Form.RootCause = *e.Title, *e.Summary, *e.RootCause
		p.Form.ContributingFactors, p.Form.Lessons = *e.ContributingFactors, *e.Lessons
		_, err := u.deps.Postmortems.Update(r.Context(), actor, p.PM.ID, e)
		return err
	})
}

func (u *UI) movePostmortem(w http.ResponseWriter, r *http.Request) error {
	to := r.PostFormValue("status")
	return u.postmortemAction(w, r, "status", pageForm, func(p *postmortemPage, actor string) error {
		_, err := u.deps.Postmortems.Update(r.Context(), actor, p.PM.ID, postmortem.Edit{Status: &to})
		return err
	})
}

func (u *UI) refreshPostmortemImpact(w http.ResponseWriter, r *http.Request) error {
	return u.postmortemAction(w, r, "impact", pageForm, func(p *postmortemPage, actor string) error {
		_, err := u.deps.Postmortems.RefreshImpact(r.Context(), actor, p.PM.ID)
		return err
	})
}

// downloadPostmortem sends the Markdown export.
func (u *UI) downloadPostmortem(w http.ResponseWriter, r *http.Request) error {
	p, err := u.loadPostmortemPage(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="postmortem-`+strconv.FormatInt(p.PM.ID, 10)+`.md"`)
	_, _ = w.Write([]byte(postmortem.Markdown(p.PM, monitor.BaseURL(u.deps.PublicURL, r))))
	return nil
}

func itemInput(r *http.Request) postmortem.ItemInput {
	return postmortem.ItemInput{Title: r.PostFormValue("title"), Owner: r.PostFormValue("owner"), Due: r.PostFormValue("due"), State: r.PostFormValue("state")}
}

func (u *UI) addPostmortemItem(w http.ResponseWriter, r *http.Request) error {
	in := itemInput(r)
	return u.postmortemAction(w, r, "item", func(p *postmortemPage) formView { return itemForm{p} }, func(p *postmortemPage, actor string) error {
		p.NewItem = in
		_, err := u.deps.Postmortems.AddItem(r.Context(), actor, p.PM.ID, in)
		return err
	})
}

// itemPage is the data of the page that edits one action item.
type itemPage struct {
	formProblems
	Postmortem postmortem.Postmortem
	Item       postmortem.Item
	States     []option
}

func (p *itemPage) template() string  { return "postmortem_item.html" }
func (p *itemPage) pageTitle() string { return "Edit action item" }
func (p *itemPage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		p.add(f.Path, capitalise(f.Path), f.Msg, f.Path != "")
	}
}

func (u *UI) loadItemPage(r *http.Request) (*itemPage, error) {
	p, err := u.loadPostmortemPage(r)
	if err != nil {
		return nil, err
	}
	id, err := postmortemID(r, "item")
	if err != nil {
		return nil, err
	}
	ip := &itemPage{Postmortem: p.PM}
	i := slices.IndexFunc(p.PM.ActionItems, func(it postmortem.Item) bool { return it.ID == id })
	if i < 0 {
		return nil, apperr.NotFound("action item %d of post-mortem %d", id, p.PM.ID)
	}
	ip.Item = p.PM.ActionItems[i]
	return ip, nil
}

func (ip *itemPage) states() {
	ip.States = nil
	for _, s := range postmortem.ItemStates {
		ip.States = append(ip.States, option{Value: s, Label: postmortem.ItemStateLabel(s), Selected: s == ip.Item.State})
	}
}

func (u *UI) editPostmortemItem(w http.ResponseWriter, r *http.Request) error {
	ip, err := u.loadItemPage(r)
	if err != nil {
		return err
	}
	ip.states()
	u.render(w, r, http.StatusOK, "postmortem_item.html", ip.pageTitle(), ip)
	return nil
}

func (u *UI) updatePostmortemItem(w http.ResponseWriter, r *http.Request) error {
	ip, err := u.loadItemPage(r)
	if err != nil {
		return err
	}
	in := itemInput(r)
	if _, err := u.deps.Postmortems.UpdateItem(r.Context(), principal(r).Actor(), ip.Postmortem.ID, ip.Item.ID, in); err != nil {
		if !isInvalid(err) {
			return err
		}
		ip.Item.Title, ip.Item.Owner, ip.Item.Due, ip.Item.State = in.Title, in.Owner, in.Due, in.State
		ip.states()
		return &formError{err: err, form: ip}
	}
	http.Redirect(w, r, postmortemURL(ip.Postmortem.ID)+"?done=item#action-items", http.StatusSeeOther)
	return nil
}

// setPostmortemItemState marks an item done (or open again, or won't do)
// from the table's buttons.
func (u *UI) setPostmortemItemState(w http.ResponseWriter, r *http.Request) error {
	ip, err := u.loadItemPage(r)
	if err != nil {
		return err
	}
	if _, err := u.deps.Postmortems.SetItemState(r.Context(), principal(r).Actor(), ip.Postmortem.ID, ip.Item.ID, r.PostFormValue("state")); err != nil {
		return err
	}
	http.Redirect(w, r, postmortemURL(ip.Postmortem.ID)+"?done=item#action-items", http.StatusSeeOther)
	return nil
}

func (u *UI) deletePostmortemItem(w http.ResponseWriter, r *http.Request) error {
	ip, err := u.loadItemPage(r)
	if err != nil {
		return err
	}
	if err := u.deps.Postmortems.DeleteItem(r.Context(), principal(r).Actor(), ip.Postmortem.ID, ip.Item.ID); err != nil {
		return err
	}
	http.Redirect(w, r, postmortemURL(ip.Postmortem.ID)+"?done=item#action-items", http.StatusSeeOther)
	return nil
}

// Known errors.

// knownErrorListPage is the data of the known-error list.
type knownErrorListPage struct {
	Items    []knownerror.KnownError
	NextURL  string
	FirstURL string
}

func (u *UI) listKnownErrors(w http.ResponseWriter, r *http.Request) error {
	if u.deps.KnownErrors == nil {
		return errPageNotFound
	}
	pg := store.Page{Limit: postmortemPageSize, Cursor: r.URL.Query().Get("cursor")}
	items, next, err := u.deps.KnownErrors.List(r.Context(), pg)
	if err != nil {
		return err
	}
	lp := knownErrorListPage{Items: items}
	if next != "" {
		lp.NextURL = "/known-errors?cursor=" + url.QueryEscape(next)
	}
	if pg.Cursor != "" {
		lp.FirstURL = "/known-errors"
	}
	u.render(w, r, http.StatusOK, "known_errors.html", "Known errors", lp)
	return nil
}

// knownErrorPage is the data of a known error's page.
type knownErrorPage struct {
	knownerror.KnownError
	Done string
}

// LabelList writes the labels as key=value, sorted.
func (p knownErrorPage) LabelList() []string { return labelList(p.Labels) }

func labelList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func knownErrorID(r *http.Request) (int64, error) { return postmortemID(r, "id") }

// knownErrorOf loads the known error a route names.
func (u *UI) knownErrorOf(r *http.Request) (int64, knownerror.KnownError, error) {
	if u.deps.KnownErrors == nil {
		return 0, knownerror.KnownError{}, errPageNotFound
	}
	id, err := knownErrorID(r)
	if err != nil {
		return 0, knownerror.KnownError{}, err
	}
	k, err := u.deps.KnownErrors.Get(r.Context(), id)
	return id, k, err
}

func (u *UI) showKnownError(w http.ResponseWriter, r *http.Request) error {
	_, k, err := u.knownErrorOf(r)
	if err != nil {
		return err
	}
	p := knownErrorPage{KnownError: k}
	if d := r.URL.Query().Get("done"); d == "saved" {
		p.Done = d
	}
	u.render(w, r, http.StatusOK, "known_errors_show.html", k.Title, p)
	return nil
}

// knownErrorForm is the create and edit form of a known error.
type knownErrorForm struct {
	formProblems
	Create                       bool
	ID                           int64
	Action, CancelURL            string
	Title, Service, SummaryMatch string
	Labels, Workaround           string
	Services                     []option
}

func (f *knownErrorForm) template() string { return "known_errors_form.html" }
func (f *knownErrorForm) pageTitle() string {
	if f.Create {
		return "New known error"
	}
	return "Edit known error"
}
func (f *knownErrorForm) setProblems(fields []apperr.Field) {
	f.reset()
	for _, fl := range fields {
		path := fl.Path
		if strings.HasPrefix(path, "labels.") {
			path = "labels"
		}
		label := map[string]string{"title": "Title", "service": "Service", "summary_match": "Summary match", "labels": "Labels", "workaround": "Workaround"}[path]
		if label == "" {
			label = capitalise(path)
		}
		msg := fl.Msg
		if path != fl.Path {
			msg = strings.TrimPrefix(fl.Path, "labels.") + " " + msg
		}
		f.add(path, label, msg, label != "")
	}
}

// services fills the service choices, keeping a chosen one that is gone.
func (u *UI) knownErrorServices(r *http.Request, f *knownErrorForm) error {
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return err
	}
	names := []string{}
	for _, s := range cat.Services {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	if f.Service != "" && !slices.Contains(names, f.Service) {
		names = append(names, f.Service)
	}
	f.Services = []option{{Value: "", Label: "Any service", Selected: f.Service == ""}}
	for _, n := range names {
		f.Services = append(f.Services, option{Value: n, Label: n, Selected: n == f.Service})
	}
	return nil
}

func (u *UI) newKnownError(w http.ResponseWriter, r *http.Request) error {
	if u.deps.KnownErrors == nil {
		return errPageNotFound
	}
	f := &knownErrorForm{Create: true, Action: "/known-errors/new", CancelURL: "/known-errors", Service: r.URL.Query().Get("service")}
	if err := u.knownErrorServices(r, f); err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

// parseLabels reads "key=value" pairs, one a line or separated by commas.
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, &apperr.Invalid{Fields: []apperr.Field{{Path: "labels", Msg: "write each label as key=value, not " + strconv.Quote(part)}}}
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return out, nil
}

func (u *UI) saveKnownError(w http.ResponseWriter, r *http.Request, f *knownErrorForm, save func(in knownerror.Input) (knownerror.KnownError, error)) error {
	f.Title, f.Service, f.SummaryMatch = r.PostFormValue("title"), r.PostFormValue("service"), r.PostFormValue("summary_match")
	f.Labels, f.Workaround = r.PostFormValue("labels"), strings.ReplaceAll(r.PostFormValue("workaround"), "\r\n", "\n")
	if err := u.knownErrorServices(r, f); err != nil {
		return err
	}
	labels, err := parseLabels(f.Labels)
	if err != nil {
		return &formError{err: err, form: f}
	}
	k, err := save(knownerror.Input{Title: f.Title, Service: f.Service, SummaryMatch: f.SummaryMatch, Labels: labels, Workaround: f.Workaround})
	if err != nil {
		if !isInvalid(err) && !errors.Is(err, apperr.ErrConflict) {
			return err
		}
		return &formError{err: err, form: f}
	}
	http.Redirect(w, r, "/known-errors/"+strconv.FormatInt(k.ID, 10)+"?done=saved", http.StatusSeeOther)
	return nil
}

func (u *UI) createKnownError(w http.ResponseWriter, r *http.Request) error {
	if u.deps.KnownErrors == nil {
		return errPageNotFound
	}
	f := &knownErrorForm{Create: true, Action: "/known-errors/new", CancelURL: "/known-errors"}
	return u.saveKnownError(w, r, f, func(in knownerror.Input) (knownerror.KnownError, error) {
		return u.deps.KnownErrors.Create(r.Context(), principal(r).Actor(), in)
	})
}

func (u *UI) editKnownError(w http.ResponseWriter, r *http.Request) error {
	id, k, err := u.knownErrorOf(r)
	if err != nil {
		return err
	}
	f := &knownErrorForm{ID: id, Action: "/known-errors/" + strconv.FormatInt(id, 10) + "/edit", CancelURL: "/known-errors/" + strconv.FormatInt(id, 10),
		Title: k.Title, Service: k.Service, SummaryMatch: k.SummaryMatch, Labels: strings.Join(labelList(k.Labels), "\n"), Workaround: k.Workaround}
	if err := u.knownErrorServices(r, f); err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) updateKnownError(w http.ResponseWriter, r *http.Request) error {
	if u.deps.KnownErrors == nil {
		return errPageNotFound
	}
	id, err := knownErrorID(r)
	if err != nil {
		return err
	}
	if _, err := u.deps.KnownErrors.Get(r.Context(), id); err != nil {
		return err
	}
	f := &knownErrorForm{ID: id, Action: "/known-errors/" + strconv.FormatInt(id, 10) + "/edit", CancelURL: "/known-errors/" + strconv.FormatInt(id, 10)}
	return u.saveKnownError(w, r, f, func(in knownerror.Input) (knownerror.KnownError, error) {
		return u.deps.KnownErrors.Update(r.Context(), principal(r).Actor(), id, in)
	})
}

func (u *UI) deleteKnownError(w http.ResponseWriter, r *http.Request) error {
	if u.deps.KnownErrors == nil {
		return errPageNotFound
	}
	id, err := knownErrorID(r)
	if err != nil {
		return err
	}
	if err := u.deps.KnownErrors.Delete(r.Context(), principal(r).Actor(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/known-errors", http.StatusSeeOther)
	return nil
}
