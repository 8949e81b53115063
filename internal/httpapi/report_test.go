package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

type reportAnswer struct {
	Service      string   `json:"service"`
	InHours      float64  `json:"in_hours_seconds"`
	Downtime     float64  `json:"downtime_seconds"`
	Availability *float64 `json:"availability"`
	Outages      int      `json:"outages"`
	Longest      float64  `json:"longest_outage_seconds"`
	Budget       float64  `json:"error_budget_seconds"`
	Remaining    float64  `json:"error_budget_remaining_seconds"`
	Cost         float64  `json:"downtime_cost"`
	Compliance   struct {
		Met      bool     `json:"met"`
		AtRisk   bool     `json:"at_risk"`
		Breaches []string `json:"breaches"`
	} `json:"compliance"`
	MTTR       *float64 `json:"mttr_seconds"`
	OutageList []struct {
		Duration float64 `json:"duration_seconds"`
		Counted  float64 `json:"counted_seconds"`
		State    string  `json:"state"`
		Source   string  `json:"source"`
	} `json:"outage_list"`
	CountedIntervals []struct {
		State   string  `json:"state"`
		Source  string  `json:"source"`
		Weight  float64 `json:"weight"`
		InHours float64 `json:"in_hours_seconds"`
		Counted float64 `json:"counted_seconds"`
	} `json:"counted_intervals"`
}

