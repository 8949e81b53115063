package capacity_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/capacity"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

var day = capacity.MustDay

func known() capacity.Known {
	return capacity.Known{Person: func(p string) bool { return p == "ana" || p == "bo" }, Service: func(s string) bool { return s == "erp" }}
}

// The hand-worked case, through the store: a person on call for
// the whole week who spent 3 h on an incident and is half-time on a
// project, in a week with a holiday and half a day off.
func TestReportOverAllocated(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
		s := &capacity.Store{DB: db, Now: func() time.Time { return now }}
		k := known()
		if _, err := s.PutProfile(ctx, "admin", capacity.Profile{Person: "ana", Team: "ops", Zone: "Europe/Berlin", Hours: capacity.StandardWeek,
			Skills: []capacity.Skill{{Name: "postgres", Level: 4}}}, k); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddTimeOff(ctx, "admin", "ana", capacity.TimeOffInput{From: day("2026-12-10"), To: day("2026-12-10"), Hours: 4, Approved: true}, k); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.PutProject(ctx, "admin", capacity.ProjectInput{Name: "erp-upgrade", Status: capacity.Confirmed, Start: day("2026-12-01"), End: day("2027-01-31"),
			BudgetHours: 100, Services: []string{"erp"}, Skills: []capacity.SkillNeed{{Name: "postgres", Level: 3, HoursPerWeek: 20}}}, k); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddAllocation(ctx, "admin", capacity.AllocationInput{Project: "erp-upgrade", Person: "ana", From: day("2026-12-01"), To: day("2026-12-31"), Share: 0.5}, k); err != nil {
			t.Fatal(err)
		}
		loc, _ := time.LoadLocation("Europe/Berlin")
		mon := day("2026-12-07").Start(loc)
		src := capacity.Sources{
			People: func() []string { return []string{"ana", "bo"} },
			OnCall: func(from, to time.Time) map[string][]capacity.Span {
				return map[string][]capacity.Span{"ana": {{Start: mon, End: mon.Add(168 * time.Hour)}}}
			},
			Incidents: func(context.Context, time.Time, time.Time) (map[string][]capacity.Span, error) {
				return map[string][]capacity.Span{"ana": {{Start: mon.Add(30 * time.Hour), End: mon.Add(33 * time.Hour)}}}, nil
			},
			Holidays: func(string) []capacity.Day { return []capacity.Day{day("2026-12-08")} },
			Queues:   func(capacity.Week) []capacity.QueueNeed { return []capacity.QueueNeed{{Queue: "it", Hours: 40}} },
		}
		r, err := s.Report(ctx, day("2026-12-07"), day("2026-12-13"), "", src)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.People) != 2 || r.People[0].Person != "ana" || r.People[1].Person != "bo" {
			t.Fatalf("people = %+v", r.People)
		}
		f := r.People[0].Weeks[0]
		if f.CapacityHours != 28 || f.OnCallHours != 16.8 || f.IncidentHours != 3 || f.ProjectHours != 14 || f.AllocatedHours != 33.8 || !f.OverAllocated {
			t.Fatalf("ana's week = %+v", f)
		}
		// bo has no record: a standard week with the same holiday.
		if b := r.People[1].Weeks[0]; b.CapacityHours != 32 || b.AllocatedHours != 0 {
			t.Fatalf("bo's week = %+v", b)
		}
		var over, queue, gap bool
		for _, w := range r.Warnings {
			switch w.Kind {
			case "over_allocated":
				over = w.Subject == "ana" && strings.Contains(w.Message, "33.80 h asked of 28 h (projects 14, on-call 16.80, incidents 3, desk 0)")
			case "understaffed_queue":
				queue = w.Subject == "it"
			case "skill_gap":
				gap = true
			}
		}
		if !over || !queue || !gap {
			t.Fatalf("warnings = %+v", r.Warnings)
		}
		// postgres level 3+: ana's 28 h less 19.8 h interrupts = 8.2 h of
		// supply against 20 h of demand.
		if len(r.Skills) != 1 || r.Skills[0].Weeks[0].Supply != 8.2 || r.Skills[0].Weeks[0].Demand != 20 {
			t.Fatalf("skills = %+v", r.Skills)
		}
		if len(r.Teams) != 2 || r.Teams[1].Team != "ops" || r.Teams[1].Weeks[0].OverAllocatedPeople != 1 {
			t.Fatalf("teams = %+v", r.Teams)
		}
		// Resolving it: the allocation goes, ana is within capacity.
		allocs, _, _ := s.Allocations(ctx, capacity.AllocationFilter{Person: "ana"})
		if err := s.DeleteAllocation(ctx, "admin", allocs[0].ID); err != nil {
			t.Fatal(err)
		}
		r, _ = s.Report(ctx, day("2026-12-07"), day("2026-12-13"), "ops", src)
		if len(r.People) != 1 || r.People[0].Weeks[0].OverAllocated || r.People[0].Weeks[0].AllocatedHours != 19.8 {
			t.Fatalf("after removing the allocation: %+v", r.People)
		}
	})
}

