// Package web serves Sextant's server-rendered user interface: HTML pages
// built with html/template, a small embedded style sheet, and plain HTML
// forms that work without JavaScript. It authenticates with the same
// sessions as the API (the httpapi.SessionCookie cookie) and changes the
// catalog only through catalog.Store and incidents only through
// incident.Store, so the UI and the API validate alike.
package web

import (
	"context"
	"errors"
	"github.com/sextant-ops/sextant/internal/capacity"
	"github.com/sextant-ops/sextant/internal/kpi"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/live"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/override"
	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/postmortem"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/setup"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/sso"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// Deps is what the UI needs from the rest of the server.
type Deps struct {
	Log     *slog.Logger
	Auth    *auth.Service
	Catalog *catalog.Store
	// Outages and Reports give the service pages their availability.
	Outages *timeline.Store
	Reports *timeline.Reporter
	// Monitor gives the check pages their states and results; Checks
	// stores the checks the UI creates, edits and deletes.
	Monitor *monitor.Monitor
	Checks  *monitor.Store
	// Incidents lists incidents and takes people's actions on them; Signer
	// checks the signed action links sent in notifications; Deliveries
	// lists the notifications sent about an incident.
	Incidents  *incident.Store
	Signer     *incident.Signer
	Deliveries func(ctx context.Context, incidentID int64) ([]notify.Delivery, error)
	// Postmortems and KnownErrors back the post-mortem and known-error
	// pages and the incident page's workaround box; without them those
	// pages are not found.
	Postmortems *postmortem.Store
	// Desk keeps the service desk's tickets; without it the desk pages
	// answer 404.
	Desk *desk.Store
	// Portal serves requesters (/portal), the approvals and the knowledge
	// base; without it those pages answer 404.
	Portal *portal.Store
	// Links checks the signed links sent by mail other than incidents':
	// request and change approvals.
	Links *signed.Signer
	// SurveyLink, when set, returns the satisfaction survey's address for
	// a resolved ticket ("" for none); the portal's ticket page links to
	// it as "Rate this". Nil shows no link.
	SurveyLink  func(ticketID int64) string
	KnownErrors *knownerror.Store
	// CMDB backs the configuration item pages; without it they are not
	// found.
	CMDB *cmdb.Store
	// Licences backs the licence pages and the licence figures on a
	// licence's page; without it they are not shown.
	Licences *cmdb.Licences
	// OnCall is the on-call directory (people, schedules, escalation
	// policies) behind the on-call pages; without it they show none.
	OnCall OnCall
	// Reachable says whether a person has a working contact method (a
	// channel the server built for them); nil counts any contact.
	Reachable func(user string) bool
	// Overrides keeps the schedule overrides made on the schedule pages;
	// without it those pages offer none.
	Overrides *override.Store
	// Escalation returns where an incident's escalation stands (false when
	// it has none); Reassign hands an open incident to a person, who is
	// notified at once. Without them the incident page has no escalation
	// box and no reassign form.
	Escalation func(ctx context.Context, incidentID int64) (escalation.State, bool, error)
	Reassign   func(ctx context.Context, incidentID int64, user, actor string) error
	// Setup keeps the channels, integrations and escalation policies made
	// in the UI beside the config file's; without it their pages are not
	// found.
	Setup *setup.Manager
	// Capacity backs the capacity planner and the project pages; without
	// it they are not found.
	Capacity *capacity.Deps
	// Changes keeps change requests; without it the change pages are not
	// found.
	Changes *change.Store
	// Recovery backs the Recovery pages and the backup boxes of the check
	// and service pages; without it they show none.
	Recovery *recovery.Store
	// Feedback keeps satisfaction surveys and service ratings: the survey
	// page of the mails' links and the service page's "What users say".
	Feedback *feedback.Store
	// Monthly builds the KPIs and monthly reports (the API's computation);
	// without it the report pages are not found.
	Monthly func() *kpi.Monthly
	// Audit lists the audit log, newest first, for the admin pages;
	// without it the audit page is not found.
	Audit func(ctx context.Context, f audit.Filter, p store.Page) ([]audit.Entry, string, error)
	// Now is the clock of the on-call pages; nil means time.Now.
	Now func() time.Time
	// DashboardRefresh is how often the dashboard's script re-fetches its
	// figures; zero means every 15 s (at least every second).
	DashboardRefresh time.Duration
	Version          string
	// PublicURL, when set, is how users reach the server (ping URLs).
	PublicURL string
	// StatusPage returns the public status page's path for the footer
	// ("" when none is configured); nil for none.
	StatusPage func() string
	// SSO returns the single sign-on provider, or nil when it is off (as
	// it is when SSO itself is nil); it is read per request, so a config
	// reload can change it.
	SSO func() *sso.Provider
	// SecureCookies sets the Secure flag on the session cookie (HTTPS deployments).
	SecureCookies bool
	// Live carries "something changed" events to the pages' event stream
	// (GET /events/stream); nil means no stream, and pages fall back to
	// refreshing themselves periodically.
	Live *live.Broker
	// Heartbeat is how often an idle event stream sends a comment; zero
	// means every 25 s.
	Heartbeat time.Duration
	// Currency returns the ISO 4217 code amounts of money are shown in
	// ("" or nil for plain numbers).
	Currency func() string
}

// UI is the web user interface. Register adds its routes to a mux.
type UI struct {
	deps    Deps
	log     *slog.Logger
	pages   map[string]*pageTemplate
	assets  *assets
	handler http.Handler
	// patterns are the patterns of every route, in registration order,
	// for the tests that walk them all.
	patterns []string
}

// routeMux is a ServeMux that keeps the patterns registered on it.
type routeMux struct {
	*http.ServeMux
	patterns *[]string
}

// Handle registers h and keeps its pattern.
func (m routeMux) Handle(pattern string, h http.Handler) {
	*m.patterns = append(*m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h and keeps its pattern.
func (m routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Patterns lists the UI's route patterns ("GET /portal/tickets/{id}").
func (u *UI) Patterns() []string { return slices.Clone(u.patterns) }

// New parses the templates and fingerprints the static files, so that a
// broken template stops the server at start rather than on first use.
func New(d Deps) (*UI, error) {
	if d.Auth == nil || d.Catalog == nil || d.Outages == nil || d.Reports == nil || d.Monitor == nil || d.Checks == nil ||
		d.Incidents == nil || d.Signer == nil || d.Deliveries == nil {
		return nil, errors.New("web: Auth, Catalog, Outages, Reports, Monitor, Checks, Incidents, Signer and Deliveries are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	u := &UI{deps: d, log: d.Log}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	u.assets = a
	if u.pages, err = parseTemplates(a, u.money, d.Now); err != nil {
		return nil, err
	}
	u.handler = u.refuseBadBytes(u.routes())
	return u, nil
}

// refuseBadBytes answers 400, naming each parameter or form field, for a
// request whose path, query or form holds a NUL byte or invalid UTF-8.
// No object has such a name and PostgreSQL cannot store such text, so it
// is a client's mistake, refused before any handler looks it up.
func (u *UI) refuseBadBytes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inv := &apperr.Invalid{}
		if why := apperr.BadText(r.URL.Path); why != "" {
			inv.Add("", "The address %s.", why)
		}
		check := func(what string, vals url.Values) {
			for _, name := range slices.Sorted(maps.Keys(vals)) {
				if why := apperr.BadText(name); why != "" {
					inv.Add("", "A %s name %s.", what, why)
					continue
				}
				for _, v := range vals[name] {
					if why := apperr.BadText(v); why != "" {
						inv.Add(name, "The %s value %s.", what, why)
						break
					}
				}
			}
		}
		q, _ := url.ParseQuery(r.URL.RawQuery)
		check("parameter", q)
		if r.Method == http.MethodPost && parseForm(w, r) == nil {
			check("form", r.PostForm)
		}
		if len(inv.Fields) > 0 {
			u.fail(w, r, inv)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maxUpload bounds a multipart form (a CSV import): its fields and
// files together.
const maxUpload = 16 << 20

// parseForm reads a POST's form, a multipart one (with a file) too, so
// that the CSRF check and the handlers see its fields.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
		return r.ParseMultipartForm(maxUpload)
	}
	return r.ParseForm()
}

// Register adds the UI's routes to mux. They all go through one handler,
// wrapped in cross-origin protection, so that a request the browser marks
// as cross-site never reaches a page that changes anything.
func (u *UI) Register(mux *http.ServeMux) {
	for _, p := range []string{"/", "/login", "/login/oidc", sso.CallbackPath, "/login/code", "/account/", "/logout", "/static/", "/dashboard/", "/incidents", "/incidents/", "/oncall", "/oncall/", "/services", "/services/", "/checks", "/checks/", "/calendars", "/calendars/",
		"/postmortems", "/postmortems/", "/known-errors", "/known-errors/", "/cis", "/cis/", "/licences", "/admin", "/admin/", "/events/", "/profile", "/search", "/desk", "/desk/", "/portal", "/portal/", "/approvals/", "/survey/"} {
		mux.Handle(p, u.handler)
	}
	mux.Handle("/maintenance", u.handler)
	mux.Handle("/maintenance/", u.handler)
}

// routes builds the UI's own mux.
func (u *UI) routes() http.Handler {
	mux := routeMux{ServeMux: http.NewServeMux(), patterns: &u.patterns}
	mux.HandleFunc("GET /static/{file}", u.assets.serve)
	mux.Handle("GET /login", u.public(u.loginForm))
	mux.Handle("POST /login", u.public(u.login))
	mux.Handle("POST /logout", u.public(u.logout))
	mux.Handle("GET /login/oidc", u.public(u.startSSO))
	mux.Handle("GET "+sso.CallbackPath, u.public(u.finishSSO))
	mux.Handle("GET /login/code", u.public(u.codeForm))
	mux.Handle("POST /login/code", u.public(u.loginCode))
	mux.Handle("GET "+twoFactorPath, u.enrolment(u.showTwoFactor))
	mux.Handle("POST "+twoFactorPath+"/start", u.enrolment(u.startTwoFactor))
	mux.Handle("GET "+twoFactorPath+"/setup", u.enrolment(u.showTwoFactorSetup))
	mux.Handle("POST "+twoFactorPath+"/setup", u.enrolment(u.confirmTwoFactor))
	mux.Handle("POST "+twoFactorPath+"/disable", u.enrolment(u.disableTwoFactor))

	// Signed links from notifications: whoever holds one may act without
	// signing in, so they need no session (the signature is checked inside).
	mux.Handle("GET /incidents/{id}/act/{action}", u.public(u.confirmLinkAction))
	mux.Handle("POST /incidents/{id}/act/{action}", u.public(u.linkAction))
	mux.Handle("GET /survey/{ticket}", u.public(u.showSurvey))
	mux.Handle("POST /survey/{ticket}", u.public(u.answerSurvey))

	mux.Handle("GET /changes/{id}/decide", u.public(u.showChangeDecision))
	mux.Handle("POST /changes/{id}/decide", u.public(u.takeChangeDecision))

	// Signed approval links from approval mails, likewise.
	mux.Handle("GET /approvals/{id}/{approver}/{decision}", u.public(u.confirmApprovalLink))
	mux.Handle("POST /approvals/{id}/{approver}/{decision}", u.public(u.approvalLinkAction))

	u.portalRoutes(mux)
	mux.Handle("GET /{$}", u.page(auth.Viewer, u.showDashboard))
	mux.Handle("GET /changes", u.page(auth.Viewer, u.listChangeRequests))
	mux.Handle("GET /changes/awaiting", u.page(auth.Viewer, u.awaitingChanges))
	mux.Handle("GET /changes/calendar", u.page(auth.Viewer, u.changeCalendar))
	mux.Handle("GET /changes/new", u.page(auth.Operator, u.newChangeRequest))
	mux.Handle("POST /changes/new", u.page(auth.Operator, u.createChangeRequest))
	mux.Handle("GET /changes/{id}", u.page(auth.Viewer, u.showChangeRequest))
	mux.Handle("POST /changes/{id}/status", u.page(auth.Operator, u.moveChangeRequest))
	mux.Handle("POST /changes/{id}/decision", u.page(auth.Viewer, u.decideChangeRequest))
	mux.Handle("POST /changes/{id}/incidents", u.page(auth.Operator, u.linkChangeIncident))
	mux.Handle("GET /dashboard/fragment", u.fragment(u.dashboardFragment))
	mux.Handle("GET /events/stream", u.fragment(u.eventStream))
	mux.Handle("GET /incidents", u.page(auth.Viewer, u.listIncidents))
	mux.Handle("GET /incidents/{id}", u.page(auth.Viewer, u.showIncident))
	mux.Handle("POST /incidents/bulk", u.page(auth.Operator, u.bulkIncidents))
	mux.Handle("POST /incidents/{id}/assign", u.page(auth.Operator, u.assignIncident))
	mux.Handle("POST /incidents/{id}/severity", u.page(auth.Operator, u.changeSeverity))
	mux.Handle("POST /incidents/{id}/snooze", u.page(auth.Operator, u.snoozeIncident))
	mux.Handle("POST /incidents/{id}/merge", u.page(auth.Operator, u.mergeIncident))
	mux.Handle("GET /search", u.page(auth.Viewer, u.search))
	mux.Handle("POST /incidents/{id}/reassign", u.page(auth.Operator, u.reassignIncident))
	mux.Handle("GET /oncall", u.page(auth.Viewer, u.showOnCall))
	mux.Handle("GET /oncall/schedules/{name}", u.page(auth.Viewer, u.showSchedule))
	mux.Handle("POST /oncall/schedules/{name}/calendar-secret", u.page(auth.Operator, u.createScheduleFeedSecret))
	mux.Handle("POST /oncall/schedules/{name}/overrides", u.page(auth.Operator, u.createOverride))
	mux.Handle("POST /oncall/schedules/{name}/overrides/{id}/delete", u.page(auth.Operator, u.deleteOverride))
	mux.Handle("POST /oncall/schedules/{name}/calendar-secret/revoke", u.page(auth.Operator, u.revokeScheduleFeedSecret))
	mux.Handle("POST /incidents/{id}/postmortem", u.page(auth.Operator, u.startPostmortem))
	mux.Handle("GET /postmortems", u.page(auth.Viewer, u.listPostmortems))
	mux.Handle("GET /postmortems/{id}", u.page(auth.Viewer, u.showPostmortem))
	mux.Handle("POST /postmortems/{id}", u.page(auth.Operator, u.savePostmortem))
	mux.Handle("POST /postmortems/{id}/status", u.page(auth.Operator, u.movePostmortem))
	mux.Handle("POST /postmortems/{id}/refresh-impact", u.page(auth.Operator, u.refreshPostmortemImpact))
	mux.Handle("GET /postmortems/{id}/markdown", u.page(auth.Viewer, u.downloadPostmortem))
	mux.Handle("POST /postmortems/{id}/items", u.page(auth.Operator, u.addPostmortemItem))
	mux.Handle("GET /postmortems/{id}/items/{item}", u.page(auth.Operator, u.editPostmortemItem))
	mux.Handle("POST /postmortems/{id}/items/{item}", u.page(auth.Operator, u.updatePostmortemItem))
	mux.Handle("POST /postmortems/{id}/items/{item}/state", u.page(auth.Operator, u.setPostmortemItemState))
	mux.Handle("POST /postmortems/{id}/items/{item}/delete", u.page(auth.Operator, u.deletePostmortemItem))
	mux.Handle("GET /known-errors", u.page(auth.Viewer, u.listKnownErrors))
	mux.Handle("GET /cis", u.page(auth.Viewer, u.listCIs))
	mux.Handle("GET /cis/{name}", u.page(auth.Viewer, u.showCI))
	mux.Handle("POST /cis/{name}/assignments", u.page(auth.Operator, u.assignLicence))
	mux.Handle("POST /cis/{name}/assignments/{person}/delete", u.page(auth.Operator, u.unassignLicence))
	mux.Handle("GET /cis/classes/{class}/csv", u.page(auth.Viewer, u.exportCSV))
	mux.Handle("POST /cis/classes/{class}/csv", u.page(auth.Operator, u.importCSV))
	mux.Handle("GET /licences", u.page(auth.Viewer, u.listLicences))
	mux.Handle("GET /desk", u.page(auth.Viewer, u.showQueue))
	mux.Handle("POST /desk/assign", u.page(auth.Operator, u.bulkAssign))
	mux.Handle("GET /desk/setup", u.page(auth.Viewer, u.showDeskSetup))
	mux.Handle("GET /desk/satisfaction", u.page(auth.Viewer, u.showSatisfaction))
	mux.Handle("GET /desk/new", u.page(auth.Operator, u.showNewTicket))
	mux.Handle("POST /desk/tickets", u.page(auth.Operator, u.createTicket))
	mux.Handle("GET /desk/tickets/{id}", u.page(auth.Viewer, u.showTicket))
	mux.Handle("POST /desk/tickets/{id}/attachments", u.limitUpload(desk.MaxAttachment, u.page(auth.Operator, u.attachTicket)))
	mux.Handle("POST /desk/tickets/{id}/links", u.page(auth.Operator, u.linkTicket))
	mux.Handle("POST /desk/tickets/{id}/comments", u.page(auth.Operator, u.commentTicket))
	mux.Handle("POST /desk/tickets/{id}/status", u.page(auth.Operator, u.moveTicket))
	mux.Handle("POST /desk/tickets/{id}/assign", u.page(auth.Operator, u.assignTicket))
	mux.Handle("GET /desk/tickets/{id}/attachments/{attachment}", u.page(auth.Viewer, u.downloadTicketAttachment))
	mux.Handle("POST /incidents/{id}/ticket", u.page(auth.Operator, u.ticketFromIncident))
	mux.Handle("GET /known-errors/new", u.page(auth.Operator, u.newKnownError))
	mux.Handle("POST /known-errors/new", u.page(auth.Operator, u.createKnownError))
	mux.Handle("GET /known-errors/{id}", u.page(auth.Viewer, u.showKnownError))
	mux.Handle("GET /known-errors/{id}/edit", u.page(auth.Operator, u.editKnownError))
	mux.Handle("POST /known-errors/{id}/edit", u.page(auth.Operator, u.updateKnownError))
	mux.Handle("POST /known-errors/{id}/delete", u.page(auth.Operator, u.deleteKnownError))
	mux.Handle("POST /incidents/{id}/acknowledge", u.page(auth.Operator, u.acknowledgeIncident))
	mux.Handle("POST /incidents/{id}/resolve", u.page(auth.Operator, u.resolveIncident))
	mux.Handle("POST /incidents/{id}/notes", u.page(auth.Operator, u.noteIncident))
	mux.Handle("GET /services", u.page(auth.Viewer, u.listServices))
	mux.Handle("GET /services/new", u.page(auth.Operator, u.newService))
	mux.Handle("POST /services/new", u.page(auth.Operator, u.createService))
	mux.Handle("GET /services/{name}", u.page(auth.Viewer, u.showService))
	mux.Handle("GET /services/{name}/edit", u.page(auth.Operator, u.editService))
	mux.Handle("POST /services/{name}/edit", u.page(auth.Operator, u.updateService))
	mux.Handle("GET /services/{name}/delete", u.page(auth.Operator, u.confirmDeleteService))
	mux.Handle("POST /services/{name}/delete", u.page(auth.Operator, u.deleteService))
	mux.Handle("POST /services/{name}/outages", u.page(auth.Operator, u.recordOutage))
	mux.Handle("POST /services/{name}/feedback", u.page(auth.Viewer, u.rateService))
	mux.Handle("POST /services/{name}/outages/{id}/delete", u.page(auth.Operator, u.deleteOutage))
	mux.Handle("GET /recovery", u.page(auth.Viewer, u.showRecovery))
	mux.Handle("GET /recovery/plans/{name}", u.page(auth.Viewer, u.showPlan))
	mux.Handle("GET /checks", u.page(auth.Viewer, u.listChecks))
	mux.Handle("GET /checks/new", u.page(auth.Operator, u.newCheck))
	mux.Handle("POST /checks/new", u.page(auth.Operator, u.createCheck))
	mux.Handle("GET /checks/{name}", u.page(auth.Viewer, u.showCheck))
	mux.Handle("GET /checks/{name}/edit", u.page(auth.Operator, u.editCheck))
	mux.Handle("POST /checks/{name}/edit", u.page(auth.Operator, u.updateCheck))
	mux.Handle("GET /checks/{name}/delete", u.page(auth.Operator, u.confirmDeleteCheck))
	mux.Handle("POST /checks/{name}/delete", u.page(auth.Operator, u.deleteCheck))
	mux.Handle("POST /checks/{name}/pause", u.page(auth.Operator, u.pauseCheck))
	mux.Handle("POST /checks/{name}/resume", u.page(auth.Operator, u.resumeCheck))
	mux.Handle("GET /reports/monthly", u.page(auth.Viewer, u.showMonthlyIndex))
	mux.Handle("GET /reports/monthly/{month}", u.page(auth.Viewer, u.showMonthly))
	mux.Handle("GET /capacity", u.page(auth.Viewer, u.showPlanner))
	mux.Handle("GET /capacity/people/{person}", u.page(auth.Viewer, u.showCapacityPerson))
	mux.Handle("POST /capacity/people/{person}", u.page(auth.Operator, u.saveCapacityPerson))
	mux.Handle("POST /capacity/people/{person}/time-off", u.page(auth.Operator, u.addCapacityTimeOff))
	mux.Handle("POST /capacity/people/{person}/allocations", u.page(auth.Operator, u.addCapacityAllocation))
	mux.Handle("POST /capacity/time-off/{id}/approve", u.page(auth.Operator, u.capacityAction(func(d *capacity.Deps, r *http.Request, id int64) error {
		return d.Store.ApproveTimeOff(r.Context(), principal(r).Actor(), id)
	})))
	mux.Handle("POST /capacity/time-off/{id}/delete", u.page(auth.Operator, u.capacityAction(func(d *capacity.Deps, r *http.Request, id int64) error {
		return d.Store.DeleteTimeOff(r.Context(), principal(r).Actor(), id)
	})))
	mux.Handle("POST /capacity/allocations/{id}/delete", u.page(auth.Operator, u.capacityAction(func(d *capacity.Deps, r *http.Request, id int64) error {
		return d.Store.DeleteAllocation(r.Context(), principal(r).Actor(), id)
	})))
	mux.Handle("GET /projects", u.page(auth.Viewer, u.listProjects))
	mux.Handle("GET /projects/new", u.page(auth.Operator, u.newProject))
	mux.Handle("POST /projects/new", u.page(auth.Operator, u.saveProject))
	mux.Handle("GET /projects/{name}", u.page(auth.Viewer, u.showProject))
	mux.Handle("GET /projects/{name}/edit", u.page(auth.Operator, u.editProject))
	mux.Handle("POST /projects/{name}/edit", u.page(auth.Operator, u.saveProject))
	mux.Handle("POST /projects/{name}/delete", u.page(auth.Operator, u.deleteProject))
	mux.Handle("POST /projects/{name}/time", u.page(auth.Operator, u.logProjectTime))
	mux.Handle("GET /maintenance", u.page(auth.Viewer, u.listMaintenance))
	mux.Handle("GET /maintenance/new", u.page(auth.Operator, u.newMaintenance))
	mux.Handle("POST /maintenance/new", u.page(auth.Operator, u.scheduleMaintenance))
	mux.Handle("POST /maintenance/{service}/{ref}/delete", u.page(auth.Operator, u.removeMaintenance))
	mux.Handle("GET /calendars", u.page(auth.Viewer, u.listCalendars))
	mux.Handle("GET /calendars/new", u.page(auth.Operator, u.newCalendar))
	mux.Handle("POST /calendars/new", u.page(auth.Operator, u.createCalendar))
	mux.Handle("GET /calendars/{name}", u.page(auth.Viewer, u.showCalendar))
	mux.Handle("GET /calendars/{name}/edit", u.page(auth.Operator, u.editCalendar))
	mux.Handle("POST /calendars/{name}/edit", u.page(auth.Operator, u.updateCalendar))
	mux.Handle("GET /calendars/{name}/delete", u.page(auth.Operator, u.confirmDeleteCalendar))
	mux.Handle("POST /calendars/{name}/delete", u.page(auth.Operator, u.deleteCalendar))
	mux.Handle("GET /channels", u.page(auth.Viewer, u.listChannels))
	mux.Handle("GET /channels/new", u.page(auth.Admin, u.newChannel))
	mux.Handle("POST /channels/new", u.page(auth.Admin, u.createChannel))
	mux.Handle("GET /channels/{name}", u.page(auth.Viewer, u.showChannel))
	mux.Handle("POST /channels/{name}/test", u.page(auth.Operator, u.testChannel))
	mux.Handle("GET /channels/{name}/edit", u.page(auth.Admin, u.editChannel))
	mux.Handle("POST /channels/{name}/edit", u.page(auth.Admin, u.updateChannel))
	mux.Handle("GET /channels/{name}/delete", u.page(auth.Admin, u.confirmDeleteSetup(channelKind)))
	mux.Handle("POST /channels/{name}/delete", u.page(auth.Admin, u.deleteSetup(channelKind)))
	mux.Handle("GET /integrations", u.page(auth.Admin, u.listIntegrations))
	mux.Handle("GET /integrations/new", u.page(auth.Admin, u.newIntegration))
	mux.Handle("POST /integrations/new", u.page(auth.Admin, u.createIntegration))
	mux.Handle("GET /integrations/{name}", u.page(auth.Admin, u.showIntegration))
	mux.Handle("POST /integrations/{name}/rotate", u.page(auth.Admin, u.rotateIntegrationKey))
	mux.Handle("GET /integrations/{name}/edit", u.page(auth.Admin, u.editIntegration))
	mux.Handle("POST /integrations/{name}/edit", u.page(auth.Admin, u.updateIntegration))
	mux.Handle("GET /integrations/{name}/delete", u.page(auth.Admin, u.confirmDeleteSetup(integrationKind)))
	mux.Handle("POST /integrations/{name}/delete", u.page(auth.Admin, u.deleteSetup(integrationKind)))
	mux.Handle("GET /escalation-policies", u.page(auth.Viewer, u.listPolicies))
	mux.Handle("GET /escalation-policies/new", u.page(auth.Admin, u.newPolicy))
	mux.Handle("POST /escalation-policies/new", u.page(auth.Admin, u.createPolicy))
	mux.Handle("GET /escalation-policies/{name}/edit", u.page(auth.Admin, u.editPolicy))
	mux.Handle("POST /escalation-policies/{name}/edit", u.page(auth.Admin, u.updatePolicy))
	mux.Handle("GET /escalation-policies/{name}/delete", u.page(auth.Admin, u.confirmDeleteSetup(policyKind)))
	mux.Handle("POST /escalation-policies/{name}/delete", u.page(auth.Admin, u.deleteSetup(policyKind)))
	u.directoryRoutes(mux)
	mux.Handle("GET /profile", u.page(auth.Viewer, u.showProfile))
	mux.Handle("POST /profile", u.page(auth.Viewer, u.saveProfile))
	mux.Handle("GET /admin", u.page(auth.Admin, u.showAdmin))
	mux.Handle("GET /admin/users", u.page(auth.Admin, u.listUsers))
	mux.Handle("POST /admin/users", u.page(auth.Admin, u.createUser))
	mux.Handle("GET /admin/users/{name}/delete", u.page(auth.Admin, u.confirmDeleteUser))
	mux.Handle("POST /admin/users/{name}/delete", u.page(auth.Admin, u.deleteUser))
	mux.Handle("GET /admin/users/{name}/password", u.page(auth.Admin, u.passwordForm))
	mux.Handle("POST /admin/users/{name}/password", u.page(auth.Admin, u.setPassword))
	mux.Handle("GET /admin/users/{name}/two-factor", u.page(auth.Admin, u.confirmResetTwoFactor))
	mux.Handle("POST /admin/users/{name}/two-factor", u.page(auth.Admin, u.resetTwoFactor))
	mux.Handle("GET /admin/tokens", u.page(auth.Admin, u.listTokens))
	mux.Handle("POST /admin/tokens", u.page(auth.Admin, u.createToken))
	mux.Handle("GET /admin/tokens/{name}/revoke", u.page(auth.Admin, u.confirmRevokeToken))
	mux.Handle("POST /admin/tokens/{name}/revoke", u.page(auth.Admin, u.revokeToken))
	mux.Handle("GET /admin/audit", u.page(auth.Admin, u.showAudit))
	mux.Handle("/", u.page(auth.Viewer, func(w http.ResponseWriter, r *http.Request) error {
		return errPageNotFound
	}))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, errForbidden("This request came from another site and was refused."))
	}))
	return cop.Handler(mux.ServeMux)
}
