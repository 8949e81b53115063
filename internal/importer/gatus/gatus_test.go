package gatus_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/importer"
	"github.com/sextant-ops/sextant/internal/importer/gatus"
	"github.com/sextant-ops/sextant/internal/monitor"
)

// accept parses an import's output as `sextant check` would, with every
// ${VAR} set, and fails on any problem.
func accept(t *testing.T, res *importer.Result) *config.Config {
	t.Helper()
	out, err := res.Config.YAML("imported")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(out, fakeEnv)
	if err != nil {
		t.Fatalf("the imported config is refused:\n%v\n\n%s", err, out)
	}
	return cfg
}

// fakeEnv gives every ${VAR} a plausible value: a URL for *_URL, a long
// secret otherwise.
func fakeEnv(name string) (string, bool) {
	if strings.HasSuffix(name, "URL") {
		return "https://hooks.example.com/x", true
	}
	return "value-long-enough-0123456789", true
}

func check(t *testing.T, cfg *config.Config, name string) monitor.Check {
	t.Helper()
	for _, c := range cfg.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %v", name, cfg.Checks)
	return monitor.Check{}
}

func TestImportFile(t *testing.T) {
	res, err := gatus.ImportPath("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := accept(t, res)
	out, _ := res.Config.YAML("x")

	if got := len(cfg.Catalog.Services); got != 3 {
		t.Errorf("%d services, want core, internal and the ungrouped status page", got)
	}
	fe := check(t, cfg, "front-end")
	if fe.Type != "http" || fe.Service != "core" || fe.Interval != "5m" || len(fe.Conditions) != 3 || fe.FailAfter != 5 || fe.RecoverAfter != 3 || fe.Escalation != "notify-slack" {
		t.Errorf("front-end: %+v", fe)
	}
	be := check(t, cfg, "back-end")
	if be.Method != "POST" || be.Body != `{"ping": true}` || be.Timeout != "5s" || !be.InsecureSkipVerify || be.FailAfter != 2 || be.RecoverAfter != 1 ||
		be.Escalation != "notify-ntfy" || len(be.Conditions) != 3 || be.Headers["Authorization"] == "" {
		t.Errorf("back-end: %+v", be)
	}
	if db := check(t, cfg, "database"); db.Type != "tcp" || db.Host != "db.internal" || db.Port != 5432 || db.Service != "internal" {
		t.Errorf("database: %+v", db)
	}
	if p := check(t, cfg, "gateway-ping"); p.Type != "icmp" || p.Host != "10.0.0.1" {
		t.Errorf("gateway ping: %+v", p)
	}
	if c := check(t, cfg, "certificate"); c.Type != "tls" || c.Host != "example.org" || c.Port != 0 {
		t.Errorf("certificate: %+v", c)
	}
	d := check(t, cfg, "dns")
	if d.Type != "dns" || d.Host != "example.org" || d.Record != "A" || d.Resolver != "8.8.8.8" || len(d.Conditions) != 2 || d.Conditions[1].Condition != "[IP] == 93.184.216.34" {
		t.Errorf("dns: %+v", d)
	}
	if hb := check(t, cfg, "nightly-backup"); hb.Type != "heartbeat" || hb.Period != "24h" || hb.Escalation != "notify-slack" {
		t.Errorf("nightly backup: %+v", hb)
	}
	// Secrets stay references, both spellings.
	for _, want := range []string{"${SLACK_WEBHOOK_URL}", "${NTFY_TOKEN}", "${SMTP_PASSWORD}", "${API_TOKEN}"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks the reference %s", want)
		}
	}
	// Global maintenance on every service, the endpoint's own on its service.
	for _, s := range res.Config.Services {
		var rules []string
		for _, m := range s.Maintenance {
			rules = append(rules, m.RRule+" "+m.Timezone)
		}
		if !strings.Contains(strings.Join(rules, "|"), "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=23;BYMINUTE=0 Europe/Amsterdam") {
			t.Errorf("service %s lacks the global window: %v", s.Name, rules)
		}
		if s.Name == "internal" && !strings.Contains(strings.Join(rules, "|"), "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0 UTC") {
			t.Errorf("internal lacks its window: %v", rules)
		}
	}
	// Everything that could not be mapped is listed at its position.
	report := res.Report()
	for _, want := range []string{
		"testdata/config.yaml:2:1: storage:",
		"testdata/config.yaml:29:3: alerting.discord: Sextant has no discord channel",
		`testdata/config.yaml:49:9: endpoint "front-end" alert discord: no channel for provider "discord"`,
		`testdata/config.yaml:64:9: endpoint "back-end" condition "[DOMAIN_EXPIRATION] > 720h"`,
		`endpoint "back-end" alert email: is disabled`,
		`testdata/config.yaml:113:10: endpoint "ssh": Sextant has no ssh:// check`,
		`endpoint "legacy": is disabled in Gatus`,
		`endpoint "Status Page (public)" ui: no Sextant equivalent`,
		`endpoint "Status Page (public)" condition "[STATUS] =~ 200"`,
		`external endpoint "nightly-backup" token: Sextant gives each heartbeat its own ping URL`,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestImportDirectory(t *testing.T) {
	res, err := gatus.ImportPath("testdata/dir")
	if err != nil {
		t.Fatal(err)
	}
	cfg := accept(t, res)
	shop := check(t, cfg, "shop")
	if shop.Escalation != "notify-teams-custom" || shop.Service != "shop" {
		t.Errorf("shop: %+v", shop)
	}
	co := check(t, cfg, "checkout")
	if co.Timeout != "10s" || co.FailAfter != 1 || co.Interval != "10s" {
		t.Errorf("checkout (timeout capped at the interval): %+v", co)
	}
	if len(cfg.Channels) != 2 {
		t.Errorf("channels: %+v", cfg.Channels)
	}
	if !strings.Contains(res.Report(), "testdata/dir/10-alerting.yaml:4:3: alerting.custom body and headers") {
		t.Errorf("report:\n%s", res.Report())
	}
}

func TestImportFifty(t *testing.T) {
	res, err := gatus.ImportPath("testdata/fifty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := accept(t, res)
	if len(cfg.Checks) != 50 || len(cfg.Catalog.Services) != 5 {
		t.Fatalf("%d checks on %d services, want 50 on 5", len(cfg.Checks), len(cfg.Catalog.Services))
	}
	if len(res.Unmapped) != 0 {
		t.Errorf("unmapped:\n%s", res.Report())
	}
}

// FuzzImport feeds arbitrary YAML: the importer may refuse it, but never
// panics, and what it writes is always a config the server can read.
func FuzzImport(f *testing.F) {
	for _, p := range []string{"testdata/config.yaml", "testdata/fifty.yaml", "testdata/dir/20-endpoints.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := gatus.Import([]string{"f.yaml"}, map[string][]byte{"f.yaml": src})
		if err != nil {
			return
		}
		out, err := res.Config.YAML("fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := config.Parse(out, fakeEnv); err != nil {
			t.Fatalf("output refused: %v\n%s", err, out)
		}
	})
}

func TestWritesFile(t *testing.T) {
	res, err := gatus.ImportPath("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := res.Config.YAML("Imported from Gatus")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sextant.yaml")
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "# Imported from Gatus\n") {
		t.Errorf("header: %.40q", out)
	}
}
