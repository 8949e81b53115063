package kpi

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func all() map[string]bool {
	h := map[string]bool{}
	for _, s := range []string{SrcAvailability, SrcIncidents, SrcTickets, SrcBackups, SrcDrills, SrcCapacity, SrcPages, SrcCertificates, SrcChanges, SrcSatisfaction, SrcLicences} {
		h[s] = true
	}
	return h
}

// handInputs is a month worked by hand: November 2026, at its end.
func handInputs() *Inputs {
	from, to := at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z")
	return &Inputs{From: from, To: to, At: to, Have: all(),
		Services: []ServiceFigures{
			{Service: "a", Tier: 1, HasObjective: true, Target: 0.999, Availability: ptr(0.9995), Met: true, DowntimeSeconds: 1296, DowntimeCost: 36, Budget: 10000},
			{Service: "b", Tier: 1, HasObjective: true, Target: 0.99, Availability: ptr(0.98), Breaches: []string{"availability"}, DowntimeSeconds: 51840, DowntimeCost: 1440.5, Budget: 100},
			{Service: "c", Tier: 2, HasObjective: true, Target: 0.99, Availability: ptr(1.0), Met: true, Budget: 500},
			{Service: "d"}, // no objective: never judged
		},
		Incidents: []Incident{
			// Acknowledged in October: not counted for MTTA; resolved in
			// November: counted for MTTR (2 h).
			{ID: 1, Service: "a", CreatedAt: at("2026-10-31T23:00:00Z"), AcknowledgedAt: ptr(at("2026-10-31T23:30:00Z")), ResolvedAt: ptr(at("2026-11-01T01:00:00Z"))},
			{ID: 2, Service: "b", CreatedAt: at("2026-11-02T10:00:00Z"), AcknowledgedAt: ptr(at("2026-11-02T10:10:00Z")), ResolvedAt: ptr(at("2026-11-02T11:00:00Z"))},
			// Still open at the month's end.
			{ID: 3, Service: "b", CreatedAt: at("2026-11-30T23:00:00Z"), AcknowledgedAt: ptr(at("2026-11-30T23:20:00Z"))},
		},
		Tickets: []Ticket{
			{ID: 1, Queue: "q1", OpenedAt: at("2026-11-01T00:00:00Z"), Resolved: ptr(at("2026-11-02T00:00:00Z")), ResolutionBreached: ptr(false), AgentReplies: 1},
			{ID: 2, Queue: "q1", OpenedAt: at("2026-11-01T00:00:00Z"), Resolved: ptr(at("2026-11-03T00:00:00Z")), ResolutionBreached: ptr(true), AgentReplies: 0},
			{ID: 3, Queue: "q2", OpenedAt: at("2026-11-01T00:00:00Z"), Resolved: ptr(at("2026-11-04T00:00:00Z")), AgentReplies: 3},
			// Open at the end: 2 days and 4 days old; resolved in December
			// counts as open at November's end.
			{ID: 4, Queue: "q2", OpenedAt: at("2026-11-29T00:00:00Z")},
			{ID: 5, Queue: "q2", OpenedAt: at("2026-11-27T00:00:00Z"), Resolved: ptr(at("2026-12-05T00:00:00Z"))},
		},
		Changes: []Change{
			{ID: 1, Services: []string{"a"}, EndedAt: at("2026-11-05T00:00:00Z"), Failed: true},
			{ID: 2, Services: []string{"a"}, EndedAt: at("2026-11-06T00:00:00Z")},
			{ID: 3, Services: []string{"b"}, EndedAt: at("2026-11-07T00:00:00Z")},
			{ID: 4, Services: []string{"b"}, EndedAt: at("2026-10-07T00:00:00Z"), Failed: true}, // October
		},
		Backups: []Backup{{Job: "db", Service: "a", Compliance: 1}, {Job: "files", Service: "b", Compliance: 0.9, Breaches: 1}},
		Drills:  []Drill{{ID: 1, Plan: "a-dr", Service: "a", StartedAt: at("2026-11-10T10:00:00Z"), Passed: true}, {ID: 2, Plan: "a-dr", Service: "a", StartedAt: at("2026-10-10T10:00:00Z")}},
		Plans:   []Plan{{Name: "a-dr", Service: "a", Reviewed: at("2025-12-01T00:00:00Z")}, {Name: "b-dr", Service: "b", Reviewed: at("2025-11-30T00:00:00Z")}, {Name: "c-dr", Service: "c"}},
		Projects: []Project{
			{Name: "p1", Start: "2026-10-01", End: "2026-11-20", PlannedHours: 100, ActualHours: 120, BudgetHours: 110, OverBudget: true},
			{Name: "p2", Start: "2026-11-15", End: "2027-01-31", PlannedHours: 50, ActualHours: 10, BudgetHours: 90, Late: true},
			{Name: "p3", Start: "2026-12-01", End: "2027-01-31", PlannedHours: 500}, // starts after November
			{Name: "p4", Start: "2026-01-01", End: "2026-10-31", PlannedHours: 500}, // ended before
		},
		Ratings: []Rating{{ID: 1, Service: "a", Kind: "csat", Score: 5, At: at("2026-11-03T00:00:00Z"), Sentiment: ptr(0.6)},
			{ID: 2, Service: "a", Kind: "csat", Score: 2, At: at("2026-11-04T00:00:00Z"), Sentiment: ptr(-0.2)},
			{ID: 3, Service: "b", Kind: "feedback", Score: 4, At: at("2026-11-05T00:00:00Z"), Sentiment: ptr(0.5)},
			{ID: 4, Service: "b", Kind: "feedback", Score: 3, At: at("2026-10-05T00:00:00Z"), Sentiment: ptr(-0.9)}}, // October
		Licences:     []Licence{{Name: "office", Seats: 10, Used: 12, Over: 2}, {Name: "cad", Seats: 5, Used: 2, Unused: 3}, {Name: "wiki", Unlimited: true, Used: 40}},
		Certificates: []Certificate{{Check: "tls-a", Service: "a", ExpiresAt: at("2026-12-20T00:00:00Z")}, {Check: "tls-b", Service: "b", ExpiresAt: at("2027-03-01T00:00:00Z")}},
		PersonWeeks: []PersonWeek{
			{Person: "p", Team: "ops", Week: "2026-W45", Monday: "2026-11-02", CapacityHours: 40, AllocatedHours: 44},
			{Person: "q", Team: "dev", Week: "2026-W45", Monday: "2026-11-02", CapacityHours: 40, AllocatedHours: 20},
			{Person: "p", Team: "ops", Week: "2026-W44", Monday: "2026-10-26", CapacityHours: 40, AllocatedHours: 80}, // October's
		},
		Pages: []Page{{Person: "p", IncidentID: 2, At: at("2026-11-02T10:00:00Z")}, {Person: "p", IncidentID: 3, At: at("2026-11-30T23:00:00Z"), OutsideHours: true}},
	}
}

