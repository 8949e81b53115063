package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRefusesABadConfig: `sextant serve` on a file with problems exits
// 1 with each problem at its line and column and says it did not start;
// nothing runs yet, so it does not claim to keep a running config.
func TestServeRefusesABadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sextant.yaml")
	if err := os.WriteFile(cfg, []byte("services:\n  - name: database\n  - name: shop\n    colour: red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", map[string]string{"SEXTANT_DATA": dir}, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	if code != 1 {
		t.Fatalf("exit %d; out %q, err %q", code, out, errs)
	}
	for _, want := range []string{"config rejected, so the server did not start", cfg + ":4:5:", "colour"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not say %q:\n%s", want, errs)
		}
	}
	for _, not := range []string{"keeping the running config", "running at"} {
		if strings.Contains(errs+out, not) {
			t.Errorf("output says %q:\n%s%s", not, out, errs)
		}
	}
}
