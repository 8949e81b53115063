package availability

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func FuzzParseDays(f *testing.F) {
	for _, s := range []string{"mon-fri", "sat,sun", "mon", "mon-wed,fri", "fri-mon", "daily", "Monday-FRIDAY", "fir", "", ",", "-", "mon--fri", "mon-fri-sat", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDays(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if d == 0 || d&^AllDays != 0 {
			t.Fatalf("ParseDays(%q) = %08b", s, d)
		}
		if back, err := ParseDays(d.String()); err != nil || back != d {
			t.Fatalf("round trip of %q via %q = %08b, %v", s, d.String(), back, err)
		}
	})
}

func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"09:00", "9:30", "24:00", "24:01", "9", "09:60", "00:00", "-0:00", "1:1", ":", "99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseClock(s)
		if err != nil {
			return
		}
		if c < 0 || c > 1440 {
			t.Fatalf("ParseClock(%q) = %d", s, c)
		}
		if back, err := ParseClock(c.String()); err != nil || back != c {
			t.Fatalf("round trip of %q via %q = %v, %v", s, c.String(), back, err)
		}
	})
}

// fuzzObjective builds an objective from fuzz input, sharing the expensive
// parts between runs.
type fuzzKit struct {
	cals  []*Calendar
	maint Maintenance
}

func newFuzzKit(f *testing.F) fuzzKit {
	ber := loc(f, "Europe/Berlin")
	night := mustCal(NewCalendar(loc(f, "America/New_York"), []Window{{AllDays, 22 * 60, 6 * 60}}, []Date{{2026, 3, 8}}))
	return fuzzKit{
		cals:  []*Calendar{nil, office(f, ber, Date{2026, 3, 6}, Date{2026, 4, 3}), night},
		maint: mustMaint(NewRecurring("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", 3*time.Hour, ber)),
	}
}

var fuzzBase = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// fuzzOutages reads outages from bytes, five bytes each: start (minutes
// after fuzzBase − 5 days, two bytes), length (10-minute steps), state, source.
func fuzzOutages(data []byte) []Outage {
	var os []Outage
	for i := 0; i+5 <= len(data) && len(os) < 200; i += 5 {
		start := fuzzBase.Add(-5*24*time.Hour + time.Duration(int(data[i])<<8|int(data[i+1]))*time.Minute)
		length := time.Duration(data[i+2])*10*time.Minute + time.Duration(data[i+4]%7)*time.Second
		os = append(os, Outage{start, start.Add(length), State(data[i+3] % 4), string(rune('a' + data[i+4]%5))})
	}
	return os
}

func fuzzObjective(k fuzzKit, flags, merge, minOut, weight uint8) *Objective {
	o := &Objective{
		Hours:       k.cals[int(flags)%len(k.cals)],
		Target:      0.99,
		MaxOutages:  int(flags>>4) - 4,
		MaxOutage:   time.Duration(flags>>5) * time.Hour,
		UnknownDown: flags&4 != 0,
		MergeGap:    time.Duration(merge) * time.Minute,
		MinOutage:   time.Duration(minOut) * time.Minute,
		Degraded:    float64(weight%101) / 100,
	}
	if flags&8 != 0 {
		o.Maintenance = []Maintenance{k.maint}
	}
	return o
}

