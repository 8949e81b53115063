package portal

import (
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/desk"
)

var day0 = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

func TestCompileNamesEveryProblem(t *testing.T) {
	items := []Item{{Name: "Bad Name", Title: "", Service: "nope", Queue: "q", SLAPolicy: "p",
		Fields: []Field{
			{Name: "a", Label: "A", Type: "colour"},
			{Name: "a", Label: "", Type: FieldChoice},
			{Name: "n", Label: "N", Type: FieldNumber, Min: "ten", Max: "5"},
			{Name: "d", Label: "D", Type: FieldDate, Min: "tomorrow"},
			{Name: "t", Label: "T", Type: FieldText, Pattern: "(", Min: "1.5"},
			{Name: "u", Label: "U", Type: FieldUser, Max: "3", Choices: []string{"x"}},
		},
		Approval: &ApprovalRule{Role: "requester", People: []string{"ann"}, Quorum: 2}}}
	_, problems := Compile(items, Settings{ReopenWithin: "soon"}, Refs{PolicyFor: func(string) string { return "other" }, Policies: map[string]bool{"p": true}})
	got := map[string]bool{}
	for _, p := range problems {
		got[p.Path] = true
	}
	for _, want := range []string{"desk.portal.reopen_within", "desk.catalog[0].name", "desk.catalog[0].title", "desk.catalog[0].service",
		"desk.catalog[0].queue", "desk.catalog[0].sla_policy", "desk.catalog[0].fields[0].type", "desk.catalog[0].fields[1].name",
		"desk.catalog[0].fields[1].label", "desk.catalog[0].fields[1].choices", "desk.catalog[0].fields[2].min",
		"desk.catalog[0].fields[3].min", "desk.catalog[0].fields[4].pattern", "desk.catalog[0].fields[4].min",
		"desk.catalog[0].fields[5].max", "desk.catalog[0].fields[5].choices", "desk.catalog[0].approval", "desk.catalog[0].approval.role",
		"desk.catalog[0].approval.quorum"} {
		if !got[want] {
			t.Errorf("no problem at %s; got %v", want, problems)
		}
	}
}

// laptop is a form with every kind of field.
func laptop(t *testing.T) CompiledItem {
	t.Helper()
	c, problems := Compile([]Item{{Name: "laptop", Title: "New laptop", Fields: []Field{
		{Name: "model", Label: "Model", Type: FieldChoice, Required: true, Choices: []string{"standard", "developer"}},
		{Name: "extras", Label: "Extras", Type: FieldMultiChoice, Choices: []string{"dock", "bag", "mouse"}, Max: "2"},
		{Name: "memory", Label: "Memory", Type: FieldNumber, Min: "8", Max: "64"},
		{Name: "needed_by", Label: "Needed by", Type: FieldDate, Required: true, Min: "today+1d", Max: "2026-12-31"},
		{Name: "cost_centre", Label: "Cost centre", Type: FieldText, Required: true, Pattern: `CC-\d{4}`},
		{Name: "why", Label: "Why", Type: FieldTextarea, Min: "10"},
		{Name: "manager", Label: "Manager", Type: FieldUser},
	}}}, Settings{}, Refs{})
	if problems != nil {
		t.Fatal(problems)
	}
	return c.Items[0]
}

func TestValidateHandWorked(t *testing.T) {
	it := laptop(t)
	isUser := func(n string) bool { return n == "mara" }
	// day0 is 10 March: today+1d is 11 March.
	for _, tc := range []struct {
		name string
		in   Values
		want map[string]string // path → a part of its message
	}{
		{"all wrong", Values{"model": "gold", "extras": []any{"dock", "bag", "mouse"}, "memory": "4", "needed_by": "2026-03-10",
			"cost_centre": "cc-12", "why": "short", "manager": "nobody", "colour": "red"},
			map[string]string{"fields.model": `"gold" is not one of the choices`, "fields.extras": "pick at most 2", "fields.memory": "at least 8, not 4",
				"fields.needed_by": "on or after 2026-03-11", "fields.cost_centre": `must match the pattern CC-\d{4}`,
				"fields.why": "at least 10 characters, not 5", "fields.manager": `no user is called "nobody"`, "fields.colour": "is not a field"}},
		{"required missing", Values{"memory": 99.5, "needed_by": "2027-01-01"},
			map[string]string{"fields.model": "Model is required", "fields.memory": "at most 64, not 99.5", "fields.needed_by": "on or before 2026-12-31",
				"fields.cost_centre": "Cost centre is required"}},
		{"not a date, not a number, not a list", Values{"model": "standard", "needed_by": "11/03/2026", "memory": "lots", "extras": 3.0, "cost_centre": "CC-1234"},
			map[string]string{"fields.needed_by": "is not a date", "fields.memory": `"lots" is not a number`, "fields.extras": "must be a list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := it.Validate(tc.in, day0, isUser)
			got := map[string]string{}
			for _, p := range problems {
				got[p.Path] = p.Msg
			}
			if len(got) != len(tc.want) {
				t.Errorf("%d problems, want %d: %v", len(got), len(tc.want), got)
			}
			for path, part := range tc.want {
				if !strings.Contains(got[path], part) {
					t.Errorf("%s: %q, want it to say %q", path, got[path], part)
				}
			}
		})
	}
	clean, problems := it.Validate(Values{"model": "developer", "extras": []string{"bag", "dock", "bag"}, "memory": "32", "needed_by": "2026-03-11",
		"cost_centre": " CC-4711 ", "why": "", "manager": "mara"}, day0, isUser)
	if problems != nil {
		t.Fatal(problems)
	}
	want := map[string]any{"model": "developer", "extras": []string{"bag", "dock"}, "memory": 32.0, "needed_by": "2026-03-11", "cost_centre": "CC-4711", "manager": "mara"}
	if len(clean) != len(want) {
		t.Fatalf("clean %v, want %v", clean, want)
	}
	for k, v := range want {
		if FormatValue(clean[k]) != FormatValue(v) {
			t.Errorf("%s = %v, want %v", k, clean[k], v)
		}
	}
	if d := it.Describe(clean); !strings.Contains(d, "Extras: bag, dock\nMemory: 32\n") {
		t.Errorf("description %q", d)
	}
}

