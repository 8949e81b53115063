package kuma_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/importer"
	"github.com/sextant-ops/sextant/internal/importer/kuma"
	"github.com/sextant-ops/sextant/internal/monitor"
)

func accept(t *testing.T, res *importer.Result) *config.Config {
	t.Helper()
	out, err := res.Config.YAML("imported")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(out, nil)
	if err != nil {
		t.Fatalf("the imported config is refused:\n%v\n\n%s", err, out)
	}
	return cfg
}

func check(t *testing.T, cfg *config.Config, name string) monitor.Check {
	t.Helper()
	for _, c := range cfg.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q among %d", name, len(cfg.Checks))
	return monitor.Check{}
}

func conds(c monitor.Check) string {
	var out []string
	for _, s := range c.Conditions {
		out = append(out, s.Condition)
	}
	return strings.Join(out, " && ")
}

func TestImportBackup(t *testing.T) {
	res, err := kuma.ImportPath("testdata/backup.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := accept(t, res)
	home := check(t, cfg, "shop-home")
	if home.Service != "web-shop" || home.Type != "http" || home.Interval != "30s" || home.Timeout != "24s" || home.FailAfter != 3 ||
		conds(home) != "[STATUS] >= 200 && [STATUS] <= 299" || home.Headers["X-Probe"] != "kuma" || home.Escalation != "notify-ops-slack-phone" {
		t.Errorf("shop home: %+v", home)
	}
	search := check(t, cfg, "shop-search")
	if search.Service != "web-shop" || conds(search) != "[STATUS] == any(200, 201, 204) && [BODY] == pat(*results*)" || !search.InsecureSkipVerify ||
		search.FollowRedirects == nil || *search.FollowRedirects || search.FailAfter != 2 {
		t.Errorf("shop search: %+v (%s)", search, conds(search))
	}
	api := check(t, cfg, "api-health")
	if api.Service != "api" || api.Method != "POST" || conds(api) != "[STATUS] >= 200 && [STATUS] <= 299 && [BODY].status == ok" || api.Escalation != "notify-on-call-mail" {
		t.Errorf("api health: %+v (%s)", api, conds(api))
	}
	if db := check(t, cfg, "database-port"); db.Type != "tcp" || db.Host != "db.internal" || db.Port != 5432 || db.Service != "infrastructure" || db.FailAfter != 1 {
		t.Errorf("database port: %+v", db)
	}
	if gw := check(t, cfg, "gateway"); gw.Type != "icmp" || gw.FailAfter != 5 {
		t.Errorf("gateway: %+v", gw)
	}
	if d := check(t, cfg, "dns-example-com"); d.Type != "dns" || d.Record != "AAAA" || d.Resolver != "1.1.1.1:53" || d.Interval != "300s" {
		t.Errorf("dns: %+v", d)
	}
	if hb := check(t, cfg, "nightly-backup"); hb.Type != "heartbeat" || hb.Period != "86400s" || hb.Escalation != "notify-teams" {
		t.Errorf("backup: %+v", hb)
	}
	if cp := check(t, cfg, "closed-port"); conds(cp) != "[CONNECTED] == false" {
		t.Errorf("upside-down port: %s", conds(cp))
	}
	if len(cfg.Channels) != 4 {
		t.Errorf("channels: %+v", cfg.Channels)
	}
	report := res.Report()
	for _, want := range []string{
		`testdata/backup.json#notification/4: notification "Team Discord": Sextant has no "discord" channel`,
		`testdata/backup.json#monitor/4: monitor "API health" (json-query) accepted_statuscodes: [200-299 404] cannot be said`,
		`testdata/backup.json#monitor/4: monitor "API health" (json-query) notification 4: its notification was not imported`,
		`testdata/backup.json#monitor/4: monitor "API health" (json-query) basic auth`,
		`testdata/backup.json#monitor/4: monitor "API health" (json-query) tag "production": a check belongs to one service`,
		`testdata/backup.json#monitor/9: monitor "Old site" (http): is paused`,
		`testdata/backup.json#monitor/10: monitor "Redis" (redis): Sextant has no redis check`,
		`testdata/backup.json#monitor/8: monitor "Nightly backup" (push) push token`,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	// Basic-auth credentials are not copied anywhere.
	out, _ := res.Config.YAML("x")
	if strings.Contains(string(out), "hunter2") {
		t.Error("the basic-auth password was copied")
	}
}

func TestImportDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kuma.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/kuma.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(schema)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	res, err := kuma.ImportPath(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := accept(t, res)
	api := check(t, cfg, "payments-api")
	if api.Service != "payments" || api.Interval != "45s" || api.Timeout != "36s" || api.FailAfter != 2 || api.Headers["Accept"] != "application/json" ||
		api.Escalation != "notify-ops-slack-webhook" {
		t.Errorf("payments api: %+v", api)
	}
	if pdb := check(t, cfg, "payments-db"); pdb.Service != "payments" || pdb.Type != "tcp" || pdb.Port != 5432 || pdb.Escalation != "" {
		t.Errorf("payments db: %+v", pdb)
	}
	if job := check(t, cfg, "reconciliation-job"); job.Type != "heartbeat" || job.Service != "finance" || job.Period != "3600s" {
		t.Errorf("job: %+v", job)
	}
	if b := check(t, cfg, "status-banner"); conds(b) != "[STATUS] >= 200 && [STATUS] <= 299 && [BODY] != pat(*degraded*)" || b.Service != "finance" {
		t.Errorf("banner: %+v (%s)", b, conds(b))
	}
	report := res.Report()
	for _, want := range []string{"kuma.db#notification/3: notification \"Pushover\": Sextant has no \"pushover\" channel",
		"kuma.db#monitor/6: monitor \"Checkout flow\" (real-browser): Sextant has no real-browser check"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestNotKuma(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(p, []byte(`{"hello": 1}`), 0o600)
	if _, err := kuma.ImportPath(p); err == nil || !strings.Contains(err.Error(), "not an Uptime Kuma backup") {
		t.Errorf("a stray JSON file: %v", err)
	}
	os.WriteFile(p, []byte(`not json`), 0o600)
	if _, err := kuma.ImportPath(p); err == nil {
		t.Error("garbage accepted")
	}
}

// FuzzImport: arbitrary backups never panic, and whatever is written is a
// config the server accepts.
func FuzzImport(f *testing.F) {
	b, err := os.ReadFile("testdata/backup.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"monitorList":[{"id":1,"type":"http","url":"x","accepted_statuscodes":["1-2-3"]}]}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		p := filepath.Join(t.TempDir(), "b.json")
		if err := os.WriteFile(p, src, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := kuma.ImportPath(p)
		if err != nil {
			return
		}
		out, err := res.Config.YAML("fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := config.Parse(out, nil); err != nil {
			t.Fatalf("output refused: %v\n%s", err, out)
		}
	})
}
