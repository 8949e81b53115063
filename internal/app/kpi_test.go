package app_test

import (
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/testcert"
)

const mailKey = "M0123456789abcdefM0123456789abcd"

// kpiConfig declares the hand-worked month's services, the desk, the
// people paged and the KPI settings.
func kpiConfig(t *testing.T, dir, hookURL string, mailPort, tlsSoon, tlsLater int) string {
	t.Helper()
	t.Setenv("ROUTING_KEY", routingKey)
	t.Setenv("MAIL_KEY", mailKey)
	cfg := filepath.Join(dir, "sextant.yaml")
	body := fmt.Sprintf(`currency: EUR
mail: {from: desk@example.com, smtp: {host: 127.0.0.1, port: %[2]d, tls: none}}
services:
  - {name: shop, tier: 1, objective: {availability: 99.9%%, downtime_cost: 600, budget: 20000}}
  - {name: mail, tier: 1, objective: {availability: 99%%, max_outage: 30m, budget: 1000}}
  - {name: wiki, tier: 3, objective: {availability: 99%%, budget: 5000}}
users:
  - {name: alice, webhook: "%[1]s/alice"}
  - {name: bob, webhook: "%[1]s/bob"}
integrations:
  - {name: shop-alerts, kind: events, key: "${ROUTING_KEY}", service: shop, escalation: page-alice}
  - {name: mail-alerts, kind: events, key: "${MAIL_KEY}", service: mail, escalation: page-alice}
escalation_policies:
  - name: page-alice
    levels:
      - {delay: 0m, notify: [user:alice]}
checks:
  - {name: wiki-tls, service: wiki, type: tls, host: 127.0.0.1, port: %[3]d, insecure_skip_verify: true, interval: 1s}
  - {name: wiki-web, service: wiki, type: http, url: "https://127.0.0.1:%[4]d/", insecure_skip_verify: true, interval: 1s}
desk:
  queues:
    - {name: first-line}
    - {name: second-line}
  sla_policies:
    - {name: standard, match: {}, first_response: 1h, resolution: 8h}
change:
  templates:
    - {name: deploy, title: Deploy a release}
kpi:
  targets: {mtta: 10m, tickets_within_sla: 90%%}
  over_delivery: {margin: 0.5%%, min_budget: 2000}
`, hookURL, mailPort, tlsSoon, tlsLater)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The certificates the hand-worked month's checks see: one expiring within
// 30 days of the month's end, one years later.
var (
	certSoon  = time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	certLater = time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
)

// certServers serves certSoon and certLater over TLS on loopback and
// returns their ports.
func certServers(t *testing.T) (soon, later int) {
	t.Helper()
	var ports []int
	for _, notAfter := range []time.Time{certSoon, certLater} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.TLS = testcert.New(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), notAfter, false, nil).ServerConfig()
		srv.StartTLS()
		t.Cleanup(srv.Close)
		ports = append(ports, srv.Listener.Addr().(*net.TCPAddr).Port)
	}
	return ports[0], ports[1]
}

// pageHook counts the pages each person's webhook receives.
type pageHook struct {
	mu   sync.Mutex
	hits map[string]int
}

func (h *pageHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.hits[r.URL.Path]++
	h.mu.Unlock()
}

func (h *pageHook) count(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[path]
}

