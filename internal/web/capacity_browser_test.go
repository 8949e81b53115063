package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserCapacity plans in headless Chromium at 1280 px and 390 px: a
// project from its form, a person allocated to it from their page with more
// hours than they have, the planner showing the over-allocation loud, and
// the allocation replaced by a smaller one, after which nobody is over.
// Neither width scrolls sideways. Screenshots: test-output/browser/capacity-*.png.
func TestBrowserCapacity(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	now := time.Now().UTC()
	e := capacityEnv(t, db, now)
	srv := httptest.NewServer(e.handler)
	defer srv.Close()
	b := newBrowser(t, "capacity", 90*time.Second)
	do, text, shot := b.do, b.text, b.shot
	do("sign in",
		chromedp.Navigate(srv.URL+"/login?next=/capacity"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "olivia"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	start := now.AddDate(0, 0, -int(now.Weekday()+6)%7).Format(time.DateOnly) // this week's Monday
	end := now.AddDate(0, 2, 0).Format(time.DateOnly)
	for _, width := range []struct {
		name string
		w, h int64
	}{{"wide", 1280, 900}, {"narrow", 390, 844}} {
		project := "erp-" + width.name
		do(width.name+": a project",
			chromedp.EmulateViewport(width.w, width.h),
			chromedp.Navigate(srv.URL+"/projects/new"),
			chromedp.WaitVisible(chromedp.ID("f-name")),
			chromedp.SendKeys(chromedp.ID("f-name"), project),
			chromedp.SetValue(chromedp.ID("f-status"), "confirmed"),
			chromedp.SetValue(chromedp.ID("f-start"), start),
			chromedp.SetValue(chromedp.ID("f-end"), end),
			chromedp.SendKeys(chromedp.ID("f-budget_hours"), "300"),
			chromedp.Click(chromedp.CSS(`form[action="/projects/new"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("dl.facts")),
		)
		allocate := func(hours string) {
			t.Helper()
			do(width.name+": allocate "+hours+" h a day",
				chromedp.Navigate(srv.URL+"/capacity/people/olivia"),
				chromedp.WaitVisible(chromedp.ID("f-alloc-project")),
				chromedp.SetValue(chromedp.ID("f-alloc-project"), project),
				chromedp.SetValue(chromedp.ID("f-alloc-from"), start),
				chromedp.SetValue(chromedp.ID("f-alloc-to"), end),
				chromedp.SendKeys(chromedp.ID("f-alloc-hours_per_day"), hours),
				chromedp.Click(chromedp.CSS(`form[action$="/allocations"] button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("#allocations table")),
			)
		}
		allocate("10")
		b.noSideScroll(width.name + " person page")
		shot(width.name + "-person-over")
		do(width.name+": the planner",
			chromedp.Navigate(srv.URL+"/capacity?weeks=8"),
			chromedp.WaitVisible(chromedp.CSS("table.heat")),
		)
		b.noSideScroll(width.name + " planner")
		shot(width.name + "-planner-over")
		if got := text("ul.warnings"); !strings.Contains(got, "olivia is over-allocated") {
			t.Errorf("%s: warnings read %q", width.name, got)
		}
		do(width.name+": remove the allocation",
			chromedp.Navigate(srv.URL+"/capacity/people/olivia"),
			chromedp.WaitVisible(chromedp.CSS(`form[action$="/delete"] button`)),
			chromedp.Click(chromedp.CSS(`#allocations form[action$="/delete"] button`)),
			// The old page has the form too: wait for the one without the
			// allocation, so that the next step does not cut the answer off.
			chromedp.WaitNotPresent(chromedp.CSS("#allocations table")),
			chromedp.WaitVisible(chromedp.ID("f-alloc-project")),
		)
		allocate("6")
		do(width.name+": the planner again",
			chromedp.Navigate(srv.URL+"/capacity?weeks=8"),
			chromedp.WaitVisible(chromedp.CSS("table.heat")),
		)
		shot(width.name + "-planner-resolved")
		over, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("table.heat td.cell.over").length`))
		if err != nil {
			t.Fatal(err)
		}
		if over != 0 {
			t.Errorf("%s: %d person-weeks still over-allocated", width.name, over)
		}
		// Leave no allocation for the next width.
		do(width.name+": tidy up",
			chromedp.Navigate(srv.URL+"/capacity/people/olivia"),
			chromedp.WaitVisible(chromedp.CSS(`#allocations form[action$="/delete"] button`)),
			chromedp.Click(chromedp.CSS(`#allocations form[action$="/delete"] button`)),
			// The old page has the form too: wait for the one without the
			// allocation, so that the next step does not cut the answer off.
			chromedp.WaitNotPresent(chromedp.CSS("#allocations table")),
			chromedp.WaitVisible(chromedp.ID("f-alloc-project")),
		)
	}
}
