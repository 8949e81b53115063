package web

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserCSVImport uploads a CSV file from the class's list in
// headless Chromium: a file with problems shows each at its line and
// column and writes nothing; the corrected file imports, and the new items
// are listed. Screenshots: test-output/browser/csv-*.png.
func TestBrowserCSVImport(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e, _ := licenceEnv(t, db, time.Now())
	srv := httptest.NewServer(e.handler)
	defer srv.Close()
	dir := t.TempDir()
	bad, good := filepath.Join(dir, "bad.csv"), filepath.Join(dir, "good.csv")
	if err := os.WriteFile(bad, []byte("name,owner,cpus,ip\nsrv-1,infra,8,10.0.0.1\nsrv-2,infra,eight,10.0.0.2\nsrv-3,,4,10.0.0.999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("name,owner,cpus,ip\nsrv-1,infra,8,10.0.0.1\nsrv-2,infra,8,10.0.0.2\nsrv-3,,4,10.0.0.9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, "csv", 60*time.Second)
	b.do("sign in",
		chromedp.Navigate(srv.URL+"/login?next=/cis?class=server"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "olivia"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.csv-import`)),
	)
	b.do("upload the bad file",
		chromedp.SetUploadFiles(chromedp.ID("f-csv-file"), []string{bad}),
		chromedp.Click(chromedp.CSS(`form.csv-import button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.csv-problems`)),
	)
	b.shot("problems")
	got := b.text("table.csv-problems tbody")
	for _, want := range []string{"3\t3\tcpus\texpected a whole number, got \"eight\"", "4\t4\tip\texpected an IP address"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems read %q, want %q", got, want)
		}
	}
	if strings.Contains(b.text("main"), "srv-1") && strings.Contains(b.text("main"), "/cis/srv-1") {
		t.Error("srv-1 is listed after a refused file")
	}
	b.do("upload the corrected file",
		chromedp.SetUploadFiles(chromedp.ID("f-csv-file"), []string{good}),
		chromedp.Click(chromedp.CSS(`form.csv-import button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.csv-imported`)),
	)
	b.shot("imported")
	if got := b.text("p.csv-imported"); got != "Imported: 3 created, 0 updated, 0 unchanged." {
		t.Errorf("notice %q", got)
	}
	if got := b.text("table.cis tbody"); !strings.Contains(got, "srv-1") || !strings.Contains(got, "srv-3") {
		t.Errorf("list %q", got)
	}
}
