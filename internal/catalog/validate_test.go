package catalog

import (
	"strings"
	"testing"
)

func intp(n int) *int { return &n }

func TestValidate(t *testing.T) {
	office := Calendar{Name: "office", CalendarSpec: CalendarSpec{Timezone: "Europe/Berlin", Weekly: []WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}}}
	ok := func(name string, deps ...Dependency) Service {
		return Service{Name: name, DependsOn: deps, Objective: &Objective{Availability: "99.9%"}}
	}
	cases := []struct {
		name string
		cat  Catalog
		want []string // "path: substring", in order
	}{
		{name: "valid", cat: Catalog{Calendars: []Calendar{office}, Services: []Service{
			{Name: "payroll", DependsOn: []Dependency{{Service: "database", Kind: Hard}}, Objective: &Objective{Hours: "office", Period: "quarter", Availability: "99.5%",
				MaxOutage: "30m", MaxOutages: intp(3), Degraded: "0.5", Unknown: "down", MergeGap: "5m", MinOutage: "1m"},
				Maintenance: []MaintenanceWindow{{Start: "2026-10-10T20:00:00+02:00", End: "2026-10-10T23:00:00+02:00"}, {RRule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2", Duration: "2h"}}},
			ok("database"),
		}}},
		{name: "unknown calendar", cat: Catalog{Services: []Service{{Name: "a", Objective: &Objective{Hours: "office", Availability: "99%"}}}},
			want: []string{"services[0].objective.hours: unknown calendar \"office\""}},
		{name: "cycle of three is reported once with its path", cat: Catalog{Services: []Service{
			ok("a", Dependency{Service: "b"}), ok("b", Dependency{Service: "c"}), ok("c", Dependency{Service: "a"}),
		}}, want: []string{"services[0].depends_on[0].service: dependency cycle: a → b → c → a"}},
		{name: "cycle not through the first service", cat: Catalog{Services: []Service{
			ok("x", Dependency{Service: "a"}), ok("a", Dependency{Service: "b"}), ok("b", Dependency{Service: "a"}),
		}}, want: []string{"services[1].depends_on[0].service: dependency cycle: a → b → a"}},
		{name: "targets", cat: Catalog{Services: []Service{
			{Name: "a", Objective: &Objective{Availability: "100.01%"}},
			{Name: "b", Objective: &Objective{Availability: "0"}},
			{Name: "c", Objective: &Objective{Availability: "ninety"}},
			{Name: "d", Objective: &Objective{Availability: "100%"}},
			{Name: "e", Objective: &Objective{Availability: "0.999"}},
		}}, want: []string{"services[0].objective.availability: outside", "services[1].objective.availability: outside", "services[2].objective.availability: expected a percentage"}},
		{name: "durations and rrule", cat: Catalog{Services: []Service{{Name: "a",
			Objective:   &Objective{Availability: "99%", MaxOutage: "30", MergeGap: "-5m"},
			Maintenance: []MaintenanceWindow{{RRule: "FREQ=NEVER", Duration: "1h"}, {RRule: "FREQ=DAILY"}, {Start: "2026-01-01T00:00:00Z", End: "2026-01-01T01:00:00Z", RRule: "FREQ=DAILY"}}}}},
			want: []string{"services[0].maintenance[0].rrule: ", "services[0].maintenance[1].duration: is required", "services[0].maintenance[2]: either", "services[0].objective.max_outage: missing unit", "services[0].objective.merge_gap: negative"}},
		{name: "bad zones", cat: Catalog{Calendars: []Calendar{{Name: "c", CalendarSpec: CalendarSpec{Timezone: "Europe/Atlantis", Weekly: []WeeklyWindow{{Days: "mon", From: "9:00", To: "25:00"}}}}},
			Services: []Service{{Name: "a", Maintenance: []MaintenanceWindow{{RRule: "FREQ=DAILY", Duration: "1h", Timezone: "local"}}}}},
			want: []string{"calendars.c.timezone: unknown time zone", "calendars.c.weekly[0].to: ", "services[0].maintenance[0].timezone: "}},
		{name: "names and duplicates", cat: Catalog{Calendars: []Calendar{{Name: "24x7", CalendarSpec: office.CalendarSpec}},
			Services: []Service{{Name: "a"}, {Name: "a"}, {Name: "-bad"}, {}}},
			want: []string{"calendars.24x7: built in", "services[1].name: already declared", "services[2].name: must be lower-case", "services[3].name: is required"}},
		{name: "dependencies", cat: Catalog{Services: []Service{
			{Name: "a", DependsOn: []Dependency{{Service: "a"}, {Service: "ghost"}, {Service: "b", Kind: "weak"}, {Service: "b"}}}, {Name: "b"}}},
			want: []string{"services[0].depends_on[0].service: itself", "services[0].depends_on[1].service: unknown service \"ghost\"", "services[0].depends_on[2].kind: must be", "services[0].depends_on[3].service: listed twice"}},
		{name: "objective clauses", cat: Catalog{Services: []Service{{Name: "a", Objective: &Objective{Availability: "99%", Period: "fortnight", MaxOutages: intp(-1), Degraded: "sometimes", Unknown: "maybe"}}}},
			want: []string{"services[0].objective.period: ", "services[0].objective.max_outages: zero or more", "services[0].objective.degraded: must be", "services[0].objective.unknown: must be"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Validate(c.cat)
			var lines []string
			for _, f := range got {
				lines = append(lines, f.Path+": "+f.Msg)
			}
			if len(lines) != len(c.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(c.want), strings.Join(lines, "\n"))
			}
			for _, w := range c.want {
				found := false
				for _, l := range lines {
					path, sub, _ := strings.Cut(w, ": ")
					if strings.HasPrefix(l, path+": ") && strings.Contains(l, sub) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem like %q in:\n%s", w, strings.Join(lines, "\n"))
				}
			}
		})
	}
}

func TestCompileBuildsObjectives(t *testing.T) {
	cat := Catalog{
		Calendars: []Calendar{{Name: "office", CalendarSpec: CalendarSpec{Timezone: "Europe/Berlin", Weekly: []WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}}}},
		Services: []Service{{Name: "payroll", Objective: &Objective{Hours: "office", Availability: "99.5%", MaxOutage: "30m", Degraded: "down", Unknown: "down"},
			Maintenance: []MaintenanceWindow{{RRule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", Duration: "2h"}}},
			{Name: "plain"}},
	}
	c, err := Compile(cat)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Objectives["payroll"]
	if o == nil || o.Target != 0.995 || o.MaxOutage.Minutes() != 30 || o.Degraded != 1 || !o.UnknownDown || o.MaxOutages != -1 || len(o.Maintenance) != 1 {
		t.Fatalf("objective = %+v", o)
	}
	if o.Hours == nil || o.Hours.Location().String() != "Europe/Berlin" {
		t.Fatalf("hours = %v", o.Hours)
	}
	if _, ok := c.Objectives["plain"]; ok {
		t.Fatal("a service without an objective got one")
	}
}

func TestParseTarget(t *testing.T) {
	cases := map[string]float64{"99.9%": 0.999, "99.9": 0.999, "0.999": 0.999, "100%": 1, "1": 1, "50 %": 0.5}
	for in, want := range cases {
		got, err := ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "0%", "-5%", "101%", "abc", "NaN", "Inf%"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
}
