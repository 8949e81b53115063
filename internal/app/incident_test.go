package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

const (
	routingKey = "R0123456789abcdefR0123456789abcd"
	amKey      = "am-bearer-token-0123456789"
	hookSecret = "webhook-signing-secret-42"
)

// hook is a webhook receiver that checks signatures.
type hook struct {
	t        *testing.T
	mu       sync.Mutex
	received []map[string]any
	bad      atomic.Int32
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts := r.Header.Get("X-Sextant-Timestamp")
	m := hmac.New(sha256.New, []byte(hookSecret))
	m.Write([]byte(ts + "." + string(body)))
	if r.Header.Get("X-Sextant-Signature") != "sha256="+hex.EncodeToString(m.Sum(nil)) {
		h.bad.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var doc map[string]any
	_ = json.Unmarshal(body, &doc)
	h.mu.Lock()
	h.received = append(h.received, doc)
	h.mu.Unlock()
}

func (h *hook) events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, d := range h.received {
		inc, _ := d["incident"].(map[string]any)
		out = append(out, fmt.Sprintf("%v:%v", d["event"], inc["summary"]))
	}
	return out
}

func incidentConfig(t *testing.T, dir, hookURL, extra string) string {
	t.Helper()
	cfg := filepath.Join(dir, "sextant.yaml")
	t.Setenv("ROUTING_KEY", routingKey)
	t.Setenv("AM_KEY", amKey)
	t.Setenv("HOOK_SECRET", hookSecret)
	body := fmt.Sprintf(`services:
  - name: payroll
    objective: {availability: 99.9%%}
  - name: shop
    objective: {availability: 99.9%%}
integrations:
  - {name: prometheus, kind: events, key: "${ROUTING_KEY}", service: payroll, escalation: default}
  - {name: am, kind: alertmanager, key: "${AM_KEY}", service: payroll, service_label: service, escalation: default}
channels:
  - {name: ops-hook, type: webhook, url: "%s/hook", secret: "${HOOK_SECRET}"}
escalation_policies:
  - name: default
    levels:
      - {delay: 0m, notify: [channel:ops-hook]}
%s`, hookURL, extra)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestPagerDutyClientLibrary drives incidents with the unmodified official
// Go client, pointed at Sextant by its endpoint option only.
func TestPagerDutyClientLibrary(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := &hook{t: t}
			recv := httptest.NewServer(h)
			defer recv.Close()
			dir := t.TempDir()
			s := start(t, e, app.Options{ConfigPath: incidentConfig(t, dir, recv.URL, ""), DataDir: dir})
			ctx := context.Background()
			client := pagerduty.NewClient("unused-api-token", pagerduty.WithV2EventsAPIEndpoint(s.base))
			resp, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: routingKey, Action: "trigger",
				Payload: &pagerduty.V2Payload{Summary: "disk full on db1", Source: "db1", Severity: "critical", Component: "postgres",
					Details: map[string]any{"free": "0%"}}})
			if err != nil || resp.Status != "success" || resp.DedupKey == "" {
				t.Fatalf("trigger: %+v %v", resp, err)
			}
			key := resp.DedupKey
			// Repeated: the same incident.
			resp2, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: routingKey, Action: "trigger", DedupKey: key,
				Payload: &pagerduty.V2Payload{Summary: "disk full on db1", Source: "db1", Severity: "critical"}})
			if err != nil || resp2.DedupKey != key {
				t.Fatalf("repeat: %+v %v", resp2, err)
			}
			var list struct{ Items []incident.Incident }
			s.json("GET", "/api/v1/incidents?dedup_key="+key, "", &list)
			if len(list.Items) != 1 || list.Items[0].Status != "triggered" || list.Items[0].EventCount != 2 || list.Items[0].Service != "payroll" {
				t.Fatalf("incidents: %+v", list.Items)
			}
			// Each step waits for its notification: one still pending when
			// the next step commits would be superseded by it.
			waitUntil(t, "the trigger's notification", 10*time.Second, func() bool { return len(h.events()) >= 1 })
			if _, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: routingKey, Action: "acknowledge", DedupKey: key}); err != nil {
				t.Fatal(err)
			}
			s.json("GET", "/api/v1/incidents?dedup_key="+key, "", &list)
			if list.Items[0].Status != "acknowledged" {
				t.Fatalf("after acknowledge: %+v", list.Items[0])
			}
			waitUntil(t, "the acknowledgement's notification", 10*time.Second, func() bool { return len(h.events()) >= 2 })
			if _, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: routingKey, Action: "resolve", DedupKey: key}); err != nil {
				t.Fatal(err)
			}
			s.json("GET", "/api/v1/incidents?dedup_key="+key, "", &list)
			if list.Items[0].Status != "resolved" {
				t.Fatalf("after resolve: %+v", list.Items[0])
			}
			// The client sees PagerDuty's error answers for bad events.
			_, err = client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: routingKey, Action: "trigger", Payload: &pagerduty.V2Payload{Summary: "x", Source: "y", Severity: "loud"}})
			if err == nil || !strings.Contains(err.Error(), "400") {
				t.Fatalf("bad severity: %v", err)
			}
			_, err = client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: "wrong-key-wrong-key", Action: "trigger", Payload: &pagerduty.V2Payload{Summary: "x", Source: "y", Severity: "info"}})
			if err == nil {
				t.Fatal("an unknown routing key was accepted")
			}
			// Each lifecycle step notified the webhook, signed.
			waitUntil(t, "three notifications", 10*time.Second, func() bool { return len(h.events()) >= 3 })
			if got := strings.Join(h.events(), ","); got != "triggered:disk full on db1,acknowledged:disk full on db1,resolved:disk full on db1" || h.bad.Load() != 0 {
				t.Fatalf("webhook got %s (%d badly signed)", got, h.bad.Load())
			}
		})
	}
}

