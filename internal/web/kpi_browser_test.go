package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// Hand-written sources for the report page: two services in November
// 2026, one breached, one far above its target; two incidents.
type pageAvailability struct{}

func (pageAvailability) Services(_ context.Context, from, to time.Time) ([]kpi.ServiceFigures, error) {
	a, b := 0.998, 1.0
	return []kpi.ServiceFigures{
		{Service: "shop", Tier: 1, HasObjective: true, Target: 0.999, Availability: &a, Breaches: []string{"availability"}, DowntimeSeconds: 5184, DowntimeCost: 864, Budget: 20000},
		{Service: "wiki", Tier: 3, HasObjective: true, Target: 0.99, Availability: &b, Met: true, Budget: 5000},
	}, nil
}

type pageIncidents struct{}

func (pageIncidents) Incidents(_ context.Context, from, to time.Time) ([]kpi.Incident, error) {
	t := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, s); return &v }
	return []kpi.Incident{
		{ID: 7, Service: "shop", CreatedAt: *t("2026-11-03T10:00:00Z"), AcknowledgedAt: t("2026-11-03T10:04:00Z"), ResolvedAt: t("2026-11-03T11:00:00Z")},
		{ID: 9, Service: "shop", CreatedAt: *t("2026-11-20T10:00:00Z"), AcknowledgedAt: t("2026-11-20T10:06:00Z"), ResolvedAt: t("2026-11-20T10:26:24Z")},
	}, nil
}

// TestBrowserMonthlyReport opens the monthly report from the Reports menu
// in headless Chromium at 1280 and 390 px: the figures shown are the
// report's, the rows behind a figure open, and no width scrolls sideways.
// Screenshots go to test-output/browser as monthly-*.png.
func TestBrowserMonthlyReport(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	now := func() time.Time { return time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC) }
	monthly := func() *kpi.Monthly {
		return &kpi.Monthly{Store: &kpi.Store{DB: db}, Builder: &kpi.Builder{Now: now,
			Options: kpi.Options{Currency: "EUR", Targets: map[string]float64{"mtta": 300}},
			Sources: kpi.Sources{Availability: pageAvailability{}, Incidents: pageIncidents{}}}}
	}
	e := newEnv(t, db, func(d *Deps) { d.Monthly = monthly; d.Now = now })
	srv := httptest.NewServer(e.handler)
	defer srv.Close()
	want, err := monthly().Report(context.Background(), kpi.Month{Year: 2026, Month: time.November}, "")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, "monthly", 90*time.Second)
	do, text, shot, noSideScroll := b.do, b.text, b.shot, b.noSideScroll
	do("sign in",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "victor"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	for _, width := range []int64{1280, 390} {
		sfx := "-" + map[int64]string{1280: "wide", 390: "phone"}[width]
		do("size the window", chromedp.EmulateViewport(width, 900))
		do("open the monthly report from the Reports menu",
			chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
			chromedp.Click(chromedp.CSS(`nav .menus > li:has(a[href="/reports/monthly"]) summary`)),
			chromedp.Click(chromedp.CSS(`nav a[href="/reports/monthly"]`)),
			chromedp.WaitVisible(chromedp.ID("kpi-mtta")),
		)
		for _, name := range []string{"mtta", "mttr", "objectives_met", "downtime_cost", "over_delivery", "change_failure_rate"} {
			v, _ := want.KPI(name)
			if got := text("#kpi-" + name + " td.value"); got != v.Display {
				t.Errorf("%s shows %q, the report %q", name, got, v.Display)
			}
		}
		if got := text("#objectives-met"); got != "1 of 2" {
			t.Errorf("objectives met reads %q", got)
		}
		if got := text("#over-delivery + p + ul"); !strings.Contains(got, "wiki") {
			t.Errorf("the candidates to spend less on read %q", got)
		}
		noSideScroll("the monthly report" + sfx)
		shot("report" + sfx)
		do("open the rows behind MTTR",
			chromedp.Click(chromedp.CSS(`#kpi-mttr summary`)),
			chromedp.WaitVisible(chromedp.CSS(`#kpi-mttr a[href="/incidents/9"]`)),
		)
		shot("behind-mttr" + sfx)
	}
}
