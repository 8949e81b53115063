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
			Role: auth.Operator, Query: []Param{inc}, Response: postmortem.Postmortem{}, Status: 201, Handle: actStep(a.postmortemTarget, http.StatusCreated, postmortemLocation, func(r *http.Request, t pmTarget) (postmortem.Postmortem, error) {
				return t.Store.Create(r.Context(), actor(r), t.ID)
			})},
		{Method: "GET", Path: "/api/v1/incidents/{id}/postmortem", Summary: "Get the post-mortem of an incident", Tag: "postmortems",
			Role: auth.Viewer, Query: []Param{inc}, Response: postmortem.Postmortem{}, Status: 200, Handle: readStep(a.postmortemTarget, func(r *http.Request, t pmTarget) (postmortem.Postmortem, error) {
				return t.Store.ForIncident(r.Context(), t.ID)
			})},
		{Method: "GET", Path: "/api/v1/incidents/{id}/known-error", Summary: "Get the known error (with its workaround) an incident matched", Tag: "known-errors",
			Role: auth.Viewer, Query: []Param{inc}, Response: IncidentKnownError{}, Status: 200, Handle: readStep(a.knownErrorTarget, func(r *http.Request, t keTarget) (IncidentKnownError, error) {
				k, err := t.Store.ForIncident(r.Context(), t.ID)
				return IncidentKnownError{IncidentID: t.ID, KnownError: k}, err
			})},
		{Method: "GET", Path: "/api/v1/postmortems", Summary: "List post-mortems, newest first", Tag: "postmortems", Role: auth.Viewer,
			Query: append([]Param{
				{Name: "status", In: "query", Description: "draft, in_review or published"},
				{Name: "service", In: "query", Description: "only post-mortems of this service's incidents"},
			}, pageParams...), Response: List[postmortem.Listed]{}, Status: 200, Handle: a.listPostmortems},
		{Method: "GET", Path: "/api/v1/postmortems/{id}", Summary: "Get a post-mortem with its impact, timeline and action items", Tag: "postmortems",
			Role: auth.Viewer, Query: []Param{pm}, Response: postmortem.Postmortem{}, Status: 200, Handle: readStep(a.postmortemTarget, func(r *http.Request, t pmTarget) (postmortem.Postmortem, error) {
				return t.Store.Get(r.Context(), t.ID)
			})},
		{Method: "PUT", Path: "/api/v1/postmortems/{id}", Summary: "Edit a post-mortem's texts and status (draft → in_review → published; in_review → draft); fields left out stay", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{pm}, Request: postmortem.Edit{}, Response: postmortem.Postmortem{}, Status: 200, Handle: writeStep(a.postmortemTarget, http.StatusOK, nil, func(r *http.Request, t pmTarget, e postmortem.Edit) (postmortem.Postmortem, error) {
				return t.Store.Update(r.Context(), actor(r), t.ID, e)
			})},
		{Method: "POST", Path: "/api/v1/postmortems/{id}/refresh-impact", Summary: "Measure a draft post-mortem's impact again", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{pm}, Response: postmortem.Postmortem{}, Status: 200, Handle: actStep(a.postmortemTarget, http.StatusOK, nil, func(r *http.Request, t pmTarget) (postmortem.Postmortem, error) {
				return t.Store.RefreshImpact(r.Context(), actor(r), t.ID)
			})},
		{Method: "GET", Path: "/api/v1/postmortems/{id}/markdown", Summary: "Export a post-mortem as a Markdown document (text/markdown)", Tag: "postmortems",
			Role: auth.Viewer, Query: []Param{pm}, Status: 200, Handle: a.postmortemMarkdown},
		{Method: "POST", Path: "/api/v1/postmortems/{id}/action-items", Summary: "Add an action item", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{pm}, Request: postmortem.ItemInput{}, Response: postmortem.Item{}, Status: 201, Handle: writeStep(a.postmortemTarget, http.StatusCreated, nil, func(r *http.Request, t pmTarget, in postmortem.ItemInput) (postmortem.Item, error) {
				return t.Store.AddItem(r.Context(), actor(r), t.ID, in)
			})},
		{Method: "PUT", Path: "/api/v1/postmortems/{id}/action-items/{item}", Summary: "Replace an action item", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{pm, item}, Request: postmortem.ItemInput{}, Response: postmortem.Item{}, Status: 200, Handle: writeStep(a.actionItemTarget, http.StatusOK, nil, func(r *http.Request, t itemTarget, in postmortem.ItemInput) (postmortem.Item, error) {
				return t.Store.UpdateItem(r.Context(), actor(r), t.ID, t.item, in)
			})},
		{Method: "DELETE", Path: "/api/v1/postmortems/{id}/action-items/{item}", Summary: "Delete an action item", Tag: "postmortems",
			Role: auth.Operator, Query: []Param{pm, item}, Status: 204, Handle: deleteStep(a.actionItemTarget, func(r *http.Request, t itemTarget) error {
				return t.Store.DeleteItem(r.Context(), actor(r), t.ID, t.item)
			})},
		{Method: "GET", Path: "/api/v1/known-errors", Summary: "List known errors, oldest first", Tag: "known-errors", Role: auth.Viewer,
			Query: pageParams, Response: List[knownerror.KnownError]{}, Status: 200, Handle: a.listKnownErrors},
		{Method: "POST", Path: "/api/v1/known-errors", Summary: "Record a known error: a signature (service, summary match, labels) and its workaround", Tag: "known-errors",
			Role: auth.Operator, Request: knownerror.Input{}, Response: knownerror.KnownError{}, Status: 201, Handle: writeStep(whole(a.knownErrors), http.StatusCreated, func(k knownerror.KnownError) string { return "/api/v1/known-errors/" + strconv.FormatInt(k.ID, 10) },
				func(r *http.Request, s *knownerror.Store, in knownerror.Input) (knownerror.KnownError, error) {
					return s.Create(r.Context(), actor(r), in)
				})},
		{Method: "GET", Path: "/api/v1/known-errors/{id}", Summary: "Get a known error", Tag: "known-errors",
			Role: auth.Viewer, Query: []Param{ke}, Response: knownerror.KnownError{}, Status: 200, Handle: readStep(a.knownErrorTarget, func(r *http.Request, t keTarget) (knownerror.KnownError, error) {
				return t.Store.Get(r.Context(), t.ID)
			})},
		{Method: "PUT", Path: "/api/v1/known-errors/{id}", Summary: "Replace a known error", Tag: "known-errors",
			Role: auth.Operator, Query: []Param{ke}, Request: knownerror.Input{}, Response: knownerror.KnownError{}, Status: 200, Handle: writeStep(a.knownErrorTarget, http.StatusOK, nil, func(r *http.Request, t keTarget, in knownerror.Input) (knownerror.KnownError, error) {
				return t.Store.Update(r.Context(), actor(r), t.ID, in)
			})},
		{Method: "DELETE", Path: "/api/v1/known-errors/{id}", Summary: "Delete a known error", Tag: "known-errors",
			Role: auth.Operator, Query: []Param{ke}, Status: 204, Handle: deleteStep(a.knownErrorTarget, func(r *http.Request, t keTarget) error {
				return t.Store.Delete(r.Context(), actor(r), t.ID)
			})},
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

