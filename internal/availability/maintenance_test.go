package availability

import (
	"strings"
	"testing"
	"time"
)

func TestRecurringAcrossDST(t *testing.T) {
	ber, ny := loc(t, "Europe/Berlin"), loc(t, "America/New_York")
	tests := []struct {
		name     string
		rule     string
		length   time.Duration
		l        *time.Location
		from, to time.Time
		want     []Interval
	}{
		{
			// Sundays 02:30 Berlin for 2 h. 22 March: 01:30Z-03:30Z. 29 March:
			// 02:30 does not exist, so it starts at 03:00 CEST = 01:00Z.
			// 5 April: 02:30 CEST = 00:30Z.
			name: "spring forward in Berlin", rule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30", length: 2 * time.Hour, l: ber,
			from: at(t, ber, "2026-03-20 00:00"), to: at(t, ber, "2026-04-10 00:00"),
			want: []Interval{
				{at(t, time.UTC, "2026-03-22 01:30"), at(t, time.UTC, "2026-03-22 03:30")},
				{at(t, time.UTC, "2026-03-29 01:00"), at(t, time.UTC, "2026-03-29 03:00")},
				{at(t, time.UTC, "2026-04-05 00:30"), at(t, time.UTC, "2026-04-05 02:30")},
			},
		},
		{
			// 25 October: 02:30 happens twice; the first (CEST, 00:30Z) is used.
			name: "fall back in Berlin", rule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30", length: 2 * time.Hour, l: ber,
			from: at(t, ber, "2026-10-20 00:00"), to: at(t, ber, "2026-11-02 00:00"),
			want: []Interval{
				{at(t, time.UTC, "2026-10-25 00:30"), at(t, time.UTC, "2026-10-25 02:30")},
				{at(t, time.UTC, "2026-11-01 01:30"), at(t, time.UTC, "2026-11-01 03:30")},
			},
		},
		{
			// Daily 01:00 New York for 3 h: 7 March EST (06:00Z); 8 March the
			// clock skips 02:00-03:00 but 01:00 exists (06:00Z); 9 March EDT (05:00Z).
			name: "daily in New York", rule: "FREQ=DAILY;BYHOUR=1;BYMINUTE=0", length: 3 * time.Hour, l: ny,
			from: at(t, ny, "2026-03-07 00:00"), to: at(t, ny, "2026-03-10 00:00"),
			want: []Interval{
				{at(t, time.UTC, "2026-03-07 06:00"), at(t, time.UTC, "2026-03-07 09:00")},
				{at(t, time.UTC, "2026-03-08 06:00"), at(t, time.UTC, "2026-03-08 09:00")},
				{at(t, time.UTC, "2026-03-09 05:00"), at(t, time.UTC, "2026-03-09 08:00")},
			},
		},
		{
			// The occurrence at 23:00 Saturday lasts into the range, which
			// starts at midnight: only its last hour is inside.
			name: "occurrence starting before from", rule: "FREQ=WEEKLY;BYDAY=SA;BYHOUR=23;BYMINUTE=0", length: 2 * time.Hour, l: time.UTC,
			from: at(t, time.UTC, "2026-03-08 00:00"), to: at(t, time.UTC, "2026-03-09 00:00"),
			want: []Interval{{at(t, time.UTC, "2026-03-08 00:00"), at(t, time.UTC, "2026-03-08 01:00")}},
		},
		{
			// First Sunday of the month, with a DTSTART line and COUNT.
			name: "monthly with DTSTART and COUNT", rule: "DTSTART:20260104T040000\nRRULE:FREQ=MONTHLY;BYDAY=1SU;COUNT=2", length: time.Hour, l: time.UTC,
			from: at(t, time.UTC, "2026-01-01 00:00"), to: at(t, time.UTC, "2026-12-01 00:00"),
			want: []Interval{
				{at(t, time.UTC, "2026-01-04 04:00"), at(t, time.UTC, "2026-01-04 05:00")},
				{at(t, time.UTC, "2026-02-01 04:00"), at(t, time.UTC, "2026-02-01 05:00")},
			},
		},
		{
			// Every second week from a DTSTART with a zone: phase kept years later.
			name: "fortnightly keeps its phase", rule: "DTSTART;TZID=Europe/Berlin:20200105T020000\nFREQ=WEEKLY;INTERVAL=2", length: time.Hour, l: ber,
			from: at(t, ber, "2026-03-01 00:00"), to: at(t, ber, "2026-03-20 00:00"),
			// 2020-01-05 + 2254 days (161 fortnights) = 2026-03-08; 1 and 15
			// March are off-weeks, 22 March is outside the range.
			want: []Interval{
				{at(t, ber, "2026-03-08 02:00"), at(t, ber, "2026-03-08 03:00")},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewRecurring(tt.rule, tt.length, tt.l)
			if err != nil {
				t.Fatal(err)
			}
			got := m.Intervals(tt.from, tt.to)
			if len(got) != len(tt.want) {
				t.Fatalf("Intervals = %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].Start.Equal(tt.want[i].Start) || !got[i].End.Equal(tt.want[i].End) {
					t.Fatalf("Intervals[%d] = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestNewRecurringErrors(t *testing.T) {
	tests := []struct {
		name, rule string
		length     time.Duration
		want       string
	}{
		{"zero length", "FREQ=WEEKLY", 0, "must be positive"},
		{"negative length", "FREQ=WEEKLY", -time.Hour, "must be positive"},
		{"empty", "  ", time.Hour, "empty"},
		{"garbage", "every sunday", time.Hour, "invalid recurrence rule"},
		{"no occurrence", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", time.Hour, "no occurrence"},
		{"impossible daily", "FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31", time.Hour, "no occurrence"},
		{"hourly", "FREQ=HOURLY", time.Hour, "not supported"},
		{"out of bounds", "FREQ=DAILY;BYHOUR=25", time.Hour, "invalid recurrence rule"},
		{"two rules", "FREQ=DAILY\nFREQ=WEEKLY", time.Hour, "more than one RRULE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := NewRecurring(tt.rule, tt.length, time.UTC)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
}

func TestRecurringLowerCase(t *testing.T) {
	m, err := NewRecurring("rrule:freq=weekly;byday=su;byhour=2;byminute=0", time.Hour, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Intervals(at(t, time.UTC, "2026-03-01 00:00"), at(t, time.UTC, "2026-03-08 00:00"))
	if len(got) != 1 || !got[0].Start.Equal(at(t, time.UTC, "2026-03-01 02:00")) {
		t.Fatalf("Intervals = %v", got)
	}
}

func TestOneOff(t *testing.T) {
	m := OneOff(at(t, time.UTC, "2026-03-01 10:00"), at(t, time.UTC, "2026-03-01 12:00"))
	if d := m.Intervals(at(t, time.UTC, "2026-03-01 11:00"), at(t, time.UTC, "2026-03-02 00:00")).Duration(); d != time.Hour {
		t.Fatalf("clipped one-off = %v, want 1h", d)
	}
	if got := OneOff(at(t, time.UTC, "2026-03-01 12:00"), at(t, time.UTC, "2026-03-01 10:00")).Intervals(time.Time{}, at(t, time.UTC, "2030-01-01 00:00")); len(got) != 0 {
		t.Fatalf("reversed one-off = %v, want nothing", got)
	}
}
