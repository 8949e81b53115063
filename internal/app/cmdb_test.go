package app_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

const cmdbFile = `
services:
  - name: shop
    depends_on: [{ci: db-01, kind: hard}]
cmdb:
  classes:
    - name: rack
      attributes:
        - {name: site, type: enum, values: [par, ber], required: true}
  items:
    - {name: rack-1, class: rack, attributes: {site: par}}
    - {name: srv-1, class: server, attributes: {cpus: 8, ip: 10.0.0.8}, location: rack-1}
    - {name: db-01, class: database}
  relations:
    - {from: db-01, type: runs_on, to: srv-1}
`

// TestCMDBFromTheFile: the file's classes, items and relations are applied
// with the catalog (the file wins, API items stay), and a file whose
// relations loop is refused with the line and the loop named.
func TestCMDBFromTheFile(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sextant.yaml")
			write := func(s string) {
				if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write(cmdbFile)
			s := start(t, e, app.Options{ConfigPath: path, DataDir: dir, Log: slog.New(slog.NewTextHandler(&lockedBuffer{}, nil))})
			code, body := s.do("GET", "/api/v1/cis/srv-1", true)
			if code != 200 || !strings.Contains(body, `"source": "file"`) || !strings.Contains(body, `"cpus": 8`) {
				t.Fatalf("file item: %d %s", code, body)
			}
			if code, body := s.do("GET", "/api/v1/ci-classes", true); code != 200 || !strings.Contains(body, `"rack"`) {
				t.Fatalf("classes: %d %s", code, body)
			}
			if code, body := s.do("GET", "/api/v1/cis/srv-1/impact?what_if=down", true); code != 200 || !strings.Contains(body, `"ci:srv-1",`) || !strings.Contains(body, `"service": "shop"`) {
				t.Fatalf("impact of srv-1: %d %s", code, body)
			}
			// A loop is refused, naming it, and nothing changes.
			write(cmdbFile + "    - {from: srv-1, type: depends_on, to: db-01}\n")
			code, body = s.do("POST", "/api/v1/config/reload", true)
			if code != 422 || !strings.Contains(body, "an item would rest on itself: srv-1 → db-01 → srv-1") || !strings.Contains(body, `"line"`) {
				t.Fatalf("a loop: %d %s", code, body)
			}
			// Dropping db-01 (and its relation) from the file while the
			// shop still depends on it is refused when applied (the file may
			// name items made through the API, so only the store can tell).
			noDB := strings.NewReplacer("    - {name: db-01, class: database}\n", "", "  relations:\n    - {from: db-01, type: runs_on, to: srv-1}\n", "").Replace(cmdbFile)
			write(noDB)
			if code, body := s.do("POST", "/api/v1/config/reload", true); code != 400 || !strings.Contains(body, `unknown configuration item \"db-01\"`) {
				t.Fatalf("a dangling dependency: %d %s", code, body)
			}
			write(strings.Replace(noDB, "    depends_on: [{ci: db-01, kind: hard}]\n", "", 1))
			if code, body := s.do("POST", "/api/v1/config/reload", true); code != 200 {
				t.Fatalf("good reload: %d %s", code, body)
			}
			if code, _ := s.do("GET", "/api/v1/cis/db-01", true); code != 404 {
				t.Fatalf("db-01 is still there: %d", code)
			}
			if code, body := s.do("GET", "/api/v1/ci-relations", true); code != 200 || strings.Contains(body, "db-01") {
				t.Fatalf("relations: %d %s", code, body)
			}
		})
	}
}
