package app_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/cli"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestImportedGatusConfigRuns imports a Gatus config of fifty endpoints and
// starts a server on the result; and applies the richer fixture to a
// running server through the API.
func TestImportedGatusConfigRuns(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "sextant.yaml")
			var out, errs bytes.Buffer
			if code := cli.Main([]string{"import", "gatus", "../importer/gatus/testdata/fifty.yaml", "--out", cfg}, cli.Env{Stdout: &out, Stderr: &errs}); code != 0 {
				t.Fatalf("import = %d: %s", code, errs.String())
			}
			t.Setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/X")
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			var checks struct {
				Items []struct{ Name, Service string }
			}
			s.json("GET", "/api/v1/checks?limit=1000", "", &checks)
			if len(checks.Items) != 50 {
				t.Fatalf("the server runs %d checks, want 50", len(checks.Items))
			}

			// --apply creates the services and checks on a running server.
			plain := start(t, e, app.Options{})
			errs.Reset()
			code := cli.Main([]string{"import", "gatus", "../importer/gatus/testdata/config.yaml", "--out", filepath.Join(t.TempDir(), "x.yaml"),
				"--apply", "--server", plain.base, "--token", plain.token}, cli.Env{Stdout: &out, Stderr: &errs})
			if code != 0 {
				t.Fatalf("import --apply = %d: %s", code, errs.String())
			}
			if !strings.Contains(errs.String(), "applied check back-end") || !strings.Contains(errs.String(), "not applied: 3 channels and 2 escalation policies") {
				t.Errorf("apply output:\n%s", errs.String())
			}
			plain.json("GET", "/api/v1/checks?limit=1000", "", &checks)
			if len(checks.Items) != 8 {
				t.Errorf("applied %d checks, want 8: %+v", len(checks.Items), checks.Items)
			}
			// Applying again replaces rather than fails.
			errs.Reset()
			if code := cli.Main([]string{"import", "gatus", "../importer/gatus/testdata/config.yaml", "--out", filepath.Join(t.TempDir(), "y.yaml"),
				"--apply", "--server", plain.base, "--token", plain.token}, cli.Env{Stdout: &out, Stderr: &errs}); code != 0 {
				t.Fatalf("second apply = %d: %s", code, errs.String())
			}
		})
	}
}
