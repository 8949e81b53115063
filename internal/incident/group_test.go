package incident_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// amAlert is one alert of a test webhook.
type amAlert struct {
	fp, status, service, severity string
}

// webhook renders an Alertmanager version-4 body the way Alertmanager
// orders its fields (alerts before groupKey).
func webhook(groupKey string, truncated int, alerts ...amAlert) string {
	var list []map[string]any
	for _, a := range alerts {
		labels := map[string]string{"alertname": "DiskFull", "instance": a.fp + ":9100", "severity": a.severity}
		if a.service != "" {
			labels["service"] = a.service
		}
		list = append(list, map[string]any{"status": a.status, "labels": labels, "annotations": map[string]string{"summary": "disk full on " + a.fp},
			"startsAt": "2026-10-05T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph", "fingerprint": a.fp})
	}
	b, _ := json.Marshal(map[string]any{"receiver": "sextant", "status": "firing", "alerts": list, "groupLabels": map[string]string{"alertname": "DiskFull"},
		"commonLabels": map[string]string{"alertname": "DiskFull"}, "commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager:9093",
		"version": "4", "groupKey": groupKey, "truncatedAlerts": truncated})
	return string(b)
}

func many(n int, from int, status, service, severity string) []amAlert {
	out := make([]amAlert, n)
	for i := range out {
		out[i] = amAlert{fp: fmt.Sprintf("fp%05d", from+i), status: status, service: service, severity: severity}
	}
	return out
}

// amSetup adds Alertmanager integrations to the fixture: "am" falls back
// to payroll, "am-bare" names no service.
func (f *fixture) amSetup(perAlert bool) {
	per := ""
	if perAlert {
		per = incident.PerAlert
	}
	f.engine.Configure(incident.Setup{
		Integrations: []incident.Integration{
			{Name: "am", Kind: incident.KindAlertmanager, Key: secret.New("am-0123456789abcdef"), Service: "payroll", ServiceLabel: "service", Escalation: "default", IncidentPer: per},
			{Name: "am-bare", Kind: incident.KindAlertmanager, Key: secret.New("am-bare-0123456789ab"), ServiceLabel: "service", Escalation: "default"},
		},
		Policies: []incident.EscalationPolicy{{Name: "default", Levels: []incident.Level{{Notify: []string{"channel:ops-hook"}}}}},
	})
}

