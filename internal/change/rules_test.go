package change

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t time.Time) *time.Time { return &t }

// TestAssess works risk out by hand: points per factor, summed, then the
// level (medium from 3, high from 6).
func TestAssess(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	weekday := RiskInput{Start: at("2026-12-02T10:00:00Z"), End: at("2026-12-02T11:00:00Z")} // Wednesday, 11:00–12:00 in Berlin
	for _, c := range []struct {
		name  string
		in    RiskInput
		score int
		level Level
		want  []string // "factor:points"
	}{
		{"nothing known", weekday, 0, Low, nil},
		{"tier 1 with half its budget", RiskInput{Start: weekday.Start, End: weekday.End,
			Services: []ServiceFacts{{Name: "shop", Tier: 1, Budget: time.Hour, BudgetLeft: 30 * time.Minute}}},
			3, Medium, []string{"tier:3", "error_budget:0"}},
		{"most critical service counts, tightest budget counts", RiskInput{Start: weekday.Start, End: weekday.End,
			Services: []ServiceFacts{{Name: "wiki", Tier: 3, Budget: time.Hour, BudgetLeft: 10 * time.Minute}, {Name: "shop", Tier: 2, Budget: time.Hour, BudgetLeft: 50 * time.Minute}}},
			4, Medium, []string{"tier:2", "error_budget:2"}},
		{"spent budget, outage, weekend on a 24x7 service", RiskInput{Start: at("2026-12-05T02:00:00Z"), End: at("2026-12-05T03:00:00Z"), Outage: true,
			Services: []ServiceFacts{{Name: "shop", Tier: 4, AlwaysOn: true, Budget: time.Hour, BudgetLeft: -5 * time.Minute}}},
			6, High, []string{"tier:0", "error_budget:3", "outage:2", "slot:1"}},
		{"out of hours in the service's zone", RiskInput{Start: at("2026-12-02T17:30:00Z"), End: at("2026-12-02T18:00:00Z"), // 18:30 in Berlin
			Services: []ServiceFacts{{Name: "shop", AlwaysOn: true, Zone: berlin}}},
			1, Low, []string{"slot:1"}},
		{"a business-hours service outside its hours is no slot risk", RiskInput{Start: at("2026-12-05T02:00:00Z"), End: at("2026-12-05T03:00:00Z"),
			Services: []ServiceFacts{{Name: "payroll", Tier: 3}}},
			1, Low, []string{"tier:1"}},
		{"items' history: the worst counts", RiskInput{Start: weekday.Start, End: weekday.End,
			Items: []ItemFacts{{Name: "db-01", Completed: 10, Failed: 1}, {Name: "lb-01", Completed: 4, Failed: 2}, {Name: "new", Completed: 0}}},
			3, Medium, []string{"item_history:3"}},
		{"a fifth failed", RiskInput{Start: weekday.Start, End: weekday.End, Items: []ItemFacts{{Name: "db-01", Completed: 5, Failed: 1}}},
			2, Low, []string{"item_history:2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Assess(c.in)
			var got []string
			for _, reason := range r.Reasons {
				got = append(got, fmt.Sprintf("%s:%d", reason.Factor, reason.Points))
			}
			if r.Score != c.score || r.Level != c.level || fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %d %s %v, want %d %s %v (%+v)", r.Score, r.Level, got, c.score, c.level, c.want, r.Reasons)
			}
		})
	}
	r := Assess(RiskInput{Start: at("2026-12-05T02:00:00Z"), End: at("2026-12-05T03:00:00Z"),
		Services: []ServiceFacts{{Name: "shop", AlwaysOn: true, Budget: time.Hour, BudgetLeft: -5 * time.Minute}}, Items: []ItemFacts{{Name: "lb-01", Completed: 4, Failed: 2}}})
	for _, want := range []string{"shop has spent its error budget (5m0s over)", "2 of the last 4 changes to lb-01 failed", "a weekend slot on shop, a 24x7 service: fewer people at hand"} {
		if !strings.Contains(fmt.Sprint(r.Reasons), want) {
			t.Errorf("reasons %+v lack %q", r.Reasons, want)
		}
	}
}

