package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/store"
)

// The requester portal (/portal): search before opening a ticket, the
// request catalog's forms, my tickets and their public conversation, and
// the status of the services I use. Every page works for a requester and
// for agents alike (an agent's own tickets); what a ticket page shows goes
// through portal.Store, which answers "not found" for a ticket the caller
// may not see.

// portalRoutes adds the portal's pages: the requester's (requester role
// and up) and the agents' approvals and knowledge base.
func (u *UI) portalRoutes(mux routeMux) {
	req := auth.Requester
	mux.Handle("GET /portal", u.page(req, u.showPortal))
	mux.Handle("GET /portal/new", u.page(req, u.newPortalTicket))
	mux.Handle("POST /portal/new", u.page(req, u.openPortalTicket))
	mux.Handle("GET /portal/catalog/{item}", u.page(req, u.showCatalogItem))
	mux.Handle("POST /portal/catalog/{item}", u.page(req, u.submitCatalogItem))
	mux.Handle("GET /portal/tickets/{id}", u.page(req, u.showPortalTicket))
	mux.Handle("POST /portal/tickets/{id}/reply", u.page(req, u.replyPortalTicket))
	mux.Handle("POST /portal/tickets/{id}/reopen", u.page(req, u.reopenPortalTicket))
	mux.Handle("POST /portal/tickets/{id}/attachments", u.multipart(u.page(req, u.attachPortalTicket)))
	mux.Handle("GET /portal/tickets/{id}/attachments/{attachment}", u.page(req, u.downloadPortalAttachment))
	mux.Handle("GET /portal/articles/{id}", u.page(req, u.showPortalArticle))
	mux.Handle("GET /portal/known-errors/{id}", u.page(req, u.showPortalKnownError))
	mux.Handle("POST /portal/services/{name}/feedback", u.page(req, u.ratePortalService))
	mux.Handle("GET /desk/approvals", u.page(auth.Viewer, u.showApprovals))
	mux.Handle("POST /desk/approvals/{id}", u.page(auth.Viewer, u.decideApproval))
	mux.Handle("GET /desk/kb", u.page(auth.Viewer, u.listArticles))
	mux.Handle("POST /desk/kb", u.page(auth.Operator, u.createArticle))
	mux.Handle("GET /desk/kb/{id}", u.page(auth.Viewer, u.editArticle))
	mux.Handle("POST /desk/kb/{id}", u.page(auth.Operator, u.updateArticle))
	mux.Handle("POST /desk/kb/{id}/delete", u.page(auth.Operator, u.deleteArticle))
}

// multipart parses a multipart form (an upload) before h, which checks
// its CSRF field, within the attachment limit and a little for the rest.
func (u *UI) multipart(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, desk.MaxAttachment+64<<10)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			u.fail(w, r, &apperr.Invalid{Fields: []apperr.Field{{Path: "file", Msg: "the upload could not be read (at most 10 MiB)"}}})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// portalStore is the portal, or not found without one.
func (u *UI) portalStore() (*portal.Store, error) {
	if u.deps.Portal == nil {
		return nil, errPageNotFound
	}
	return u.deps.Portal, nil
}

// portalWho is the caller's portal identity.
func (u *UI) portalWho(r *http.Request) (*portal.Store, portal.Who, error) {
	s, err := u.portalStore()
	if err != nil {
		return nil, portal.Who{}, err
	}
	w, err := s.WhoOf(r.Context(), principal(r))
	return s, w, err
}

// portalService is a service I use with its state now.
type portalService struct {
	Name, Title string
	State       availability.State
}

// portalHome is the data of /portal.
type portalHome struct {
	Query    string
	Hits     []portal.Hit
	Searched bool
	Items    []portal.CompiledItem
	Tickets  []desk.Ticket
	Services []portalService
	// Rating is the rating form being filled in (with its problems), or
	// the one just saved (Saved); Choices its scores.
	Rating  portalRating
	Choices []scoreChoice
	CanRate bool // this server keeps feedback
}

// portalRating is the portal's form to rate a service I use.
type portalRating struct {
	Service  string
	Score    int
	Comment  string
	Saved    bool
	Problems []apperr.Field
}