// TestComputeHandWorked checks each formula against figures worked out
// by hand in the comments.
func TestComputeHandWorked(t *testing.T) {
	o := Options{Targets: map[string]float64{"mttr": 3600}, OverDeliveryMargin: 0.0004, OverDeliveryMinBudget: 1000}
	got := map[string]Value{}
	for _, v := range Compute(handInputs(), o) {
		got[v.Name] = v
	}
	for _, c := range []struct {
		name    string
		display string
	}{
		{"objectives_met", "66.67%"},           // a and c of a, b, c (d has no objective)
		{"tier1_objectives_met", "50%"},        // a of a, b
		{"downtime", "14h45m36s"},              // 1296 + 51840 = 53136 s
		{"downtime_cost", "1,476.5"},           // 36 + 1440.5
		{"mtta", "15m"},                        // (10m + 20m) / 2: incident 1 was acknowledged in October
		{"mttr", "1h30m"},                      // (2h + 1h) / 2
		{"tickets_within_sla", "50%"},          // 1 of 2 with a target
		{"first_contact_resolution", "66.67%"}, // tickets 1 (one reply) and 2 (none) of 1, 2, 3
		{"backlog_age", "3d"},                  // (2d + 4d) / 2
		{"change_failure_rate", "33.33%"},      // 1 of 3 in November
		{"csat", "50%"},                        // the 5 of 5 and 2: share of 4–5
		{"csat_mean", "3.50 / 5"},              // (5 + 2) / 2
		{"feedback_score", "4.00 / 5"},         // November's only
		{"feedback_sentiment", "0.30"},         // (0.6 − 0.2 + 0.5) / 3
		{"licences_over_quota", "1"},
		{"unused_seats", "3"},
		{"certificates_expiring", "1"}, // tls-a within 30 days of 1 December
		{"utilisation", "80%"},         // (44 + 20) ÷ 80
		{"over_allocated_person_weeks", "1"},
		{"pages_outside_hours", "1"},
		{"over_delivery", "1"},
		{"backups_within_rpo", "50%"},         // db of db, files
		{"drills_passed", "100%"},             // the October drill is not November's
		{"plans_reviewed", "33.33%"},          // a-dr exactly 365 days before 1 December; b-dr 366; c-dr never
		{"projects_on_time", "50%"},           // p1 of p1, p2
		{"projects_on_budget", "50%"},         // p2 of p1, p2
		{"actual_vs_planned_hours", "86.67%"}, // 130 ÷ 150
		{"project_budget_used", "65%"},        // 130 ÷ 200 // a: 0.05 points above (> 0.04) with budget 10000; c: 1 point, budget 500 < 1000
	} {
		v, ok := got[c.name]
		if !ok {
			t.Errorf("%s: missing", c.name)
			continue
		}
		if v.Display != c.display {
			t.Errorf("%s = %q (%s), want %q", c.name, v.Display, v.Basis, c.display)
		}
	}
	if v := got["mttr"]; v.TargetMet == nil || *v.TargetMet {
		t.Errorf("mttr 1h30m against a target of 1h: met = %v", v.TargetMet)
	}
	if v := got["change_failure_rate"]; len(v.Parts) != 2 || v.Parts[0].Key != "a" || v.Parts[0].Display != "50%" || v.Parts[1].Display != "0%" {
		t.Errorf("change_failure_rate by service: %+v", v.Parts)
	}
	if v := got["utilisation"]; len(v.Parts) != 2 || v.Parts[0].Key != "dev" || v.Parts[0].Display != "50%" || v.Parts[1].Display != "110%" {
		t.Errorf("utilisation by team: %+v", v.Parts)
	}
	if v := got["mttr"]; len(v.Links) != 2 || v.Links[0].URL != "/incidents/1" || v.Links[1].URL != "/incidents/2" {
		t.Errorf("mttr links: %+v", v.Links)
	}
}