// post decodes, routes and submits a webhook as the API handler does.
func (f *fixture) post(t *testing.T, integration, body string) *incident.AMGroup {
	t.Helper()
	g, err := incident.DecodeAlertmanager(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := f.engine.Integration(integration)
	g.Route(in, func(s string) bool { return s == "payroll" || s == "shop" })
	if in.PerAlertIncidents() {
		_, err = f.ingest.Submit(context.Background(), g.Events(in))
	} else {
		_, err = f.ingest.SubmitGroup(context.Background(), g.Chunks(in.Name, 0))
	}
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (f *fixture) open(t *testing.T) []incident.Incident {
	t.Helper()
	list, _, err := f.store.List(context.Background(), incident.Filter{Status: "open"}, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.Reader().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func logHas(log []incident.LogEntry, part string) int {
	n := 0
	for _, e := range log {
		if strings.Contains(e.Message, part) {
			n++
		}
	}
	return n
}

func TestAlertGroupIsOneIncident(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.amSetup(false)
		const key = `{}:{alertname="DiskFull"}`
		var id int64
		t.Run("300 alerts open one incident and page once", func(t *testing.T) {
			f.post(t, "am", webhook(key, 0, many(300, 0, "firing", "", "warning")...))
			open := f.open(t)
			if len(open) != 1 || open[0].Service != "payroll" || open[0].Severity != "warning" || open[0].DedupKey != incident.GroupDedupKey("am", key) {
				t.Fatalf("open incidents: %+v", open)
			}
			id = open[0].ID
			if got := strings.Join(f.outbox(t), ","); got != "ops-hook:triggered" {
				t.Fatalf("outbox = %s", got)
			}
		})
		t.Run("the alerts are listed page by page", func(t *testing.T) {
			seen := map[string]bool{}
			cursor, pages := "", 0
			for {
				alerts, next, err := f.store.Alerts(ctx, id, store.Page{Limit: 100, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range alerts {
					if a.Status != "firing" || a.Labels["alertname"] != "DiskFull" || a.Annotations["summary"] != "disk full on "+a.Fingerprint || a.StartsAt != "2026-10-05T10:00:00Z" {
						t.Fatalf("alert: %+v", a)
					}
					seen[a.Fingerprint] = true
				}
				pages++
				if next == "" {
					break
				}
				cursor = next
			}
			if len(seen) != 300 || pages != 3 {
				t.Fatalf("%d alerts in %d pages", len(seen), pages)
			}
			if _, _, err := f.store.Alerts(ctx, 999, store.Page{}); err == nil {
				t.Fatal("alerts of a missing incident: no error")
			}
		})
		t.Run("joining alerts are noted, not paged; severity is the worst", func(t *testing.T) {
			f.post(t, "am", webhook(key, 0, append(many(300, 0, "firing", "", "warning"), many(10, 300, "firing", "", "critical")...)...))
			i, log, _ := f.store.Get(ctx, id)
			if i.Severity != "critical" || logHas(log, "10 alerts joined the group") != 1 {
				t.Fatalf("after joining: %+v %+v", i, log)
			}
			if got := strings.Join(f.outbox(t), ","); got != "ops-hook:triggered" {
				t.Fatalf("a join paged: outbox = %s", got)
			}
		})
		t.Run("a retried webhook changes nothing twice", func(t *testing.T) {
			f.post(t, "am", webhook(key, 0, append(many(300, 0, "firing", "", "warning"), many(10, 300, "firing", "", "critical")...)...))
			_, log, _ := f.store.Get(ctx, id)
			if n := f.count(t, `SELECT COUNT(*) FROM incident_alerts WHERE incident_id = $1`, id); n != 310 || logHas(log, "joined the group") != 1 || len(f.open(t)) != 1 {
				t.Fatalf("%d alerts, %d join notes", n, logHas(log, "joined the group"))
			}
		})
		t.Run("when the worst alerts resolve the severity follows", func(t *testing.T) {
			f.post(t, "am", webhook(key, 0, append(many(300, 0, "firing", "", "warning"), many(10, 300, "resolved", "", "critical")...)...))
			i, _, _ := f.store.Get(ctx, id)
			if i.Status != incident.Triggered || i.Severity != "warning" {
				t.Fatalf("after the critical ones resolved: %+v", i)
			}
		})
		t.Run("the incident resolves when every alert has", func(t *testing.T) {
			f.post(t, "am", webhook(key, 0, many(310, 0, "resolved", "", "warning")...))
			i, _, _ := f.store.Get(ctx, id)
			if i.Status != incident.Resolved || len(f.open(t)) != 0 {
				t.Fatalf("after all resolved: %+v", i)
			}
			if got := strings.Join(f.outbox(t), ","); got != "ops-hook:triggered,ops-hook:resolved" {
				t.Fatalf("outbox = %s", got)
			}
			c, _ := f.store.CountAlerts(ctx, id)
			if c.Firing != 0 || c.Resolved != 310 {
				t.Fatalf("counts: %+v", c)
			}
		})
	})
}

func TestAlertGroupRouting(t *testing.T) {
	for _, tc := range []struct {
		name        string
		integration string
		alerts      []amAlert
		// want: open incidents by service, with their alert counts
		want     map[string]int
		unrouted int
		note     string
	}{
		{name: "a group that spans services splits by service", integration: "am",
			alerts: append(many(3, 0, "firing", "shop", "error"), many(2, 3, "firing", "payroll", "error")...), want: map[string]int{"shop": 3, "payroll": 2}},
		{name: "an unknown service goes to the integration's, noted", integration: "am",
			alerts: append(many(3, 0, "firing", "shop", "error"), amAlert{fp: "stray", status: "firing", service: "billing", severity: "error"}),
			want:   map[string]int{"shop": 3, "payroll": 1}, note: "alerts named services that do not exist (billing); they were routed to payroll"},
		{name: "without a fallback it is kept unrouted and does not poison the group", integration: "am-bare",
			alerts: append(many(3, 0, "firing", "shop", "error"), amAlert{fp: "stray", status: "firing", service: "billing", severity: "error"}),
			want:   map[string]int{"shop": 3}, unrouted: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				f := newFixture(t, db)
				f.amSetup(false)
				// Alertmanager repeats a webhook: what it says is noted once.
				f.post(t, tc.integration, webhook("g", 0, tc.alerts...))
				f.post(t, tc.integration, webhook("g", 0, tc.alerts...))
				got := map[string]int{}
				for _, i := range f.open(t) {
					c, _ := f.store.CountAlerts(ctx, i.ID)
					got[i.Service] = c.Firing
					_, log, _ := f.store.Get(ctx, i.ID)
					if tc.note != "" && i.Service == "payroll" && logHas(log, tc.note) != 1 {
						t.Fatalf("no note %q in %+v", tc.note, log)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Fatalf("open incidents %v, want %v", got, tc.want)
				}
				un, _, err := f.store.Unrouted(ctx, tc.integration, store.Page{})
				if err != nil || len(un) != tc.unrouted {
					t.Fatalf("unrouted: %+v %v", un, err)
				}
				if tc.unrouted > 0 && (un[0].Fingerprint != "stray" || un[0].Service != "billing" || un[0].Status != "firing" || !strings.Contains(string(un[0].Alert), `"billing"`)) {
					t.Fatalf("unrouted alert: %+v", un[0])
				}
				// Its resolve is taken too, and closes what it opened.
				resolved := make([]amAlert, len(tc.alerts))
				for i, a := range tc.alerts {
					a.status = "resolved"
					resolved[i] = a
				}
				f.post(t, tc.integration, webhook("g", 0, resolved...))
				if open := f.open(t); len(open) != 0 {
					t.Fatalf("still open after the resolves: %+v", open)
				}
				if un, _, _ := f.store.Unrouted(ctx, tc.integration, store.Page{}); tc.unrouted > 0 && un[0].Status != "resolved" {
					t.Fatalf("unrouted after resolve: %+v", un[0])
				}
			})
		})
	}
}

func TestAlertPerAlertKeepsOneIncidentEach(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.amSetup(true)
		f.post(t, "am", webhook("g", 0, many(3, 0, "firing", "shop", "critical")...))
		open := f.open(t)
		if len(open) != 3 || open[0].DedupKey != "fp00002" {
			t.Fatalf("open: %+v", open)
		}
		// Each event keeps the alert's own JSON, not the whole body.
		if n := f.count(t, `SELECT COUNT(*) FROM events WHERE body LIKE '%fp00000%' AND dedup_key <> 'fp00000'`); n != 0 {
			t.Fatalf("%d events hold another alert's JSON", n)
		}
		f.post(t, "am", webhook("g", 0, many(3, 0, "resolved", "shop", "critical")...))
		if open := f.open(t); len(open) != 0 {
			t.Fatalf("still open: %+v", open)
		}
	})
}

