package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/search"
)

// searchPage is the data of the search page: the query as typed, the
// groups found (with a link to more of a kind when a group is full), or
// the problem with the query.
type searchPage struct {
	Query   string
	Result  search.Result
	More    map[string]string
	Problem string
	// Kind is the one kind shown, when the page shows more of it.
	Kind string
}

// searchPageLimit is how many of one kind the page shows when asked for
// more of it.
const searchPageLimit = search.MaxLimit

// search finds services, checks, incidents and people for the box in the
// header. An empty box shows the page with nothing found yet; a query the
// searcher refuses shows its reason.
func (u *UI) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sp := searchPage{Query: strings.TrimSpace(q.Get("q")), Kind: q.Get("kind"), More: map[string]string{}}
	if !q.Has("q") && sp.Kind == "" {
		u.render(w, r, http.StatusOK, "search.html", "Search", sp)
		return nil
	}
	sq := search.Query{Text: sp.Query, Kind: sp.Kind}
	if sp.Kind != "" {
		sq.Limit = searchPageLimit
	}
	s := &search.Searcher{DB: u.deps.Incidents.DB, Catalog: u.deps.Catalog, Checks: u.deps.Checks, Items: u.deps.CMDB,
		People: func() []escalation.Person { return u.onCall().People() }}
	res, err := s.Search(r.Context(), sq)
	var inv *apperr.Invalid
	if errors.As(err, &inv) {
		var msgs []string
		for _, f := range inv.Fields {
			switch {
			case f.Path == "q" && sp.Query == "":
				msgs = append(msgs, "Type what to look for.")
			case f.Path == "q":
				msgs = append(msgs, "The search "+f.Msg+".")
			default:
				msgs = append(msgs, "The "+f.Path+" "+f.Msg+".")
			}
		}
		sp.Problem = strings.Join(msgs, " ")
		u.render(w, r, http.StatusBadRequest, "search.html", "Search", sp)
		return nil
	}
	if err != nil {
		return err
	}
	sp.Result = res
	for _, g := range res.Groups {
		if g.More && sp.Kind == "" {
			sp.More[g.Kind] = "/search?" + url.Values{"q": {sp.Query}, "kind": {g.Kind}}.Encode()
		}
	}
	u.render(w, r, http.StatusOK, "search.html", "Search: "+strconv.Quote(sp.Query), sp)
	return nil
}
