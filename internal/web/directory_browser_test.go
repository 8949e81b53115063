package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserDirectoryPages walks, in headless Chromium, what a new admin
// does to set up paging and a public page without the config file: a
// person with a contact method from the Team menu, a schedule of them
// previewed for two weeks and then saved, and a status page with a group,
// its public URL opened. Each step leaves a screenshot at 1280 px, and
// each page one at 390 px with no sideways scroll (directory-*.png).
func TestBrowserDirectoryPages(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e := newEnv(t, db)
	e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
	srv := httptest.NewServer(e.handler)
	defer srv.Close()

	b := newBrowser(t, "directory", 60*time.Second)
	shot, do, text, noSideScroll := b.shot, b.do, b.text, b.noSideScroll

	do("sign in as an admin",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "ada"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	do("open People from the Team menu",
		chromedp.Click(chromedp.CSS(`nav details:has(a[href="/people"]) summary`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/people"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/people/new"]`)),
	)
	shot("people-empty")
	for _, p := range []struct{ name, hook string }{{"bob", "https://hooks.slack.example/services/T/B/bob"}, {"cleo", "https://hooks.slack.example/services/T/B/cleo"}} {
		do("create "+p.name,
			chromedp.Click(chromedp.CSS(`a[href="/people/new"]`)),
			chromedp.WaitVisible(chromedp.ID("f-name")),
			chromedp.SendKeys(chromedp.ID("f-name"), p.name),
			chromedp.SendKeys(chromedp.ID("f-display_name"), strings.ToUpper(p.name[:1])+p.name[1:]),
			chromedp.SendKeys(chromedp.ID("f-slack"), p.hook),
			chromedp.Click(chromedp.CSS(`form.setup-form button.primary`)),
			chromedp.WaitVisible(chromedp.ID("person-"+p.name)),
		)
	}
	if got := text("#person-bob"); !strings.Contains(got, "Slack") || strings.Contains(got, "services/T/B") {
		t.Errorf("bob's row reads %q", got)
	}
	shot("people")

	do("a schedule of them, previewed",
		chromedp.Navigate(srv.URL+"/schedules/new"),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "primary"),
		chromedp.SendKeys(chromedp.ID("f-timezone"), "Europe/Berlin"),
		chromedp.SendKeys(chromedp.ID("f-layers-0-members"), "bob, cleo"),
		chromedp.Click(chromedp.CSS(`button[name="preview"]`)),
		chromedp.WaitVisible(chromedp.ID("schedule-preview")),
	)
	if got := text("#schedule-preview"); !strings.Contains(got, "bob") || !strings.Contains(got, "cleo") || !strings.Contains(got, "09:00") {
		t.Errorf("the preview reads %q", got)
	}
	shot("schedule-preview")
	do("save the schedule",
		chromedp.Click(chromedp.CSS(`form.setup-form button.primary`)),
		chromedp.WaitVisible(chromedp.ID("schedule-primary")),
	)
	shot("schedules")

	do("a status page with a group",
		chromedp.Click(chromedp.CSS(`nav details:has(a[href="/status-pages"]) summary`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/status-pages"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/status-pages/new"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/status-pages/new"]`)),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "public"),
		chromedp.SendKeys(chromedp.ID("f-title"), "Example status"),
		chromedp.SendKeys(chromedp.ID("f-groups-0-title"), "Customer-facing"),
		chromedp.SendKeys(chromedp.ID("f-groups-0-services"), "shop"),
		chromedp.Click(chromedp.CSS(`form.setup-form button.primary`)),
		chromedp.WaitVisible(chromedp.ID("status-page-public")),
	)
	if got := text("#status-page-public"); !strings.Contains(got, srv.URL+"/status/public") {
		t.Errorf("the page's row reads %q", got)
	}
	shot("status-pages")

	for _, p := range []struct{ name, path, wait string }{
		{"people", "/people", "#person-bob"},
		{"person-form", "/people/bob/edit", "#f-slack"},
		{"schedules", "/schedules", "#schedule-primary"},
		{"schedule-form", "/schedules/primary/edit", "#f-layers-0-restrict"},
		{"status-pages", "/status-pages", "#status-page-public"},
		{"status-page-form", "/status-pages/public/edit", "#f-groups-0-services"},
	} {
		do("narrow "+p.name,
			chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(srv.URL+p.path),
			chromedp.WaitVisible(chromedp.CSS(p.wait)),
		)
		noSideScroll(fmt.Sprintf("the %s page", p.name))
		shot(p.name + "-narrow")
	}
	do("the preview on a phone",
		chromedp.Navigate(srv.URL+"/schedules/primary/edit"),
		chromedp.WaitVisible(chromedp.CSS(`button[name="preview"]`)),
		chromedp.Click(chromedp.CSS(`button[name="preview"]`)),
		chromedp.WaitVisible(chromedp.ID("schedule-preview")),
	)
	noSideScroll("the schedule preview")
	shot("schedule-preview-narrow")
}
