package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/live"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/status"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/subscribe"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// fitEnv is a UI with something on every page, served with an event
// broker the test publishes to.
type fitEnv struct {
	*pmEnv
	live      *live.Broker
	srv       *httptest.Server
	incident  int64
	postmort  int64
	knownErr  int64
	checkName string
}

func newFitEnv(t *testing.T) *fitEnv {
	t.Helper()
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e := &fitEnv{pmEnv: newPMEnv(t, db), live: &live.Broker{}, checkName: "payroll-web"}
	bg := context.Background()
	if _, err := e.catalog.PutCalendar(bg, "test", catalog.Calendar{Name: "office", CalendarSpec: catalog.CalendarSpec{
		Timezone: "Europe/Berlin", Weekly: []catalog.WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}}}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	e.putService(catalog.Service{Name: "database", Title: "Main database", Owner: "database-administrators", Tier: 1,
		Objective: &catalog.Objective{Availability: "99.9%", DowntimeCost: ptr(1234567.891)}})
	e.putService(catalog.Service{Name: "payroll-and-expenses-processing", Title: "Payroll and expenses processing for every subsidiary", Owner: "finance-it-operations", Tier: 2,
		DependsOn:   []catalog.Dependency{{Service: "database", Kind: catalog.Hard}},
		Objective:   &catalog.Objective{Hours: "office", Availability: "99.5%", MaxOutage: "30m", DowntimeCost: ptr(1200.0)},
		Maintenance: []catalog.MaintenanceWindow{{Title: "Weekly backup verification", RRule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", Duration: "2h", Timezone: "Europe/Berlin"}}})
	e.putCheck(monitor.Check{Name: e.checkName, Service: "payroll-and-expenses-processing", Type: "http", URL: "https://payroll.example/health", Interval: "1h", Locations: []string{"paris"}})
	now := time.Now().UTC()
	var hist []monitor.Result
	for i := 30; i >= 1; i-- {
		hist = append(hist, monitor.Result{Check: e.checkName, Location: "paris", At: now.Add(-time.Duration(i) * 10 * time.Minute), Outcome: availability.Up,
			Latency: time.Duration(40+i%9) * time.Millisecond, Reason: "all conditions met"})
	}
	e.record(hist...)
	e.incident = e.trigger("payroll-and-expenses-processing", "export", "Payroll export to the bank is failing for every subsidiary at once")
	old := e.trigger("database", "disk", "Disk almost full")
	if _, err := e.incidents.Resolve(bg, old, "user:olivia"); err != nil {
		t.Fatal(err)
	}
	pm, err := e.postmortems.Create(bg, "user:olivia", old)
	if err != nil {
		t.Fatal(err)
	}
	e.postmort = pm.ID
	ke, err := e.known.Create(bg, "user:olivia", knownErrorInput("Export fails when the bank's SFTP rotates keys", "payroll-and-expenses-processing", "export", "Re-run the export after 10 minutes."))
	if err != nil {
		t.Fatal(err)
	}
	e.knownErr = ke.ID
	outbox := &notify.Outbox{DB: db}
	ui, err := New(Deps{Auth: e.auth, Catalog: e.catalog, Outages: e.outages, Reports: timeline.NewReporter(e.catalog, e.outages, nil),
		Monitor: e.monitor, Checks: e.checks, Incidents: e.incidents, Signer: e.signer, Deliveries: outbox.Deliveries,
		Postmortems: e.postmortems, KnownErrors: e.known, OnCall: testDirectory(t), Version: "fit-test",
		Audit: func(ctx context.Context, f audit.Filter, p store.Page) ([]audit.Entry, string, error) {
			return audit.List(ctx, db, f, p)
		},
		// Only the event stream can update a page within the test's
		// seconds: the periodic refresh is an hour away.
		DashboardRefresh: time.Hour, Live: e.live})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	// The public status page, with its subscribe form, is on the same
	// server, as in the product.
	pub, err := status.New(status.Options{Reporter: timeline.NewReporter(e.catalog, e.outages, nil), Incidents: e.incidents, Subscriptions: openForm{},
		Pages: func() []status.Page {
			return []status.Page{{Name: "main", Title: "Example Corporation's services, at a glance, for every subsidiary", Description: "Payroll, expenses and the main database.",
				Groups: []status.Group{{Title: "Finance and payroll applications", Services: []string{"payroll-and-expenses-processing", "database"}}}}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	pub.Register(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// pages are every page of the UI an admin can open, with something on it.
func (e *fitEnv) pages() []string {
	return []string{
		"/", "/incidents", "/incidents?status=all", fmt.Sprintf("/incidents/%d", e.incident),
		"/oncall", "/oncall/schedules/primary",
		"/services", "/services/new", "/services/payroll-and-expenses-processing", "/services/payroll-and-expenses-processing/edit",
		"/services/payroll-and-expenses-processing/delete",
		"/checks", "/checks/new", "/checks/" + e.checkName, "/checks/" + e.checkName + "/edit", "/checks/" + e.checkName + "/delete",
		"/calendars", "/calendars/new", "/calendars/office", "/calendars/office/edit", "/calendars/office/delete",
		"/postmortems", fmt.Sprintf("/postmortems/%d", e.postmort),
		"/known-errors", "/known-errors/new", fmt.Sprintf("/known-errors/%d", e.knownErr), fmt.Sprintf("/known-errors/%d/edit", e.knownErr),
		"/admin", "/admin/users", "/admin/users/victor/delete", "/admin/users/victor/password", "/admin/tokens", "/admin/audit",
		"/no-such-page",
		"/status", "/status/main",
	}
}

// openForm is a status page's subscriptions with the form shown: every
// well-formed request is taken, and no link is valid.
type openForm struct{}

func (openForm) Enabled() bool { return true }
func (openForm) Subscribe(_ context.Context, _, address, _ string) error {
	_, err := subscribe.Address(address)
	return err
}
func (openForm) Confirm(context.Context, string, int64, string) error {
	return apperr.NotFound("subscription")
}
func (openForm) CheckUnsubscribe(context.Context, string, int64, string) error {
	return apperr.NotFound("subscription")
}
func (openForm) Unsubscribe(context.Context, string, int64, string) error {
	return apperr.NotFound("subscription")
}

// signIn signs the tab in through the login form.
func signIn(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), name),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	); err != nil {
		t.Fatalf("sign in as %s: %v", name, err)
	}
}

// TestPagesFit visits every page on a 390 px phone and asserts that none
// scrolls sideways (only a table or chart may, inside its own box), and
// that the dashboard's table fits a 1280 px window whole.
func TestPagesFit(t *testing.T) {
	e := newFitEnv(t)
	b := newBrowser(t, "fit", 90*time.Second)
	ctx, shots := b.ctx, b.shots
	signIn(t, ctx, e.srv.URL, "ada")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	for _, p := range e.pages() {
		t.Run("390px "+p, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+p), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
				t.Fatal(err)
			}
			w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
			if err != nil {
				t.Fatal(err)
			}
			if w[0] > w[1] {
				t.Errorf("%s is %d px wide in a %d px window", p, w[0], w[1])
				png, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				name := "fit-390-" + strings.NewReplacer("/", "_", "?", "_", "=", "_").Replace(p) + ".png"
				_ = os.WriteFile(filepath.Join(shots, name), png, 0o644)
			}
		})
	}
	t.Run("the status page's subscribe answers on a phone", func(t *testing.T) {
		for _, c := range []struct{ name, email, answer string }{
			{"mistyped", "reader at example", "#subscribe-email-error"},
			{"sent", "reader@example.com", "main.subscription h2"},
		} {
			if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/status/main"), chromedp.WaitVisible(chromedp.ID("subscribe-email")),
				chromedp.SendKeys(chromedp.ID("subscribe-email"), c.email),
				chromedp.Click(chromedp.CSS(`.subscribe-form button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(c.answer))); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			b.noSideScroll("the subscribe answer (" + c.name + ")")
			b.shot("390-subscribe-" + c.name)
		}
	})
	t.Run("the navigation opens by keyboard on a phone", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("table.dash")),
			chromedp.Focus(chromedp.CSS(`nav .menus > li:first-child summary`)),
			chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS(`nav a[href="/checks"]`))); err != nil {
			t.Fatal(err)
		}
		w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth,
			Math.ceil(document.querySelector("details.menu[open] > ul").getBoundingClientRect().right)]`))
		if err != nil {
			t.Fatal(err)
		}
		if w[0] > w[1] || w[2] > w[1] {
			t.Errorf("with the menu open the page is %d px and the menu ends at %d px in a %d px window", w[0], w[2], w[1])
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			_ = os.WriteFile(filepath.Join(shots, "fit-390-menu.png"), png, 0o644)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\x1b")); err != nil {
			t.Fatal(err)
		}
		open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("details.menu[open]") !== null`))
		if err != nil || open {
			t.Errorf("Escape left the menu open (%v)", err)
		}
	})
	t.Run("the dashboard table fits 1280 px", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("table.dash"))); err != nil {
			t.Fatal(err)
		}
		w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(function () {
			var wrap = document.querySelector("#dash-table .table-wrap"), table = wrap.querySelector("table");
			return [Math.ceil(table.getBoundingClientRect().right), window.innerWidth, wrap.scrollWidth, wrap.clientWidth, document.documentElement.scrollWidth];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if w[0] > w[1] || w[2] > w[3] || w[4] > w[1] {
			t.Errorf("the dashboard table ends at %d px in a %d px window; its box scrolls %d px of %d; the page is %d px", w[0], w[1], w[2], w[3], w[4])
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			_ = os.WriteFile(filepath.Join(shots, "fit-1280-dashboard.png"), png, 0o644)
		}
	})
	t.Run("times read in the browser's zone", func(t *testing.T) {
		tz := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"})
			return err
		})
		if err := chromedp.Do(ctx, tz, chromedp.Navigate(e.srv.URL+fmt.Sprintf("/incidents/%d", e.incident)), chromedp.WaitVisible(chromedp.ID("incident-status"))); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () { var el = document.querySelector("#incident-status time.t"); return [el.title, el.textContent]; })()`))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got[0], "GMT+9") || (got[1] != "just now" && !strings.HasSuffix(got[1], " ago")) {
			t.Errorf("the incident's time reads %q with %q on hover, want a relative time and the exact time in Tokyo", got[1], got[0])
		}
	})
	t.Run("a destructive button is no louder than its neighbours", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/services/payroll-and-expenses-processing"), chromedp.WaitVisible(chromedp.CSS("a.danger"))); err != nil {
			t.Fatal(err)
		}
		bg, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[getComputedStyle(document.querySelector(".heading a.danger")).backgroundColor,
			getComputedStyle(document.querySelector(".heading a.button:not(.danger)")).backgroundColor]`))
		if err != nil {
			t.Fatal(err)
		}
		if bg[0] != bg[1] {
			t.Errorf("Delete is filled with %s beside Edit's %s", bg[0], bg[1])
		}
	})

}

func ptr[T any](v T) *T { return &v }

// TestLiveUpdates watches pages change without a reload when the server
// says something changed: a check going down at 1280 px, and on a 390 px
// phone a new incident on the dashboard and in the incident list (a ticked
// box stays ticked) and an incident acknowledged on its page. The periodic refresh is an hour (dashboard) or 30 s (other
// pages) away, so only the event stream can bring the change in time.
func TestLiveUpdates(t *testing.T) {
	e := newFitEnv(t)
	b := newBrowser(t, "", 60*time.Second)
	ctx, shots := b.ctx, b.shots
	signIn(t, ctx, e.srv.URL, "olivia")
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, "live-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// open loads a page, waits for its event stream to be open, and marks
	// the document so that a reload would show.
	open := func(path, sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("[data-live-connected]") !== null`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Fatalf("%s: the event stream did not open: %v", path, err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
			t.Fatal(err)
		}
	}
	// waitFor polls until sel's text contains want, then checks that the
	// page was not reloaded to get there.
	waitFor := func(sel, want string) {
		t.Helper()
		js := fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent.includes(%q)`, sel, want)
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent`, sel)))
			t.Fatalf("%s never read %q: %q (%v)", sel, want, got, err)
		}
		same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded === true`))
		if err != nil || !same {
			t.Errorf("the page was reloaded to show %q (%v)", want, err)
		}
	}

	{
		t.Log("a check goes down at 1280 px")
		open("/checks/"+e.checkName, "#check-state")
		shot("1280-check-before")
		e.record(monitor.Result{Check: e.checkName, Location: "paris", At: time.Now().UTC(), Outcome: availability.Down, Reason: "connection refused"})
		e.live.Publish(live.Event{Kind: live.Check, Name: e.checkName})
		waitFor("#check-state", "connection refused")
		waitFor("#check-results", "connection refused")
		shot("1280-check-after")
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	{
		t.Log("a new incident reaches the dashboard at 390 px")
		open("/", "table.dash")
		shot("390-dashboard-before")
		e.trigger("database", "replica-lag", "Replica lag above five minutes")
		e.live.Publish(live.Event{Kind: live.Incident})
		waitFor("#dash-incidents", "Replica lag above five minutes")
		waitFor("#dash-updated", "Updated ")
		shot("390-dashboard-after")
	}
	{
		t.Log("a new incident reaches the incident list at 390 px, and what is ticked stays ticked")
		open("/incidents", "#incident-list")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID(fmt.Sprintf("pick-%d", e.incident)))); err != nil {
			t.Fatal(err)
		}
		e.trigger("database", "backup-late", "Nightly backup is two hours late")
		e.live.Publish(live.Event{Kind: live.Incident})
		waitFor("#incident-list", "Nightly backup is two hours late")
		ticked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.getElementById("pick-%d").checked`, e.incident)))
		if err != nil || !ticked {
			t.Errorf("the ticked incident lost its tick in the update (%v)", err)
		}
		shot("390-incidents-after")
	}
	{
		t.Log("an acknowledgement reaches the incident page at 390 px")
		open(fmt.Sprintf("/incidents/%d", e.incident), "#incident-status")
		if _, err := e.incidents.Acknowledge(context.Background(), e.incident, "user:alice"); err != nil {
			t.Fatal(err)
		}
		e.live.Publish(live.Event{Kind: live.Incident})
		waitFor("#incident-status", "acknowledged")
		waitFor("#incident-timeline", "user:alice")
		shot("390-incident-after")
	}
}
