package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TimelineAnswer is a service's state timeline over a range, each interval
// with the input that caused it.
type TimelineAnswer struct {
	Service  string                 `json:"service"`
	From     time.Time              `json:"from"`
	To       time.Time              `json:"to"`
	Segments []availability.Segment `json:"segments"`
	// Changes are the change requests on the service whose window
	// overlaps the range, in the order they were planned.
	Changes []TimelineChange `json:"changes"`
}

func (a *API) availabilityRoutes() []Route {
	svc := Param{Name: "name", In: "path", Description: "the service's name"}
	rangeParams := []Param{svc,
		{Name: "from", In: "query", Description: "start of the range, RFC 3339 (with to)"},
		{Name: "to", In: "query", Description: "end of the range, RFC 3339, exclusive (with from)"},
		{Name: "period", In: "query", Description: "current (default) or previous objective period, when from and to are not given"},
	}
	return []Route{
		{Method: "GET", Path: "/api/v1/services/{name}/outages", Summary: "List outages recorded by hand", Tag: "availability", Role: auth.Viewer,
			Query: append([]Param{svc}, pageParams...), Response: List[timeline.Outage]{}, Status: 200, Handle: a.listOutages},
		{Method: "POST", Path: "/api/v1/services/{name}/outages", Summary: "Record an outage seen outside Sextant, or history", Tag: "availability", Role: auth.Operator,
			Query: []Param{svc}, Request: timeline.NewOutage{}, Response: timeline.Outage{}, Status: 201, Handle: a.recordOutage},
		{Method: "DELETE", Path: "/api/v1/services/{name}/outages/{id}", Summary: "Remove a recorded outage", Tag: "availability", Role: auth.Operator,
			Query: []Param{svc, {Name: "id", In: "path", Type: "integer", Description: "the outage's id"}}, Status: 204, Handle: a.deleteOutage},
		{Method: "GET", Path: "/api/v1/services/{name}/report", Summary: "Availability report against the service's objective", Tag: "availability", Role: auth.Viewer,
			Query: rangeParams, Response: timeline.ServiceReport{}, Status: 200, Handle: a.report},
		{Method: "GET", Path: "/api/v1/services/{name}/timeline", Summary: "State timeline with the input behind each interval", Tag: "availability", Role: auth.Viewer,
			Query: rangeParams, Response: TimelineAnswer{}, Status: 200, Handle: a.timeline},
	}
}

func (a *API) listOutages(w http.ResponseWriter, r *http.Request) error {
	items, err := a.deps.Outages.List(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writePaged(w, r, items, func(o timeline.Outage) string { return strconv.FormatInt(o.ID, 10) })
}

func (a *API) recordOutage(w http.ResponseWriter, r *http.Request) error {
	var n timeline.NewOutage
	if err := decodeJSON(w, r, &n); err != nil {
		return err
	}
	o, err := a.deps.Outages.Record(r.Context(), actor(r), r.PathValue("name"), n)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/services/"+o.Service+"/outages/"+strconv.FormatInt(o.ID, 10))
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (a *API) deleteOutage(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return badParam("id", "must be a whole number, got %q", r.PathValue("id"))
	}
	if err := a.deps.Outages.Delete(r.Context(), actor(r), r.PathValue("name"), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// reportRange reads from, to and period.
func reportRange(r *http.Request) (timeline.Range, error) {
	q := r.URL.Query()
	rg := timeline.Range{Period: q.Get("period")}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &rg.From}, {"to", &rg.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return rg, badParam(p.name, "expected an RFC 3339 time such as 2026-11-01T00:00:00Z, got %q", v)
			}
			*p.dst = t
		}
	}
	switch {
	case rg.Period != "" && (!rg.From.IsZero() || !rg.To.IsZero()):
		return rg, badParam("period", "give either period or from and to, not both")
	case rg.From.IsZero() != rg.To.IsZero():
		return rg, badParam("to", "give both from and to, or neither")
	case !rg.From.IsZero() && !rg.To.After(rg.From):
		return rg, badParam("to", "must be after from")
	case rg.Period != "" && rg.Period != "current" && rg.Period != "previous":
		return rg, badParam("period", "must be current or previous, not %q", rg.Period)
	}
	return rg, nil
}

func (a *API) report(w http.ResponseWriter, r *http.Request) error {
	rg, err := reportRange(r)
	if err != nil {
		return err
	}
	rep, err := a.deps.Reporter.Report(r.Context(), r.PathValue("name"), rg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (a *API) timeline(w http.ResponseWriter, r *http.Request) error {
	rg, err := reportRange(r)
	if err != nil {
		return err
	}
	snap, err := a.deps.Reporter.Snapshot(r.Context())
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if _, ok := snap.Services[name]; !ok {
		_, err := a.deps.Catalog.GetService(r.Context(), name)
		return err
	}
	from, to, err := snap.Bounds(name, rg)
	if err != nil {
		return err
	}
	segs := snap.Timeline(name).Clip(from, to)
	if segs == nil {
		segs = availability.Timeline{}
	}
	changes, err := a.timelineChanges(r, name, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, TimelineAnswer{Service: name, From: from, To: to, Segments: segs, Changes: changes})
	return nil
}