// TestHandWorkedReports records outages through the API and checks each
// report against figures worked out by hand (in the comments).
func TestHandWorkedReports(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		op := func(method, path, body string, want int) { h.mustDo(auth.Operator, method, path, body, want) }
		op("POST", "/api/v1/calendars", `{"name":"office","timezone":"Europe/Berlin","weekly":[{"days":"mon-fri","from":"09:00","to":"17:00"}],"holidays":["2026-12-25"]}`, 201)
		op("POST", "/api/v1/calendars", `{"name":"ny","timezone":"America/New_York","weekly":[{"days":"daily","from":"00:00","to":"24:00"}]}`, 201)
		services := []string{
			`{"name":"database","objective":{"availability":"99.9%","downtime_cost":3600}}`,
			`{"name":"payroll","depends_on":[{"service":"database","kind":"hard"}],"objective":{"hours":"office","availability":"99.5%","max_outage":"30m"}}`,
			`{"name":"intranet","depends_on":[{"service":"database","kind":"soft"}],"objective":{"availability":"99%","degraded":0.5}}`,
			`{"name":"berlin","objective":{"hours":"office","availability":"99%"}}`,
			`{"name":"berlin247","objective":{"availability":"99%"}}`,
			`{"name":"newyork","objective":{"hours":"ny","availability":"99%"}}`,
			`{"name":"maint","objective":{"availability":"99%"},"maintenance":[{"start":"2026-10-10T20:00:00Z","end":"2026-10-10T23:00:00Z"}]}`,
			`{"name":"merged","objective":{"availability":"99%","merge_gap":"5m","max_outages":0}}`,
			`{"name":"merged6","objective":{"availability":"99%","merge_gap":"5m","max_outage":"5m"}}`,
			`{"name":"blips","objective":{"availability":"99%","min_outage":"1m"}}`,
			`{"name":"degraded","objective":{"availability":"99%","degraded":0.5}}`,
			`{"name":"gaps","objective":{"availability":"99%","unknown":"down"}}`,
			`{"name":"monthly","objective":{"availability":"99.9%","period":"month"}}`,
			`{"name":"rolling","objective":{"availability":"99%","period":"30d"}}`,
		}
		for _, s := range services {
			op("POST", "/api/v1/services", s, 201)
		}
		outage := func(svc, start, end, state string) {
			op("POST", "/api/v1/services/"+svc+"/outages", fmt.Sprintf(`{"start":%q,"end":%q,"state":%q,"note":"test"}`, start, end, state), 201)
		}
		// Friday 16:30 to Monday 09:30 Berlin time (CET, UTC+1).
		outage("berlin", "2026-11-06T16:30:00+01:00", "2026-11-09T09:30:00+01:00", "down")
		// Spring forward in Berlin: 01:30 CET to 03:30 CEST is one hour.
		outage("berlin247", "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00", "down")
		// Fall back in New York: 01:30 EDT to 01:30 EST is one hour.
		outage("newyork", "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "down")
		// Fall back in Berlin: 02:30 CEST to 02:30 CET is one hour.
		outage("berlin247", "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", "down")
		// Spring forward in New York: 01:30 EST to 03:30 EDT is one hour.
		outage("newyork", "2026-03-08T01:30:00-05:00", "2026-03-08T03:30:00-04:00", "down")
		// On the Christmas holiday (a Friday): no service hours.
		outage("berlin", "2026-12-25T08:00:00+01:00", "2026-12-25T18:00:00+01:00", "down")
		// Down 22:00 to 24:00 UTC; maintenance 20:00-23:00 covers the first hour.
		outage("maint", "2026-10-10T22:00:00Z", "2026-10-11T00:00:00Z", "down")
		// Two runs of 5 min, 3 min apart: one outage with 10 min of downtime.
		outage("merged", "2026-10-05T10:00:00Z", "2026-10-05T10:05:00Z", "down")
		outage("merged", "2026-10-05T10:08:00Z", "2026-10-05T10:13:00Z", "down")
		// Two 2-minute runs 2 minutes apart: one 6-minute outage with 4 min of downtime.
		outage("merged6", "2026-10-05T10:00:00Z", "2026-10-05T10:02:00Z", "down")
		outage("merged6", "2026-10-05T10:04:00Z", "2026-10-05T10:06:00Z", "down")
		// A 30 s blip and a 2 min outage with min_outage 1m.
		outage("blips", "2026-10-05T10:00:00Z", "2026-10-05T10:00:30Z", "down")
		outage("blips", "2026-10-05T11:00:00Z", "2026-10-05T11:02:00Z", "down")
		// One hour degraded at weight 0.5 counts 30 min.
		outage("degraded", "2026-10-05T10:00:00Z", "2026-10-05T11:00:00Z", "degraded")
		// A known monitoring gap of 20 min counts as down with unknown: down.
		outage("gaps", "2026-10-05T10:00:00Z", "2026-10-05T10:20:00Z", "unknown")
		// Crossing the month boundary: one hour in October, one in November.
		outage("monthly", "2026-10-31T23:00:00Z", "2026-11-01T01:00:00Z", "down")
		// The database down 1 h: payroll (hard) down, intranet (soft) degraded.
		outage("database", "2026-11-10T10:00:00+01:00", "2026-11-10T11:00:00+01:00", "down")
		// Rolling 30 days ending now (2026-11-21 12:00Z) starts 2026-10-22 12:00Z.
		outage("rolling", "2026-10-22T11:00:00Z", "2026-10-22T13:00:00Z", "down")

		cases := []struct {
			name, service, query string
			check                func(t *testing.T, r reportAnswer)
		}{
			{"weekend outage counts 1h", "berlin", "from=2026-11-02T00:00:00%2B01:00&to=2026-11-16T00:00:00%2B01:00", func(t *testing.T, r reportAnswer) {
				// Ten weekdays of 8 h = 80 h = 288000 s; the outage counts Fri 16:30-17:00 and Mon 09:00-09:30.
				eq(t, "T", r.InHours, 288000)
				eq(t, "D", r.Downtime, 3600)
				eq(t, "longest", r.Longest, 3600)
				eqi(t, "outages", r.Outages, 1)
				eq(t, "availability", *r.Availability, 1-3600.0/288000)
			}},
			{"spring forward in Berlin", "berlin247", "from=2026-03-29T00:00:00%2B01:00&to=2026-03-30T00:00:00%2B02:00", func(t *testing.T, r reportAnswer) {
				eq(t, "T (a 23 h day)", r.InHours, 23*3600)
				eq(t, "D", r.Downtime, 3600)
			}},
			{"fall back in New York", "newyork", "from=2026-11-01T00:00:00-04:00&to=2026-11-02T00:00:00-05:00", func(t *testing.T, r reportAnswer) {
				eq(t, "T (a 25 h day)", r.InHours, 25*3600)
				eq(t, "D", r.Downtime, 3600)
			}},
			{"fall back in Berlin", "berlin247", "from=2026-10-25T00:00:00%2B02:00&to=2026-10-26T00:00:00%2B01:00", func(t *testing.T, r reportAnswer) {
				eq(t, "T (a 25 h day)", r.InHours, 25*3600)
				eq(t, "D", r.Downtime, 3600)
			}},
			{"spring forward in New York", "newyork", "from=2026-03-08T00:00:00-05:00&to=2026-03-09T00:00:00-04:00", func(t *testing.T, r reportAnswer) {
				eq(t, "T (a 23 h day)", r.InHours, 23*3600)
				eq(t, "D", r.Downtime, 3600)
			}},
			{"holiday has no service hours", "berlin", "from=2026-12-25T00:00:00%2B01:00&to=2026-12-26T00:00:00%2B01:00", func(t *testing.T, r reportAnswer) {
				eq(t, "T", r.InHours, 0)
				eq(t, "D", r.Downtime, 0)
				if r.Availability != nil {
					t.Errorf("availability = %v, want null when T = 0", *r.Availability)
				}
				eqi(t, "outages", r.Outages, 0)
			}},
			{"zero in-hours time on a weekend", "berlin", "from=2026-11-07T00:00:00%2B01:00&to=2026-11-09T00:00:00%2B01:00", func(t *testing.T, r reportAnswer) {
				eq(t, "T", r.InHours, 0)
				if r.Availability != nil {
					t.Errorf("availability = %v, want null", *r.Availability)
				}
			}},
			{"maintenance partly overlapping", "maint", "from=2026-10-10T00:00:00Z&to=2026-10-11T00:00:00Z", func(t *testing.T, r reportAnswer) {
				eq(t, "T (24 h − 3 h maintenance)", r.InHours, 21*3600)
				eq(t, "D", r.Downtime, 3600)
			}},
			{"merge_gap joins two runs", "merged", "from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z", func(t *testing.T, r reportAnswer) {
				eqi(t, "outages", r.Outages, 1)
				eq(t, "D (gap not counted)", r.Downtime, 600)
				eq(t, "longest (10:00-10:13, gap included)", r.Longest, 780)
				if r.Compliance.Met || strings.Join(r.Compliance.Breaches, ",") != "max_outages" {
					t.Errorf("compliance = %+v, want a max_outages breach", r.Compliance)
				}
			}},
			{"merged outage lasts its whole span", "merged6", "from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z", func(t *testing.T, r reportAnswer) {
				// 10:00-10:02 and 10:04-10:06 are one outage 10:00-10:06: it
				// lasts 6 min (over max_outage 5m), 4 min of it down.
				eqi(t, "outages", r.Outages, 1)
				eq(t, "D (2 + 2 min)", r.Downtime, 240)
				eq(t, "longest (6 min)", r.Longest, 360)
				if r.MTTR == nil || *r.MTTR != 360 {
					t.Errorf("MTTR = %v, want 360", r.MTTR)
				}
				if len(r.OutageList) != 1 || r.OutageList[0].Duration != 360 || r.OutageList[0].Counted != 240 {
					t.Errorf("outage list = %+v, want one lasting 360 s counting 240 s", r.OutageList)
				}
				if r.Compliance.Met || strings.Join(r.Compliance.Breaches, ",") != "max_outage" {
					t.Errorf("compliance = %+v, want a max_outage breach", r.Compliance)
				}
				if len(r.CountedIntervals) != 2 || r.CountedIntervals[0].Counted+r.CountedIntervals[1].Counted != 240 {
					t.Errorf("counted intervals = %+v, want the two 120 s runs", r.CountedIntervals)
				}
			}},
			{"min_outage drops a blip", "blips", "from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z", func(t *testing.T, r reportAnswer) {
				eqi(t, "outages", r.Outages, 1)
				eq(t, "D", r.Downtime, 120)
			}},
			{"degraded weight", "degraded", "from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z", func(t *testing.T, r reportAnswer) {
				eq(t, "D", r.Downtime, 1800)
				eqi(t, "outages", r.Outages, 0)
			}},
			{"unknown counts as down", "gaps", "from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z", func(t *testing.T, r reportAnswer) {
				eq(t, "D", r.Downtime, 1200)
				eqi(t, "outages", r.Outages, 1)
			}},
			{"crossing the period boundary: October part", "monthly", "from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z", func(t *testing.T, r reportAnswer) {
				eq(t, "D", r.Downtime, 3600)
				eqi(t, "outages", r.Outages, 1)
			}},
			{"crossing the period boundary: November part", "monthly", "period=current", func(t *testing.T, r reportAnswer) {
				// November 2026 (UTC): 30 days; budget 0.1 % of it = 2592 s.
				eq(t, "T", r.InHours, 30*86400)
				eq(t, "D", r.Downtime, 3600)
				eq(t, "budget", r.Budget, 2592)
				eq(t, "remaining", r.Remaining, 2592-3600)
				if r.Compliance.Met || strings.Join(r.Compliance.Breaches, ",") != "availability" {
					t.Errorf("compliance = %+v, want an availability breach", r.Compliance)
				}
			}},
			{"hard dependency", "payroll", "from=2026-11-10T00:00:00%2B01:00&to=2026-11-11T00:00:00%2B01:00", func(t *testing.T, r reportAnswer) {
				eq(t, "T", r.InHours, 8*3600)
				eq(t, "D", r.Downtime, 3600)
				if len(r.OutageList) != 1 || r.OutageList[0].Source != "dependency:database" {
					t.Errorf("outage list = %+v, want one caused by dependency:database", r.OutageList)
				}
				if strings.Join(r.Compliance.Breaches, ",") != "availability,max_outage" {
					t.Errorf("breaches = %v", r.Compliance.Breaches)
				}
			}},
			{"soft dependency", "intranet", "from=2026-11-10T00:00:00%2B01:00&to=2026-11-11T00:00:00%2B01:00", func(t *testing.T, r reportAnswer) {
				eq(t, "D (degraded 1 h at 0.5)", r.Downtime, 1800)
				eqi(t, "outages", r.Outages, 0)
				if c := r.CountedIntervals; len(c) != 1 || c[0].State != "degraded" || c[0].Source != "dependency:database" || c[0].Weight != 0.5 || c[0].InHours != 3600 || c[0].Counted != 1800 {
					t.Errorf("counted intervals = %+v, want the database's hour degraded at 0.5", c)
				}
			}},
			{"downtime cost", "database", "from=2026-11-10T00:00:00%2B01:00&to=2026-11-11T00:00:00%2B01:00", func(t *testing.T, r reportAnswer) {
				eq(t, "cost (1 h × 3600/h)", r.Cost, 3600)
			}},
			{"rolling 30 days", "rolling", "period=current", func(t *testing.T, r reportAnswer) {
				eq(t, "T", r.InHours, 30*86400)
				eq(t, "D (12:00-13:00 of the outage)", r.Downtime, 3600)
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sub := *h
				sub.t = t
				b := sub.mustDo(auth.Viewer, "GET", "/api/v1/services/"+c.service+"/report?"+c.query, "", 200)
				var r reportAnswer
				if err := json.Unmarshal(b, &r); err != nil {
					t.Fatal(err)
				}
				if r.Service != c.service {
					t.Fatalf("service = %q", r.Service)
				}
				c.check(t, r)
				if t.Failed() {
					t.Logf("report: %s", b)
				}
			})
		}

		// Bad ranges are 400s naming the parameter.
		for _, q := range []string{"from=yesterday&to=2026-11-01T00:00:00Z", "from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "from=2026-11-01T00:00:00Z", "period=fortnight", "period=current&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z"} {
			code, b := h.do(auth.Viewer, "GET", "/api/v1/services/berlin/report?"+q, "")
			if code != 400 || !strings.Contains(string(b), `"parameter"`) {
				t.Errorf("?%s = %d %s", q, code, b)
			}
		}
		h.mustDo(auth.Viewer, "GET", "/api/v1/services/ghost/report", "", 404)

		// The timeline names the input behind each interval.
		b := h.mustDo(auth.Viewer, "GET", "/api/v1/services/payroll/timeline?from="+url.QueryEscape("2026-11-10T09:00:00Z")+"&to="+url.QueryEscape("2026-11-10T11:00:00Z"), "", 200)
		if !strings.Contains(string(b), `"source": "dependency:database"`) || !strings.Contains(string(b), `"state": "down"`) {
			t.Errorf("timeline: %s", b)
		}
	})
}

