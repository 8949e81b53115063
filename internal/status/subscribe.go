package status

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// Subscriptions is what the page's subscribe form and the links in
// subscribers' mail need. Subscribe answers nil for any well-formed
// address, subscribed or not, so the form's answer tells nothing about
// who is subscribed; a link whose signature is wrong is an
// apperr.ErrNotFound, like an unknown one.
type Subscriptions interface {
	Enabled() bool
	Subscribe(ctx context.Context, page, address, ip string) error
	Confirm(ctx context.Context, page string, id int64, sig string) error
	CheckUnsubscribe(ctx context.Context, page string, id int64, sig string) error
	Unsubscribe(ctx context.Context, page string, id int64, sig string) error
}

// ErrTooManyRequests is the answer of Subscribe and of Ratings.Rate to a
// sender over its limit of requests: the form says to come back later.
var ErrTooManyRequests = errors.New("too many requests from this address")

// subscribeView is the data of the subscription pages: the answer to the
// form, a confirmation, the unsubscribe button and its outcome.
type subscribeView struct {
	Title, Path, CSS string
	// State is "sent", "invalid", "busy", "confirmed", "ask" or "unsubscribed".
	State   string
	Email   string
	Problem string
	Action  string // the unsubscribe form's action
}

func (h *Handler) subscribeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /status/{page}/subscribe", h.subscribe)
	mux.HandleFunc("GET /status/{page}/subscription/{id}/confirm", h.confirmSubscription)
	mux.HandleFunc("GET /status/{page}/subscription/{id}/unsubscribe", h.askUnsubscribe)
	mux.HandleFunc("POST /status/{page}/subscription/{id}/unsubscribe", h.unsubscribe)
}

// subscriptionPage finds the page and the subscription id of a request,
// answering 404 as for any unknown page when either is wrong.
func (h *Handler) subscriptionPage(w http.ResponseWriter, r *http.Request, withID bool) (*Page, int64, bool) {
	p, ok := h.page(r.PathValue("page"))
	// Without mail settings the form is not shown and takes nothing; the
	// links already sent keep working, so nobody is left unable to
	// unsubscribe.
	if !ok || h.opts.Subscriptions == nil || (!withID && !h.opts.Subscriptions.Enabled()) {
		notFound(w)
		return nil, 0, false
	}
	var id int64
	if withID {
		var err error
		if id, err = strconv.ParseInt(r.PathValue("id"), 10, 64); err != nil || id <= 0 {
			notFound(w)
			return nil, 0, false
		}
	}
	return p, id, true
}

func (h *Handler) renderSubscribe(w http.ResponseWriter, r *http.Request, status int, p *Page, v subscribeView) {
	v.Title, v.Path, v.CSS = p.Title, "/status/"+p.Name, h.css.url
	h.renderAnswer(w, r, status, "subscribe", v)
}

// renderAnswer draws the page answering one of the public forms
// (subscribe, rate), never cached.
func (h *Handler) renderAnswer(w http.ResponseWriter, r *http.Request, status int, name string, v any) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, v); err != nil {
		h.log.ErrorContext(r.Context(), "status: render answer page", "page", name, "err", err)
		http.Error(w, "The page could not be drawn.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// subscribe takes the form. The answer is the same page whether the
// address was new, pending, confirmed or over its limit; only a malformed
// address is told so.
func (h *Handler) subscribe(w http.ResponseWriter, r *http.Request) {
	p, _, ok := h.subscriptionPage(w, r, false)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	email := r.PostFormValue("email")
	err := h.opts.Subscriptions.Subscribe(r.Context(), p.Name, email, remoteIP(r))
	var inv *apperr.Invalid
	switch {
	case errors.Is(err, ErrTooManyRequests):
		w.Header().Set("Retry-After", "3600")
		h.renderSubscribe(w, r, http.StatusTooManyRequests, p, subscribeView{State: "busy", Email: email})
	case errors.As(err, &inv):
		h.renderSubscribe(w, r, http.StatusBadRequest, p, subscribeView{State: "invalid", Email: email, Problem: inv.Fields[0].Msg})
	case err != nil:
		h.log.ErrorContext(r.Context(), "status: subscribe", "page", p.Name, "err", err)
		http.Error(w, "The subscription could not be recorded; try again later.", http.StatusInternalServerError)
	default:
		h.renderSubscribe(w, r, http.StatusOK, p, subscribeView{State: "sent", Email: email})
	}
}

func (h *Handler) linkFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, apperr.ErrNotFound) {
		notFound(w)
		return
	}
	h.log.ErrorContext(r.Context(), "status: subscription link", "err", err)
	http.Error(w, "The request could not be completed; try again later.", http.StatusInternalServerError)
}

func (h *Handler) confirmSubscription(w http.ResponseWriter, r *http.Request) {
	p, id, ok := h.subscriptionPage(w, r, true)
	if !ok {
		return
	}
	if err := h.opts.Subscriptions.Confirm(r.Context(), p.Name, id, r.URL.Query().Get("sig")); err != nil {
		h.linkFailed(w, r, err)
		return
	}
	h.renderSubscribe(w, r, http.StatusOK, p, subscribeView{State: "confirmed"})
}

// askUnsubscribe shows a button rather than unsubscribing on GET, since
// mail scanners open links; mail clients use the one-click POST
// (List-Unsubscribe-Post), which needs no page.
func (h *Handler) askUnsubscribe(w http.ResponseWriter, r *http.Request) {
	p, id, ok := h.subscriptionPage(w, r, true)
	if !ok {
		return
	}
	sig := r.URL.Query().Get("sig")
	if err := h.opts.Subscriptions.CheckUnsubscribe(r.Context(), p.Name, id, sig); err != nil {
		h.linkFailed(w, r, err)
		return
	}
	h.renderSubscribe(w, r, http.StatusOK, p, subscribeView{State: "ask", Action: r.URL.Path + "?sig=" + sig})
}

func (h *Handler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	p, id, ok := h.subscriptionPage(w, r, true)
	if !ok {
		return
	}
	if err := h.opts.Subscriptions.Unsubscribe(r.Context(), p.Name, id, r.URL.Query().Get("sig")); err != nil {
		h.linkFailed(w, r, err)
		return
	}
	h.renderSubscribe(w, r, http.StatusOK, p, subscribeView{State: "unsubscribed"})
}

// remoteIP is the address subscribe requests are counted against: the
// connection's peer (behind a reverse proxy, the proxy), as for logins.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
