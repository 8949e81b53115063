package httpapi

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/incident"
)

// PDAnswer is the PagerDuty Events API's answer, which clients parse.
type PDAnswer struct {
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	DedupKey string   `json:"dedup_key,omitempty"`
	Errors   []string `json:"errors,omitempty"`
}

// IncidentDetail is an incident with its timeline and deliveries.
type IncidentDetail struct {
	incident.Incident
	Timeline   []incident.LogEntry `json:"timeline"`
	Deliveries any                 `json:"deliveries"`
	// Escalation says where paging stands, and why it has not paged yet
	// when it waits for service hours.
	Escalation any `json:"escalation"`
	// Alerts counts a group incident's alerts (listed at
	// /api/v1/incidents/{id}/alerts); absent for other incidents.
	Alerts *incident.AlertCounts `json:"alerts,omitempty"`
}

// Note is the body of a note.
type Note struct {
	Text string `json:"text"`
}

// limiters holds one rate limiter per integration with a configured rate.
type limiters struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
	// spec remembers the rate each limiter was built for, so a reload with
	// a new rate builds a new one.
	spec map[string]string
}

func (l *limiters) allow(in *incident.Integration, n int) bool {
	if in.RateLimit == "" {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m, l.spec = map[string]*rate.Limiter{}, map[string]string{}
	}
	lim, ok := l.m[in.Name]
	if !ok || l.spec[in.Name] != in.RateLimit {
		r, err := incident.ParseRate(in.RateLimit)
		if err != nil {
			return true // validated at load; never reached
		}
		lim = rate.NewLimiter(rate.Limit(float64(r.Events)/r.Per.Seconds()), r.Events)
		l.m[in.Name], l.spec[in.Name] = lim, in.RateLimit
	}
	return lim.AllowN(time.Now(), n)
}

// allowRequest counts one request against an integration's rate and, when
// it is over, says in how many whole seconds to come back.
func (l *limiters) allowRequest(in *incident.Integration) (int, bool) {
	if l.allow(in, 1) {
		return 0, true
	}
	r, err := incident.ParseRate(in.RateLimit)
	if err != nil {
		return 1, false
	}
	return max(1, int(math.Ceil(r.Per.Seconds()/float64(r.Events)))), false
}

