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

// TestServeRefusesBadIngestLoops: a commit loop count out of range, from the
// flag or the environment, stops serve with the flag's name and the value.
func TestServeRefusesBadIngestLoops(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"flag too many", nil, []string{"--ingest-loops", "9"}, `got "9"`},
		{"flag negative", nil, []string{"--ingest-loops", "-1"}, `got "-1"`},
		{"environment not a number", map[string]string{"SEXTANT_INGEST_LOOPS": "four"}, nil, `got "four"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"SEXTANT_DATA": t.TempDir()}
			for k, v := range c.env {
				env[k] = v
			}
			args := append([]string{"serve", "--listen", "127.0.0.1:0"}, c.args...)
			code, out, errs := run(t, "", env, args...)
			if code != 2 || !strings.Contains(errs, "--ingest-loops") || !strings.Contains(errs, c.want) {
				t.Fatalf("exit %d; out %q, err %q", code, out, errs)
			}
		})
	}
}

func TestServeRejectsBadSMTPListen(t *testing.T) {
	code, out, errs := run(t, "", map[string]string{"SEXTANT_DATA": t.TempDir()}, "serve", "--listen", "127.0.0.1:0", "--smtp-listen", "25")
	if code != 2 || !strings.Contains(errs, `--smtp-listen: expected host:port, got "25"`) {
		t.Fatalf("exit %d; out %q, err %q", code, out, errs)
	}
}
