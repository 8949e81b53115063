// Package httpapi serves Sextant's REST API under /api/v1. Every route is
// declared once in a table that carries its method, path, required role and
// body types; the same table registers the handlers and generates the
// OpenAPI 3.1 document, so the document cannot drift from what is served.
package httpapi

import (
	"context"
	"errors"
	"github.com/sextant-ops/sextant/internal/capacity"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/override"
	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/postmortem"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/setup"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/subscribe"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// Param documents a path or query parameter.
type Param struct {
	Name        string
	In          string // "path" or "query"
	Description string
	Type        string // JSON schema type; "string" when empty
}

// Route is one API operation.
type Route struct {
	Method  string
	Path    string // Go 1.22 mux pattern, e.g. /api/v1/services/{name}
	Summary string
	// Description, when set, says more than the summary in the document:
	// what the answer carries beyond the obvious.
	Description string
	Tag         string
	// Role is the least role allowed; "" means no credentials are needed.
	Role auth.Role
	// KeyAuth marks a route authenticated by an integration's key in the
	// request (routing key or bearer token) rather than by a role.
	KeyAuth  bool
	Query    []Param
	Request  any // a value of the body type, for the document; nil for none
	Response any // a value of the answer type; nil for 204
	Status   int // the success status
	// RawRequest and RawResponse are the media types of a body or an
	// answer that is not JSON ("text/csv"), for the document.
	RawRequest, RawResponse string
	Handle                  func(w http.ResponseWriter, r *http.Request) error
}

// Reloader applies the config file again; the app implements it.
type Reloader interface {
	Reload(ctx context.Context, actor string) (catalog.Changes, error)
}

// Deps is what the API needs from the rest of the server.
type Deps struct {
	Log      *slog.Logger
	Auth     *auth.Service
	Catalog  *catalog.Store
	DB       *store.DB
	Outages  *timeline.Store
	Reporter *timeline.Reporter
	Checks   *monitor.Store
	Monitor  *monitor.Monitor
	// Incidents: the engine knows integrations, Ingest commits events,
	// Incidents answers reads and people's actions, Deliveries lists an
	// incident's notifications, KnownService guards against events for
	// services that are gone.
	Engine       *incident.Engine
	Ingest       *incident.Ingester
	Incidents    *incident.Store
	Deliveries   func(ctx context.Context, incidentID int64) (any, error)
	KnownService func(name string) bool
	// IngestMetrics counts events accepted and refused; nil counts nothing.
	IngestMetrics *incident.Metrics
	// On-call: the directory from the config file, the escalation of an
	// incident, and reassignment.
	OnCall     OnCall
	Escalation func(ctx context.Context, incidentID int64) (any, error)
	Reassigner Reassigner
	// Overrides keeps the schedule overrides made in the UI and the API.
	Overrides *override.Store
	// Subscribers keeps the status pages' subscribers; StatusPage says
	// whether the running config has a page of that name.
	Subscribers *subscribe.Store
	StatusPage  func(name string) bool
	Config      Reloader
	// Postmortems keeps post-mortems of resolved incidents; KnownErrors
	// keeps known errors and their workarounds. Without them those routes
	// answer 404.
	Postmortems *postmortem.Store
	KnownErrors *knownerror.Store
	// Changes keeps the changes reported on services.
	Changes *change.Store
	// CMDB keeps configuration items and their relations; without it
	// those routes answer 404.
	CMDB *cmdb.Store
	// Licences reports on the CMDB's licences and keeps their
	// assignments; without it the licence routes answer 404.
	Licences *cmdb.Licences
	// Desk keeps the service desk's tickets; without it the desk routes
	// answer 404.
	Desk *desk.Store
	// Portal serves requesters: their tickets, the request catalog,
	// approvals and the knowledge base; without it those routes answer
	// 404.
	Portal *portal.Store
	// Setup keeps the channels, integrations and escalation policies made
	// in the UI and API beside the config file's; without it policies are
	// listed from OnCall and the other setup routes must not be called.
	Setup *setup.Manager
	// Capacity keeps team capacity: profiles, time off, projects,
	// allocations; without it those routes answer 404.
	Capacity *capacity.Deps
	// Recovery keeps backup runs, restore tests, DR plans and drills;
	// without it the recovery routes answer 404.
	Recovery *recovery.Store
	// Feedback keeps satisfaction surveys and service ratings; without it
	// the feedback routes answer 404.
	Feedback *feedback.Store
	// Monthly builds KPIs and monthly reports from the stores as they are
	// at the call; nil answers those routes 404.
	Monthly func() *kpi.Monthly
	// PublicURL is how clients reach this server (for heartbeat ping
	// URLs); empty means the request's own scheme and host.
	PublicURL string
	Version   string
}

// API holds the route table.
type API struct {
	deps   Deps
	routes []Route
	limits limiters
	// validators check a body that did not decode whole, so that the
	// answer lists the problems of the fields that did decode too. They
	// are keyed by the body's pointer type and only report: the write
	// itself validates again inside its transaction.
	validators map[reflect.Type]func(r *http.Request, body any) error
}

// New builds the API and its route table.
func New(d Deps) *API {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	a := &API{deps: d}
	a.validators = a.bodyValidators()
	maps.Copy(a.validators, a.setupValidators())
	a.routes = append(a.routes, a.catalogRoutes()...)
	a.routes = append(a.routes, a.maintenanceRoutes()...)
	a.routes = append(a.routes, a.availabilityRoutes()...)
	a.routes = append(a.routes, a.recoveryRoutes()...)
	a.routes = append(a.routes, a.monitorRoutes()...)
	a.routes = append(a.routes, a.incidentRoutes()...)
	a.routes = append(a.routes, a.changeRoutes()...)
	a.routes = append(a.routes, a.changeRequestRoutes()...)
	a.routes = append(a.routes, a.postmortemRoutes()...)
	a.routes = append(a.routes, a.oncallRoutes()...)
	a.routes = append(a.routes, a.overrideRoutes()...)
	a.routes = append(a.routes, a.subscriberRoutes()...)
	a.routes = append(a.routes, a.adminRoutes()...)
	a.routes = append(a.routes, a.setupRoutes()...)
	a.routes = append(a.routes, a.searchRoutes()...)
	a.routes = append(a.routes, a.capacityRoutes()...)
	a.routes = append(a.routes, a.cmdbRoutes()...)
	a.routes = append(a.routes, a.cmdbFactsRoutes()...)
	a.routes = append(a.routes, a.licenceRoutes()...)
	a.routes = append(a.routes, a.deskRoutes()...)
	a.routes = append(a.routes, a.feedbackRoutes()...)
	a.routes = append(a.routes, a.kpiRoutes()...)
	a.routes = append(a.routes, a.portalRoutes()...)
	a.routes = append(a.routes, Route{Method: "GET", Path: "/api/v1/openapi.json", Summary: "This API's OpenAPI 3.1 document", Tag: "meta",
		Response: map[string]any{}, Status: 200, Handle: a.openAPI})
	return a
}

// Routes returns the route table, for tests that walk every route.
func (a *API) Routes() []Route { return a.routes }

// Register adds every route to mux, wrapped in authentication and the role
// check, and a JSON 404 for the rest of /api/.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes {
		mux.Handle(rt.Method+" "+rt.Path, a.wrap(rt))
	}
	// Unknown paths under the API and the ingest prefixes senders use
	// (PagerDuty's /v2/, generic webhooks) answer a JSON 404, never the
	// UI's redirect to its login page.
	for _, prefix := range []string{"/api/", "/v2/", "/generic/"} {
		mux.HandleFunc(prefix, func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, r, newProblem(http.StatusNotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path))
		})
	}
}

