package capacity

import (
	"testing"
	"time"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// The first case: a 40 h week with a public holiday and half a day
// off has 28 h of capacity.
func TestCapacityHolidayAndHalfDay(t *testing.T) {
	loc := berlin(t)
	p := Person{Name: "ana", Pattern: Standard(loc),
		Holidays: []Day{MustDay("2026-12-08")}, // Tuesday
		TimeOff:  []TimeOff{{From: MustDay("2026-12-10"), To: MustDay("2026-12-10"), Hours: 4, Approved: true}},
	}
	got := Figures(p, MustDay("2026-12-07"), MustDay("2026-12-13"), Options{})
	if len(got) != 1 {
		t.Fatalf("weeks = %d, want 1", len(got))
	}
	f := got[0]
	if f.Week != "2026-W50" || f.WorkingHours != 40 || f.HolidayHours != 8 || f.TimeOffHours != 4 || f.CapacityHours != 28 {
		t.Fatalf("got %+v, want W50 40 working, 8 holiday, 4 off, 28 capacity", f)
	}
	if *f.Utilisation != 0 || f.FreeHours != 28 || f.OverAllocated {
		t.Fatalf("an unallocated week: %+v", f)
	}
}

// The second case: on call for a whole week (168 h at 0.1), 3 h on
// incidents and half-time on a project is 16.8 + 3 + 14 = 33.8 h of 28 h.
func TestOverAllocationByKind(t *testing.T) {
	loc := berlin(t)
	mon := MustDay("2026-12-07")
	start := mon.Start(loc)
	inc := start.Add(2*24*time.Hour + 14*time.Hour)
	p := Person{Name: "ana", Pattern: Standard(loc),
		Holidays:    []Day{MustDay("2026-12-08")},
		TimeOff:     []TimeOff{{From: MustDay("2026-12-10"), To: MustDay("2026-12-10"), Hours: 4, Approved: true}},
		OnCall:      []Span{{start, start.Add(168 * time.Hour)}},
		Incidents:   []Span{{inc, inc.Add(2 * time.Hour)}, {inc.Add(time.Hour), inc.Add(3 * time.Hour)}}, // overlapping: 3 h
		Allocations: []Allocation{{Project: "erp", From: mon, To: mon.AddDays(30), Share: 0.5}},
	}
	f := Figures(p, mon, mon.AddDays(6), Options{})[0]
	if f.OnCallRawHours != 168 || f.OnCallHours != 16.8 || f.IncidentHours != 3 || f.ProjectHours != 14 {
		t.Fatalf("kinds: %+v", f)
	}
	if f.AllocatedHours != 33.8 || f.CapacityHours != 28 || !f.OverAllocated || f.OverHours != 5.8 {
		t.Fatalf("totals: %+v", f)
	}
	if *f.Utilisation != 1.2071 {
		t.Fatalf("utilisation = %v, want 33.8/28 = 1.2071", *f.Utilisation)
	}
}

// A week with a daylight-saving change has 167 hours on call in it, and the
// pattern's hours are the same.
func TestOnCallAcrossDaylightSaving(t *testing.T) {
	loc := berlin(t)
	mon := MustDay("2026-03-23") // week of 29 March 2026, clocks go forward
	p := Person{Pattern: Standard(loc), OnCall: []Span{{mon.Start(loc), mon.AddDays(7).Start(loc)}}}
	f := Figures(p, mon, mon, Options{OnCallWeight: 1})[0]
	if f.OnCallRawHours != 167 || f.OnCallHours != 167 || f.WorkingHours != 40 {
		t.Fatalf("got %+v", f)
	}
}

// Hours per day are split around time off as a planner does: nothing on a
// holiday, half on a half day, and requested time off only shown.
func TestHoursPerDaySplitAroundTimeOff(t *testing.T) {
	mon := MustDay("2026-12-07")
	p := Person{Pattern: Standard(time.UTC),
		Holidays: []Day{mon},
		TimeOff: []TimeOff{
			{From: mon.AddDays(1), To: mon.AddDays(1), Hours: 4, Approved: true},
			{From: mon.AddDays(2), To: mon.AddDays(3), Approved: false},
		},
		Allocations: []Allocation{
			{Project: "a", From: mon, To: mon.AddDays(4), HoursPerDay: 6},
			{Project: "b", From: mon.AddDays(4), To: mon.AddDays(20), HoursPerDay: 4, Tentative: true},
		},
		Desk: []DeskDuty{{Queue: "it", HoursPerWeek: 10}},
	}
	f := Figures(p, mon, mon, Options{})[0]
	// Tue 3 (half day), Wed 6, Thu 6, Fri 6 = 21; capacity 40-8-4 = 28;
	// desk 10 × 28/40 = 7.
	if f.ProjectHours != 21 || f.CapacityHours != 28 || f.RequestedOffHours != 16 || f.TentativeHours != 4 || f.DeskHours != 7 {
		t.Fatalf("got %+v", f)
	}
	if f.AllocatedHours != 28 || f.OverAllocated || f.FreeHours != 0 || f.ScenarioHours != 32 || !f.ScenarioOver {
		t.Fatalf("totals: %+v", f)
	}
}

func TestWeeksAreISO(t *testing.T) {
	ws := Weeks(MustDay("2026-12-30"), MustDay("2027-01-05"))
	if len(ws) != 2 || ws[0].String() != "2026-W53" || ws[1].String() != "2027-W01" || ws[0].Monday != MustDay("2026-12-28") {
		t.Fatalf("weeks = %v", ws)
	}
}

func TestNoCapacityNothingAllocatedIsZero(t *testing.T) {
	p := Person{Pattern: Pattern{Zone: time.UTC}}
	f := Figures(p, MustDay("2026-12-07"), MustDay("2026-12-07"), Options{})[0]
	if f.Utilisation == nil || *f.Utilisation != 0 {
		t.Fatalf("utilisation = %v", f.Utilisation)
	}
	p.Incidents = []Span{{MustDay("2026-12-07").Start(time.UTC), MustDay("2026-12-07").Start(time.UTC).Add(time.Hour)}}
	f = Figures(p, MustDay("2026-12-07"), MustDay("2026-12-07"), Options{})[0]
	if f.Utilisation != nil || !f.OverAllocated {
		t.Fatalf("an hour of incidents on no capacity: %+v", f)
	}
}

// FuzzFigures: whatever the inputs, capacity never exceeds working hours,
// nothing is negative, and allocated is the sum of its kinds.
func FuzzFigures(f *testing.F) {
	f.Add(uint8(8), uint8(4), uint8(3), uint16(30), uint16(50), int16(-20), uint16(100))
	f.Fuzz(func(t *testing.T, hours, offHours, offDay uint8, share, perDay uint16, incStart int16, incLen uint16) {
		mon := MustDay("2026-12-07")
		s := mon.Start(time.UTC).Add(time.Duration(incStart) * time.Hour)
		p := Person{Pattern: Pattern{Hours: [7]float64{0, float64(hours % 25), 8, 8, 8, 8, 0}, Zone: time.UTC},
			TimeOff:     []TimeOff{{From: mon.AddDays(int(offDay % 9)), To: mon.AddDays(int(offDay % 9)), Hours: float64(offHours % 30), Approved: true}},
			Allocations: []Allocation{{From: mon, To: mon.AddDays(3), Share: float64(share%101) / 100}, {From: mon, To: mon.AddDays(9), HoursPerDay: float64(perDay % 13)}},
			Incidents:   []Span{{s, s.Add(time.Duration(incLen) * time.Minute)}},
		}
		for _, w := range Figures(p, mon, mon.AddDays(13), Options{}) {
			if w.CapacityHours > w.WorkingHours+1e-9 || w.CapacityHours < 0 || w.TimeOffHours < 0 || w.ProjectHours < 0 || w.IncidentHours < 0 {
				t.Fatalf("week %+v", w)
			}
			if d := w.AllocatedHours - (w.ProjectHours + w.OnCallHours + w.IncidentHours + w.DeskHours); d > 0.005 || d < -0.005 {
				t.Fatalf("allocated does not add up: %+v", w)
			}
			if w.WorkingHours != w.CapacityHours+w.HolidayHours+w.TimeOffHours && Round(w.WorkingHours-w.CapacityHours-w.HolidayHours-w.TimeOffHours) != 0 {
				t.Fatalf("working hours do not add up: %+v", w)
			}
		}
	})
}
