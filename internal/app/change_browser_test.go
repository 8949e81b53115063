package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// decideRE finds the signed approval link in a mail.
var decideRE = regexp.MustCompile(`http://[^\s>]+/changes/\d+/decide\?approver=[^\s&]+&exp=\d+&sig=[0-9a-f]+`)

// TestBrowserChangeWalk walks a change in headless Chromium against the
// real server and a real SMTP server: an operator submits a normal change
// expecting an outage from the form; the approver named in the config
// gets the mail, opens its signed link and approves; the change is
// scheduled with its maintenance window; the operator starts it and
// completes it. Screenshots go to test-output/browser (change-*.png).
func TestBrowserChangeWalk(t *testing.T) {
	b := newBrowser(t, "change", 90*time.Second)
	box, port := startInbox(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sextant.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`users:
  - {name: cab-lead, email: cab-lead@example.com}
mail: {from: sextant@example.com, smtp: {host: 127.0.0.1, port: %d, tls: none}}
change:
  approvers:
    - {name: cab, types: [normal], people: [cab-lead], quorum: 1}
  freezes:
    - {name: year-end, start: %q, end: %q, reason: closing the books}
`, port, time.Now().UTC().Add(10*24*time.Hour).Truncate(24*time.Hour).Format(time.RFC3339),
		time.Now().UTC().Add(14*24*time.Hour).Truncate(24*time.Hour).Format(time.RFC3339))), 0o600); err != nil {
		t.Fatal(err)
	}
	e := storetest.Engines(t)[0]
	s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
	s.must("POST", "/api/v1/services", `{"name":"shop","tier":2}`, 201, nil)
	s.must("POST", "/api/v1/users", `{"name":"ana","password":"correct horse battery","role":"operator"}`, 201, nil)

	do, shot := b.do, b.shot
	text := func(sel string) string { return strings.TrimSpace(b.text(sel)) }

	do("sign in",
		chromedp.Navigate(s.base+"/login?next=/changes/new"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "ana"),
		chromedp.SendKeys(chromedp.ID("login-password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("f-planned_start")),
	)
	startAt := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Hour)
	do("fill in the change",
		chromedp.SendKeys(chromedp.ID("f-title"), "Database upgrade"),
		chromedp.Click(chromedp.CSS(`input[name="services"][value="shop"]`)),
		chromedp.SetValue(chromedp.ID("f-planned_start"), startAt.Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.ID("f-planned_end"), startAt.Add(time.Hour).Format("2006-01-02T15:04")),
		chromedp.Click(chromedp.ID("outage_expected")),
		chromedp.SendKeys(chromedp.ID("f-backout_plan"), "Restore last night's snapshot."),
	)
	shot("form")
	before := len(box.all())
	do("submit it",
		chromedp.Click(chromedp.CSS(`button[name="submit"][value="1"]`)),
		chromedp.WaitVisible(chromedp.ID("change-state-badge")),
	)
	if got := text("#change-state-badge"); got != "submitted" {
		t.Fatalf("after submitting the change is %q", got)
	}
	if got := text("#risk-level"); got == "" {
		t.Fatal("no risk shown")
	}
	shot("submitted")

	var link string
	waitUntil(t, "the approval mail", 10*time.Second, func() bool {
		for _, m := range box.all()[before:] {
			if strings.Contains(m, "cab-lead@example.com") {
				link = decideRE.FindString(unfold(m))
				return link != ""
			}
		}
		return false
	})
	do("the approval link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("approve")),
	)
	shot("approval-link")
	do("approve",
		chromedp.SendKeys(chromedp.ID("comment"), "Go ahead."),
		chromedp.Click(chromedp.ID("approve")),
		chromedp.WaitVisible(chromedp.ID("decision-done")),
	)
	if got := text("#decided-state"); got != "scheduled" {
		t.Fatalf("after approval the change is %q", got)
	}
	shot("approved")

	id := regexp.MustCompile(`/changes/(\d+)/`).FindStringSubmatch(link)[1]
	do("the scheduled change",
		chromedp.Navigate(s.base+"/changes/"+id),
		chromedp.WaitVisible(chromedp.CSS(`#move-in_progress button`)),
	)
	if got := text("#change-state"); !strings.Contains(got, "scheduled") || !strings.Contains(got, "maintenance window") {
		t.Fatalf("the scheduled change reads %q", got)
	}
	shot("scheduled")
	do("start it",
		chromedp.Click(chromedp.CSS(`#move-in_progress button`)),
		chromedp.WaitVisible(chromedp.CSS(`#move-completed button`)),
	)
	shot("in-progress")
	do("complete it",
		chromedp.SetValue(chromedp.ID("outcome"), "successful"),
		chromedp.Click(chromedp.CSS(`#move-completed button`)),
		chromedp.WaitVisible(chromedp.ID("change-outcome")),
	)
	if got := text("#change-state-badge"); got != "completed" {
		t.Fatalf("after completing the change is %q", got)
	}
	if got := text("#change-outcome"); got != "successful" {
		t.Fatalf("outcome %q", got)
	}
	shot("completed")
	do("the calendar",
		chromedp.Navigate(s.base+"/changes/calendar"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/changes/`+id+`"]`)),
	)
	if got := text("#freezes + ul"); !strings.Contains(got, "year-end") || !strings.Contains(got, "closing the books") {
		t.Fatalf("the calendar's freezes read %q", got)
	}
	shot("calendar")
}
