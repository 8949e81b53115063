package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// newDashboardEnv is the UI with the on-call directory and a reporter
// whose clock stands at testNow (Sat 28 Mar 2026 12:00 UTC), over this
// catalog:
//
//   - database (tier 1, dba, 99.9 %): down since 11:00 for 2 h, an hour of
//     it spent: breached on availability (−15m22s of 44m38s left);
//   - payroll (tier 2, finance-it, office hours): down through database,
//     but on a Saturday nothing counts: met;
//   - shop (tier 1, web, 99.9 %, max_outage 5m): a 20-minute outage on the
//     10th, up now: breached on max_outage;
//   - search (tier 3, web, 99 %): 7 h down on the 5th, within its budget
//     but burning faster than it allows: at risk on availability;
//   - wiki (no tier, docs): no objective.
func newDashboardEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := newEnv(t, db)
	ctx := context.Background()
	if _, err := e.catalog.PutCalendar(ctx, "test", catalog.Calendar{Name: "office", CalendarSpec: catalog.CalendarSpec{
		Timezone: "Europe/Berlin", Weekly: []catalog.WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}}}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	cost := 600.0
	for _, s := range []catalog.Service{
		{Name: "database", Title: "Main database", Owner: "dba", Tier: 1, Objective: &catalog.Objective{Availability: "99.9%", DowntimeCost: &cost}},
		{Name: "payroll", Title: "Payroll", Owner: "finance-it", Tier: 2, DependsOn: []catalog.Dependency{{Service: "database", Kind: catalog.Hard}},
			Objective: &catalog.Objective{Hours: "office", Availability: "99.5%"}},
		{Name: "shop", Owner: "web", Tier: 1, Objective: &catalog.Objective{Availability: "99.9%", MaxOutage: "5m"}},
		{Name: "search", Owner: "web", Tier: 3, Objective: &catalog.Objective{Availability: "99%"}},
		{Name: "wiki", Owner: "docs"},
	} {
		e.putService(s)
	}
	for _, o := range []struct{ service, start, end string }{
		{"database", "2026-03-28T11:00:00Z", "2026-03-28T13:00:00Z"},
		{"shop", "2026-03-10T10:00:00Z", "2026-03-10T10:20:00Z"},
		{"search", "2026-03-05T01:00:00Z", "2026-03-05T08:00:00Z"},
	} {
		state := "down"
		if _, err := e.outages.Record(ctx, "test", o.service, timeline.NewOutage{Start: &o.start, End: &o.end, State: &state}); err != nil {
			t.Fatal(err)
		}
	}
	outbox := &notify.Outbox{DB: db}
	ui, err := New(Deps{Auth: e.auth, Catalog: e.catalog, Outages: e.outages, Reports: timeline.NewReporter(e.catalog, e.outages, func() time.Time { return testNow }),
		Monitor: e.monitor, Checks: e.checks, Incidents: e.incidents, Signer: e.signer, Deliveries: outbox.Deliveries,
		OnCall: testDirectory(t), Now: func() time.Time { return testNow }, DashboardRefresh: 2 * time.Second, Version: "test"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	e.handler = mux
	return e
}

// rowOf returns the table row of a service on the dashboard.
func rowOf(t *testing.T, body, service string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr>\s*<th scope="row"><a href="/services/` + service + `">.*?</tr>`).FindString(body)
	if m == "" {
		t.Fatalf("no row for %s in:\n%s", service, body)
	}
	return m
}

// rowOrder lists the services of the dashboard's table, top to bottom.
func rowOrder(body string) string {
	var names []string
	for _, m := range regexp.MustCompile(`<th scope="row"><a href="/services/([^"]+)">`).FindAllStringSubmatch(body, -1) {
		names = append(names, m[1])
	}
	return strings.Join(names, " ")
}