// TestNoSourceIsNoData: without a source a KPI has no value and says so;
// with one and nothing to count, it has no value either, but no reason.
func TestNoSourceIsNoData(t *testing.T) {
	in := handInputs()
	in.Have = map[string]bool{SrcTickets: true}
	in.Tickets = nil
	for _, v := range Compute(in, Options{}) {
		switch v.Name {
		case "change_failure_rate":
			if v.Value != nil || v.NoData == "" || v.Display != "no data" {
				t.Errorf("change_failure_rate without a source: %+v", v)
			}
		case "tickets_within_sla":
			if v.Value != nil || v.NoData != "" || v.Display != "—" {
				t.Errorf("tickets_within_sla with nothing to count: %+v", v)
			}
		}
	}
}

func TestOverDeliveryMargin(t *testing.T) {
	ss := []ServiceFigures{
		// 99.95 % against 99.9 % is 0.05 points: not more than a 0.05-point margin.
		{Service: "edge", HasObjective: true, Target: 0.999, Availability: ptr(0.9995), Budget: 1},
		{Service: "over", HasObjective: true, Target: 0.999, Availability: ptr(0.99951), Budget: 2},
		{Service: "cheap", HasObjective: true, Target: 0.99, Availability: ptr(1.0)},
		{Service: "full", HasObjective: true, Target: 1, Availability: ptr(1.0), Budget: 5},
	}
	got := OverDelivery(ss, Options{})
	if len(got) != 1 || got[0].Service != "over" {
		t.Fatalf("over-delivery: %+v", got)
	}
}

