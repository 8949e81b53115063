package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/postmortem"
	"github.com/sextant-ops/sextant/internal/store"
)

// incidentPageSize is how many incidents one page of the list shows.
const incidentPageSize = 50

// serviceIncidents is how many open incidents a service's page lists.
const serviceIncidents = 20

// incidentStatuses are the status filter's choices; "all" shows every
// incident, "open" (the default) those not yet resolved.
var incidentStatuses = []option{
	{Value: "open", Label: "Open (triggered or acknowledged)"},
	{Value: incident.Triggered, Label: "Triggered"},
	{Value: incident.Acknowledged, Label: "Acknowledged"},
	{Value: incident.Resolved, Label: "Resolved"},
	{Value: "all", Label: "Any status"},
}

// incidentListPage is the data of the incident list.
type incidentListPage struct {
	Incidents []incident.Incident
	// Filter state, as the user chose it.
	Status, Service, DedupKey string
	Statuses                  []option
	// Assignee is the assignee filter as chosen ("me" for the signed-in
	// person); Assignees are its choices.
	Assignee  string
	Assignees []option
	Services  []string
	Filtered  bool
	NextURL   string
	FirstURL  string // set when this is not the first page
	// BulkAction is the bulk form's address: it keeps the list's filter
	// and page, so that its answer shows the same list.
	BulkAction string
	// Bulk is the answer to a bulk action just taken: how many incidents
	// changed and those that could not. Problem says why a bulk action was
	// refused as a whole.
	Bulk    *bulkAnswer
	Problem string
}

// bulkAnswer is what a bulk action did, as the list shows it.
type bulkAnswer struct {
	Action  string // acknowledged or resolved
	Changed int
	Failed  []incident.BulkResult
}

// incidentListForm lets fail draw the list again with the reason a bulk
// action was refused.
type incidentListForm struct{ *incidentListPage }

func (p incidentListForm) template() string  { return "incidents.html" }
func (p incidentListForm) pageTitle() string { return "Incidents" }
func (p incidentListForm) setProblems(fields []apperr.Field) {
	var msgs []string
	for _, f := range fields {
		msgs = append(msgs, capitalise(f.Msg)+".")
	}
	p.Problem = strings.Join(msgs, " ")
}

// bulkIncidents acknowledges or resolves the incidents ticked in the list
// (the form works without script) and draws the list again with how many
// changed and which could not.
func (u *UI) bulkIncidents(w http.ResponseWriter, r *http.Request) error {
	lp, err := u.incidentList(r)
	if err != nil {
		return err
	}
	action := r.PostFormValue("action")
	var ids []int64
	for _, v := range r.PostForm["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			return &formError{err: &apperr.Invalid{Fields: []apperr.Field{{Path: "id", Msg: "there is no incident " + strconv.Quote(v)}}}, form: incidentListForm{lp}}
		}
		ids = append(ids, id)
	}
	switch {
	case action == bulkMerge:
		return u.bulkMerge(w, r, lp, ids)
	case action != incident.BulkAcknowledge && action != incident.BulkResolve:
		return &formError{err: &apperr.Invalid{Fields: []apperr.Field{{Path: "action", Msg: "choose Acknowledge, Resolve or Merge"}}}, form: incidentListForm{lp}}
	case len(ids) == 0:
		// Said for people: the store's "ids" is the API's field.
		return &formError{err: &apperr.Invalid{Fields: []apperr.Field{{Path: "id", Msg: "tick the incidents to " + action + " first"}}}, form: incidentListForm{lp}}
	}
	res, err := u.deps.Incidents.Bulk(r.Context(), action, ids, principal(r).Actor())
	if err != nil {
		return &formError{err: err, form: incidentListForm{lp}}
	}
	ans := &bulkAnswer{Action: incident.Acknowledged}
	if action == incident.BulkResolve {
		ans.Action = incident.Resolved
	}
	for _, x := range res {
		if x.Changed() {
			ans.Changed++
		} else {
			ans.Failed = append(ans.Failed, x)
		}
	}
	// The list shows the incidents as they are now.
	if lp, err = u.incidentList(r); err != nil {
		return err
	}
	lp.Bulk = ans
	u.render(w, r, http.StatusOK, "incidents.html", "Incidents", lp)
	return nil
}

func (u *UI) listIncidents(w http.ResponseWriter, r *http.Request) error {
	lp, err := u.incidentList(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "incidents.html", "Incidents", lp)
	return nil
}

