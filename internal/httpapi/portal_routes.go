package httpapi

import (
	"io"
	"net/http"
	"strconv"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/portal"
)

// CatalogItem is a request catalog item as the API lists it.
type CatalogItem struct {
	portal.Item
	// Path is where a request of this item is submitted.
	Path string `json:"path"`
}

// PortalComment is a requester's reply.
type PortalComment struct {
	Body string `json:"body"`
}

// portalRoutes are the requester's routes: its own tickets (and its
// organisation's shared ones), the request catalog and the knowledge
// base. Each needs the requester role or any person's role above it, and
// each ticket route answers 404 for a ticket the caller may not see, as
// for one that does not exist. Agents manage articles and decide
// approvals.
func (a *API) portalRoutes() []Route {
	tk := Param{Name: "id", In: "path", Type: "integer", Description: "the ticket's id"}
	att := Param{Name: "attachment", In: "path", Type: "integer", Description: "the attachment's id"}
	art := Param{Name: "id", In: "path", Type: "integer", Description: "the article's id"}
	item := Param{Name: "item", In: "path", Description: "the catalog item's name"}
	return []Route{
		{Method: "GET", Path: "/api/v1/request-catalog", Summary: "List the request catalog: items with their forms and approvals", Tag: "portal",
			Role: auth.Requester, Response: []CatalogItem{}, Status: 200, Handle: a.listRequestCatalog},
		{Method: "POST", Path: "/api/v1/request-catalog/{item}/requests", Summary: "Submit a catalog item's form: a ticket of type request with the fields stored on it", Tag: "portal",
			Description: "Every field is validated on the server and every problem is named (fields.<name>). An item with an approval opens waiting for approval, its SLA clocks paused, and mails its approvers signed links.",
			Role:        auth.Requester, Query: []Param{item}, Request: portal.SubmitInput{}, Response: desk.Ticket{}, Status: 201, Handle: a.submitRequest},
		{Method: "GET", Path: "/api/v1/portal/tickets", Summary: "List my tickets and my organisation's shared ones, newest first", Tag: "portal",
			Role: auth.Requester, Query: pageParams, Response: List[desk.Ticket]{}, Status: 200, Handle: a.listMyTickets},
		{Method: "POST", Path: "/api/v1/portal/tickets", Summary: "Open a ticket on a service as its requester", Tag: "portal",
			Role: auth.Requester, Request: portal.OpenInput{}, Response: desk.Ticket{}, Status: 201, Handle: a.openMyTicket},
		{Method: "GET", Path: "/api/v1/portal/tickets/{id}", Summary: "Get my ticket with its public conversation (never internal notes), attachments and approvals", Tag: "portal",
			Role: auth.Requester, Query: []Param{tk}, Response: portal.View{}, Status: 200, Handle: a.getMyTicket},
		{Method: "POST", Path: "/api/v1/portal/tickets/{id}/comments", Summary: "Reply on my ticket", Tag: "portal",
			Role: auth.Requester, Query: []Param{tk}, Request: PortalComment{}, Response: desk.Comment{}, Status: 201, Handle: a.replyMyTicket},
		{Method: "POST", Path: "/api/v1/portal/tickets/{id}/attachments", Summary: "Attach a file to my ticket: the body is the file's bytes (at most 10 MiB)", Tag: "portal",
			Role: auth.Requester, Query: []Param{tk, {Name: "filename", In: "query", Description: "the file's name"}}, Response: desk.Attachment{}, Status: 201, Handle: a.attachMyTicket},
		{Method: "GET", Path: "/api/v1/portal/tickets/{id}/attachments/{attachment}", Summary: "Download an attachment of my ticket", Tag: "portal",
			Role: auth.Requester, Query: []Param{tk, att}, Status: 200, Handle: a.getMyAttachment},
		{Method: "POST", Path: "/api/v1/portal/tickets/{id}/reopen", Summary: "Reopen my resolved ticket, within desk.portal.reopen_within of its resolution", Tag: "portal",
			Role: auth.Requester, Query: []Param{tk}, Request: portal.ReopenInput{}, Response: desk.Ticket{}, Status: 200, Handle: a.reopenMyTicket},
		{Method: "GET", Path: "/api/v1/portal/search", Summary: "Search published articles and known errors' workarounds before opening a ticket", Tag: "portal",
			Role: auth.Requester, Query: []Param{{Name: "q", In: "query", Description: "the words to look for"}, {Name: "service", In: "query", Description: "only what applies to this service"}},
			Response: []portal.Hit{}, Status: 200, Handle: a.portalSearch},
		{Method: "GET", Path: "/api/v1/kb/articles", Summary: "List knowledge base articles, newest first (requesters see the published ones)", Tag: "portal",
			Role: auth.Requester, Query: append([]Param{{Name: "service", In: "query", Description: "only this service's articles"}}, pageParams...),
			Response: List[portal.Article]{}, Status: 200, Handle: a.listArticles},
		{Method: "POST", Path: "/api/v1/kb/articles", Summary: "Write a knowledge base article (Markdown)", Tag: "portal",
			Role: auth.Operator, Request: portal.ArticleInput{}, Response: portal.Article{}, Status: 201, Handle: a.createArticle},
		{Method: "GET", Path: "/api/v1/kb/articles/{id}", Summary: "Get an article (requesters: a published one)", Tag: "portal",
			Role: auth.Requester, Query: []Param{art}, Response: portal.Article{}, Status: 200, Handle: a.getArticle},
		{Method: "PUT", Path: "/api/v1/kb/articles/{id}", Summary: "Replace an article", Tag: "portal",
			Role: auth.Operator, Query: []Param{art}, Request: portal.ArticleInput{}, Response: portal.Article{}, Status: 200, Handle: a.updateArticle},
		{Method: "DELETE", Path: "/api/v1/kb/articles/{id}", Summary: "Delete an article", Tag: "portal",
			Role: auth.Operator, Query: []Param{art}, Status: 204, Handle: a.deleteArticle},
		{Method: "GET", Path: "/api/v1/tickets/{id}/approvals", Summary: "List a request's approvals", Tag: "portal",
			Role: auth.Viewer, Query: []Param{tk}, Response: []portal.Approval{}, Status: 200, Handle: a.listApprovals},
		{Method: "POST", Path: "/api/v1/tickets/{id}/approvals", Summary: "Decide on a request as one of its approvers: approve, or reject with a reason", Tag: "portal",
			Description: "The quorum reached opens the ticket (its clocks run again); a rejection closes it with the reason as a public reply.",
			Role:        auth.Viewer, Query: []Param{tk}, Request: portal.Decision{}, Response: desk.Ticket{}, Status: 200, Handle: a.decideApproval},
	}
}

