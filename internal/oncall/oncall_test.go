package oncall

import (
	"slices"
	"testing"
	"time"
)

func TestOnCallWeekly(t *testing.T) {
	ber := zone(t, "Europe/Berlin")
	s := func(handoff, start string) Schedule {
		return Schedule{Name: "primary", Timezone: "Europe/Berlin", Layers: []Layer{
			{Rotation: "weekly", Handoff: handoff, Members: []string{"alice", "bob"}, Start: start},
		}}
	}
	tests := []struct {
		name           string
		handoff, start string
		at             string // Europe/Berlin wall time
		want           string
	}{
		{"before the first hand-off the rotation runs backwards", "mon 09:00", "2026-01-05", "2026-01-05 08:59", "bob"},
		{"first hand-off goes to the first member", "mon 09:00", "2026-01-05", "2026-01-05 09:00", "alice"},
		{"mid-week", "mon 09:00", "2026-01-05", "2026-01-09 23:00", "alice"},
		{"one minute before the second hand-off", "mon 09:00", "2026-01-05", "2026-01-12 08:59", "alice"},
		{"at the second hand-off", "mon 09:00", "2026-01-05", "2026-01-12 09:00", "bob"},
		{"third hand-off wraps around", "mon 09:00", "2026-01-05", "2026-01-19 09:00", "alice"},
		{"summer time keeps 09:00 local", "mon 09:00", "2026-01-05", "2026-04-06 08:59", "alice"},
		{"summer time keeps 09:00 local, at hand-off", "mon 09:00", "2026-01-05", "2026-04-06 09:00", "bob"},
		{"default weekday is that of start (Wednesday)", "09:00", "2026-01-07", "2026-01-12 09:00", "alice"},
		{"default weekday, at its hand-off", "09:00", "2026-01-07", "2026-01-14 09:00", "bob"},
		{"weekday after start: first Friday on or after it", "fri 17:00", "2026-01-05", "2026-01-09 16:59", "bob"},
		{"weekday after start, at the hand-off", "fri 17:00", "2026-01-05", "2026-01-09 17:00", "alice"},
		{"no hand-off means midnight", "", "2026-01-05", "2026-01-11 23:59", "alice"},
		{"no hand-off means midnight, at it", "", "2026-01-05", "2026-01-12 00:00", "bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, s(tt.handoff, tt.start))
			if got := who(c, wall(t, ber, tt.at)); got != tt.want {
				t.Errorf("OnCall(%s) = %q, want %q", tt.at, got, tt.want)
			}
		})
	}
}

// TestDailyAcrossDaylightSaving checks that a daily hand-off stays at local
// 09:00, so the shift across the change lasts 23 or 25 hours. Start
// 2026-01-05 is alice's; the shift starting n days later is alice's when n
// is even.
func TestDailyAcrossDaylightSaving(t *testing.T) {
	tests := []struct {
		name       string
		zone, day  string // the day the shift across the change starts
		handoff    string
		user       string
		start, end string // UTC
		length     time.Duration
	}{
		// 2026-01-05 + 82 days = 2026-03-28: alice. 09:00 CET = 08:00Z, 09:00 CEST = 07:00Z.
		{"Berlin spring forward", "Europe/Berlin", "2026-03-28", "09:00", "alice", "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", 23 * time.Hour},
		// + 292 days = 2026-10-24: alice.
		{"Berlin fall back", "Europe/Berlin", "2026-10-24", "09:00", "alice", "2026-10-24T07:00:00Z", "2026-10-25T08:00:00Z", 25 * time.Hour},
		// + 61 days = 2026-03-07: bob. 09:00 EST = 14:00Z, 09:00 EDT = 13:00Z.
		{"New York spring forward", "America/New_York", "2026-03-07", "09:00", "bob", "2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z", 23 * time.Hour},
		// + 299 days = 2026-10-31: bob.
		{"New York fall back", "America/New_York", "2026-10-31", "09:00", "bob", "2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z", 25 * time.Hour},
		// 02:30 does not exist on 2026-03-29 in Berlin: the hand-off is at
		// the jump, 03:00 CEST = 01:00Z.
		{"hand-off inside the skipped hour", "Europe/Berlin", "2026-03-28", "02:30", "alice", "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", 23*time.Hour + 30*time.Minute},
		// 02:30 occurs twice on 2026-10-25: the first, 02:30 CEST = 00:30Z.
		{"hand-off inside the repeated hour", "Europe/Berlin", "2026-10-24", "02:30", "alice", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := zone(t, tt.zone)
			c := mustCompile(t, Schedule{Name: "p", Timezone: tt.zone, Layers: []Layer{
				{Rotation: "daily", Handoff: tt.handoff, Members: []string{"alice", "bob"}},
			}})
			wantStart, wantEnd := utc(t, tt.start), utc(t, tt.end)
			if got := wantEnd.Sub(wantStart); got != tt.length {
				t.Fatalf("bad case: %v long, want %v", got, tt.length)
			}
			day := wall(t, loc, tt.day+" 12:00")
			got := c.Shifts(day.Add(-48*time.Hour), day.Add(72*time.Hour))
			i := slices.IndexFunc(got, func(s Shift) bool { return s.Start.Equal(wantStart) })
			if i < 0 {
				t.Fatalf("no shift starts at %v; got %v", wantStart, got)
			}
			if s := got[i]; s.User != tt.user || !s.End.Equal(wantEnd) {
				t.Errorf("shift = %s %v–%v, want %s until %v", s.User, s.Start, s.End, tt.user, wantEnd)
			}
			if got[i].End.In(loc).Format("15:04") != got[i].Start.In(loc).Format("15:04") && tt.handoff == "09:00" {
				t.Errorf("hand-off moved: %s then %s local", got[i].Start.In(loc).Format("15:04"), got[i].End.In(loc).Format("15:04"))
			}
			if who(c, wantEnd.Add(-time.Nanosecond)) != tt.user {
				t.Errorf("OnCall just before the hand-off disagrees with Shifts")
			}
		})
	}
}