// incidentList gathers the list page for the filter in r's query; the list
// and the answer to a bulk action (which keeps the filter in its form's
// address) both draw it.
func (u *UI) incidentList(r *http.Request) (*incidentListPage, error) {
	q := r.URL.Query()
	lp := &incidentListPage{Status: q.Get("status"), Service: q.Get("service"), DedupKey: q.Get("dedup_key"), Assignee: strings.TrimSpace(q.Get("assignee"))}
	if lp.Status == "" {
		lp.Status = "open"
	}
	if !slices.ContainsFunc(incidentStatuses, func(o option) bool { return o.Value == lp.Status }) {
		return nil, errBadRequest("There is no incident status " + strconv.Quote(lp.Status) + ": choose open, triggered, acknowledged, resolved or all.")
	}
	lp.Filtered = lp.Status != "open" || lp.Service != "" || lp.DedupKey != "" || lp.Assignee != ""
	lp.Assignees = u.assigneeOptions(lp.Assignee)
	for _, o := range incidentStatuses {
		o.Selected = o.Value == lp.Status
		lp.Statuses = append(lp.Statuses, o)
	}
	f := incident.Filter{Service: lp.Service, Status: lp.Status, DedupKey: lp.DedupKey, Assignee: assigneeName(r, lp.Assignee)}
	if f.Status == "all" {
		f.Status = ""
	}
	pg := store.Page{Limit: incidentPageSize, Cursor: q.Get("cursor")}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		pg.Limit = n
	}
	items, next, err := u.deps.Incidents.List(r.Context(), f, pg)
	if err != nil {
		return nil, err
	}
	lp.Incidents = items
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return nil, err
	}
	for _, s := range cat.Services {
		lp.Services = append(lp.Services, s.Name)
	}
	slices.Sort(lp.Services)
	if lp.Service != "" && !slices.Contains(lp.Services, lp.Service) {
		// A deleted service keeps its incidents: still offer it.
		lp.Services = append(lp.Services, lp.Service)
	}
	link := func(cursor string) string {
		v := url.Values{}
		if lp.Status != "open" {
			v.Set("status", lp.Status)
		}
		if lp.Service != "" {
			v.Set("service", lp.Service)
		}
		if lp.DedupKey != "" {
			v.Set("dedup_key", lp.DedupKey)
		}
		if lp.Assignee != "" {
			v.Set("assignee", lp.Assignee)
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		if pg.Limit != incidentPageSize {
			v.Set("limit", strconv.Itoa(pg.Limit))
		}
		if len(v) == 0 {
			return "/incidents"
		}
		return "/incidents?" + v.Encode()
	}
	if next != "" {
		lp.NextURL = link(next)
	}
	if pg.Cursor != "" {
		lp.FirstURL = link("")
	}
	lp.BulkAction = "/incidents/bulk" + strings.TrimPrefix(link(pg.Cursor), "/incidents")
	return lp, nil
}

// incidentDetailPage is the data of an incident's page. One handler
// (showIncident) draws it, and the same gathering (incidentPage) draws it
// again after a refused action, so both show the same boxes.
type incidentDetailPage struct {
	incident.Incident
	// Changes are the changes on the service that began before the
	// incident opened and ended within the failure window before it.
	Changes    []changeBefore
	Timeline   []timelineEntry
	Deliveries []notify.Delivery
	// DetailsJSON is the event's details, indented; empty when there are
	// none.
	DetailsJSON string
	Done        string // the action just taken: acknowledged, resolved, note or reassigned
	// Problem is a message about the page as a whole, such as an action
	// that no longer applies.
	Problem string
	// Notice is what a person should know about a resolved incident, such
	// as its check still failing (its next failing result opens a new
	// incident).
	Notice string
	Note   field
	// KnownError is the known error the incident matched, with its
	// workaround; Postmortem is its post-mortem once started, and
	// Postmortems says whether the server keeps post-mortems at all.
	KnownError  *knownerror.KnownError
	Postmortem  *postmortem.Postmortem
	Postmortems bool
	// Desk says whether the incident can open a service desk ticket.
	Desk bool
	// Paging is where the escalation stands; nil when the server does not
	// track escalations. (Not "Escalation": that is the incident's policy
	// name.) Reassign is the reassign form, offered while the incident is
	// open and there are people to choose from.
	Paging   *escalationBox
	Reassign *field
	// Assign is the assign form (to me, to a person, to nobody), offered
	// while the incident is open; SeverityForm is the severity form, offered
	// while it is open and not an Alertmanager group's.
	Assign       *field
	SeverityForm *field
	// SnoozeForm is the snooze form's custom length, offered while the
	// incident is acknowledged and has a policy; Snoozes are its buttons.
	// MergeForm is the merge form, offered while the incident is open and
	// not an Alertmanager group's.
	SnoozeForm *field
	Snoozes    []snoozeChoice
	MergeForm  *field
	// Effect is what the service's timeline shows over the incident's
	// span: down, degraded or none (see incidentEffect).
	Effect string
	// ItemImpact is, for an incident of a check that watches a
	// configuration item, what the item takes down now.
	ItemImpact *incidentItemImpact
	// Alerts is one page of a group incident's alerts (AlertCounts counts
	// them all); AlertsNextURL shows the next page, empty on the last.
	Alerts        []incidentAlert
	AlertCounts   incident.AlertCounts
	AlertsNextURL string
}