// /portal shows again with the rating form's problems.
func (p *portalHome) template() string                  { return "portal.html" }
func (p *portalHome) pageTitle() string                 { return "Help" }
func (p *portalHome) setProblems(fields []apperr.Field) { p.Rating.Problems = fields }

// portalHomeData gathers /portal for the signed-in requester.
func (u *UI) portalHomeData(r *http.Request) (*portalHome, error) {
	s, who, err := u.portalWho(r)
	if err != nil {
		return nil, err
	}
	p := &portalHome{Query: strings.TrimSpace(r.URL.Query().Get("q")), Items: s.Config().Items, Choices: scoreChoices(), CanRate: u.deps.Feedback != nil}
	if p.Query != "" {
		p.Searched = true
		if p.Hits, err = s.Search(r.Context(), p.Query, ""); err != nil {
			return nil, err
		}
	}
	if p.Tickets, _, err = s.Tickets(r.Context(), who, store.Page{Limit: 20}); err != nil {
		return nil, err
	}
	if p.Services, err = u.servicesUsed(r.Context(), p.Tickets, p.Items); err != nil {
		return nil, err
	}
	return p, nil
}

func (u *UI) showPortal(w http.ResponseWriter, r *http.Request) error {
	p, err := u.portalHomeData(r)
	if err != nil {
		return err
	}
	if rated := r.URL.Query().Get("rated"); rated != "" {
		p.Rating = portalRating{Service: rated, Saved: true}
	}
	u.render(w, r, http.StatusOK, "portal.html", "Help", p)
	return nil
}

