package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/change"
)

func (a *API) changeRequestRoutes() []Route {
	id := Param{Name: "id", In: "path", Type: "integer", Description: "the change's id"}
	return []Route{
		{Method: "GET", Path: "/api/v1/changes", Summary: "List change requests, newest first", Tag: "change", Role: auth.Viewer,
			Query: append([]Param{{Name: "state", In: "query", Description: "only changes in this state"}, {Name: "type", In: "query", Description: "standard, normal or emergency"},
				{Name: "service", In: "query", Description: "only changes affecting this service"}}, pageParams...),
			Response: List[change.Request]{}, Status: 200, Handle: a.listChangeRequests},
		{Method: "POST", Path: "/api/v1/changes", Summary: "Create a change request (a draft, or submitted at once with submit: true)", Tag: "change", Role: auth.Operator,
			Description: "A standard change names a template from the config file and is approved by it; a normal change is risk-assessed and waits for its approver groups; an emergency change may start at once and is approved after. Submitting a normal change inside a freeze period or on a service whose error budget is spent is refused (409) with the reasons, unless an admin gives an override with a reason (audited). `at` (admins only) dates an imported change.",
			Request:     change.Input{}, Response: change.Request{}, Status: 201, Handle: a.createChangeRequest},
		{Method: "GET", Path: "/api/v1/changes/awaiting", Summary: "The changes awaiting the caller's approval", Tag: "change", Role: auth.Viewer,
			Response: []change.Request{}, Status: 200, Handle: a.awaitingChanges},
		{Method: "GET", Path: "/api/v1/changes/{id}", Summary: "A change request with its risk, approvals, history, linked incidents and overlap flags", Tag: "change", Role: auth.Viewer,
			Query: []Param{id}, Response: change.Request{}, Status: 200, Handle: a.getChangeRequest},
		{Method: "POST", Path: "/api/v1/changes/{id}/status", Summary: "Move a change: submitted, scheduled, in_progress, completed (with outcome) or closed", Tag: "change", Role: auth.Operator,
			Description: "Every step is checked against the state machine and recorded with its actor and time. `override` (admins only, on submission) passes a freeze or a spent error budget; `at` (admins only) dates an imported step, never in the future nor before the change's last step.",
			Query:       []Param{id}, Request: change.StatusInput{}, Response: change.Request{}, Status: 200, Handle: a.moveChangeRequest},
		{Method: "POST", Path: "/api/v1/changes/{id}/approvals", Summary: "Approve or reject a change as one of its approvers", Tag: "change", Role: auth.Viewer,
			Description: "The caller must belong to one of the change's approver groups (a role, named people, a quorum). When every group has its quorum a normal change is approved and scheduled; one rejection rejects it.",
			Query:       []Param{id}, Request: change.Decision{}, Response: change.Request{}, Status: 200, Handle: a.decideChange},
		{Method: "POST", Path: "/api/v1/changes/{id}/incidents", Summary: "Link an incident to a change: the change counts as failed", Tag: "change", Role: auth.Operator,
			Query: []Param{id}, Request: change.LinkInput{}, Response: change.Request{}, Status: 200, Handle: a.linkChangeIncident},
		{Method: "GET", Path: "/api/v1/changes/calendar.ics", Summary: "The change calendar as an iCalendar feed (90 days back, 180 ahead)", Tag: "change", Role: auth.Viewer,
			Status: 200, Handle: a.changeCalendarFeed},
		{Method: "GET", Path: "/api/v1/change-freezes", Summary: "Freeze periods: the config file's and those made through the API", Tag: "change", Role: auth.Viewer,
			Response: []change.Freeze{}, Status: 200, Handle: a.listFreezes},
		{Method: "POST", Path: "/api/v1/change-freezes", Summary: "Declare a freeze period in which normal changes are refused (audited)", Tag: "change", Role: auth.Admin,
			Request: change.FreezeInput{}, Response: change.Freeze{}, Status: 201, Handle: a.addFreeze},
		{Method: "DELETE", Path: "/api/v1/change-freezes/{id}", Summary: "Remove a freeze period made through the API (audited)", Tag: "change", Role: auth.Admin,
			Query: []Param{{Name: "id", In: "path", Type: "integer", Description: "the freeze period's id"}}, Status: 204, Handle: a.deleteFreeze},
		{Method: "GET", Path: "/api/v1/reports/change-failure-rate", Summary: "Change-failure rate: failed ÷ completed changes ended in a range, each failure with its reason", Tag: "change", Role: auth.Viewer,
			Description: "A change fails when it ended failed or rolled back, when a person linked an incident to it, or when an incident opened on one of its services or items within the failure window (config change.failure_window, default 24h) after it ended. The rate lies in [0, 1].",
			Query: []Param{{Name: "from", In: "query", Description: "RFC 3339 (default: 30 days before to)"}, {Name: "to", In: "query", Description: "RFC 3339, exclusive (default: now)"},
				{Name: "service", In: "query", Description: "only changes affecting this service"}},
			Response: change.FailureReport{}, Status: 200, Handle: a.changeFailureRate},
	}
}