// incidentAlerts is how many of a group incident's alerts its page lists
// at once.
const incidentAlerts = 100

// incidentAlert is one alert of a group incident as its page shows it.
type incidentAlert struct{ incident.Alert }

// Summary is the alert's own summary, or its description.
func (a incidentAlert) Summary() string {
	if s := a.Annotations["summary"]; s != "" {
		return s
	}
	return a.Annotations["description"]
}

// Ends is when the alert ended, empty while Alertmanager sends its zero
// time (a firing alert with no end).
func (a incidentAlert) Ends() string {
	if strings.HasPrefix(a.EndsAt, "0001-") {
		return ""
	}
	return a.EndsAt
}

// LabelList is the alert's labels as name=value, sorted.
func (a incidentAlert) LabelList() []string {
	out := make([]string, 0, len(a.Labels))
	for k, v := range a.Labels {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// AlertTotal counts the incident's alerts.
func (p *incidentDetailPage) AlertTotal() int { return p.AlertCounts.Firing + p.AlertCounts.Resolved }

// CanAcknowledge says whether the incident can still be acknowledged.
func (p *incidentDetailPage) CanAcknowledge() bool { return p.Status == incident.Triggered }

// CanResolve says whether the incident can still be resolved.
func (p *incidentDetailPage) CanResolve() bool { return p.Status != incident.Resolved }

// timelineEntry is one line of an incident's timeline.
type timelineEntry struct{ incident.LogEntry }

// Label names the entry's kind for people.
func (e timelineEntry) Label() string {
	switch e.Kind {
	case "status":
		return "Status"
	case "event":
		return "Event"
	case "notification":
		return "Notification"
	case "note":
		return "Note"
	case "escalation":
		return "Escalation"
	}
	return capitalise(e.Kind)
}

// escalationBox is the incident page's account of paging.
type escalationBox struct {
	escalation.State
	Tracked bool // false: the incident has no escalation (no policy)
	// LevelNo and Levels number the due level for people (1-based), and
	// Rounds the runs of the policy; Levels is 0 when the policy is not
	// configured any more.
	LevelNo, Levels, RoundNo, Rounds int
	// Assigned is the person the incident was handed to, as shown.
	Assigned string
}

// Waiting, Active, Stopped, Done and Snoozed name the status for the
// template.
func (b *escalationBox) Waiting() bool { return b.Status == escalation.Waiting }
func (b *escalationBox) Active() bool  { return b.Status == escalation.Active }
func (b *escalationBox) Stopped() bool { return b.Status == escalation.Stopped }
func (b *escalationBox) Done() bool    { return b.Status == escalation.Done }
func (b *escalationBox) Snoozed() bool { return b.Status == escalation.Snoozed }

// incidentPageForm lets fail re-render an incident's page with the note
// form's or the reassign form's problems, or with a message when an action
// no longer applies.
type incidentPageForm struct{ *incidentDetailPage }

func (p incidentPageForm) template() string  { return "incident.html" }
func (p incidentPageForm) pageTitle() string { return incidentTitle(p.Incident) }
func (p incidentPageForm) setProblems(fields []apperr.Field) {
	for _, f := range fields {
		switch {
		case f.Path == "text":
			p.Note.Problems = append(p.Note.Problems, "The note "+f.Msg+".")
		case f.Path == "severity" && p.SeverityForm != nil:
			p.SeverityForm.Problems = append(p.SeverityForm.Problems, "The severity "+f.Msg+".")
		case f.Path == "assignee" && p.Assign != nil:
			p.Assign.Problems = append(p.Assign.Problems, capitalise(f.Msg)+".")
		case f.Path == "user" && p.Reassign != nil:
			p.Reassign.Problems = append(p.Reassign.Problems, capitalise(f.Msg)+".")
		case f.Path == "minutes" && p.SnoozeForm != nil:
			p.SnoozeForm.Problems = append(p.SnoozeForm.Problems, "The snooze "+f.Msg+".")
		case strings.HasPrefix(f.Path, "sources") && p.MergeForm != nil:
			p.MergeForm.Problems = append(p.MergeForm.Problems, capitalise(f.Msg)+".")
		default:
			p.Problem = capitalise(f.Msg) + "."
		}
	}
}

func incidentTitle(i incident.Incident) string {
	return "Incident #" + strconv.FormatInt(i.ID, 10)
}

// incidentID reads the {id} of a path; anything but a number is no page.
func incidentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errPageNotFound
	}
	return id, nil
}