func TestOutsideHours(t *testing.T) {
	ber, _ := time.LoadLocation("Europe/Berlin")
	week := [7]float64{8, 8, 8, 8, 6, 0, 0}
	for _, c := range []struct {
		at   string
		want bool
	}{
		{"2026-11-02T07:59:00Z", true},  // Monday 08:59 Berlin: before 09:00
		{"2026-11-02T08:00:00Z", false}, // Monday 09:00 Berlin
		{"2026-11-02T15:59:00Z", false}, // 16:59
		{"2026-11-02T16:00:00Z", true},  // 17:00: the 8 h are over
		{"2026-11-06T14:00:00Z", true},  // Friday 15:00: a 6 h day ends at 15:00
		{"2026-11-07T10:00:00Z", true},  // Saturday
		{"2026-03-30T07:00:00Z", false}, // Monday after the spring change: 09:00 CEST
	} {
		if got := OutsideHours(at(c.at), ber, week); got != c.want {
			t.Errorf("%s: outside = %v, want %v", c.at, got, c.want)
		}
	}
}

func TestParseMonthAndConfig(t *testing.T) {
	if _, err := ParseMonth("2026-13"); err == nil {
		t.Error("2026-13 parsed")
	}
	if m, err := ParseMonth("2026-01"); err != nil || m.Add(-1).String() != "2025-12" {
		t.Errorf("2026-01 - 1 = %v %v", m.Add(-1), err)
	}
	c := Config{Targets: map[string]string{"nope": "1", "mtta": "soon", "tickets_within_sla": "95%"}, OverDelivery: OverDeliveryConfig{Margin: "0.05"}}
	o, fs := c.Options()
	var paths []string
	for _, f := range fs {
		paths = append(paths, f.Path)
	}
	if strings.Join(paths, " ") != "kpi.targets.mtta kpi.targets.nope kpi.over_delivery.margin" || o.Targets["tickets_within_sla"] != 0.95 {
		t.Errorf("problems at %v, targets %v", paths, o.Targets)
	}
	rc := ReportConfig{Timezone: "Mars/Olympus", Subscribers: []string{"ok@example.com", "Bob <bob@example.com>"}, SendAfter: "later"}
	paths = nil
	for _, f := range rc.Validate() {
		paths = append(paths, f.Path)
	}
	if strings.Join(paths, " ") != "report.timezone report.subscribers[1] report.send_after" {
		t.Errorf("report problems at %v", paths)
	}
}

// TestRenderSameNumbers: the CSV and the PDF are drawn from one report.
func TestRenderSameNumbers(t *testing.T) {
	ins := []*Inputs{handInputs()}
	r := Assemble(Month{2026, time.November}, "", ins, Options{}, at("2026-12-02T00:00:00Z"))
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, a := range r.Areas {
		for _, v := range a.KPIs {
			if !strings.Contains(buf.String(), "kpi,"+a.Name+","+v.Name+",,") {
				t.Errorf("CSV lacks %s", v.Name)
			}
		}
	}
	pdf, err := PDF(r)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("PDF: %v", err)
	}
	again, _ := PDF(r)
	if !bytes.Equal(pdf, again) {
		t.Error("the same report renders two different PDFs")
	}
	if d := Digest(ins, Options{}); d != r.Digest || d == Digest(ins, Options{Currency: "EUR"}) {
		t.Error("the digest does not follow the inputs and options")
	}
}
