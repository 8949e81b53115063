package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserOverrides walks the override flows in headless Chromium, wide
// (1280 px) and on a phone (390 px): take a shift from its row, then cover
// a span for someone else after first getting the times wrong. Each step
// leaves a screenshot in test-output/browser (override-*.png).
func TestBrowserOverrides(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium found but CI=true: install it (apt-get install chromium) or set SEXTANT_CHROMIUM")
		}
		t.Skip("no Chromium found: apt-get install chromium, or set SEXTANT_CHROMIUM to its path")
	}
	shots := screenshotDir(t)
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e := newOnCallEnv(t, db)
	if _, err := e.auth.CreateUser(context.Background(), "test", auth.NewUser{Name: "alice", Password: testPassword, Role: auth.Operator}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.handler)
	defer srv.Close()

	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
				chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()),
				chromedp.WindowSize(width, 900))
			defer cancelAlloc()
			ctx, cancelTab := chromedp.NewContext(ctx)
			defer cancelTab()
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
				if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("override-%d-%s.png", width, name)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			text := func(sel string) string {
				t.Helper()
				s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
				if err != nil {
					t.Fatalf("text of %s: %v", sel, err)
				}
				return s
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
			do("sign in as alice",
				chromedp.EmulateViewport(int64(width), 900),
				chromedp.Navigate(srv.URL+"/login?next=/oncall/schedules/primary"),
				chromedp.WaitVisible(chromedp.ID("login-name")),
				chromedp.SendKeys(chromedp.ID("login-name"), "alice"),
				chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
				chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("form.take button")),
			)
			noSideScroll("the schedule with take buttons")
			shot("1-schedule")

			// The first button takes the shift running now (carol's, on
			// the first pass; on the second, alice already holds it and
			// the button is on the next row).
			do("take a shift",
				chromedp.Click(chromedp.CSS("form.take button")),
				chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby="overrides"] .alert.success`)),
			)
			if got := text("ul.overrides"); !strings.Contains(got, "alice") || !strings.Contains(got, "(by alice)") {
				t.Errorf("the stored overrides read %q", got)
			}
			shot("2-taken")

			do("cover with the times the wrong way round",
				chromedp.SetValue(chromedp.ID(fieldID("user")), "dave"),
				chromedp.SetValue(chromedp.ID(fieldID("start")), "2026-03-31T12:00"),
				chromedp.SetValue(chromedp.ID(fieldID("end")), "2026-03-31T10:00"),
				chromedp.SetValue(chromedp.ID(fieldID("note")), "training day"),
				chromedp.Click(chromedp.CSS(`.cover-form button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.ID(fieldID("end")+"-error")),
			)
			if got := text("#" + fieldID("end") + "-error"); !strings.Contains(got, "must be after the start") {
				t.Errorf("the end's problem reads %q", got)
			}
			noSideScroll("the cover form with a problem")
			shot("3-cover-invalid")

			do("fix and cover",
				chromedp.SetValue(chromedp.ID(fieldID("end")), "2026-03-31T16:00"),
				chromedp.Click(chromedp.CSS(`.cover-form button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby="overrides"] .alert.success`)),
			)
			if got := text("ul.overrides"); !strings.Contains(got, "dave") || !strings.Contains(got, "training day") {
				t.Errorf("the stored overrides read %q", got)
			}
			noSideScroll("the schedule with overrides")
			shot("4-covered")
		})
	}
}