// TestAlertmanagerWebhook posts the body Alertmanager sends (version 4).
func TestAlertmanagerWebhook(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			recv := httptest.NewServer(&hook{t: t})
			defer recv.Close()
			dir := t.TempDir()
			s := start(t, e, app.Options{ConfigPath: incidentConfig(t, dir, recv.URL, ""), DataDir: dir})
			post := func(status, token string) int {
				body := `{"version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","truncatedAlerts":0,"status":"` + status + `","receiver":"sextant",
"groupLabels":{"alertname":"HighLatency"},"commonLabels":{"alertname":"HighLatency"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093",
"alerts":[{"status":"` + status + `","labels":{"alertname":"HighLatency","service":"shop","severity":"warning","instance":"web1:9100"},
"annotations":{"summary":"p99 latency above 2s"},"startsAt":"2026-11-21T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
"generatorURL":"http://prometheus:9090/graph","fingerprint":"a1b2c3d4e5f60708"},
{"status":"` + status + `","labels":{"alertname":"HighLatency","severity":"critical"},
"annotations":{"description":"p99 latency above 5s"},"startsAt":"2026-11-21T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
"generatorURL":"http://prometheus:9090/graph","fingerprint":"ffff000011112222"}]}`
				req, _ := http.NewRequest("POST", s.base+"/api/v1/integrations/alertmanager/am", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if code := post("firing", ""); code != 401 {
				t.Fatalf("without the key: %d", code)
			}
			if code := post("firing", "wrong"); code != 401 {
				t.Fatalf("with a wrong key: %d", code)
			}
			if code := post("firing", amKey); code != 202 {
				t.Fatalf("firing: %d", code)
			}
			post("firing", amKey) // Alertmanager repeats: still one incident each
			var list struct{ Items []incident.Incident }
			s.json("GET", "/api/v1/incidents?status=open", "", &list)
			if len(list.Items) != 2 {
				t.Fatalf("open incidents: %+v", list.Items)
			}
			byKey := map[string]incident.Incident{}
			for _, i := range list.Items {
				byKey[i.DedupKey] = i
			}
			if i := byKey["a1b2c3d4e5f60708"]; i.Service != "shop" || i.Severity != "warning" || i.Summary != "p99 latency above 2s" || i.EventCount != 2 {
				t.Fatalf("labelled alert: %+v", i)
			}
			if i := byKey["ffff000011112222"]; i.Service != "payroll" || i.Severity != "critical" {
				t.Fatalf("alert without the label: %+v", i)
			}
			if code := post("resolved", amKey); code != 202 {
				t.Fatalf("resolved: %d", code)
			}
			s.json("GET", "/api/v1/incidents?status=open", "", &list)
			if len(list.Items) != 0 {
				t.Fatalf("still open after resolved: %+v", list.Items)
			}
		})
	}
}

