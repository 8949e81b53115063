package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// findChromium returns the browser to drive: $SEXTANT_CHROMIUM,
// /usr/bin/chromium, or chromium on PATH.
func findChromium() string {
	if p := os.Getenv("SEXTANT_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// screenshotDir returns test-output/browser at the repository root,
// created when missing.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, "test-output", "browser")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBrowser walks through the UI in headless Chromium the way a person
// would: sign in, read the list, open a service, edit it, and meet a
// validation error. Each step leaves a screenshot in test-output/browser.
func TestBrowser(t *testing.T) {

	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	cat, authSvc := catalog.NewStore(db, nil), auth.NewService(db, nil)
	bg := context.Background()
	if _, err := cat.PutCalendar(bg, "test", catalog.Calendar{Name: "office", CalendarSpec: catalog.CalendarSpec{
		Timezone: "Europe/Berlin", Weekly: []catalog.WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}}}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	for _, s := range []catalog.Service{
		{Name: "database", Title: "Main database", Owner: "dba", Tier: 1, Objective: &catalog.Objective{Availability: "99.9%"}},
		{Name: "payroll", Title: "Payroll", Owner: "finance-it", Tier: 2, Description: "Pays everyone on the 25th.",
			DependsOn: []catalog.Dependency{{Service: "database", Kind: catalog.Hard}},
			Objective: &catalog.Objective{Hours: "office", Availability: "99.5%", MaxOutage: "30m"}},
		{Name: "shop", Title: "Web shop", Owner: "web", Tier: 1, DependsOn: []catalog.Dependency{{Service: "database", Kind: catalog.Soft}},
			Objective: &catalog.Objective{Availability: "99.9%", MaxOutage: "5m"}},
	} {
		if _, err := cat.PutService(bg, "test", s, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
	}
	for _, nu := range []auth.NewUser{{Name: "olivia", Password: testPassword, Role: auth.Operator}, {Name: "ada", Password: testPassword, Role: auth.Admin, DisplayName: "Ada Lovelace"}} {
		if _, err := authSvc.CreateUser(bg, "test", nu); err != nil {
			t.Fatal(err)
		}
	}
	outages := timeline.NewStore(db, nil)
	// The shop has been down for 50 minutes, and stays down for another
	// hour: over its 5-minute limit and its whole monthly budget.
	{
		now := time.Now().UTC().Truncate(time.Second)
		start := now.Add(-50 * time.Minute)
		if monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC); start.Before(monthStart) {
			start = monthStart
		}
		from, to, state := start.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339), "down"
		if _, err := outages.Record(bg, "test", "shop", timeline.NewOutage{Start: &from, End: &to, State: &state, Note: "payment provider unreachable"}); err != nil {
			t.Fatal(err)
		}
	}
	checks := monitor.NewStore(db, nil)
	mon := monitor.New(monitor.Options{DB: db, Checks: checks, Timeline: outages})
	// A check with a day of history, so that the list and the chart have
	// something to draw: mostly fine, slower in the afternoon, a few
	// degraded results and a short outage.
	if _, err := checks.Put(bg, "test", monitor.Check{Name: "database-port", Service: "database", Type: "tcp", Host: "127.0.0.1", Port: 1,
		Interval: "1h", Locations: []string{"paris", "frankfurt"}}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	// Two more, run by agents only (not by this server): one down, one degraded.
	for _, c := range []monitor.Check{
		{Name: "payroll-export", Service: "payroll", Type: "tcp", Host: "10.0.0.7", Port: 22, Interval: "1h", Locations: []string{"frankfurt"}},
		{Name: "payroll-search", Service: "payroll", Type: "http", URL: "https://search.payroll.example/", Interval: "1h", Locations: []string{"paris"},
			Conditions: []monitor.ConditionSpec{{Condition: "[RESPONSE_TIME] < 500", Degraded: true}}},
	} {
		if _, err := checks.Put(bg, "test", c, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := checks.Put(bg, "test", monitor.Check{Name: "nightly-backup", Service: "payroll", Type: "heartbeat", Cron: "0 2 * * *", Timezone: "Europe/Berlin", Grace: "30m"}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	if err := mon.Load(bg); err != nil {
		t.Fatal(err)
	}
	histNow := time.Now().UTC()
	var hist []monitor.Result
	for i := 95; i >= 0; i-- {
		at := histNow.Add(-time.Duration(i)*15*time.Minute - 5*time.Second)
		for j, loc := range []string{"paris", "frankfurt"} {
			lat := time.Duration(4+(i*7)%5+j*11) * time.Millisecond
			out, reason := availability.Up, "all conditions met"
			switch {
			case i >= 40 && i < 44 && loc == "paris":
				out, reason, lat = availability.Down, "dial tcp 127.0.0.1:1: connection refused", 0
			case i%23 == 5:
				out, reason, lat = availability.Degraded, "[RESPONSE_TIME] (61) < 50", 61*time.Millisecond
			}
			hist = append(hist, monitor.Result{Check: "database-port", Location: loc, At: at.Add(time.Duration(j) * time.Second), Outcome: out, Latency: lat, Reason: reason})
		}
		export := monitor.Result{Check: "payroll-export", Location: "frankfurt", At: at, Outcome: availability.Up, Latency: time.Duration(30+i%7) * time.Millisecond, Reason: "all conditions met"}
		if i < 6 {
			export.Outcome, export.Latency, export.Reason = availability.Down, 10*time.Second, "dial tcp 10.0.0.7:22: i/o timeout"
		}
		search := monitor.Result{Check: "payroll-search", Location: "paris", At: at, Outcome: availability.Up, Latency: time.Duration(180+(i*37)%200) * time.Millisecond, Reason: "all conditions met"}
		if i < 3 {
			search.Outcome, search.Latency, search.Reason = availability.Degraded, time.Duration(640+i*50)*time.Millisecond, fmt.Sprintf("[RESPONSE_TIME] (%d) < 500", 640+i*50)
		}
		hist = append(hist, export, search)
	}
	if err := mon.Record(bg, hist); err != nil {
		t.Fatal(err)
	}
	// An open incident on payroll, with a failed notification, for the
	// incident pages.
	engine := &incident.Engine{Timeline: outages, Now: time.Now}
	engine.Configure(incident.Setup{})
	incidents := &incident.Store{DB: db, Engine: engine}
	var outcome []incident.Outcome
	if err := db.Tx(bg, func(tx *sql.Tx) error {
		var err error
		outcome, _, err = engine.Apply(bg, tx, []incident.Event{{Integration: "alertmanager", Action: incident.ActionTrigger, DedupKey: "PayrollExportFailing",
			Service: "payroll", Summary: "Payroll export to the bank is failing", Source: "prometheus", Severity: "critical",
			Details: []byte(`{"alertname":"PayrollExportFailing","instance":"10.0.0.7:22","runbook":"https://wiki.example/payroll-export"}`), Body: []byte("{}")}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	incidentID := outcome[0].IncidentID
	if _, err := db.Writer().ExecContext(bg, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
		VALUES ($1, 'ops-hook', 'triggered', 'failed', 3, 0, 0, '503 Service Unavailable', 0)`, incidentID); err != nil {
		t.Fatal(err)
	}
	signer, err := incident.LoadSigner(bg, db)
	if err != nil {
		t.Fatal(err)
	}
	outbox := &notify.Outbox{DB: db}
	ui, err := New(Deps{Auth: authSvc, Catalog: cat, Outages: outages, Reports: timeline.NewReporter(cat, outages, nil),
		Monitor: mon, Checks: checks, Incidents: incidents, Signer: signer, Deliveries: outbox.Deliveries, Version: "browser-test",
		OnCall: testDirectory(t), DashboardRefresh: time.Second,
		Escalation: func(_ context.Context, id int64) (escalation.State, bool, error) {
			return escalation.State{IncidentID: id, Policy: "default", Status: escalation.Waiting, NextAt: time.Now().Add(9 * time.Hour),
				Reason: "outside the service hours: paging starts Mon 23 Nov 09:00 CET"}, true, nil
		},
		Reassign: func(context.Context, int64, string, string) error { return nil },
		Audit: func(ctx context.Context, f audit.Filter, p store.Page) ([]audit.Entry, string, error) {
			return audit.List(ctx, db, f, p)
		}})
	if err != nil {
		t.Fatal(err)
	}
	// The monitor runs for real, so that a check created through the form
	// probes the target below.
	monCtx, stopMon := context.WithCancel(bg)
	monDone := make(chan struct{})
	go func() { defer close(monDone); _ = mon.Run(monCtx) }()
	defer func() { stopMon(); <-monDone }()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	defer target.Close()
	mux := http.NewServeMux()
	ui.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := newBrowser(t, "", 60*time.Second)
	ctx := b.ctx
	shot, do, text, location, noSideScroll := b.shot, b.do, b.text, b.location, b.noSideScroll
	// navText reads a navigation entry, which sits in a closed menu.
	navText := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(`+"`"+`nav `+sel+"`"+`) || {textContent: ""}).textContent`))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	do("open Sextant, which asks to sign in",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
	)
	if l := location(); !strings.HasPrefix(l, srv.URL+"/login?next=") {
		t.Fatalf("not sent to the login page: %s", l)
	}
	shot("login")

	do("sign in",
		chromedp.SendKeys(chromedp.ID("login-name"), "olivia"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.dash")),
	)
	if l := location(); l != srv.URL+"/" {
		t.Errorf("after sign-in at %s, want the dashboard", l)
	}
	if got := navText(`a[href="/"][aria-current="page"]`); got != "Dashboard" {
		t.Errorf("current navigation entry %q", got)
	}
	if got := text("table.dash tbody tr:first-child"); !strings.Contains(got, "shop") || !strings.Contains(got, "down") ||
		!strings.Contains(got, "breached: availability, max_outage") || !strings.Contains(got, "−") {
		t.Errorf("the dashboard's first row reads %q, want the shop down and in breach", got)
	}
	if got := text("#dash-incidents"); !strings.Contains(got, "Payroll export to the bank is failing") {
		t.Errorf("open incidents panel reads %q", got)
	}
	if got := text("#dash-oncall"); !strings.Contains(got, "primary") {
		t.Errorf("on-call panel reads %q", got)
	}
	// The page refreshes itself every second here (15 s by default) and
	// says so in its status line.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("dash-updated").textContent.startsWith("Updated ")`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("no live refresh: %v", err)
	}
	if got := text("table.dash tbody tr:first-child"); !strings.Contains(got, "breached: availability, max_outage") {
		t.Errorf("after a refresh the first row reads %q", got)
	}
	shot("dashboard")
	do("filter the dashboard without a script's help",
		chromedp.SetValue(chromedp.ID("dash-compliance"), "met"),
		chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)),
		// Only a filtered dashboard offers to clear the filter.
		chromedp.WaitVisible(chromedp.CSS(`form.filters a[href="/"]`)),
	)
	if l := location(); !strings.HasPrefix(l, srv.URL+"/?") || !strings.Contains(l, "compliance=met") {
		t.Errorf("after filtering at %s", l)
	}
	// The database meets its objective whatever the hour; payroll's verdict
	// depends on whether the test runs inside its office hours.
	if got := text("table.dash tbody"); strings.Contains(got, "shop") || !strings.Contains(got, "Main database") {
		t.Errorf("services that met their objective: %q", got)
	}

	do("open the service list",
		chromedp.Click(chromedp.CSS(`nav .menus > li:first-child summary`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/services"]`)),
		chromedp.WaitVisible(chromedp.CSS("table")),
	)
	if got := text("table tbody"); !strings.Contains(got, "Main database") || !strings.Contains(got, "99.5% · office · month") {
		t.Errorf("service list shows %q", got)
	}
	shot("services")

	do("open payroll",
		chromedp.Click(chromedp.CSS(`th a[href="/services/payroll"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/services/payroll/edit"]`)),
	)
	if got := text("h1"); !strings.Contains(got, "Payroll") {
		t.Errorf("service page heading %q", got)
	}
	shot("service")

	do("edit the title",
		chromedp.Click(chromedp.CSS(`a[href="/services/payroll/edit"]`)),
		chromedp.WaitVisible(chromedp.ID("f-title")),
		chromedp.SetValue(chromedp.ID("f-title"), "Payroll and expenses"),
	)
	shot("edit")
	do("save",
		chromedp.Click(chromedp.CSS(`.service-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert.success")),
	)
	if got := text("h1"); !strings.Contains(got, "Payroll and expenses") {
		t.Errorf("after saving, the heading is %q", got)
	}
	shot("saved")

	// Record an outage of the database through the form: the figures of the
	// current period take it in.
	now := time.Now().UTC().Truncate(time.Second)
	start := now.Add(-time.Hour)
	if monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC); start.Before(monthStart) {
		start = monthStart
	}
	do("record an outage",
		chromedp.Navigate(srv.URL+"/services/database"),
		chromedp.WaitVisible(chromedp.ID("outage-start")),
		chromedp.SetValue(chromedp.ID("outage-start"), start.Format(time.RFC3339)),
		chromedp.SetValue(chromedp.ID("outage-end"), now.Format(time.RFC3339)),
		chromedp.SetValue(chromedp.ID("outage-note"), "switch failure"),
		chromedp.Click(chromedp.CSS(`#record-outage button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert.success")),
	)
	if got := text("#fig-outages"); got != "1" {
		t.Errorf("outages this period = %q, want 1", got)
	}
	if got := text(`section[aria-labelledby="outages"]`); !strings.Contains(got, "switch failure") {
		t.Errorf("recorded outages section = %q", got)
	}
	shot("outage-recorded")
	do("the shop's burn-down",
		chromedp.Navigate(srv.URL+"/services/shop"),
		chromedp.WaitVisible(chromedp.CSS("svg.burn")),
	)
	if got := text("#burn-caption"); !strings.Contains(got, "overspent") {
		t.Errorf("the burn-down's caption reads %q", got)
	}
	shot("service-shop")
	do("back to payroll",
		chromedp.Navigate(srv.URL+"/services/payroll"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/services/payroll/edit"]`)),
	)

	do("submit an invalid availability",
		chromedp.Click(chromedp.CSS(`a[href="/services/payroll/edit"]`)),
		chromedp.WaitVisible(chromedp.ID("f-objective-availability")),
		chromedp.SetValue(chromedp.ID("f-objective-availability"), "nearly always"),
		chromedp.Click(chromedp.CSS(`.service-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("f-objective-availability-error")),
	)
	if got := text("#f-objective-availability-error"); !strings.Contains(got, `expected a percentage such as 99.9%, got "nearly always"`) {
		t.Errorf("inline error %q", got)
	}
	if got := text(".summary"); !strings.Contains(got, "Availability target") {
		t.Errorf("summary %q", got)
	}
	shot("invalid")

	do("create an HTTP check through the form",
		chromedp.Navigate(srv.URL+"/services/payroll"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/checks/new?service=payroll"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/checks/new?service=payroll"]`)),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SetValue(chromedp.ID("f-name"), "payroll-web"),
		chromedp.SetValue(chromedp.ID("f-type"), "http"),
		chromedp.SetValue(chromedp.ID("f-url"), target.URL+"/health"),
		chromedp.SetValue(chromedp.ID("f-interval"), "2s"),
		chromedp.SetValue(chromedp.ID("f-timeout"), "1s"),
		chromedp.SetValue(chromedp.ID("f-conditions"), "[STATUS] == 200\ndegraded: [RESPONSE_TIME] < 500"),
	)
	shot("check-new")
	do("save the check",
		chromedp.Click(chromedp.CSS(`.check-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert.success")),
	)
	if l := location(); l != srv.URL+"/checks/payroll-web?saved=1" {
		t.Errorf("after creating the check at %s", l)
	}
	// The scheduler runs it within its 2 s interval; its result is written
	// within 200 ms.
	for deadline := time.Now().Add(8 * time.Second); ; {
		st, err := mon.StatusOf("payroll-web", "")
		if err != nil {
			t.Fatal(err)
		}
		if st.State == availability.Up {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new check is still %s: %s", st.State, st.Reason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	do("see it on the check list",
		chromedp.Navigate(srv.URL+"/checks"),
		chromedp.WaitVisible(chromedp.CSS(`th a[href="/checks/payroll-web"]`)),
	)
	if got := text(`table.checks tbody`); !strings.Contains(got, "payroll-web") || !strings.Contains(got, "database-port") {
		t.Errorf("check list shows %q", got)
	}
	shot("checks")
	do("open it",
		chromedp.Click(chromedp.CSS(`th a[href="/checks/payroll-web"]`)),
		chromedp.WaitVisible(chromedp.ID("check-state")),
	)
	if got := text("#check-state"); !strings.Contains(got, "up") {
		t.Errorf("the new check's state reads %q", got)
	}
	shot("check")
	do("open the check with history",
		chromedp.Navigate(srv.URL+"/checks/database-port"),
		chromedp.WaitVisible(chromedp.CSS("svg.chart")),
	)
	shot("check-history")
	do("open the heartbeat",
		chromedp.Navigate(srv.URL+"/checks/nightly-backup"),
		chromedp.WaitVisible(chromedp.ID("ping-url")),
	)
	shot("check-heartbeat")

	// The incident raised in the setup: find it, acknowledge it, add a note.
	incidentPath := fmt.Sprintf("/incidents/%d", incidentID)
	do("open the incident list",
		chromedp.Navigate(srv.URL+"/incidents"),
		chromedp.WaitVisible(chromedp.CSS("table.incidents")),
	)
	if got := text("table.incidents tbody"); !strings.Contains(got, "Payroll export to the bank is failing") || !strings.Contains(got, "triggered") {
		t.Errorf("incident list shows %q", got)
	}
	shot("incidents")
	do("open the incident",
		chromedp.Click(chromedp.CSS(`th a[href="`+incidentPath+`"]`)),
		chromedp.WaitVisible(chromedp.ID("incident-status")),
	)
	if got := text("#incident-deliveries .table-wrap"); !strings.Contains(got, "503 Service Unavailable") {
		t.Errorf("delivery log shows %q", got)
	}
	shot("incident")
	do("acknowledge it",
		chromedp.Click(chromedp.CSS(`form[action="`+incidentPath+`/acknowledge"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".alert.success")),
	)
	if got := text("#incident-status"); !strings.Contains(got, "acknowledged") {
		t.Errorf("after acknowledging, the status reads %q", got)
	}
	if got := text("ol.timeline li:last-child"); !strings.Contains(got, "acknowledged") || !strings.Contains(got, "user:olivia") {
		t.Errorf("the last timeline entry reads %q", got)
	}
	shot("incident-acknowledged")
	do("add a note",
		chromedp.SetValue(chromedp.ID("note-text"), "The bank's SFTP server is down; they expect it back at 10:00."),
		chromedp.Click(chromedp.CSS(`#note-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("ol.timeline li.tl-note")),
	)
	if got := text("ol.timeline li.tl-note"); !strings.Contains(got, "SFTP server is down") {
		t.Errorf("the note reads %q", got)
	}
	shot("incident-note")

	// The on-call pages: who is on call, people and policies; a schedule
	// with its timeline, asked who is on call across the DST change.
	do("open the on-call page",
		chromedp.Click(chromedp.CSS(`nav .menus > li:first-child summary`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/oncall"]`)),
		chromedp.WaitVisible(chromedp.CSS(".oncall-cards")),
	)
	if got := navText(`a[href="/oncall"][aria-current="page"]`); got != "On-call" {
		t.Errorf("current navigation entry %q", got)
	}
	shot("oncall")
	do("open a schedule and ask who is on call",
		chromedp.Click(chromedp.CSS(`.oncall-card a[href="/oncall/schedules/primary"]`)),
		chromedp.WaitVisible(chromedp.ID("at-input")),
		chromedp.SetValue(chromedp.ID("at-input"), "2026-03-29T09:30"),
		chromedp.Click(chromedp.CSS(`.at-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".at-answer")),
	)
	if got := text(".at-answer"); !strings.Contains(got, "alice is on call") || !strings.Contains(got, "07:30 UTC") {
		t.Errorf("the answer reads %q", got)
	}
	shot("schedule")

	do("narrow dashboard",
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("table.dash")),
	)
	noSideScroll("the dashboard")
	shot("dashboard-narrow")
	do("narrow screen",
		chromedp.Navigate(srv.URL+"/services"),
		chromedp.WaitVisible(chromedp.CSS("table")),
	)
	shot("services-narrow")
	do("narrow check list",
		chromedp.Navigate(srv.URL+"/checks"),
		chromedp.WaitVisible(chromedp.CSS("table.checks")),
	)
	shot("checks-narrow")
	do("narrow on-call page",
		chromedp.Navigate(srv.URL+"/oncall"),
		chromedp.WaitVisible(chromedp.CSS(".oncall-cards")),
	)
	shot("oncall-narrow")

	dark := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	})
	do("dark theme",
		dark,
		chromedp.Navigate(srv.URL+"/services/payroll"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/services/payroll/edit"]`)),
	)
	shot("service-narrow-dark")
	do("the dashboard in the dark",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("table.dash")),
	)
	shot("dashboard-narrow-dark")
	do("a burn-down in the dark",
		chromedp.Navigate(srv.URL+"/services/shop"),
		chromedp.WaitVisible(chromedp.CSS("svg.burn")),
	)
	shot("service-shop-narrow-dark")
	noSideScroll("the shop's page")
	do("a check in the dark",
		chromedp.Navigate(srv.URL+"/checks/database-port"),
		chromedp.WaitVisible(chromedp.CSS("svg.chart")),
	)
	shot("check-narrow-dark")
	do("the incident list in the dark",
		chromedp.Navigate(srv.URL+"/incidents?status=all"),
		chromedp.WaitVisible(chromedp.CSS("table.incidents")),
	)
	shot("incidents-narrow-dark")
	do("the incident in the dark",
		chromedp.Navigate(srv.URL+incidentPath),
		chromedp.WaitVisible(chromedp.ID("incident-status")),
	)
	shot("incident-narrow-dark")
	do("a schedule in the dark",
		chromedp.Navigate(srv.URL+"/oncall/schedules/primary?at=2026-03-29T02:30"),
		chromedp.WaitVisible(chromedp.CSS(".at-answer")),
	)
	shot("schedule-narrow-dark")
	_, _, resolveLink := signer.Links(srv.URL, incidentID, time.Now())
	do("a signed resolve link",
		chromedp.Navigate(resolveLink),
		chromedp.WaitVisible(chromedp.CSS(`form[action="`+incidentPath+`/act/resolve"] button`)),
	)
	shot("incident-link-narrow-dark")
	do("the check list in the dark, wide",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/checks"),
		chromedp.WaitVisible(chromedp.CSS("table.checks")),
	)
	shot("checks-dark")
	do("the dashboard in the dark, wide",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("table.dash")),
	)
	shot("dashboard-dark")
	do("a burn-down in the dark, wide",
		chromedp.Navigate(srv.URL+"/services/shop"),
		chromedp.WaitVisible(chromedp.CSS("svg.burn")),
	)
	shot("service-shop-dark")
	do("the on-call page in the dark, wide",
		chromedp.Navigate(srv.URL+"/oncall"),
		chromedp.WaitVisible(chromedp.CSS(".oncall-cards")),
	)
	shot("oncall-dark")

	// The admin area, as an admin: the audit log of everything above, and
	// the calendar editor meeting a bad time zone.
	do("sign in as an admin",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.Navigate(srv.URL+"/login?next=/admin/audit"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "ada"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("ol.audit-log")),
		chromedp.Click(chromedp.CSS("ol.audit-log li:first-child summary")),
	)
	if got := navText(`a[href="/admin"][aria-current="page"]`); got != "Users, tokens and audit" {
		t.Errorf("current navigation entry %q", got)
	}
	if got := text("ol.audit-log li:first-child"); !strings.Contains(got, "create check payroll-web by user:olivia") || !strings.Contains(got, `"interval": "2s"`) {
		t.Errorf("the newest audit entry reads %q", got)
	}
	shot("admin-audit-dark")
	do("the audit log on a phone",
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(srv.URL+"/admin/audit?type=service"),
		chromedp.WaitVisible(chromedp.CSS("ol.audit-log")),
		chromedp.Click(chromedp.CSS("ol.audit-log li:first-child summary")),
	)
	noSideScroll("the audit log")
	shot("admin-audit-narrow-dark")
	do("a new calendar with a bad time zone",
		chromedp.Navigate(srv.URL+"/calendars/new"),
		chromedp.WaitVisible(chromedp.ID("f-timezone")),
		chromedp.SetValue(chromedp.ID("f-name"), "support"),
		chromedp.SetValue(chromedp.ID("f-timezone"), "Europe/Pariss"),
		chromedp.SetValue(chromedp.ID("f-weekly-0-days"), "mon-fri"),
		chromedp.SetValue(chromedp.ID("f-weekly-0-from"), "08:00"),
		chromedp.SetValue(chromedp.ID("f-weekly-0-to"), "20:00"),
		chromedp.SetValue(chromedp.ID("f-holidays"), "2026-12-25\n2026-12-32"),
	)
	noSideScroll("the calendar form")
	shot("calendar-new-narrow-dark")
	do("submit it",
		chromedp.Click(chromedp.CSS(`.calendar-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("f-timezone-error")),
	)
	if got := text("#f-holidays-error"); !strings.Contains(got, "line 2:") {
		t.Errorf("the holidays' problem reads %q", got)
	}
	noSideScroll("the calendar form with problems")
	shot("calendar-invalid-narrow-dark")
	do("the users on a phone",
		chromedp.Navigate(srv.URL+"/admin/users"),
		chromedp.WaitVisible(chromedp.CSS("table.users")),
	)
	noSideScroll("the user list")
	shot("admin-users-narrow-dark")
}