// handWorkedMonth records November 2026 through the API, each step at its
// instant on the test's clock. The figures it must give are worked out in
// TestMonthlyReportHandWorked.
func handWorkedMonth(t *testing.T, s *server, clock *testClock, h *pageHook, box *inbox) {
	t.Helper()
	must := func(method, path, body string, want int) map[string]any {
		t.Helper()
		var out map[string]any
		if code := s.json(method, path, body, &out); code != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, code, want, out)
		}
		return out
	}
	incident := func(key, summary, opened, acked, resolved string, pages int) {
		t.Helper()
		clock.Set(opened)
		if code, body := s.post("/api/v1/events", fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":%q,"payload":{"summary":%q,"source":"probe","severity":"critical"}}`, key, summary, summary)); code != 202 {
			t.Fatalf("trigger %s: %d %s", summary, code, body)
		}
		waitUntil(t, "the page for "+summary, 10*time.Second, func() bool { return h.count("/alice") >= pages })
		var list struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		s.json("GET", "/api/v1/incidents?dedup_key="+summary, "", &list)
		if len(list.Items) != 1 {
			t.Fatalf("incident %s: %+v", summary, list)
		}
		id := list.Items[0].ID
		clock.Set(acked)
		must("POST", fmt.Sprintf("/api/v1/incidents/%d/acknowledge", id), "", 200)
		clock.Set(resolved)
		must("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", id), "", 200)
	}
	// Incidents take their service down from opening to resolving: shop
	// 1 h on Tuesday 10 November (paged at 10:00, inside alice's hours),
	// mail 45 min on Thursday 12 November (paged at 08:00, before them).
	incident(routingKey, "shop-down", "2026-11-10T10:00:00Z", "2026-11-10T10:05:00Z", "2026-11-10T11:00:00Z", 1)
	incident(mailKey, "mail-down", "2026-11-12T08:00:00Z", "2026-11-12T08:15:00Z", "2026-11-12T08:45:00Z", 2)

	clock.Set("2026-11-25T12:00:00Z")
	ticket := func(service, queue, opened string) int64 {
		t.Helper()
		out := must("POST", "/api/v1/tickets", fmt.Sprintf(`{"type":"incident","title":"help","service":%q,"queue":%q,"requester":"pat@example.com","opened_at":%q}`, service, queue, opened), 201)
		return int64(out["id"].(float64))
	}
	reply := func(id int64, at string) {
		t.Helper()
		must("POST", fmt.Sprintf("/api/v1/tickets/%d/comments", id), fmt.Sprintf(`{"body":"on it","public":true,"at":%q}`, at), 201)
	}
	status := func(id int64, st, at string) {
		t.Helper()
		must("POST", fmt.Sprintf("/api/v1/tickets/%d/status", id), fmt.Sprintf(`{"status":%q,"at":%q}`, st, at), 200)
	}
	// T1: one reply, resolved in 3 h: within the 8 h SLA, first contact.
	t1 := ticket("shop", "first-line", "2026-11-03T09:00:00Z")
	reply(t1, "2026-11-03T10:00:00Z")
	status(t1, "resolved", "2026-11-03T12:00:00Z")
	// T2: two replies, resolved after 24 h: breached, not first contact.
	t2 := ticket("shop", "first-line", "2026-11-04T09:00:00Z")
	reply(t2, "2026-11-04T10:00:00Z")
	reply(t2, "2026-11-04T11:00:00Z")
	status(t2, "resolved", "2026-11-05T09:00:00Z")
	// T3: resolved in 1 h, reopened, resolved an hour later: 2 h on the
	// clock (within), but reopened (not first contact).
	t3 := ticket("wiki", "second-line", "2026-11-06T09:00:00Z")
	reply(t3, "2026-11-06T09:30:00Z")
	status(t3, "resolved", "2026-11-06T10:00:00Z")
	status(t3, "open", "2026-11-06T11:00:00Z")
	status(t3, "resolved", "2026-11-06T12:00:00Z")
	// T4: open from 20 November to the month's end: 11 days old then.
	ticket("wiki", "second-line", "2026-11-20T00:00:00Z")

	// Surveys: T1's requester answers 5, T2's 2, both on 25 November from
	// the links in their mails; T3's is not answered. CSAT 1 of 2 (50 %),
	// mean 3.50.
	answer := func(id int64, score int, comment string) {
		t.Helper()
		var link string
		waitUntil(t, fmt.Sprintf("the survey mail of ticket %d", id), 10*time.Second, func() bool {
			for _, m := range box.all() {
				if u := unfold(m); strings.Contains(u, "How did we do?") && strings.Contains(u, fmt.Sprintf("[#%d]", id)) {
					link = surveyRE(score).FindString(u)
					return link != ""
				}
			}
			return false
		})
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.PostForm(s.base+u.Path, url.Values{"exp": {u.Query().Get("exp")}, "sig": {u.Query().Get("sig")}, "score": {strconv.Itoa(score)}, "comment": {comment}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("answering the survey of ticket %d: %d", id, res.StatusCode)
		}
	}
	answer(t1, 5, "Quick and friendly, thank you")
	answer(t2, 2, "Far too slow, very disappointing")

	// Changes: two standard deploys on shop, on 20 November (successful,
	// no incident within 24 h: clean) and 21 November (ended failed):
	// change-failure rate 1 of 2. The shop incident of 10 November came
	// before both.
	deploy := func(day string, outcome string) {
		t.Helper()
		out := must("POST", "/api/v1/changes", fmt.Sprintf(`{"type":"standard","template":"deploy","services":["shop"],"items":[],
			"planned_start":"2026-11-%[1]sT08:00:00Z","planned_end":"2026-11-%[1]sT09:00:00Z","submit":true,"at":"2026-11-%[1]sT07:00:00Z"}`, day), 201)
		id := int64(out["id"].(float64))
		must("POST", fmt.Sprintf("/api/v1/changes/%d/status", id), fmt.Sprintf(`{"status":"in_progress","at":"2026-11-%sT08:00:00Z"}`, day), 200)
		must("POST", fmt.Sprintf("/api/v1/changes/%d/status", id), fmt.Sprintf(`{"status":"completed","outcome":%q,"at":"2026-11-%sT08:50:00Z"}`, outcome, day), 200)
	}
	deploy("20", "successful")
	deploy("21", "failed")
	// Feedback on shop: 4 and 2, mean 3.00; their comments' sentiment is
	// the analyser's, read back from the API for the mean.
	must("POST", "/api/v1/services/shop/feedback", `{"score":4,"comment":"Fast and reliable, thank you"}`, 201)
	must("POST", "/api/v1/services/shop/feedback", `{"score":2,"comment":"Checkout was broken and slow"}`, 201)

	// Recovery: shop's plan reviewed in June, wiki's in January 2025 (more
	// than 12 months before the month's end); shop's drill passes (RTO
	// 40m ≤ 1h, RPO 10m ≤ 15m), wiki's fails (RTO 2h > 1h).
	must("POST", "/api/v1/dr/plans", `{"name":"shop-dr","service":"shop","rto":"1h","rpo":"15m","last_reviewed":"2026-06-01"}`, 201)
	must("POST", "/api/v1/dr/plans", `{"name":"wiki-dr","service":"wiki","rto":"1h","rpo":"1h","last_reviewed":"2025-01-10"}`, 201)
	must("POST", "/api/v1/dr/drills", `{"plan":"shop-dr","kind":"drill","started_at":"2026-11-15T10:00:00Z","restored_at":"2026-11-15T10:40:00Z","data_point":"2026-11-15T09:50:00Z"}`, 201)
	must("POST", "/api/v1/dr/drills", `{"plan":"wiki-dr","kind":"drill","started_at":"2026-11-16T10:00:00Z","restored_at":"2026-11-16T12:00:00Z","data_point":"2026-11-16T09:30:00Z"}`, 201)

	// Capacity: alice and bob, 40 h weeks in UTC. The five ISO weeks
	// starting in November (2, 9, 16, 23, 30) give each 200 h. alice is
	// allocated 6 h a day from 2 to 27 November (120 h); bob 10 h a day
	// in the week of 9 November (50 h: over his 40).
	for _, p := range []string{"alice", "bob"} {
		must("PUT", "/api/v1/capacity/people/"+p, `{"team":"ops","zone":"UTC","hours":{"mon":8,"tue":8,"wed":8,"thu":8,"fri":8}}`, 200)
	}
	must("POST", "/api/v1/projects", `{"name":"migration","status":"confirmed","start":"2026-11-02","end":"2026-12-18","budget_hours":100}`, 201)
	must("POST", "/api/v1/allocations", `{"project":"migration","person":"alice","from":"2026-11-02","to":"2026-11-27","hours_per_day":6}`, 201)
	must("POST", "/api/v1/allocations", `{"project":"migration","person":"bob","from":"2026-11-09","to":"2026-11-13","hours_per_day":10}`, 201)
	// 90 h logged: 9 h on each weekday of 16–27 November.
	for _, d := range []string{"16", "17", "18", "19", "20", "23", "24", "25"} {
		must("POST", "/api/v1/projects/migration/time", `{"person":"alice","day":"2026-11-`+d+`","hours":9}`, 201)
	}
	clock.Set("2026-11-27T18:00:00Z")
	for _, d := range []string{"26", "27"} {
		must("POST", "/api/v1/projects/migration/time", `{"person":"alice","day":"2026-11-`+d+`","hours":9}`, 201)
	}

	// Certificates: the TLS and HTTPS checks of wiki, run for real, have
	// seen their servers' chains.
	for check, want := range map[string]time.Time{"wiki-tls": certSoon, "wiki-web": certLater} {
		waitUntil(t, check+" seeing its certificate", 15*time.Second, func() bool {
			var st struct {
				NotAfter time.Time `json:"certificate_not_after"`
			}
			return s.json("GET", "/api/v1/checks/"+check, "", &st) == 200 && st.NotAfter.Equal(want)
		})
	}
}

