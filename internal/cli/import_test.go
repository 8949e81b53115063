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
