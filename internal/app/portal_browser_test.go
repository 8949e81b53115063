package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// portalConfig is a desk with a request catalog: a laptop needs the
// approval of mara, with a form of every kind of check.
const portalConfig = `services:
  - {name: workplace, title: Workplace IT, objective: {availability: 99.5%%}}
mail: {from: desk@example.com, smtp: {host: 127.0.0.1, port: %d, tls: none}}
desk:
  queues: [{name: service-desk}]
  sla_policies:
    - {name: requests, match: {type: request}, first_response: 8h, resolution: 5d}
    - {name: standard, first_response: 4h, resolution: 2d}
  portal: {reopen_within: 7d}
  catalog:
    - name: laptop
      title: New laptop
      description: A laptop for a new starter or a replacement.
      service: workplace
      sla_policy: requests
      approval: {people: [mara]}
      fields:
        - {name: model, label: Model, type: choice, required: true, choices: [standard, developer]}
        - {name: memory, label: Memory (GB), type: number, required: true, min: 8, max: 64}
        - {name: needed_by, label: Needed by, type: date, required: true, min: today}
        - {name: reason, label: Why, type: textarea, required: true, min: 10}
`

var approveRE = regexp.MustCompile(`http://[^\s]+/approvals/\d+/mara/approve\?exp=\d+&sig=[0-9a-f]+`)