func TestValidationNamesEveryField(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &capacity.Store{DB: db, Now: time.Now}
		_, err := s.PutProfile(ctx, "admin", capacity.Profile{Person: "zed", Zone: "Mars/Olympus", Hours: capacity.WeekHours{Mon: 25},
			Skills: []capacity.Skill{{Name: "go", Level: 9}, {Name: "go", Level: 1}}}, known())
		want := []string{"person", "zone", "hours.mon", "skills[0].level", "skills[1].name"}
		assertFields(t, err, want)
		_, err = s.AddAllocation(ctx, "admin", capacity.AllocationInput{Project: "nope", Person: "ana", From: day("2026-12-02"), To: day("2026-12-01"), HoursPerDay: 2, Share: 0.5}, known())
		assertFields(t, err, []string{"project", "to", "share"})
		_, _, err = s.PutProject(ctx, "admin", capacity.ProjectInput{Name: "X", Status: "maybe", Start: day("2026-12-02"), End: day("2026-12-01"), Services: []string{"crm"}}, known())
		assertFields(t, err, []string{"name", "status", "end", "services[0]"})
		if ps, _ := s.Projects(ctx); len(ps) != 0 {
			t.Fatalf("a refused project was stored: %+v", ps)
		}
	})
}

func assertFields(t *testing.T, err error, want []string) {
	t.Helper()
	var inv *apperr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v, want field problems %v", err, want)
	}
	var got []string
	for _, f := range inv.Fields {
		got = append(got, f.Path)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("fields = %v (%v), want %v", got, inv, want)
	}
}

func TestProjectBurnAndForecast(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
		s := &capacity.Store{DB: db, Now: func() time.Time { return now }}
		k := known()
		if _, _, err := s.PutProject(ctx, "admin", capacity.ProjectInput{Name: "erp-upgrade", Status: capacity.Confirmed, Start: day("2026-11-02"), End: day("2026-12-11"), BudgetHours: 100}, k); err != nil {
			t.Fatal(err)
		}
		// 8 h a day Mon–Fri, 2 to 11 Dec: 8 working days = 64 h.
		if _, err := s.AddAllocation(ctx, "admin", capacity.AllocationInput{Project: "erp-upgrade", Person: "bo", From: day("2026-12-02"), To: day("2026-12-11"), HoursPerDay: 8}, k); err != nil {
			t.Fatal(err)
		}
		// 56 h in the last four weeks = 2 h a day: 44 h left take 22 days.
		for _, d := range []string{"2026-11-10", "2026-11-17", "2026-11-24", "2026-12-01"} {
			if _, err := s.LogTime(ctx, "bo", "erp-upgrade", capacity.TimeEntryInput{Person: "bo", Day: day(d), Hours: 14}, k); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.LogTime(ctx, "bo", "erp-upgrade", capacity.TimeEntryInput{Person: "bo", Day: day("2026-12-03"), Hours: 1}, k); err == nil {
			t.Fatal("hours logged for tomorrow were accepted")
		}
		f, err := s.ProjectReport(ctx, "erp-upgrade", capacity.Sources{})
		if err != nil {
			t.Fatal(err)
		}
		if f.PlannedHours != 64 || f.ActualHours != 56 || *f.BudgetUsed != 0.56 || f.ForecastEnd == nil || f.ForecastEnd.String() != "2026-12-24" || !f.Late {
			t.Fatalf("figures = %+v (forecast %v)", f, f.ForecastEnd)
		}
		// A project cannot shrink past its allocations.
		_, _, err = s.PutProject(ctx, "admin", capacity.ProjectInput{Name: "erp-upgrade", Status: capacity.Confirmed, Start: day("2026-11-02"), End: day("2026-12-05")}, k)
		assertFields(t, err, []string{"start"})
	})
}
