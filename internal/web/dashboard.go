package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

const (
	// dashboardIncidents is how many open incidents the dashboard lists.
	dashboardIncidents = 10
	// openIncidentPages bounds the pages of open incidents read to count
	// them per service (MaxLimit each): past that, counts are partial.
	openIncidentPages = 10
	// defaultRefresh is how often the dashboard's script re-fetches it.
	defaultRefresh = 15 * time.Second
)

// The dashboard's filter and sort choices, as they appear in its URL.
var (
	dashStates      = []string{"down", "degraded", "unknown", "up"}
	dashCompliances = []option{{Value: "breached", Label: "Breached"}, {Value: "at-risk", Label: "At risk"}, {Value: "met", Label: "Met"}, {Value: "none", Label: "No objective"}}
	dashSorts       = []option{{Value: "state", Label: "State, worst first"}, {Value: "name", Label: "Name"}, {Value: "tier", Label: "Tier"},
		{Value: "budget", Label: "Error budget left, least first"}, {Value: "cost", Label: "Downtime cost, highest first"}}
	dashTiers = []option{{Value: "1", Label: "Tier 1"}, {Value: "2", Label: "Tier 2"}, {Value: "3", Label: "Tier 3"}, {Value: "4", Label: "Tier 4"},
		{Value: "5", Label: "Tier 5"}, {Value: "none", Label: "No tier"}}
)

// dashQuery is what the dashboard's form asks for. The zero value is the
// unfiltered dashboard, worst state first.
type dashQuery struct {
	Tier, Owner, State, Compliance, Sort string
}

// parseDashQuery reads and checks the query; a value no form offers is
// refused rather than silently ignored, so a mistyped link says so.
func parseDashQuery(q url.Values) (dashQuery, error) {
	d := dashQuery{Tier: q.Get("tier"), Owner: q.Get("owner"), State: q.Get("state"), Compliance: q.Get("compliance"), Sort: q.Get("sort")}
	has := func(opts []option, v string) bool {
		return slices.ContainsFunc(opts, func(o option) bool { return o.Value == v })
	}
	switch {
	case d.Tier != "" && !has(dashTiers, d.Tier):
		return d, errBadRequest("There is no tier " + strconv.Quote(d.Tier) + ": choose 1 to 5, or none.")
	case d.State != "" && !slices.Contains(dashStates, d.State):
		return d, errBadRequest("There is no state " + strconv.Quote(d.State) + ": choose down, degraded, unknown or up.")
	case d.Compliance != "" && !has(dashCompliances, d.Compliance):
		return d, errBadRequest("There is no compliance " + strconv.Quote(d.Compliance) + ": choose breached, at-risk, met or none.")
	case d.Sort != "" && !has(dashSorts, d.Sort):
		return d, errBadRequest("The dashboard cannot be sorted by " + strconv.Quote(d.Sort) + ": choose state, name, tier, budget or cost.")
	}
	if d.Sort == "state" {
		d.Sort = ""
	}
	return d, nil
}

