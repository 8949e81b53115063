package httpapi

import (
	"net/http"
	"strconv"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
)

// NewToken is the body that creates an API token: a name, a role and, for
// an agent token, the location it is bound to.
type NewToken = auth.NewToken

// CreatedToken is the answer to creating a token: the only time its secret
// is shown.
type CreatedToken struct {
	auth.Token
	Secret string `json:"token"`
}

// Me describes the caller.
type Me struct {
	Kind string    `json:"kind"`
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
}

func (a *API) adminRoutes() []Route {
	userParam := []Param{{Name: "name", In: "path", Description: "the user's name"}}
	tokenParam := []Param{{Name: "name", In: "path", Description: "the token's name"}}
	return []Route{
		{Method: "GET", Path: "/api/v1/me", Summary: "Who the caller is", Tag: "access", Role: auth.Viewer,
			Response: Me{}, Status: 200, Handle: a.me},
		{Method: "GET", Path: "/api/v1/users", Summary: "List users", Tag: "access", Role: auth.Admin, Query: pageParams,
			Response: List[auth.User]{}, Status: 200, Handle: a.listUsers},
		{Method: "POST", Path: "/api/v1/users", Summary: "Create a user", Tag: "access", Role: auth.Admin,
			Request: auth.NewUser{}, Response: auth.User{}, Status: 201, Handle: a.createUser},
		{Method: "GET", Path: "/api/v1/users/{name}", Summary: "Get a user", Tag: "access", Role: auth.Admin, Query: userParam,
			Response: auth.User{}, Status: 200, Handle: a.getUser},
		{Method: "DELETE", Path: "/api/v1/users/{name}", Summary: "Delete a user", Tag: "access", Role: auth.Admin, Query: userParam,
			Status: 204, Handle: a.deleteUser},
		{Method: "GET", Path: "/api/v1/tokens", Summary: "List API tokens (never their secrets)", Tag: "access", Role: auth.Admin, Query: pageParams,
			Response: List[auth.Token]{}, Status: 200, Handle: a.listTokens},
		{Method: "POST", Path: "/api/v1/tokens", Summary: "Create an API token; the answer holds its secret, shown only this once", Tag: "access", Role: auth.Admin,
			Description: "An agent token (role agent) needs a location: it then fetches only that location's checks, with their credentials, and reports results for that location only.",
			Request:     NewToken{}, Response: CreatedToken{}, Status: 201, Handle: a.createToken},
		{Method: "DELETE", Path: "/api/v1/tokens/{name}", Summary: "Revoke an API token", Tag: "access", Role: auth.Admin, Query: tokenParam,
			Status: 204, Handle: a.revokeToken},
		{Method: "GET", Path: "/api/v1/audit", Summary: "Read the audit log, newest first", Tag: "access", Role: auth.Admin,
			Query: append([]Param{
				{Name: "object_type", In: "query", Description: "only entries about this kind of object (service, calendar, user, token)"},
				{Name: "object_id", In: "query", Description: "only entries about the object with this name"},
				{Name: "actor", In: "query", Description: "only entries by this actor, e.g. user:alice"},
			}, pageParams...),
			Response: List[audit.Entry]{}, Status: 200, Handle: a.listAudit},
		{Method: "POST", Path: "/api/v1/config/reload", Summary: "Read the config file again; a bad file keeps the running config", Tag: "config", Role: auth.Admin,
			Response: catalog.Changes{}, Status: 200, Handle: a.reload},
	}
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	writeJSON(w, http.StatusOK, Me{Kind: p.Kind, Name: p.Name, Role: p.Role})
	return nil
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := a.deps.Auth.ListUsers(r.Context(), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var nu auth.NewUser
	if err := decodeJSON(w, r, &nu); err != nil {
		return err
	}
	u, err := a.deps.Auth.CreateUser(r.Context(), actor(r), nu)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/users/"+u.Name)
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.deps.Auth.GetUser(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.deps.Auth.DeleteUser(r.Context(), actor(r), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	items, err := a.deps.Auth.ListTokens(r.Context())
	if err != nil {
		return err
	}
	return writePaged(w, r, items, func(t auth.Token) string { return strconv.FormatInt(t.ID, 10) })
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var nt NewToken
	if err := decodeJSON(w, r, &nt); err != nil {
		return err
	}
	secret, t, err := a.deps.Auth.IssueToken(r.Context(), actor(r), nt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, CreatedToken{Token: t, Secret: secret})
	return nil
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := a.deps.Auth.RevokeToken(r.Context(), actor(r), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, next, err := audit.List(r.Context(), a.deps.DB, audit.Filter{ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), Actor: q.Get("actor")}, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) reload(w http.ResponseWriter, r *http.Request) error {
	if a.deps.Config == nil {
		return apperr.Conflict("this server runs without a config file (start it with --config FILE)")
	}
	ch, err := a.deps.Config.Reload(r.Context(), actor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}
