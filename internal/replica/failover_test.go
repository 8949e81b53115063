package replica_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// The failover test's shape: 300 checks every 5 s on three replicas, ten of
// them failing (each opens one incident, notified once), and an event flood
// through all three.
const (
	foChecks   = 300
	foFailing  = 10
	foInterval = 5 * time.Second
	foKey      = "flood-routing-key-0123456789"
	foIncident = 20 // the flood's dedup keys
)

// hits counts each check's runs at the target, by arrival time.
type hits struct {
	mu  sync.Mutex
	per map[string][]time.Time
}

func (h *hits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := filepath.Base(r.URL.Path)
	h.mu.Lock()
	h.per[name] = append(h.per[name], time.Now())
	h.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/fail/") {
		w.WriteHeader(http.StatusInternalServerError)
	}
}

func (h *hits) snapshot() map[string][]time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]time.Time{}
	for k, v := range h.per {
		out[k] = slices.Clone(v)
	}
	return out
}

// receiver counts notifications by incident and event.
type receiver struct {
	mu  sync.Mutex
	got map[string]int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Event    string `json:"event"`
		Incident struct {
			ID int64 `json:"id"`
		} `json:"incident"`
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.got[fmt.Sprintf("%s:%d", p.Event, p.Incident.ID)]++
	rc.mu.Unlock()
}

// proc is one `sextant serve` process.
type proc struct {
	id   string
	cmd  *exec.Cmd
	base string
	log  *bytes.Buffer
}

var runningAt = regexp.MustCompile(`running at (http://\S+)/`)

func startReplica(t *testing.T, bin, dsn, cfg, id string) *proc {
	t.Helper()
	p := &proc{id: id, log: &bytes.Buffer{}}
	p.cmd = exec.Command(bin, "serve", "--config", cfg, "--database", dsn, "--data", t.TempDir(), "--listen", "127.0.0.1:0",
		"--replica-id", id, "--replica-heartbeat", "1s", "--log-level", "warn")
	p.cmd.Env = append(os.Environ(), "ROUTING_KEY="+foKey)
	p.cmd.Stderr = p.log
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		if t.Failed() {
			t.Logf("%s log:\n%s", id, p.log.String())
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := runningAt.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case p.base = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start:\n%s", id, p.log.String())
	}
	return p
}

// flood posts events through one replica until stop, counting each one
// the replica acknowledged (202) by its sequence name.
func flood(p *proc, stop <-chan struct{}, acked *sync.Map, sent *atomic.Int64) {
	client := &http.Client{Timeout: 5 * time.Second}
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		seq := fmt.Sprintf("%s-%d", p.id, n)
		body := fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":"flood-%d","payload":{"summary":"flood %d","source":"bench","severity":"error","custom_details":{"seq":%q}}}`,
			foKey, n%foIncident, n%foIncident, seq)
		resp, err := client.Post(p.base+"/v2/enqueue", "application/json", strings.NewReader(body))
		if err != nil {
			time.Sleep(50 * time.Millisecond) // the replica is gone
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusAccepted {
			acked.Store(seq, true)
			sent.Add(1)
		}
	}
}

