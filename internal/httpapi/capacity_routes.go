package httpapi

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/capacity"
)

func (a *API) capacityRoutes() []Route {
	person := Param{Name: "person", In: "path", Description: "the person's name (on-call directory or user)"}
	project := Param{Name: "name", In: "path", Description: "the project's name"}
	id := Param{Name: "id", In: "path", Type: "integer", Description: "the record's id"}
	from := Param{Name: "from", In: "query", Description: "first day, YYYY-MM-DD (default: this week's Monday)"}
	to := Param{Name: "to", In: "query", Description: "last day, YYYY-MM-DD (default: twelve weeks on)"}
	team := Param{Name: "team", In: "query", Description: "only this team's people"}
	return []Route{
		{Method: "GET", Path: "/api/v1/capacity", Summary: "Capacity, allocation and utilisation per person, team and skill for each ISO week, with warnings", Tag: "capacity",
			Description: "Capacity = working hours less public holidays and approved time off; allocated = confirmed project hours + on-call hours at the configured weight + hours from acknowledging to resolving incidents + desk duty. Tentative allocations are kept apart (scenario_* figures).",
			Role:        auth.Viewer, Query: []Param{from, to, team}, Response: capacity.Report{}, Status: 200, Handle: a.capacityReport},
		{Method: "GET", Path: "/api/v1/capacity/people", Summary: "Every person's capacity record (defaults for those without one)", Tag: "capacity",
			Role: auth.Viewer, Response: []capacity.Profile{}, Status: 200, Handle: a.listCapacityPeople},
		{Method: "GET", Path: "/api/v1/capacity/people/{person}", Summary: "A person's team, working week, holiday calendar, skills and desk duty", Tag: "capacity",
			Role: auth.Viewer, Query: []Param{person}, Response: capacity.Profile{}, Status: 200, Handle: a.getCapacityPerson},
		{Method: "PUT", Path: "/api/v1/capacity/people/{person}", Summary: "Set a person's capacity record (audited)", Tag: "capacity",
			Role: auth.Operator, Query: []Param{person}, Request: capacity.Profile{}, Response: capacity.Profile{}, Status: 200, Handle: a.putCapacityPerson},
		{Method: "GET", Path: "/api/v1/capacity/people/{person}/time-off", Summary: "A person's time off overlapping a range", Tag: "capacity",
			Role: auth.Viewer, Query: []Param{person, from, to}, Response: []capacity.TimeOffRecord{}, Status: 200, Handle: a.listTimeOff},
		{Method: "POST", Path: "/api/v1/capacity/people/{person}/time-off", Summary: "Record time off: whole days, or hours of each day (audited)", Tag: "capacity",
			Role: auth.Operator, Query: []Param{person}, Request: capacity.TimeOffInput{}, Response: capacity.TimeOffRecord{}, Status: 201, Handle: a.addTimeOff},
		{Method: "POST", Path: "/api/v1/time-off/{id}/approve", Summary: "Approve requested time off (audited)", Tag: "capacity",
			Role: auth.Operator, Query: []Param{id}, Status: 204, Handle: a.approveTimeOff},
		{Method: "DELETE", Path: "/api/v1/time-off/{id}", Summary: "Remove time off (audited)", Tag: "capacity",
			Role: auth.Operator, Query: []Param{id}, Status: 204, Handle: a.deleteTimeOff},
		{Method: "GET", Path: "/api/v1/projects", Summary: "Every project", Tag: "capacity",
			Role: auth.Viewer, Response: []capacity.Project{}, Status: 200, Handle: a.listProjects},
		{Method: "POST", Path: "/api/v1/projects", Summary: "Create a project (audited)", Tag: "capacity",
			Role: auth.Operator, Request: capacity.ProjectInput{}, Response: capacity.Project{}, Status: 201, Handle: a.createProject},
		{Method: "GET", Path: "/api/v1/projects/{name}", Summary: "A project with its allocations, planned against actual hours, budget used and forecast end", Tag: "capacity",
			Role: auth.Viewer, Query: []Param{project}, Response: capacity.ProjectFigures{}, Status: 200, Handle: a.getProject},
		{Method: "PUT", Path: "/api/v1/projects/{name}", Summary: "Replace a project (audited); its allocations must stay within its dates", Tag: "capacity",
			Role: auth.Operator, Query: []Param{project}, Request: capacity.ProjectInput{}, Response: capacity.Project{}, Status: 200, Handle: a.putProject},
		{Method: "DELETE", Path: "/api/v1/projects/{name}", Summary: "Remove a project with its allocations and time entries (audited)", Tag: "capacity",
			Role: auth.Operator, Query: []Param{project}, Status: 204, Handle: a.deleteProject},
		{Method: "POST", Path: "/api/v1/projects/{name}/time", Summary: "Log hours worked on a project (audited)", Tag: "capacity",
			Role: auth.Operator, Query: []Param{project}, Request: capacity.TimeEntryInput{}, Response: capacity.TimeEntry{}, Status: 201, Handle: a.logTime},
		{Method: "GET", Path: "/api/v1/allocations", Summary: "Allocations overlapping a range, by project or person", Tag: "capacity",
			Role: auth.Viewer, Query: []Param{{Name: "project", In: "query"}, {Name: "person", In: "query"}, from, to}, Response: []capacity.AllocationRecord{}, Status: 200, Handle: a.listAllocations},
		{Method: "POST", Path: "/api/v1/allocations", Summary: "Allocate a person to a project: hours per day or a share of capacity (audited)", Tag: "capacity",
			Role: auth.Operator, Request: capacity.AllocationInput{}, Response: capacity.AllocationRecord{}, Status: 201, Handle: a.addAllocation},
		{Method: "DELETE", Path: "/api/v1/allocations/{id}", Summary: "Remove an allocation (audited)", Tag: "capacity",
			Role: auth.Operator, Query: []Param{id}, Status: 204, Handle: a.deleteAllocation},
	}
}