func (a *API) incidentRoutes() []Route {
	id := Param{Name: "id", In: "path", Type: "integer", Description: "the incident's id"}
	return []Route{
		{Method: "POST", Path: "/api/v1/events", Summary: "Send an alert event (PagerDuty Events API v2 body; the routing key authenticates)", Tag: "ingest",
			KeyAuth: true, Request: incident.PDEvent{}, Response: PDAnswer{}, Status: 202, Handle: a.pdEvent},
		{Method: "POST", Path: "/v2/enqueue", Summary: "PagerDuty Events API v2 path: point a PagerDuty client's base URL at Sextant", Tag: "ingest",
			KeyAuth: true, Request: incident.PDEvent{}, Response: PDAnswer{}, Status: 202, Handle: a.pdEvent},
		{Method: "POST", Path: "/api/v1/integrations/alertmanager/{integration}", Summary: "Alertmanager webhook (payload version 4); send the integration's key as a bearer token", Tag: "ingest",
			KeyAuth: true, Query: []Param{{Name: "integration", In: "path", Description: "the integration's name"}}, Request: incident.AMWebhook{}, Response: AlertsAccepted{}, Status: 202, Handle: a.alertmanager},
		{Method: "GET", Path: "/api/v1/integrations/{name}/unrouted", Summary: "List an Alertmanager integration's unrouted alerts (unknown service, no fallback), newest first", Tag: "ingest", Role: auth.Admin,
			Query: append([]Param{{Name: "name", In: "path", Description: "the integration's name"}}, pageParams...), Response: List[incident.UnroutedAlert]{}, Status: 200, Handle: a.unroutedAlerts},
		{Method: "GET", Path: "/api/v1/incidents", Summary: "List incidents, newest first", Tag: "incidents", Role: auth.Viewer,
			Query: append([]Param{
				{Name: "service", In: "query", Description: "only this service's incidents"},
				{Name: "status", In: "query", Description: "triggered, acknowledged, resolved, or open (not resolved)"},
				{Name: "dedup_key", In: "query", Description: "only incidents with this dedup key"},
				{Name: "assignee", In: "query", Description: "only incidents assigned to this person or user; \"me\" is the signed-in user"},
			}, pageParams...), Response: List[incident.Incident]{}, Status: 200, Handle: a.listIncidents},
		{Method: "GET", Path: "/api/v1/incidents/{id}", Summary: "Get an incident with its timeline and notification deliveries", Tag: "incidents", Role: auth.Viewer,
			Query: []Param{id}, Response: IncidentDetail{}, Status: 200, Handle: a.getIncident},
		{Method: "GET", Path: "/api/v1/incidents/{id}/alerts", Summary: "List a group incident's alerts in the order they joined", Tag: "incidents", Role: auth.Viewer,
			Query: append([]Param{id}, pageParams...), Response: List[incident.Alert]{}, Status: 200, Handle: a.incidentAlerts},
		{Method: "POST", Path: "/api/v1/incidents/{id}/acknowledge", Summary: "Acknowledge an incident", Tag: "incidents", Role: auth.Operator,
			Query: []Param{id}, Response: incident.Incident{}, Status: 200, Handle: a.incidentAction("acknowledge")},
		{Method: "POST", Path: "/api/v1/incidents/{id}/resolve", Summary: "Resolve an incident", Tag: "incidents", Role: auth.Operator,
			Description: "When the incident came from a check that is still failing (down, or degraded), the answer's `notice` says so: " +
				"the check's next failing result opens a new incident and pages again. Without it, the field is absent.",
			Query: []Param{id}, Response: incident.Incident{}, Status: 200, Handle: a.incidentAction("resolve")},
		{Method: "POST", Path: "/api/v1/incidents/{id}/assign", Summary: "Assign an incident to a person or user (\"me\": yourself; empty: nobody)", Tag: "incidents", Role: auth.Operator,
			Description: "Noted on the incident's timeline. Paging goes on as it was; to page someone, reassign the escalation.",
			Query:       []Param{id}, Request: Assignment{}, Response: incident.Incident{}, Status: 200, Handle: a.assignIncident},
		{Method: "POST", Path: "/api/v1/incidents/{id}/severity", Summary: "Change an open incident's severity, and what it does to its service from now on", Tag: "incidents", Role: auth.Operator,
			Description: "The integration's severity map decides the service's state from this instant; what the service's timeline already shows stays. " +
				"An Alertmanager group incident answers 409: its severity is its worst firing alert's.",
			Query: []Param{id}, Request: SeverityChange{}, Response: incident.Incident{}, Status: 200, Handle: a.changeSeverity},
		{Method: "POST", Path: "/api/v1/incidents/bulk", Summary: "Acknowledge or resolve several incidents at once", Tag: "incidents", Role: auth.Operator,
			Description: "Each incident changes in its own transaction, exactly as its single acknowledge or resolve would (escalation stopped, notifications queued). " +
				"The answer has one result per id, in the order sent: `status` when it changed, `error` when it could not (already resolved, no such incident). " +
				"An unknown action, no ids, a repeated id or more than 200 are refused as a whole (400) and change nothing.",
			Request: BulkRequest{}, Response: BulkAnswer{}, Status: 200, Handle: a.bulkIncidents},
		{Method: "POST", Path: "/api/v1/incidents/{id}/snooze", Summary: "Snooze an acknowledged incident for a number of minutes (1 to 10080)", Tag: "incidents", Role: auth.Operator,
			Description: "Nobody is paged until the snooze ends; then, if the incident is still open, it is triggered again and its escalation policy pages from its first level " +
				"(the end is stored, so a restart in between does not lose it). Snoozing again sets a new end; a resolve ends the snooze, and a new trigger from the source ends it at once and pages. " +
				"A triggered or resolved incident, or one without an escalation policy, answers 409 with the reason.",
			Query: []Param{id}, Request: SnoozeRequest{}, Response: incident.Incident{}, Status: 200, Handle: a.snoozeIncident},
		{Method: "POST", Path: "/api/v1/incidents/{id}/merge", Summary: "Merge other incidents into this one", Tag: "incidents", Role: auth.Operator,
			Description: "In one transaction each source is resolved as merged into this incident (nobody is told it resolved), its events and notes are listed on this incident, " +
				"and later events with its dedup key come here while this incident is open; both timelines say so. " +
				"A source that is this incident, repeated, unknown, resolved or an Alertmanager group's is refused as `sources[n]` (400); " +
				"a resolved target or an Alertmanager group's answers 409. Nothing changes when anything is refused.",
			Query: []Param{id}, Request: MergeRequest{}, Response: incident.Incident{}, Status: 200, Handle: a.mergeIncidents},
		{Method: "POST", Path: "/api/v1/incidents/{id}/notes", Summary: "Add a note to an incident's timeline", Tag: "incidents", Role: auth.Operator,
			Query: []Param{id}, Request: Note{}, Response: incident.Incident{}, Status: 200, Handle: a.incidentNote},
	}
}