type principalKey struct{}

// PrincipalFrom returns the authenticated caller of a request.
func PrincipalFrom(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(auth.Principal)
	return p, ok
}

// WithPrincipal stores the caller in ctx.
func WithPrincipal(ctx context.Context, p auth.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// SessionCookie names the UI session cookie; the API accepts it too, with
// the session's CSRF token in an X-CSRF-Token header on unsafe methods.
const SessionCookie = "sextant_session"

// authenticate finds the caller from a bearer token or a session cookie.
func (a *API) authenticate(r *http.Request) (auth.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return auth.Principal{}, auth.ErrUnauthenticated
		}
		return a.deps.Auth.Bearer(r.Context(), strings.TrimSpace(token))
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	p, err := a.deps.Auth.Session(r.Context(), c.Value)
	if err != nil {
		return p, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Header.Get("X-CSRF-Token") != p.CSRF {
		return auth.Principal{}, &Problem{Type: "about:blank", Title: "Forbidden", Status: http.StatusForbidden, Detail: "a session-authenticated change needs the X-CSRF-Token header"}
	}
	return p, nil
}

func (a *API) wrap(rt Route) http.Handler {
	params := pathParams(rt.Path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if p := badBytes(r, params); p != nil {
			writeProblem(w, r, p)
			return
		}
		if rt.Role != "" {
			p, err := a.authenticate(r)
			if err != nil {
				writeProblem(w, r, toProblem(err, a.deps.Log, r))
				return
			}
			if !p.Role.Allows(rt.Role) {
				writeProblem(w, r, newProblem(http.StatusForbidden, "this needs the "+string(rt.Role)+" role; you have "+string(p.Role)))
				return
			}
			r = r.WithContext(WithPrincipal(r.Context(), p))
		}
		if err := rt.Handle(w, r); err != nil {
			writeProblem(w, r, toProblem(a.withValidation(r, err), a.deps.Log, r))
		}
	})
}

