package web

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserCSVImport uploads a CSV file from the class's list in
// headless Chromium: a file with problems shows each at its line and
// column and writes nothing; the corrected file imports, and the new items
// are listed. Then a licence installed on the three servers, one seat
// short, is assigned to a person from its page and shows two seats over
// quota there and on the Licences page.
// Screenshots: test-output/browser/csv-*.png.
func TestBrowserCSVImport(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e, c := licenceEnv(t, db, time.Now())
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

	ctx := context.Background()
	if _, err := c.PutItem(ctx, "test", cmdb.Item{Name: "office", Class: cmdb.LicenceClass, Attributes: map[string]cmdb.Value{
		"product": "Office", "seats": "2", "cost_per_seat": "12.50", "expires": cmdb.Value(time.Now().UTC().AddDate(0, 0, 20).Format(time.DateOnly))}}, catalog.MustCreate); err != nil {
		t.Fatal(err)
	}
	for _, srv := range []string{"srv-1", "srv-2", "srv-3"} {
		if _, err := c.AddRelation(ctx, "test", cmdb.Relation{From: "office", Type: cmdb.InstalledOn, To: srv}); err != nil {
			t.Fatal(err)
		}
	}
	b.do("assign the licence",
		chromedp.Navigate(srv.URL+"/cis/office"),
		chromedp.WaitVisible(chromedp.ID("f-person")),
		chromedp.SendKeys(chromedp.ID("f-person"), "victor"),
		chromedp.Click(chromedp.CSS(`form.licence-assign button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.licence-assignments`)),
	)
	b.shot("licence")
	if got := b.text("div.licence-over"); !strings.Contains(got, "2 seat(s) over quota, costing 25.00 EUR") {
		t.Errorf("over-quota notice %q", got)
	}
	b.do("the licences page",
		chromedp.Navigate(srv.URL+"/licences"),
		chromedp.WaitVisible(chromedp.CSS(`table.licences`)),
	)
	b.shot("licences")
	if got := b.text("table.licences tbody"); !strings.Contains(got, "2 over · 25.00 EUR") || !strings.Contains(got, "in 20 days") {
		t.Errorf("licences page %q", got)
	}
}
