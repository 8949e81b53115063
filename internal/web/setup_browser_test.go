package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBrowserSetupPages walks the channel, policy and integration pages in
// headless Chromium as an admin would, at 1280 px and at 390 px: a form
// refused with its message by the field, a channel created and its Send
// test answered on the page by an httptest receiver, a policy on it, the
// channel's deletion refused naming the policy, an integration created
// with its key shown once. Each step leaves a screenshot in
// test-output/browser (setup-*.png).
func TestBrowserSetupPages(t *testing.T) {
	db := storetest.Open(t, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	e := newEnv(t, db)
	e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
	rc := &receiver{}
	recv := httptest.NewServer(rc)
	defer recv.Close()
	srv := httptest.NewServer(e.handler)
	defer srv.Close()

	b := newBrowser(t, "setup", 60*time.Second)
	ctx := b.ctx
	shot, do, text, noSideScroll := b.shot, b.do, b.text, b.noSideScroll

	do("sign in as an admin",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), "ada"),
		chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav .menus`)),
	)
	do("open the channels from the navigation",
		chromedp.Click(chromedp.CSS(`nav details:has(a[href="/channels"]) summary`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/channels"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/channels/new"]`)),
	)
	shot("channels-empty")
	do("a channel with a bad URL",
		chromedp.Click(chromedp.CSS(`a[href="/channels/new"]`)),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "ops-hook"),
		chromedp.SendKeys(chromedp.ID("f-url"), "ftp://nowhere"),
		chromedp.Click(chromedp.CSS(`form.setup-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".summary")),
	)
	if got := text("#f-url-error"); !strings.Contains(got, "must start with http:// or https://") {
		t.Errorf("the URL's message reads %q", got)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-name"))); got != "ops-hook" {
		t.Errorf("the name was not kept: %q", got)
	}
	shot("channel-form-error")
	do("fix the URL and create",
		chromedp.SetValue(chromedp.ID("f-url"), recv.URL+"/in"),
		chromedp.Click(chromedp.CSS(`form.setup-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/channels/ops-hook/test"] button`)),
	)
	do("send a test",
		chromedp.Click(chromedp.CSS(`form[action="/channels/ops-hook/test"] button`)),
		chromedp.WaitVisible(chromedp.ID("test-result")),
	)
	if got := text("#test-result"); !strings.Contains(got, "The receiver accepted the test message.") || !strings.Contains(got, "200") || !strings.Contains(got, "thanks, got it") {
		t.Errorf("the test result reads %q", got)
	}
	if got := rc.got(); len(got) != 1 || got[0] != notify.KindTest {
		t.Errorf("the receiver got %v", got)
	}
	shot("channel-test")

	do("a policy on the channel",
		chromedp.Navigate(srv.URL+"/escalation-policies/new"),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "night"),
		chromedp.SendKeys(chromedp.ID("f-levels-0-notify"), "channel:ops-hook"),
		chromedp.Click(chromedp.CSS(`form.setup-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("policy-night")),
	)
	shot("policies")
	do("the channel in use cannot be deleted",
		chromedp.Navigate(srv.URL+"/channels/ops-hook/delete"),
		chromedp.WaitVisible(chromedp.CSS("button.danger")),
		chromedp.Click(chromedp.CSS("button.danger")),
		chromedp.WaitVisible(chromedp.CSS(".alert.error")),
	)
	if got := text(".alert.error"); !strings.Contains(got, `used by escalation policy "night"`) {
		t.Errorf("the refusal reads %q", got)
	}
	shot("channel-delete-refused")

	do("a new integration",
		chromedp.Navigate(srv.URL+"/integrations/new"),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "prometheus"),
		chromedp.SendKeys(chromedp.ID("f-service"), "shop"),
		chromedp.SendKeys(chromedp.ID("f-escalation"), "night"),
		chromedp.Click(chromedp.CSS(`form.setup-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("integration-key")),
	)
	key := text("#integration-key")
	if len(key) != 32 || !strings.Contains(text("#alertmanager-snippet"), "credentials: "+key) {
		t.Errorf("key %q, snippet %q", key, text("#alertmanager-snippet"))
	}
	shot("integration-created")

	for _, p := range []struct{ name, path, wait string }{
		{"channels", "/channels", "table"},
		{"channel", "/channels/ops-hook", `form[action="/channels/ops-hook/test"] button`},
		{"channel-form", "/channels/ops-hook/edit", "#f-url"},
		{"policy-form", "/escalation-policies/night/edit", "#f-levels-0-notify"},
		{"integration", "/integrations/prometheus", "#alertmanager-snippet"},
		{"integrations", "/integrations", "table"},
	} {
		do("narrow "+p.name,
			chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(srv.URL+p.path),
			chromedp.WaitVisible(chromedp.CSS(p.wait)),
		)
		if p.name == "integration" && strings.Contains(text("main"), key) {
			t.Error("the integration page shows the key again")
		}
		noSideScroll(fmt.Sprintf("the %s page", p.name))
		shot(p.name + "-narrow")
	}
	do("send a test on a phone",
		chromedp.Navigate(srv.URL+"/channels/ops-hook"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/channels/ops-hook/test"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/channels/ops-hook/test"] button`)),
		chromedp.WaitVisible(chromedp.ID("test-result")),
	)
	noSideScroll("the channel page with a test result")
	shot("channel-test-narrow")
}
