package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/override"
)

// OverridesAnswer lists a schedule's overrides: those the config file
// declares (read-only here) and those made in the UI and the API, which
// are laid after the file's, so that on overlap the newest wins.
type OverridesAnswer struct {
	Schedule  string              `json:"schedule"`
	File      []oncall.Override   `json:"file"`
	Overrides []override.Override `json:"overrides"`
}

func (a *API) overrideRoutes() []Route {
	name := Param{Name: "name", In: "path", Description: "the schedule's name"}
	id := Param{Name: "id", In: "path", Type: "integer", Description: "the override's id"}
	return []Route{
		{Method: "GET", Path: "/api/v1/schedules/{name}/overrides", Summary: "A schedule's overrides that have not ended: the file's and those made in the UI and API", Tag: "on-call",
			Role: auth.Viewer, Query: []Param{name}, Response: OverridesAnswer{}, Status: 200, Handle: a.listOverrides},
		{Method: "POST", Path: "/api/v1/schedules/{name}/overrides", Summary: "Put a person on call for a span, above every layer (audited)", Tag: "on-call",
			Description: "The person must be known, the end after the start and after now, the span at most 31 days and ending within a year.",
			Role:        auth.Operator, Query: []Param{name}, Request: override.Input{}, Response: override.Override{}, Status: 201, Handle: a.createOverride},
		{Method: "DELETE", Path: "/api/v1/schedules/{name}/overrides/{id}", Summary: "Remove an override made in the UI or API (audited)", Tag: "on-call",
			Role: auth.Operator, Query: []Param{name, id}, Status: 204, Handle: a.deleteOverride},
	}
}

func (a *API) listOverrides(w http.ResponseWriter, r *http.Request) error {
	_, s, err := a.schedule(r.PathValue("name"))
	if err != nil {
		return err
	}
	now := a.deps.Overrides.Now().UTC()
	stored, err := a.deps.Overrides.List(r.Context(), s.Name, now)
	if err != nil {
		return err
	}
	out := OverridesAnswer{Schedule: s.Name, File: []oncall.Override{}, Overrides: []override.Override{}}
	for _, o := range s.Overrides {
		if end, err := time.Parse(time.RFC3339, o.End); err == nil && end.After(now) {
			out.File = append(out.File, o)
		}
	}
	out.Overrides = append(out.Overrides, stored...)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createOverride(w http.ResponseWriter, r *http.Request) error {
	_, s, err := a.schedule(r.PathValue("name"))
	if err != nil {
		return err
	}
	var in override.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	o, err := a.deps.Overrides.Create(r.Context(), actor(r), s.Name, in, a.knownPerson)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (a *API) knownPerson(name string) bool {
	_, ok := a.deps.OnCall.Person(name)
	return ok
}

func (a *API) deleteOverride(w http.ResponseWriter, r *http.Request) error {
	_, s, err := a.schedule(r.PathValue("name"))
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return badParam("id", "expected a positive whole number, got %q", r.PathValue("id"))
	}
	if err := a.deps.Overrides.Delete(r.Context(), actor(r), s.Name, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
