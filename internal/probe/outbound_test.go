package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// prober runs one probe under an outbound policy.
type prober func(*Policy) Result

// TestEveryProbeObeysThePolicy points each kind of probe at a target on
// 127.0.0.1 that answers, first under the default policy (it works, which
// shows the target is real) and then under one that denies loopback: the
// probe fails with the policy's reason and nothing reaches the target.
func TestEveryProbeObeysThePolicy(t *testing.T) {
	var hits atomic.Int64
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("internal secret"))
	}))
	t.Cleanup(web.Close)
	tlsSrv := tlsServer(t, nil)
	tcp := listen(t, func(net.Conn) { hits.Add(1) })
	resolver := dnsServer(t)

	const denied = "address 127.0.0.1 refused by the outbound policy (deny loopback 127.0.0.0/8)"
	policy := NewPolicy(rules(t, "loopback"), nil, false)
	for _, tc := range []struct {
		name string
		run  prober
		// icmp: the default run may fail where the system allows no ping.
		icmp bool
	}{
		{name: "http", run: func(p *Policy) Result {
			return HTTP{URL: web.URL + "/status", Timeout: 2 * time.Second, Outbound: p}.Run(context.Background())
		}},
		{name: "https", run: func(p *Policy) Result {
			return HTTP{URL: tlsSrv.URL, InsecureSkipTLS: true, Timeout: 2 * time.Second, Outbound: p}.Run(context.Background())
		}},
		{name: "tcp", run: func(p *Policy) Result {
			return TCP{Host: "127.0.0.1", Port: tcp.Port, Timeout: 2 * time.Second, Outbound: p}.Run(context.Background())
		}},
		{name: "tls", run: func(p *Policy) Result {
			return TLS{Host: "127.0.0.1", Port: port(tlsSrv), InsecureSkipVerify: true, Timeout: 2 * time.Second, Outbound: p}.Run(context.Background())
		}},
		{name: "dns", run: func(p *Policy) Result {
			return DNS{Host: "a.test", Resolver: resolver, Timeout: 2 * time.Second, Outbound: p}.Run(context.Background())
		}},
		{name: "icmp", icmp: true, run: func(p *Policy) Result {
			return ICMP{Host: "127.0.0.1", Timeout: 2 * time.Second, Outbound: p}.Run(context.Background())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := tc.run(nil); !tc.icmp || reason(res) != icmpNotAllowed {
				wantOK(t, res)
			}
			before := hits.Load()
			start := time.Now()
			res := tc.run(policy)
			bounded(t, start, 500*time.Millisecond)
			wantReason(t, res, denied)
			if res.Values.Connected || len(res.Values.Body) > 0 {
				t.Fatalf("connected = %v, body = %q: the target was reached", res.Values.Connected, res.Values.Body)
			}
			if n := hits.Load() - before; n != 0 {
				t.Fatalf("the target saw %d requests under the policy", n)
			}
		})
	}
	t.Run("http redirect to a denied address", func(t *testing.T) {
		to := "http://" + net.JoinHostPort("127.0.0.2", strconv.Itoa(port(web))) + "/private"
		redirect := httptest.NewServer(http.RedirectHandler(to, http.StatusFound))
		t.Cleanup(redirect.Close)
		res := HTTP{URL: redirect.URL, FollowRedirects: true, Timeout: 2 * time.Second,
			Outbound: NewPolicy(rules(t, "127.0.0.2"), nil, false)}.Run(context.Background())
		wantReason(t, res, "address 127.0.0.2 refused by the outbound policy (deny 127.0.0.2)")
		if len(res.Values.Body) > 0 {
			t.Fatalf("body read back: %q", res.Values.Body)
		}
	})
	t.Run("the system resolver is not judged", func(t *testing.T) {
		// The administrator chose it; a policy for checks must not stop
		// DNS checks that use it. This policy would refuse any resolver
		// at all; whatever the system's says, it is not the policy.
		only := NewPolicy(nil, rules(t, "192.0.2.1"), false)
		res := DNS{Host: "localhost", Timeout: time.Second, Outbound: only}.Run(context.Background())
		if r := reason(res); strings.Contains(r, "outbound policy") {
			t.Fatalf("the system resolver was judged by the policy: %q", r)
		}
	})
}
