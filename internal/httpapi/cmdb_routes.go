package httpapi

import (
	"net/http"
	"strconv"

	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
)

func (a *API) cmdbRoutes() []Route {
	ci := Param{Name: "name", In: "path", Description: "the configuration item's name"}
	rel := Param{Name: "id", In: "path", Type: "integer", Description: "the relation's id"}
	svc := Param{Name: "name", In: "path", Description: "the service's name"}
	return []Route{
		{Method: "GET", Path: "/api/v1/ci-classes", Summary: "List the classes of configuration items with their attributes", Tag: "cmdb", Role: auth.Viewer,
			Response: List[cmdb.Class]{}, Status: 200, Handle: a.listCIClasses},
		{Method: "GET", Path: "/api/v1/cis", Summary: "List configuration items", Tag: "cmdb", Role: auth.Viewer,
			Query:    append([]Param{{Name: "class", In: "query", Description: "only items of this class"}}, pageParams...),
			Response: List[cmdb.StoredItem]{}, Status: 200, Handle: a.listCIs},
		{Method: "POST", Path: "/api/v1/cis", Summary: "Create a configuration item", Tag: "cmdb", Role: auth.Operator,
			Request: cmdb.Item{}, Response: cmdb.StoredItem{}, Status: 201, Handle: a.createCI},
		{Method: "GET", Path: "/api/v1/cis/{name}", Summary: "Get a configuration item", Tag: "cmdb", Role: auth.Viewer, Query: []Param{ci},
			Response: cmdb.StoredItem{}, Status: 200, Handle: a.getCI},
		{Method: "PUT", Path: "/api/v1/cis/{name}", Summary: "Replace a configuration item", Tag: "cmdb", Role: auth.Operator, Query: []Param{ci},
			Request: cmdb.Item{}, Response: cmdb.StoredItem{}, Status: 200, Handle: a.replaceCI},
		{Method: "DELETE", Path: "/api/v1/cis/{name}", Summary: "Delete a configuration item and its relations", Tag: "cmdb", Role: auth.Operator, Query: []Param{ci},
			Status: 204, Handle: a.deleteCI},
		{Method: "GET", Path: "/api/v1/cis/{name}/history", Summary: "An item's audited changes with before and after, newest first", Tag: "cmdb", Role: auth.Viewer,
			Query: append([]Param{ci}, pageParams...), Response: List[audit.Entry]{}, Status: 200, Handle: a.ciHistory},
		{Method: "GET", Path: "/api/v1/cis/{name}/impact", Summary: "The services the item takes down or degrades, with downtime cost per hour and error budget left", Tag: "cmdb", Role: auth.Viewer,
			Query:    []Param{ci, {Name: "what_if", In: "query", Description: "\"down\": as if the item failed now"}},
			Response: cmdb.Impact{}, Status: 200, Handle: a.ciImpact},
		{Method: "GET", Path: "/api/v1/ci-relations", Summary: "List relations between configuration items", Tag: "cmdb", Role: auth.Viewer,
			Query:    []Param{{Name: "item", In: "query", Description: "only relations from or to this item"}},
			Response: List[cmdb.Relation]{}, Status: 200, Handle: a.listCIRelations},
		{Method: "POST", Path: "/api/v1/ci-relations", Summary: "Relate two configuration items (runs_on, depends_on, connects_to, installed_on, member_of)", Tag: "cmdb", Role: auth.Operator,
			Request: cmdb.Relation{}, Response: cmdb.Relation{}, Status: 201, Handle: a.createCIRelation},
		{Method: "DELETE", Path: "/api/v1/ci-relations/{id}", Summary: "Remove a relation", Tag: "cmdb", Role: auth.Operator, Query: []Param{rel},
			Status: 204, Handle: a.deleteCIRelation},
		{Method: "GET", Path: "/api/v1/services/{name}/rests-on", Summary: "What the service rests on: items and services below it, hard, redundant or soft", Tag: "cmdb", Role: auth.Viewer,
			Query: []Param{svc}, Response: List[cmdb.Rest]{}, Status: 200, Handle: a.restsOn},
	}
}

func (a *API) cmdbStore() (*cmdb.Store, error) {
	if a.deps.CMDB == nil {
		return nil, newProblem(http.StatusNotFound, "the CMDB is not available on this server")
	}
	return a.deps.CMDB, nil
}

func (a *API) listCIClasses(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(c.Classes(), ""))
	return nil
}

func (a *API) listCIs(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := c.ListItems(r.Context(), r.URL.Query().Get("class"), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) getCI(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	it, err := c.GetItem(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}

func (a *API) createCI(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	var it cmdb.Item
	if err := decodeJSON(w, r, &it); err != nil {
		return err
	}
	out, err := c.PutItem(r.Context(), actor(r), it, catalog.MustCreate)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/cis/"+out.Name)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) replaceCI(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	var it cmdb.Item
	if err := decodeJSON(w, r, &it); err != nil {
		return err
	}
	name := r.PathValue("name")
	if it.Name == "" {
		it.Name = name
	}
	if it.Name != name {
		return badParam("name", "the body names %q but the path %q; an item cannot be renamed", it.Name, name)
	}
	out, err := c.PutItem(r.Context(), actor(r), it, catalog.MustExist)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) deleteCI(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	if err := c.DeleteItem(r.Context(), actor(r), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) ciHistory(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	// A removed item's history stays readable: only a name that never
	// had any is not found.
	entries, next, err := c.History(r.Context(), r.PathValue("name"), pg)
	if err != nil {
		return err
	}
	if len(entries) == 0 && pg.Cursor == "" {
		if _, err := c.GetItem(r.Context(), r.PathValue("name")); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, list(entries, next))
	return nil
}

func (a *API) ciImpact(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	whatIf := false
	switch v := r.URL.Query().Get("what_if"); v {
	case "":
	case "down":
		whatIf = true
	default:
		return badParam("what_if", "must be \"down\" or left out, not %q", v)
	}
	out, err := c.Impact(r.Context(), r.PathValue("name"), whatIf)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) listCIRelations(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	rels, err := c.Relations(r.Context(), r.URL.Query().Get("item"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(rels, ""))
	return nil
}

func (a *API) createCIRelation(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	var rel cmdb.Relation
	if err := decodeJSON(w, r, &rel); err != nil {
		return err
	}
	out, err := c.AddRelation(r.Context(), actor(r), rel)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/ci-relations/"+strconv.FormatInt(out.ID, 10))
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) deleteCIRelation(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return badParam("id", "must be a whole number, got %q", r.PathValue("id"))
	}
	if err := c.DeleteRelation(r.Context(), actor(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) restsOn(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	out, err := c.RestsOn(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(out, ""))
	return nil
}
