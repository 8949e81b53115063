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

// TestBrowserSnoozeMerge snoozes and merges incidents in headless
// Chromium at a desktop width (1280 px) and a phone's (390 px): snooze an
// acknowledged incident for 1 h with its button, type a bad length and
// read the reason by the field, merge two ticked incidents from the list's
// bulk bar and a third from the incident's own merge form. Neither width
// scrolls sideways. Screenshots go to test-output/browser/snooze-merge-*.png.
func TestBrowserSnoozeMerge(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e := newEnv(t, db)
	e.engine.SnoozeEscalation = escalation.Snooze
	e.putService(catalog.Service{Name: "shop", Title: "Web shop", Owner: "retail"})
	srv := httptest.NewServer(e.handler)
	defer srv.Close()

	b := newBrowser(t, "snooze-merge", 90*time.Second)
	shot, do, text, noSideScroll := b.shot, b.do, b.text, b.noSideScroll
	signIn(t, b.ctx, srv.URL, "olivia")
	for _, width := range []struct {
		name string
		w, h int64
	}{{"wide", 1280, 900}, {"narrow", 390, 844}} {
		snoozed := e.triggerWith(incident.Event{Integration: "x", Action: incident.ActionTrigger, DedupKey: width.name + "-s", Service: "shop",
			Summary: "Checkout slow (" + width.name + ")", Source: "s", Severity: "critical", Escalation: "default", Body: []byte("{}")})
		if _, err := e.incidents.Acknowledge(t.Context(), snoozed, "user:olivia"); err != nil {
			t.Fatal(err)
		}
		page := fmt.Sprintf("%s/incidents/%d", srv.URL, snoozed)
		do(width.name+": snooze for 1 h",
			chromedp.EmulateViewport(width.w, width.h),
			chromedp.Navigate(page),
			chromedp.WaitVisible(chromedp.ID("snooze")),
			chromedp.Click(chromedp.CSS(`form.snooze-choices button[value="60"]`)),
			chromedp.WaitVisible(chromedp.ID("snoozed-until")),
		)
		if i, _, _ := e.incidents.Get(t.Context(), snoozed); i.SnoozedUntil == nil {
			t.Errorf("%s: incident %d is not snoozed", width.name, snoozed)
		}
		if got := text("#incident-timeline"); !strings.Contains(got, "snoozed for 1 h") {
			t.Errorf("%s: the timeline reads %q", width.name, got)
		}
		noSideScroll(width.name + " snoozed incident")
		shot(width.name + "-snoozed")
		do(width.name+": a bad length",
			chromedp.SetValue(chromedp.ID("snooze-minutes"), "0"),
			chromedp.Click(chromedp.CSS(`form.snooze-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("snooze-minutes-error")),
		)
		if got := text("#snooze-minutes-error"); !strings.Contains(got, "The snooze must be a whole number of minutes from 1 to 10080") {
			t.Errorf("%s: the snooze's problem reads %q", width.name, got)
		}
		noSideScroll(width.name + " snooze problem")
		shot(width.name + "-snooze-problem")

		a := e.trigger("shop", width.name+"-a", "Basket empty ("+width.name+")")
		c := e.trigger("shop", width.name+"-c", "Basket empty again ("+width.name+")")
		d := e.trigger("shop", width.name+"-d", "Basket still empty ("+width.name+")")
		do(width.name+": merge two ticked incidents",
			chromedp.Navigate(srv.URL+"/incidents"),
			chromedp.WaitVisible(chromedp.CSS("form#bulk")),
			chromedp.Click(chromedp.ID(fmt.Sprintf("pick-%d", a))),
			chromedp.Click(chromedp.ID(fmt.Sprintf("pick-%d", c))),
			chromedp.Click(chromedp.CSS(`form#bulk button[value="merge"]`)),
			chromedp.WaitVisible(chromedp.ID("merge")),
		)
		if got := text(".alert.success"); !strings.Contains(got, "Incidents merged into this one.") || !strings.HasSuffix(b.location(), fmt.Sprintf("/incidents/%d?done=merged", a)) {
			t.Errorf("%s: after the bulk merge %s reads %q", width.name, b.location(), got)
		}
		noSideScroll(width.name + " merged incident")
		shot(width.name + "-bulk-merged")
		do(width.name+": merge one more from the incident's page",
			chromedp.SendKeys(chromedp.ID("merge-sources"), fmt.Sprintf("#%d", d)),
			chromedp.Click(chromedp.CSS(`form.merge-form button[type="submit"]`)),
			// The page before the merge shows a success notice too: wait for
			// the timeline line of this merge, or the read below races the
			// page's load.
			chromedp.WaitVisible(fmt.Sprintf(`//*[@id="incident-timeline"]//*[contains(., "merged in #%d")]`, d)),
		)
		if got := text("#incident-timeline"); !strings.Contains(got, fmt.Sprintf("merged in #%d", d)) {
			t.Errorf("%s: the target's timeline reads %q", width.name, got)
		}
		for _, id := range []int64{c, d} {
			if i, _, _ := e.incidents.Get(t.Context(), id); i.MergedInto == nil || *i.MergedInto != a {
				t.Errorf("%s: incident %d was not merged into %d: %+v", width.name, id, a, i)
			}
		}
		shot(width.name + "-merged")
	}
}
