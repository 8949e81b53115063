package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserRecovery walks from the Operate menu to the Recovery page, a
// plan and the backup job's check page in headless Chromium, at 1280 px
// and at 390 px, where no page may scroll sideways. Screenshots go to
// test-output/browser as recovery-*.png.
func TestBrowserRecovery(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e := recoveryEnv(t, db)
	srv := httptest.NewServer(e.handler)
	defer srv.Close()
	b := newBrowser(t, "recovery", 90*time.Second)
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
		do("open Recovery from the Operate menu",
			chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
			chromedp.Click(chromedp.CSS(`nav .menus > li:first-child summary`)),
			chromedp.Click(chromedp.CSS(`nav a[href="/recovery"]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/recovery/plans/shop-restore"]`)),
		)
		if got := text(`.plan-warning[data-kind="misaligned"]`); !strings.Contains(got, "rto 4h exceeds service shop's max_outage 30m") {
			t.Errorf("the misaligned warning reads %q", got)
		}
		noSideScroll("the Recovery page" + sfx)
		shot("overview" + sfx)
		do("open the plan",
			chromedp.Click(chromedp.CSS(`a[href="/recovery/plans/shop-restore"]`)),
			chromedp.WaitVisible(chromedp.CSS(".runbook")),
		)
		if got := text(".runbook"); !strings.Contains(got, "<script>alert(1)</script>") {
			t.Errorf("the runbook reads %q; want its text as written", got)
		}
		noSideScroll("the plan page" + sfx)
		shot("plan" + sfx)
		do("open the backup job",
			chromedp.Click(chromedp.CSS(`dd a[href="/checks/shop-db"]`)),
			chromedp.WaitVisible(chromedp.CSS("svg.rpo polyline")),
		)
		if got := text("#last-verified"); !strings.Contains(got, "orders to staging") {
			t.Errorf("the last verified restore reads %q", got)
		}
		noSideScroll("the check page" + sfx)
		shot("check" + sfx)
	}
}
