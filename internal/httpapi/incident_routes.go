package httpapi

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

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

func (a *API) incidentRoutes() []Route {
	id := Param{Name: "id", In: "path", Type: "integer", Description: "the incident's id"}
	return []Route{
		{Method: "POST", Path: "/api/v1/events", Summary: "Send an alert event (PagerDuty Events API v2 body; the routing key authenticates)", Tag: "ingest",
			KeyAuth: true, Request: incident.PDEvent{}, Response: PDAnswer{}, Status: 202, Handle: a.pdEvent},
		{Method: "POST", Path: "/v2/enqueue", Summary: "PagerDuty Events API v2 path: point a PagerDuty client's base URL at Sextant", Tag: "ingest",
			KeyAuth: true, Request: incident.PDEvent{}, Response: PDAnswer{}, Status: 202, Handle: a.pdEvent},
		{Method: "POST", Path: "/api/v1/integrations/alertmanager/{integration}", Summary: "Alertmanager webhook (payload version 4); send the integration's key as a bearer token", Tag: "ingest",
			KeyAuth: true, Query: []Param{{Name: "integration", In: "path", Description: "the integration's name"}}, Request: incident.AMWebhook{}, Response: Accepted{}, Status: 202, Handle: a.alertmanager},
		{Method: "GET", Path: "/api/v1/incidents", Summary: "List incidents, newest first", Tag: "incidents", Role: auth.Viewer,
			Query: append([]Param{
				{Name: "service", In: "query", Description: "only this service's incidents"},
				{Name: "status", In: "query", Description: "triggered, acknowledged, resolved, or open (not resolved)"},
				{Name: "dedup_key", In: "query", Description: "only incidents with this dedup key"},
			}, pageParams...), Response: List[incident.Incident]{}, Status: 200, Handle: a.listIncidents},
		{Method: "GET", Path: "/api/v1/incidents/{id}", Summary: "Get an incident with its timeline and notification deliveries", Tag: "incidents", Role: auth.Viewer,
			Query: []Param{id}, Response: IncidentDetail{}, Status: 200, Handle: a.getIncident},
		{Method: "POST", Path: "/api/v1/incidents/{id}/acknowledge", Summary: "Acknowledge an incident", Tag: "incidents", Role: auth.Operator,
			Query: []Param{id}, Response: incident.Incident{}, Status: 200, Handle: a.incidentAction("acknowledge")},
		{Method: "POST", Path: "/api/v1/incidents/{id}/resolve", Summary: "Resolve an incident", Tag: "incidents", Role: auth.Operator,
			Query: []Param{id}, Response: incident.Incident{}, Status: 200, Handle: a.incidentAction("resolve")},
		{Method: "POST", Path: "/api/v1/incidents/{id}/notes", Summary: "Add a note to an incident's timeline", Tag: "incidents", Role: auth.Operator,
			Query: []Param{id}, Request: Note{}, Response: incident.Incident{}, Status: 200, Handle: a.incidentNote},
	}
}

func writePD(w http.ResponseWriter, status int, ans PDAnswer) {
	writeJSON(w, status, ans)
}

func invalidPD(w http.ResponseWriter, msg string, errs ...string) error {
	writePD(w, http.StatusBadRequest, PDAnswer{Status: "invalid event", Message: msg, Errors: errs})
	return nil
}

// pdEvent takes an event in the PagerDuty Events v2 format and answers as
// that API does, so unmodified clients work.
func (a *API) pdEvent(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, incident.MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writePD(w, http.StatusRequestEntityTooLarge, PDAnswer{Status: "invalid event", Message: "Request body is larger than 512 KB", Errors: []string{"the body exceeds 524288 bytes"}})
		return nil
	}
	if err != nil {
		return invalidPD(w, "Event object is invalid", "could not read the body")
	}
	if p := textProblems(body); p != nil {
		return invalidPD(w, "Event object is invalid", p.lines()...)
	}
	var ev incident.PDEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return invalidPD(w, "Event object is invalid", "the body is not a JSON object: "+err.Error())
	}
	if errs := ev.Validate(); len(errs) > 0 {
		return invalidPD(w, "Event object is invalid", errs...)
	}
	in, ok := a.deps.Engine.ByKey(ev.RoutingKey)
	if !ok || in.Kind != incident.KindEvents {
		return invalidPD(w, "Event object is invalid", "'routing_key' does not belong to an events integration")
	}
	if !a.limits.allow(in, 1) {
		writePD(w, http.StatusTooManyRequests, PDAnswer{Status: "throttle event", Message: "Requests for this integration are arriving too quickly. Please retry later."})
		return nil
	}
	if ev.DedupKey == "" {
		ev.DedupKey = incident.NewDedupKey(body)
	}
	if a.deps.KnownService != nil && !a.deps.KnownService(in.Service) {
		return invalidPD(w, "Event object is invalid", "the integration's service "+strconv.Quote(in.Service)+" no longer exists")
	}
	if _, err := a.deps.Ingest.Submit(r.Context(), []incident.Event{ev.ToEvent(in, body)}); err != nil {
		return err
	}
	writePD(w, http.StatusAccepted, PDAnswer{Status: "success", Message: "Event processed", DedupKey: ev.DedupKey})
	return nil
}

func (a *API) alertmanager(w http.ResponseWriter, r *http.Request) error {
	in, ok := a.deps.Engine.Integration(r.PathValue("integration"))
	if !ok || in.Kind != incident.KindAlertmanager {
		return newProblem(http.StatusNotFound, "no alertmanager integration "+strconv.Quote(r.PathValue("integration")))
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(in.Key.Reveal())) != 1 {
		return newProblem(http.StatusUnauthorized, "send the integration's key as a bearer token (Alertmanager: http_config.authorization.credentials)")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4*incident.MaxBody))
	if err != nil {
		return err
	}
	if p := textProblems(body); p != nil {
		return p
	}
	var wh incident.AMWebhook
	if err := json.Unmarshal(body, &wh); err != nil {
		return badRequest("", "the body is not an Alertmanager webhook: %v", err)
	}
	events, errs := wh.ToEvents(in, body)
	for i := range events {
		if a.deps.KnownService != nil && !a.deps.KnownService(events[i].Service) {
			errs = append(errs, "unknown service "+strconv.Quote(events[i].Service)+" for alert "+events[i].DedupKey)
		}
	}
	if len(errs) > 0 {
		p := newProblem(http.StatusBadRequest, "the webhook has invalid alerts; none was taken")
		p.Type = TypeValidation
		for _, e := range errs {
			p.Errors = append(p.Errors, ProblemField{Detail: e})
		}
		return p
	}
	if !a.limits.allow(in, max(1, len(events))) {
		return newProblem(http.StatusTooManyRequests, "alerts for this integration are arriving too quickly; Alertmanager will retry")
	}
	if _, err := a.deps.Ingest.Submit(r.Context(), events); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, Accepted{Accepted: len(events)})
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
	items, next, err := a.deps.Incidents.List(r.Context(), incident.Filter{Service: q.Get("service"), Status: q.Get("status"), DedupKey: q.Get("dedup_key")}, pg)
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