// encode writes the query back, leaving out defaults, so that links stay
// short and the same view has one address.
func (d dashQuery) encode() string {
	v := url.Values{}
	for _, kv := range [][2]string{{"tier", d.Tier}, {"owner", d.Owner}, {"state", d.State}, {"compliance", d.Compliance}, {"sort", d.Sort}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v.Encode()
}

// filtered says whether any filter (not the sort) is set.
func (d dashQuery) filtered() bool {
	return d.Tier != "" || d.Owner != "" || d.State != "" || d.Compliance != ""
}

// dashTiles are the dashboard's summary figures, over every service.
type dashTiles struct {
	Down, Degraded, Breached, AtRisk int
	OpenIncidents                    int
	// MoreIncidents says OpenIncidents is a lower bound.
	MoreIncidents bool
	Cost          float64
}

// dashRow is one service on the dashboard, with every figure already
// written out, so that the template only places text.
type dashRow struct {
	Name, Title, Owner string
	Tier               int
	State              availability.State
	StateText          string
	// Why is the cause of a state other than up, in words; WhyFull is
	// the whole source, with a failing check's reason.
	Why, WhyFull string
	// Compliance is "met", "at risk: …" or "breached: …"; Verdict is
	// its class (met, at-risk, breached, none).
	Compliance, Verdict string
	Availability        string
	Budget              string // "−16m48s of 43m12s"; empty without an objective
	BudgetLeft          availability.Seconds
	Overspent           bool
	Cost                float64
	OpenIncidents       int
}

// onCallNow is one schedule in the dashboard's side panel.
type onCallNow struct {
	Name  string
	Users []string
}

// sortLink is one sortable column heading.
type sortLink struct {
	URL     string
	Current bool
}

// dashboardPage is the data of the dashboard and of its fragment.
type dashboardPage struct {
	Query    dashQuery
	Tiles    dashTiles
	Rows     []dashRow
	Total    int
	Filtered bool
	// The form's choices, with the current ones selected.
	Tiers, Owners, States, Compliances, Sorts []option
	SortBy                                    map[string]sortLink
	OnCall                                    []onCallNow
	// Unreachable warns of each person on call now who has no working
	// contact method: paging them would reach nobody.
	Unreachable          []unreachable
	Incidents            []incident.Incident
	AsOf                 time.Time
	PageURL, FragmentURL string
	RefreshSeconds       int
	// Desk holds the service desk's tiles; nil without a desk.
	Desk *deskTiles
}

// TileURL links a summary tile to the dashboard filtered on it.
func (p *dashboardPage) TileURL(key, value string) string {
	v := url.Values{key: {value}}
	return "/?" + v.Encode()
}

func (u *UI) showDashboard(w http.ResponseWriter, r *http.Request) error {
	p, err := u.dashboard(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "dashboard.html", "Dashboard", p)
	return nil
}

// dashboardFragment answers the dashboard's script: the live parts of the
// page (tiles, table, on-call and incident panels) without the layout.
func (u *UI) dashboardFragment(w http.ResponseWriter, r *http.Request) error {
	p, err := u.dashboard(r)
	if err != nil {
		return err
	}
	u.renderBlock(w, r, "dashboard.html", "live", p)
	return nil
}

// dashboard gathers the dashboard from one snapshot, one read of the open
// incidents and the on-call directory: no query per service, so that it
// costs the same whatever the filter.
func (u *UI) dashboard(r *http.Request) (*dashboardPage, error) {
	q, err := parseDashQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	snap, err := u.deps.Reports.Snapshot(r.Context())
	if err != nil {
		return nil, err
	}
	open, more, err := u.openIncidents(r)
	if err != nil {
		return nil, err
	}
	p := &dashboardPage{Query: q, Filtered: q.filtered(), AsOf: snap.Now, Total: len(snap.Services),
		RefreshSeconds: int(u.refreshEvery() / time.Second)}
	p.Tiles.OpenIncidents, p.Tiles.MoreIncidents = len(open), more
	p.Desk = u.loadDeskTiles(r)
	p.Incidents = open[:min(len(open), dashboardIncidents)]
	perService := map[string]int{}
	for _, in := range open {
		perService[in.Service]++
	}
	owners := map[string]bool{}
	for name, svc := range snap.Services {
		if svc.Owner != "" {
			owners[svc.Owner] = true
		}
		row, err := dashRowOf(snap, name)
		if err != nil {
			return nil, err
		}
		row.OpenIncidents = perService[name]
		p.Tiles.add(row)
		if q.keeps(row) {
			p.Rows = append(p.Rows, row)
		}
	}
	slices.SortFunc(p.Rows, q.compare)
	p.options(owners)
	p.OnCall = u.onCallNow()
	p.Unreachable = u.unreachable(p.OnCall)
	enc := q.encode()
	p.PageURL, p.FragmentURL = "/", "/dashboard/fragment"
	if enc != "" {
		p.PageURL += "?" + enc
		p.FragmentURL += "?" + enc
	}
	return p, nil
}

// openIncidents reads every open incident, newest first, a page at a time
// up to a bound; more says the bound cut the list short.
func (u *UI) openIncidents(r *http.Request) ([]incident.Incident, bool, error) {
	var out []incident.Incident
	pg := store.Page{Limit: store.MaxLimit}
	for range openIncidentPages {
		items, next, err := u.deps.Incidents.List(r.Context(), incident.Filter{Status: "open"}, pg)
		if err != nil {
			return nil, false, err
		}
		out = append(out, items...)
		if next == "" {
			return out, false, nil
		}
		pg.Cursor = next
	}
	return out, true, nil
}

// onCallNow lists who is on call in each schedule now, by schedule name.
func (u *UI) onCallNow() []onCallNow {
	oc := u.onCall()
	now := u.deps.Now().UTC()
	var out []onCallNow
	for _, s := range oc.Schedules() {
		c, _, ok := oc.Schedule(s.Name)
		if !ok {
			continue
		}
		out = append(out, onCallNow{Name: s.Name, Users: c.OnCall(now)})
	}
	slices.SortFunc(out, func(a, b onCallNow) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// unreachable is a person on call now in a schedule who cannot be paged.
type unreachable struct{ User, Schedule string }

// unreachable finds, among those on call now, the people with no working
// contact method: none at all, or only contacts whose channel the server
// could not build (an e-mail address without mail settings). Without the
// server's answer (Deps.Reachable), any contact counts as working.
func (u *UI) unreachable(now []onCallNow) []unreachable {
	var out []unreachable
	for _, s := range now {
		for _, user := range s.Users {
			works := false
			if u.deps.Reachable != nil {
				works = u.deps.Reachable(user)
			} else if p, ok := u.onCall().Person(user); ok {
				works = len(p.Contacts()) > 0
			}
			if !works {
				out = append(out, unreachable{User: user, Schedule: s.Name})
			}
		}
	}
	return out
}

// refreshEvery is how often the page's script refreshes it.
func (u *UI) refreshEvery() time.Duration {
	if u.deps.DashboardRefresh > 0 {
		return max(u.deps.DashboardRefresh, time.Second)
	}
	return defaultRefresh
}

// dashRowOf judges one service for the dashboard: its state now and its
// report for the current period, both from the snapshot.
func dashRowOf(snap *timeline.Snapshot, name string) (dashRow, error) {
	svc := snap.Services[name]
	rep, err := snap.Report(name, timeline.Range{})
	if err != nil {
		return dashRow{}, err
	}
	// The timeline ends at now (exclusive): read its last instant.
	st, src := snap.Timeline(name).At(snap.Now.Add(-time.Nanosecond))
	row := dashRow{Name: name, Title: svc.Title, Owner: svc.Owner, Tier: svc.Tier, State: st, StateText: st.String(),
		Cost: rep.DowntimeCost, BudgetLeft: rep.ErrorBudgetRemaining}
	if st != availability.Up {
		row.Why, row.WhyFull = sourceWords(src), src
	}
	if rep.Availability != nil {
		row.Availability = percent(*rep.Availability)
	}
	c := rep.Compliance
	switch {
	case snap.Objective(name) == nil:
		row.Compliance, row.Verdict = "no objective", "none"
	case !c.Met:
		row.Compliance, row.Verdict = "breached: "+strings.Join(c.Breaches, ", "), "breached"
	case c.AtRisk:
		row.Compliance, row.Verdict = "at risk: "+strings.Join(c.Risks, ", "), "at-risk"
	default:
		row.Compliance, row.Verdict = "met", "met"
	}
	if row.Verdict != "none" {
		row.Budget = seconds(rep.ErrorBudgetRemaining) + " of " + seconds(rep.ErrorBudget)
		row.Overspent = rep.ErrorBudgetRemaining < 0
	}
	return row, nil
}

// sourceWords says in a few words what put a service in its state:
// "recorded outage", "check https", "through database".
func sourceWords(src string) string {
	kind, name, ok := strings.Cut(src, ":")
	switch {
	case src == "":
		return "no data"
	case !ok:
		return src
	case kind == "outage":
		return "recorded outage"
	case kind == "dependency":
		return "through " + name
	case kind == "check":
		// "check:NAME: reason": the reason is on the check's page.
		check, _, _ := strings.Cut(name, ": ")
		return "check " + check
	}
	return kind + " " + name
}

func (t *dashTiles) add(r dashRow) {
	switch r.State {
	case availability.Down:
		t.Down++
	case availability.Degraded:
		t.Degraded++
	}
	switch r.Verdict {
	case "breached":
		t.Breached++
	case "at-risk":
		t.AtRisk++
	}
	t.Cost += r.Cost
}

// keeps says whether a row passes the filters.
func (d dashQuery) keeps(r dashRow) bool {
	switch {
	case d.Tier == "none" && r.Tier != 0:
		return false
	case d.Tier != "" && d.Tier != "none" && strconv.Itoa(r.Tier) != d.Tier:
		return false
	case d.Owner != "" && r.Owner != d.Owner:
		return false
	case d.State != "" && r.State.String() != d.State:
		return false
	case d.Compliance != "" && r.Verdict != d.Compliance:
		return false
	}
	return true
}

// compare orders rows by the chosen sort, then by state, then by name.
func (d dashQuery) compare(a, b dashRow) int {
	byState := cmp.Compare(b.State.Severity(), a.State.Severity())
	byName := strings.Compare(a.Name, b.Name)
	switch d.Sort {
	case "name":
		return byName
	case "tier":
		// Services without a tier come last.
		ta, tb := a.Tier, b.Tier
		if ta == 0 {
			ta = 1 << 30
		}
		if tb == 0 {
			tb = 1 << 30
		}
		return cmp.Or(cmp.Compare(ta, tb), byState, byName)
	case "budget":
		// Least left first; services without an objective last.
		na, nb := a.Verdict == "none", b.Verdict == "none"
		if na != nb {
			if na {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.BudgetLeft, b.BudgetLeft), byState, byName)
	case "cost":
		return cmp.Or(cmp.Compare(b.Cost, a.Cost), byState, byName)
	}
	return cmp.Or(byState, cmp.Compare(verdictRank(a.Verdict), verdictRank(b.Verdict)), byName)
}

// verdictRank puts breached services before those at risk, then met.
func verdictRank(v string) int {
	switch v {
	case "breached":
		return 0
	case "at-risk":
		return 1
	case "met":
		return 2
	}
	return 3
}

// options fills the form's choices and the column headings' sort links.
func (p *dashboardPage) options(owners map[string]bool) {
	q := p.Query
	pick := func(opts []option, cur string) []option {
		out := make([]option, len(opts))
		for i, o := range opts {
			o.Selected = o.Value == cur
			out[i] = o
		}
		return out
	}
	p.Tiers = pick(dashTiers, q.Tier)
	p.Compliances = pick(dashCompliances, q.Compliance)
	sort := q.Sort
	if sort == "" {
		sort = "state"
	}
	p.Sorts = pick(dashSorts, sort)
	for _, s := range dashStates {
		p.States = append(p.States, option{Value: s, Label: capitalise(s), Selected: s == q.State})
	}
	names := make([]string, 0, len(owners))
	for o := range owners {
		names = append(names, o)
	}
	if q.Owner != "" && !owners[q.Owner] {
		names = append(names, q.Owner)
	}
	slices.Sort(names)
	for _, o := range names {
		p.Owners = append(p.Owners, option{Value: o, Label: o, Selected: o == q.Owner})
	}
	p.SortBy = map[string]sortLink{}
	for _, s := range dashSorts {
		lq := q
		lq.Sort = s.Value
		if lq.Sort == "state" {
			lq.Sort = ""
		}
		link := "/"
		if enc := lq.encode(); enc != "" {
			link += "?" + enc
		}
		p.SortBy[s.Value] = sortLink{URL: link, Current: s.Value == sort}
	}
}

// fragment wraps a handler whose answer a script fetches: like page, but
// without a session it answers 401 instead of sending the login page,
// which the script would otherwise paste into the page.
func (u *UI) fragment(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p, err := u.session(r)
		if errors.Is(err, auth.ErrUnauthenticated) {
			http.Error(w, "Your session has ended: reload the page to sign in again.", http.StatusUnauthorized)
			return
		}
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if !p.Role.Allows(auth.Viewer) {
			http.Error(w, "Your role cannot use the web interface.", http.StatusForbidden)
			return
		}
		r = r.WithContext(httpapi.WithPrincipal(r.Context(), p))
		if err := h(w, r); err != nil {
			u.fail(w, r, err)
		}
	})
}
