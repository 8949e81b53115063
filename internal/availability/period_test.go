package availability

import (
	"testing"
	"time"
)

func TestPeriodBounds(t *testing.T) {
	ber, ny := loc(t, "Europe/Berlin"), loc(t, "America/New_York")
	tests := []struct {
		name             string
		period           string
		l                *time.Location
		now              time.Time
		from, to         time.Time
		prevFrom, prevTo time.Time
	}{
		{
			name: "month in Berlin", period: "month", l: ber, now: at(t, ber, "2026-03-15 12:00"),
			from: at(t, ber, "2026-03-01 00:00"), to: at(t, ber, "2026-04-01 00:00"),
			prevFrom: at(t, ber, "2026-02-01 00:00"), prevTo: at(t, ber, "2026-03-01 00:00"),
		},
		{
			// 00:30 on 1 April in Berlin is still 31 March in UTC.
			name: "default period is month; now just after local midnight", period: "", l: ber, now: at(t, ber, "2026-04-01 00:30"),
			from: at(t, ber, "2026-04-01 00:00"), to: at(t, ber, "2026-05-01 00:00"),
			prevFrom: at(t, ber, "2026-03-01 00:00"), prevTo: at(t, ber, "2026-04-01 00:00"),
		},
		{
			// Wednesday 2026-03-04: the ISO week starts Monday 2 March.
			name: "week in New York", period: "week", l: ny, now: at(t, ny, "2026-03-04 23:30"),
			from: at(t, ny, "2026-03-02 00:00"), to: at(t, ny, "2026-03-09 00:00"),
			prevFrom: at(t, ny, "2026-02-23 00:00"), prevTo: at(t, ny, "2026-03-02 00:00"),
		},
		{
			name: "week on a Sunday", period: "week", l: ber, now: at(t, ber, "2026-03-08 10:00"),
			from: at(t, ber, "2026-03-02 00:00"), to: at(t, ber, "2026-03-09 00:00"),
			prevFrom: at(t, ber, "2026-02-23 00:00"), prevTo: at(t, ber, "2026-03-02 00:00"),
		},
		{
			name: "quarter in Berlin", period: "quarter", l: ber, now: at(t, ber, "2026-05-20 08:00"),
			from: at(t, ber, "2026-04-01 00:00"), to: at(t, ber, "2026-07-01 00:00"),
			prevFrom: at(t, ber, "2026-01-01 00:00"), prevTo: at(t, ber, "2026-04-01 00:00"),
		},
		{
			name: "quarter across the year", period: "quarter", l: ny, now: at(t, ny, "2026-01-01 00:00"),
			from: at(t, ny, "2026-01-01 00:00"), to: at(t, ny, "2026-04-01 00:00"),
			prevFrom: at(t, ny, "2025-10-01 00:00"), prevTo: at(t, ny, "2026-01-01 00:00"),
		},
		{
			name: "rolling 30d", period: "30d", l: ber, now: at(t, time.UTC, "2026-03-31 12:00"),
			from: at(t, time.UTC, "2026-03-01 12:00"), to: at(t, time.UTC, "2026-03-31 12:00"),
			prevFrom: at(t, time.UTC, "2026-01-30 12:00"), prevTo: at(t, time.UTC, "2026-03-01 12:00"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePeriod(tt.period)
			if err != nil {
				t.Fatal(err)
			}
			from, to := p.Bounds(tt.now, tt.l)
			if !from.Equal(tt.from) || !to.Equal(tt.to) {
				t.Errorf("Bounds = [%v, %v), want [%v, %v)", from, to, tt.from, tt.to)
			}
			from, to = p.Previous(tt.now, tt.l)
			if !from.Equal(tt.prevFrom) || !to.Equal(tt.prevTo) {
				t.Errorf("Previous = [%v, %v), want [%v, %v)", from, to, tt.prevFrom, tt.prevTo)
			}
		})
	}
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]string{"": "month", "Month": "month", "week": "week", "quarter": "quarter", "30d": "30d"} {
		p, err := ParsePeriod(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	if _, err := ParsePeriod("fortnight"); err == nil {
		t.Error("ParsePeriod accepted fortnight")
	}
}

func TestPeriodMidnightSkipped(t *testing.T) {
	// In America/Santiago clocks jump from 00:00 to 01:00 on 2026-09-06:
	// the week starting Monday 7 Sept is unaffected, but the day of the
	// jump has no midnight, so a period starting then begins at 01:00.
	scl := loc(t, "America/Santiago")
	got := midnight(2026, time.September, 6, scl)
	if want := at(t, scl, "2026-09-06 01:00"); !got.Equal(want) {
		t.Fatalf("midnight = %v, want %v", got.In(scl), want)
	}
}
