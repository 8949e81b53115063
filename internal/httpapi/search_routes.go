package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/search"
)

func (a *API) searchRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/search", Summary: "Find services, checks, incidents, people and configuration items, grouped by kind", Tag: "search", Role: auth.Viewer,
			Description: "Matches anywhere in services' names, titles and owners, checks' names and targets, incidents' ids, summaries and dedup keys, " +
				"and people's names and e-mail addresses, ignoring case; `%` and `_` mean themselves. Each group holds at most `limit` hits " +
				"(incidents newest first) and says whether there are `more`.",
			Query: []Param{
				{Name: "q", In: "query", Description: "what to look for (required, at most 200 characters)"},
				{Name: "kind", In: "query", Description: "only this kind: services, checks, incidents, people or items"},
				{Name: "limit", In: "query", Type: "integer", Description: "hits of each kind, 1 to 50 (default 5)"},
			}, Response: search.Result{}, Status: 200, Handle: a.search},
	}
}

// searcher searches what the API serves.
func (a *API) searcher() *search.Searcher {
	s := &search.Searcher{DB: a.deps.DB, Catalog: a.deps.Catalog, Checks: a.deps.Checks, Items: a.deps.CMDB}
	if a.deps.OnCall != nil {
		s.People = func() []escalation.Person { return a.deps.OnCall.People() }
	}
	return s
}

func (a *API) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sq := search.Query{Text: q.Get("q"), Kind: q.Get("kind")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return badParam("limit", "must be a whole number between 1 and %d, got %q", search.MaxLimit, l)
		}
		sq.Limit = n
	}
	// The query's fields are the request's parameters, so its problems
	// name them as parameters.
	var inv *apperr.Invalid
	if err := sq.Validate(); errors.As(err, &inv) {
		p := newProblem(http.StatusBadRequest, "the request has an invalid parameter")
		p.Type = TypeValidation
		for _, f := range inv.Fields {
			p.Errors = append(p.Errors, ProblemField{Parameter: f.Path, Detail: f.Msg})
		}
		return p
	}
	res, err := a.searcher().Search(r.Context(), sq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