// TestFailureRate is the five changes worked by hand, plus the
// edges: a change not ended is left out, an incident exactly at the end of
// the window is outside it, a linked incident wins over a later one.
func TestFailureRate(t *testing.T) {
	done := func(id int64, services, items []string, ended string, o Outcome) Request {
		return Request{ID: id, Title: fmt.Sprint("c", id), Services: services, Items: items, EndedAt: ptr(at(ended)), Outcome: o}
	}
	changes := []Request{
		done(1, []string{"web"}, nil, "2026-11-25T10:00:00Z", Failed),
		done(2, []string{"web"}, nil, "2026-11-25T11:00:00Z", RolledBack),
		done(3, []string{"web"}, []string{"db-01"}, "2026-11-26T10:00:00Z", Successful),
		done(4, []string{"api"}, nil, "2026-11-27T10:00:00Z", Successful),
		done(5, []string{"cms"}, nil, "2026-11-27T12:00:00Z", Successful),
		{ID: 6, Services: []string{"web"}, State: InProgress},
	}
	incidents := []IncidentRef{
		{ID: 8, Service: "api", Items: []string{"db-01"}, OpenedAt: at("2026-11-28T12:00:00Z")}, // 26 h after change 4
		{ID: 7, Service: "api", Items: []string{"db-01"}, OpenedAt: at("2026-11-26T15:00:00Z")}, // 5 h after change 3, on its item
	}
	rep := FailureRate(changes, incidents, 24*time.Hour)
	var got []string
	for _, j := range rep.Changes {
		got = append(got, fmt.Sprintf("%d:%v:%s", j.ID, j.Failed, j.Reason))
	}
	want := []string{"1:true:ended failed", "2:true:rolled back", "3:true:incident #7 within 24h on item db-01", "4:false:", "5:false:"}
	if rep.Completed != 5 || rep.Failed != 3 || rep.Rate != 0.6 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %d/%d=%v %v, want 3/5 %v", rep.Failed, rep.Completed, rep.Rate, got, want)
	}

	// Exactly 24 h after is outside [end, end+24h); a second before is in.
	edge := []Request{done(1, []string{"api"}, nil, "2026-11-27T10:00:00Z", Successful)}
	if r := FailureRate(edge, []IncidentRef{{ID: 9, Service: "api", OpenedAt: at("2026-11-28T10:00:00Z")}}, 24*time.Hour); r.Failed != 0 {
		t.Fatalf("an incident at the window's end counted: %+v", r)
	}
	if r := FailureRate(edge, []IncidentRef{{ID: 9, Service: "api", OpenedAt: at("2026-11-28T09:59:59Z")}}, 24*time.Hour); r.Failed != 1 || r.Changes[0].Reason != "incident #9 within 24h on api" {
		t.Fatalf("an incident inside the window: %+v", r)
	}
	edge[0].Incidents = []Link{{Incident: 3, By: "ana"}}
	if r := FailureRate(edge, nil, 24*time.Hour); r.Changes[0].Reason != "incident #3 linked by ana" || r.Rate != 1 {
		t.Fatalf("a linked incident: %+v", r)
	}
	if r := FailureRate(nil, nil, 90*time.Minute); r.Rate != 0 || r.Completed != 0 || r.FailureWindow != "1h30m" {
		t.Fatalf("nothing: %+v", r)
	}
}