func writePD(w http.ResponseWriter, status int, ans PDAnswer) {
	if status != http.StatusAccepted || len(ans.Errors) > 0 {
		writeJSON(w, status, ans)
		return
	}
	// Every accepted event is answered, so its answer is written without
	// reflection: the same bytes as writeJSON's, a twentieth of the cost.
	b := make([]byte, 0, 96+len(ans.DedupKey))
	b = append(b, "{\n  \"status\": "...)
	b = appendJSONString(b, ans.Status)
	b = append(b, ",\n  \"message\": "...)
	b = appendJSONString(b, ans.Message)
	if ans.DedupKey != "" {
		b = append(b, ",\n  \"dedup_key\": "...)
		b = appendJSONString(b, ans.DedupKey)
	}
	b = append(b, "\n}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters included).
func appendJSONString(b []byte, s string) []byte {
	simple := true
	for i := 0; i < len(s) && simple; i++ {
		c := s[i]
		simple = c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	if !simple {
		q, _ := json.Marshal(s)
		return append(b, q...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func invalidPD(w http.ResponseWriter, msg string, errs ...string) error {
	writePD(w, http.StatusBadRequest, PDAnswer{Status: "invalid event", Message: msg, Errors: errs})
	return nil
}

// pdEvent takes an event in the PagerDuty Events v2 format and answers as
// that API does, so unmodified clients work.
func (a *API) pdEvent(w http.ResponseWriter, r *http.Request) error {
	m := a.deps.IngestMetrics
	var ev incident.PDEvent
	body, ok := readPD(w, r, &ev, m)
	if !ok {
		return nil
	}
	if errs := ev.Validate(); len(errs) > 0 {
		m.Refuse("unknown", incident.RefusedInvalid, 1)
		return invalidPD(w, "Event object is invalid", errs...)
	}
	in, ok := a.deps.Engine.ByKey(ev.RoutingKey)
	if !ok || in.Kind != incident.KindEvents {
		m.Refuse("unknown", incident.RefusedUnauthorized, 1)
		return invalidPD(w, "Event object is invalid", "'routing_key' does not belong to an events integration")
	}
	if !a.limits.allow(in, 1) {
		m.Refuse(in.Name, incident.RefusedRateLimited, 1)
		writePD(w, http.StatusTooManyRequests, PDAnswer{Status: "throttle event", Message: "Requests for this integration are arriving too quickly. Please retry later."})
		return nil
	}
	if ev.DedupKey == "" {
		ev.DedupKey = incident.NewDedupKey(body)
	}
	if a.deps.KnownService != nil && !a.deps.KnownService(in.Service) {
		m.Refuse(in.Name, incident.RefusedUnknown, 1)
		return invalidPD(w, "Event object is invalid", "the integration's service "+strconv.Quote(in.Service)+" no longer exists")
	}
	if _, err := a.deps.Ingest.Submit(r.Context(), []incident.Event{ev.ToEvent(in, body)}); err != nil {
		m.Refuse(in.Name, incident.RefusedFailed, 1)
		return err
	}
	m.Accept(in.Name, 1)
	writePD(w, http.StatusAccepted, PDAnswer{Status: "success", Message: "Event processed", DedupKey: ev.DedupKey})
	return nil
}

// alertmanager takes an Alertmanager webhook. The body is decoded as a
// stream and each alert stands on its own: one the sender got wrong is
// listed and skipped, one naming an unknown service goes to the
// integration's service or is kept unrouted, and the rest are taken. Only
// what Alertmanager would not retry differently is refused.
func (a *API) alertmanager(w http.ResponseWriter, r *http.Request) error {
	m := a.deps.IngestMetrics
	in, ok := a.deps.Engine.Integration(r.PathValue("integration"))
	if !ok || in.Kind != incident.KindAlertmanager {
		m.Refuse("unknown", incident.RefusedUnauthorized, 1)
		return newProblem(http.StatusNotFound, "no alertmanager integration "+strconv.Quote(r.PathValue("integration")))
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(in.Key.Reveal())) != 1 {
		m.Refuse(in.Name, incident.RefusedUnauthorized, 1)
		return newProblem(http.StatusUnauthorized, "send the integration's key as a bearer token (Alertmanager: http_config.authorization.credentials)")
	}
	// Alertmanager retries 5xx answers only: a request over the rate is
	// told to come back, never refused for good.
	if wait, ok := a.limits.allowRequest(in); !ok {
		m.Refuse(in.Name, incident.RefusedRateLimited, 1)
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		return newProblem(http.StatusServiceUnavailable, "webhooks for this integration are arriving too quickly; retry in "+strconv.Itoa(wait)+" s (Alertmanager retries)")
	}
	g, err := incident.DecodeAlertmanager(http.MaxBytesReader(w, r.Body, incident.MaxAlertmanagerBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		m.Refuse(in.Name, incident.RefusedTooLarge, 1)
		return newProblem(http.StatusRequestEntityTooLarge, "the body is larger than 32 MiB; set max_alerts on the Alertmanager receiver")
	}
	if err != nil {
		m.Refuse(in.Name, incident.RefusedInvalid, 1)
		return badRequest("", "the body is not an Alertmanager webhook: %v", err)
	}
	m.Refuse(in.Name, incident.RefusedInvalid, len(g.Invalid))
	m.Truncate(in.Name, g.TruncatedAlerts)
	g.Route(in, a.deps.KnownService)
	if in.PerAlertIncidents() {
		// One incident per alert, committed in bounded transactions as a
		// group's chunks are.
		events := g.Events(in)
		for len(events) > 0 {
			n := min(len(events), incident.DefaultChunk)
			if _, err := a.deps.Ingest.Submit(r.Context(), events[:n]); err != nil {
				m.Refuse(in.Name, incident.RefusedFailed, len(g.Alerts))
				return err
			}
			events = events[n:]
		}
		if n := g.Unrouted(); n > 0 {
			if _, err := a.deps.Ingest.SubmitGroup(r.Context(), unroutedOnly(g, in.Name)); err != nil {
				return err
			}
		}
	} else if _, err := a.deps.Ingest.SubmitGroup(r.Context(), g.Chunks(in.Name, 0)); err != nil {
		m.Refuse(in.Name, incident.RefusedFailed, len(g.Alerts))
		return err
	}
	m.Accept(in.Name, len(g.Alerts))
	writeJSON(w, http.StatusAccepted, AlertsAccepted{Accepted: len(g.Alerts), Unrouted: g.Unrouted(), Rejected: g.Invalid})
	return nil
}

// unroutedOnly is the part of a per-alert integration's webhook that has
// no service, kept as a group's unrouted alerts are.
func unroutedOnly(g *incident.AMGroup, integration string) []incident.GroupChunk {
	var out []incident.GroupChunk
	for _, c := range g.Chunks(integration, 0) {
		if c.Service == "" {
			out = append(out, c)
		}
	}
	return out
}

// AlertsAccepted answers an Alertmanager webhook.
type AlertsAccepted struct {
	// Accepted counts the alerts taken, Unrouted those of them kept
	// without a service (see GET /api/v1/integrations/{name}/unrouted).
	Accepted int `json:"accepted"`
	Unrouted int `json:"unrouted"`
	// Rejected names each alert that could not be taken, and why.
	Rejected []string `json:"rejected,omitempty"`
}

func (a *API) incidentAlerts(w http.ResponseWriter, r *http.Request) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.deps.Incidents.Alerts(r.Context(), id, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) unroutedAlerts(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if in, ok := a.deps.Engine.Integration(name); !ok || in.Kind != incident.KindAlertmanager {
		return newProblem(http.StatusNotFound, "no alertmanager integration "+strconv.Quote(name))
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.deps.Incidents.Unrouted(r.Context(), name, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) listIncidents(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	switch q.Get("status") {
	case "", incident.Triggered, incident.Acknowledged, incident.Resolved, "open":
	default:
		return badParam("status", "must be triggered, acknowledged, resolved or open, not %q", q.Get("status"))
	}
	assignee, err := assigneeName(r, q.Get("assignee"))
	if err != nil {
		return badParam("assignee", "%s", err.Error())
	}
	items, next, err := a.deps.Incidents.List(r.Context(), incident.Filter{Service: q.Get("service"), Status: q.Get("status"), DedupKey: q.Get("dedup_key"), Assignee: assignee}, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func incidentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, badParam("id", "must be a positive whole number, got %q", r.PathValue("id"))
	}
	return id, nil
}

func (a *API) getIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	i, log, err := a.deps.Incidents.Get(r.Context(), id)
	if err != nil {
		return err
	}
	d := IncidentDetail{Incident: i, Timeline: log, Deliveries: []any{}}
	counts, err := a.deps.Incidents.CountAlerts(r.Context(), id)
	if err != nil {
		return err
	}
	if counts.Firing+counts.Resolved > 0 {
		d.Alerts = &counts
	}
	if a.deps.Deliveries != nil {
		if d.Deliveries, err = a.deps.Deliveries(r.Context(), id); err != nil {
			return err
		}
	}
	if a.deps.Escalation != nil {
		if d.Escalation, err = a.deps.Escalation(r.Context(), id); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) incidentAction(action string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := incidentID(r)
		if err != nil {
			return err
		}
		var i incident.Incident
		if action == "acknowledge" {
			i, err = a.deps.Incidents.Acknowledge(r.Context(), id, actor(r))
		} else {
			i, err = a.deps.Incidents.Resolve(r.Context(), id, actor(r))
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, i)
		return nil
	}
}

func (a *API) incidentNote(w http.ResponseWriter, r *http.Request) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var n Note
	if err := decodeJSON(w, r, &n); err != nil {
		return err
	}
	i, err := a.deps.Incidents.Note(r.Context(), id, actor(r), n.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

// BulkRequest is the body of a bulk action: acknowledge or resolve, and
// the incidents' ids.
type BulkRequest struct {
	Action string  `json:"action"`
	IDs    []int64 `json:"ids"`
}

// BulkAnswer says how many incidents a bulk action changed, and what it did
// to each one.
type BulkAnswer struct {
	Changed int                   `json:"changed"`
	Results []incident.BulkResult `json:"results"`
}

func (a *API) bulkIncidents(w http.ResponseWriter, r *http.Request) error {
	var b BulkRequest
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	res, err := a.deps.Incidents.Bulk(r.Context(), b.Action, b.IDs, actor(r))
	if err != nil {
		return err
	}
	ans := BulkAnswer{Results: res}
	for _, x := range res {
		if x.Changed() {
			ans.Changed++
		}
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// Assignment is the body of an assignment: a person's or user's name, "me"
// for the caller, or empty to take the incident back.
type Assignment struct {
	Assignee string `json:"assignee"`
}

// errTokenIsNobody says that "me" means nobody when the caller is a token.
var errTokenIsNobody = errors.New(`"me" is the signed-in user, and an API token is nobody: name the person`)

// assigneeName reads an assignee as given, with "me" for the signed-in
// user.
func assigneeName(r *http.Request, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name != "me" {
		return name, nil
	}
	if p, ok := PrincipalFrom(r.Context()); ok && p.Kind == "user" {
		return p.Name, nil
	}
	return "", errTokenIsNobody
}

func (a *API) assignIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var b Assignment
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	name, err := assigneeName(r, b.Assignee)
	if err != nil {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "assignee", Msg: err.Error()}}}
	}
	i, err := a.deps.Incidents.Assign(r.Context(), id, name, actor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

// SeverityChange is the body of a severity change: critical, error,
// warning or info.
type SeverityChange struct {
	Severity string `json:"severity"`
}

func (a *API) changeSeverity(w http.ResponseWriter, r *http.Request) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var b SeverityChange
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	i, err := a.deps.Incidents.ChangeSeverity(r.Context(), id, b.Severity, actor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

// SnoozeRequest is the body of a snooze: its length in minutes.
type SnoozeRequest struct {
	Minutes int `json:"minutes"`
}

func (a *API) snoozeIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var b SnoozeRequest
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	i, err := a.deps.Incidents.Snooze(r.Context(), id, b.Minutes, actor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

// MergeRequest is the body of a merge: the incidents to fold into the one
// named in the path.
type MergeRequest struct {
	Sources []int64 `json:"sources"`
}

func (a *API) mergeIncidents(w http.ResponseWriter, r *http.Request) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var b MergeRequest
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	i, err := a.deps.Incidents.Merge(r.Context(), id, b.Sources, actor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}
