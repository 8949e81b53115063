package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/store"
)

// The agents' side of the portal: the requests waiting for my approval
// (/desk/approvals), the knowledge base's articles (/desk/kb), and the
// signed approval links of the approval mails (/approvals/…), which work
// without signing in.

// approvalRow is a request waiting for my decision.
type approvalRow struct {
	A      portal.Approval
	Ticket desk.Ticket
}

// approvalsPage is the data of /desk/approvals.
type approvalsPage struct {
	formProblems
	Rows []approvalRow
	Done string
}

func (p *approvalsPage) template() string  { return "desk_approvals.html" }
func (p *approvalsPage) pageTitle() string { return "Approvals" }
func (p *approvalsPage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		p.add(f.Path, capitalise(f.Path), f.Msg, false)
	}
}

func (u *UI) loadApprovals(r *http.Request) (*portal.Store, *approvalsPage, error) {
	s, err := u.portalStore()
	if err != nil {
		return nil, nil, err
	}
	as, err := s.Pending(r.Context(), desk.Person(principal(r).Actor()))
	if err != nil {
		return nil, nil, err
	}
	p := &approvalsPage{}
	for _, a := range as {
		d, err := s.Desk.Get(r.Context(), a.TicketID)
		if err != nil {
			return nil, nil, err
		}
		p.Rows = append(p.Rows, approvalRow{A: a, Ticket: d.Ticket})
	}
	return s, p, nil
}

func (u *UI) showApprovals(w http.ResponseWriter, r *http.Request) error {
	_, p, err := u.loadApprovals(r)
	if err != nil {
		return err
	}
	if d := r.URL.Query().Get("done"); d == portal.Approve || d == portal.Reject {
		p.Done = d
	}
	u.render(w, r, http.StatusOK, p.template(), p.pageTitle(), p)
	return nil
}