// TestStep walks the state machine: every refusal names why.
func TestStep(t *testing.T) {
	pending := Tally{Status: Submitted, Groups: []GroupTally{{Name: "cab", Quorum: 2, Approved: []string{"ana"}}}}
	approved := Tally{Status: Approved}
	for _, c := range []struct {
		name    string
		c       Request
		t       Tally
		to      State
		outcome Outcome
		err     string
	}{
		{"submit a draft", Request{Type: Normal, State: Draft}, pending, Submitted, "", ""},
		{"submit twice", Request{Type: Normal, State: Submitted}, pending, Submitted, "", "only a draft is submitted"},
		{"approve by status", Request{Type: Normal, State: Submitted}, pending, Approved, "", "approvers decide this"},
		{"schedule without approvals", Request{Type: Normal, State: Submitted}, pending, Scheduled, "", "awaits its approvals (cab: 1 of 2)"},
		{"schedule approved", Request{Type: Normal, State: Approved}, approved, Scheduled, "", ""},
		{"start unscheduled", Request{Type: Normal, State: Approved}, approved, InProgress, "", "not scheduled yet"},
		{"emergency starts at once", Request{Type: Emergency, State: Submitted}, pending, InProgress, "", ""},
		{"complete without outcome", Request{Type: Normal, State: InProgress}, approved, Completed, "", "say how it ended"},
		{"complete rolled back", Request{Type: Normal, State: InProgress}, approved, Completed, RolledBack, ""},
		{"outcome elsewhere", Request{Type: Normal, State: Scheduled}, approved, InProgress, Failed, "only with the status completed"},
		{"close an emergency before approval", Request{Type: Emergency, State: Completed}, pending, Closed, "", "once its emergency approvers have decided"},
		{"close a rejected change", Request{Type: Normal, State: Rejected}, Tally{Status: Rejected}, Closed, "", ""},
		{"back to draft", Request{Type: Normal, State: Submitted}, pending, Draft, "", "never returns to draft"},
		{"nonsense", Request{Type: Normal, State: Draft}, pending, "done", "", `unknown status "done"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Step(c.c, c.t, c.to, c.outcome)
			if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("Step = %v, want %q", err, c.err)
			}
		})
	}
}

// TestApprovals: groups by type and risk, membership by role or name, a
// quorum, a rejection.
func TestApprovals(t *testing.T) {
	groups := []ApproverGroup{
		{Name: "cab", Types: []Type{Normal}, Role: "admin", People: []string{"ana"}, Quorum: 2},
		{Name: "security", Risks: []Level{High}, People: []string{"sec"}, Quorum: 1},
		{Name: "emergency", Types: []Type{Emergency}, People: []string{"cto"}, Quorum: 1},
	}
	names := func(gs []ApproverGroup) string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		t    Type
		l    Level
		want string
	}{{Normal, Low, "cab"}, {Normal, High, "cab,security"}, {Emergency, High, "emergency"}, {Standard, High, ""}} {
		if got := names(Required(groups, c.t, c.l)); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.t, c.l, got, c.want)
		}
	}
	if got := names(Required(nil, Normal, Low)); got != "admins" {
		t.Errorf("no groups: %q", got)
	}
	if !Member(groups[0], "ana", "") || !Member(groups[0], "bob", auth.Admin) || Member(groups[0], "bob", auth.Operator) || Member(groups[0], "bot", auth.Agent) {
		t.Error("membership by name or role is wrong")
	}
	req := Required(groups, Normal, High)
	a := func(who, decision string, gs ...string) Approval {
		return Approval{Approver: who, Decision: decision, Groups: gs}
	}
	if tl := Count(req, []Approval{a("ana", Approve, "cab"), a("sec", Approve, "security")}); tl.Status != Submitted || tl.Waiting() != "cab: 1 of 2" {
		t.Fatalf("one short: %+v %s", tl, tl.Waiting())
	}
	if tl := Count(req, []Approval{a("ana", Approve, "cab"), a("bob", Approve, "cab"), a("sec", Approve, "security")}); tl.Status != Approved {
		t.Fatalf("quorum met: %+v", tl)
	}
	if tl := Count(req, []Approval{a("ana", Approve, "cab"), a("bob", Approve, "cab"), a("sec", Reject, "security")}); tl.Status != Rejected {
		t.Fatalf("a rejection: %+v", tl)
	}
}

// TestGuards: freeze periods cover their services (or all), overlaps are
// flagged by item.
func TestGuards(t *testing.T) {
	freezes := []Freeze{{Name: "shop-only", Start: at("2026-12-10T00:00:00Z"), End: at("2026-12-11T00:00:00Z"), Services: []string{"shop"}},
		{Name: "year-end", Start: at("2026-12-20T00:00:00Z"), End: at("2027-01-04T00:00:00Z")}}
	for _, c := range []struct {
		services   []string
		start, end string
		want       string
	}{
		{[]string{"wiki"}, "2026-12-10T10:00:00Z", "2026-12-10T11:00:00Z", ""},
		{[]string{"wiki", "shop"}, "2026-12-10T10:00:00Z", "2026-12-10T11:00:00Z", "shop-only"},
		{[]string{"wiki"}, "2026-12-19T23:00:00Z", "2026-12-20T00:00:00Z", ""}, // ends as the freeze starts
		{[]string{"wiki"}, "2026-12-19T23:00:00Z", "2026-12-20T00:00:01Z", "year-end"},
	} {
		f, ok := InFreeze(freezes, c.services, at(c.start), at(c.end))
		if (c.want == "") == ok || f.Name != c.want {
			t.Errorf("%v %s–%s: %q %v, want %q", c.services, c.start, c.end, f.Name, ok, c.want)
		}
	}
	c := Request{ID: 1, Items: []string{"db-01"}, PlannedStart: at("2026-12-10T10:00:00Z"), PlannedEnd: at("2026-12-10T12:00:00Z")}
	others := []Request{
		{ID: 2, Title: "patch", State: Scheduled, Items: []string{"db-01"}, PlannedStart: at("2026-12-10T11:00:00Z"), PlannedEnd: at("2026-12-10T13:00:00Z")},
		{ID: 3, State: Scheduled, Items: []string{"lb-01"}, PlannedStart: at("2026-12-10T11:00:00Z"), PlannedEnd: at("2026-12-10T13:00:00Z")},
		{ID: 4, State: Scheduled, Items: []string{"db-01"}, PlannedStart: at("2026-12-10T12:00:00Z"), PlannedEnd: at("2026-12-10T13:00:00Z")},
		{ID: 5, State: Rejected, Items: []string{"db-01"}, PlannedStart: at("2026-12-10T11:00:00Z"), PlannedEnd: at("2026-12-10T13:00:00Z")},
	}
	if got := Overlaps(c, others); len(got) != 1 || got[0] != "change #2 (patch) also touches db-01 from 2026-12-10T11:00:00Z to 2026-12-10T13:00:00Z" {
		t.Fatalf("overlaps: %q", got)
	}
}

// TestConfig: the section's mistakes are each named by path.
func TestConfig(t *testing.T) {
	_, fields := Config{FailureWindow: "soon", Templates: []Template{{Name: "a"}, {Name: "a", Title: "x"}},
		Approvers: []ApproverGroup{{Name: "cab", Types: []Type{"big"}, Quorum: 3, People: []string{"ana"}}, {Name: "x"}},
		Freezes:   []FreezeSpec{{Name: "f", Start: "2026-12-20T00:00:00Z", End: "2026-12-19T00:00:00Z"}}}.Compile()
	got := fmt.Sprint(fields)
	for _, want := range []string{"change.failure_window", "change.templates[0].title", "change.templates[1].name", "change.approvers[0].types[0]",
		"change.approvers[0].quorum", "change.approvers[1]", "change.freezes[0].end"} {
		if !strings.Contains(got, want+" ") && !strings.Contains(got, want+":") && !strings.Contains(got, "{"+want+" ") {
			t.Errorf("no problem at %s in %s", want, got)
		}
	}
	r, fields := Config{}.Compile()
	if len(fields) != 0 || r.FailureWindow != 24*time.Hour || r.LinkLifetime != 72*time.Hour {
		t.Fatalf("defaults: %+v %v", r, fields)
	}
}
