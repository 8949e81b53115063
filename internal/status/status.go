// Package status serves Sextant's public face: status pages, their Atom
// and RSS feeds, and SVG badges for READMEs and wikis. Everything here is
// served without signing in, so it shows only the services a status page
// lists; a service on no page is answered exactly like one that does not
// exist.
package status

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// cacheFor is how long a rendered page, the data behind its feeds and the
// availability snapshot behind badges are reused. These routes are public:
// without it, a flood of anonymous requests would each read the whole
// catalog and every outage from the database. Ten seconds is short enough
// that the page still reads as live.
const cacheFor = 10 * time.Second

// Incidents is what the status page reads of incidents; *incident.Store
// has it.
type Incidents interface {
	List(ctx context.Context, f incident.Filter, page store.Page) ([]incident.Incident, string, error)
	Get(ctx context.Context, id int64) (incident.Incident, []incident.LogEntry, error)
}

// Options are what a Handler needs.
type Options struct {
	Reporter  *timeline.Reporter
	Incidents Incidents
	// Pages returns the status pages of the running config; it is called
	// per request, so a reload takes effect at once.
	Pages func() []Page
	// PublicURL is how readers reach the server, for the absolute links
	// feeds need; empty means the scheme and host of each request.
	PublicURL string
	Log       *slog.Logger
	// Now is the cache's clock; nil means time.Now.
	Now func() time.Time
	// Subscriptions keeps the pages' e-mail subscribers; nil shows no
	// subscribe form.
	Subscriptions Subscriptions
	// Ratings takes visitors' ratings of services; nil shows no form.
	Ratings Ratings
}

// Handler serves the public routes.
type Handler struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	tmpl   *template.Template
	css    asset
	mux    *http.ServeMux
	mu     sync.Mutex // guards what follows, and serialises building views
	views  map[string]*cached
	snap   *timeline.Snapshot
	snapAt time.Time
}

// cached is one page's view and rendered HTML. src is the page it was
// built from: after a reload that changed the page (a service made private,
// say), the cache is not used.
type cached struct {
	at   time.Time
	src  Page
	view *pageView
	html []byte
}

// New parses the templates and fingerprints the style sheet, so that a
// broken template stops the server at start.
func New(o Options) (*Handler, error) {
	if o.Reporter == nil || o.Incidents == nil || o.Pages == nil {
		return nil, errors.New("status: Reporter, Incidents and Pages are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &Handler{opts: o, log: o.Log, now: o.Now, views: map[string]*cached{}}
	var err error
	if h.css, err = loadCSS(); err != nil {
		return nil, err
	}
	if h.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", h.first)
	mux.HandleFunc("GET /status/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/status", http.StatusMovedPermanently)
	})
	// The style sheet's URL carries its hash and so never changes content;
	// page names cannot hold a dot, so it never shadows a page.
	mux.HandleFunc("GET "+h.css.url, h.css.serve)
	mux.HandleFunc("GET /status/{page}", h.named)
	mux.HandleFunc("GET /status/{page}/feed.atom", h.feed(atomFeed))
	mux.HandleFunc("GET /status/{page}/feed.rss", h.feed(rssFeed))
	mux.HandleFunc("GET /badge/{service}/status.svg", h.badge(stateBadge))
	mux.HandleFunc("GET /badge/{service}/availability.svg", h.badge(availabilityBadge))
	h.subscribeRoutes(mux)
	h.feedbackRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { notFound(w) })
	h.mux = mux
	return h, nil
}

// Register adds the public routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, p := range []string{"/status", "/status/", "/badge/"} {
		mux.Handle(p, h)
	}
}

// ServeHTTP serves the public routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// notFound is the one answer for an unknown page, an unknown service and a
// private one, byte for byte, so that names cannot be probed.
func notFound(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Cache-Control", "public, max-age=60")
	hd.Set("Content-Length", "10")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("not found\n"))
}

// fail answers a failure without its internal text, which goes to the log.
// A client that went away is no server fault and is not logged as one.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.ClientGone(r.Context(), err) {
		h.log.DebugContext(r.Context(), "status: request canceled by the client", "path", r.URL.Path)
	} else {
		h.log.ErrorContext(r.Context(), "status: request failed", "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte("The status page is unavailable right now. The problem has been logged.\n"))
}

// page finds a configured page by name; "" is the first.
func (h *Handler) page(name string) (*Page, bool) {
	pages := h.opts.Pages()
	if len(pages) == 0 {
		return nil, false
	}
	if name == "" {
		return &pages[0], true
	}
	for i := range pages {
		if pages[i].Name == name {
			return &pages[i], true
		}
	}
	return nil, false
}

// public says whether a service is on some page.
func (h *Handler) public(service string) bool {
	for _, p := range h.opts.Pages() {
		for _, g := range p.Groups {
			for _, s := range g.Services {
				if s == service {
					return true
				}
			}
		}
	}
	return false
}

func (h *Handler) first(w http.ResponseWriter, r *http.Request) { h.serve(w, r, "") }

func (h *Handler) named(w http.ResponseWriter, r *http.Request) { h.serve(w, r, r.PathValue("page")) }

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, name string) {
	p, ok := h.page(name)
	if !ok {
		notFound(w)
		return
	}
	c, err := h.cachedView(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "public, max-age=10")
	hd.Set("Content-Length", strconv.Itoa(len(c.html)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(c.html)
	}
}

// cachedView returns the page's view and HTML, building them when the
// cached ones are older than cacheFor or were built from another config.
// Building holds the lock, so a burst of requests on a cold cache reads the
// database once, not once per request.
func (h *Handler) cachedView(ctx context.Context, p *Page) (*cached, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if c, ok := h.views[p.Name]; ok && reflect.DeepEqual(c.src, *p) && now.Sub(c.at) < cacheFor && !now.Before(c.at) {
		return c, nil
	}
	snap, err := h.snapshotLocked(ctx, now)
	if err != nil {
		return nil, err
	}
	v, err := h.buildView(ctx, snap, p, h.isFirst(p))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, "page", v); err != nil {
		return nil, fmt.Errorf("status: render %s: %w", p.Name, err)
	}
	c := &cached{at: now, src: *p, view: v, html: buf.Bytes()}
	h.views[p.Name] = c
	return c, nil
}

func (h *Handler) isFirst(p *Page) bool {
	pages := h.opts.Pages()
	return len(pages) > 0 && pages[0].Name == p.Name
}

// snapshotLocked returns an availability snapshot at most cacheFor old.
// A snapshot memoises timelines as it is asked for them, so it is only
// used with h.mu held.
func (h *Handler) snapshotLocked(ctx context.Context, now time.Time) (*timeline.Snapshot, error) {
	if h.snap != nil && now.Sub(h.snapAt) < cacheFor && !now.Before(h.snapAt) {
		return h.snap, nil
	}
	s, err := h.opts.Reporter.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	h.snap, h.snapAt = s, now
	return s, nil
}

// baseURL is the server's address for absolute links in feeds.
func (h *Handler) baseURL(r *http.Request) string {
	if h.opts.PublicURL != "" {
		return trimSlash(h.opts.PublicURL)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