func eq(t *testing.T, what string, got, want float64) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func eqi(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, want %d", what, got, want)
	}
}

// TestOutageAPI covers recording, listing, deleting and refusing outages.
func TestOutageAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop","objective":{"availability":"99%"}}`, 201)
		b := h.mustDo(auth.Operator, "POST", "/api/v1/services/shop/outages", `{"start":"2026-11-01T10:00:00Z","end":"2026-11-01T11:00:00Z","state":"down","note":"power"}`, 201)
		var o struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(b, &o); err != nil || o.ID == 0 {
			t.Fatalf("created outage: %s", b)
		}
		b = h.mustDo(auth.Viewer, "GET", "/api/v1/services/shop/outages", "", 200)
		if !strings.Contains(string(b), `"note": "power"`) {
			t.Fatalf("list: %s", b)
		}
		for _, c := range []struct{ body, pointer string }{
			{`{"start":"2026-11-01T11:00:00Z","end":"2026-11-01T10:00:00Z","state":"down"}`, "/end"},
			{`{"start":"2026-11-01T10:00:00Z","end":"2026-11-01T11:00:00Z","state":"broken"}`, "/state"},
			{`{"end":"2026-11-01T11:00:00Z","state":"down"}`, "/start"},
			{`{"start":"2026-11-01T10:00:00Z","state":"down"}`, "/end"},
			{`{"start":"2026-11-01T10:00:00Z","end":"2026-11-01T11:00:00Z"}`, "/state"},
			{`{"start":"10 o'clock","end":"2026-11-01T11:00:00Z","state":"down"}`, "/start"},
		} {
			code, b := h.do(auth.Operator, "POST", "/api/v1/services/shop/outages", c.body)
			if code != 400 || !strings.Contains(string(b), `"pointer":"`+c.pointer+`"`) {
				t.Errorf("%s: %d %s, want 400 at %s", c.body, code, b, c.pointer)
			}
		}
		h.mustDo(auth.Operator, "POST", "/api/v1/services/ghost/outages", `{"start":"2026-11-01T10:00:00Z","end":"2026-11-01T11:00:00Z","state":"down"}`, 404)
		h.mustDo(auth.Viewer, "POST", "/api/v1/services/shop/outages", `{"start":"2026-11-01T10:00:00Z","end":"2026-11-01T11:00:00Z","state":"down"}`, 403)
		h.mustDo(auth.Operator, "DELETE", fmt.Sprintf("/api/v1/services/shop/outages/%d", o.ID), "", 204)
		h.mustDo(auth.Operator, "DELETE", fmt.Sprintf("/api/v1/services/shop/outages/%d", o.ID), "", 404)
		h.mustDo(auth.Operator, "DELETE", "/api/v1/services/shop/outages/abc", "", 400)
		b = h.mustDo(auth.Admin, "GET", "/api/v1/audit?object_type=outage", "", 200)
		if strings.Count(string(b), `"object_type": "outage"`) != 2 {
			t.Errorf("audit of outages: %s", b)
		}
	})
}