func (u *UI) showIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	dp, err := u.incidentPage(r, id)
	if err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case incident.Acknowledged, incident.Resolved, "note", "reassigned", "assigned", "severity", "snoozed", "merged":
		dp.Done = d
	}
	u.render(w, r, http.StatusOK, "incident.html", incidentTitle(dp.Incident), dp)
	return nil
}

// incidentPage gathers an incident's whole page: the incident, its
// timeline, the notifications sent about it, its known error and
// post-mortem, and where its escalation stands.
func (u *UI) incidentPage(r *http.Request, id int64) (*incidentDetailPage, error) {
	ctx := r.Context()
	i, log, err := u.deps.Incidents.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	dp := &incidentDetailPage{Incident: i, Postmortems: u.deps.Postmortems != nil, Desk: u.deps.Desk != nil, Notice: u.deps.Incidents.Notice(i)}
	for _, e := range log {
		dp.Timeline = append(dp.Timeline, timelineEntry{e})
	}
	if dp.Deliveries, err = u.deps.Deliveries(ctx, id); err != nil {
		return nil, err
	}
	dp.DetailsJSON = prettyJSON(i.Details)
	if dp.Effect, err = u.incidentEffect(ctx, i); err != nil {
		return nil, err
	}
	if dp.ItemImpact, err = u.incidentItemImpact(ctx, i); err != nil {
		return nil, err
	}
	if dp.Changes, err = u.changesBefore(ctx, i.Service, i.CreatedAt); err != nil {
		return nil, err
	}
	if dp.AlertCounts, err = u.deps.Incidents.CountAlerts(ctx, id); err != nil {
		return nil, err
	}
	if dp.AlertTotal() > 0 {
		alerts, next, err := u.deps.Incidents.Alerts(ctx, id, store.Page{Limit: incidentAlerts, Cursor: r.URL.Query().Get("alerts")})
		if errors.Is(err, store.ErrBadCursor) {
			alerts, next, err = u.deps.Incidents.Alerts(ctx, id, store.Page{Limit: incidentAlerts})
		}
		if err != nil {
			return nil, err
		}
		for _, a := range alerts {
			dp.Alerts = append(dp.Alerts, incidentAlert{a})
		}
		if next != "" {
			dp.AlertsNextURL = fmt.Sprintf("/incidents/%d?alerts=%s#alerts", id, url.QueryEscape(next))
		}
	}
	dp.Note = field{Name: "text", ID: "note-text", Label: "Add a note", Hint: "Shown in the timeline with your name. Start it with \"Public:\" to publish it on the status page too."}
	if u.deps.KnownErrors != nil {
		if dp.KnownError, err = u.deps.KnownErrors.ForIncident(ctx, id); err != nil {
			return nil, err
		}
	}
	if u.deps.Postmortems != nil {
		pm, err := u.deps.Postmortems.ForIncident(ctx, id)
		switch {
		case err == nil:
			dp.Postmortem = &pm
		case !errors.Is(err, apperr.ErrNotFound):
			return nil, err
		}
	}
	if u.deps.Escalation != nil {
		st, ok, err := u.deps.Escalation(ctx, id)
		if err != nil {
			return nil, err
		}
		dp.Paging = u.escalationBox(st, ok)
	}
	if i.Status != incident.Resolved {
		dp.Assign = &field{Name: "assignee", ID: "assign-to", Label: "Assign to", Options: u.assigneeOptions(i.Assignee),
			Hint: "Says who works the incident; it pages nobody."}
		dp.Assign.Options[0].Label = "Nobody"
	}
	if i.Status != incident.Resolved && dp.AlertTotal() == 0 {
		dp.SeverityForm = &field{Name: "severity", ID: "change-severity", Label: "Severity", Options: severityOptions(i.Severity),
			Hint: "Changes what the incident does to its service from now on; what is already recorded stays."}
	}
	u.queueForms(dp)
	if u.deps.Reassign != nil && i.Status != incident.Resolved {
		if opts := u.personOptions(""); len(opts) > 1 {
			dp.Reassign = &field{Name: "user", ID: "reassign-user", Label: "Hand to", Options: opts,
				Hint: "They are notified now; the escalation goes on from where it is until someone acknowledges."}
		}
	}
	return dp, nil
}

