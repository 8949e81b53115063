package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func (s *server) json(method, path, body string, out any) int {
	s.t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func waitUntil(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out after %v waiting for %s", limit, what)
}

// TestFailingTargetTurnsServiceDown runs a real check from the config file
// against a target that starts failing, and back.
func TestFailingTargetTurnsServiceDown(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			var failing atomic.Bool
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failing.Load() {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}))
			defer target.Close()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "sextant.yaml")
			err := os.WriteFile(cfg, []byte(fmt.Sprintf(`services:
  - name: payroll
    objective: {availability: 99.9%%}
checks:
  - name: payroll-web
    service: payroll
    type: http
    url: %s/health
    interval: 1s
    timeout: 1s
    conditions: ["[STATUS] == 200"]
    fail_after: 2
    recover_after: 2
`, target.URL)), 0o600)
			if err != nil {
				t.Fatal(err)
			}
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			state := func() string {
				var st monitor.Status
				s.json("GET", "/api/v1/checks/payroll-web", "", &st)
				return st.State.String()
			}
			waitUntil(t, "the check to come up", 5*time.Second, func() bool { return state() == "up" })
			failStart := time.Now()
			failing.Store(true)
			waitUntil(t, "the check to go down", 6*time.Second, func() bool { return state() == "down" })
			var st monitor.Status
			s.json("GET", "/api/v1/checks/payroll-web", "", &st)
			if !strings.Contains(st.Reason, "[STATUS] (503) == 200") {
				t.Errorf("reason %q", st.Reason)
			}
			time.Sleep(2 * time.Second)
			failing.Store(false)
			failEnd := time.Now()
			waitUntil(t, "the check to recover", 6*time.Second, func() bool { return state() == "up" })

			var rep struct {
				Downtime float64 `json:"downtime_seconds"`
				Outages  int     `json:"outages"`
			}
			from := failStart.Add(-time.Minute).UTC().Format(time.RFC3339)
			to := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
			s.json("GET", "/api/v1/services/payroll/report?from="+from+"&to="+to, "", &rep)
			actual := failEnd.Sub(failStart).Seconds()
			if rep.Outages != 1 || rep.Downtime < actual-1.5 || rep.Downtime > actual+1.5 {
				t.Fatalf("report: %d outages, %v s down; the target failed for %.1f s (allowed: ±1 interval plus slack)", rep.Outages, rep.Downtime, actual)
			}
		})
	}
}