func (u *UI) decideApproval(w http.ResponseWriter, r *http.Request) error {
	s, p, err := u.loadApprovals(r)
	if err != nil {
		return err
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return err
	}
	d := portal.Decision{Decision: r.PostFormValue("decision"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	pr := principal(r)
	if _, err := s.Decide(r.Context(), pr.Actor(), id, desk.Person(pr.Actor()), portal.ViaUI, d); err != nil {
		if isInvalid(err) || errors.Is(err, apperr.ErrConflict) {
			return &formError{err: err, form: p}
		}
		return err
	}
	http.Redirect(w, r, "/desk/approvals?done="+d.Decision, http.StatusSeeOther)
	return nil
}

// approvalLinkPage is the data of a signed approval link's page.
type approvalLinkPage struct {
	Ticket   desk.Ticket
	Approver string
	Decision string
	// Action is the link itself, signature included, which the form
	// posts to.
	Action  string
	Reason  string
	Problem string
	Done    bool
}

// approvalLink checks a signed approval link and reads its request.
func (u *UI) approvalLink(r *http.Request) (*portal.Store, *approvalLinkPage, error) {
	s, err := u.portalStore()
	if err != nil {
		return nil, nil, err
	}
	if u.deps.Links == nil {
		return nil, nil, errPageNotFound
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	approver, decision := r.PathValue("approver"), r.PathValue("decision")
	if decision != portal.Approve && decision != portal.Reject {
		return nil, nil, errPageNotFound
	}
	q := r.URL.Query()
	if err := u.deps.Links.Check(q, portal.ApprovalSubject(id, approver), decision, u.now()); err != nil {
		return nil, nil, errForbidden(capitalise(signed.ErrInvalid.Error()) + ". Sign in and decide on the approvals page instead.")
	}
	d, err := s.Desk.Get(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	return s, &approvalLinkPage{Ticket: d.Ticket, Approver: approver, Decision: decision,
		Action: portal.ApprovalPath(id, approver, decision) + "?" + url.Values{"exp": {q.Get("exp")}, "sig": {q.Get("sig")}}.Encode()}, nil
}

// confirmApprovalLink shows what the link will do; only the form's POST
// decides, so that a mail scanner opening the link changes nothing.
func (u *UI) confirmApprovalLink(w http.ResponseWriter, r *http.Request) error {
	_, p, err := u.approvalLink(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "portal_approval.html", "Approval", p)
	return nil
}

func (u *UI) approvalLinkAction(w http.ResponseWriter, r *http.Request) error {
	s, p, err := u.approvalLink(r)
	if err != nil {
		return err
	}
	p.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	_, err = s.Decide(r.Context(), "link:"+p.Approver, p.Ticket.ID, p.Approver, portal.ViaLink, portal.Decision{Decision: p.Decision, Reason: p.Reason})
	status := http.StatusOK
	switch {
	case err == nil:
		p.Done = true
	case isInvalid(err):
		var inv *apperr.Invalid
		errors.As(err, &inv)
		p.Problem, status = inv.Fields[0].Msg, http.StatusUnprocessableEntity
	case errors.Is(err, apperr.ErrConflict):
		p.Problem, status = capitalise(userMessage(err, apperr.ErrConflict))+".", http.StatusConflict
	default:
		return err
	}
	u.render(w, r, status, "portal_approval.html", "Approval", p)
	return nil
}

// kbPage is the data of the knowledge base's pages: the list, and the
// form of a new or existing article.
type kbPage struct {
	formProblems
	Articles []portal.Article
	Next     string
	ID       int64
	In       portal.ArticleInput
	Services []option
	Done     string
}

func (p *kbPage) template() string {
	if p.ID > 0 {
		return "desk_kb_form.html"
	}
	return "desk_kb.html"
}
func (p *kbPage) pageTitle() string { return "Knowledge base" }
func (p *kbPage) setProblems(fields []apperr.Field) {
	p.reset()
	labels := map[string]string{"title": "Title", "body": "Text", "service": "Service"}
	for _, f := range fields {
		_, known := labels[f.Path]
		p.add(f.Path, labels[f.Path], f.Msg, known)
	}
}

func (u *UI) kbPage(r *http.Request) (*portal.Store, *kbPage, error) {
	s, err := u.portalStore()
	if err != nil {
		return nil, nil, err
	}
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return nil, nil, err
	}
	p := &kbPage{Services: []option{{Value: "", Label: "every service"}}}
	for _, svc := range cat.Services {
		p.Services = append(p.Services, option{Value: svc.Name, Label: svc.Name})
	}
	return s, p, nil
}

func (u *UI) listArticles(w http.ResponseWriter, r *http.Request) error {
	s, p, err := u.kbPage(r)
	if err != nil {
		return err
	}
	if p.Articles, p.Next, err = s.Articles(r.Context(), portal.ArticleFilter{}, store.Page{Cursor: r.URL.Query().Get("cursor")}); err != nil {
		return err
	}
	p.Done = r.URL.Query().Get("done")
	p.Services = choose(p.Services, "")
	u.render(w, r, http.StatusOK, p.template(), p.pageTitle(), p)
	return nil
}

func articleForm(r *http.Request) portal.ArticleInput {
	return portal.ArticleInput{Title: strings.TrimSpace(r.PostFormValue("title")), Body: strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"),
		Service: r.PostFormValue("service"), Published: r.PostFormValue("published") == "on"}
}

func (u *UI) createArticle(w http.ResponseWriter, r *http.Request) error {
	s, p, err := u.kbPage(r)
	if err != nil {
		return err
	}
	p.In = articleForm(r)
	p.Services = choose(p.Services, p.In.Service)
	if _, err := s.CreateArticle(r.Context(), principal(r).Actor(), p.In); err != nil {
		if isInvalid(err) {
			p.Articles, _, _ = s.Articles(r.Context(), portal.ArticleFilter{}, store.Page{})
			return &formError{err: err, form: p}
		}
		return err
	}
	http.Redirect(w, r, "/desk/kb?done=created", http.StatusSeeOther)
	return nil
}

func (u *UI) editArticle(w http.ResponseWriter, r *http.Request) error {
	s, p, err := u.kbPage(r)
	if err != nil {
		return err
	}
	if p.ID, err = postmortemID(r, "id"); err != nil {
		return err
	}
	a, err := s.Article(r.Context(), p.ID, false)
	if err != nil {
		return err
	}
	p.In = portal.ArticleInput{Title: a.Title, Body: a.Body, Service: a.Service, Published: a.Published}
	p.Services = choose(p.Services, a.Service)
	u.render(w, r, http.StatusOK, p.template(), a.Title, p)
	return nil
}

func (u *UI) updateArticle(w http.ResponseWriter, r *http.Request) error {
	s, p, err := u.kbPage(r)
	if err != nil {
		return err
	}
	if p.ID, err = postmortemID(r, "id"); err != nil {
		return err
	}
	p.In = articleForm(r)
	p.Services = choose(p.Services, p.In.Service)
	if _, err := s.UpdateArticle(r.Context(), principal(r).Actor(), p.ID, p.In); err != nil {
		if isInvalid(err) {
			return &formError{err: err, form: p}
		}
		return err
	}
	http.Redirect(w, r, "/desk/kb?done=saved", http.StatusSeeOther)
	return nil
}

func (u *UI) deleteArticle(w http.ResponseWriter, r *http.Request) error {
	s, err := u.portalStore()
	if err != nil {
		return err
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return err
	}
	if err := s.DeleteArticle(r.Context(), principal(r).Actor(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/desk/kb?done=deleted", http.StatusSeeOther)
	return nil
}