func TestAlertGroupTruncated(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.amSetup(false)
		f.post(t, "am", webhook("g", 42, many(2, 0, "firing", "", "error")...))
		i, log, _ := f.store.Get(ctx, f.open(t)[0].ID)
		if i.TruncatedAlerts != 42 || logHas(log, "left 42 alerts out of the webhook") != 1 {
			t.Fatalf("truncated: %+v %+v", i, log)
		}
	})
}

// TestAlertStormStorage: a 5,000-alert group is one incident of 5,000
// alerts, written in bounded transactions, each alert stored once as its
// own JSON and the body never repeated; a retry after a crash between two
// transactions completes the group without doubling anything.
func TestAlertStormStorage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.amSetup(false)
		body := webhook("storm", 0, many(5000, 0, "firing", "", "critical")...)
		g, err := incident.DecodeAlertmanager(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		in, _ := f.engine.Integration("am")
		g.Route(in, func(s string) bool { return s == "payroll" })
		chunks := g.Chunks("am", 0)
		for _, c := range chunks {
			if len(c.Alerts) > incident.DefaultChunk {
				t.Fatalf("a transaction of %d alerts", len(c.Alerts))
			}
		}
		// The server dies after the first five transactions: the sender
		// heard nothing and sends the whole group again.
		if _, err := f.ingest.SubmitGroup(ctx, chunks[:5]); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ingest.SubmitGroup(ctx, chunks); err != nil {
			t.Fatal(err)
		}
		open := f.open(t)
		if len(open) != 1 {
			t.Fatalf("%d incidents", len(open))
		}
		id := open[0].ID
		if n := f.count(t, `SELECT COUNT(*) FROM incident_alerts WHERE incident_id = $1`, id); n != 5000 {
			t.Fatalf("%d alerts stored", n)
		}
		if got := strings.Join(f.outbox(t), ","); got != "ops-hook:triggered" {
			t.Fatalf("outbox = %s", got)
		}
		// One row per alert; a row per transaction for the events; a
		// handful of timeline lines.
		events := f.count(t, `SELECT COUNT(*) FROM events`)
		logLines := f.count(t, `SELECT COUNT(*) FROM incident_log WHERE incident_id = $1`, id)
		if events != len(chunks)+5 || logLines > 4 {
			t.Fatalf("%d events rows, %d timeline lines", events, logLines)
		}
		alertBytes := f.count(t, `SELECT SUM(LENGTH(alert)) FROM incident_alerts`)
		eventBytes := f.count(t, `SELECT SUM(LENGTH(body)) FROM events`)
		if per := alertBytes / 5000; per > 400 || eventBytes > 200*events {
			t.Fatalf("%d bytes per alert, %d bytes of events for a %d-byte body", per, eventBytes, len(body))
		}
	})
}

