package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/kpi"
)

//go:embed templates
var templateFS embed.FS

// pageTemplate is one page's template set: the layout, the shared partials
// and the page's own blocks.
type pageTemplate struct {
	t *template.Template
}

// layoutData is what the layout needs around every page.
type layoutData struct {
	Title   string
	Area    string // the navigation entry to mark as current
	User    *auth.Principal
	CanEdit bool
	// IsAdmin shows the Admin entry of the navigation.
	IsAdmin bool
	// Portal marks a requester, whose header leads to the portal and has
	// no agents' menus or search.
	Portal  bool
	CSRF    string
	Version string
	// StatusPage is the public status page's path, "" when there is none.
	StatusPage string
	// Menus is the main navigation as this user sees it.
	Menus []navMenu
	// Zone is the time zone the viewer chose in their profile, "" for
	// none: the pages' script then uses the browser's.
	Zone string
	// Live, when set, makes the page re-fetch itself as things change.
	Live *livePage
	Page any
}

// livePage is what the layout tells the pages' script: which address to
// re-fetch and which kinds of event change the page.
type livePage struct {
	URL     string
	On      string
	Seconds int
}

// livePages are the pages (besides the dashboard, which has its own
// fragment) that refresh their marked parts when the server says that
// something of these kinds changed.
var livePages = map[string]string{
	"incident.html":  "incident",
	"incidents.html": "incident",
	"check.html":     "check",
	"service.html":   "service incident check",
}

// parseTemplates parses every page with the shared funcs; money formats
// amounts in the configured currency, asked at each use so that a reload
// takes effect on the next page; now is the clock relative times count
// from.
func parseTemplates(a *assets, money func(float64) string, now func() time.Time) (map[string]*pageTemplate, error) {
	funcs := template.FuncMap{
		"asset":      a.url,
		"fid":        fieldID,
		"datetime":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"readable":   func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"readsec":    func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04:05 UTC") },
		"clock":      func(t time.Time) string { return t.UTC().Format("15:04:05") },
		"local":      localSpan,
		"utcspan":    utcSpan,
		"sameday":    func(a, b time.Time) bool { return a.UTC().Format(time.DateOnly) == b.UTC().Format(time.DateOnly) },
		"exact":      func(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006 15:04:05 UTC") },
		"ago":        func(t time.Time) string { return ago(t, now()) },
		"path":       fieldPath,
		"add":        func(a, b int) int { return a + b },
		"list":       func(s ...string) []string { return s },
		"percent":    percent,
		"seconds":    seconds,
		"deref":      func(f *float64) float64 { return *f },
		"money":      money,
		"fixed2":     func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
		"rate":       availability.FormatRate,
		"ms":         ms,
		"msptr":      msPtr,
		"dur":        fmtDuration,
		"ms1":        func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
		"join":       strings.Join,
		"capitalise": capitalise,
		// The monthly report's figures, formatted by the kpi package as
		// in the PDF and the CSV.
		"kpiDuration":     kpi.DurationDisplay,
		"kpiTarget":       kpi.TargetDisplay,
		"kpiAvailability": kpi.AvailabilityDisplay,
		"kpiVerdict":      kpi.Verdict,
		"isTrue":          func(b *bool) bool { return b != nil && *b },
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*pageTemplate{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", base, err)
		}
		pages[base] = &pageTemplate{t: t}
	}
	return pages, nil
}

// render writes a whole page. It executes the template into a buffer first,
// so that a template error becomes a clean 500 rather than half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	pt, ok := u.pages[name]
	if !ok {
		u.log.ErrorContext(r.Context(), "web: no such template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	ld := layoutData{Title: title, Area: area(r.URL.Path), Version: u.deps.Version, Page: data}
	if u.deps.StatusPage != nil {
		ld.StatusPage = u.deps.StatusPage()
	}
	if p, ok := principalOf(r); ok {
		ld.User = &p
		ld.CSRF = p.CSRF
		ld.CanEdit = p.Role.Allows(auth.Operator)
		ld.IsAdmin = p.Role.Allows(auth.Admin)
		ld.Portal = !p.Role.Allows(auth.Viewer)
		ld.Menus = menus(p.Role, ld.Area)
		ld.Zone = viewerZone(r)
		// Only a page reached by GET can be fetched again; after a POST
		// the page shows the outcome of that form.
		if on, ok := livePages[name]; ok && r.Method == http.MethodGet {
			ld.Live = &livePage{URL: r.URL.RequestURI(), On: on, Seconds: 30}
		}
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout", ld); err != nil {
		u.log.ErrorContext(r.Context(), "web: render failed", "template", name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("The page could not be drawn. The problem has been logged.\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// money shows an amount as people read money: thousands separators, and
// the configured currency (two decimals and its code) when there is one.
func (u *UI) money(f float64) string {
	cur := ""
	if u.deps.Currency != nil {
		cur = u.deps.Currency()
	}
	return availability.FormatMoneyIn(f, cur)
}

// renderBlock writes one named template of a page's set without the
// layout: the parts of a page that its script fetches to refresh them.
func (u *UI) renderBlock(w http.ResponseWriter, r *http.Request, page, block string, data any) {
	pt, ok := u.pages[page]
	if !ok {
		u.log.ErrorContext(r.Context(), "web: no such template", "template", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, block, data); err != nil {
		u.log.ErrorContext(r.Context(), "web: render failed", "template", page, "block", block, "err", err)
		http.Error(w, "The figures could not be drawn. The problem has been logged.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// principalOf returns the signed-in user when the request carries one.
func principalOf(r *http.Request) (auth.Principal, bool) {
	p := principal(r)
	return p, p.Name != ""
}

// ago says how long ago (or how soon) t is from now as people say it
// ("just now", "3 min ago", "in 2 h"); beyond a day it gives the date and
// time in UTC, named, which the pages' script shows in the viewer's zone.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	past := d >= 0
	if !past {
		d = -d
	}
	var n string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		n = strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 24*time.Hour:
		n = strconv.Itoa(int(d/time.Hour)) + " h"
	default:
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	}
	if past {
		return n + " ago"
	}
	return "in " + n
}

// fieldID turns a field path into an HTML id: "depends_on[0].service"
// becomes "f-depends_on-0-service".
func fieldID(path string) string {
	if path == "" {
		return "f-form"
	}
	r := strings.NewReplacer("[", "-", "]", "", ".", "-")
	return "f-" + r.Replace(path)
}

// fieldPath builds a row field's path in templates: path "depends_on" 2
// "service" is "depends_on[2].service".
func fieldPath(list string, i int, field string) string {
	p := fmt.Sprintf("%s[%d]", list, i)
	if field != "" {
		p += "." + field
	}
	return p
}
