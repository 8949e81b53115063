package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/notify"
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
	Services                  []string
	Filtered                  bool
	NextURL                   string
	FirstURL                  string // set when this is not the first page
}

func (u *UI) listIncidents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lp := incidentListPage{Status: q.Get("status"), Service: q.Get("service"), DedupKey: q.Get("dedup_key")}
	if lp.Status == "" {
		lp.Status = "open"
	}
	if !slices.ContainsFunc(incidentStatuses, func(o option) bool { return o.Value == lp.Status }) {
		return errBadRequest("There is no incident status " + strconv.Quote(lp.Status) + ": choose open, triggered, acknowledged, resolved or all.")
	}
	lp.Filtered = lp.Status != "open" || lp.Service != "" || lp.DedupKey != ""
	for _, o := range incidentStatuses {
		o.Selected = o.Value == lp.Status
		lp.Statuses = append(lp.Statuses, o)
	}
	f := incident.Filter{Service: lp.Service, Status: lp.Status, DedupKey: lp.DedupKey}
	if f.Status == "all" {
		f.Status = ""
	}
	pg := store.Page{Limit: incidentPageSize, Cursor: q.Get("cursor")}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		pg.Limit = n
	}
	items, next, err := u.deps.Incidents.List(r.Context(), f, pg)
	if err != nil {
		return err
	}
	lp.Incidents = items
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return err
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
	u.render(w, r, http.StatusOK, "incidents.html", "Incidents", lp)
	return nil
}

// incidentDetailPage is the data of an incident's page.
type incidentDetailPage struct {
	incident.Incident
	Timeline   []timelineEntry
	Deliveries []notify.Delivery
	// DetailsJSON is the event's details, indented; empty when there are
	// none.
	DetailsJSON string
	Done        string // the action just taken: acknowledged, resolved or note
	// Problem is a message about the page as a whole, such as an action
	// that no longer applies.
	Problem string
	Note    field
}

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
	}
	return capitalise(e.Kind)
}

// incidentPageForm lets fail re-render an incident's page with the note
// form's problems, or with a message when an action no longer applies.
type incidentPageForm struct{ *incidentDetailPage }

func (p incidentPageForm) template() string  { return "incident.html" }
func (p incidentPageForm) pageTitle() string { return incidentTitle(p.Incident) }
func (p incidentPageForm) setProblems(fields []apperr.Field) {
	for _, f := range fields {
		if f.Path == "text" {
			p.Note.Problems = append(p.Note.Problems, "The note "+f.Msg+".")
			continue
		}
		p.Problem = capitalise(f.Msg) + "."
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
	case incident.Acknowledged, incident.Resolved, "note":
		dp.Done = d
	}
	u.render(w, r, http.StatusOK, "incident.html", incidentTitle(dp.Incident), dp)
	return nil
}

// incidentPage gathers an incident's page: the incident, its timeline and
// the notifications sent about it.
func (u *UI) incidentPage(r *http.Request, id int64) (*incidentDetailPage, error) {
	i, log, err := u.deps.Incidents.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	dp := &incidentDetailPage{Incident: i}
	for _, e := range log {
		dp.Timeline = append(dp.Timeline, timelineEntry{e})
	}
	if dp.Deliveries, err = u.deps.Deliveries(r.Context(), id); err != nil {
		return nil, err
	}
	dp.DetailsJSON = prettyJSON(i.Details)
	dp.Note = field{Name: "text", ID: "note-text", Label: "Add a note", Hint: "Shown in the timeline with your name."}
	return dp, nil
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
		page.Note.Value = r.PostFormValue("text")
		return &formError{err: err, form: incidentPageForm{page}}
	}
	anchor := ""
	if done == "note" {
		anchor = "#timeline"
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