func TestDashboard(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newDashboardEnv(t, db)
		shopIncident := e.trigger("shop", "shop-slow", "Checkout is slow")
		dbIncident := e.trigger("database", "db-down", "Database is not answering")
		viewer, operator := e.login("victor"), e.login("olivia")

		t.Run("is the front page", func(t *testing.T) {
			res, body := e.get("/", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `<title>Dashboard · Sextant</title>`, `<a href="/" aria-current="page">Dashboard</a>`,
				// The live parts and the script that refreshes them.
				`data-fragment="/dashboard/fragment"`, `data-refresh-seconds="2"`, `id="dash-updated" role="status" data-live-status`,
				`<a href="/" id="dash-refresh">Refresh</a>`, `<script src="/static/live.`, `.js" defer></script>`)
			wantNotContains(t, body, "<script>", "style=")
		})

		t.Run("rows say state, compliance and budget in words", func(t *testing.T) {
			_, body := e.get("/", &viewer)
			for service, parts := range map[string][]string{
				"database": {`<span class="badge state down">down</span>`, "recorded outage", `<span class="verdict-word breached">breached: availability</span>`,
					`<td class="num over" data-label="Budget left">−15m22s of 44m38s</td>`, "99.865%", `<td class="num" data-label="Downtime cost">600</td>`,
					`<a href="/incidents?service=database">1</a>`, `<td data-label="Tier">1</td>`, `<td data-label="Owner">dba</td>`, "Main database"},
				"payroll": {`<span class="badge state down">down</span>`, "through database", `<span class="verdict-word met">met</span>`},
				"shop":    {`<span class="badge state up">up</span>`, `<span class="verdict-word breached">breached: max_outage</span>`, `<td class="num" data-label="Budget left">24m38s of 44m38s</td>`},
				"search":  {`<span class="verdict-word at-risk">at risk: availability</span>`, `<td class="num" data-label="Budget left">26m24s of 7h26m24s</td>`},
				"wiki":    {`<span class="verdict-word none">no objective</span>`, `<span class="muted">0</span>`},
			} {
				wantContains(t, rowOf(t, body, service), parts...)
			}
			// Worst state first, then breached before met, then by name.
			if got, want := rowOrder(body), "database payroll shop search wiki"; got != want {
				t.Errorf("rows %q, want %q", got, want)
			}
		})

		t.Run("tiles sum every service", func(t *testing.T) {
			_, body := e.get("/", &viewer)
			wantContains(t, body, `id="tile-down">2</span>`, `id="tile-degraded">0</span>`, `id="tile-breached">2</span>`,
				`id="tile-at-risk">1</span>`, `id="tile-incidents">2</span>`, `id="tile-cost">600</span>`,
				`href="/?state=down"`, `href="/?compliance=breached"`)
		})

		t.Run("on call now and open incidents", func(t *testing.T) {
			_, body := e.get("/", &viewer)
			wantContains(t, body, `<a href="/oncall/schedules/primary">primary</a>: <strong>carol</strong>`,
				`<a href="/oncall/schedules/backup">backup</a>: <strong>dave</strong>`,
				fmt.Sprintf(`<a href="/incidents/%d">#%d Database is not answering</a>`, dbIncident, dbIncident),
				fmt.Sprintf(`<a href="/incidents/%d">#%d Checkout is slow</a>`, shopIncident, shopIncident))
			if strings.Index(body, "Database is not answering") > strings.Index(body, "Checkout is slow") {
				t.Error("the open incidents are not newest first")
			}
		})

		t.Run("filters", func(t *testing.T) {
			for query, want := range map[string]string{
				"?tier=1":                "database shop",
				"?tier=none":             "wiki",
				"?owner=web":             "shop search",
				"?state=down":            "database payroll",
				"?state=up&sort=name":    "search shop wiki",
				"?compliance=breached":   "database shop",
				"?compliance=at-risk":    "search",
				"?compliance=none":       "wiki",
				"?owner=web&tier=3":      "search",
				"?owner=nobody-owns-it":  "",
				"?compliance=met&tier=2": "payroll",
			} {
				res, body := e.get("/"+query, &viewer)
				wantStatus(t, res, http.StatusOK)
				if got := rowOrder(body); got != want {
					t.Errorf("%s: rows %q, want %q", query, got, want)
				}
			}
			_, body := e.get("/?owner=web&sort=name", &viewer)
			wantContains(t, body, `<option value="web" selected>web</option>`, `<option value="name" selected>Name</option>`,
				"2 of 5 services match the filter.", `data-fragment="/dashboard/fragment?owner=web&amp;sort=name"`,
				`<a href="/?owner=web&amp;sort=name" id="dash-refresh">Refresh</a>`, `<a href="/">Clear</a>`)
			_, body = e.get("/?owner=nobody-owns-it", &viewer)
			wantContains(t, body, "No service matches the filter.")
		})

		t.Run("sorts", func(t *testing.T) {
			for query, want := range map[string]string{
				"?sort=name":   "database payroll search shop wiki",
				"?sort=tier":   "database shop payroll search wiki",
				"?sort=budget": "database shop search payroll wiki",
				"?sort=cost":   "database payroll search shop wiki",
				"?sort=state":  "database payroll shop search wiki",
			} {
				_, body := e.get("/"+query, &viewer)
				if got := rowOrder(body); got != want {
					t.Errorf("%s: rows %q, want %q", query, got, want)
				}
			}
			_, body := e.get("/?sort=budget", &viewer)
			wantContains(t, body, `aria-sort="ascending"><a href="/?sort=budget">Error budget left</a>`, `<a href="/">State now</a>`)
		})

		t.Run("refuses values no form offers", func(t *testing.T) {
			for _, q := range []string{"?sort=colour", "?state=sideways", "?tier=9", "?compliance=maybe"} {
				res, _ := e.get("/"+q, &viewer)
				wantStatus(t, res, http.StatusBadRequest)
			}
		})

		t.Run("fragment is the live parts only", func(t *testing.T) {
			res, body := e.get("/dashboard/fragment?state=down", &viewer)
			wantStatus(t, res, http.StatusOK)
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			wantContains(t, body, `<section id="dash-tiles" data-live`, `<div id="dash-table" data-live>`, `<section id="dash-oncall" data-live`,
				`<section id="dash-incidents" data-live`, "breached: availability")
			wantNotContains(t, body, "<html", "<nav", "<form", "Sign out", "<script")
			if got := rowOrder(body); got != "database payroll" {
				t.Errorf("fragment rows %q", got)
			}
		})

		t.Run("fragment needs a session", func(t *testing.T) {
			res, body := e.get("/dashboard/fragment", nil)
			wantStatus(t, res, http.StatusUnauthorized)
			wantNotContains(t, body, "database", "<table")
		})

		t.Run("viewer and operator see the same, with nothing to edit", func(t *testing.T) {
			_, vb := e.get("/", &viewer)
			_, ob := e.get("/", &operator)
			for _, body := range []string{vb, ob} {
				wantNotContains(t, body, `method="post" action="/services`, "/edit\"", "/delete\"")
			}
			if rowOrder(vb) != rowOrder(ob) {
				t.Error("viewer and operator see different rows")
			}
		})

		t.Run("script is served under its hash", func(t *testing.T) {
			_, body := e.get("/", &viewer)
			src := regexp.MustCompile(`<script src="(/static/live\.[0-9a-f]{10}\.js)" defer>`).FindStringSubmatch(body)
			if src == nil {
				t.Fatal("no script tag")
			}
			res, js := e.get(src[1], nil)
			wantStatus(t, res, http.StatusOK)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
				t.Errorf("Content-Type %q", ct)
			}
			wantContains(t, js, "data-fragment", "visibilitychange", "Updated ", "EventSource(\"/events/stream\")")
		})
	})
}

