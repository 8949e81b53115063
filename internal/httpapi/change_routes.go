package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/incident"
)

func (a *API) changeRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/v2/change/enqueue", Summary: "PagerDuty Change Events path: a deploy or other change on the integration's service, kept on its timeline (pages nobody)", Tag: "ingest",
			KeyAuth: true, Request: incident.PDChangeEvent{}, Response: PDAnswer{}, Status: 202, Handle: a.pdChange},
		{Method: "GET", Path: "/api/v1/services/{name}/changes", Summary: "List the changes reported on a service, newest first", Tag: "availability", Role: auth.Viewer,
			Query: append([]Param{{Name: "name", In: "path", Description: "the service's name"}}, pageParams...), Response: List[change.Event]{}, Status: 200, Handle: a.listChanges},
	}
}

// readPD reads a PagerDuty-format body into v, answering as PagerDuty does
// when it is too large or not JSON; ok is false when an answer was sent.
// Refusals are counted in m.
func readPD(w http.ResponseWriter, r *http.Request, v any, m *incident.Metrics) (body []byte, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, incident.MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		m.Refuse("unknown", incident.RefusedTooLarge, 1)
		writePD(w, http.StatusRequestEntityTooLarge, PDAnswer{Status: "invalid event", Message: "Request body is larger than 512 KB", Errors: []string{"the body exceeds 524288 bytes"}})
		return nil, false
	case err != nil:
		m.Refuse("unknown", incident.RefusedInvalid, 1)
		_ = invalidPD(w, "Event object is invalid", "could not read the body")
		return nil, false
	}
	if p := textProblems(body); p != nil {
		m.Refuse("unknown", incident.RefusedInvalid, 1)
		_ = invalidPD(w, "Event object is invalid", p.lines()...)
		return nil, false
	}
	if err := json.Unmarshal(body, v); err != nil {
		m.Refuse("unknown", incident.RefusedInvalid, 1)
		_ = invalidPD(w, "Event object is invalid", "the body is not a JSON object: "+err.Error())
		return nil, false
	}
	return body, true
}

// pdChange takes a PagerDuty change event and keeps it as a change on the
// routing key's service.
func (a *API) pdChange(w http.ResponseWriter, r *http.Request) error {
	m := a.deps.IngestMetrics
	var ev incident.PDChangeEvent
	if _, ok := readPD(w, r, &ev, m); !ok {
		return nil
	}
	now := time.Now()
	at, errs := ev.Validate(now)
	if len(errs) > 0 {
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
	if a.deps.Changes == nil || (a.deps.KnownService != nil && !a.deps.KnownService(in.Service)) {
		m.Refuse(in.Name, incident.RefusedUnknown, 1)
		return invalidPD(w, "Event object is invalid", "the integration's service "+strconv.Quote(in.Service)+" no longer exists")
	}
	var links json.RawMessage
	if len(ev.Links) > 0 {
		links, _ = json.Marshal(ev.Links)
	}
	var details json.RawMessage
	if len(ev.Payload.CustomDetails) > 0 && string(ev.Payload.CustomDetails) != "null" {
		details = ev.Payload.CustomDetails
	}
	if _, err := a.deps.Changes.Record(r.Context(), change.Event{Service: in.Service, Integration: in.Name, Summary: ev.Payload.Summary,
		Source: ev.Payload.Source, At: at, Details: details, Links: links, ReceivedAt: now}); err != nil {
		m.Refuse(in.Name, incident.RefusedFailed, 1)
		return err
	}
	m.Accept(in.Name, 1)
	writePD(w, http.StatusAccepted, PDAnswer{Status: "success", Message: "Change event processed"})
	return nil
}

func (a *API) listChanges(w http.ResponseWriter, r *http.Request) error {
	if a.deps.Changes == nil {
		return newProblem(http.StatusNotFound, "changes are not kept on this server")
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	if _, err := a.deps.Catalog.GetService(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	items, next, err := a.deps.Changes.Events(r.Context(), r.PathValue("name"), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}
