package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/cli"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func runCLI(args ...string) (int, string) {
	var out, errOut bytes.Buffer
	code := cli.Main(args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	return code, out.String() + errOut.String()
}

// sextant backup during a burst of acknowledged events, then restore into
// a new data directory, then start on it: every event acknowledged before
// the backup began is there.
func TestBackupUnderWritesThenRestoreAndStart(t *testing.T) {
	sqlite := storetest.Engines(t)[0]
	if sqlite.Name != "sqlite" {
		t.Fatalf("first engine is %s", sqlite.Name)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	cfgDir, dataDir := t.TempDir(), t.TempDir()
	cfg := incidentConfig(t, cfgDir, hook.URL, "")
	s := start(t, sqlite, app.Options{ConfigPath: cfg, DataDir: dataDir})

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("burst-%d-%d", w, i)
				body := `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"` + key + `","payload":{"summary":"s","source":"x","severity":"info"}}`
				resp, err := http.Post(s.base+"/v2/enqueue", "application/json", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					mu.Lock()
					acked = append(acked, key)
					mu.Unlock()
				}
			}
		}()
	}
	// Let the burst get going, then note what is acknowledged and back up.
	waitAcked := func(want int) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d events acknowledged, waiting for %d", n, want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitAcked(50)
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "sextant-backup.db")
	if code, out := runCLI("backup", "--data", dataDir, "--to", backup); code != 0 {
		t.Fatalf("backup: %d %s", code, out)
	}
	// The burst goes on past the backup a little.
	waitAcked(len(before) + 50)
	close(stop)
	wg.Wait()

	t.Run("the backup file is not overwritten", func(t *testing.T) {
		if code, out := runCLI("backup", "--data", dataDir, "--to", backup); code != 1 || !strings.Contains(out, "already exists") {
			t.Errorf("second backup to the same file: %d %s", code, out)
		}
	})
	t.Run("restore refuses a data directory that is not empty", func(t *testing.T) {
		if code, out := runCLI("restore", "--data", dataDir, "--from", backup); code != 1 || !strings.Contains(out, "is not empty") {
			t.Errorf("restore over the live data: %d %s", code, out)
		}
	})

	// The key that seals two-factor secrets is not in the database: it is
	// copied into the new data directory, which restore allows.
	restored := filepath.Join(t.TempDir(), "restored")
	if key, err := os.ReadFile(filepath.Join(dataDir, auth.KeyFile)); err == nil {
		os.MkdirAll(restored, 0o700)
		if err := os.WriteFile(filepath.Join(restored, auth.KeyFile), key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if code, out := runCLI("restore", "--data", restored, "--from", backup); code != 0 {
		t.Fatalf("restore: %d %s", code, out)
	}
	db, err := store.Open(context.Background(), "", restored, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The restore holds the first server's token; the test helper makes
	// one of the same name afresh.
	if res, err := db.Writer().ExecContext(context.Background(), `DELETE FROM api_tokens WHERE name = 'admin-token'`); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("the restore holds %d admin tokens, want the first server's one", n)
	}
	s2 := start(t, sqlite, app.Options{ConfigPath: cfg, DataDir: restored})
	if code, _ := s2.do("GET", "/api/v1/services/payroll", true); code != 200 {
		t.Fatalf("restored server: %d", code)
	}
	have := map[string]bool{}
	rows, err := db.Reader().QueryContext(context.Background(), `SELECT dedup_key FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		have[k] = true
	}
	rows.Close()
	missing := 0
	for _, k := range before {
		if !have[k] {
			missing++
		}
	}
	if missing > 0 || len(before) < 50 {
		t.Fatalf("%d of the %d events acknowledged before the backup are missing from the restore", missing, len(before))
	}
	if len(have) >= len(acked) {
		t.Errorf("the restore holds %d events, the burst acknowledged %d: the backup was not taken mid-burst", len(have), len(acked))
	}
}

func TestBackupAndRestoreRefusals(t *testing.T) {
	t.Run("PostgreSQL is pointed at pg_dump", func(t *testing.T) {
		for cmd, file := range map[string]string{"backup": "--to", "restore": "--from"} {
			code, out := runCLI(cmd, "--database", "postgres://sextant@db/sextant", file, "x")
			if code != 1 || !strings.Contains(out, "pg_dump") || !strings.Contains(out, "pg_restore") {
				t.Errorf("%s on PostgreSQL: %d %s", cmd, code, out)
			}
		}
	})
	t.Run("a file that is not a database", func(t *testing.T) {
		junk := filepath.Join(t.TempDir(), "junk.db")
		os.WriteFile(junk, bytes.Repeat([]byte("not sqlite "), 1000), 0o600)
		code, out := runCLI("restore", "--data", filepath.Join(t.TempDir(), "d"), "--from", junk)
		if code != 1 || !strings.Contains(out, "not a readable SQLite database") {
			t.Errorf("junk: %d %s", code, out)
		}
	})
	t.Run("a SQLite database that is not Sextant's", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other")
		db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(other), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Writer().ExecContext(context.Background(), `CREATE TABLE t (x INTEGER)`)
		db.Close()
		code, out := runCLI("restore", "--data", filepath.Join(t.TempDir(), "d"), "--from", other)
		if code != 1 || !strings.Contains(out, "not a Sextant database") {
			t.Errorf("other database: %d %s", code, out)
		}
	})
	t.Run("a backup from a newer Sextant", func(t *testing.T) {
		dir := t.TempDir()
		db, err := store.Open(context.Background(), "", dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		db.Writer().ExecContext(context.Background(), `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)`)
		db.Close()
		code, out := runCLI("restore", "--data", filepath.Join(t.TempDir(), "d"), "--from", filepath.Join(dir, store.DatabaseFile))
		if code != 1 || !strings.Contains(out, "migration 99999") {
			t.Errorf("newer backup: %d %s", code, out)
		}
	})
}
