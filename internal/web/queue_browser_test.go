package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserQueue works the incident queue in headless Chromium at a
// desktop width (1280 px) and a phone's (390 px): tick incidents in the
// list and acknowledge them with one button, then find things with the
// search box in the header. Neither width scrolls sideways. Screenshots go
// to test-output/browser/queue-*.png.
func TestBrowserQueue(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e := newEnv(t, db, func(d *Deps) {
		d.OnCall = peopleOnly{people: []escalation.Person{{Name: "alice", DisplayName: "Alice Liddell", Email: "alice@example.com"}}}
	})
	e.putService(catalog.Service{Name: "shop", Title: "Web shop", Owner: "retail"})
	e.putService(catalog.Service{Name: "billing", Title: "Billing", Owner: "finance"})
	srv := httptest.NewServer(e.handler)
	defer srv.Close()

	b := newBrowser(t, "queue", 60*time.Second)
	shot, do, text, noSideScroll := b.shot, b.do, b.text, b.noSideScroll
	do("sign in",
		chromedp.Navigate(srv.URL+"/login?next=/incidents"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "olivia"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	)

	for _, width := range []struct {
		name string
		w, h int64
	}{{"wide", 1280, 900}, {"narrow", 390, 844}} {
		// Each width works its own incidents: two to acknowledge and one
		// resolved behind the list's back, which the answer names.
		a := e.trigger("shop", width.name+"-a", "Checkout slow ("+width.name+")")
		bb := e.trigger("billing", width.name+"-b", "Invoices late ("+width.name+")")
		c := e.trigger("shop", width.name+"-c", "Basket empty ("+width.name+")")
		pick := func(id int64) chromedp.Action[chromedp.Void] {
			return chromedp.Click(chromedp.ID(fmt.Sprintf("pick-%d", id)))
		}
		do(width.name+": the list",
			chromedp.EmulateViewport(width.w, width.h),
			chromedp.Navigate(srv.URL+"/incidents"),
			chromedp.WaitVisible(chromedp.CSS("form#bulk")),
			pick(a), pick(bb), pick(c),
		)
		noSideScroll(width.name + " incident list")
		shot(width.name + "-ticked")
		if _, err := e.incidents.Resolve(t.Context(), c, "test"); err != nil {
			t.Fatal(err)
		}
		do(width.name+": acknowledge the ticked incidents",
			chromedp.Click(chromedp.CSS(`form#bulk button[value="acknowledge"]`)),
			chromedp.WaitVisible(chromedp.CSS(".bulk-answer")),
		)
		got := text(".bulk-answer")
		if !strings.Contains(got, "2 incidents acknowledged.") || !strings.Contains(got, fmt.Sprintf("#%d: incident %d is already resolved", c, c)) {
			t.Errorf("%s: the answer reads %q", width.name, got)
		}
		for _, id := range []int64{a, bb} {
			if i, _, _ := e.incidents.Get(t.Context(), id); i.Status != incident.Acknowledged {
				t.Errorf("%s: incident %d is %s", width.name, id, i.Status)
			}
		}
		noSideScroll(width.name + " bulk answer")
		shot(width.name + "-acknowledged")

		do(width.name+": search from the header",
			chromedp.Navigate(srv.URL+"/services"),
			chromedp.WaitVisible(chromedp.ID("site-search")),
			chromedp.SendKeys(chromedp.ID("site-search"), "LI"),
			chromedp.Click(chromedp.CSS(`form.search button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(".search-results")),
		)
		if got := text(".search-results"); !strings.Contains(got, "Billing · owner finance") || !strings.Contains(got, "Alice Liddell (alice)") {
			t.Errorf("%s: search for LI found %q", width.name, got)
		}
		noSideScroll(width.name + " search results")
		shot(width.name + "-search")
		do(width.name+": open an incident from the results",
			chromedp.SetValue(chromedp.ID("search-q"), "invoices late ("+width.name),
			chromedp.Click(chromedp.CSS(`form[action="/search"].filters button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#found-incidents")),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`#found-incidents ~ ul a[href="/incidents/%d"]`, bb))),
			chromedp.WaitVisible(chromedp.CSS("h1")),
		)
		if got := text("h1"); !strings.Contains(got, fmt.Sprintf("#%d", bb)) {
			t.Errorf("%s: the search result opened %q", width.name, got)
		}
	}
}