// TestBrowserPortal walks a requester through the portal in headless
// Chromium against the real server and a real SMTP server: the search
// finds a known error's workaround, a catalog request with bad fields
// shows every problem by its field, the fixed request waits for approval,
// the approver's signed link from the mail approves it, an agent resolves
// it on the ticket page, and the requester sees the resolution.
// Screenshots go to test-output/browser (portal-*.png).
func TestBrowserPortal(t *testing.T) {
	chromium := findChromium(t)
	shots := shotsDir(t)
	box, port := startInbox(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sextant.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(portalConfig, port)), 0o600); err != nil {
		t.Fatal(err)
	}
	e := storetest.Engines(t)[0]
	s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
	bg := context.Background()
	for _, u := range []auth.NewUser{
		{Name: "rita", Role: auth.Requester, Email: "rita@example.com", Organisation: "acme"},
		{Name: "mara", Role: auth.Operator, Email: "mara@example.com"},
		{Name: "olivia", Role: auth.Operator, Email: "olivia@example.com"},
	} {
		u.Password = "correct horse battery"
		if _, err := s.app.Auth().CreateUser(bg, "test", u); err != nil {
			t.Fatal(err)
		}
	}
	if code := s.json("POST", "/api/v1/known-errors", `{"title":"VPN drops every hour","service":"workplace","summary_match":"vpn",
		"workaround":"Reconnect from the tray icon, then choose **Stay connected**."}`, nil); code != 201 {
		t.Fatalf("known error: %d", code)
	}

	ctx := chromiumTab(t, chromium, 1280, 90*time.Second)
	step := 0
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		step++
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("portal-%02d-%s.png", step, name)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	signIn := func(name string) {
		t.Helper()
		do("sign in as "+name,
			chromedp.Navigate(s.base+"/login"),
			chromedp.WaitVisible(chromedp.ID("login-name")),
			chromedp.SendKeys(chromedp.ID("login-name"), name),
			chromedp.SendKeys(chromedp.ID("login-password"), "correct horse battery"),
			chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`header .who`)),
		)
	}
	signOut := func() {
		t.Helper()
		do("sign out", chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("login-name")))
	}

	signIn("rita")
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/portal") {
		t.Fatalf("a requester lands on %s, want /portal", loc)
	}
	do("search before opening a ticket",
		chromedp.SendKeys(chromedp.ID("q"), "my vpn keeps dropping"),
		chromedp.Click(chromedp.CSS(`form[role="search"] button`)),
		chromedp.WaitVisible(chromedp.ID("hits")),
	)
	if got := text("#hits"); !strings.Contains(got, "VPN drops every hour") {
		t.Fatalf("the search shows %q", got)
	}
	shot("search")
	do("open the workaround", chromedp.Click(chromedp.CSS(`#hits a[href^="/portal/known-errors/"]`)), chromedp.WaitVisible(chromedp.ID("doc")))
	if got := text("#doc"); !strings.Contains(got, "Reconnect from the tray icon") {
		t.Fatalf("the workaround reads %q", got)
	}
	shot("workaround")

	do("the laptop form",
		chromedp.Navigate(s.base+"/portal/catalog/laptop"),
		chromedp.WaitVisible(chromedp.ID("request-form")),
		chromedp.SendKeys(chromedp.ID("f-fields-memory"), "200"),
		chromedp.SetValue(chromedp.ID("f-fields-needed_by"), "2020-01-01"),
		chromedp.SendKeys(chromedp.ID("f-fields-reason"), "new"),
		chromedp.Click(chromedp.CSS(`#request-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("summary-title")),
	)
	if got := text("#summary-title"); got != "4 problems to fix" {
		t.Errorf("the summary says %q", got)
	}
	for id, want := range map[string]string{
		"f-fields-model-error":     "Model is required",
		"f-fields-memory-error":    "must be at most 64",
		"f-fields-needed_by-error": "must be on or after",
		"f-fields-reason-error":    "must be at least 10 characters",
	} {
		if got := text("#" + id); !strings.Contains(got, want) {
			t.Errorf("%s reads %q, want %q", id, got, want)
		}
	}
	shot("request-problems")
	before := len(box.all())
	do("fix the request",
		chromedp.SetValue(chromedp.ID("f-fields-model"), "developer"),
		chromedp.SetValue(chromedp.ID("f-fields-memory"), "32"),
		chromedp.SetValue(chromedp.ID("f-fields-needed_by"), time.Now().AddDate(0, 0, 14).Format(time.DateOnly)),
		chromedp.SetValue(chromedp.ID("f-fields-reason"), "New starter in the platform team"),
		chromedp.Click(chromedp.CSS(`#request-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("requested")),
	)
	if got := text("#ticket-status"); !strings.Contains(got, "waiting for approval") {
		t.Errorf("the new request reads %q", got)
	}
	if got := text("#request-fields"); !strings.Contains(got, "developer") || !strings.Contains(got, "32") {
		t.Errorf("the stored fields read %q", got)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	ticketPath := loc[strings.Index(loc, "/portal/tickets/"):]
	if i := strings.IndexByte(ticketPath, '?'); i > 0 {
		ticketPath = ticketPath[:i]
	}
	shot("request-waiting")

	var link string
	waitUntil(t, "the approval mail", 10*time.Second, func() bool {
		for _, m := range box.all()[before:] {
			if strings.Contains(m, "To-Envelope: mara@example.com") {
				link = approveRE.FindString(unfold(m))
				return link != ""
			}
		}
		return false
	})
	signOut()
	do("the approval link from the mail", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("confirm")))
	shot("approval-link")
	do("approve", chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("decided")))
	shot("approved")

	signIn("olivia")
	deskPath := strings.Replace(ticketPath, "/portal/tickets/", "/desk/tickets/", 1)
	do("the agent resolves it",
		chromedp.Navigate(s.base+deskPath),
		chromedp.WaitVisible(chromedp.ID("f-status")),
		chromedp.SetValue(chromedp.ID("f-status"), "resolved"),
		chromedp.SendKeys(chromedp.ID("f-note"), "Your laptop is ready at the front desk."),
		chromedp.Click(chromedp.CSS(`#move button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#ticket-status .ticket-status.resolved")),
	)
	shot("agent-resolved")
	signOut()

	signIn("rita")
	do("the requester's ticket", chromedp.Navigate(s.base+ticketPath), chromedp.WaitVisible(chromedp.ID("conversation")))
	if got := text("#ticket-status"); !strings.Contains(got, "resolved") {
		t.Errorf("the resolved ticket reads %q", got)
	}
	if got := text("#conversation"); !strings.Contains(got, "ready at the front desk") {
		t.Errorf("the conversation reads %q", got)
	}
	if got := text("#approval-list"); !strings.Contains(got, "approved") {
		t.Errorf("the approvals read %q", got)
	}
	shot("resolved")

	// The resolution mails rita the satisfaction survey: its "5" link,
	// opened from the mail without signing in, shows the score chosen and
	// records it when sent.
	signOut()
	link = surveyRE(5).FindString(surveyMail(t, box, "rita@example.com"))
	if link == "" {
		t.Fatal("no survey link for 5 in the mail")
	}
	do("the survey link from the mail", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("survey-form")))
	shot("survey")
	do("answer the survey",
		chromedp.SendKeys(chromedp.ID("survey-comment"), "Quick and friendly, thanks"),
		chromedp.Click(chromedp.ID("survey-send")),
		chromedp.WaitVisible(chromedp.ID("survey-thanks")),
	)
	if got := text("#survey-thanks"); !strings.Contains(got, "5 of 5") {
		t.Errorf("the survey's answer reads %q", got)
	}
	shot("survey-answered")
}