// TestFailingCheckOpensIncident: a failing check opens an incident, the
// webhook is notified once (signed), and recovery resolves it.
func TestFailingCheckOpensIncident(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := &hook{t: t}
			recv := httptest.NewServer(h)
			defer recv.Close()
			var failing atomic.Bool
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failing.Load() {
					w.WriteHeader(http.StatusInternalServerError)
				}
			}))
			defer target.Close()
			dir := t.TempDir()
			cfg := incidentConfig(t, dir, recv.URL, fmt.Sprintf(`checks:
  - {name: shop-web, service: shop, type: http, url: "%s", interval: 1s, timeout: 1s, fail_after: 2, recover_after: 1}
`, target.URL))
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			open := func() []incident.Incident {
				var list struct{ Items []incident.Incident }
				s.json("GET", "/api/v1/incidents?dedup_key=check:shop-web", "", &list)
				return list.Items
			}
			time.Sleep(1500 * time.Millisecond)
			failing.Store(true)
			waitUntil(t, "an incident", 8*time.Second, func() bool { return len(open()) == 1 })
			waitUntil(t, "the webhook", 8*time.Second, func() bool { return len(h.events()) >= 1 })
			time.Sleep(2 * time.Second) // more failing results must not notify again
			if got := h.events(); len(got) != 1 || !strings.HasPrefix(got[0], "triggered:shop-web is down: [STATUS] (500)") || h.bad.Load() != 0 {
				t.Fatalf("webhook got %v (%d badly signed)", got, h.bad.Load())
			}
			failing.Store(false)
			waitUntil(t, "the incident to resolve", 8*time.Second, func() bool { i := open(); return len(i) == 1 && i[0].Status == "resolved" })
			waitUntil(t, "the resolved notification", 8*time.Second, func() bool { return len(h.events()) == 2 })
			var detail struct {
				Deliveries []map[string]any `json:"deliveries"`
				Timeline   []map[string]any `json:"timeline"`
			}
			s.json("GET", fmt.Sprintf("/api/v1/incidents/%d", open()[0].ID), "", &detail)
			if len(detail.Deliveries) != 2 || len(detail.Timeline) < 4 {
				t.Fatalf("detail: %+v", detail)
			}
		})
	}
}

// TestIngestLimits: PagerDuty's answers for a rate-limited integration, an
// oversized body and bad events.
func TestIngestLimits(t *testing.T) {
	e := storetest.Engines(t)[0] // the answers do not depend on the engine
	recv := httptest.NewServer(&hook{t: t})
	defer recv.Close()
	dir := t.TempDir()
	cfg := incidentConfig(t, dir, recv.URL, "")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "service: payroll, escalation: default}", "service: payroll, escalation: default, rate_limit: 2/m}", 1)), 0o600)
	s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
	post := func(body string) (int, map[string]any) {
		resp, err := http.Post(s.base+"/v2/enqueue", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ans map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		return resp.StatusCode, ans
	}
	ev := `{"routing_key":"` + routingKey + `","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}`
	for i := 0; i < 2; i++ {
		if code, ans := post(ev); code != 202 || ans["status"] != "success" {
			t.Fatalf("event %d: %d %v", i, code, ans)
		}
	}
	if code, ans := post(ev); code != 429 || ans["status"] != "throttle event" {
		t.Fatalf("third event within the rate: %d %v", code, ans)
	}
	big := `{"routing_key":"` + routingKey + `","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info","custom_details":{"pad":"` + strings.Repeat("x", 600*1024) + `"}}}`
	if code, _ := post(big); code != 413 {
		t.Fatalf("600 KB body: %d", code)
	}
	code, ans := post(`{"routing_key":"` + routingKey + `","event_action":"explode","dedup_key":"` + strings.Repeat("k", 300) + `"}`)
	errs, _ := ans["errors"].([]any)
	if code != 400 || ans["status"] != "invalid event" || len(errs) != 2 {
		t.Fatalf("bad event: %d %v", code, ans)
	}
}