func TestRestrictedLayerOverUnrestricted(t *testing.T) {
	ber := zone(t, "Europe/Berlin")
	days := Layer{Rotation: "weekly", Handoff: "mon 09:00", Members: []string{"alice", "bob"}}
	// Daily hand-off at 18:00 from Mon 2026-01-05: carol has the turns
	// starting on even days after it (Mon, Wed, Fri, Sun), dave the odd ones.
	nights := func(w ...Window) Layer {
		return Layer{Rotation: "daily", Handoff: "18:00", Members: []string{"carol", "dave"}, Restrict: w}
	}
	nightsAndWeekends := Schedule{Name: "p", Timezone: "Europe/Berlin", Layers: []Layer{days, nights(
		Window{Days: "daily", From: "18:00", To: "09:00"},
		Window{Days: "sat,sun", From: "09:00", To: "18:00"},
	)}}
	weekdayNights := Schedule{Name: "p", Timezone: "Europe/Berlin", Layers: []Layer{days, nights(
		Window{Days: "mon-fri", From: "18:00", To: "09:00"},
	)}}
	tests := []struct {
		name  string
		sched Schedule
		at    string
		want  string
	}{
		{"weekday daytime shows the layer below", nightsAndWeekends, "2026-01-06 12:00", "alice"},
		{"one minute before the window", nightsAndWeekends, "2026-01-06 17:59", "alice"},
		{"window opens at 18:00", nightsAndWeekends, "2026-01-06 18:00", "dave"},
		{"overnight into Wednesday", nightsAndWeekends, "2026-01-07 08:59", "dave"},
		{"window closes at 09:00", nightsAndWeekends, "2026-01-07 09:00", "alice"},
		{"Saturday daytime is in a window", nightsAndWeekends, "2026-01-10 12:00", "carol"},
		{"Saturday evening hand-off", nightsAndWeekends, "2026-01-10 18:00", "dave"},
		{"Sunday night into Monday", nightsAndWeekends, "2026-01-12 08:59", "carol"},
		{"Monday 09:00: window closes and weekly hand-off", nightsAndWeekends, "2026-01-12 09:00", "bob"},
		{"Friday night runs into Saturday", weekdayNights, "2026-01-10 08:59", "carol"},
		{"Saturday daytime is outside mon-fri nights", weekdayNights, "2026-01-10 12:00", "alice"},
		{"Saturday night belongs to Saturday, not listed", weekdayNights, "2026-01-10 23:00", "alice"},
		{"Monday night is listed", weekdayNights, "2026-01-12 23:00", "dave"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.sched)
			if got := who(c, wall(t, ber, tt.at)); got != tt.want {
				t.Errorf("OnCall(%s) = %q, want %q", tt.at, got, tt.want)
			}
		})
	}
}

func TestRestrictedLayerAloneLeavesGaps(t *testing.T) {
	ber := zone(t, "Europe/Berlin")
	c := mustCompile(t, Schedule{Name: "p", Timezone: "Europe/Berlin", Layers: []Layer{
		{Rotation: "weekly", Members: []string{"alice"}, Restrict: []Window{{Days: "mon-fri", From: "09:00", To: "17:00"}}},
	}})
	from, to := wall(t, ber, "2026-01-05 00:00"), wall(t, ber, "2026-01-12 00:00")
	got := c.Shifts(from, to)
	if len(got) != 5 {
		t.Fatalf("got %d shifts, want one per weekday: %v", len(got), got)
	}
	for i, s := range got {
		day := from.AddDate(0, 0, i)
		if !s.Start.Equal(day.Add(9*time.Hour)) || !s.End.Equal(day.Add(17*time.Hour)) || s.User != "alice" {
			t.Errorf("shift %d = %v", i, s)
		}
	}
	if got := c.OnCall(wall(t, ber, "2026-01-05 20:00")); got == nil || len(got) != 0 {
		t.Errorf("OnCall in a gap = %#v, want an empty, non-nil slice", got)
	}
}

