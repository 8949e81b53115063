package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestOutboxTruthAndMetrics runs a receiver outage through the whole
// server: the incident resolves while the webhook is down, so the webhook
// gets one resolved message and never the trigger, and /metrics shows the
// backlog, the failures, the delivery latency and the open incidents.
func TestOutboxTruthAndMetrics(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := &hook{t: t}
			var up atomic.Bool
			var refused atomic.Int32
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !up.Load() {
					refused.Add(1)
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				h.ServeHTTP(w, r)
			}))
			defer recv.Close()
			var deadHits atomic.Int32
			dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				deadHits.Add(1)
				w.WriteHeader(http.StatusBadRequest)
			}))
			defer dead.Close()
			slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
			defer slow.Close()

			dir := t.TempDir()
			cfg := incidentConfig(t, dir, recv.URL, "")
			b, _ := os.ReadFile(cfg)
			body := strings.Replace(string(b), `channels:
`, fmt.Sprintf(`channels:
  - {name: dead-hook, type: webhook, url: "%s/x"}
  - {name: slow-hook, type: webhook, url: "%s/x", rate_limit: 30/m}
`, dead.URL, slow.URL), 1)
			body = strings.Replace(body, "notify: [channel:ops-hook]", "notify: [channel:ops-hook, channel:dead-hook, channel:slow-hook]", 1)
			if err := os.WriteFile(filepath.Join(dir, "sextant.yaml"), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			event := func(action, key, summary, severity string) {
				t.Helper()
				ev := fmt.Sprintf(`{"routing_key":%q,"event_action":%q,"dedup_key":%q,"payload":{"summary":%q,"source":"db1","severity":%q}}`,
					routingKey, action, key, summary, severity)
				resp, err := http.Post(s.base+"/v2/enqueue", "application/json", strings.NewReader(ev))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					t.Fatalf("%s %s: %d", action, key, resp.StatusCode)
				}
			}

			event("trigger", "disk", "disk full", "critical")
			// Both refusals are under way or recorded (a row being sent is
			// claimed, so the resolution cannot supersede it).
			waitUntil(t, "the webhooks refused the trigger", 10*time.Second, func() bool { return refused.Load() == 1 && deadHits.Load() == 1 })
			up.Store(true)
			event("resolve", "disk", "", "critical")
			waitUntil(t, "the resolved message", 10*time.Second, func() bool { return len(h.events()) >= 1 })
			event("trigger", "queue", "queue slow", "error")
			waitUntil(t, "the second trigger", 10*time.Second, func() bool { return len(h.events()) >= 2 })
			if got := strings.Join(h.events(), ","); got != "resolved:disk full,triggered:queue slow" || h.bad.Load() != 0 {
				t.Fatalf("webhook got %s (%d badly signed)", got, h.bad.Load())
			}
			var detail struct {
				Deliveries []struct{ Channel, Kind, Status, Note string }
			}
			var list struct{ Items []struct{ ID int64 } }
			s.json("GET", "/api/v1/incidents?dedup_key=disk", "", &list)
			s.json("GET", fmt.Sprintf("/api/v1/incidents/%d", list.Items[0].ID), "", &detail)
			var hook []string
			for _, d := range detail.Deliveries {
				if d.Channel == "ops-hook" {
					hook = append(hook, strings.TrimSpace(d.Kind+" "+d.Status+" "+d.Note))
				}
			}
			if got := strings.Join(hook, "; "); got != "triggered superseded superseded by resolved; resolved sent" {
				t.Fatalf("ops-hook deliveries: %s", got)
			}

			// dead-hook refused both notifications of "disk" and the trigger
			// of "queue" for good; slow-hook keeps the last of each
			// incident pending (the trigger of "disk" was superseded).
			want := []string{
				`sextant_outbox_failed{channel="dead-hook"} 3`,
				`sextant_outbox_pending{channel="slow-hook"} 2`,
				`sextant_notification_failures_total{channel="dead-hook"} 3`,
				`sextant_notification_failures_total{channel="ops-hook"} 1`,
				`sextant_notification_delivery_seconds_count{channel="ops-hook"} 2`,
				`sextant_incidents_open{service="payroll",severity="error"} 1`,
			}
			var metrics string
			waitUntil(t, "the metrics", 10*time.Second, func() bool {
				_, metrics = s.do("GET", "/metrics", true)
				for _, w := range want {
					if !strings.Contains(metrics, w+"\n") {
						return false
					}
				}
				return true
			})
			if regexp.MustCompile(`sextant_incidents_open\{service="payroll",severity="critical"\}`).MatchString(metrics) {
				t.Error("the resolved incident is still counted as open")
			}
			if !regexp.MustCompile(`sextant_notification_failures_total\{channel="slow-hook"\} [1-9]`).MatchString(metrics) {
				t.Error("slow-hook's failures are not counted")
			}
		})
	}
}
