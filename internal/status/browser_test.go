package status_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// findChromium returns the browser to drive: $SEXTANT_CHROMIUM,
// /usr/bin/chromium, or chromium on PATH.
func findChromium() string {
	if p := os.Getenv("SEXTANT_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowserScreenshots loads the status page in headless Chromium on a
// desktop, on a 360 px phone and in the dark theme, and leaves the
// screenshots in test-output/status for a reviewer to look at.
func TestBrowserScreenshots(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium found but CI=true: install it (apt-get install chromium) or set SEXTANT_CHROMIUM")
		}
		t.Skip("no Chromium found: apt-get install chromium, or set SEXTANT_CHROMIUM to its path")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "test-output", "status")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }}))
	for _, tc := range []struct {
		name, size string
		extra      []string
	}{
		{"status-desktop", "1280,1500", nil},
		{"status-360px", "360,2200", nil},
		{"status-dark", "1280,1500", []string{"--force-dark-mode", "--blink-settings=preferredColorScheme=0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			png := filepath.Join(out, tc.name+".png")
			_ = os.Remove(png)
			args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + t.TempDir(),
				"--screenshot=" + png, "--window-size=" + tc.size}, tc.extra...)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if b, err := exec.CommandContext(ctx, chromium, append(args, f.srv.URL+"/status")...).CombinedOutput(); err != nil {
				t.Fatalf("chromium: %v\n%s", err, b)
			}
			if st, err := os.Stat(png); err != nil || st.Size() < 5000 {
				t.Fatalf("no screenshot at %s: %v", png, err)
			}
		})
	}
}