// withValidation completes the problems of a body that did not decode
// whole with those its validator finds in the rest, so that six mistakes
// are answered as six, whatever their kind.
func (a *API) withValidation(r *http.Request, err error) error {
	var body *bodyProblems
	if !errors.As(err, &body) {
		return err
	}
	if check, ok := a.validators[reflect.TypeOf(body.value)]; ok {
		body.fields = mergeProblems(body.fields, check(r, body.value))
	} else if v, ok := body.value.(interface{ Validate() error }); ok {
		body.fields = mergeProblems(body.fields, v.Validate())
	}
	return body
}

// bodyValidators lists the validators of the bodies whose check needs the
// stored state; a body type with a Validate method of its own (a new user,
// a known error, an action item) needs no entry. A replacing PUT takes the
// object's name from the URL when the body has none, as its handler does.
func (a *API) bodyValidators() map[reflect.Type]func(r *http.Request, body any) error {
	return map[reflect.Type]func(r *http.Request, body any) error{
		reflect.TypeFor[*catalog.Service](): func(r *http.Request, body any) error {
			s := *body.(*catalog.Service)
			if s.Name == "" {
				s.Name = r.PathValue("name")
			}
			return a.deps.Catalog.ValidateService(r.Context(), s)
		},
		reflect.TypeFor[*catalog.Calendar](): func(r *http.Request, body any) error {
			c := *body.(*catalog.Calendar)
			if c.Name == "" {
				c.Name = r.PathValue("name")
			}
			if c.Name == "" {
				return &apperr.Invalid{Fields: []apperr.Field{{Path: "name", Msg: "is required"}}}
			}
			return a.deps.Catalog.ValidateCalendar(r.Context(), c)
		},
		reflect.TypeFor[*override.Input](): func(r *http.Request, body any) error {
			return override.Validate(*body.(*override.Input), a.knownPerson, a.deps.Overrides.Now())
		},
		reflect.TypeFor[*monitor.Check](): func(r *http.Request, body any) error {
			c := *body.(*monitor.Check)
			if c.Name == "" {
				c.Name = r.PathValue("name")
			}
			return a.deps.Checks.Validate(r.Context(), c)
		},
	}
}

