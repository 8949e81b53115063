package app_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium tab walking the real server, with the
// steps of internal/web's browser kit (which lives in that package's
// tests and so cannot be shared): do, shot, text and noSideScroll. It
// skips the test without Chromium, except under CI=true, where a missing
// browser fails it.
type browser struct {
	t      *testing.T
	ctx    context.Context
	shots  string
	prefix string
	step   int
}

// newBrowser starts Chromium with a 1280×900 window for at most timeout;
// screenshots are test-output/browser/PREFIX-NN-NAME.png.
func newBrowser(t *testing.T, prefix string, timeout time.Duration) *browser {
	t.Helper()
	chromium := os.Getenv("SEXTANT_CHROMIUM")
	if chromium == "" {
		if _, err := os.Stat("/usr/bin/chromium"); err == nil {
			chromium = "/usr/bin/chromium"
		} else if p, err := exec.LookPath("chromium"); err == nil {
			chromium = p
		}
	}
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium found but CI=true: install it (apt-get install chromium) or set SEXTANT_CHROMIUM")
		}
		t.Skip("no Chromium found: apt-get install chromium, or set SEXTANT_CHROMIUM to its path")
	}
	wd, _ := os.Getwd()
	shots := filepath.Join(wd, "..", "..", "test-output", "browser")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	return &browser{t: t, ctx: ctx, shots: shots, prefix: prefix}
}

// do runs the steps of one thing a person does, failing with its name.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// shot saves a full-page screenshot, numbered in the order taken.
func (b *browser) shot(name string) {
	b.t.Helper()
	b.step++
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%s-%02d-%s.png", b.prefix, b.step, name)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// text returns the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// noSideScroll fails when the page is wider than the window.
func (b *browser) noSideScroll(what string) {
	b.t.Helper()
	w, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		b.t.Fatal(err)
	}
	if w[0] > w[1] {
		b.t.Errorf("%s is %d px wide in a %d px window", what, w[0], w[1])
	}
}
