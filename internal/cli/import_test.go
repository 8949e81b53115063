package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportGatus writes a config from a Gatus file and checks it the way a
// user would: `sextant check` accepts it once its variables are set.
func TestImportGatus(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sextant.yaml")
	code, stdout, stderr := run(t, "", nil, "import", "gatus", "../importer/gatus/testdata/config.yaml", "--out", out)
	if code != 0 {
		t.Fatalf("import = %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"mapped 16 items:", "could not map 11 items:", "../importer/gatus/testdata/config.yaml:113:10: endpoint \"ssh\"",
		"set them where the server runs: API_TOKEN, NTFY_TOKEN, SLACK_WEBHOOK_URL, SMTP_PASSWORD", "wrote " + out} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for k, v := range map[string]string{"API_TOKEN": "t0ken", "NTFY_TOKEN": "tk_0123456789", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X", "SMTP_PASSWORD": "pw"} {
		t.Setenv(k, v)
	}
	if code, stdout, stderr := run(t, "", nil, "check", out); code != 0 {
		t.Fatalf("sextant check refused the import: %d\n%s%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.HasPrefix(string(b), "# Imported from Gatus") {
		t.Fatalf("written file: %.60q %v", b, err)
	}
	// Without --out the config goes to standard output.
	code, stdout, _ = run(t, "", nil, "import", "gatus", "../importer/gatus/testdata/fifty.yaml")
	if code != 0 || strings.Count(stdout, "\n  - name: ") < 50 {
		t.Fatalf("import to stdout = %d:\n%s", code, stdout)
	}
	if code, _, stderr := run(t, "", nil, "import", "nagios", "x"); code != 2 || !strings.Contains(stderr, "say which format") {
		t.Errorf("unknown format = %d %s", code, stderr)
	}
	if code, _, stderr := run(t, "", nil, "import", "gatus", "/nonexistent"); code != 1 || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing path = %d %s", code, stderr)
	}
}

// TestImportUptimeKuma imports a 1.x backup; the config it writes passes
// `sextant check` as it is (Kuma's secrets are copied, not referenced).
func TestImportUptimeKuma(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sextant.yaml")
	code, stdout, stderr := run(t, "", nil, "import", "uptime-kuma", "../importer/kuma/testdata/backup.json", "--out", out)
	if code != 0 {
		t.Fatalf("import = %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, `../importer/kuma/testdata/backup.json#monitor/10: monitor "Redis" (redis): Sextant has no redis check`) ||
		!strings.Contains(stderr, "secrets copied from the source") {
		t.Errorf("report:\n%s", stderr)
	}
	if code, stdout, stderr := run(t, "", nil, "check", out); code != 0 {
		t.Fatalf("sextant check refused the import: %d\n%s%s", code, stdout, stderr)
	}
}

// TestOpenSLORoundTrip exports the demo-like config's objectives as
// OpenSLO and imports them again: `sextant check` accepts the result.
func TestOpenSLORoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sextant.yaml")
	if err := os.WriteFile(cfg, []byte(`services:
  - name: shop
    title: Web shop
    objective: {availability: 99.9%, max_outage: 5m, max_outages: 4}
  - name: payroll
    objective: {availability: 99.5%, period: week}
  - name: wiki
`), 0o600); err != nil {
		t.Fatal(err)
	}
	slo := filepath.Join(dir, "slo.yaml")
	if code, _, stderr := run(t, "", nil, "export", "openslo", "--config", cfg, "--out", slo); code != 0 {
		t.Fatalf("export = %d %s", code, stderr)
	}
	b, _ := os.ReadFile(slo)
	if strings.Count(string(b), "kind: SLO") != 2 || !strings.Contains(string(b), "sextant.io/max_outage: 5m") {
		t.Fatalf("export:\n%s", b)
	}
	back := filepath.Join(dir, "back.yaml")
	code, _, stderr := run(t, "", nil, "import", "openslo", slo, "--out", back)
	if code != 0 {
		t.Fatalf("import = %d %s", code, stderr)
	}
	if code, stdout, stderr := run(t, "", nil, "check", back); code != 0 {
		t.Fatalf("check = %d %s%s", code, stdout, stderr)
	}
	got, _ := os.ReadFile(back)
	for _, want := range []string{"availability: 99.9%", "max_outage: 5m", "max_outages: 4", "period: week"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("round trip lost %q:\n%s", want, got)
		}
	}
	if code, _, stderr := run(t, "", nil, "export", "gatus"); code != 2 || !strings.Contains(stderr, "say which format") {
		t.Errorf("export gatus = %d %s", code, stderr)
	}
}
