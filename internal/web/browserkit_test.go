package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium tab for a test, with the steps every
// browser test takes. It skips the test without Chromium, except under
// CI=true, where a missing browser fails it.
type browser struct {
	t      *testing.T
	ctx    context.Context
	shots  string
	prefix string
	step   int
}

// newBrowser starts Chromium with a 1280×900 window for at most timeout;
// screenshots are named test-output/browser/PREFIX-NN-NAME.png (no prefix:
// NN-NAME.png).
func newBrowser(t *testing.T, prefix string, timeout time.Duration) *browser {
	t.Helper()
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium found but CI=true: install it (apt-get install chromium) or set SEXTANT_CHROMIUM")
		}
		t.Skip("no Chromium found: apt-get install chromium, or set SEXTANT_CHROMIUM to its path")
	}
	// The whole walk-through is bounded: a hung browser fails the test
	// instead of the test run.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	return &browser{t: t, ctx: ctx, shots: screenshotDir(t), prefix: prefix}
}

// shot saves a full-page screenshot, numbered in the order taken.
func (b *browser) shot(name string) {
	b.t.Helper()
	b.step++
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	file := fmt.Sprintf("%02d-%s.png", b.step, name)
	if b.prefix != "" {
		file = b.prefix + "-" + file
	}
	if err := os.WriteFile(filepath.Join(b.shots, file), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// do runs the steps of one thing a person does, failing the test with its
// name when a step fails.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
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

// location returns the tab's URL.
func (b *browser) location() string {
	b.t.Helper()
	l, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return l
}

// noSideScroll fails when the page is wider than the window: on a phone
// only tables and charts may scroll sideways, inside their box.
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
