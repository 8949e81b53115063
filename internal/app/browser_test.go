package app_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// findChromium returns the Chromium to drive, skipping the test without
// one, except under CI=true, where a missing browser fails it.
func findChromium(t *testing.T) string {
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
	return chromium
}

// shotsDir is where browser tests save their screenshots.
func shotsDir(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	shots := filepath.Join(wd, "..", "..", "test-output", "browser")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return shots
}

// chromiumTab starts headless Chromium with a window width px wide and
// returns its tab, which lives at most timeout and ends with the test.
func chromiumTab(t *testing.T, chromium string, width int, timeout time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, 900))
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	return ctx
}
