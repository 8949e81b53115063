package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestPagerDutyCompatibility covers what PagerDuty senders do beyond
// trigger/acknowledge/resolve: every timestamp form PagerDuty documents,
// change events through the official client, and JSON answers for paths
// Sextant does not serve.
func TestPagerDutyCompatibility(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dir := t.TempDir()
			s := start(t, e, app.Options{ConfigPath: incidentConfig(t, dir, "http://127.0.0.1:1", ""), DataDir: dir})
			ctx := context.Background()
			client := pagerduty.NewClient("unused-api-token", pagerduty.WithV2EventsAPIEndpoint(s.base))
			for _, ts := range []string{"2015-07-17T08:42:58.315+0000", "2015-07-17T08:42:58+0000", "2015-07-17T08:42:58.315+00:00",
				"2015-07-17T08:42:58Z", "2015-07-17T08:42:58.315123Z", "2015-07-17T10:42:58+02:00"} {
				resp, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: routingKey, Action: "trigger",
					Payload: &pagerduty.V2Payload{Summary: "disk full", Source: "db1", Severity: "warning", Timestamp: ts}})
				if err != nil || resp.Status != "success" {
					t.Errorf("timestamp %s: %+v %v", ts, resp, err)
				}
			}
			if _, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: routingKey, Action: "trigger",
				Payload: &pagerduty.V2Payload{Summary: "disk full", Source: "db1", Severity: "warning", Timestamp: "17/07/2015 08:42"}}); err == nil || !strings.Contains(err.Error(), "400") {
				t.Errorf("a timestamp that is not ISO 8601 was taken: %v", err)
			}

			resp, err := client.CreateChangeEventWithContext(ctx, pagerduty.ChangeEvent{RoutingKey: routingKey,
				Payload: pagerduty.ChangeEventPayload{Summary: "Deployed payroll v2.3.1", Source: "ci-pipeline", Timestamp: "2026-11-30T10:02:00.000+0000",
					CustomDetails: map[string]any{"commit": "4f6c7df"}},
				Links: []pagerduty.ChangeEventLink{{Href: "https://ci.example/builds/812", Text: "build 812"}}})
			if err != nil || resp.Status != "success" {
				t.Fatalf("change event: %+v %v", resp, err)
			}
			var changes struct{ Items []change.Event }
			s.json("GET", "/api/v1/services/payroll/changes", "", &changes)
			if len(changes.Items) != 1 {
				t.Fatalf("changes: %+v", changes.Items)
			}
			c := changes.Items[0]
			if c.Summary != "Deployed payroll v2.3.1" || c.Source != "ci-pipeline" || c.Integration != "prometheus" ||
				c.At.UTC().Format("2006-01-02T15:04") != "2026-11-30T10:02" || !strings.Contains(string(c.Details), "4f6c7df") || !strings.Contains(string(c.Links), "build 812") {
				t.Fatalf("change: %+v", c)
			}
			// A change pages nobody: no incident came of it.
			var incidents struct{ Items []struct{ Summary string } }
			s.json("GET", "/api/v1/incidents?service=payroll", "", &incidents)
			for _, i := range incidents.Items {
				if strings.Contains(i.Summary, "Deployed") {
					t.Fatalf("a change opened an incident: %+v", i)
				}
			}
			if _, err := client.CreateChangeEventWithContext(ctx, pagerduty.ChangeEvent{RoutingKey: routingKey}); err == nil || !strings.Contains(err.Error(), "400") {
				t.Errorf("a change without a summary was taken: %v", err)
			}
			if code, _ := s.do("GET", "/api/v1/services/nope/changes", true); code != 404 {
				t.Errorf("changes of an unknown service: %d", code)
			}

			// Unknown ingest and API paths answer JSON, never the login page.
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for _, p := range []string{"/v2/nope", "/v2/change/nope", "/generic/2010-04-15/create_event.json", "/api/v2/alerts", "/api/v1/nope"} {
				r, err := noRedirect.Post(s.base+p, "application/json", strings.NewReader(`{}`))
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				if r.StatusCode != 404 || r.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("POST %s = %d %s, want a JSON 404", p, r.StatusCode, r.Header.Get("Content-Type"))
				}
			}
		})
	}
}