// ratePortalService answers POST /portal/services/{name}/feedback: a
// requester rates a service they use (one of their tickets' or the
// request catalog's); any other name is not found, so the form tells no
// one which services exist.
func (u *UI) ratePortalService(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Feedback == nil {
		return errPageNotFound
	}
	p, err := u.portalHomeData(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if !slices.ContainsFunc(p.Services, func(s portalService) bool { return s.Name == name }) {
		return errPageNotFound
	}
	form, err := u.rateFromForm(r, name)
	p.Rating = portalRating{Service: name, Score: form.Score, Comment: form.Comment}
	var inv *apperr.Invalid
	if errors.As(err, &inv) {
		return &formError{err: err, form: p}
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/portal?rated="+url.QueryEscape(name)+"#status", http.StatusSeeOther)
	return nil
}

// servicesUsed are the services of my tickets and of the catalog's items,
// by name, each with its state now as the status page shows it.
func (u *UI) servicesUsed(ctx context.Context, ts []desk.Ticket, items []portal.CompiledItem) ([]portalService, error) {
	var names []string
	for _, t := range ts {
		names = append(names, t.Service)
	}
	for _, it := range items {
		names = append(names, it.Service)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	names = slices.DeleteFunc(names, func(n string) bool { return n == "" })
	if len(names) == 0 {
		return nil, nil
	}
	snap, err := u.deps.Reports.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var out []portalService
	for _, n := range names {
		svc, ok := snap.Services[n]
		if !ok {
			continue
		}
		st, _ := snap.Timeline(n).At(snap.Now.Add(-time.Millisecond))
		title := svc.Title
		if title == "" {
			title = n
		}
		out = append(out, portalService{Name: n, Title: title, State: st})
	}
	return out, nil
}

// portalForm is a form of the portal (a new ticket, a catalog request):
// its values and problems.
type portalForm struct {
	formProblems
	Title, Description, Service, Urgency string
	Shared, CanShare                     bool
	Services                             []option
	// Hits are "these may help" for the title typed so far.
	Hits []portal.Hit
	// Item is the catalog item of a request form; Values its inputs.
	Item   *portal.CompiledItem
	Values map[string][]string
	tmpl   string
	labels map[string]string
}

func (f *portalForm) template() string { return f.tmpl }
func (f *portalForm) pageTitle() string {
	return map[bool]string{true: "Request", false: "Open a ticket"}[f.Item != nil]
}

func (f *portalForm) setProblems(fields []apperr.Field) {
	f.reset()
	for _, p := range fields {
		label, known := f.labels[p.Path]
		if !known {
			label = "This form"
		}
		f.add(p.Path, label, p.Msg, known)
	}
}

// UrgencyOptions are the urgencies a requester picks from.
func (f *portalForm) UrgencyOptions() []option {
	return choose([]option{{Value: desk.High, Label: "high — I cannot work"}, {Value: desk.Medium, Label: "medium — I can work around it"},
		{Value: desk.Low, Label: "low — it can wait"}}, f.Urgency)
}

// Value is the first submitted value of a catalog field.
func (f *portalForm) Value(name string) string {
	if v := f.Values["fields."+name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Picked says whether a choice of a multi_choice field was submitted.
func (f *portalForm) Picked(name, choice string) bool {
	return slices.Contains(f.Values["fields."+name], choice)
}

// FieldID is the element id of a catalog field.
func (f *portalForm) FieldID(name string) string { return fieldID("fields." + name) }

// FieldProblems are a catalog field's problems.
func (f *portalForm) FieldProblems(name string) []string { return f.Problems("fields." + name) }

func (u *UI) newPortalForm(r *http.Request, who portal.Who) (*portalForm, error) {
	f := &portalForm{tmpl: "portal_new.html", CanShare: who.Organisation != "", Urgency: desk.Medium,
		labels: map[string]string{"title": "Subject", "description": "Description", "service": "Service", "urgency": "Urgency", "type": "Kind"}}
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return nil, err
	}
	f.Services = []option{{Value: "", Label: "I don't know"}}
	for _, s := range cat.Services {
		label := s.Title
		if label == "" {
			label = s.Name
		}
		f.Services = append(f.Services, option{Value: s.Name, Label: label})
	}
	return f, nil
}

func (u *UI) newPortalTicket(w http.ResponseWriter, r *http.Request) error {
	s, who, err := u.portalWho(r)
	if err != nil {
		return err
	}
	f, err := u.newPortalForm(r, who)
	if err != nil {
		return err
	}
	f.Title, f.Service = strings.TrimSpace(r.URL.Query().Get("title")), r.URL.Query().Get("service")
	if f.Title != "" {
		if f.Hits, err = s.Search(r.Context(), f.Title, f.Service); err != nil {
			return err
		}
	}
	f.Services = choose(f.Services, f.Service)
	u.render(w, r, http.StatusOK, f.tmpl, f.pageTitle(), f)
	return nil
}

func (u *UI) openPortalTicket(w http.ResponseWriter, r *http.Request) error {
	s, who, err := u.portalWho(r)
	if err != nil {
		return err
	}
	f, err := u.newPortalForm(r, who)
	if err != nil {
		return err
	}
	in := portal.OpenInput{Title: strings.TrimSpace(r.PostFormValue("title")), Description: strings.ReplaceAll(r.PostFormValue("description"), "\r\n", "\n"),
		Service: r.PostFormValue("service"), Urgency: r.PostFormValue("urgency"), Shared: r.PostFormValue("shared") == "on"}
	f.Title, f.Description, f.Service, f.Urgency, f.Shared = in.Title, in.Description, in.Service, in.Urgency, in.Shared
	f.Services = choose(f.Services, f.Service)
	t, err := s.Open(r.Context(), who, principal(r).Actor(), in)
	if err != nil {
		if isInvalid(err) {
			return &formError{err: err, form: f}
		}
		return err
	}
	http.Redirect(w, r, portalTicketURL(t.ID)+"?done=opened", http.StatusSeeOther)
	return nil
}

func portalTicketURL(id int64) string { return "/portal/tickets/" + strconv.FormatInt(id, 10) }

// catalogForm builds the form of a catalog item.
func (u *UI) catalogForm(r *http.Request, who portal.Who) (*portal.Store, *portalForm, error) {
	s, err := u.portalStore()
	if err != nil {
		return nil, nil, err
	}
	it, ok := s.Config().Item(r.PathValue("item"))
	if !ok {
		return nil, nil, errPageNotFound
	}
	f := &portalForm{tmpl: "portal_request.html", Item: &it, CanShare: who.Organisation != "", Values: map[string][]string{}, labels: map[string]string{}}
	for _, fl := range it.Fields {
		f.labels["fields."+fl.Name] = fl.Label
	}
	return s, f, nil
}

func (u *UI) showCatalogItem(w http.ResponseWriter, r *http.Request) error {
	_, who, err := u.portalWho(r)
	if err != nil {
		return err
	}
	_, f, err := u.catalogForm(r, who)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, f.tmpl, f.Item.Title, f)
	return nil
}

func (u *UI) submitCatalogItem(w http.ResponseWriter, r *http.Request) error {
	_, who, err := u.portalWho(r)
	if err != nil {
		return err
	}
	s, f, err := u.catalogForm(r, who)
	if err != nil {
		return err
	}
	values := portal.Values{}
	for _, fl := range f.Item.Fields {
		got := r.PostForm["fields."+fl.Name]
		f.Values["fields."+fl.Name] = got
		switch {
		case fl.Type == portal.FieldMultiChoice:
			values[fl.Name] = got
		case len(got) > 0:
			values[fl.Name] = strings.ReplaceAll(got[0], "\r\n", "\n")
		}
	}
	f.Shared = r.PostFormValue("shared") == "on"
	t, err := s.Submit(r.Context(), who, principal(r).Actor(), f.Item.Name, portal.SubmitInput{Fields: values, Shared: f.Shared})
	if err != nil {
		if isInvalid(err) || errors.Is(err, apperr.ErrConflict) {
			return &formError{err: err, form: f}
		}
		return err
	}
	http.Redirect(w, r, portalTicketURL(t.ID)+"?done=requested", http.StatusSeeOther)
	return nil
}

// portalTicketPage is the data of a requester's ticket page.
type portalTicketPage struct {
	formProblems
	V    portal.View
	Item *portal.CompiledItem
	Done string
	// Reply and Reason are the texts of a reply or reopening refused.
	Reply, Reason string
	// Survey is the "Rate this" link (SurveyLink), "" for none.
	Survey string
}

func (p *portalTicketPage) template() string { return "portal_ticket.html" }
func (p *portalTicketPage) pageTitle() string {
	return "#" + strconv.FormatInt(p.V.ID, 10) + " " + p.V.Title
}
func (p *portalTicketPage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		path := f.Path
		switch path {
		case "body":
			path = "reply"
		case "filename":
			path = "file"
		}
		p.add(path, map[string]string{"reply": "Reply", "reason": "Reason", "file": "File"}[path], f.Msg, path == "reply" || path == "reason" || path == "file")
	}
}

// FieldValue is a submitted field as the page shows it.
func (p *portalTicketPage) FieldValue(name string) string {
	v, ok := p.V.Fields[name]
	if !ok {
		return ""
	}
	return portal.FormatValue(v)
}

// Person is the name an author's actor stands for ("user:ann" is ann).
func (p *portalTicketPage) Person(actor string) string { return desk.Person(actor) }

// Waiting says the request waits for its approvers.
func (p *portalTicketPage) Waiting() bool {
	return p.V.Status == desk.StatusWaiting && p.V.WaitingOn == desk.WaitApproval
}

// Closed says the ticket takes no more replies or files.
func (p *portalTicketPage) Closed() bool { return p.V.Status == desk.StatusClosed }

func (u *UI) loadPortalTicket(r *http.Request) (*portal.Store, portal.Who, *portalTicketPage, error) {
	s, who, err := u.portalWho(r)
	if err != nil {
		return nil, who, nil, err
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return nil, who, nil, err
	}
	v, err := s.Ticket(r.Context(), who, id)
	if err != nil {
		return nil, who, nil, err
	}
	p := &portalTicketPage{V: v}
	if v.Item != "" {
		if it, ok := s.Config().Item(v.Item); ok {
			p.Item = &it
		}
	}
	if u.deps.SurveyLink != nil && desk.Done(v.Status) {
		p.Survey = u.deps.SurveyLink(v.ID)
	}
	return s, who, p, nil
}

func (u *UI) showPortalTicket(w http.ResponseWriter, r *http.Request) error {
	_, _, p, err := u.loadPortalTicket(r)
	if err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "opened", "requested", "reply", "file", "reopened":
		p.Done = d
	}
	u.render(w, r, http.StatusOK, p.template(), p.pageTitle(), p)
	return nil
}

// portalAction runs a requester's change on a ticket it may see and goes
// back to its page; a refused change draws the page with the reason.
func (u *UI) portalAction(w http.ResponseWriter, r *http.Request, done string, act func(s *portal.Store, who portal.Who, p *portalTicketPage) error) error {
	s, who, p, err := u.loadPortalTicket(r)
	if err != nil {
		return err
	}
	if err := act(s, who, p); err != nil {
		if !isInvalid(err) && !errors.Is(err, apperr.ErrConflict) {
			return err
		}
		return &formError{err: err, form: p}
	}
	http.Redirect(w, r, portalTicketURL(p.V.ID)+"?done="+done, http.StatusSeeOther)
	return nil
}

func (u *UI) replyPortalTicket(w http.ResponseWriter, r *http.Request) error {
	body := strings.ReplaceAll(r.PostFormValue("reply"), "\r\n", "\n")
	return u.portalAction(w, r, "reply", func(s *portal.Store, who portal.Who, p *portalTicketPage) error {
		p.Reply = body
		_, err := s.Reply(r.Context(), who, principal(r).Actor(), p.V.ID, body)
		return err
	})
}

func (u *UI) reopenPortalTicket(w http.ResponseWriter, r *http.Request) error {
	reason := strings.ReplaceAll(r.PostFormValue("reason"), "\r\n", "\n")
	return u.portalAction(w, r, "reopened", func(s *portal.Store, who portal.Who, p *portalTicketPage) error {
		p.Reason = reason
		_, err := s.Reopen(r.Context(), who, principal(r).Actor(), p.V.ID, portal.ReopenInput{Reason: reason})
		return err
	})
}

// attachPortalTicket takes a multipart upload (one file). Its form is
// parsed before the guard checks the CSRF token, within the attachment
// limit.
func (u *UI) attachPortalTicket(w http.ResponseWriter, r *http.Request) error {
	return u.portalAction(w, r, "file", func(s *portal.Store, who portal.Who, p *portalTicketPage) error {
		file, hdr, err := r.FormFile("file")
		if err != nil {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "file", Msg: "choose a file to attach"}}}
		}
		defer file.Close()
		data, err := io.ReadAll(io.LimitReader(file, desk.MaxAttachment+1))
		if err != nil {
			return err
		}
		_, err = s.Attach(r.Context(), who, principal(r).Actor(), p.V.ID, hdr.Filename, data)
		return err
	})
}

