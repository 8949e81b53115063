package monitor_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestRollupsAndRetention rolls raw results into hourly and daily rows and
// deletes raw results past the retention.
func TestRollupsAndRetention(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		day := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
		f := newFixture(t, db, day, "shop")
		f.addCheck(monitor.Check{Name: "web", Service: "shop", Type: "http", URL: "http://shop.test/", Interval: "1m"})
		ctx := context.Background()
		// Hour 00: 100 results with latencies 1..100 ms, 10 failures; hour 01: 4 degraded.
		var rs []monitor.Result
		for i := 1; i <= 100; i++ {
			outcome := availability.Up
			if i%10 == 0 {
				outcome = availability.Down
			}
			rs = append(rs, monitor.Result{Check: "web", Location: "local", At: day.Add(time.Duration(i) * 30 * time.Second / 2), Outcome: outcome, Latency: time.Duration(i) * time.Millisecond})
		}
		for i := 0; i < 4; i++ {
			rs = append(rs, monitor.Result{Check: "web", Location: "local", At: day.Add(time.Hour + time.Duration(i)*time.Minute), Outcome: availability.Degraded, Latency: 7 * time.Millisecond})
		}
		if err := f.mon.Record(ctx, rs); err != nil {
			t.Fatal(err)
		}
		f.clock.set(day.Add(26 * time.Hour))
		f.mon.Housekeep(ctx)
		hours, err := f.mon.Rollups(ctx, "web", "hour", day, day.Add(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(hours) != 2 {
			t.Fatalf("hourly rollups: %+v", hours)
		}
		h0, h1 := hours[0], hours[1]
		if h0.Count != 100 || h0.Failures != 10 || h0.LatencyP50 != 50 || h0.LatencyP95 != 95 || h0.LatencyP99 != 99 || h0.LatencyMax != 100 {
			t.Errorf("hour 00: %+v", h0)
		}
		if h1.Count != 4 || h1.Degraded != 4 || h1.LatencyP99 != 7 {
			t.Errorf("hour 01: %+v", h1)
		}
		days, _ := f.mon.Rollups(ctx, "web", "day", day, day.Add(48*time.Hour))
		if len(days) != 1 || days[0].Count != 104 || days[0].Failures != 10 {
			t.Fatalf("daily rollups: %+v", days)
		}
		// Past the retention (7 days by default), raw results go; rollups stay.
		f.clock.set(day.Add(9 * 24 * time.Hour))
		f.mon.Housekeep(ctx)
		raw, _ := f.mon.Results(ctx, "web", day, day.Add(48*time.Hour), 1000)
		if len(raw) != 0 {
			t.Fatalf("%d raw results kept past the retention", len(raw))
		}
		if again, _ := f.mon.Rollups(ctx, "web", "hour", day, day.Add(48*time.Hour)); len(again) != 2 {
			t.Fatalf("rollups after retention: %+v", again)
		}
	})
}

// TestBadTargets: each gives a failed result with a clear reason, in time.
func TestBadTargets(t *testing.T) {
	refused, _ := net.Listen("tcp", "127.0.0.1:0")
	refusedAddr := refused.Addr().String()
	refused.Close()
	junk, _ := net.Listen("tcp", "127.0.0.1:0")
	defer junk.Close()
	go func() {
		for {
			c, err := junk.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("garbage garbage garbage\r\n\r\n"))
			c.Close()
		}
	}()
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 1<<16))
		for i := 0; i < 160; i++ { // 10 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer big.Close()
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer silent.Close()

	cases := []struct {
		name, url, reason string
	}{
		{"unresolvable host", "http://no-such-host.invalid/", "no such host"},
		{"refused port", "http://" + refusedAddr + "/", "connection refused"},
		{"garbage TLS", "https://" + junk.Addr().String() + "/", "TLS"},
		{"10 MB body", big.URL, "larger than 1 MiB"},
		{"never answers", silent.URL, "timed out"},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/", "metadata"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check, problems := monitor.Compile(monitor.Check{Name: "bad", Service: "s", Type: "http", URL: c.url, Interval: "5s", Timeout: "1s"}, nil)
			if problems != nil {
				t.Fatal(problems)
			}
			start := time.Now()
			r := monitor.Run(context.Background(), check, "local")
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %v with a 1 s timeout", took)
			}
			if r.Outcome != availability.Down || !strings.Contains(r.Reason, c.reason) {
				t.Fatalf("outcome %v, reason %q; want down with %q", r.Outcome, r.Reason, c.reason)
			}
		})
	}
}