func TestBurnDown(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newDashboardEnv(t, db)
		viewer := e.login("victor")
		t.Run("overspent", func(t *testing.T) {
			res, body := e.get("/services/database", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `<h3 id="burn-heading">Error budget burn-down</h3>`, `aria-labelledby="burn-heading burn-caption"`,
				`<strong id="burn-left">−34%</strong> now (−15m22s of 44m38s), overspent`,
				// Even spending leaves 11.3 % after 27.5 of 31 days.
				"spending it evenly would leave 11%",
				`<text class="today-l"`, `class="ideal"`, "Sat 28 Mar: −34% of the budget left (−15m22s of 44m38s)",
				"Fri 27 Mar: 100% of the budget left", ">100%</text>", ">0%</text>", ">−50%</text>", ">2 Mar</text>")
		})
		t.Run("spent early in the period", func(t *testing.T) {
			_, body := e.get("/services/search", &viewer)
			wantContains(t, body, `<strong id="burn-left">6%</strong> now (26m24s of 7h26m24s)`,
				"Wed 4 Mar: 100% of the budget left", "Thu 5 Mar: 6% of the budget left")
			wantNotContains(t, body, "overspent", ">−50%</text>")
		})
		t.Run("none without a budget", func(t *testing.T) {
			_, body := e.get("/services/wiki", &viewer)
			wantNotContains(t, body, "burn-heading")
		})
	})
}
