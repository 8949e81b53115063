package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestSIGKILLLosesNoAcceptedEvent runs the real binary, streams events at
// it from many clients, kills it with SIGKILL mid-stream, and restarts it:
// every event answered 202 must be in the store, and the notifications that
// were pending when it died must be sent after the restart.
func TestSIGKILLLosesNoAcceptedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "sextant")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The webhook receiver's port is reserved now but nothing listens on it
	// until after the restart, so every notification of the first run stays
	// pending (connection refused, retried later).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hookAddr := l.Addr().String()
	l.Close()
	cfg := filepath.Join(dir, "sextant.yaml")
	const key = "sigkill-test-routing-key-0123456789"
	err = os.WriteFile(cfg, []byte(fmt.Sprintf(`services:
  - name: shop
integrations:
  - {name: prom, kind: events, key: %q, service: shop, escalation: default}
channels:
  - {name: hook, type: webhook, url: "http://%s/hook", secret: "s3cret-s3cret"}
escalation_policies:
  - {name: default, levels: [{notify: [channel:hook]}]}
`, key, hookAddr)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")

	var logs bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	startServer := func() (*exec.Cmd, string) {
		cmd := exec.Command(bin, "serve", "--config", cfg, "--data", data, "--listen", "127.0.0.1:0", "--log-level", "warn")
		cmd.Env = append(os.Environ(), "SEXTANT_DATABASE=")
		stdout, _ := cmd.StdoutPipe()
		// The first run logs every failed delivery; keep it out of the way
		// unless the test fails.
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		urls := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			re := regexp.MustCompile(`running at (http://\S+)/`)
			for sc.Scan() {
				if m := re.FindStringSubmatch(sc.Text()); m != nil {
					urls <- m[1]
				}
			}
		}()
		select {
		case u := <-urls:
			return cmd, u
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatal("the server did not start")
			return nil, ""
		}
	}

	cmd, base := startServer()
	var mu sync.Mutex
	accepted := map[string]bool{}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				dedup := fmt.Sprintf("w%d-e%d", w, i)
				body, _ := json.Marshal(map[string]any{"routing_key": key, "event_action": "trigger", "dedup_key": dedup,
					"payload": map[string]any{"summary": "load " + dedup, "source": "test", "severity": "critical"}})
				resp, err := client.Post(base+"/v2/enqueue", "application/json", bytes.NewReader(body))
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					mu.Lock()
					accepted[dedup] = true
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	stop()
	wg.Wait()
	if len(accepted) < 50 {
		t.Fatalf("only %d events were accepted before the kill; the test proves nothing", len(accepted))
	}
	t.Logf("%d events answered 202 before SIGKILL", len(accepted))

	// The receiver comes up; the server restarts on the same data.
	var hookMu sync.Mutex
	notified := map[string]bool{}
	hl, err := net.Listen("tcp", hookAddr)
	if err != nil {
		t.Fatalf("the receiver's port was taken meanwhile: %v", err)
	}
	recv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A backlog this size arrives as digests, which carry each
		// notification whole.
		type one struct {
			Incident struct{ Summary string } `json:"incident"`
		}
		var doc struct {
			one
			Notifications []one `json:"notifications"`
		}
		_ = json.NewDecoder(r.Body).Decode(&doc)
		hookMu.Lock()
		if doc.Notifications == nil {
			notified[doc.Incident.Summary] = true
		}
		for _, n := range doc.Notifications {
			notified[n.Incident.Summary] = true
		}
		hookMu.Unlock()
	})}
	go recv.Serve(hl)
	defer recv.Close()
	cmd, _ = startServer()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()

	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "sextant.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := map[string]bool{}
	rows, err := db.Query(`SELECT dedup_key FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		stored[k] = true
	}
	rows.Close()
	lost := 0
	for k := range accepted {
		if !stored[k] {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d events answered 202 are missing after SIGKILL", lost, len(accepted))
	}
	// Every incident's pending notification is delivered after the restart
	// (the first attempts failed; retries come within the backoff).
	var incidents int
	db.QueryRow(`SELECT COUNT(*) FROM incidents`).Scan(&incidents)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var pending int
		db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE status <> 'sent'`).Scan(&pending)
		hookMu.Lock()
		got := len(notified)
		hookMu.Unlock()
		if pending == 0 && got >= incidents {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: %d notifications still not sent, %d of %d incidents notified", pending, got, incidents)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%d incidents, all notified after the restart", incidents)
}