func TestOverride(t *testing.T) {
	ber := zone(t, "Europe/Berlin")
	layers := []Layer{{Rotation: "weekly", Handoff: "mon 09:00", Members: []string{"alice", "bob"}}}
	frank := Override{User: "frank", Start: "2026-01-07T12:00:00+01:00", End: "2026-01-08T12:00:00+01:00"}
	c := mustCompile(t, Schedule{Name: "p", Timezone: "Europe/Berlin", Layers: layers, Overrides: []Override{frank}})
	tests := []struct {
		name, at, want string
	}{
		{"before", "2026-01-07 11:59", "alice"},
		{"at its start", "2026-01-07 12:00", "frank"},
		{"inside", "2026-01-08 03:00", "frank"},
		{"at its end", "2026-01-08 12:00", "alice"},
		{"after", "2026-01-09 12:00", "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := who(c, wall(t, ber, tt.at)); got != tt.want {
				t.Errorf("OnCall(%s) = %q, want %q", tt.at, got, tt.want)
			}
		})
	}

	t.Run("splits the shift", func(t *testing.T) {
		from, to := wall(t, ber, "2026-01-05 09:00"), wall(t, ber, "2026-01-12 09:00")
		want := []Shift{
			{"alice", from, wall(t, ber, "2026-01-07 12:00"), 0},
			{"frank", wall(t, ber, "2026-01-07 12:00"), wall(t, ber, "2026-01-08 12:00"), OverrideLayer},
			{"alice", wall(t, ber, "2026-01-08 12:00"), to, 0},
		}
		assertShifts(t, c.Shifts(from, to), want)
	})

	t.Run("later override wins and same user merges", func(t *testing.T) {
		c := mustCompile(t, Schedule{Name: "p", Timezone: "Europe/Berlin", Layers: layers, Overrides: []Override{
			frank,
			{User: "gina", Start: "2026-01-08T00:00:00+01:00", End: "2026-01-08T06:00:00+01:00"},
			{User: "alice", Start: "2026-01-09T00:00:00+01:00", End: "2026-01-09T06:00:00+01:00"},
		}})
		from, to := wall(t, ber, "2026-01-05 09:00"), wall(t, ber, "2026-01-12 09:00")
		want := []Shift{
			{"alice", from, wall(t, ber, "2026-01-07 12:00"), 0},
			{"frank", wall(t, ber, "2026-01-07 12:00"), wall(t, ber, "2026-01-08 00:00"), OverrideLayer},
			{"gina", wall(t, ber, "2026-01-08 00:00"), wall(t, ber, "2026-01-08 06:00"), OverrideLayer},
			{"frank", wall(t, ber, "2026-01-08 06:00"), wall(t, ber, "2026-01-08 12:00"), OverrideLayer},
			{"alice", wall(t, ber, "2026-01-08 12:00"), to, 0},
		}
		assertShifts(t, c.Shifts(from, to), want)
	})
}

func TestFixedLengthRotation(t *testing.T) {
	ber := zone(t, "Europe/Berlin")
	// 12 h from 2026-03-28 08:00 CET (07:00Z): fixed in real time, so after
	// the spring-forward the hand-offs fall at 09:00 and 21:00 local.
	c := mustCompile(t, Schedule{Name: "p", Timezone: "Europe/Berlin", Layers: []Layer{
		{Rotation: "12h", Handoff: "08:00", Members: []string{"alice", "bob"}, Start: "2026-03-28"},
	}})
	tests := []struct {
		name, at, want string
	}{
		{"first turn", "2026-03-28 08:00", "alice"},
		{"before the anchor runs backwards", "2026-03-28 07:59", "bob"},
		{"end of the first turn", "2026-03-28 19:59", "alice"},
		{"second turn", "2026-03-28 20:00", "bob"},
		{"after the change, 08:00 local is still bob's", "2026-03-29 08:30", "bob"},
		{"after the change the hand-off is at 09:00 local", "2026-03-29 09:00", "alice"},
		{"and at 21:00", "2026-03-29 21:00", "bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := who(c, wall(t, ber, tt.at)); got != tt.want {
				t.Errorf("OnCall(%s) = %q, want %q", tt.at, got, tt.want)
			}
		})
	}
	t.Run("every turn lasts 12 h", func(t *testing.T) {
		got := c.Shifts(utc(t, "2026-03-28T07:00:00Z"), utc(t, "2026-04-02T07:00:00Z"))
		if len(got) != 10 {
			t.Fatalf("got %d shifts, want 10", len(got))
		}
		for _, s := range got {
			if s.End.Sub(s.Start) != 12*time.Hour {
				t.Errorf("%v lasts %v", s, s.End.Sub(s.Start))
			}
		}
	})
}

