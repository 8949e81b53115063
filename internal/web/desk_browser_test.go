package web

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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
	do("sign in",
		chromedp.Navigate(srv.URL+"/login?next=/desk"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "olivia"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
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
			chromedp.SetValue(chromedp.ID("status"), "waiting"),
			chromedp.SetValue(chromedp.ID("reason"), "third_party"),
			chromedp.SendKeys(chromedp.ID("third_party"), "ACME Telecom"),
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