func TestTally(t *testing.T) {
	for _, tc := range []struct {
		decisions []string
		quorum    int
		want      string
	}{
		{[]string{"", ""}, 1, ApprovalPending},
		{[]string{"approved", ""}, 1, ApprovalApproved},
		{[]string{"approved", "", ""}, 2, ApprovalPending},
		{[]string{"approved", "approved", ""}, 2, ApprovalApproved},
		{[]string{"approved", "rejected", "approved"}, 2, ApprovalRejected},
		{[]string{"approved"}, 0, ApprovalApproved},
	} {
		if got := Tally(tc.decisions, tc.quorum); got != tc.want {
			t.Errorf("Tally(%v, %d) = %q, want %q", tc.decisions, tc.quorum, got, tc.want)
		}
	}
}

func TestSees(t *testing.T) {
	rita := Who{Name: "rita", Email: "Rita@Example.com", Organisation: "acme"}
	for _, tc := range []struct {
		requester, org string
		shared, want   bool
	}{
		{"rita", "", false, true},
		{"rita@example.com", "", false, true},
		{"rob", "acme", false, false},
		{"rob", "acme", true, true},
		{"sam", "globex", true, false},
	} {
		if got := rita.Sees(tc.requester, tc.org, tc.shared); got != tc.want {
			t.Errorf("Sees(%q, %q, %v) = %v", tc.requester, tc.org, tc.shared, got)
		}
	}
	if (Who{Name: "x"}).Sees("y", "", true) {
		t.Error("a requester without an organisation sees unowned shared tickets")
	}
}

func TestCheckReopen(t *testing.T) {
	resolved := day0.Add(-6 * 24 * time.Hour)
	tk := desk.Ticket{ID: 7, Status: desk.StatusResolved, ResolvedAt: &resolved}
	if err := CheckReopen(tk, 7*24*time.Hour, day0); err != nil {
		t.Errorf("six days after: %v", err)
	}
	if err := CheckReopen(tk, 5*24*time.Hour, day0); err == nil || !strings.Contains(err.Error(), "more than 5 days ago") {
		t.Errorf("beyond the window: %v", err)
	}
	if err := CheckReopen(tk, 0, day0); err == nil {
		t.Error("reopen_within 0 lets a requester reopen")
	}
	tk.Status = desk.StatusClosed
	if err := CheckReopen(tk, 7*24*time.Hour, day0); err == nil {
		t.Error("a closed ticket reopens")
	}
}

func TestRank(t *testing.T) {
	docs := []Doc{
		{Kind: KindArticle, ID: 1, Title: "Set up the VPN", Body: "Install the client. The VPN needs your token.", Service: "network"},
		{Kind: KindKnownError, ID: 2, Title: "VPN drops every hour", Body: "Reconnect from the tray icon.", Service: "network"},
		{Kind: KindArticle, ID: 3, Title: "Printer jams", Body: "Open tray two; the vpn is not involved.", Service: "print"},
		{Kind: KindArticle, ID: 4, Title: "Everywhere", Body: "Drops of ink", Service: ""},
	}
	// "my vpn keeps dropping": terms vpn, keeps, dropping. Doc 2: title
	// vpn (3); body none → 3. Doc 1: title vpn 3 + body vpn 1 = 4. Doc 3:
	// body vpn 1. Doc 4: nothing ("drops" is not "dropping").
	hits := Rank("My VPN keeps dropping", "", docs, 10)
	var ids []int64
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	if len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 3 || hits[0].Score != 4 || hits[1].Score != 3 {
		t.Fatalf("hits %+v", hits)
	}
	// On service print only doc 3 and the every-service doc 4 count;
	// "vpn drops": doc 3 body vpn 1, doc 4 body drops 1: known errors
	// first, then newer — doc 4 before doc 3.
	hits = Rank("vpn drops", "print", docs, 10)
	if len(hits) != 2 || hits[0].ID != 4 || hits[1].ID != 3 {
		t.Fatalf("on print: %+v", hits)
	}
	if len(Rank("the and for", "", docs, 10)) != 0 {
		t.Error("stop words alone find something")
	}
}
