package web

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserDesk works the service desk in headless Chromium at 1280 px
// and 390 px: the queue with its time-left bars, a ticket's page, a public
// reply from its form and a move to waiting. Neither width scrolls
// sideways. Screenshots go to test-output/browser/desk-*.png.
func TestBrowserDesk(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e, s := deskEnv(t, db, time.Now())
	ctx := context.Background()
	srv := httptest.NewServer(e.handler)
	defer srv.Close()

	b := newBrowser(t, "desk", 60*time.Second)
	shot, do, text, noSideScroll := b.shot, b.do, b.text, b.noSideScroll
	signInToDesk(b, srv.URL)
	for _, width := range []struct {
		name string
		w, h int64
	}{{"wide", 1280, 900}, {"narrow", 390, 844}} {
		var ids []int64
		for i, ago := range []time.Duration{5 * time.Hour, 3 * time.Hour, 10 * time.Minute} {
			at := time.Now().Add(-ago)
			tk, err := s.Create(ctx, "user:olivia", desk.Input{Type: desk.TypeIncident, Title: width.name + " ticket " + strconv.Itoa(i+1), Requester: "ann@example.com", OpenedAt: &at})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tk.ID)
		}
		do(width.name+": the queue",
			chromedp.EmulateViewport(width.w, width.h),
			chromedp.Navigate(srv.URL+"/desk"),
			chromedp.WaitVisible(chromedp.CSS("table.tickets")),
		)
		noSideScroll(width.name + " queue")
		shot(width.name + "-queue")
		if first := text("table.tickets tbody tr:first-child th"); !strings.Contains(first, " ticket 1") {
			t.Errorf("%s: the breached ticket is not first: %q", width.name, first)
		}
		page := srv.URL + "/desk/tickets/" + strconv.FormatInt(ids[2], 10)
		do(width.name+": reply on the ticket",
			chromedp.Navigate(page),
			chromedp.WaitVisible(chromedp.ID("f-body")),
			chromedp.SendKeys(chromedp.ID("f-body"), "We are on it."),
			chromedp.Click(chromedp.CSS(`input[name="public"]`)),
			chromedp.Click(chromedp.CSS(`form[action$="/comments"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("article.comment")),
		)
		if got := text("article.comment:last-of-type .body"); !strings.Contains(got, "We are on it.") {
			t.Errorf("%s: the reply reads %q", width.name, got)
		}
		do(width.name+": wait on a third party",
			chromedp.SetValue(chromedp.ID("f-status"), "waiting"),
			chromedp.SetValue(chromedp.ID("f-reason"), "third_party"),
			chromedp.SendKeys(chromedp.ID("f-third_party"), "ACME Telecom"),
			chromedp.Click(chromedp.CSS(`form[action$="/status"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#ticket-status .ticket-status.waiting")),
		)
		if got := text("#ticket-status"); !strings.Contains(got, "ACME Telecom") {
			t.Errorf("%s: status reads %q", width.name, got)
		}
		noSideScroll(width.name + " ticket")
		shot(width.name + "-ticket")
	}
}

// TestBrowserDeskForms works the desk's forms in headless Chromium: open a
// ticket (refused first for its missing title, the problem shown at the
// field), attach a file, link it to an incident, a move to waiting refused
// without the third party's name and then made, an assignment. Each step
// waits for what only the page after it shows. Screenshots go to
// test-output/browser/desk-forms-*.png.
func TestBrowserDeskForms(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e, s := deskEnv(t, db, time.Now())
	e.putService(catalog.Service{Name: "shop", Title: "Web shop", Tier: 2})
	inc := e.trigger("shop", "k1", "Checkout down")
	srv := httptest.NewServer(e.handler)
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "screenshot.png")
	if err := os.WriteFile(file, []byte("\x89PNG\r\n\x1a\n not really a picture"), 0o600); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, "desk-forms", 90*time.Second)
	shot, do, text, noSideScroll := b.shot, b.do, b.text, b.noSideScroll
	signInToDesk(b, srv.URL)
	do("open the form from the queue",
		chromedp.EmulateViewport(390, 844),
		chromedp.Click(chromedp.CSS(`a[href="/desk/new"]`)),
		chromedp.WaitVisible(chromedp.ID("new-ticket")),
	)
	noSideScroll("narrow new ticket form")
	shot("narrow-new")
	do("send it without a title",
		chromedp.EmulateViewport(1280, 900),
		chromedp.SendKeys(chromedp.ID("f-requester"), "ann@example.com"),
		chromedp.Click(chromedp.CSS(`#new-ticket button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("f-title-error")),
	)
	if got := text("#f-title-error"); !strings.Contains(got, "is required") {
		t.Errorf("the title's problem reads %q", got)
	}
	shot("refused")
	do("open it",
		chromedp.SendKeys(chromedp.ID("f-title"), "Checkout is slow"),
		chromedp.SendKeys(chromedp.ID("f-description"), "Pages take ten seconds."),
		chromedp.SetValue(chromedp.ID("f-service"), "shop"),
		chromedp.SetValue(chromedp.ID("f-urgency"), "high"),
		chromedp.Click(chromedp.CSS(`#new-ticket button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("ticket-status")),
	)
	if got := text("#ticket-status"); !strings.Contains(got, "P1") || !strings.Contains(got, "ann@example.com") {
		t.Errorf("the new ticket reads %q", got)
	}
	do("attach a file",
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{file}),
		chromedp.Click(chromedp.CSS(`#attach button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby="attachments"] a[download]`)),
	)
	if got := text(`section[aria-labelledby="attachments"]`); !strings.Contains(got, "screenshot.png") || !strings.Contains(got, "image/png") {
		t.Errorf("attachments read %q", got)
	}
	do("link the incident",
		chromedp.SetValue(chromedp.ID("f-kind"), "incident"),
		chromedp.SendKeys(chromedp.ID("f-target_id"), strconv.FormatInt(inc, 10)),
		chromedp.Click(chromedp.CSS(`#link button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby="links"] a[href="/incidents/`+strconv.FormatInt(inc, 10)+`"]`)),
	)
	do("wait on a third party without naming it",
		chromedp.SetValue(chromedp.ID("f-status"), "waiting"),
		chromedp.SetValue(chromedp.ID("f-reason"), "third_party"),
		chromedp.Click(chromedp.CSS(`#move button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("f-third_party-error")),
	)
	shot("refused-move")
	do("name it",
		chromedp.SendKeys(chromedp.ID("f-third_party"), "ACME Payments"),
		chromedp.Click(chromedp.CSS(`#move button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#ticket-status .ticket-status.waiting")),
	)
	do("assign it",
		chromedp.SetValue(chromedp.ID("f-assignee"), "olivia"),
		chromedp.Click(chromedp.CSS(`#assign button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[text()="Assignee changed."]`)),
	)
	if got := text("#ticket-status"); !strings.Contains(got, "ACME Payments") || !strings.Contains(got, "olivia") {
		t.Errorf("the ticket reads %q", got)
	}
	noSideScroll("wide ticket")
	shot("ticket")
	ts, _, err := s.Queue(context.Background(), desk.Filter{}, 10)
	if err != nil || len(ts) != 1 || ts[0].Status != desk.StatusWaiting || ts[0].Assignee != "olivia" || ts[0].Priority != 1 {
		t.Fatalf("tickets %+v %v", ts, err)
	}
}

// signInToDesk signs the operator olivia in and lands on the queue.
func signInToDesk(b *browser, base string) {
	b.do("sign in",
		chromedp.Navigate(base+"/login?next=/desk"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "olivia"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
}