func (u *UI) downloadPortalAttachment(w http.ResponseWriter, r *http.Request) error {
	s, who, err := u.portalWho(r)
	if err != nil {
		return err
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return err
	}
	aid, err := postmortemID(r, "attachment")
	if err != nil {
		return err
	}
	a, err := s.Attachment(r.Context(), who, id, aid)
	if err != nil {
		return err
	}
	desk.ServeAttachment(w, a)
	return nil
}

// portalDoc is an article or a known error's workaround as the portal
// shows it: its Markdown made safe, shown as text.
type portalDoc struct {
	Kind, Title, Service, Text string
	Updated                    time.Time
}

func (u *UI) showPortalArticle(w http.ResponseWriter, r *http.Request) error {
	s, err := u.portalStore()
	if err != nil {
		return err
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Article(r.Context(), id, !principal(r).Role.Allows(auth.Viewer))
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "portal_doc.html", a.Title, portalDoc{Kind: "Article", Title: a.Title, Service: a.Service, Text: a.Safe(), Updated: a.UpdatedAt})
	return nil
}

func (u *UI) showPortalKnownError(w http.ResponseWriter, r *http.Request) error {
	s, err := u.portalStore()
	if err != nil {
		return err
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return err
	}
	k, err := s.KnownError(r.Context(), id)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "portal_doc.html", k.Title, portalDoc{Kind: "Known problem and workaround", Title: k.Title, Service: k.Service,
		Text: portal.Article{Body: k.Workaround}.Safe(), Updated: k.UpdatedAt})
	return nil
}
