package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/probe"
)

// TestAgentObeysItsOutboundPolicy runs an agent against a stand-in server
// that assigns one HTTP check to a target on 127.0.0.1. Under a policy that
// denies loopback the check's result is down with the policy's reason and
// the target is never reached, while the agent's own calls to its server
// (on 127.0.0.1 too) are not judged: the operator chose that address.
func TestAgentObeysItsOutboundPolicy(t *testing.T) {
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer target.Close()
	var (
		mu      sync.Mutex
		results []monitor.Result
	)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/agent/checks":
			fmt.Fprintf(w, `{"items":[{"name":"intranet","service":"shop","type":"http","url":%q,"interval":"1s","timeout":"1s","locations":["branch"]}]}`, target.URL)
		case "/api/v1/agent/results":
			var body struct{ Results []monitor.Result }
			_ = json.NewDecoder(r.Body).Decode(&body)
			mu.Lock()
			results = append(results, body.Results...)
			mu.Unlock()
		default:
			http.NotFound(w, r)
		}
	}))
	defer server.Close()

	loopback, err := probe.ParseRule("loopback")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	agent := &monitor.Agent{Server: server.URL, Token: "t", Location: "branch", Outbound: probe.NewPolicy([]probe.Rule{loopback}, nil, false)}
	go func() { done <- agent.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(results)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("agent: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(results) == 0 {
		t.Fatal("no result pushed")
	}
	const want = "address 127.0.0.1 refused by the outbound policy (deny loopback 127.0.0.0/8)"
	if r := results[0]; r.Outcome.String() != "down" || r.Reason != want || r.Location != "branch" {
		t.Fatalf("result = %+v, want down at branch with %q", r, want)
	}
	if hits.Load() != 0 {
		t.Fatalf("the target was reached %d times", hits.Load())
	}
}

// TestEveryCheckKindIsDownWhenRefused: a check of each probed kind pointed
// at 127.0.0.1, run under a policy that denies loopback, is down with the
// policy's reason, as the scheduler records it.
func TestEveryCheckKindIsDownWhenRefused(t *testing.T) {
	loopback, err := probe.ParseRule("loopback")
	if err != nil {
		t.Fatal(err)
	}
	policy := probe.NewPolicy([]probe.Rule{loopback}, nil, false)
	const want = "address 127.0.0.1 refused by the outbound policy (deny loopback 127.0.0.0/8)"
	for _, c := range []monitor.Check{
		{Type: "http", URL: "http://127.0.0.1:8080/health"},
		{Type: "http", URL: "https://127.0.0.1:8443/health"},
		{Type: "tcp", Host: "127.0.0.1", Port: 5432},
		{Type: "tls", Host: "127.0.0.1", Port: 8443},
		{Type: "dns", Host: "example.com", Resolver: "127.0.0.1:53"},
		{Type: "icmp", Host: "127.0.0.1"},
	} {
		t.Run(c.Type+" "+c.URL+c.Host, func(t *testing.T) {
			c.Name, c.Service, c.Interval, c.Timeout = "c", "s", "5s", "1s"
			check, problems := monitor.Compile(c, nil)
			if problems != nil {
				t.Fatal(problems)
			}
			r := monitor.RunWith(context.Background(), check, "local", policy)
			if r.Outcome != availability.Down || r.Reason != want {
				t.Fatalf("outcome %v, reason %q; want down with %q", r.Outcome, r.Reason, want)
			}
		})
	}
}
