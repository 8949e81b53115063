package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
)

// ScheduleMaintenance is the body of POST /api/v1/maintenance: one window
// for one or more services.
type ScheduleMaintenance struct {
	Services []string                  `json:"services"`
	Window   catalog.MaintenanceWindow `json:"window"`
}

// MaintenanceAnswer lists the maintenance occurrences of a range.
type MaintenanceAnswer struct {
	From        time.Time            `json:"from"`
	To          time.Time            `json:"to"`
	Occurrences []catalog.Occurrence `json:"occurrences"`
}

// maintenanceSpan bounds how far a listing reaches, so that a daily
// window cannot be asked for across centuries.
const maintenanceSpan = 400 * duration.Day

func (a *API) maintenanceRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/maintenance", Summary: "List maintenance occurrences", Tag: "catalog", Role: auth.Viewer,
			Description: "Every service's maintenance windows expanded over the range (recurring ones in their zone, or the service's), leaving out what ended before now; an occurrence under way at from is listed whole.",
			Query: []Param{{Name: "from", In: "query", Description: "RFC 3339 (default: now)"},
				{Name: "to", In: "query", Description: "RFC 3339, exclusive (default: 30 days after from; at most 400 days after it)"}},
			Response: MaintenanceAnswer{}, Status: 200, Handle: a.listMaintenance},
		{Method: "POST", Path: "/api/v1/maintenance", Summary: "Schedule a maintenance window on services", Tag: "catalog", Role: auth.Operator,
			Description: "Adds the window to each service in one transaction, audited per service. Services declared in the config file are refused: their windows live in the file.",
			Request:     ScheduleMaintenance{}, Status: 204, Handle: a.scheduleMaintenance},
		{Method: "DELETE", Path: "/api/v1/services/{name}/maintenance/{window}", Summary: "Remove a maintenance window", Tag: "catalog", Role: auth.Operator,
			Query: []Param{{Name: "name", In: "path", Description: "the service's name"},
				{Name: "window", In: "path", Description: "the window's reference, as the listing gives it"}},
			Status: 204, Handle: a.removeMaintenance},
	}
}

func (a *API) listMaintenance(w http.ResponseWriter, r *http.Request) error {
	now := time.Now().UTC()
	from, to := now, time.Time{}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return badParam(p.name, "expected an RFC 3339 time, got %q", v)
			}
			*p.dst = t.UTC()
		}
	}
	if to.IsZero() {
		to = from.Add(30 * duration.Day)
	}
	switch {
	case !to.After(from):
		return badParam("to", "must be after from")
	case to.Sub(from) > maintenanceSpan:
		return badParam("to", "must be at most 400 days after from")
	}
	cat, err := a.deps.Catalog.Load(r.Context())
	if err != nil {
		return err
	}
	occ := cat.Occurrences(from, to, now)
	if occ == nil {
		occ = []catalog.Occurrence{}
	}
	writeJSON(w, http.StatusOK, MaintenanceAnswer{From: from, To: to, Occurrences: occ})
	return nil
}

func (a *API) scheduleMaintenance(w http.ResponseWriter, r *http.Request) error {
	var body ScheduleMaintenance
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if err := a.deps.Catalog.AddMaintenance(r.Context(), actor(r), body.Services, body.Window); err != nil {
		return windowPaths(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// windowPaths puts the window's problems ("rrule") under "window" in the
// body, where they are; the services' problems are already at their path.
func windowPaths(err error) error {
	var inv *apperr.Invalid
	if !errors.As(err, &inv) {
		return err
	}
	out := &apperr.Invalid{}
	for _, f := range inv.Fields {
		if f.Path != "services" && !strings.HasPrefix(f.Path, "services[") {
			f.Path = apperr.Join("window", f.Path)
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

func (a *API) removeMaintenance(w http.ResponseWriter, r *http.Request) error {
	if err := a.deps.Catalog.RemoveMaintenance(r.Context(), actor(r), r.PathValue("name"), r.PathValue("window")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
