package status

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// Ratings takes the ratings visitors give the services a page lists,
// without signing in. Rate answers ErrTooManyRequests to an address over
// its hourly limit and an *apperr.Invalid naming the field for a bad
// score or comment.
type Ratings interface {
	// Public says whether visitors of p may rate its services.
	Public(p *Page) bool
	Rate(ctx context.Context, page, service string, score int, comment, ip string) error
}

// feedbackView is the data of the rating form and of its answer page.
type feedbackView struct {
	Title, Path, CSS string
	// Services are the page's services that may be rated, by name with
	// the page's name for each.
	Services []serviceChoice
	// State is "" (the form on the page), "thanks", "invalid" or "busy".
	State   string
	Service string
	Score   int
	Comment string
	Problem string
	Field   string // the field the problem is about
}

type serviceChoice struct{ Name, Display string }

func (h *Handler) feedbackRoutes(mux *http.ServeMux) {
	// A browser's cross-site POST (another site's form aimed at a visitor)
	// is refused: there is no session to protect, but the limit per IP
	// and the ratings are the visitor's, not another site's to spend.
	cop := http.NewCrossOriginProtection()
	mux.Handle("POST /status/{page}/feedback", cop.Handler(http.HandlerFunc(h.rate)))
}

// feedbackFor returns the rating form of p, nil when its visitors may not rate.
func (h *Handler) feedbackFor(p *Page, display map[string]string) *feedbackView {
	if h.opts.Ratings == nil || !h.opts.Ratings.Public(p) {
		return nil
	}
	v := &feedbackView{Path: "/status/" + p.Name}
	for _, name := range p.Services() {
		if d, ok := display[name]; ok {
			v.Services = append(v.Services, serviceChoice{Name: name, Display: d})
		}
	}
	if len(v.Services) == 0 {
		return nil
	}
	return v
}

func (h *Handler) rate(w http.ResponseWriter, r *http.Request) {
	p, ok := h.page(r.PathValue("page"))
	if !ok || h.opts.Ratings == nil || !h.opts.Ratings.Public(p) {
		notFound(w)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	service := r.PostFormValue("service")
	listed := false
	for _, s := range p.Services() {
		listed = listed || s == service
	}
	c, err := h.cachedView(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if c.view.Feedback == nil {
		notFound(w)
		return
	}
	v := *c.view.Feedback
	v.Service, v.Comment = service, r.PostFormValue("comment")
	score, convErr := strconv.Atoi(strings.TrimSpace(r.PostFormValue("score")))
	v.Score = score
	switch {
	case !listed:
		// A service the page does not list is answered like any mistake,
		// so private names cannot be probed.
		v.State, v.Field, v.Problem = "invalid", "service", "choose one of the services on this page"
		h.renderFeedback(w, r, http.StatusBadRequest, p, v)
		return
	case convErr != nil:
		v.State, v.Field, v.Problem = "invalid", "score", "choose a score from 1 to 5"
		h.renderFeedback(w, r, http.StatusBadRequest, p, v)
		return
	}
	err = h.opts.Ratings.Rate(r.Context(), p.Name, service, score, v.Comment, remoteIP(r))
	var inv *apperr.Invalid
	switch {
	case errors.Is(err, ErrTooManyRequests):
		w.Header().Set("Retry-After", "3600")
		v.State = "busy"
		h.renderFeedback(w, r, http.StatusTooManyRequests, p, v)
	case errors.As(err, &inv):
		v.State, v.Field, v.Problem = "invalid", inv.Fields[0].Path, inv.Fields[0].Msg
		h.renderFeedback(w, r, http.StatusBadRequest, p, v)
	case err != nil:
		h.fail(w, r, err)
	default:
		v.State = "thanks"
		h.renderFeedback(w, r, http.StatusOK, p, v)
	}
}

func (h *Handler) renderFeedback(w http.ResponseWriter, r *http.Request, status int, p *Page, v feedbackView) {
	v.Title, v.CSS = p.Title, h.css.url
	h.renderAnswer(w, r, status, "feedback", v)
}