func (a *API) capacity() (*capacity.Store, capacity.Sources, error) {
	if a.deps.Capacity == nil || a.deps.Capacity.Store == nil || a.deps.Capacity.Known == nil {
		return nil, capacity.Sources{}, newProblem(http.StatusNotFound, "capacity planning is not available on this server")
	}
	var src capacity.Sources
	if a.deps.Capacity.Sources != nil {
		src = a.deps.Capacity.Sources()
	}
	return a.deps.Capacity.Store, src, nil
}

// dayRange reads from and to, defaulting to this week and the eleven after.
func dayRange(r *http.Request, now time.Time) (capacity.Day, capacity.Day, error) {
	from := capacity.WeekOf(capacity.DayOf(now, time.UTC)).Monday
	to := from.AddDays(12*7 - 1)
	if v := r.URL.Query().Get("from"); v != "" {
		d, err := capacity.ParseDay(v)
		if err != nil {
			return from, to, badParam("from", "%s", err.Error())
		}
		from = d
		if r.URL.Query().Get("to") == "" {
			to = from.AddDays(12*7 - 1)
		}
	}
	if v := r.URL.Query().Get("to"); v != "" {
		d, err := capacity.ParseDay(v)
		if err != nil {
			return from, to, badParam("to", "%s", err.Error())
		}
		to = d
	}
	if to.Before(from) {
		return from, to, badParam("to", "must not be before from (%s)", from)
	}
	if len(capacity.Weeks(from, to)) > capacity.MaxWeeks {
		return from, to, badParam("to", "a report covers at most %d weeks", capacity.MaxWeeks)
	}
	return from, to, nil
}

func (a *API) capacityReport(w http.ResponseWriter, r *http.Request) error {
	return capacityRead(a, func(r *http.Request, s *capacity.Store, src capacity.Sources) (capacity.Report, error) {
		from, to, err := dayRange(r, s.Now())
		if err != nil {
			return capacity.Report{}, err
		}
		return s.Report(r.Context(), from, to, r.URL.Query().Get("team"), src)
	})(w, r)
}

