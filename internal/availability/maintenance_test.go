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
		{"unknown frequency", "FREQ=FORTNIGHTLY", time.Hour, `FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY, not "FORTNIGHTLY"`},
		{"no occurrence", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", time.Hour, "no occurrence"},
		{"impossible daily", "FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31", time.Hour, "no occurrence"},
		{"hourly", "FREQ=HOURLY", time.Hour, "not supported"},
		{"out of bounds", "FREQ=DAILY;BYHOUR=25", time.Hour, "invalid recurrence rule"},
		{"two rules", "FREQ=DAILY\nFREQ=WEEKLY", time.Hour, "more than one RRULE"},
		// What RFC 5545 forbids and the RRULE library takes anyway.
		{"interval zero", "FREQ=WEEKLY;INTERVAL=0", time.Hour, `INTERVAL must be a whole number of at least 1, not "0"`},
		{"interval negative", "FREQ=WEEKLY;INTERVAL=-2", time.Hour, "INTERVAL must be"},
		{"count zero", "FREQ=DAILY;COUNT=0", time.Hour, "COUNT must be"},
		{"count and until", "FREQ=DAILY;COUNT=3;UNTIL=20270101T000000", time.Hour, "COUNT and UNTIL cannot both"},
		{"bysetpos alone", "FREQ=MONTHLY;BYSETPOS=1", time.Hour, "BYSETPOS needs another BYxxx"},
		{"byweekno monthly", "FREQ=MONTHLY;BYWEEKNO=10", time.Hour, "BYWEEKNO applies only with FREQ=YEARLY"},
		{"byyearday daily", "FREQ=DAILY;BYYEARDAY=100", time.Hour, "BYYEARDAY does not apply with FREQ=DAILY"},
		{"byyearday weekly", "FREQ=WEEKLY;BYYEARDAY=100", time.Hour, "BYYEARDAY does not apply with FREQ=WEEKLY"},
		{"byyearday monthly", "FREQ=MONTHLY;BYYEARDAY=100", time.Hour, "BYYEARDAY does not apply with FREQ=MONTHLY"},
		{"bymonthday weekly", "FREQ=WEEKLY;BYMONTHDAY=1", time.Hour, "BYMONTHDAY does not apply with FREQ=WEEKLY"},
		{"byhour 24", "FREQ=DAILY;BYHOUR=24", time.Hour, `BYHOUR value "24" must be between 0 and 23`},
		{"byminute 60", "FREQ=DAILY;BYMINUTE=60", time.Hour, `BYMINUTE value "60" must be between 0 and 59`},
		{"bysecond 60", "FREQ=DAILY;BYSECOND=60", time.Hour, `BYSECOND value "60" must be between 0 and 59`},
		{"bymonthday zero", "FREQ=MONTHLY;BYMONTHDAY=0", time.Hour, `BYMONTHDAY value "0" must be between 1 and 31, or -1 and -31`},
		{"bymonthday 32", "FREQ=MONTHLY;BYMONTHDAY=32", time.Hour, `BYMONTHDAY value "32"`},
		{"bymonth 13", "FREQ=YEARLY;BYMONTH=13", time.Hour, `BYMONTH value "13" must be between 1 and 12`},
		{"bymonth negative", "FREQ=YEARLY;BYMONTH=-1", time.Hour, `BYMONTH value "-1"`},
		{"empty list item", "FREQ=DAILY;BYHOUR=1,,2", time.Hour, `BYHOUR value ""`},
		{"numbered day weekly", "FREQ=WEEKLY;BYDAY=1MO", time.Hour, `BYDAY "1MO": a numbered day applies only with FREQ=MONTHLY or FREQ=YEARLY`},
		{"numbered day daily", "FREQ=DAILY;BYDAY=-1FR", time.Hour, "applies only with FREQ=MONTHLY"},
		{"numbered day beside byweekno", "FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO", time.Hour, "does not apply beside BYWEEKNO"},
		{"week number zero", "FREQ=MONTHLY;BYDAY=0MO", time.Hour, "week number must be between 1 and 53"},
		{"week number 54", "FREQ=YEARLY;BYDAY=54MO", time.Hour, "week number must be between 1 and 53"},
		{"unknown day", "FREQ=WEEKLY;BYDAY=XX", time.Hour, `BYDAY "XX" is not a day`},
		{"bad wkst", "FREQ=WEEKLY;WKST=1MO", time.Hour, "WKST must be a day"},
		{"unknown part", "FREQ=WEEKLY;BYEASTER=0", time.Hour, "unknown part BYEASTER"},
		{"dtstart as a part", "FREQ=WEEKLY;DTSTART=20260101T000000", time.Hour, "unknown part DTSTART"},
		{"duplicate part", "FREQ=WEEKLY;BYDAY=MO;BYDAY=TU", time.Hour, "BYDAY is given twice"},
		{"duplicate freq", "FREQ=WEEKLY;FREQ=DAILY", time.Hour, "FREQ is given twice"},
		{"no freq", "BYDAY=MO", time.Hour, "FREQ is required"},
		{"empty part", "FREQ=WEEKLY;;BYDAY=MO", time.Hour, "empty part"},
		{"part without value", "FREQ=WEEKLY;BYDAY", time.Hour, `part "BYDAY" has no value`},
		{"plus on interval", "FREQ=DAILY;INTERVAL=+2", time.Hour, "INTERVAL must be"},
		{"no occurrence after until", "DTSTART:20260101T000000\nRRULE:FREQ=YEARLY;BYMONTH=2;UNTIL=20250101T000000", time.Hour, "no occurrence"},
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

// TestNewRecurringAcceptsRFC5545 keeps the validator from refusing what the
// standard allows.
func TestNewRecurringAcceptsRFC5545(t *testing.T) {
	for _, rule := range []string{
		"FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0",
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST=SU",
		"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
		"FREQ=MONTHLY;BYDAY=+1SU,-1SA;BYHOUR=3",
		"FREQ=MONTHLY;BYMONTHDAY=-1,+15",
		"FREQ=YEARLY;BYWEEKNO=1,-1;BYDAY=MO",
		"FREQ=YEARLY;BYYEARDAY=1,-1",
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
		"FREQ=DAILY;COUNT=10",
		"DTSTART:20260101T020000\nRRULE:FREQ=DAILY;UNTIL=20260201T000000Z",
		"FREQ=DAILY;BYDAY=MO,FR;BYHOUR=23;BYMINUTE=59;BYSECOND=59",
	} {
		t.Run(rule, func(t *testing.T) {
			if _, err := NewRecurring(rule, time.Hour, time.UTC); err != nil {
				t.Fatal(err)
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
