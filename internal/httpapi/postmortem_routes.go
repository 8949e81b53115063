package httpapi

import (
	"net/http"
	"strconv"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/postmortem"
)

// IncidentKnownError is the known error an incident matched when it was
// opened; KnownError is null when it matched none.
type IncidentKnownError struct {
	IncidentID int64                  `json:"incident_id"`
	KnownError *knownerror.KnownError `json:"known_error"`
}

func (a *API) postmortemRoutes() []Route {
	inc := Param{Name: "id", In: "path", Type: "integer", Description: "the incident's id"}
	pm := Param{Name: "id", In: "path", Type: "integer", Description: "the post-mortem's id"}
	item := Param{Name: "item", In: "path", Type: "integer", Description: "the action item's id"}
	ke := Param{Name: "id", In: "path", Type: "integer", Description: "the known error's id"}
	return []Route{
		{Method: "POST", Path: "/api/v1/incidents/{id}/postmortem", Summary: "Start the post-mortem of a resolved incident: impact measured, timeline copied", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{inc}, Response: postmortem.Postmortem{}, Status: 201, Handle: a.createPostmortem},
		{Method: "GET", Path: "/api/v1/incidents/{id}/postmortem", Summary: "Get the post-mortem of an incident", Tag: "postmortems",
			Role: auth.Viewer, Query: []Param{inc}, Response: postmortem.Postmortem{}, Status: 200, Handle: a.incidentPostmortem},
		{Method: "GET", Path: "/api/v1/incidents/{id}/known-error", Summary: "Get the known error (with its workaround) an incident matched", Tag: "known-errors",
			Role: auth.Viewer, Query: []Param{inc}, Response: IncidentKnownError{}, Status: 200, Handle: a.incidentKnownError},
		{Method: "GET", Path: "/api/v1/postmortems", Summary: "List post-mortems, newest first", Tag: "postmortems", Role: auth.Viewer,
			Query: append([]Param{
				{Name: "status", In: "query", Description: "draft, in_review or published"},
				{Name: "service", In: "query", Description: "only post-mortems of this service's incidents"},
			}, pageParams...), Response: List[postmortem.Listed]{}, Status: 200, Handle: a.listPostmortems},
		{Method: "GET", Path: "/api/v1/postmortems/{id}", Summary: "Get a post-mortem with its impact, timeline and action items", Tag: "postmortems",
			Role: auth.Viewer, Query: []Param{pm}, Response: postmortem.Postmortem{}, Status: 200, Handle: a.getPostmortem},
		{Method: "PUT", Path: "/api/v1/postmortems/{id}", Summary: "Edit a post-mortem's texts and status (draft → in_review → published; in_review → draft); fields left out stay", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{pm}, Request: postmortem.Edit{}, Response: postmortem.Postmortem{}, Status: 200, Handle: a.updatePostmortem},
		{Method: "POST", Path: "/api/v1/postmortems/{id}/refresh-impact", Summary: "Measure a draft post-mortem's impact again", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{pm}, Response: postmortem.Postmortem{}, Status: 200, Handle: a.refreshImpact},
		{Method: "GET", Path: "/api/v1/postmortems/{id}/markdown", Summary: "Export a post-mortem as a Markdown document (text/markdown)", Tag: "postmortems",
			Role: auth.Viewer, Query: []Param{pm}, Status: 200, Handle: a.postmortemMarkdown},
		{Method: "POST", Path: "/api/v1/postmortems/{id}/action-items", Summary: "Add an action item", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{pm}, Request: postmortem.ItemInput{}, Response: postmortem.Item{}, Status: 201, Handle: a.addActionItem},
		{Method: "PUT", Path: "/api/v1/postmortems/{id}/action-items/{item}", Summary: "Replace an action item", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{pm, item}, Request: postmortem.ItemInput{}, Response: postmortem.Item{}, Status: 200, Handle: a.updateActionItem},
		{Method: "DELETE", Path: "/api/v1/postmortems/{id}/action-items/{item}", Summary: "Delete an action item", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{pm, item}, Status: 204, Handle: a.deleteActionItem},
		{Method: "GET", Path: "/api/v1/known-errors", Summary: "List known errors, oldest first", Tag: "known-errors", Role: auth.Viewer,
			Query: pageParams, Response: List[knownerror.KnownError]{}, Status: 200, Handle: a.listKnownErrors},
		{Method: "POST", Path: "/api/v1/known-errors", Summary: "Record a known error: a signature (service, summary match, labels) and its workaround", Tag: "known-errors",
			Role: auth.Operator, Request: knownerror.Input{}, Response: knownerror.KnownError{}, Status: 201, Handle: a.createKnownError},
		{Method: "GET", Path: "/api/v1/known-errors/{id}", Summary: "Get a known error", Tag: "known-errors",
			Role: auth.Viewer, Query: []Param{ke}, Response: knownerror.KnownError{}, Status: 200, Handle: a.getKnownError},
		{Method: "PUT", Path: "/api/v1/known-errors/{id}", Summary: "Replace a known error", Tag: "known-errors",
			Role: auth.Operator, Query: []Param{ke}, Request: knownerror.Input{}, Response: knownerror.KnownError{}, Status: 200, Handle: a.updateKnownError},
		{Method: "DELETE", Path: "/api/v1/known-errors/{id}", Summary: "Delete a known error", Tag: "known-errors",
			Role: auth.Operator, Query: []Param{ke}, Status: 204, Handle: a.deleteKnownError},
	}
}