// TestAlertGroupRepeatedFingerprint: one webhook naming an alert twice
// stores it once, as its last copy says.
func TestAlertGroupRepeatedFingerprint(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.amSetup(false)
		f.post(t, "am", webhook("g", 0, amAlert{"a", "firing", "", "warning"}, amAlert{"b", "firing", "", "warning"}, amAlert{"a", "firing", "", "critical"}))
		open := f.open(t)
		if len(open) != 1 || open[0].Severity != "critical" || f.count(t, `SELECT COUNT(*) FROM incident_alerts`) != 2 {
			t.Fatalf("open: %+v", open)
		}
	})
}

// TestAlertGroupNUL: NUL characters, which PostgreSQL text cannot hold, in
// a fingerprint or a service label do not fail the group.
func TestAlertGroupNUL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.amSetup(false)
		f.post(t, "am-bare", webhook("g\x00", 0, amAlert{"a\x00", "firing", "shop", "warning"}, amAlert{"b", "firing", "bill\x00ing", "warning"}))
		if open := f.open(t); len(open) != 1 || open[0].Service != "shop" {
			t.Fatalf("open: %+v", open)
		}
		if un, _, err := f.store.Unrouted(context.Background(), "am-bare", store.Page{}); err != nil || len(un) != 1 || un[0].Service != "billing" {
			t.Fatalf("unrouted: %+v %v", un, err)
		}
	})
}

// FuzzDecodeAlertmanager: any body is decoded or refused with an error,
// never a panic, and each alert taken keeps valid JSON of its own.
func FuzzDecodeAlertmanager(f *testing.F) {
	f.Add(webhook("g", 2, amAlert{"a", "firing", "shop", "critical"}, amAlert{"", "resolved", "", "info"}))
	f.Add(`{"version":"4","alerts":[{"status":"sleeping"}, 7]}`)
	f.Add(`{"alerts":[`)
	f.Fuzz(func(t *testing.T, body string) {
		g, err := incident.DecodeAlertmanager(strings.NewReader(body))
		if err != nil {
			return
		}
		for _, a := range g.Alerts {
			if !json.Valid(a.Raw) || a.Fingerprint == "" {
				t.Fatalf("alert %+v", a)
			}
		}
	})
}