// escalationBox describes an escalation state for people.
func (u *UI) escalationBox(st escalation.State, ok bool) *escalationBox {
	b := &escalationBox{State: st, Tracked: ok, LevelNo: st.Level + 1, RoundNo: st.Round + 1}
	if !ok {
		return b
	}
	oc := u.onCall()
	for _, p := range oc.Policies() {
		if p.Name == st.Policy {
			b.Levels, b.Rounds = len(p.Levels), p.Repeat+1
		}
	}
	if st.AssignedTo != "" {
		b.Assigned = st.AssignedTo
		if p, ok := oc.Person(st.AssignedTo); ok && p.DisplayName != "" {
			b.Assigned = p.DisplayName + " (" + p.Name + ")"
		}
	}
	return b
}

// personOptions lists the people to choose from, with an empty first
// choice; someone without a contact method is marked, since they cannot
// be notified.
func (u *UI) personOptions(chosen string) []option {
	opts := []option{{Value: "", Label: "Choose a person", Selected: chosen == ""}}
	for _, p := range u.onCall().People() {
		label := p.Name
		if p.DisplayName != "" {
			label = p.DisplayName + " (" + p.Name + ")"
		}
		if len(p.Contacts()) == 0 {
			label += " — no contact method"
		}
		opts = append(opts, option{Value: p.Name, Label: label, Selected: p.Name == chosen})
	}
	return opts
}

// prettyJSON indents a JSON document for reading; empty objects and
// arrays come back empty, and text that is not JSON comes back as it is.
func prettyJSON(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "{}" || s == "[]" || s == "null" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return s
	}
	return buf.String()
}

func (u *UI) acknowledgeIncident(w http.ResponseWriter, r *http.Request) error {
	return u.actOnIncident(w, r, incident.Acknowledged, func(id int64, actor string) error {
		_, err := u.deps.Incidents.Acknowledge(r.Context(), id, actor)
		return err
	})
}

func (u *UI) resolveIncident(w http.ResponseWriter, r *http.Request) error {
	return u.actOnIncident(w, r, incident.Resolved, func(id int64, actor string) error {
		_, err := u.deps.Incidents.Resolve(r.Context(), id, actor)
		return err
	})
}

func (u *UI) noteIncident(w http.ResponseWriter, r *http.Request) error {
	// Browsers send CRLF line breaks; the timeline stores plain ones, and
	// a note of blanks is no note.
	text := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n"))
	return u.actOnIncident(w, r, "note", func(id int64, actor string) error {
		_, err := u.deps.Incidents.Note(r.Context(), id, actor, text)
		return err
	})
}

// reassignIncident hands the incident to the chosen person, who is
// notified at once. A person who cannot be notified (no contact method)
// brings the page back with the reason next to the form.
func (u *UI) reassignIncident(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Reassign == nil {
		return errPageNotFound
	}
	user := strings.TrimSpace(r.PostFormValue("user"))
	return u.actOnIncident(w, r, "reassigned", func(id int64, actor string) error {
		if user == "" {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "user", Msg: "choose the person to hand the incident to"}}}
		}
		if _, ok := u.onCall().Person(user); !ok {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "user", Msg: "there is no person " + strconv.Quote(user)}}}
		}
		return u.deps.Reassign(r.Context(), id, user, actor)
	})
}