// post sends a body without credentials (the routing key authenticates).
func (s *server) post(path, body string) (int, string) {
	s.t.Helper()
	resp, err := http.Post(s.base+path, "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMonthlyReportHandWorked: November 2026 worked by hand gives every
// KPI that has a source its value through the API, and the CSV and PDF
// show the same figures.
//
// Availability (November: 720 h in service hours, 24x7):
//   - shop: 1 h down → 1 − 1/720 = 99.8611 % < 99.9 %: breached
//     (availability); cost 1 h × 600 = 600.
//   - mail: 45 min down → 99.8958 % ≥ 99 %, but one outage of 45 min >
//     max_outage 30 m: breached (max_outage).
//   - wiki: 100 % against 99 %: met, and 1 point above its target with a
//     budget of 5000 ≥ 2000: over-delivery (mail is 0.9 points above its
//     target too, but its budget is 1000).
//
// objectives met 1 of 3; tier-1 met 0 of 2; downtime 1h45m (6300 s).
// MTTA (5m + 15m)/2 = 10m (target 10m: met); MTTR (60m + 45m)/2 = 52m30s.
// Tickets: within SLA 2 of 3 (target 90 %: not met); first contact 1 of
// 3; backlog 1 ticket, 11 days old at 1 December 00:00.
// Drills 1 of 2 passed; plans reviewed 1 of 2. No backup job: no value.
// Projects: 1 running, forecast on time (10 h left at 90 h in the last
// four weeks) and within budget (90 of 100 h); actual against planned
// 90 ÷ 170 = 52.94 %; budget used 90 %.
// Utilisation (120 + 50) ÷ 400 = 42.5 %; 1 over-allocated person-week.
// Pages outside working hours: 1 (alice at 08:00).
// Changes: 2 deploys on shop, one failed: change-failure rate 50 %.
// Feedback on shop: 4 and 2 → 3.00 / 5. No licences: none over quota, no unused seats.
// Surveys: T1 answered 5, T2 2, T3 not: CSAT 1 of 2 = 50 %, mean 3.50;
// sentiment the mean of the four comments' stored scores. Certificates:
// wiki-tls sees a chain expiring 20 December 2026, within 30 days of the
// month's end; wiki-web one expiring in 2036: 1 certificate expiring.
func TestMonthlyReportHandWorked(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := &pageHook{hits: map[string]int{}}
			recv := httptest.NewServer(h)
			defer recv.Close()
			clock := &testClock{}
			clock.Set("2026-11-01T00:00:00Z")
			dir := t.TempDir()
			box, port := startInbox(t)
			soon, later := certServers(t)
			s := start(t, e, app.Options{ConfigPath: kpiConfig(t, dir, recv.URL, port, soon, later), DataDir: dir, Now: clock.Now})
			handWorkedMonth(t, s, clock, h, box)

			// While the month runs, the report is not frozen.
			var open kpi.Report
			if code := s.json("GET", "/api/v1/reports/monthly/2026-11", "", &open); code != 200 || open.Closed || open.Snapshot != nil {
				t.Fatalf("open month: %d closed=%v snapshot=%v", code, open.Closed, open.Snapshot)
			}

			clock.Set("2026-12-02T00:00:00Z")
			var rep kpi.Report
			if code := s.json("GET", "/api/v1/reports/monthly/2026-11", "", &rep); code != 200 {
				t.Fatalf("report: %d", code)
			}
			if !rep.Closed || rep.Snapshot == nil {
				t.Fatalf("closed month not frozen: closed=%v snapshot=%v", rep.Closed, rep.Snapshot)
			}
			if rep.ObjectivesMet != 1 || rep.ObjectivesTotal != 3 || rep.DowntimeSeconds != 6300 || rep.DowntimeCost != 600 {
				t.Errorf("summary: met %d of %d, downtime %v s, cost %v", rep.ObjectivesMet, rep.ObjectivesTotal, rep.DowntimeSeconds, rep.DowntimeCost)
			}
			verdicts := map[string]string{}
			for _, o := range rep.Objectives {
				verdicts[o.Service] = kpi.Verdict(o)
			}
			if verdicts["shop"] != "breached: availability" || verdicts["mail"] != "breached: max_outage" || verdicts["wiki"] != "met" {
				t.Errorf("verdicts: %v", verdicts)
			}
			if len(rep.OverDelivery) != 1 || rep.OverDelivery[0].Service != "wiki" {
				t.Errorf("over-delivery: %+v", rep.OverDelivery)
			}
			// The mean sentiment of shop's two comments, as stored.
			var ratings []struct{ Sentiment *float64 }
			if code := s.json("GET", "/api/v1/services/shop/feedback", "", &ratings); code != 200 || len(ratings) != 2 || ratings[0].Sentiment == nil || ratings[1].Sentiment == nil {
				t.Fatalf("shop's feedback: %d %+v", code, ratings)
			}
			sum := *ratings[0].Sentiment + *ratings[1].Sentiment
			for _, id := range []int{1, 2} {
				var sv struct{ Sentiment *float64 }
				if code := s.json("GET", fmt.Sprintf("/api/v1/tickets/%d/survey", id), "", &sv); code != 200 || sv.Sentiment == nil {
					t.Fatalf("the survey of ticket %d: %d %+v", id, code, sv)
				}
				sum += *sv.Sentiment
			}
			sentiment := math.Round(sum/4*10000) / 10000
			if *ratings[0].Sentiment <= 0.05 || *ratings[1].Sentiment >= -0.05 {
				t.Errorf("sentiment of a glad and a sour comment: %v, %v", *ratings[0].Sentiment, *ratings[1].Sentiment)
			}
			want := map[string]struct {
				value   any // float64, or nil for no value
				display string
			}{
				"objectives_met":              {1.0 / 3, "33.33%"},
				"downtime":                    {6300.0, "1h45m"},
				"mtta":                        {600.0, "10m"},
				"mttr":                        {3150.0, "52m30s"},
				"tickets_within_sla":          {2.0 / 3, "66.67%"},
				"first_contact_resolution":    {1.0 / 3, "33.33%"},
				"backlog_age":                 {950400.0, "1w4d"},
				"projects_on_time":            {1.0, "100%"},
				"projects_on_budget":          {1.0, "100%"},
				"actual_vs_planned_hours":     {0.5294, "52.94%"},
				"backups_within_rpo":          {nil, "—"},
				"drills_passed":               {0.5, "50%"},
				"plans_reviewed":              {0.5, "50%"},
				"certificates_expiring":       {1.0, "1"},
				"change_failure_rate":         {0.5, "50%"},
				"downtime_cost":               {600.0, "600.00 EUR"},
				"project_budget_used":         {0.9, "90%"},
				"licences_over_quota":         {0.0, "0"},
				"unused_seats":                {0.0, "0"},
				"tier1_objectives_met":        {0.0, "0%"},
				"over_delivery":               {1.0, "1"},
				"csat":                        {0.5, "50%"},
				"csat_mean":                   {3.5, "3.50 / 5"},
				"feedback_score":              {3.0, "3.00 / 5"},
				"feedback_sentiment":          {sentiment, fmt.Sprintf("%.2f", sentiment)},
				"utilisation":                 {0.425, "42.5%"},
				"over_allocated_person_weeks": {1.0, "1"},
				"pages_outside_hours":         {1.0, "1"},
			}
			for _, d := range kpi.Catalogue {
				w, ok := want[d.Name]
				if !ok {
					t.Errorf("%s: no hand-worked value", d.Name)
					continue
				}
				v, ok := rep.KPI(d.Name)
				if !ok {
					t.Errorf("%s: not in the report", d.Name)
					continue
				}
				switch {
				case w.value == nil && v.Value != nil:
					t.Errorf("%s = %v, want no value", d.Name, *v.Value)
				case w.value != nil && (v.Value == nil || fmt.Sprintf("%.4f", *v.Value) != fmt.Sprintf("%.4f", w.value)):
					t.Errorf("%s = %v (%s), want %v", d.Name, v.Value, v.Basis, w.value)
				}
				if v.Display != w.display {
					t.Errorf("%s shows %q, want %q", d.Name, v.Display, w.display)
				}
				if len(v.Trend) != kpi.TrendMonths || v.Trend[len(v.Trend)-1].Display != v.Display {
					t.Errorf("%s: trend %+v does not end on the month's value", d.Name, v.Trend)
				}
			}
			if v, _ := rep.KPI("mtta"); v.TargetMet == nil || !*v.TargetMet {
				t.Errorf("mtta target: %+v", v.TargetMet)
			}
			if v, _ := rep.KPI("tickets_within_sla"); v.TargetMet == nil || *v.TargetMet {
				t.Errorf("tickets_within_sla target: %+v", v.TargetMet)
			}
			if v, _ := rep.KPI("tickets_within_sla"); len(v.Parts) != 2 || v.Parts[0].Key != "first-line" || v.Parts[0].Display != "50%" || v.Parts[1].Display != "100%" || len(v.Links) != 3 {
				t.Errorf("tickets_within_sla by queue: %+v links %+v", v.Parts, v.Links)
			}
			if v, _ := rep.KPI("certificates_expiring"); len(v.Links) != 1 || v.Links[0].ID != "wiki-tls" || v.Links[0].URL != "/checks/wiki-tls" {
				t.Errorf("certificates_expiring links: %+v", v.Links)
			}
			// The checks' pages say the same.
			ui := s.signedIn(t)
			for check, soon := range map[string]bool{"wiki-tls": true, "wiki-web": false} {
				page := ui.page(t, "/checks/"+check)
				if !strings.Contains(page, `id="certificate"`) || strings.Contains(page, "within 30 days") != soon {
					t.Errorf("page of %s: certificate shown %v, within 30 days %v (want %v)", check,
						strings.Contains(page, `id="certificate"`), strings.Contains(page, "within 30 days"), soon)
				}
			}
			if v, _ := rep.KPI("mttr"); len(v.Links) != 2 || !strings.HasPrefix(v.Links[0].URL, "/incidents/") {
				t.Errorf("mttr links: %+v", v.Links)
			}

			// Every format shows the same figures.
			code, csvBody := s.do("GET", "/api/v1/reports/monthly/2026-11.csv", true)
			if code != 200 {
				t.Fatalf("csv: %d %s", code, csvBody)
			}
			rows, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			shown := map[string]string{}
			for _, r := range rows {
				if r[0] == "kpi" {
					shown[r[2]] = r[6]
				}
			}
			pdf := s.get(t, "/api/v1/reports/monthly/2026-11", "application/pdf")
			text := pdfText(t, pdf, "monthly-report-"+e.Name)
			for _, a := range rep.Areas {
				if !strings.Contains(text, a.Title) {
					t.Errorf("the PDF lacks the area %q", a.Title)
				}
				for _, v := range a.KPIs {
					if shown[v.Name] != v.Display {
						t.Errorf("CSV shows %s as %q, JSON %q", v.Name, shown[v.Name], v.Display)
					}
					if !pdfLine(text, v.Title, v.Display) {
						t.Errorf("no line of the PDF shows %s as %q", v.Title, v.Display)
					}
				}
			}
			page := s.signedIn(t).page(t, "/reports/monthly/2026-11")
			for _, a := range rep.Areas {
				for _, v := range a.KPIs {
					row := htmlRow(page, `id="kpi-`+v.Name+`"`)
					if !strings.Contains(row, ">"+html.EscapeString(v.Display)+"<") {
						t.Errorf("the page's row for %s lacks %q: %s", v.Name, v.Display, row)
					}
				}
			}
			if !strings.Contains(page, `id="objectives-met">1 of 3<`) || !strings.Contains(page, "Candidates to spend less on") {
				t.Error("the page lacks the summary or the over-delivery")
			}
			for _, w := range []string{"breached: availability", "breached: max_outage", "99.861%", "Candidates to spend less on", "600.00 EUR"} {
				if !strings.Contains(text, w) {
					t.Errorf("the PDF lacks %q", w)
				}
			}

			// History edited after the close: the frozen figures stay, and
			// the recomputation is shown as a correction.
			if code := s.json("POST", "/api/v1/services/wiki/outages", `{"start":"2026-11-20T10:00:00Z","end":"2026-11-20T20:00:00Z","state":"down","note":"found late"}`, nil); code != 201 {
				t.Fatalf("late outage: %d", code)
			}
			var again kpi.Report
			s.json("GET", "/api/v1/reports/monthly/2026-11", "", &again)
			if again.ObjectivesMet != 1 || again.Digest != rep.Digest || again.Correction == nil {
				t.Fatalf("after the edit: met %d, digest changed %v, correction %+v", again.ObjectivesMet, again.Digest != rep.Digest, again.Correction)
			}
			changed := map[string]kpi.Diff{}
			for _, d := range again.Correction.Changes {
				changed[d.KPI] = d
			}
			if d := changed["objectives_met"]; d.Was != "33.33%" || d.Now != "0%" {
				t.Errorf("correction of objectives_met: %+v (all: %+v)", d, again.Correction.Changes)
			}
			if page := s.signedIn(t).page(t, "/reports/monthly/2026-11"); !strings.Contains(htmlRow(page, `id="correction"`), "0%</strong> (was 33.33%)") {
				t.Errorf("the page does not show the correction")
			}

			// Bad input is named.
			var bad map[string]any
			if code := s.json("GET", "/api/v1/reports/monthly/2026-13", "", &bad); code != 400 || !strings.Contains(fmt.Sprint(bad), "YYYY-MM") {
				t.Errorf("bad month: %d %v", code, bad)
			}
			if code := s.json("GET", "/api/v1/reports/monthly/2026-11.docx", "", &bad); code != 400 || !strings.Contains(fmt.Sprint(bad), "docx") {
				t.Errorf("bad format: %d %v", code, bad)
			}
			if code := s.json("GET", "/api/v1/reports/monthly/2026-11?service=nope", "", &bad); code != 404 {
				t.Errorf("unknown service: %d %v", code, bad)
			}
			if code, _ := s.do("GET", "/api/v1/reports/monthly/2026-11", false); code != 401 {
				t.Errorf("without credentials: %d", code)
			}
			// One service's report carries only its own figures.
			var shop kpi.Report
			if code := s.json("GET", "/api/v1/reports/monthly/2026-11?service=shop", "", &shop); code != 200 || len(shop.Objectives) != 1 {
				t.Fatalf("shop report: %d %+v", code, shop.Objectives)
			}
			if v, _ := shop.KPI("mttr"); v.Display != "1h" {
				t.Errorf("shop mttr %q, want 1h", v.Display)
			}
			if _, ok := shop.KPI("utilisation"); ok {
				t.Error("a service's report carries team utilisation")
			}
		})
	}
}

