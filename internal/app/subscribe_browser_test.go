package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserSubscription walks the status page's e-mail subscription in
// headless Chromium, wide (1280 px) and on a phone (390 px), against the
// real server and a real SMTP server: a mistyped address, the "check your
// inbox" answer, the confirmation link from the mail and the unsubscribe
// button. Screenshots go to test-output/browser (subscribe-*.png).
func TestBrowserSubscription(t *testing.T) {
	chromium := findChromium(t)
	shots := shotsDir(t)
	box, port := startInbox(t)
	t.Setenv("ROUTING_KEY", routingKey)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sextant.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`services:
  - {name: payroll, objective: {availability: 99.5%%}}
integrations:
  - {name: prometheus, kind: events, key: "${ROUTING_KEY}", service: payroll}
mail: {from: status@example.com, smtp: {host: 127.0.0.1, port: %d, tls: none}}
status_pages:
  - name: main
    title: Example status
    groups: [{title: Apps, services: [payroll]}]
`, port)), 0o600); err != nil {
		t.Fatal(err)
	}
	e := storetest.Engines(t)[0]
	s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})

	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ctx := chromiumTab(t, chromium, width, 60*time.Second)
			do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				if err := chromedp.Do(ctx, steps...); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			shot := func(name string) {
				t.Helper()
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatalf("screenshot %s: %v", name, err)
				}
				if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("subscribe-%d-%s.png", width, name)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			text := func(sel string) string {
				t.Helper()
				v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
				if err != nil {
					t.Fatalf("text of %s: %v", sel, err)
				}
				return v
			}
			noSideScroll := func(what string) {
				t.Helper()
				w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
				if err != nil {
					t.Fatal(err)
				}
				if w[0] > w[1] {
					t.Errorf("%s is %d px wide in a %d px window", what, w[0], w[1])
				}
			}
			address := fmt.Sprintf("reader%d@example.com", width)
			do("the status page",
				chromedp.EmulateViewport(int64(width), 900),
				chromedp.Navigate(s.base+"/status/main"),
				chromedp.WaitVisible(chromedp.ID("subscribe-email")),
			)
			noSideScroll("the status page")
			shot("1-page")
			do("a mistyped address",
				chromedp.SendKeys(chromedp.ID("subscribe-email"), "reader at example"),
				chromedp.Click(chromedp.CSS(`.subscribe-form button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.ID("subscribe-email-error")),
			)
			if got := text("#subscribe-email-error"); !strings.Contains(got, "is not an e-mail address") {
				t.Errorf("the problem reads %q", got)
			}
			shot("2-invalid")
			before := len(box.all())
			do("the right address",
				chromedp.SetValue(chromedp.ID("subscribe-email"), address),
				chromedp.Click(chromedp.CSS(`.subscribe-form button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
			)
			if got := text(`p[role="status"]`); !strings.Contains(got, address) || !strings.Contains(got, "confirmation link") {
				t.Errorf("the answer reads %q", got)
			}
			noSideScroll("the answer")
			shot("3-sent")
			waitUntil(t, "the confirmation mail", 5*time.Second, func() bool { return len(box.all()) > before })
			confirm := linkRE.FindString(unfold(box.all()[before]))
			do("the confirmation link",
				chromedp.Navigate(confirm),
				chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
			)
			if got := text("main h2"); got != "You are subscribed" {
				t.Errorf("the confirmation page says %q", got)
			}
			shot("4-confirmed")

			// A public update brings the unsubscribe link.
			before = len(box.all())
			id := triggerIncident(t, s, fmt.Sprint("browser-", width))
			if code := s.json("POST", fmt.Sprintf("/api/v1/incidents/%d/notes", id), `{"text":"Public: Payslips are late."}`, nil); code != 200 {
				t.Fatalf("note: %d", code)
			}
			var unsubscribe string
			waitUntil(t, "the update", 5*time.Second, func() bool {
				for _, m := range box.all()[before:] {
					if strings.Contains(m, address) && strings.Contains(m, "Payslips are late.") {
						unsubscribe = linkRE.FindString(strings.SplitN(unfold(m), "\r\n\r\n", 2)[1])
						return true
					}
				}
				return false
			})
			do("the unsubscribe link",
				chromedp.Navigate(unsubscribe),
				chromedp.WaitVisible(chromedp.CSS(`main form button[type="submit"]`)),
			)
			noSideScroll("the unsubscribe page")
			shot("5-unsubscribe")
			do("unsubscribe",
				chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
			)
			if got := text("main h2"); got != "You are unsubscribed" {
				t.Errorf("the last page says %q", got)
			}
			shot("6-unsubscribed")
		})
	}
}
