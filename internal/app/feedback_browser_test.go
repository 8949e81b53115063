package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserSurvey walks satisfaction in headless Chromium against the
// real server and a real SMTP server: a ticket resolved through the API,
// the survey mail's "4" link opened (the score shown chosen, nothing
// recorded yet), a comment added and the answer sent; a visitor rates
// the service on the status page; an operator sees both on the service
// page beside availability. The survey page is walked on a phone too.
// Screenshots go to test-output/browser/survey-*.png.
func TestBrowserSurvey(t *testing.T) {
	box, port := startInbox(t)
	dir := t.TempDir()
	s := start(t, storetest.Engines(t)[0], app.Options{ConfigPath: feedbackConfig(t, dir, port), DataDir: dir})
	if _, err := s.app.Auth().CreateUser(context.Background(), "test", auth.NewUser{Name: "olivia", Password: "correct horse battery", Role: auth.Operator}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, "survey", 90*time.Second)

	resolveTicket(t, s, "Invoices fail")
	link := surveyRE(4).FindString(surveyMail(t, box, "Invoices fail"))
	b.do("open the mail's 4",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("survey-form")),
	)
	checked, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("score-4").checked`))
	if err != nil || !checked {
		t.Fatal("the mail's score is not chosen on the page")
	}
	b.noSideScroll("the survey page")
	b.shot("from-mail")
	b.do("comment and send",
		chromedp.SendKeys(chromedp.ID("survey-comment"), "Quick and friendly, thanks"),
		chromedp.Click(chromedp.ID("survey-send")),
		chromedp.WaitVisible(chromedp.ID("survey-thanks")),
	)
	if got := b.text("#survey-thanks"); !strings.Contains(got, "4 of 5") {
		t.Errorf("the answer reads %q", got)
	}
	b.shot("answered")

	// The same page on a phone, for a second ticket.
	resolveTicket(t, s, "Printer jammed")
	link2 := surveyRE(2).FindString(surveyMail(t, box, "Printer jammed"))
	b.do("the phone's survey page",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(link2),
		chromedp.WaitVisible(chromedp.ID("survey-form")),
	)
	b.noSideScroll("the survey page on a phone")
	b.shot("phone")
	b.do("back to wide", chromedp.EmulateViewport(1280, 900))

	b.do("rate on the status page",
		chromedp.Navigate(s.base+"/status/main"),
		chromedp.WaitVisible(chromedp.ID("feedback-service")),
	)
	b.do("show the rating form", chromedp.ScrollIntoView(chromedp.ID("feedback-h")))
	b.shot("status-form")
	b.do("send a rating",
		chromedp.Click(chromedp.CSS(`.feedback-form input[name="score"][value="2"]`)),
		chromedp.SendKeys(chromedp.ID("feedback-comment"), "The invoices page is slow and bad"),
		chromedp.Click(chromedp.CSS(`.feedback-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("feedback-thanks")),
	)
	b.shot("status-rated")

	b.do("sign in and open the service",
		chromedp.Navigate(s.base+"/login?next=/services/erp"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "olivia"),
		chromedp.SendKeys(chromedp.ID("login-password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("feedback-figures")),
	)
	if got := b.text("#fb-csat"); got != "100%" {
		t.Errorf("CSAT reads %q, want 100%% (one answer, a 4)", got)
	}
	if got := b.text("#fb-responses"); !strings.HasPrefix(got, "1 of 2") {
		t.Errorf("responses read %q, want 1 of 2", got)
	}
	if got := b.text(".feedback-list"); !strings.Contains(got, "slow and bad") || !strings.Contains(got, "a visitor of the status page") {
		t.Errorf("latest ratings read %q", got)
	}
	b.do("scroll to what users say", chromedp.ScrollIntoView(chromedp.ID("feedback")))
	b.shot("service-page")
}