// pathID reads a positive integer path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		return 0, badParam(name, "must be a positive whole number, got %q", r.PathValue(name))
	}
	return id, nil
}

// postmortems returns the store, or a 404 on a server built without one.
func (a *API) postmortems() (*postmortem.Store, error) {
	if a.deps.Postmortems == nil {
		return nil, newProblem(http.StatusNotFound, "post-mortems are not available on this server")
	}
	return a.deps.Postmortems, nil
}

func (a *API) knownErrors() (*knownerror.Store, error) {
	if a.deps.KnownErrors == nil {
		return nil, newProblem(http.StatusNotFound, "known errors are not available on this server")
	}
	return a.deps.KnownErrors, nil
}

func (a *API) createPostmortem(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.postmortemTarget(r)
	if err != nil {
		return err
	}
	p, err := s.Create(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/postmortems/"+strconv.FormatInt(p.ID, 10))
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (a *API) incidentPostmortem(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.postmortemTarget(r)
	if err != nil {
		return err
	}
	p, err := s.ForIncident(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) incidentKnownError(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.knownErrorTarget(r)
	if err != nil {
		return err
	}
	k, err := s.ForIncident(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, IncidentKnownError{IncidentID: id, KnownError: k})
	return nil
}

func (a *API) listPostmortems(w http.ResponseWriter, r *http.Request) error {
	s, err := a.postmortems()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	switch st := q.Get("status"); st {
	case "", postmortem.Draft, postmortem.InReview, postmortem.Published:
	default:
		return badParam("status", "must be draft, in_review or published, not %q", st)
	}
	items, next, err := s.List(r.Context(), postmortem.Filter{Status: q.Get("status"), Service: q.Get("service")}, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) getPostmortem(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.postmortemTarget(r)
	if err != nil {
		return err
	}
	p, err := s.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) updatePostmortem(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.postmortemTarget(r)
	if err != nil {
		return err
	}
	var e postmortem.Edit
	if err := decodeJSON(w, r, &e); err != nil {
		return err
	}
	p, err := s.Update(r.Context(), actor(r), id, e)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) refreshImpact(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.postmortemTarget(r)
	if err != nil {
		return err
	}
	p, err := s.RefreshImpact(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) postmortemMarkdown(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.postmortemTarget(r)
	if err != nil {
		return err
	}
	p, err := s.Get(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="postmortem-`+strconv.FormatInt(p.ID, 10)+`.md"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(postmortem.Markdown(p, monitor.BaseURL(a.deps.PublicURL, r))))
	return nil
}

func (a *API) addActionItem(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.postmortemTarget(r)
	if err != nil {
		return err
	}
	var in postmortem.ItemInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.AddItem(r.Context(), actor(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, it)
	return nil
}

func (a *API) updateActionItem(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.postmortemTarget(r)
	if err != nil {
		return err
	}
	item, err := pathID(r, "item")
	if err != nil {
		return err
	}
	var in postmortem.ItemInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.UpdateItem(r.Context(), actor(r), id, item, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}

func (a *API) deleteActionItem(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.postmortemTarget(r)
	if err != nil {
		return err
	}
	item, err := pathID(r, "item")
	if err != nil {
		return err
	}
	if err := s.DeleteItem(r.Context(), actor(r), id, item); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listKnownErrors(w http.ResponseWriter, r *http.Request) error {
	s, err := a.knownErrors()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.List(r.Context(), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) createKnownError(w http.ResponseWriter, r *http.Request) error {
	s, err := a.knownErrors()
	if err != nil {
		return err
	}
	var in knownerror.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	k, err := s.Create(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/known-errors/"+strconv.FormatInt(k.ID, 10))
	writeJSON(w, http.StatusCreated, k)
	return nil
}

func (a *API) getKnownError(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.knownErrorTarget(r)
	if err != nil {
		return err
	}
	k, err := s.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

func (a *API) updateKnownError(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.knownErrorTarget(r)
	if err != nil {
		return err
	}
	var in knownerror.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	k, err := s.Update(r.Context(), actor(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

func (a *API) deleteKnownError(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.knownErrorTarget(r)
	if err != nil {
		return err
	}
	if err := s.Delete(r.Context(), actor(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postmortemTarget is the post-mortem store and the {id} a route names.
func (a *API) postmortemTarget(r *http.Request) (*postmortem.Store, int64, error) {
	s, err := a.postmortems()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r, "id")
	return s, id, err
}

// knownErrorTarget is the known-error store and the {id} a route names.
func (a *API) knownErrorTarget(r *http.Request) (*knownerror.Store, int64, error) {
	s, err := a.knownErrors()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r, "id")
	return s, id, err
}
