package app_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/cli"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestImportedKumaAndOpenSLORun imports an Uptime Kuma backup, a kuma.db
// and an OpenSLO file, and starts a server on each result: the checks and
// objectives arrive as the importer reported them.
func TestImportedKumaAndOpenSLORun(t *testing.T) {
	kumaDB := filepath.Join(t.TempDir(), "kuma.db")
	db, err := sql.Open("sqlite", kumaDB)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("../importer/kuma/testdata/kuma.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(schema)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			for _, c := range []struct {
				name, format, src string
				checks, services  int
			}{
				{"uptime kuma backup", "uptime-kuma", "../importer/kuma/testdata/backup.json", 8, 3},
				{"kuma.db", "uptime-kuma", kumaDB, 4, 2},
				{"openslo", "openslo", "../importer/openslo/testdata/slos.yaml", 0, 3},
			} {
				t.Run(c.name, func(t *testing.T) {
					dir := t.TempDir()
					cfg := filepath.Join(dir, "sextant.yaml")
					var out, errs bytes.Buffer
					if code := cli.Main([]string{"import", c.format, c.src, "--out", cfg}, cli.Env{Stdout: &out, Stderr: &errs}); code != 0 {
						t.Fatalf("import = %d: %s", code, errs.String())
					}
					s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
					var checks struct{ Items []struct{ Name string } }
					s.json("GET", "/api/v1/checks?limit=1000", "", &checks)
					var services struct {
						Items []struct {
							Name      string
							Objective *struct{ Availability any }
						}
					}
					s.json("GET", "/api/v1/services?limit=1000", "", &services)
					if len(checks.Items) != c.checks || len(services.Items) != c.services {
						t.Fatalf("the server runs %d checks on %d services, want %d on %d\n%s", len(checks.Items), len(services.Items), c.checks, c.services, errs.String())
					}
					if c.format == "openslo" {
						for _, sv := range services.Items {
							if sv.Objective == nil {
								t.Errorf("service %s has no objective", sv.Name)
							}
						}
					}
				})
			}
		})
	}
}