// TestAgentsAndQuorum: results pushed by two agents through the API, with
// quorum 2; then a real agent process loop runs a check end to end.
func TestAgentsAndQuorum(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			defer target.Close()
			s := start(t, e, app.Options{})
			ctx := context.Background()
			// Each location's agent has a token of its own, bound to it.
			agentTokens := map[string]string{}
			for _, loc := range []string{"berlin", "paris", "tokyo"} {
				secret, _, err := s.app.Auth().IssueToken(ctx, "test", auth.NewToken{Name: "agent-" + loc, Role: auth.Agent, Location: loc})
				if err != nil {
					t.Fatal(err)
				}
				agentTokens[loc] = secret
			}
			if code := s.json("POST", "/api/v1/services", `{"name":"shop","objective":{"availability":"99%"}}`, nil); code != 201 {
				t.Fatalf("service: %d", code)
			}
			body := fmt.Sprintf(`{"name":"shop-web","service":"shop","type":"http","url":%q,"interval":"30s","locations":["berlin","paris"],"quorum":2}`, target.URL)
			if code := s.json("POST", "/api/v1/checks", body, nil); code != 201 {
				t.Fatalf("check: %d", code)
			}
			push := func(loc, outcome string) int {
				req, _ := http.NewRequest("POST", s.base+"/api/v1/agent/results", strings.NewReader(fmt.Sprintf(
					`{"location":%q,"results":[{"check":"shop-web","at":%q,"outcome":%q,"latency_ns":1000000,"reason":"test"}]}`,
					loc, time.Now().UTC().Format(time.RFC3339Nano), outcome)))
				req.Header.Set("Authorization", "Bearer "+agentTokens[loc])
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			state := func() string {
				var st monitor.Status
				s.json("GET", "/api/v1/checks/shop-web", "", &st)
				return st.State.String()
			}
			if code := push("berlin", "up"); code != 202 {
				t.Fatalf("push: %d", code)
			}
			push("paris", "up")
			push("berlin", "down")
			if got := state(); got != "up" {
				t.Fatalf("one of two agents failing with quorum 2: %s", got)
			}
			push("paris", "down")
			if got := state(); got != "down" {
				t.Fatalf("both agents failing: %s", got)
			}
			// Only agents push results, not even admins.
			req, _ := http.NewRequest("POST", s.base+"/api/v1/agent/results", strings.NewReader(`{"location":"berlin","results":[]}`))
			req.Header.Set("Authorization", "Bearer "+s.token)
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode != 403 {
					t.Fatalf("admin push: %d, want 403", resp.StatusCode)
				}
			}

			// A real agent loop for a check of its own location.
			body = fmt.Sprintf(`{"name":"shop-api","service":"shop","type":"http","url":%q,"interval":"1s","locations":["tokyo"]}`, target.URL)
			if code := s.json("POST", "/api/v1/checks", body, nil); code != 201 {
				t.Fatalf("check: %d", code)
			}
			actx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() {
				done <- (&monitor.Agent{Server: s.base, Token: agentTokens["tokyo"], Location: "tokyo", Refresh: time.Second}).Run(actx)
			}()
			waitUntil(t, "the agent's results", 8*time.Second, func() bool {
				var st monitor.Status
				s.json("GET", "/api/v1/checks/shop-api", "", &st)
				return st.State.String() == "up" && st.Locations["tokyo"].Successes >= 2
			})
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("agent: %v", err)
			}
			// An agent with a bad token stops at once with the reason.
			err := (&monitor.Agent{Server: s.base, Token: "sxt_wrong", Location: "tokyo"}).Run(ctx)
			if err == nil || !strings.Contains(err.Error(), "401") {
				t.Fatalf("agent with a bad token: %v", err)
			}
			// So does one started for another location than its token's.
			err = (&monitor.Agent{Server: s.base, Token: agentTokens["paris"], Location: "tokyo"}).Run(ctx)
			if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), `bound to location \"paris\"`) {
				t.Fatalf("agent for the wrong location: %v", err)
			}
		})
	}
}

// TestHeartbeatOverHTTP pings the URL the API hands out.
func TestHeartbeatOverHTTP(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e, app.Options{})
			s.json("POST", "/api/v1/services", `{"name":"backups"}`, nil)
			var st monitor.Status
			if code := s.json("POST", "/api/v1/checks", `{"name":"nightly","service":"backups","type":"heartbeat","period":"24h","grace":"1h"}`, &st); code != 201 {
				t.Fatalf("create: %d", code)
			}
			if !strings.HasPrefix(st.PingURL, s.base+"/api/v1/heartbeats/") {
				t.Fatalf("ping URL %q", st.PingURL)
			}
			for _, c := range []struct {
				method, suffix, want string
			}{{"GET", "", "up"}, {"POST", "/start", "up"}, {"POST", "/fail", "down"}, {"POST", "", "up"}} {
				req, _ := http.NewRequest(c.method, st.PingURL+c.suffix, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var ans struct{ State string }
				_ = json.NewDecoder(resp.Body).Decode(&ans)
				resp.Body.Close()
				if resp.StatusCode != 200 || ans.State != c.want {
					t.Fatalf("%s %s: %d %q, want %q", c.method, c.suffix, resp.StatusCode, ans.State, c.want)
				}
			}
			for _, bad := range []string{"/api/v1/heartbeats/not-a-token", st.PingURL[len(s.base):] + "/explode"} {
				if code, _ := s.do("POST", bad, false); code != 404 {
					t.Fatalf("POST %s: %d", bad, code)
				}
			}
		})
	}
}