// checkStates is the checks' states as one replica's API shows them.
func checkStates(t *testing.T, base, token string) map[string]string {
	t.Helper()
	out := map[string]string{}
	cursor := ""
	for {
		req, _ := http.NewRequest("GET", base+"/api/v1/checks?limit=1000&cursor="+cursor, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items []struct {
				Name  string `json:"name"`
				State string `json:"state"`
			} `json:"items"`
			Next *string `json:"next"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			out[it.Name] = it.State
		}
		if page.Next == nil {
			return out
		}
		cursor = *page.Next
	}
}

// TestFailoverWithRealProcesses starts three `sextant serve` on one
// PostgreSQL schema, kills one with SIGKILL, and checks what the product
// promises: its checks run on within two intervals, no check runs twice in
// an interval, no notification is sent twice, no acknowledged event is
// lost, and the survivors' dashboards agree.
func TestFailoverWithRealProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers for about a minute")
	}
	dsn := storetest.PostgresDSN(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "sextant")
	build := exec.Command("go", "build", "-o", bin, "github.com/sextant-ops/sextant/cmd/sextant")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	target := &hits{per: map[string][]time.Time{}}
	ts := httptest.NewServer(target)
	defer ts.Close()
	recv := &receiver{got: map[string]int{}}
	hook := httptest.NewServer(recv)
	defer hook.Close()

	var cfg strings.Builder
	fmt.Fprintf(&cfg, `services:
  - name: fleet
    objective: {availability: 99.9%%}
integrations:
  - {name: flood, kind: events, key: "${ROUTING_KEY}", service: fleet, escalation: default}
channels:
  - {name: hook, type: webhook, url: "%s/hook", secret: "hook-secret-hook-secret", digest_after: 100000}
escalation_policies:
  - name: default
    levels:
      - {delay: 0m, notify: [channel:hook]}
checks:
`, hook.URL)
	for i := range foChecks {
		path := fmt.Sprintf("ok/c%03d", i)
		if i < foFailing {
			path = fmt.Sprintf("fail/c%03d", i)
		}
		fmt.Fprintf(&cfg, "  - {name: c%03d, service: fleet, type: http, url: \"%s/%s\", interval: %s, timeout: 2s, conditions: [\"[STATUS] == 200\"]}\n",
			i, ts.URL, path, foInterval)
	}
	cfgPath := filepath.Join(dir, "sextant.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// The schema is migrated once, as `sextant migrate` does before a
	// rollout, and an API token made for the test.
	db := storetest.OpenAt(t, dsn)
	token, _, err := auth.NewService(db, time.Now).CreateToken(context.Background(), "test", "failover", auth.Admin)
	if err != nil {
		t.Fatal(err)
	}

	// The first replica applies the file; the others join it.
	procs := []*proc{startReplica(t, bin, dsn, cfgPath, "r1")}
	procs = append(procs, startReplica(t, bin, dsn, cfgPath, "r2"), startReplica(t, bin, dsn, cfgPath, "r3"))
	stopFlood := make(chan struct{})
	var acked sync.Map
	var sent atomic.Int64
	var floods sync.WaitGroup
	for _, p := range procs {
		floods.Add(1)
		go func() { defer floods.Done(); flood(p, stopFlood, &acked, &sent) }()
	}
	// Three intervals for every replica to have joined and its share to
	// have settled, then the victim's checks are read from the claims.
	time.Sleep(3 * foInterval)
	victim := procs[1]
	rows, err := db.Reader().QueryContext(context.Background(), `SELECT check_name FROM check_claims WHERE replica = $1`, victim.id)
	if err != nil {
		t.Fatal(err)
	}
	var owned []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		owned = append(owned, name)
	}
	rows.Close()
	if len(owned) < foChecks/6 {
		t.Fatalf("%s ran %d of %d checks before the kill, want about a third", victim.id, len(owned), foChecks)
	}
	killed := time.Now()
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * foInterval)
	close(stopFlood)
	floods.Wait()
	survivors := []*proc{procs[0], procs[2]}

	runs := target.snapshot()
	// Every check ran after the kill; the victim's within two intervals of
	// their last run before it: at most one of its due instants missed.
	var movedAfter, worstGap time.Duration
	worstSkip := int64(0)
	for _, name := range owned {
		times := runs[name]
		i, _ := slices.BinarySearchFunc(times, killed, func(a, b time.Time) int { return a.Compare(b) })
		if i >= len(times) {
			t.Fatalf("%s (run by %s) never ran after the kill", name, victim.id)
		}
		movedAfter = max(movedAfter, times[i].Sub(killed))
		if i > 0 {
			worstGap = max(worstGap, times[i].Sub(times[i-1]))
			worstSkip = max(worstSkip, instant(name, times[i])-instant(name, times[i-1]))
		}
	}
	if worstSkip > 2 {
		t.Errorf("a moved check's runs across the kill were %d intervals apart, want at most two (longest gap %s)", worstSkip, worstGap)
	}
	// No due instant of any check ran twice. A run is counted at the
	// instant it was due: the last one at or before its arrival (a run
	// late on a busy machine still belongs to its own instant).
	duplicates, total := 0, 0
	for name, times := range runs {
		total += len(times)
		seen := map[int64]time.Time{}
		for _, at := range times {
			k := instant(name, at)
			if prev, ok := seen[k]; ok {
				duplicates++
				t.Errorf("%s ran twice for one due instant: %s and %s", name, prev.Format("15:04:05.000"), at.Format("15:04:05.000"))
			}
			seen[k] = at
		}
	}
	if len(runs) != foChecks {
		t.Errorf("%d checks ran, want %d", len(runs), foChecks)
	}

	// Every acknowledged event is stored.
	stored := map[string]bool{}
	rows, err = db.Reader().QueryContext(context.Background(), `SELECT body FROM events WHERE integration = 'flood'`)
	if err != nil {
		t.Fatal(err)
	}
	seqRe := regexp.MustCompile(`"seq":\s*"([^"]+)"`)
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			t.Fatal(err)
		}
		if m := seqRe.FindStringSubmatch(body); m != nil {
			stored[m[1]] = true
		}
	}
	rows.Close()
	lost := 0
	acked.Range(func(k, _ any) bool {
		if !stored[k.(string)] {
			lost++
		}
		return true
	})
	if lost > 0 {
		t.Errorf("%d of %d acknowledged events are not stored", lost, sent.Load())
	}

	// Each incident was notified once: the failing checks' and the flood's.
	waitFor(t, "the incidents' notifications", 20*time.Second, func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return len(recv.got) >= foFailing+foIncident
	})
	recv.mu.Lock()
	twice := 0
	for k, n := range recv.got {
		if n > 1 {
			twice++
			t.Errorf("notification %s sent %d times", k, n)
		}
	}
	notified := len(recv.got)
	recv.mu.Unlock()
	if notified != foFailing+foIncident {
		t.Errorf("%d notifications, want %d (one per incident)", notified, foFailing+foIncident)
	}

	// The survivors' dashboards agree (each reads the others' state every
	// second).
	var a, b map[string]string
	waitFor(t, "the survivors to agree", 10*time.Second, func() bool {
		a, b = checkStates(t, survivors[0].base, token), checkStates(t, survivors[1].base, token)
		return len(a) == foChecks && fmt.Sprint(a) == fmt.Sprint(b)
	})
	down := 0
	for _, s := range a {
		if s == "down" {
			down++
		}
	}
	if down != foFailing {
		t.Errorf("%d checks down through the survivors, want %d", down, foFailing)
	}
	t.Logf("failover: %d checks on 3 replicas every %s; %s ran %d; after SIGKILL its checks ran again after at most %.1f s (longest gap between runs %.1f s, %d intervals, limit 2); "+
		"%d runs, duplicates in one interval %d; %d events acknowledged, lost %d; %d notifications, sent twice %d; survivors agree on %d checks (%d down)",
		foChecks, foInterval, victim.id, len(owned), movedAfter.Seconds(), worstGap.Seconds(), worstSkip,
		total, duplicates, sent.Load(), lost, notified, twice, len(a), down)
}

// instant numbers the due instant of a check's run arriving at: checks are
// due at a fixed phase within their interval, from their name (as the
// monitor's scheduler places them: FNV-1a of the name modulo the interval).
func instant(name string, at time.Time) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	phase := int64(h.Sum64() % uint64(foInterval))
	return (at.UnixNano() - phase) / int64(foInterval)
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out after %v waiting for %s", limit, what)
}
