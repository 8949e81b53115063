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
			// One incident per group and service: the labelled alert's on
			// shop, the other on the integration's service.
			byService := map[string]incident.Incident{}
			for _, i := range list.Items {
				byService[i.Service] = i
			}
			if i := byService["shop"]; i.Severity != "warning" || i.Summary != "HighLatency: p99 latency above 2s" || i.EventCount != 2 ||
				i.DedupKey != incident.GroupDedupKey("am", `{}:{alertname="HighLatency"}`) {
				t.Fatalf("shop's group incident: %+v", i)
			}
			if i := byService["payroll"]; i.Severity != "critical" {
				t.Fatalf("payroll's group incident: %+v", i)
			}
			var alerts struct{ Items []incident.Alert }
			s.json("GET", fmt.Sprintf("/api/v1/incidents/%d/alerts", byService["shop"].ID), "", &alerts)
			if len(alerts.Items) != 1 || alerts.Items[0].Fingerprint != "a1b2c3d4e5f60708" || alerts.Items[0].Labels["instance"] != "web1:9100" {
				t.Fatalf("shop's alerts: %+v", alerts.Items)
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

// stormBody is an Alertmanager webhook of n firing alerts with a
// kilobyte of description each, as a large storm sends it.
func stormBody(groupKey string, n, truncated int, status string, label func(i int) map[string]string) string {
	alerts := make([]map[string]any, n)
	for i := range alerts {
		labels := map[string]string{"alertname": "NodeDown", "instance": fmt.Sprintf("node%05d:9100", i), "severity": "critical"}
		for k, v := range label(i) {
			labels[k] = v
		}
		alerts[i] = map[string]any{"status": status, "labels": labels,
			"annotations": map[string]string{"summary": fmt.Sprintf("node%05d is down", i), "description": strings.Repeat("The node exporter does not answer. ", 30)},
			"startsAt":    "2026-11-21T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph", "fingerprint": fmt.Sprintf("%016x", i+1)}
	}
	b, _ := json.Marshal(map[string]any{"receiver": "sextant", "status": status, "alerts": alerts, "groupLabels": map[string]string{"alertname": "NodeDown"},
		"commonLabels": map[string]string{"alertname": "NodeDown"}, "commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager:9093",
		"version": "4", "groupKey": groupKey, "truncatedAlerts": truncated})
	return string(b)
}

func noLabels(int) map[string]string { return nil }

// postAM sends an Alertmanager webhook and returns the answer.
func postAM(t *testing.T, s *server, integration, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/api/v1/integrations/alertmanager/"+integration, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&ans)
	return resp.StatusCode, resp.Header, ans
}

// scrape returns the value of one series from /metrics, or -1.
func scrape(t *testing.T, s *server, series string) float64 {
	t.Helper()
	_, body := s.do("GET", "/metrics", true)
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return -1
}

func dirSize(t *testing.T, dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// TestAlertmanagerStorm: a 5,000-alert group in one body (several
// megabytes, as Alertmanager's max_alerts: 0 sends it) is one incident
// listing 5,000 alerts that paged once; an unroutable alert is kept for
// admins without refusing its group; truncatedAlerts and refusals are
// counted on /metrics; a rate-limited Alertmanager hears 503 and
// Retry-After.
func TestAlertmanagerStorm(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := &hook{t: t}
			recv := httptest.NewServer(h)
			defer recv.Close()
			dir := t.TempDir()
			cfg := incidentConfig(t, dir, recv.URL, "")
			b, _ := os.ReadFile(cfg)
			os.WriteFile(cfg, []byte(strings.Replace(string(b), "service_label: service, escalation: default}\n", `service_label: service, escalation: default}
  - {name: am-bare, kind: alertmanager, key: "${AM_KEY}-bare", service_label: service, escalation: default}
  - {name: am-slow, kind: alertmanager, key: "${AM_KEY}-slow", service: shop, rate_limit: 1/m}
`, 1)), 0o600)
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			t.Run("a 5,000-alert group is one incident that pages once", func(t *testing.T) {
				body := stormBody("storm", 5000, 7, "firing", noLabels)
				if len(body) < 5<<20 {
					t.Fatalf("the body is only %d bytes", len(body))
				}
				code, _, ans := postAM(t, s, "am", amKey, body)
				if code != 202 || ans["accepted"] != 5000.0 {
					t.Fatalf("storm: %d %v", code, ans)
				}
				var list struct{ Items []incident.Incident }
				s.json("GET", "/api/v1/incidents?status=open", "", &list)
				if len(list.Items) != 1 || list.Items[0].Service != "payroll" || list.Items[0].TruncatedAlerts != 7 {
					t.Fatalf("open incidents: %+v", list.Items)
				}
				id := list.Items[0].ID
				seen, path := 0, fmt.Sprintf("/api/v1/incidents/%d/alerts?limit=1000", id)
				for {
					var page struct {
						Items []incident.Alert
						Next  *string
					}
					if code := s.json("GET", path, "", &page); code != 200 {
						t.Fatalf("alerts: %d", code)
					}
					seen += len(page.Items)
					if page.Next == nil {
						break
					}
					path = fmt.Sprintf("/api/v1/incidents/%d/alerts?limit=1000&cursor=%s", id, *page.Next)
				}
				if seen != 5000 {
					t.Fatalf("%d alerts listed", seen)
				}
				var detail struct {
					Alerts incident.AlertCounts `json:"alerts"`
				}
				if s.json("GET", fmt.Sprintf("/api/v1/incidents/%d", id), "", &detail); detail.Alerts.Firing != 5000 {
					t.Fatalf("the incident counts %+v", detail.Alerts)
				}
				waitUntil(t, "the page", 10*time.Second, func() bool { return len(h.events()) >= 1 })
				time.Sleep(300 * time.Millisecond)
				if got := h.events(); len(got) != 1 {
					t.Fatalf("notifications: %v", got)
				}
				if e.Name == "sqlite" {
					if n := dirSize(t, dir); n > 150<<20 {
						t.Fatalf("the data directory holds %d bytes", n)
					}
				}
			})
			t.Run("an unroutable alert is kept, its group taken", func(t *testing.T) {
				body := stormBody("mixed", 3, 0, "firing", func(i int) map[string]string {
					if i == 0 {
						return map[string]string{"service": "billing"}
					}
					return map[string]string{"service": "shop"}
				})
				if code, _, ans := postAM(t, s, "am-bare", amKey+"-bare", body); code != 202 || ans["accepted"] != 3.0 || ans["unrouted"] != 1.0 {
					t.Fatalf("mixed group: %d %v", code, ans)
				}
				var list struct{ Items []incident.Incident }
				s.json("GET", "/api/v1/incidents?status=open&service=shop", "", &list)
				if len(list.Items) != 1 {
					t.Fatalf("shop's incidents: %+v", list.Items)
				}
				var un struct{ Items []incident.UnroutedAlert }
				if code := s.json("GET", "/api/v1/integrations/am-bare/unrouted", "", &un); code != 200 || len(un.Items) != 1 || un.Items[0].Service != "billing" {
					t.Fatalf("unrouted: %d %+v", code, un.Items)
				}
				// The resolves of every alert are taken and close what they opened.
				if code, _, _ := postAM(t, s, "am-bare", amKey+"-bare", stormBody("mixed", 3, 0, "resolved", func(i int) map[string]string {
					if i == 0 {
						return map[string]string{"service": "billing"}
					}
					return map[string]string{"service": "shop"}
				})); code != 202 {
					t.Fatalf("resolves: %d", code)
				}
				s.json("GET", "/api/v1/incidents?status=open&service=shop", "", &list)
				if len(list.Items) != 0 {
					t.Fatalf("still open: %+v", list.Items)
				}
			})
			t.Run("over the rate, 503 and Retry-After", func(t *testing.T) {
				small := stormBody("slow", 1, 0, "firing", noLabels)
				if code, _, _ := postAM(t, s, "am-slow", amKey+"-slow", small); code != 202 {
					t.Fatalf("first: %d", code)
				}
				code, hdr, ans := postAM(t, s, "am-slow", amKey+"-slow", small)
				if code != 503 || hdr.Get("Retry-After") != "60" || ans["status"] != 503.0 {
					t.Fatalf("second within the rate: %d %v %v", code, hdr, ans)
				}
			})
			t.Run("the metrics count what was taken and refused", func(t *testing.T) {
				if code, _, _ := postAM(t, s, "am", "wrong-token", "{}"); code != 401 {
					t.Fatalf("wrong token: %d", code)
				}
				if code, _, _ := postAM(t, s, "am", amKey, `{"version":"3","alerts":[]}`); code != 400 {
					t.Fatalf("version 3: %d", code)
				}
				huge := `{"version":"4","alerts":[],"pad":"` + strings.Repeat("x", 33<<20) + `"}`
				if code, _, _ := postAM(t, s, "am", amKey, huge); code != 413 {
					t.Fatalf("33 MiB: %d", code)
				}
				for series, want := range map[string]float64{
					`sextant_events_accepted_total{integration="am"}`:                           5000,
					`sextant_events_accepted_total{integration="am-bare"}`:                      6,
					`sextant_alerts_truncated_total{integration="am"}`:                          7,
					`sextant_events_refused_total{integration="am",reason="unauthorized"}`:      1,
					`sextant_events_refused_total{integration="am",reason="invalid"}`:           1,
					`sextant_events_refused_total{integration="am-slow",reason="rate_limited"}`: 1,
				} {
					if got := scrape(t, s, series); got != want {
						t.Errorf("%s = %v, want %v", series, got, want)
					}
				}
			})
		})
	}
}
