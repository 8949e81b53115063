package httpapi

import (
	"net/http"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
)

func (a *API) catalogRoutes() []Route {
	nameParam := []Param{{Name: "name", In: "path", Description: "the service's name"}}
	calParam := []Param{{Name: "name", In: "path", Description: "the calendar's name"}}
	return []Route{
		{Method: "GET", Path: "/api/v1/services", Summary: "List services", Tag: "catalog", Role: auth.Viewer, Query: pageParams,
			Response: List[catalog.StoredService]{}, Status: 200, Handle: a.listServices},
		{Method: "POST", Path: "/api/v1/services", Summary: "Create a service", Tag: "catalog", Role: auth.Operator,
			Request: catalog.Service{}, Response: catalog.StoredService{}, Status: 201, Handle: a.createService},
		{Method: "GET", Path: "/api/v1/services/{name}", Summary: "Get a service", Tag: "catalog", Role: auth.Viewer, Query: nameParam,
			Response: catalog.StoredService{}, Status: 200, Handle: a.getService},
		{Method: "PUT", Path: "/api/v1/services/{name}", Summary: "Replace a service", Tag: "catalog", Role: auth.Operator, Query: nameParam,
			Request: catalog.Service{}, Response: catalog.StoredService{}, Status: 200, Handle: a.replaceService},
		{Method: "DELETE", Path: "/api/v1/services/{name}", Summary: "Delete a service", Tag: "catalog", Role: auth.Operator, Query: nameParam,
			Status: 204, Handle: a.deleteService},
		{Method: "GET", Path: "/api/v1/calendars", Summary: "List calendars", Tag: "catalog", Role: auth.Viewer, Query: pageParams,
			Response: List[catalog.StoredCalendar]{}, Status: 200, Handle: a.listCalendars},
		{Method: "POST", Path: "/api/v1/calendars", Summary: "Create a calendar", Tag: "catalog", Role: auth.Operator,
			Request: catalog.Calendar{}, Response: catalog.StoredCalendar{}, Status: 201, Handle: a.createCalendar},
		{Method: "GET", Path: "/api/v1/calendars/{name}", Summary: "Get a calendar", Tag: "catalog", Role: auth.Viewer, Query: calParam,
			Response: catalog.StoredCalendar{}, Status: 200, Handle: a.getCalendar},
		{Method: "PUT", Path: "/api/v1/calendars/{name}", Summary: "Replace a calendar", Tag: "catalog", Role: auth.Operator, Query: calParam,
			Request: catalog.Calendar{}, Response: catalog.StoredCalendar{}, Status: 200, Handle: a.replaceCalendar},
		{Method: "DELETE", Path: "/api/v1/calendars/{name}", Summary: "Delete a calendar", Tag: "catalog", Role: auth.Operator, Query: calParam,
			Status: 204, Handle: a.deleteCalendar},
	}
}

func (a *API) listServices(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.deps.Catalog.ListServices(r.Context(), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) getService(w http.ResponseWriter, r *http.Request) error {
	s, err := a.deps.Catalog.GetService(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) createService(w http.ResponseWriter, r *http.Request) error {
	var s catalog.Service
	if err := decodeJSON(w, r, &s); err != nil {
		return err
	}
	out, err := a.deps.Catalog.PutService(r.Context(), actor(r), s, catalog.MustCreate)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/services/"+out.Name)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) replaceService(w http.ResponseWriter, r *http.Request) error {
	var s catalog.Service
	if err := decodeJSON(w, r, &s); err != nil {
		return err
	}
	name := r.PathValue("name")
	if s.Name == "" {
		s.Name = name
	}
	if s.Name != name {
		return badRequest("/name", "%q differs from the name in the URL (%q); renaming is not supported", s.Name, name)
	}
	out, err := a.deps.Catalog.PutService(r.Context(), actor(r), s, catalog.MustExist)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) deleteService(w http.ResponseWriter, r *http.Request) error {
	if err := a.deps.Catalog.DeleteService(r.Context(), actor(r), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listCalendars(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.deps.Catalog.ListCalendars(r.Context(), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) getCalendar(w http.ResponseWriter, r *http.Request) error {
	c, err := a.deps.Catalog.GetCalendar(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) createCalendar(w http.ResponseWriter, r *http.Request) error {
	var c catalog.Calendar
	if err := decodeJSON(w, r, &c); err != nil {
		return err
	}
	if c.Name == "" {
		return badRequest("/name", "is required")
	}
	out, err := a.deps.Catalog.PutCalendar(r.Context(), actor(r), c, catalog.MustCreate)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/calendars/"+out.Name)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) replaceCalendar(w http.ResponseWriter, r *http.Request) error {
	var c catalog.Calendar
	if err := decodeJSON(w, r, &c); err != nil {
		return err
	}
	name := r.PathValue("name")
	if c.Name == "" {
		c.Name = name
	}
	if c.Name != name {
		return badRequest("/name", "%q differs from the name in the URL (%q); renaming is not supported", c.Name, name)
	}
	out, err := a.deps.Catalog.PutCalendar(r.Context(), actor(r), c, catalog.MustExist)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) deleteCalendar(w http.ResponseWriter, r *http.Request) error {
	if err := a.deps.Catalog.DeleteCalendar(r.Context(), actor(r), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