// assignIncident gives the incident to the signed-in person ("me"), to a
// person of the directory or a user, or to nobody; the timeline says so.
func (u *UI) assignIncident(w http.ResponseWriter, r *http.Request) error {
	name := assigneeName(r, strings.TrimSpace(r.PostFormValue("assignee")))
	return u.actOnIncident(w, r, "assigned", func(id int64, actor string) error {
		_, err := u.deps.Incidents.Assign(r.Context(), id, name, actor)
		return err
	})
}

// changeSeverity sets the incident's severity from its page.
func (u *UI) changeSeverity(w http.ResponseWriter, r *http.Request) error {
	severity := r.PostFormValue("severity")
	return u.actOnIncident(w, r, "severity", func(id int64, actor string) error {
		_, err := u.deps.Incidents.ChangeSeverity(r.Context(), id, severity, actor)
		return err
	})
}

// severityOptions lists the severities with the chosen one selected.
func severityOptions(chosen string) []option {
	var opts []option
	for _, s := range incident.Severities {
		opts = append(opts, option{Value: s, Label: s, Selected: s == chosen})
	}
	return opts
}

// assigneeName reads "me" as the signed-in person's name.
func assigneeName(r *http.Request, name string) string {
	if name == "me" {
		return principal(r).Name
	}
	return name
}

// assigneeOptions are the assignee choices: anyone (or nobody), me, and
// the people of the directory.
func (u *UI) assigneeOptions(chosen string) []option {
	opts := []option{{Value: "", Label: "Anyone", Selected: chosen == ""}, {Value: "me", Label: "Me", Selected: chosen == "me"}}
	found := chosen == "" || chosen == "me"
	for _, p := range u.onCall().People() {
		label := p.Name
		if p.DisplayName != "" {
			label = p.DisplayName + " (" + p.Name + ")"
		}
		found = found || p.Name == chosen
		opts = append(opts, option{Value: p.Name, Label: label, Selected: p.Name == chosen})
	}
	if !found {
		// A user, or someone no longer in the directory: still shown.
		opts = append(opts, option{Value: chosen, Label: chosen, Selected: true})
	}
	return opts
}

// actOnIncident runs a signed-in person's action and sends them back to
// the incident. When the store refuses (an empty note, an incident already
// resolved) the page is drawn again with the reason.
func (u *UI) actOnIncident(w http.ResponseWriter, r *http.Request, done string, act func(id int64, actor string) error) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	if err := act(id, principal(r).Actor()); err != nil {
		if !errors.Is(err, apperr.ErrConflict) && !isInvalid(err) {
			return err
		}
		page, perr := u.incidentPage(r, id)
		if perr != nil {
			return perr
		}
		if done == "note" {
			page.Note.Value = r.PostFormValue("text")
		}
		if done == "severity" && page.SeverityForm != nil {
			page.SeverityForm.Options = severityOptions(r.PostFormValue("severity"))
		}
		if done == "assigned" && page.Assign != nil {
			page.Assign.Options = u.assigneeOptions(r.PostFormValue("assignee"))
			page.Assign.Options[0].Label = "Nobody"
		}
		if done == "reassigned" && page.Reassign != nil {
			page.Reassign.Options = u.personOptions(r.PostFormValue("user"))
		}
		if done == "snoozed" && page.SnoozeForm != nil {
			page.SnoozeForm.Value = r.PostFormValue("custom")
		}
		if done == "merged" && page.MergeForm != nil {
			page.MergeForm.Value = r.PostFormValue("sources")
		}
		return &formError{err: err, form: incidentPageForm{page}}
	}
	anchor := ""
	switch done {
	case "note":
		anchor = "#timeline"
	case "reassigned":
		anchor = "#escalation"
	case "assigned", "severity":
		anchor = "#assignee"
	case "snoozed":
		anchor = "#snooze"
	}
	http.Redirect(w, r, "/incidents/"+strconv.FormatInt(id, 10)+"?done="+done+anchor, http.StatusSeeOther)
	return nil
}

func isInvalid(err error) bool {
	var inv *apperr.Invalid
	return errors.As(err, &inv)
}

// openIncidentsOf returns a service's open incidents, newest first, for
// the service page, and whether there are more than it shows.
func (u *UI) openIncidentsOf(r *http.Request, service string) ([]incident.Incident, bool, error) {
	items, next, err := u.deps.Incidents.List(r.Context(), incident.Filter{Service: service, Status: "open"}, store.Page{Limit: serviceIncidents})
	return items, next != "", err
}