// browserSession is a signed-in UI session.
type browserSession struct {
	s *server
	c *http.Client
}

// signedIn signs the first admin in through the login form.
func (s *server) signedIn(t *testing.T) browserSession {
	t.Helper()
	password := regexp.MustCompile(`sign in as "admin" with the password (\S+)`).FindStringSubmatch(s.out.String())
	if password == nil {
		t.Fatalf("no admin password in:\n%s", s.out)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	b := browserSession{s, c}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(b.page(t, "/login"))
	if m == nil {
		t.Fatal("no csrf on the login page")
	}
	res, err := c.PostForm(s.base+"/login", url.Values{"csrf": {m[1]}, "name": {"admin"}, "password": {password[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return b
}

func (b browserSession) page(t *testing.T, path string) string {
	t.Helper()
	res, err := b.c.Get(b.s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
	}
	return string(body)
}

// htmlRow is the markup from the element marked by attr to its end (the
// next </tr> or </div>).
func htmlRow(page, attr string) string {
	i := strings.Index(page, attr)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	for _, end := range []string{"</tr>", "</div>"} {
		if j := strings.Index(rest, end); j >= 0 {
			return rest[:j]
		}
	}
	return rest
}

// get fetches a path with an Accept header and answers the body.
func (s *server) get(t *testing.T, path, accept string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != accept {
		t.Fatalf("GET %s (%s): %d %s", path, accept, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return b
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils) and saves
// its pages as PNG images for review under test-output/reports. Without
// poppler the test is skipped, except on CI, which must have it.
func pdfText(t *testing.T, pdf []byte, name string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext (poppler-utils) is required on CI")
		}
		t.Skip("pdftotext is not installed (apt-get install poppler-utils)")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	if os.Getenv("SEXTANT_KEEP_PDF") != "" {
		_ = os.WriteFile(os.Getenv("SEXTANT_KEEP_PDF"), pdf, 0o600)
	}
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	if _, err := exec.LookPath("pdftoppm"); err == nil {
		shots := filepath.Join("..", "..", "test-output", "reports")
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("pdftoppm", "-png", "-r", "80", file, filepath.Join(shots, name)).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("pdftoppm (poppler-utils) is required on CI")
	}
	return string(out)
}

// pdfLine says whether a line of the PDF's text holds both title and
// value.
func pdfLine(text, title, value string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, title) && strings.Contains(l, value) {
			return true
		}
	}
	return false
}
