package probe

import (
	"context"
	"net"
	"testing"
	"time"
)

func TestTCP(t *testing.T) {
	open := listen(t, func(net.Conn) {})
	for _, tc := range []struct {
		name          string
		probe         TCP
		wantReason    string
		wantConnected bool
		limit         time.Duration
	}{
		{name: "open port", probe: TCP{Host: "127.0.0.1", Port: open.Port}, wantConnected: true},
		{name: "open port by name", probe: TCP{Host: "localhost", Port: open.Port}, wantConnected: true},
		{name: "refused port", probe: TCP{Host: "127.0.0.1", Port: freePort(t)}, wantReason: "connection refused"},
		{name: "no such host", probe: TCP{Host: "db.invalid", Port: 5432}, wantReason: "no such host db.invalid"},
		{name: "metadata address", probe: TCP{Host: "169.254.169.254", Port: 80},
			wantReason: "refused: cloud metadata address 169.254.169.254", limit: 100 * time.Millisecond},
		{name: "link-local address", probe: TCP{Host: "169.254.10.10", Port: 80},
			wantReason: "refused: link-local address 169.254.10.10 (cloud metadata range)", limit: 100 * time.Millisecond},
		{name: "no port", probe: TCP{Host: "127.0.0.1"}, wantReason: "invalid port 0"},
		{name: "no host", probe: TCP{Port: 80}, wantReason: "no host to connect to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = 5 * time.Second
			}
			tc.probe.Timeout = 5 * time.Second
			start := time.Now()
			res := tc.probe.Run(context.Background())
			bounded(t, start, limit)
			wantReason(t, res, tc.wantReason)
			if res.Values.Connected != tc.wantConnected {
				t.Errorf("connected = %v, want %v", res.Values.Connected, tc.wantConnected)
			}
			if tc.wantConnected && res.Values.IP != "127.0.0.1" && res.Values.IP != "::1" {
				t.Errorf("IP = %q, want loopback", res.Values.IP)
			}
			if res.Values.ResponseTime <= 0 || res.Values.ResponseTime > limit {
				t.Errorf("response time = %s", res.Values.ResponseTime)
			}
		})
	}
}