func FuzzEvaluate(f *testing.F) {
	k := newFuzzKit(f)
	f.Add([]byte{0x1c, 0x20, 12, 3, 0, 0x1c, 0x40, 3, 3, 1}, uint16(30000), uint32(20000), uint8(0), uint8(0), uint8(0), uint8(50))
	f.Add([]byte{0x1c, 0x20, 200, 2, 0, 0x30, 0x40, 3, 0, 1, 0x00, 0x10, 255, 3, 4}, uint16(1), uint32(60000), uint8(7), uint8(30), uint8(5), uint8(100))
	f.Add([]byte{0x8c, 0x20, 20, 3, 2, 0x8c, 0x38, 5, 3, 3, 0xa0, 0x00, 90, 1, 1}, uint16(65535), uint32(0), uint8(0xfd), uint8(10), uint8(0), uint8(0))
	f.Add([]byte{}, uint16(100), uint32(1<<31), uint8(4), uint8(0), uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, split uint16, nowMin uint32, flags, merge, minOut, weight uint8) {
		o := fuzzObjective(k, flags, merge, minOut, weight)
		outs := fuzzOutages(data)
		span := func(os []Outage) Timeline {
			return FromOutages(fuzzBase.Add(-3*24*time.Hour), fuzzBase.Add(40*24*time.Hour), os)
		}
		tl := span(outs)
		from, to := fuzzBase, fuzzBase.Add(30*24*time.Hour)
		now := fuzzBase.Add(-24 * time.Hour).Add(time.Duration(nowMin%(60*24*35)) * time.Minute)
		r := Evaluate(o, tl, from, to, now)

		T, D := r.InHours.Duration(), r.Downtime.Duration()
		if D < 0 || D > T || r.Elapsed.Duration() > T {
			t.Fatalf("D = %v, elapsed = %v, T = %v", D, r.Elapsed.Duration(), T)
		}
		if r.Availability != nil && (*r.Availability < 0 || *r.Availability > 1) {
			t.Fatalf("availability = %v", *r.Availability)
		}
		if (r.Availability == nil) != (T == 0) {
			t.Fatalf("availability %v with T = %v", r.Availability, T)
		}
		var sum, durs time.Duration
		for _, ol := range r.OutageList {
			// An outage lasts its whole in-hours span, merged gaps
			// included, so it lasts at least as long as its downtime.
			if ol.Duration <= 0 || ol.Counted < 0 || ol.Counted > ol.Duration {
				t.Fatalf("listed outage lasts %v and counts %v", ol.Duration, ol.Counted)
			}
			if ol.Duration > r.LongestOutage {
				t.Fatalf("outage of %v is longer than the longest, %v", ol.Duration, r.LongestOutage)
			}
			sum += ol.Counted.Duration()
			durs += ol.Duration.Duration()
		}
		if sum > D || len(r.OutageList) != r.Outages {
			t.Fatalf("outages sum to %v > D %v", sum, D)
		}
		// Outages do not overlap, so their durations fit in the elapsed time.
		if durs > r.Elapsed.Duration() {
			t.Fatalf("outages last %v in all, more than the elapsed %v", durs, r.Elapsed)
		}
		// The counted intervals add up to D exactly, in time order.
		var rows time.Duration
		for i, c := range r.CountedIntervals {
			if c.Counted < 0 || c.Counted > c.InHours || !c.Start.Before(c.End) || c.InHours.Duration() > c.End.Sub(c.Start) {
				t.Fatalf("counted interval %+v", c)
			}
			if i > 0 && c.Start.Before(r.CountedIntervals[i-1].End) {
				t.Fatalf("counted intervals out of order: %+v", r.CountedIntervals)
			}
			rows += c.Counted.Duration()
		}
		if rows != D {
			t.Fatalf("counted intervals sum to %v, D is %v", rows, D)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}

		// Splitting [from, to) anywhere: T and D add up to the whole.
		mid := from.Add(time.Duration(float64(to.Sub(from)) * float64(split) / 65535)).Add(time.Duration(split) * time.Nanosecond)
		if mid.After(to) {
			mid = to
		}
		a, b := Evaluate(o, tl, from, mid, now), Evaluate(o, tl, mid, to, now)
		if got := a.InHours + b.InHours; got != r.InHours {
			t.Fatalf("T split at %v: %v + %v != %v", mid, a.InHours, b.InHours, r.InHours)
		}
		if diff := a.Downtime + b.Downtime - r.Downtime; diff < -1 || diff > 1 { // weighted degraded time rounds to the nanosecond
			t.Fatalf("D split at %v: %v + %v != %v", mid, a.Downtime, b.Downtime, r.Downtime)
		}

		// The order outages were recorded in does not matter.
		shuffled := slices.Clone(outs)
		slices.Reverse(shuffled)
		if len(shuffled) > 2 {
			shuffled = append(shuffled[1:], shuffled[0])
		}
		r2 := Evaluate(o, span(shuffled), from, to, now)
		j1, _ := json.Marshal(r)
		j2, _ := json.Marshal(r2)
		if string(j1) != string(j2) {
			t.Fatalf("order changed the report:\n%s\n%s", j1, j2)
		}
	})
}

// forbidden matches a few things no accepted rule may hold: a zero or
// negative INTERVAL or COUNT, a part outside RFC 5545, an empty part.
var forbidden = regexp.MustCompile(`(INTERVAL|COUNT)=(-|\+?0+(;|$))|BYEASTER|;;`)

// FuzzNewRecurring feeds arbitrary rules to the maintenance parser: it must
// answer quickly, never panic, refuse with a message, and accept only rules
// that follow RFC 5545 and produce windows of the given length.
func FuzzNewRecurring(f *testing.F) {
	for _, s := range []string{
		"FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", "FREQ=WEEKLY;INTERVAL=0", "FREQ=MONTHLY;BYSETPOS=1",
		"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=DAILY;COUNT=3;UNTIL=20270101T000000",
		"DTSTART:20260104T040000\nRRULE:FREQ=MONTHLY;BYDAY=1SU;COUNT=2", "DTSTART;TZID=Europe/Berlin:20260104T040000\nFREQ=DAILY",
		"FREQ=YEARLY;BYWEEKNO=-1;BYDAY=MO", "FREQ=WEEKLY;BYDAY=1MO", "FREQ=DAILY;BYHOUR=24", "rrule:freq=daily;byminute=59",
		"FREQ=WEEKLY;BYDAY=MO;BYDAY=TU", "FREQ=YEARLY;BYYEARDAY=-366", "FREQ=DAILY;BYEASTER=0", ";", "=", "FREQ=", "\xff",
	} {
		f.Add(s)
	}
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, rule string) {
		if len(rule) > 200 {
			return
		}
		m, err := NewRecurring(rule, time.Hour, time.UTC)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		up := strings.ToUpper(rule)
		if forbidden.MatchString(up) {
			t.Fatalf("accepted %q, which RFC 5545 forbids", rule)
		}
		if strings.Contains(up, "COUNT=") && strings.Contains(up, "UNTIL=") {
			t.Fatalf("accepted %q with both COUNT and UNTIL", rule)
		}
		set := m.Intervals(from, to)
		for i, iv := range set {
			if !iv.Start.Before(iv.End) || iv.Start.Before(from) || iv.End.After(to) || (i > 0 && !set[i-1].End.Before(iv.Start)) {
				t.Fatalf("%q: bad intervals %v", rule, set)
			}
		}
	})
}
