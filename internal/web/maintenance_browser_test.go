package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestBrowserMaintenanceAndCheckPage walks the maintenance builder and the
// check page in headless Chromium at 1280 px and at 390 px, the width of a
// phone, where neither page may scroll sideways. Screenshots go to
// test-output/browser as maint-*.png.
func TestBrowserMaintenanceAndCheckPage(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	bg := context.Background()
	cat, authSvc := catalog.NewStore(db, nil), auth.NewService(db, nil)
	if _, err := cat.PutCalendar(bg, "test", catalog.Calendar{Name: "office", CalendarSpec: catalog.CalendarSpec{
		Timezone: "Europe/Berlin", Weekly: []catalog.WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}}}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	for _, s := range []catalog.Service{
		{Name: "payroll", Title: "Payroll", Objective: &catalog.Objective{Hours: "office", Availability: "99.5%"}},
		{Name: "shop", Title: "Web shop", Objective: &catalog.Objective{Availability: "99.9%"}},
	} {
		if _, err := cat.PutService(bg, "test", s, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := authSvc.CreateUser(bg, "test", auth.NewUser{Name: "olivia", Password: testPassword, Role: auth.Operator}); err != nil {
		t.Fatal(err)
	}
	outages := timeline.NewStore(db, nil)
	checks := monitor.NewStore(db, nil)
	mon := monitor.New(monitor.Options{DB: db, Checks: checks, Timeline: outages})
	if _, err := checks.Put(bg, "test", monitor.Check{Name: "payroll-web", Service: "payroll", Type: "http", URL: "https://payroll.example/health",
		Interval: "1h", Locations: []string{"paris", "frankfurt"}}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	if err := mon.Load(bg); err != nil {
		t.Fatal(err)
	}
	// Two days of results every 15 minutes, with a refused-connection
	// stretch from both locations an hour long and a few slow ones.
	now := time.Now().UTC()
	var hist []monitor.Result
	for i := 191; i >= 0; i-- {
		at := now.Add(-time.Duration(i)*15*time.Minute - 5*time.Second)
		for j, loc := range []string{"paris", "frankfurt"} {
			out, reason, lat := availability.Up, "all conditions met", time.Duration(40+(i*13)%30+j*9)*time.Millisecond
			switch {
			case i >= 20 && i < 24:
				out, reason, lat = availability.Down, "dial tcp 192.0.2.10:443: connection refused", 0
			case i%31 == 7:
				out, reason, lat = availability.Degraded, "[RESPONSE_TIME] (612) < 500", 612*time.Millisecond
			}
			hist = append(hist, monitor.Result{Check: "payroll-web", Location: loc, At: at.Add(time.Duration(j) * time.Second), Outcome: out, Latency: lat, Reason: reason})
		}
	}
	if err := mon.Record(bg, hist); err != nil {
		t.Fatal(err)
	}
	mon.Housekeep(bg)
	// Results recorded after the fact cannot date state changes before the
	// check existed, so its state history is laid down as it would have
	// been: up for two days but for the refused hour.
	if err := outages.Append(bg, nil,
		timeline.Transition{Service: "payroll", Input: "check:payroll-web", At: now.Add(-48 * time.Hour), State: availability.Up},
		timeline.Transition{Service: "payroll", Input: "check:payroll-web", At: now.Add(-24*15*time.Minute - 5*time.Second), State: availability.Down},
		timeline.Transition{Service: "payroll", Input: "check:payroll-web", At: now.Add(-20*15*time.Minute - 5*time.Second), State: availability.Up},
	); err != nil {
		t.Fatal(err)
	}
	engine := &incident.Engine{Timeline: outages, Now: time.Now}
	engine.Configure(incident.Setup{})
	signer, err := incident.LoadSigner(bg, db)
	if err != nil {
		t.Fatal(err)
	}
	outbox := &notify.Outbox{DB: db}
	ui, err := New(Deps{Auth: authSvc, Catalog: cat, Outages: outages, Reports: timeline.NewReporter(cat, outages, nil),
		Monitor: mon, Checks: checks, Incidents: &incident.Store{DB: db, Engine: engine}, Signer: signer, Deliveries: outbox.Deliveries,
		Version: "browser-test", OnCall: testDirectory(t),
		Audit: func(ctx context.Context, f audit.Filter, p store.Page) ([]audit.Entry, string, error) {
			return audit.List(ctx, db, f, p)
		}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := newBrowser(t, "maint", 90*time.Second)
	ctx := b.ctx
	do, text, shot, noSideScroll := b.do, b.text, b.shot, b.noSideScroll
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	do("sign in",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "olivia"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		// The login page has a main too: wait for the signed-in page, or
		// the next navigation races the login's redirect.
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)

	for _, width := range []int64{1280, 390} {
		sfx := fmt.Sprintf("-%d", width)
		do("size the window", chromedp.EmulateViewport(width, 900))

		// The check page: uptime tiles, the range picker, runs.
		do("open the check",
			chromedp.Navigate(srv.URL+"/checks/payroll-web"),
			chromedp.WaitVisible(chromedp.CSS(".uptime-tiles")),
		)
		if n := count(".uptime-tiles .tile"); n != 4 {
			t.Errorf("%d uptime tiles; want 4", n)
		}
		// Down one hour of the last 24: 95.833%.
		if got := text(".uptime-tiles .tile:first-child"); !strings.Contains(got, "Last 24 hours") || !strings.Contains(got, "95.833%") || !strings.Contains(got, "In service hours") {
			t.Errorf("the first tile reads %q", got)
		}
		if got := text("table.runs tbody"); !strings.Contains(got, "×8") || !strings.Contains(got, "connection refused") {
			t.Errorf("the runs read %q; want the refused stretch as one run of 8", got)
		}
		noSideScroll("the check page" + sfx)
		shot("check" + sfx)
		do("pick 7 days",
			chromedp.Click(chromedp.CSS(`.range-picker a[href$="range=7d#latency"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.range-picker a[aria-current="true"][href$="range=7d#latency"]`)),
		)
		if got := text("#chart-caption"); !strings.Contains(got, "hourly summaries over the last 7 days") {
			t.Errorf("the 7-day caption reads %q", got)
		}
		noSideScroll("the check page over 7 days" + sfx)
		shot("check-7d" + sfx)
		do("pause",
			chromedp.Click(chromedp.CSS(`form[action="/checks/payroll-web/pause"] button`)),
			chromedp.WaitVisible(chromedp.ID("paused")),
		)
		shot("check-paused" + sfx)
		do("resume",
			chromedp.Click(chromedp.CSS(`form[action="/checks/payroll-web/resume"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/checks/payroll-web/pause"]`)),
		)

		// The builder: a weekly window on two services, previewed, then saved.
		do("open the form",
			chromedp.Navigate(srv.URL+"/maintenance/new?service=payroll"),
			chromedp.WaitVisible(chromedp.CSS(".maintenance-form")),
			chromedp.Click(chromedp.CSS(`input[name="services"][value="shop"]`)),
			chromedp.Click(chromedp.ID("kind-recurring")),
			chromedp.WaitVisible(chromedp.CSS(".recurring-only")),
			chromedp.SetValue(chromedp.ID("f-title"), "Patching "+sfx),
			chromedp.SetValue(chromedp.ID("f-freq"), "weekly"),
			chromedp.Click(chromedp.CSS(`input[name="days"][value="SU"]`)),
			chromedp.SetValue(chromedp.ID("f-time"), "02:00"),
			chromedp.SetValue(chromedp.ID("f-duration"), "2h"),
		)
		noSideScroll("the maintenance form" + sfx)
		shot("builder" + sfx)
		do("preview",
			chromedp.Click(chromedp.CSS(`button[value="preview"]`)),
			chromedp.WaitVisible(chromedp.ID("preview")),
		)
		if got := text("code.rrule"); got != "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0" {
			t.Errorf("the rule reads %q", got)
		}
		if n := count("ol.occurrences li"); n != 5 {
			t.Errorf("%d occurrences previewed; want 5", n)
		}
		noSideScroll("the preview" + sfx)
		shot("preview" + sfx)
		do("schedule",
			chromedp.Click(chromedp.CSS(`button[value="save"]`)),
			chromedp.WaitVisible(chromedp.CSS(".alert.success")),
		)
		if got := text(".alert.success"); !strings.Contains(got, "Scheduled on 2 services") {
			t.Errorf("after saving: %q", got)
		}
		noSideScroll("the maintenance page" + sfx)
		shot("maintenance" + sfx)

		// A one-off window with a mistake: the end before the start.
		do("a one-off window ending before it starts",
			chromedp.Navigate(srv.URL+"/maintenance/new?service=shop"),
			chromedp.WaitVisible(chromedp.CSS(".maintenance-form")),
			chromedp.Click(chromedp.ID("kind-once")),
			chromedp.SetValue(chromedp.ID("f-start"), "2030-12-05T22:00"),
			chromedp.SetValue(chromedp.ID("f-end"), "2030-12-05T21:00"),
			chromedp.Click(chromedp.CSS(`button[value="save"]`)),
			chromedp.WaitVisible(chromedp.CSS(".alert.error.summary")),
		)
		if got := text("#f-end-error"); !strings.Contains(got, "must be after the start") {
			t.Errorf("the end's problem reads %q", got)
		}
		noSideScroll("the form with a problem" + sfx)
		shot("one-off-problem" + sfx)
	}
}
