package probe

import (
	"context"
	"testing"
	"time"
)

// TestICMPLoopback pings 127.0.0.1. Where the system allows neither
// unprivileged nor raw ICMP, the probe must say so in exactly the words
// that tell the operator how to allow it; any other outcome fails.
func TestICMPLoopback(t *testing.T) {
	start := time.Now()
	res := ICMP{Host: "127.0.0.1", Count: 2, Timeout: 3 * time.Second}.Run(context.Background())
	bounded(t, start, 3*time.Second+100*time.Millisecond)
	if res.Values.IP != "127.0.0.1" {
		t.Errorf("IP = %q, want 127.0.0.1", res.Values.IP)
	}
	if res.Err != nil {
		wantReason(t, res, icmpNotAllowed)
		t.Logf("this system allows no ICMP; the probe said so: %q (cause: %v)", res.Err, cause(res))
		return
	}
	if !res.Values.Connected {
		t.Error("not connected after an echo reply")
	}
	if res.Values.ResponseTime <= 0 || res.Values.ResponseTime > time.Second {
		t.Errorf("round trip = %s", res.Values.ResponseTime)
	}
}

func TestICMPFailures(t *testing.T) {
	for _, tc := range []struct {
		name       string
		probe      ICMP
		wantReason string
	}{
		{"no such host", ICMP{Host: "nothing.invalid"}, "no such host nothing.invalid"},
		{"no host", ICMP{}, "no host to ping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.probe.Timeout = 5 * time.Second
			start := time.Now()
			res := tc.probe.Run(context.Background())
			bounded(t, start, 5*time.Second)
			wantReason(t, res, tc.wantReason)
			if res.Values.Connected {
				t.Error("connected after a failure")
			}
		})
	}
}

func TestICMPHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	res := ICMP{Host: "127.0.0.1", Count: 3, Timeout: 5 * time.Second}.Run(ctx)
	bounded(t, start, 200*time.Millisecond)
	if res.Err == nil {
		t.Fatal("a ping with a cancelled context succeeded")
	}
}