func (a *API) portal() (*portal.Store, error) {
	if a.deps.Portal == nil {
		return nil, newProblem(http.StatusNotFound, "the portal is not available on this server")
	}
	return a.deps.Portal, nil
}

// portalID is the portal and the {id} of a route (an article, a ticket).
func (a *API) portalID(r *http.Request) (*portal.Store, int64, error) {
	s, err := a.portal()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r, "id")
	return s, id, err
}

// who is the caller's portal identity.
func (a *API) who(r *http.Request) (*portal.Store, portal.Who, error) {
	s, err := a.portal()
	if err != nil {
		return nil, portal.Who{}, err
	}
	p, _ := PrincipalFrom(r.Context())
	w, err := s.WhoOf(r.Context(), p)
	return s, w, err
}

// myTicket is who and the ticket id of a ticket route.
func (a *API) myTicket(r *http.Request) (*portal.Store, portal.Who, int64, error) {
	s, w, err := a.who(r)
	if err != nil {
		return nil, w, 0, err
	}
	id, err := pathID(r, "id")
	return s, w, id, err
}

func (a *API) listRequestCatalog(w http.ResponseWriter, r *http.Request) error {
	s, err := a.portal()
	if err != nil {
		return err
	}
	out := []CatalogItem{}
	for _, it := range s.Config().Items {
		out = append(out, CatalogItem{Item: it.Item, Path: "/api/v1/request-catalog/" + it.Name + "/requests"})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) submitRequest(w http.ResponseWriter, r *http.Request) error {
	s, who, err := a.who(r)
	if err != nil {
		return err
	}
	var in portal.SubmitInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.Submit(r.Context(), who, actor(r), r.PathValue("item"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/portal/tickets/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (a *API) listMyTickets(w http.ResponseWriter, r *http.Request) error {
	s, who, err := a.who(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	ts, next, err := s.Tickets(r.Context(), who, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(ts, next))
	return nil
}

func (a *API) openMyTicket(w http.ResponseWriter, r *http.Request) error {
	s, who, err := a.who(r)
	if err != nil {
		return err
	}
	var in portal.OpenInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.Open(r.Context(), who, actor(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/portal/tickets/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (a *API) getMyTicket(w http.ResponseWriter, r *http.Request) error {
	s, who, id, err := a.myTicket(r)
	if err != nil {
		return err
	}
	v, err := s.Ticket(r.Context(), who, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) replyMyTicket(w http.ResponseWriter, r *http.Request) error {
	s, who, id, err := a.myTicket(r)
	if err != nil {
		return err
	}
	var in PortalComment
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Reply(r.Context(), who, actor(r), id, in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) attachMyTicket(w http.ResponseWriter, r *http.Request) error {
	s, who, id, err := a.myTicket(r)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, desk.MaxAttachment+1))
	if err != nil {
		return err
	}
	at, err := s.Attach(r.Context(), who, actor(r), id, r.URL.Query().Get("filename"), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, at)
	return nil
}

func (a *API) getMyAttachment(w http.ResponseWriter, r *http.Request) error {
	s, who, id, err := a.myTicket(r)
	if err != nil {
		return err
	}
	aid, err := pathID(r, "attachment")
	if err != nil {
		return err
	}
	at, err := s.Attachment(r.Context(), who, id, aid)
	if err != nil {
		return err
	}
	desk.ServeAttachment(w, at)
	return nil
}

func (a *API) reopenMyTicket(w http.ResponseWriter, r *http.Request) error {
	s, who, id, err := a.myTicket(r)
	if err != nil {
		return err
	}
	var in portal.ReopenInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.Reopen(r.Context(), who, actor(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) portalSearch(w http.ResponseWriter, r *http.Request) error {
	s, err := a.portal()
	if err != nil {
		return err
	}
	hits, err := s.Search(r.Context(), r.URL.Query().Get("q"), r.URL.Query().Get("service"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hits)
	return nil
}

// agent reports whether the caller is an agent (viewer and up), who sees
// draft articles too.
func agent(r *http.Request) bool {
	p, _ := PrincipalFrom(r.Context())
	return p.Role.Allows(auth.Viewer)
}

func (a *API) listArticles(w http.ResponseWriter, r *http.Request) error {
	s, err := a.portal()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	arts, next, err := s.Articles(r.Context(), portal.ArticleFilter{Service: r.URL.Query().Get("service"), PublishedOnly: !agent(r)}, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(arts, next))
	return nil
}

func (a *API) getArticle(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.portalID(r)
	if err != nil {
		return err
	}
	art, err := s.Article(r.Context(), id, !agent(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, art)
	return nil
}

func (a *API) createArticle(w http.ResponseWriter, r *http.Request) error {
	s, err := a.portal()
	if err != nil {
		return err
	}
	var in portal.ArticleInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	art, err := s.CreateArticle(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/kb/articles/"+strconv.FormatInt(art.ID, 10))
	writeJSON(w, http.StatusCreated, art)
	return nil
}

func (a *API) updateArticle(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.portalID(r)
	if err != nil {
		return err
	}
	var in portal.ArticleInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	art, err := s.UpdateArticle(r.Context(), actor(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, art)
	return nil
}

func (a *API) deleteArticle(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.portalID(r)
	if err != nil {
		return err
	}
	if err := s.DeleteArticle(r.Context(), actor(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listApprovals(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.portalID(r)
	if err != nil {
		return err
	}
	if _, err := s.Desk.Get(r.Context(), id); err != nil {
		return err
	}
	as, err := s.Approvals(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, as)
	return nil
}

func (a *API) decideApproval(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.portalID(r)
	if err != nil {
		return err
	}
	var in portal.Decision
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	t, err := s.Decide(r.Context(), actor(r), id, desk.Person(p.Actor()), portal.ViaAPI, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