func (a *API) listCapacityPeople(w http.ResponseWriter, r *http.Request) error {
	return capacityRead(a, func(r *http.Request, s *capacity.Store, src capacity.Sources) ([]capacity.Profile, error) {
		return CapacityPeople(r.Context(), s, src)
	})(w, r)
}

// CapacityPeople lists the stored records and, with the defaults, everyone
// else the sources name, by name.
func CapacityPeople(ctx context.Context, s *capacity.Store, src capacity.Sources) ([]capacity.Profile, error) {
	stored, err := s.Profiles(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := append([]capacity.Profile{}, stored...)
	for _, p := range stored {
		seen[p.Person] = true
	}
	if src.People != nil {
		for _, n := range src.People() {
			if !seen[n] {
				seen[n] = true
				out = append(out, capacity.DefaultProfile(n))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Person < out[j].Person })
	return out, nil
}

func (a *API) getCapacityPerson(w http.ResponseWriter, r *http.Request) error {
	s, _, err := a.capacity()
	if err != nil {
		return err
	}
	name := r.PathValue("person")
	if k := a.deps.Capacity.Known(r.Context()); k.Person != nil && !k.Person(name) {
		return newProblem(http.StatusNotFound, "there is no person "+name)
	}
	p, err := s.Profile(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) putCapacityPerson(w http.ResponseWriter, r *http.Request) error {
	s, _, err := a.capacity()
	if err != nil {
		return err
	}
	var in capacity.Profile
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	name := r.PathValue("person")
	if in.Person != "" && in.Person != name {
		return badRequest("/person", "names another person than the path")
	}
	in.Person = name
	p, err := s.PutProfile(r.Context(), actor(r), in, a.deps.Capacity.Known(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) listTimeOff(w http.ResponseWriter, r *http.Request) error {
	return capacityRead(a, func(r *http.Request, s *capacity.Store, _ capacity.Sources) ([]capacity.TimeOffRecord, error) {
		from, to, err := dayRange(r, s.Now())
		if err != nil {
			return nil, err
		}
		out, err := s.TimeOff(r.Context(), r.PathValue("person"), from, to)
		return nonNil(out), err
	})(w, r)
}

func (a *API) addTimeOff(w http.ResponseWriter, r *http.Request) error {
	return capacityWrite(a, http.StatusCreated, func(r *http.Request, s *capacity.Store, k capacity.Known, in capacity.TimeOffInput) (capacity.TimeOffRecord, error) {
		return s.AddTimeOff(r.Context(), actor(r), r.PathValue("person"), in, k)
	})(w, r)
}

// capacityByID runs fn on the store with the path's id and answers 204.
func (a *API) capacityByID(fn func(s *capacity.Store, r *http.Request, id int64) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		s, _, err := a.capacity()
		if err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := fn(s, r, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (a *API) approveTimeOff(w http.ResponseWriter, r *http.Request) error {
	return a.capacityByID(func(s *capacity.Store, r *http.Request, id int64) error {
		return s.ApproveTimeOff(r.Context(), actor(r), id)
	})(w, r)
}

func (a *API) deleteTimeOff(w http.ResponseWriter, r *http.Request) error {
	return a.capacityByID(func(s *capacity.Store, r *http.Request, id int64) error {
		return s.DeleteTimeOff(r.Context(), actor(r), id)
	})(w, r)
}

func (a *API) deleteAllocation(w http.ResponseWriter, r *http.Request) error {
	return a.capacityByID(func(s *capacity.Store, r *http.Request, id int64) error {
		return s.DeleteAllocation(r.Context(), actor(r), id)
	})(w, r)
}

func (a *API) listProjects(w http.ResponseWriter, r *http.Request) error {
	return capacityRead(a, func(r *http.Request, s *capacity.Store, _ capacity.Sources) ([]capacity.Project, error) {
		ps, err := s.Projects(r.Context())
		return nonNil(ps), err
	})(w, r)
}

func (a *API) createProject(w http.ResponseWriter, r *http.Request) error {
	s, _, err := a.capacity()
	if err != nil {
		return err
	}
	var in capacity.ProjectInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Name != "" {
		if _, err := s.Project(r.Context(), in.Name); err == nil {
			return newProblem(http.StatusConflict, "a project named "+in.Name+" exists: PUT /api/v1/projects/"+in.Name+" replaces it")
		}
	}
	p, _, err := s.PutProject(r.Context(), actor(r), in, a.deps.Capacity.Known(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (a *API) putProject(w http.ResponseWriter, r *http.Request) error {
	s, _, err := a.capacity()
	if err != nil {
		return err
	}
	var in capacity.ProjectInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Name != "" && in.Name != r.PathValue("name") {
		return badRequest("/name", "names another project than the path")
	}
	in.Name = r.PathValue("name")
	p, created, err := s.PutProject(r.Context(), actor(r), in, a.deps.Capacity.Known(r.Context()))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, p)
	return nil
}

func (a *API) getProject(w http.ResponseWriter, r *http.Request) error {
	return capacityRead(a, func(r *http.Request, s *capacity.Store, src capacity.Sources) (capacity.ProjectFigures, error) {
		return s.ProjectReport(r.Context(), r.PathValue("name"), src)
	})(w, r)
}

func (a *API) deleteProject(w http.ResponseWriter, r *http.Request) error {
	s, _, err := a.capacity()
	if err != nil {
		return err
	}
	if err := s.DeleteProject(r.Context(), actor(r), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) logTime(w http.ResponseWriter, r *http.Request) error {
	return capacityWrite(a, http.StatusCreated, func(r *http.Request, s *capacity.Store, k capacity.Known, in capacity.TimeEntryInput) (capacity.TimeEntry, error) {
		return s.LogTime(r.Context(), actor(r), r.PathValue("name"), in, k)
	})(w, r)
}

func (a *API) listAllocations(w http.ResponseWriter, r *http.Request) error {
	return capacityRead(a, func(r *http.Request, s *capacity.Store, _ capacity.Sources) ([]capacity.AllocationRecord, error) {
		f := capacity.AllocationFilter{Project: r.URL.Query().Get("project"), Person: r.URL.Query().Get("person")}
		if r.URL.Query().Get("from") != "" || r.URL.Query().Get("to") != "" {
			var err error
			if f.From, f.To, err = dayRange(r, s.Now()); err != nil {
				return nil, err
			}
		}
		out, _, err := s.Allocations(r.Context(), f)
		return nonNil(out), err
	})(w, r)
}

func (a *API) addAllocation(w http.ResponseWriter, r *http.Request) error {
	return capacityWrite(a, http.StatusCreated, func(r *http.Request, s *capacity.Store, k capacity.Known, in capacity.AllocationInput) (capacity.AllocationRecord, error) {
		return s.AddAllocation(r.Context(), actor(r), in, k)
	})(w, r)
}

// capacityTarget is what every capacity handler works with: the store and
// the sources of interrupt work (on-call, incidents, holidays).
type capacityTarget struct {
	store *capacity.Store
	src   capacity.Sources
}

func (a *API) capacityTarget(*http.Request) (capacityTarget, error) {
	s, src, err := a.capacity()
	return capacityTarget{store: s, src: src}, err
}

// capacityWrite is the shape every capacity write shares: decode the body
// (every mistake named), let fn store it with the store and its checks, and
// answer with what fn returns and status.
func capacityWrite[In, Out any](a *API, status int, fn func(r *http.Request, s *capacity.Store, k capacity.Known, in In) (Out, error)) handlerFunc {
	return writeStep(a.capacityTarget, status, nil, func(r *http.Request, t capacityTarget, in In) (Out, error) {
		return fn(r, t.store, a.deps.Capacity.Known(r.Context()), in)
	})
}

// capacityRead answers with what fn reads.
func capacityRead[Out any](a *API, fn func(r *http.Request, s *capacity.Store, src capacity.Sources) (Out, error)) handlerFunc {
	return readStep(a.capacityTarget, func(r *http.Request, t capacityTarget) (Out, error) {
		return fn(r, t.store, t.src)
	})
}
