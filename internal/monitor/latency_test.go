package monitor_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/monitor"
)

// TestFailedProbeRecordsNoLatency: a probe that could not connect or got
// no answer records no latency (the time it took to fail is none); one
// that got an answer, even a failing one, records its latency.
func TestFailedProbeRecordsNoLatency(t *testing.T) {
	answering := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer answering.Close()
	// A port nothing listens on: taken, then freed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	tests := []struct {
		name        string
		check       monitor.Check
		wantLatency bool
	}{
		{"connection refused (http)", monitor.Check{Type: "http", URL: "http://127.0.0.1:" + strconv.Itoa(closed) + "/"}, false},
		{"connection refused (tcp)", monitor.Check{Type: "tcp", Host: "127.0.0.1", Port: closed}, false},
		{"an answer that fails the conditions", monitor.Check{Type: "http", URL: answering.URL}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check.Name, tt.check.Service, tt.check.Interval, tt.check.Timeout = "probe", "shop", "30s", "2s"
			c, problems := monitor.Compile(tt.check, nil)
			if len(problems) > 0 {
				t.Fatalf("compile: %v", problems)
			}
			r := monitor.Run(context.Background(), c, monitor.LocationLocal)
			if r.Outcome != availability.Down {
				t.Fatalf("outcome %v (%s), want down", r.Outcome, r.Reason)
			}
			if got := r.Latency > 0; got != tt.wantLatency {
				t.Fatalf("latency %v (%s); want one: %v", r.Latency, r.Reason, tt.wantLatency)
			}
		})
	}
}
