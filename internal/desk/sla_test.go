package desk

import (
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
)

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// office is mon-fri 09:00-17:00 in Berlin, the calendar of the cases.
func office(t testing.TB) *availability.Calendar {
	t.Helper()
	cal, err := availability.NewCalendar(berlin, []availability.Window{{Days: 0b0111110, From: 9 * 60, To: 17 * 60}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// at is a wall time in Berlin.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, berlin)
}

func ptr(t time.Time) *time.Time { u := t.UTC(); return &u }

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func TestClockHandWorked(t *testing.T) {
	cal := office(t)
	fri := at(2026, 3, 6, 15, 0) // Friday 6 March 2026, 15:00 CET
	cases := []struct {
		name string
		c    Clock
		now  time.Time
		want Figures
	}{
		{
			name: "8 h opened Friday 15:00 is due Monday 15:00",
			c:    Clock{Calendar: cal, Opened: fri, Target: 8 * time.Hour},
			now:  at(2026, 3, 9, 10, 0),
			// Friday 15-17 (2 h) + Monday 09-10 (1 h).
			want: Figures{TargetSeconds: 8 * 3600, ElapsedSeconds: 3 * 3600, RemainingSeconds: 5 * 3600, Due: ptr(at(2026, 3, 9, 15, 0))},
		},
		{
			name: "waiting Monday 10:00 to Tuesday 10:00 moves it to Tuesday 15:00",
			c: Clock{Calendar: cal, Opened: fri, Target: 8 * time.Hour,
				Pauses: []Span{{at(2026, 3, 9, 10, 0), at(2026, 3, 10, 10, 0)}}},
			now: at(2026, 3, 10, 11, 0),
			// Friday 2 h + Monday 09-10 1 h + Tuesday 10-11 1 h; paused Mon 10-17 + Tue 09-10 = 8 h.
			want: Figures{TargetSeconds: 8 * 3600, ElapsedSeconds: 4 * 3600, RemainingSeconds: 4 * 3600, PausedSeconds: 8 * 3600,
				Due: ptr(at(2026, 3, 10, 15, 0))},
		},
		{
			name: "while waiting there is no due",
			c: Clock{Calendar: cal, Opened: fri, Target: 8 * time.Hour,
				Pauses: []Span{{Start: at(2026, 3, 9, 10, 0)}}},
			now:  at(2026, 3, 9, 12, 0),
			want: Figures{TargetSeconds: 8 * 3600, ElapsedSeconds: 3 * 3600, RemainingSeconds: 5 * 3600, PausedSeconds: 2 * 3600, Paused: true},
		},
		{
			name: "a clock past its target is breached, due in the past",
			c:    Clock{Calendar: cal, Opened: fri, Target: 8 * time.Hour},
			now:  at(2026, 3, 9, 16, 0),
			want: Figures{TargetSeconds: 8 * 3600, ElapsedSeconds: 9 * 3600, RemainingSeconds: -3600, Breached: true, Due: ptr(at(2026, 3, 9, 15, 0))},
		},
		{
			name: "exactly at the target is not breached",
			c:    Clock{Calendar: cal, Opened: fri, Target: 8 * time.Hour},
			now:  at(2026, 3, 9, 15, 0),
			want: Figures{TargetSeconds: 8 * 3600, ElapsedSeconds: 8 * 3600, Due: ptr(at(2026, 3, 9, 15, 0))},
		},
		{
			name: "a stopped clock keeps its figures at the stop",
			c: Clock{Calendar: cal, Opened: fri, Target: 8 * time.Hour,
				Stops: []Span{{Start: at(2026, 3, 9, 11, 0)}}},
			now:  at(2026, 3, 20, 12, 0),
			want: Figures{TargetSeconds: 8 * 3600, ElapsedSeconds: 4 * 3600, RemainingSeconds: 4 * 3600, StoppedAt: ptr(at(2026, 3, 9, 11, 0))},
		},
		{
			name: "reopened, it resumes where it stopped",
			c: Clock{Calendar: cal, Opened: fri, Target: 8 * time.Hour,
				Stops: []Span{{at(2026, 3, 9, 11, 0), at(2026, 3, 11, 9, 0)}}},
			now: at(2026, 3, 11, 10, 0),
			// 4 h before the stop, 1 h since the reopening on Wednesday 09:00; 3 h left → 13:00.
			want: Figures{TargetSeconds: 8 * 3600, ElapsedSeconds: 5 * 3600, RemainingSeconds: 3 * 3600, Due: ptr(at(2026, 3, 11, 13, 0))},
		},
		{
			name: "a priority change halfway: same elapsed and pauses, a new target",
			c: Clock{Calendar: cal, Opened: fri, Target: 4 * time.Hour,
				Pauses: []Span{{at(2026, 3, 9, 10, 0), at(2026, 3, 10, 10, 0)}}},
			now: at(2026, 3, 10, 11, 0),
			want: Figures{TargetSeconds: 4 * 3600, ElapsedSeconds: 4 * 3600, RemainingSeconds: 0, PausedSeconds: 8 * 3600,
				// 4 h was reached at Tuesday 11:00: Fri 2 h, Mon 1 h, Tue 10-11.
				Due: ptr(at(2026, 3, 10, 11, 0))},
		},
		{
			name: "across the spring change: Friday 15:00 CET + 8 h is Monday 15:00 CEST",
			c:    Clock{Calendar: cal, Opened: at(2026, 3, 27, 15, 0), Target: 8 * time.Hour},
			now:  at(2026, 3, 27, 16, 0),
			want: Figures{TargetSeconds: 8 * 3600, ElapsedSeconds: 3600, RemainingSeconds: 7 * 3600, Due: ptr(at(2026, 3, 30, 15, 0))},
		},
		{
			name: "before the opening nothing counts",
			c:    Clock{Calendar: cal, Opened: fri, Target: 8 * time.Hour},
			now:  fri.Add(-time.Hour),
			want: Figures{TargetSeconds: 8 * 3600, RemainingSeconds: 8 * 3600, Due: ptr(at(2026, 3, 9, 15, 0))},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.c.Compute(c.now)
			if got.TargetSeconds != c.want.TargetSeconds || got.ElapsedSeconds != c.want.ElapsedSeconds || got.RemainingSeconds != c.want.RemainingSeconds ||
				got.PausedSeconds != c.want.PausedSeconds || got.Breached != c.want.Breached || got.Paused != c.want.Paused ||
				!sameInstant(got.Due, c.want.Due) || !sameInstant(got.StoppedAt, c.want.StoppedAt) {
				t.Fatalf("got  %s\nwant %s", show(got), show(c.want))
			}
		})
	}
}

// TestClockDaylightSavingOnADailyCalendar checks a 24-hour target on a
// round-the-clock Berlin calendar across the 23-hour spring day: it is due
// one wall-clock hour later than the same time next day.
func TestClockDaylightSavingOnADailyCalendar(t *testing.T) {
	cal, err := availability.NewCalendar(berlin, []availability.Window{{Days: availability.AllDays, From: 0, To: 1440}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := Clock{Calendar: cal, Opened: at(2026, 3, 28, 12, 0), Target: 24 * time.Hour}
	got := c.Compute(at(2026, 3, 28, 12, 0))
	if want := at(2026, 3, 29, 13, 0); got.Due == nil || !got.Due.Equal(want) {
		t.Fatalf("due %v, want %v", got.Due, want)
	}
}

func show(f Figures) string {
	s := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.In(berlin).Format("Mon 2006-01-02 15:04 MST")
	}
	return "elapsed " + time.Duration(f.ElapsedSeconds*1e9).String() + " remaining " + time.Duration(f.RemainingSeconds*1e9).String() +
		" paused " + time.Duration(f.PausedSeconds*1e9).String() + " due " + s(f.Due) + " stopped " + s(f.StoppedAt) +
		map[bool]string{true: " breached", false: ""}[f.Breached] + map[bool]string{true: " waiting", false: ""}[f.Paused]
}