// pathParams lists the wildcards of a mux pattern: "name" and "id" for
// /api/v1/services/{name}/outages/{id}.
func pathParams(pattern string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(pattern, "{")
		if !ok {
			return out
		}
		name, after, _ := strings.Cut(rest, "}")
		if name = strings.TrimSuffix(name, "..."); name != "$" {
			out = append(out, name)
		}
		pattern = after
	}
}

// badBytes refuses, before authentication and before any handler, a path
// or query value holding a NUL byte or invalid UTF-8: no stored object has
// such a name or key, and PostgreSQL would refuse it as an internal error.
// Every such parameter is named in one 400, whatever the route.
func badBytes(r *http.Request, params []string) *Problem {
	var fields []ProblemField
	for _, name := range params {
		if why := apperr.BadText(r.PathValue(name)); why != "" {
			fields = append(fields, ProblemField{Parameter: name, Detail: "the path value " + why})
		}
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if why := apperr.BadText(name); why != "" {
			fields = append(fields, ProblemField{Parameter: strings.ToValidUTF8(name, "\ufffd"), Detail: "the parameter's name " + why})
			continue
		}
		for _, v := range q[name] {
			if why := apperr.BadText(v); why != "" {
				fields = append(fields, ProblemField{Parameter: name, Detail: "the value " + why})
				break
			}
		}
	}
	if len(fields) == 0 {
		return nil
	}
	p := newProblem(http.StatusBadRequest, "the request has an invalid parameter")
	if len(fields) > 1 {
		p.Detail = "the request has invalid parameters"
	}
	p.Type, p.Errors = TypeValidation, fields
	return p
}

// Require wraps a handler outside the API (such as /metrics) in the same
// authentication and role check as the API's routes.
func (a *API) Require(role auth.Role, h http.Handler) http.Handler {
	return a.wrap(Route{Role: role, Handle: func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	}})
}

// actor names the caller for the audit log.
func actor(r *http.Request) string {
	if p, ok := PrincipalFrom(r.Context()); ok {
		return p.Actor()
	}
	return "anonymous"
}

// List is the envelope of every list answer.
type List[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
}

func list[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	l := List[T]{Items: items}
	if next != "" {
		l.Next = &next
	}
	return l
}

// writePaged answers one page of a list the server holds whole (ordered,
// with unique keys): the items after the cursor's key, at most limit, and
// the next cursor.
func writePaged[T any](w http.ResponseWriter, r *http.Request, items []T, key func(T) string) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	after, err := pg.After()
	if err != nil {
		return badParam("cursor", "%v", err)
	}
	start := 0
	if after != "" {
		start = -1
		for i, it := range items {
			if key(it) == after {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return badParam("cursor", "%v", store.ErrBadCursor)
		}
	}
	rest := items[start:]
	next := ""
	if n := pg.Size(); len(rest) > n {
		rest = rest[:n]
		next = store.Cursor(key(rest[n-1]))
	}
	writeJSON(w, http.StatusOK, list(rest, next))
	return nil
}

// pageParams documents limit and cursor.
var pageParams = []Param{
	{Name: "limit", In: "query", Type: "integer", Description: "items per page, 1 to 1000 (default 100)"},
	{Name: "cursor", In: "query", Description: "the next value of the previous page"},
}

// page reads limit and cursor.
func page(r *http.Request) (store.Page, error) {
	p := store.Page{Cursor: r.URL.Query().Get("cursor")}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxLimit {
			return p, badParam("limit", "must be a whole number from 1 to %d, got %q", store.MaxLimit, s)
		}
		p.Limit = n
	}
	return p, nil
}