func (a *API) changeStore() (*change.Store, error) {
	if a.deps.Changes == nil || a.deps.Changes.Rules == nil {
		return nil, newProblem(http.StatusNotFound, "change management is not available on this server")
	}
	return a.deps.Changes, nil
}

// changeActor is the caller as change management sees it.
func changeActor(r *http.Request) change.Actor {
	p, _ := PrincipalFrom(r.Context())
	return change.Actor{Name: p.Name, Role: p.Role, Audit: actor(r)}
}

func (a *API) listChangeRequests(w http.ResponseWriter, r *http.Request) error {
	s, err := a.changeStore()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := change.Filter{State: change.State(q.Get("state")), Type: change.Type(q.Get("type")), Service: q.Get("service")}
	if f.State != "" && !slices.Contains(change.States, f.State) {
		return badParam("state", "unknown state %q", f.State)
	}
	if f.Type != "" && !slices.Contains(change.Types, f.Type) {
		return badParam("type", "must be standard, normal or emergency, not %q", f.Type)
	}
	items, next, err := s.Query(r.Context(), f, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) createChangeRequest(w http.ResponseWriter, r *http.Request) error {
	return writeStep(whole(a.changeStore), http.StatusCreated, func(c change.Request) string { return "/api/v1/changes/" + strconv.FormatInt(c.ID, 10) },
		func(r *http.Request, s *change.Store, in change.Input) (change.Request, error) {
			if err := adminOnly(r, "at", in.At != nil); err != nil {
				return change.Request{}, err
			}
			return s.Create(r.Context(), changeActor(r), in)
		})(w, r)
}

// changeByID runs fn on the store and the path's id and answers with the
// change it returns.
func (a *API) changeByID(fn func(r *http.Request, s *change.Store, id int64) (change.Request, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		s, err := a.changeStore()
		if err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		c, err := fn(r, s, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

// changeWrite decodes the body, then runs fn as changeByID does.
func changeWrite[In any](a *API, fn func(r *http.Request, s *change.Store, id int64, in In) (change.Request, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if _, err := a.changeStore(); err == nil {
			if err := decodeJSON(w, r, &in); err != nil {
				return err
			}
		}
		return a.changeByID(func(r *http.Request, s *change.Store, id int64) (change.Request, error) { return fn(r, s, id, in) })(w, r)
	}
}

func (a *API) getChangeRequest(w http.ResponseWriter, r *http.Request) error {
	return a.changeByID(func(r *http.Request, s *change.Store, id int64) (change.Request, error) {
		return s.Get(r.Context(), id)
	})(w, r)
}

func (a *API) moveChangeRequest(w http.ResponseWriter, r *http.Request) error {
	return changeWrite(a, func(r *http.Request, s *change.Store, id int64, in change.StatusInput) (change.Request, error) {
		if err := adminOnly(r, "at", in.At != nil); err != nil {
			return change.Request{}, err
		}
		return s.Transition(r.Context(), changeActor(r), id, in)
	})(w, r)
}

func (a *API) decideChange(w http.ResponseWriter, r *http.Request) error {
	return changeWrite(a, func(r *http.Request, s *change.Store, id int64, in change.Decision) (change.Request, error) {
		if err := adminOnly(r, "at", in.At != nil); err != nil {
			return change.Request{}, err
		}
		return s.Decide(r.Context(), changeActor(r), id, in, change.ViaAPI)
	})(w, r)
}

func (a *API) linkChangeIncident(w http.ResponseWriter, r *http.Request) error {
	return changeWrite(a, func(r *http.Request, s *change.Store, id int64, in change.LinkInput) (change.Request, error) {
		return s.LinkIncident(r.Context(), changeActor(r), id, in)
	})(w, r)
}

func (a *API) awaitingChanges(w http.ResponseWriter, r *http.Request) error {
	s, err := a.changeStore()
	if err != nil {
		return err
	}
	out, err := s.Awaiting(r.Context(), changeActor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) listFreezes(w http.ResponseWriter, r *http.Request) error {
	s, err := a.changeStore()
	if err != nil {
		return err
	}
	out, err := s.Freezes(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) addFreeze(w http.ResponseWriter, r *http.Request) error {
	s, err := a.changeStore()
	if err != nil {
		return err
	}
	var in change.FreezeInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.AddFreeze(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

func (a *API) deleteFreeze(w http.ResponseWriter, r *http.Request) error {
	s, err := a.changeStore()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.DeleteFreeze(r.Context(), actor(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) changeFailureRate(w http.ResponseWriter, r *http.Request) error {
	s, err := a.changeStore()
	if err != nil {
		return err
	}
	from, to, err := timeRangeAt(r, changeNow(s), 30*24*time.Hour)
	if err != nil {
		return err
	}
	from, to = from.UTC(), to.UTC()
	svc := r.URL.Query().Get("service")
	if svc != "" {
		if _, err := a.deps.Catalog.GetService(r.Context(), svc); err != nil {
			return badParam("service", "unknown service %q", svc)
		}
	}
	rep, err := s.FailureRate(r.Context(), from, to, svc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (a *API) changeCalendarFeed(w http.ResponseWriter, r *http.Request) error {
	s, err := a.changeStore()
	if err != nil {
		return err
	}
	now := changeNow(s)
	cs, err := s.List(r.Context(), now.Add(-90*24*time.Hour), now.Add(180*24*time.Hour))
	if err != nil {
		return err
	}
	base := a.deps.PublicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="changes.ics"`)
	_, err = w.Write([]byte(change.Calendar(cs, base, now)))
	return err
}

// changeNow is the change store's clock.
func changeNow(s *change.Store) time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// TimelineChange is a change as a service's timeline shows it: over its
// actual window once it ran, its planned one before.
type TimelineChange struct {
	ID      int64          `json:"id"`
	Title   string         `json:"title"`
	Type    change.Type    `json:"type"`
	State   change.State   `json:"state"`
	Outcome change.Outcome `json:"outcome,omitempty"`
	Outage  bool           `json:"outage_expected"`
	Start   time.Time      `json:"start"`
	End     time.Time      `json:"end"`
}

// timelineChanges lists the changes on service over [from, to).
func (a *API) timelineChanges(r *http.Request, service string, from, to time.Time) ([]TimelineChange, error) {
	out := []TimelineChange{}
	if a.deps.Changes == nil || a.deps.Changes.Rules == nil {
		return out, nil
	}
	cs, err := a.deps.Changes.List(r.Context(), from, to)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if !slices.Contains(c.Services, service) || c.State == change.Rejected {
			continue
		}
		start, end := change.Span(c)
		out = append(out, TimelineChange{ID: c.ID, Title: c.Title, Type: c.Type, State: c.State, Outcome: c.Outcome, Outage: c.Outage, Start: start, End: end})
	}
	return out, nil
}