func (a *API) postmortemMarkdown(w http.ResponseWriter, r *http.Request) error {
	t, err := a.postmortemTarget(r)
	if err != nil {
		return err
	}
	p, err := t.Store.Get(r.Context(), t.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="postmortem-`+strconv.FormatInt(p.ID, 10)+`.md"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(postmortem.Markdown(p, monitor.BaseURL(a.deps.PublicURL, r))))
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

type (
	pmTarget   = idTarget[*postmortem.Store]
	keTarget   = idTarget[*knownerror.Store]
	itemTarget struct {
		pmTarget
		item int64
	}
)

// postmortemTarget is the post-mortem store and the {id} a route names.
func (a *API) postmortemTarget(r *http.Request) (pmTarget, error) { return byID(a.postmortems)(r) }

// knownErrorTarget is the known-error store and the {id} a route names.
func (a *API) knownErrorTarget(r *http.Request) (keTarget, error) { return byID(a.knownErrors)(r) }

// actionItemTarget adds the {item} a route names to its post-mortem.
func (a *API) actionItemTarget(r *http.Request) (itemTarget, error) {
	t, err := a.postmortemTarget(r)
	if err != nil {
		return itemTarget{}, err
	}
	item, err := pathID(r, "item")
	return itemTarget{pmTarget: t, item: item}, err
}

func postmortemLocation(p postmortem.Postmortem) string {
	return "/api/v1/postmortems/" + strconv.FormatInt(p.ID, 10)
}
