package availability

import (
	"strings"
	"testing"
	"time"
)

func TestParseDays(t *testing.T) {
	const (
		sun = 1 << time.Sunday
		mon = 1 << time.Monday
		tue = 1 << time.Tuesday
		wed = 1 << time.Wednesday
		thu = 1 << time.Thursday
		fri = 1 << time.Friday
		sat = 1 << time.Saturday
	)
	tests := []struct {
		in      string
		want    Days
		wantErr string
		str     string
	}{
		{in: "mon-fri", want: mon | tue | wed | thu | fri, str: "mon-fri"},
		{in: "sat,sun", want: sat | sun, str: "sat,sun"},
		{in: "mon", want: mon, str: "mon"},
		{in: "mon-wed,fri", want: mon | tue | wed | fri, str: "mon-wed,fri"},
		{in: "fri-mon", want: fri | sat | sun | mon, str: "mon,fri-sun"},
		{in: "daily", want: AllDays, str: "daily"},
		{in: "Daily", want: AllDays, str: "daily"},
		{in: "MON-Fri", want: mon | tue | wed | thu | fri, str: "mon-fri"},
		{in: "monday-wednesday", want: mon | tue | wed, str: "mon-wed"},
		{in: " sat , sun ", want: sat | sun, str: "sat,sun"},
		{in: "sun-sat", want: AllDays, str: "daily"},
		{in: "wed-wed", want: wed, str: "wed"},
		{in: "fir", wantErr: `unknown day "fir" (use mon, tue, wed, thu, fri, sat, sun)`},
		{in: "mon-fir", wantErr: `unknown day "fir"`},
		{in: "", wantErr: "no days given"},
		{in: "mon,,tue", wantErr: "empty day"},
		{in: "mon-", wantErr: "missing day"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDays(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDays(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDays(%q) = %07b, %v; want %07b", tt.in, got, err, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
		})
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		want Clock
		ok   bool
	}{
		{"09:00", 540, true},
		{"9:30", 570, true},
		{"00:00", 0, true},
		{"24:00", 1440, true},
		{"23:59", 1439, true},
		{"24:01", 0, false},
		{"9", 0, false},
		{"09:60", 0, false},
		{"09:6", 0, false},
		{"-1:00", 0, false},
		{"+9:00", 0, false},
		{"009:00", 0, false},
		{"", 0, false},
		{"９:00", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseClock(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ParseClock(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	if d, err := ParseDate("2026-12-25"); err != nil || d != (Date{2026, time.December, 25}) {
		t.Fatalf("ParseDate = %v, %v", d, err)
	}
	for _, bad := range []string{"2026-02-30", "2026-2-3", "25.12.2026", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

func TestNewCalendarErrors(t *testing.T) {
	ber := loc(t, "Europe/Berlin")
	tests := []struct {
		name    string
		loc     *time.Location
		windows []Window
		hol     []Date
		want    string
	}{
		{"no zone", nil, nil, nil, "no time zone"},
		{"empty window", ber, []Window{{AllDays, 540, 540}}, nil, "is empty"},
		{"no days", ber, []Window{{0, 540, 600}}, nil, "no days"},
		{"start at 24:00", ber, []Window{{AllDays, 1440, 60}}, nil, "must start"},
		{"end past 24:00", ber, []Window{{AllDays, 60, 1441}}, nil, "must end"},
		{"bad holiday", ber, []Window{{AllDays, 60, 120}}, []Date{{2026, 2, 30}}, "not a valid date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCalendar(tt.loc, tt.windows, tt.hol)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCalendarHours(t *testing.T) {
	ber, ny, utc := loc(t, "Europe/Berlin"), loc(t, "America/New_York"), time.UTC
	window := func(l *time.Location, from, to Clock, hol ...Date) *Calendar {
		c, err := NewCalendar(l, []Window{{AllDays, from, to}}, hol)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		cal      *Calendar
		from, to time.Time
		want     time.Duration
	}{
		// 2026-03-29 Berlin skips 02:00-03:00: the local day has 23 h.
		{"24x7 Berlin spring-forward day", AlwaysOn(), at(t, ber, "2026-03-29 00:00"), at(t, ber, "2026-03-30 00:00"), 23 * time.Hour},
		// 2026-10-25 Berlin repeats 02:00-03:00: 25 h.
		{"24x7 Berlin fall-back day", AlwaysOn(), at(t, ber, "2026-10-25 00:00"), at(t, ber, "2026-10-26 00:00"), 25 * time.Hour},
		{"24x7 New York spring-forward day", AlwaysOn(), at(t, ny, "2026-03-08 00:00"), at(t, ny, "2026-03-09 00:00"), 23 * time.Hour},
		{"24x7 New York fall-back day", AlwaysOn(), at(t, ny, "2026-11-01 00:00"), at(t, ny, "2026-11-02 00:00"), 25 * time.Hour},
		// 01:00 CET .. 04:00 CEST is 00:00Z .. 02:00Z.
		{"Berlin 01-04 on spring-forward day", window(ber, 60, 240), at(t, ber, "2026-03-29 00:00"), nextDay(t, ber, "2026-03-29"), 2 * time.Hour},
		{"Berlin 01-04 the day before", window(ber, 60, 240), at(t, ber, "2026-03-28 00:00"), nextDay(t, ber, "2026-03-28"), 3 * time.Hour},
		// 01:00 CEST .. 04:00 CET is 23:00Z .. 03:00Z.
		{"Berlin 01-04 on fall-back day", window(ber, 60, 240), at(t, ber, "2026-10-25 00:00"), nextDay(t, ber, "2026-10-25"), 4 * time.Hour},
		{"New York 01-04 on spring-forward day", window(ny, 60, 240), at(t, ny, "2026-03-08 00:00"), nextDay(t, ny, "2026-03-08"), 2 * time.Hour},
		{"New York 01-04 on fall-back day", window(ny, 60, 240), at(t, ny, "2026-11-01 00:00"), nextDay(t, ny, "2026-11-01"), 4 * time.Hour},
		// 02:30 does not exist: the window starts at 03:00 CEST and lasts to 05:00.
		{"Berlin window starting in the skipped hour", window(ber, 150, 300), at(t, ber, "2026-03-29 00:00"), nextDay(t, ber, "2026-03-29"), 2 * time.Hour},
		// 02:30 happens twice: the first one (CEST) is used, to 05:00 CET: 3.5 h.
		{"Berlin window starting in the repeated hour", window(ber, 150, 300), at(t, ber, "2026-10-25 00:00"), nextDay(t, ber, "2026-10-25"), 3*time.Hour + 30*time.Minute},
		// 22:00 Friday to 06:00 Saturday; a week holds seven of them.
		{"window crossing midnight, one week", window(utc, 22*60, 6*60), at(t, utc, "2026-03-02 00:00"), at(t, utc, "2026-03-09 00:00"), 7*8*time.Hour - 0},
		// The range starts at 00:00 Monday: Sunday night's 00:00-06:00 is inside it,
		// Sunday 22:00-24:00 (2026-03-08) is too, Monday 22:00 runs past the end.
		{"window crossing midnight, range from midnight", window(utc, 22*60, 6*60), at(t, utc, "2026-03-09 00:00"), at(t, utc, "2026-03-10 00:00"), 6*time.Hour + 2*time.Hour},
		// Office hours, week of 2026-03-02 with Friday 6 March a holiday: 4 × 8 h.
		{"holiday", office(t, ber, Date{2026, 3, 6}), at(t, ber, "2026-03-02 00:00"), at(t, ber, "2026-03-09 00:00"), 32 * time.Hour},
		// Friday night into a Saturday holiday keeps only Friday's 22:00-24:00.
		{"holiday cuts the morning side of an overnight window", window(utc, 22*60, 6*60, Date{2026, 3, 7}), at(t, utc, "2026-03-06 12:00"), at(t, utc, "2026-03-07 12:00"), 2 * time.Hour},
		{"empty range", AlwaysOn(), at(t, utc, "2026-03-06 12:00"), at(t, utc, "2026-03-06 12:00"), 0},
		{"reversed range", office(t, ber), at(t, utc, "2026-03-06 12:00"), at(t, utc, "2026-03-05 12:00"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.Hours(tt.from, tt.to)
			if d := got.Duration(); d != tt.want {
				t.Fatalf("Hours = %v (%v), want %v", d, got, tt.want)
			}
			for i, iv := range got {
				if iv.Start.Before(tt.from) || iv.End.After(tt.to) || iv.Empty() || i > 0 && !got[i-1].End.Before(iv.Start) {
					t.Fatalf("Hours returned a malformed set %v", got)
				}
			}
		})
	}
}

// nextDay returns local midnight after the date s in l.
func nextDay(t *testing.T, l *time.Location, s string) time.Time {
	y, m, d := at(t, l, s+" 00:00").Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, l)
}

func TestCalendarOverlappingWindows(t *testing.T) {
	// mon-fri 09-17 and daily 16-18 overlap on weekdays: 09-18 = 9 h a weekday.
	c, err := NewCalendar(time.UTC, []Window{{Days: 0b0111110, From: 540, To: 1020}, {Days: AllDays, From: 960, To: 1080}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Hours(at(t, time.UTC, "2026-03-02 00:00"), at(t, time.UTC, "2026-03-09 00:00")).Duration()
	if want := 5*9*time.Hour + 2*2*time.Hour; got != want {
		t.Fatalf("Hours = %v, want %v", got, want)
	}
}