func TestThreeDayRotation(t *testing.T) {
	ber := zone(t, "Europe/Berlin")
	c := mustCompile(t, Schedule{Name: "p", Timezone: "Europe/Berlin", Layers: []Layer{
		{Rotation: "3d", Handoff: "08:00", Members: []string{"erin", "fred", "gus"}},
	}})
	tests := []struct {
		name, at, want string
	}{
		{"first turn", "2026-01-05 08:00", "erin"},
		{"still erin on day three", "2026-01-08 07:59", "erin"},
		{"fred after three days", "2026-01-08 08:00", "fred"},
		{"gus", "2026-01-11 08:00", "gus"},
		{"back to erin", "2026-01-14 08:00", "erin"},
		{"local 08:00 across the change", "2026-03-29 08:00", "erin"}, // 83 days = 27 turns + 2 days; turn 27 is erin's
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := who(c, wall(t, ber, tt.at)); got != tt.want {
				t.Errorf("OnCall(%s) = %q, want %q", tt.at, got, tt.want)
			}
		})
	}
}

// TestShiftsFourWeeks lays out the example schedule of the configuration
// for four weeks and checks that it covers every instant exactly once.
func TestShiftsFourWeeks(t *testing.T) {
	ber := zone(t, "Europe/Berlin")
	c := mustCompile(t, example)
	from := wall(t, ber, "2026-03-16 00:00") // four weeks across the spring change
	to := from.AddDate(0, 0, 28)
	got := c.Shifts(from, to)
	checkShifts(t, c, from, to, got)
	var covered time.Duration
	for _, s := range got {
		covered += s.End.Sub(s.Start)
	}
	// The unrestricted weekly layer covers everything, so there are no gaps
	// and four weeks with one skipped hour is 28*24 - 1 hours.
	if want := 28*24*time.Hour - time.Hour; covered != want || to.Sub(from) != want {
		t.Errorf("covered %v of %v, want %v", covered, to.Sub(from), want)
	}
	if !got[0].Start.Equal(from) || !got[len(got)-1].End.Equal(to) {
		t.Errorf("first %v, last %v", got[0], got[len(got)-1])
	}
	for i := 1; i < len(got); i++ {
		if !got[i].Start.Equal(got[i-1].End) {
			t.Errorf("gap between %v and %v", got[i-1], got[i])
		}
	}
	// Every layer shows up somewhere in four weeks.
	seen := map[int]bool{}
	for _, s := range got {
		seen[s.Layer] = true
	}
	for l := range example.Layers {
		if !seen[l] {
			t.Errorf("layer %d never on top", l)
		}
	}
}

func TestShiftsEmptyRange(t *testing.T) {
	c := mustCompile(t, example)
	at := utc(t, "2026-01-05T09:00:00Z")
	if got := c.Shifts(at, at); got != nil {
		t.Errorf("Shifts over an empty range = %v", got)
	}
	if got := c.Shifts(at, at.Add(-time.Hour)); got != nil {
		t.Errorf("Shifts over a reversed range = %v", got)
	}
}

// example is the schedule from the configuration documentation.
var example = Schedule{
	Name:     "primary",
	Timezone: "Europe/Berlin",
	Layers: []Layer{
		{Rotation: "weekly", Handoff: "mon 09:00", Members: []string{"alice", "bob"}, Start: "2026-01-05"},
		{Rotation: "daily", Handoff: "18:00", Members: []string{"carol", "dave"}, Restrict: []Window{{Days: "mon-fri", From: "18:00", To: "09:00"}}},
		{Rotation: "3d", Handoff: "08:00", Members: []string{"erin"}, Restrict: []Window{{Days: "sat", From: "10:00", To: "14:00"}}},
	},
	Overrides: []Override{
		{User: "frank", Start: "2026-03-24T00:00:00+01:00", End: "2026-03-27T00:00:00+01:00"},
		{User: "frank", Start: "2026-12-24T00:00:00+01:00", End: "2026-12-27T00:00:00+01:00"},
	},
}

func assertShifts(t *testing.T, got, want []Shift) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d shifts, want %d:\n got  %v\n want %v", len(got), len(want), got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.User != w.User || !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Layer != w.Layer {
			t.Errorf("shift %d = %s %v–%v layer %d, want %s %v–%v layer %d", i, g.User, g.Start, g.End, g.Layer, w.User, w.Start, w.End, w.Layer)
		}
	}
}
