package availability

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// outagesTL is a day-by-day all-up timeline over 2026 (UTC) with the given
// outages laid over it.
func outagesTL(t *testing.T, os ...Outage) Timeline {
	return FromOutages(at(t, time.UTC, "2025-12-01 00:00"), at(t, time.UTC, "2027-01-01 00:00"), os)
}

func down(t *testing.T, l *time.Location, from, to string) Outage {
	return Outage{at(t, l, from), at(t, l, to), Down, "outage:" + from}
}

func TestEvaluate(t *testing.T) {
	ber, utc := loc(t, "Europe/Berlin"), time.UTC
	later := at(t, utc, "2027-01-01 00:00") // a now after every range: all observed
	type want struct {
		T, D          time.Duration
		avail         float64 // checked when T > 0
		outages       int
		longest       time.Duration
		counted       []time.Duration // each outage's downtime
		durations     []time.Duration // each outage's duration; nil: the same as counted
		mttr          time.Duration   // checked when > 0
		mtbf          time.Duration   // checked when > 0
		breaches      []string
		risks         []string
		budget        time.Duration
		burn          float64 // checked when > 0
		cost          float64
		availabilityN bool // availability must be nil
	}
	tests := []struct {
		name          string
		obj           Objective
		tl            Timeline
		from, to, now time.Time
		want          want
	}{
		{
			// Fri 16:30-17:00 (30 min) + Mon 09:00-09:30 (30 min) = 1 h. Two
			// office weeks, 2-13 March: 10 days × 8 h = 80 h.
			name: "outage from Friday 16:30 to Monday 09:30 counts 1 h",
			obj:  Objective{Hours: office(t, ber), Target: 0.99, MaxOutages: -1},
			tl:   outagesTL(t, down(t, ber, "2026-03-06 16:30", "2026-03-09 09:30")),
			from: at(t, ber, "2026-03-02 00:00"), to: at(t, ber, "2026-03-14 00:00"), now: later,
			// budget 1% of 80 h = 48 min.
			want: want{T: 80 * time.Hour, D: time.Hour, avail: 79.0 / 80, outages: 1, longest: time.Hour, counted: []time.Duration{time.Hour}, budget: 48 * time.Minute, breaches: []string{"availability"}},
		},
		{
			// 24x7 in Berlin: 29 March has 23 h; down 00:00-04:00 local is
			// 00:00 CET-04:00 CEST = 3 h.
			name: "24x7 on the spring-forward day in Berlin",
			obj:  Objective{Hours: mustCal(NewCalendar(ber, []Window{{AllDays, 0, 1440}}, nil)), Target: 0.9, MaxOutages: -1},
			tl:   outagesTL(t, down(t, ber, "2026-03-29 00:00", "2026-03-29 04:00")),
			from: at(t, ber, "2026-03-29 00:00"), to: at(t, ber, "2026-03-30 00:00"), now: later,
			want: want{T: 23 * time.Hour, D: 3 * time.Hour, avail: 20.0 / 23, outages: 1, longest: 3 * time.Hour, counted: []time.Duration{3 * time.Hour}, budget: 138 * time.Minute, breaches: []string{"availability"}},
		},
		{
			// 25 October has 25 h; 00:00-04:00 local is 5 h of real time.
			name: "24x7 on the fall-back day in Berlin",
			obj:  Objective{Target: 0.9, MaxOutages: -1},
			tl:   outagesTL(t, down(t, ber, "2026-10-25 00:00", "2026-10-25 04:00")),
			from: at(t, ber, "2026-10-25 00:00"), to: at(t, ber, "2026-10-26 00:00"), now: later,
			want: want{T: 25 * time.Hour, D: 5 * time.Hour, avail: 20.0 / 25, outages: 1, longest: 5 * time.Hour, counted: []time.Duration{5 * time.Hour}, budget: 150 * time.Minute, breaches: []string{"availability"}},
		},
		{
			// Window 01:00-04:00 New York on 8 March is 2 h (02:00-03:00 is
			// skipped); down all night: D = T = 2 h.
			name: "window across spring-forward in New York",
			obj:  Objective{Hours: mustCal(NewCalendar(loc(t, "America/New_York"), []Window{{AllDays, 60, 240}}, nil)), Target: 0.5, MaxOutages: -1},
			tl:   outagesTL(t, down(t, utc, "2026-03-08 00:00", "2026-03-08 12:00")),
			from: at(t, utc, "2026-03-08 00:00"), to: at(t, utc, "2026-03-09 00:00"), now: later,
			want: want{T: 2 * time.Hour, D: 2 * time.Hour, avail: 0, outages: 1, longest: 2 * time.Hour, counted: []time.Duration{2 * time.Hour}, budget: time.Hour, breaches: []string{"availability"}},
		},
		{
			// Window 01:00-04:00 New York on 1 November is 4 h.
			name: "window across fall-back in New York",
			obj:  Objective{Hours: mustCal(NewCalendar(loc(t, "America/New_York"), []Window{{AllDays, 60, 240}}, nil)), Target: 0.5, MaxOutages: -1},
			tl:   outagesTL(t, down(t, utc, "2026-11-01 06:00", "2026-11-01 07:00")),
			from: at(t, utc, "2026-11-01 00:00"), to: at(t, utc, "2026-11-02 00:00"), now: later,
			// 06:00Z-07:00Z is 01:00-02:00 EST, the repeated hour, inside the window.
			want: want{T: 4 * time.Hour, D: time.Hour, avail: 0.75, outages: 1, longest: time.Hour, counted: []time.Duration{time.Hour}, budget: 2 * time.Hour},
		},
		{
			// Friday 6 March is a holiday: the outage on it does not count,
			// and T is 4 days × 8 h.
			name: "holiday",
			obj:  Objective{Hours: office(t, ber, Date{2026, 3, 6}), Target: 0.99, MaxOutages: 0},
			tl:   outagesTL(t, down(t, ber, "2026-03-06 10:00", "2026-03-06 12:00")),
			from: at(t, ber, "2026-03-02 00:00"), to: at(t, ber, "2026-03-09 00:00"), now: later,
			want: want{T: 32 * time.Hour, D: 0, avail: 1, outages: 0, budget: 19*time.Minute + 12*time.Second},
		},
		{
			// Down 10-12, maintenance 11-13: T = 24 h − 2 h, D = 10-11 = 1 h.
			name: "maintenance partly overlapping an outage",
			obj:  Objective{Target: 0.99, MaxOutages: -1, Maintenance: []Maintenance{OneOff(at(t, utc, "2026-03-10 11:00"), at(t, utc, "2026-03-10 13:00"))}},
			tl:   outagesTL(t, down(t, utc, "2026-03-10 10:00", "2026-03-10 12:00")),
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 22 * time.Hour, D: time.Hour, avail: 21.0 / 22, outages: 1, longest: time.Hour, counted: []time.Duration{time.Hour}, budget: 13*time.Minute + 12*time.Second, breaches: []string{"availability"}},
		},
		{
			// 10:00-10:10 and 10:14-10:20 are 4 min apart, under merge_gap 5m:
			// one outage 10:00-10:20 lasting 20 min, whose down time is
			// 10 + 6 = 16 min.
			name: "merge_gap joins two runs",
			obj:  Objective{Target: 0.99, MaxOutages: 1, MaxOutage: 15 * time.Minute, MergeGap: 5 * time.Minute},
			tl:   outagesTL(t, down(t, utc, "2026-03-10 10:00", "2026-03-10 10:10"), down(t, utc, "2026-03-10 10:14", "2026-03-10 10:20")),
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 24 * time.Hour, D: 16 * time.Minute, avail: 1 - 16.0/1440, outages: 1, longest: 20 * time.Minute, counted: []time.Duration{16 * time.Minute}, durations: []time.Duration{20 * time.Minute}, budget: 14*time.Minute + 24*time.Second, breaches: []string{"availability", "max_outage"}},
		},
		{
			// PRODUCT.md's case: 10:00-10:02 and 10:04-10:06, 2 min apart,
			// under merge_gap 5m: one outage 10:00-10:06 lasting 6 min with
			// 2 + 2 = 4 min of downtime. 6 min > max_outage 5m breaches it,
			// though neither run alone (nor the downtime) would. MTTR is the
			// 6 min; MTBF is the rest of the day, 24 h − 6 min.
			name: "merged outage lasts its whole span",
			obj:  Objective{Target: 0.99, MaxOutages: -1, MaxOutage: 5 * time.Minute, MergeGap: 5 * time.Minute},
			tl:   outagesTL(t, down(t, utc, "2026-03-10 10:00", "2026-03-10 10:02"), down(t, utc, "2026-03-10 10:04", "2026-03-10 10:06")),
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 24 * time.Hour, D: 4 * time.Minute, avail: 1 - 4.0/1440, outages: 1, longest: 6 * time.Minute,
				counted: []time.Duration{4 * time.Minute}, durations: []time.Duration{6 * time.Minute}, mttr: 6 * time.Minute, mtbf: 24*time.Hour - 6*time.Minute,
				budget: 14*time.Minute + 24*time.Second, breaches: []string{"max_outage"}},
		},
		{
			// Office hours end at 17:00: runs 16:56-16:58 and 17:01-17:03
			// (Berlin) merge; the span 16:56-17:03 lasts only its in-hours
			// part, 16:56-17:00 = 4 min, of which 2 min are downtime.
			name: "merged outage lasts only its in-hours part",
			obj:  Objective{Hours: office(t, ber), Target: 0.99, MaxOutages: -1, MergeGap: 5 * time.Minute},
			tl:   outagesTL(t, down(t, ber, "2026-03-09 16:56", "2026-03-09 16:58"), down(t, ber, "2026-03-09 17:01", "2026-03-09 17:03")),
			from: at(t, ber, "2026-03-09 00:00"), to: at(t, ber, "2026-03-10 00:00"), now: later,
			want: want{T: 8 * time.Hour, D: 2 * time.Minute, avail: 1 - 2.0/480, outages: 1, longest: 4 * time.Minute,
				counted: []time.Duration{2 * time.Minute}, durations: []time.Duration{4 * time.Minute}, mttr: 4 * time.Minute, mtbf: 8*time.Hour - 4*time.Minute,
				budget: 4*time.Minute + 48*time.Second},
		},
		{
			// Maintenance 10:03-10:05 inside the merged gap of 10:00-10:02 and
			// 10:06-10:08: the 8-minute span lasts 8 − 2 = 6 min; 4 min down.
			name: "merged outage lasts outside maintenance only",
			obj:  Objective{Target: 0.99, MaxOutages: -1, MergeGap: 5 * time.Minute, Maintenance: []Maintenance{OneOff(at(t, utc, "2026-03-10 10:03"), at(t, utc, "2026-03-10 10:05"))}},
			tl:   outagesTL(t, down(t, utc, "2026-03-10 10:00", "2026-03-10 10:02"), down(t, utc, "2026-03-10 10:06", "2026-03-10 10:08")),
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 24*time.Hour - 2*time.Minute, D: 4 * time.Minute, avail: 1 - 4.0/1438, outages: 1, longest: 6 * time.Minute,
				counted: []time.Duration{4 * time.Minute}, durations: []time.Duration{6 * time.Minute}, mttr: 6 * time.Minute,
				budget: 14*time.Minute + 22*time.Second + 800*time.Millisecond},
		},
		{
			// Same runs without merging: two outages, 10 and 6 min.
			name: "without merge_gap the runs stay apart",
			obj:  Objective{Target: 0.99, MaxOutages: 1, MaxOutage: 15 * time.Minute},
			tl:   outagesTL(t, down(t, utc, "2026-03-10 10:00", "2026-03-10 10:10"), down(t, utc, "2026-03-10 10:14", "2026-03-10 10:20")),
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 24 * time.Hour, D: 16 * time.Minute, avail: 1 - 16.0/1440, outages: 2, longest: 10 * time.Minute, counted: []time.Duration{10 * time.Minute, 6 * time.Minute}, budget: 14*time.Minute + 24*time.Second, breaches: []string{"availability", "max_outages"}},
		},
		{
			// A 1-minute blip under min_outage 2m: neither outage nor downtime.
			name: "min_outage drops a blip",
			obj:  Objective{Target: 0.99, MaxOutages: -1, MinOutage: 2 * time.Minute},
			tl:   outagesTL(t, down(t, utc, "2026-03-10 10:00", "2026-03-10 10:01"), down(t, utc, "2026-03-10 12:00", "2026-03-10 12:30")),
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 24 * time.Hour, D: 30 * time.Minute, avail: 1 - 30.0/1440, outages: 1, longest: 30 * time.Minute, counted: []time.Duration{30 * time.Minute}, budget: 14*time.Minute + 24*time.Second, breaches: []string{"availability"}},
		},
		{
			// Degraded 2 h at weight 0.5: D = 1 h, and degraded is no outage.
			name: "degraded weight 0.5",
			obj:  Objective{Target: 0.9, MaxOutages: 0, Degraded: 0.5, DowntimeCost: 120},
			tl:   outagesTL(t, Outage{at(t, utc, "2026-03-10 10:00"), at(t, utc, "2026-03-10 12:00"), Degraded, "outage:slow"}),
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 24 * time.Hour, D: time.Hour, avail: 23.0 / 24, outages: 0, budget: 144 * time.Minute, cost: 120},
		},
		{
			// degraded: down (weight 1): the degraded run is an outage too.
			name: "degraded counts as down",
			obj:  Objective{Target: 0.9, MaxOutages: 0, Degraded: 1},
			tl:   outagesTL(t, Outage{at(t, utc, "2026-03-10 10:00"), at(t, utc, "2026-03-10 12:00"), Degraded, "outage:slow"}),
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 24 * time.Hour, D: 2 * time.Hour, avail: 22.0 / 24, outages: 1, longest: 2 * time.Hour, counted: []time.Duration{2 * time.Hour}, budget: 144 * time.Minute, breaches: []string{"max_outages"}},
		},
		{
			// Checks stop reporting 10:00-11:00 (a gap) and report unknown
			// 15:00-15:30: with unknown: down, 1 h 30 min in two outages.
			name: "unknown: down",
			obj:  Objective{Target: 0.9, MaxOutages: -1, UnknownDown: true},
			tl: Timeline{
				seg(t, "2026-03-10 00:00", "2026-03-10 10:00", Up, "check"),
				seg(t, "2026-03-10 11:00", "2026-03-10 15:00", Up, "check"),
				seg(t, "2026-03-10 15:00", "2026-03-10 15:30", Unknown, "check"),
				seg(t, "2026-03-10 15:30", "2026-03-11 00:00", Up, "check"),
			},
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 24 * time.Hour, D: 90 * time.Minute, avail: 1 - 1.5/24, outages: 2, longest: time.Hour, counted: []time.Duration{time.Hour, 30 * time.Minute}, budget: 144 * time.Minute},
		},
		{
			name: "unknown: up (the default) ignores the same gaps",
			obj:  Objective{Target: 0.9, MaxOutages: -1},
			tl: Timeline{
				seg(t, "2026-03-10 00:00", "2026-03-10 10:00", Up, "check"),
				seg(t, "2026-03-10 11:00", "2026-03-10 15:00", Up, "check"),
				seg(t, "2026-03-10 15:00", "2026-03-10 15:30", Unknown, "check"),
				seg(t, "2026-03-10 15:30", "2026-03-11 00:00", Up, "check"),
			},
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 24 * time.Hour, D: 0, avail: 1, budget: 144 * time.Minute},
		},
		{
			// A weekend on office hours: nothing to measure.
			name: "zero in-hours time",
			obj:  Objective{Hours: office(t, ber), Target: 0.99, MaxOutages: 0},
			tl:   outagesTL(t, down(t, ber, "2026-03-07 10:00", "2026-03-07 12:00")),
			from: at(t, ber, "2026-03-07 00:00"), to: at(t, ber, "2026-03-09 00:00"), now: later,
			want: want{availabilityN: true},
		},
		{
			// Down 31 March 23:00 - 1 April 01:00 UTC: March counts 1 h of it.
			name: "outage crossing the period boundary, first period",
			obj:  Objective{Target: 0.999, MaxOutages: -1},
			tl:   outagesTL(t, down(t, utc, "2026-03-31 23:00", "2026-04-01 01:00")),
			from: at(t, utc, "2026-03-01 00:00"), to: at(t, utc, "2026-04-01 00:00"), now: later,
			// 31 days = 744 h; budget 0.1% = 44 min 38.4 s.
			want: want{T: 744 * time.Hour, D: time.Hour, avail: 743.0 / 744, outages: 1, longest: time.Hour, counted: []time.Duration{time.Hour}, budget: 44*time.Minute + 38400*time.Millisecond, breaches: []string{"availability"}},
		},
		{
			name: "outage crossing the period boundary, second period",
			obj:  Objective{Target: 0.999, MaxOutages: -1},
			tl:   outagesTL(t, down(t, utc, "2026-03-31 23:00", "2026-04-01 01:00")),
			from: at(t, utc, "2026-04-01 00:00"), to: at(t, utc, "2026-05-01 00:00"), now: later,
			// 30 days = 720 h; budget 43 min 12 s.
			want: want{T: 720 * time.Hour, D: time.Hour, avail: 719.0 / 720, outages: 1, longest: time.Hour, counted: []time.Duration{time.Hour}, budget: 43*time.Minute + 12*time.Second, breaches: []string{"availability"}},
		},
		{
			// Rolling 30 days before 31 March 12:00: the outage 40 days ago is
			// out, the 2 h one 10 days ago is in.
			name: "rolling 30d",
			obj:  Objective{Period: Rolling30, Target: 0.99, MaxOutages: -1},
			tl:   outagesTL(t, down(t, utc, "2026-02-19 12:00", "2026-02-19 13:00"), down(t, utc, "2026-03-21 12:00", "2026-03-21 14:00")),
			from: at(t, utc, "2026-03-01 12:00"), to: at(t, utc, "2026-03-31 12:00"), now: at(t, utc, "2026-03-31 12:00"),
			// budget 1% of 720 h = 7 h 12 min; burn = (2/720)/0.01 = 5/18.
			want: want{T: 720 * time.Hour, D: 2 * time.Hour, avail: 718.0 / 720, outages: 1, longest: 2 * time.Hour, counted: []time.Duration{2 * time.Hour}, budget: 7*time.Hour + 12*time.Minute, burn: 5.0 / 18},
		},
		{
			// March (744 h), now 11 March 00:00: 240 h elapsed, 3 h down.
			// Burn = (3/240)/0.01 = 1.25 > 1: at risk, not yet breached
			// (budget 7 h 26 min 24 s). One outage in 240 h projects to
			// 744/240 = 3.1 > 3 outages: at risk too.
			name: "burn rate and at risk during the period",
			obj:  Objective{Target: 0.99, MaxOutages: 3},
			tl:   outagesTL(t, down(t, utc, "2026-03-05 00:00", "2026-03-05 03:00")),
			from: at(t, utc, "2026-03-01 00:00"), to: at(t, utc, "2026-04-01 00:00"), now: at(t, utc, "2026-03-11 00:00"),
			want: want{T: 744 * time.Hour, D: 3 * time.Hour, avail: 741.0 / 744, outages: 1, longest: 3 * time.Hour, counted: []time.Duration{3 * time.Hour}, budget: 7*time.Hour + 26*time.Minute + 24*time.Second, burn: 1.25, risks: []string{"availability", "max_outages"}},
		},
		{
			// An outage still going on at now (since 10 March 22:00, 2 h so
			// far) with max_outage 4h and 21 days left: at risk. Time after now
			// is not downtime.
			name: "ongoing outage",
			obj:  Objective{Target: 0.9, MaxOutages: -1, MaxOutage: 4 * time.Hour},
			tl:   outagesTL(t, down(t, utc, "2026-03-10 22:00", "2026-03-20 00:00")),
			from: at(t, utc, "2026-03-01 00:00"), to: at(t, utc, "2026-04-01 00:00"), now: at(t, utc, "2026-03-11 00:00"),
			want: want{T: 744 * time.Hour, D: 2 * time.Hour, avail: 742.0 / 744, outages: 1, longest: 2 * time.Hour, counted: []time.Duration{2 * time.Hour}, budget: 74*time.Hour + 24*time.Minute, burn: (2.0 / 240) / 0.1, risks: []string{"max_outage"}},
		},
		{
			// Own service up; database (hard) down 10-11, cache (soft)
			// degraded 12-14. Weight 0.5: D = 1 h + 0.5 × 2 h = 2 h; only
			// the hard dependency's hour is an outage. Cost 2 h × 50.
			name: "hard and soft dependencies",
			obj:  Objective{Target: 0.9, MaxOutages: -1, Degraded: 0.5, DowntimeCost: 50},
			tl: Derive(outagesTL(t),
				[]Timeline{outagesTL(t, down(t, utc, "2026-03-10 10:00", "2026-03-10 11:00")).Relabel("database")},
				[]Timeline{outagesTL(t, Outage{at(t, utc, "2026-03-10 12:00"), at(t, utc, "2026-03-10 14:00"), Degraded, ""}).Relabel("cache")}),
			from: at(t, utc, "2026-03-10 00:00"), to: at(t, utc, "2026-03-11 00:00"), now: later,
			want: want{T: 24 * time.Hour, D: 2 * time.Hour, avail: 22.0 / 24, outages: 1, longest: time.Hour, counted: []time.Duration{time.Hour}, budget: 144 * time.Minute, cost: 100},
		},
		{
			// Weekly maintenance Sundays 02:00-04:00 Berlin over the week of
			// the spring change: 29 March 02:00 does not exist, the window
			// starts at 03:00 CEST and lasts 2 h (to 05:00). 168 h − 1 h (the
			// skipped hour) − 2 h = 165 h. The outage 03:00-06:00 CEST counts
			// only 05:00-06:00.
			name: "recurring maintenance across DST",
			obj: Objective{Target: 0.99, MaxOutages: -1,
				Maintenance: []Maintenance{mustMaint(NewRecurring("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", 2*time.Hour, ber))}},
			tl:   outagesTL(t, down(t, ber, "2026-03-29 03:00", "2026-03-29 06:00")),
			from: at(t, ber, "2026-03-23 00:00"), to: at(t, ber, "2026-03-30 00:00"), now: later,
			want: want{T: 165 * time.Hour, D: time.Hour, avail: 164.0 / 165, outages: 1, longest: time.Hour, counted: []time.Duration{time.Hour}, budget: 99 * time.Minute},
		},
		{
			// Night service 22:00-06:00 every day; down Friday 21:00 to
			// Saturday 07:00 counts the whole night, 8 h.
			name: "window crossing midnight",
			obj:  Objective{Hours: mustCal(NewCalendar(utc, []Window{{AllDays, 22 * 60, 6 * 60}}, nil)), Target: 0.9, MaxOutages: -1},
			tl:   outagesTL(t, down(t, utc, "2026-03-06 21:00", "2026-03-07 07:00")),
			from: at(t, utc, "2026-03-02 00:00"), to: at(t, utc, "2026-03-09 00:00"), now: later,
			// Week from Monday 00:00: Sunday night 00-06 (6 h) + 6 nights ×
			// 8 h + Sunday 22-24 (2 h) = 56 h.
			want: want{T: 56 * time.Hour, D: 8 * time.Hour, avail: 48.0 / 56, outages: 1, longest: 8 * time.Hour, counted: []time.Duration{8 * time.Hour}, budget: 5*time.Hour + 36*time.Minute, breaches: []string{"availability"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(&tt.obj, tt.tl, tt.from, tt.to, tt.now)
			w := tt.want
			if r.InHours.Duration() != w.T || r.Downtime.Duration() != w.D {
				t.Errorf("T, D = %v, %v; want %v, %v", r.InHours.Duration(), r.Downtime.Duration(), w.T, w.D)
			}
			switch {
			case w.availabilityN && r.Availability != nil:
				t.Errorf("availability = %v, want nil", *r.Availability)
			case !w.availabilityN && (r.Availability == nil || !near(*r.Availability, w.avail)):
				t.Errorf("availability = %v, want %v", fptr(r.Availability), w.avail)
			}
			if r.Outages != w.outages || r.LongestOutage.Duration() != w.longest {
				t.Errorf("outages, longest = %d, %v; want %d, %v", r.Outages, r.LongestOutage.Duration(), w.outages, w.longest)
			}
			var counted []time.Duration
			for _, o := range r.OutageList {
				counted = append(counted, o.Counted.Duration())
			}
			if !slices.Equal(counted, w.counted) {
				t.Errorf("counted = %v, want %v", counted, w.counted)
			}
			var durations []time.Duration
			for _, o := range r.OutageList {
				durations = append(durations, o.Duration.Duration())
			}
			if wd := cmpOr(w.durations, w.counted); !slices.Equal(durations, wd) {
				t.Errorf("durations = %v, want %v", durations, wd)
			}
			if w.mttr > 0 && (r.MTTR == nil || r.MTTR.Duration() != w.mttr) {
				t.Errorf("MTTR = %v, want %v", r.MTTR, w.mttr)
			}
			if w.mtbf > 0 && (r.MTBF == nil || r.MTBF.Duration() != w.mtbf) {
				t.Errorf("MTBF = %v, want %v", r.MTBF, w.mtbf)
			}
			var rows time.Duration
			for _, c := range r.CountedIntervals {
				rows += c.Counted.Duration()
			}
			if rows != r.Downtime.Duration() {
				t.Errorf("counted intervals sum to %v, downtime is %v: %+v", rows, r.Downtime.Duration(), r.CountedIntervals)
			}
			if r.ErrorBudget.Duration() != w.budget || r.ErrorBudgetRemaining.Duration() != w.budget-w.D {
				t.Errorf("budget, remaining = %v, %v; want %v, %v", r.ErrorBudget.Duration(), r.ErrorBudgetRemaining.Duration(), w.budget, w.budget-w.D)
			}
			if w.burn > 0 && (r.BurnRate == nil || !near(*r.BurnRate, w.burn)) {
				t.Errorf("burn rate = %v, want %v", fptr(r.BurnRate), w.burn)
			}
			if !near(r.DowntimeCost, w.cost) {
				t.Errorf("cost = %v, want %v", r.DowntimeCost, w.cost)
			}
			if !slices.Equal(r.Compliance.Breaches, orEmpty(w.breaches)) || r.Compliance.Met != (len(w.breaches) == 0) {
				t.Errorf("breaches = %v (met %v), want %v", r.Compliance.Breaches, r.Compliance.Met, w.breaches)
			}
			if !slices.Equal(r.Compliance.Risks, orEmpty(w.risks)) || r.Compliance.AtRisk != (len(w.risks) > 0) {
				t.Errorf("risks = %v (at risk %v), want %v", r.Compliance.Risks, r.Compliance.AtRisk, w.risks)
			}
		})
	}
}

func TestEvaluateSourcesAndSpan(t *testing.T) {
	// The outage list shows the whole merged span and who caused it.
	utc := time.UTC
	tl := Derive(outagesTL(t, down(t, utc, "2026-03-10 10:00", "2026-03-10 10:30")),
		[]Timeline{outagesTL(t, down(t, utc, "2026-03-10 10:20", "2026-03-10 11:00")).Relabel("database")}, nil)
	r := Evaluate(&Objective{Target: 0.9, MaxOutages: -1}, tl, at(t, utc, "2026-03-10 10:45"), at(t, utc, "2026-03-11 00:00"), at(t, utc, "2027-01-01 00:00"))
	if len(r.OutageList) != 1 {
		t.Fatalf("outage list = %+v", r.OutageList)
	}
	o := r.OutageList[0]
	if !o.Start.Equal(at(t, utc, "2026-03-10 10:00")) || !o.End.Equal(at(t, utc, "2026-03-10 11:00")) || o.Counted.Duration() != 15*time.Minute {
		t.Errorf("outage = %+v, want 10:00-11:00 counting 15 min", o)
	}
	if o.Source != "outage:2026-03-10 10:00, dependency:database" || o.State != Down {
		t.Errorf("source, state = %q, %v", o.Source, o.State)
	}
}

func TestEvaluateCountedIntervals(t *testing.T) {
	// Every stretch that counted is listed with its weight and source, and
	// the list adds up to the downtime: database (hard) down 10:00-11:00,
	// cache (soft) degraded 12:00-14:00 at weight 0.5, the service's own
	// check down 15:00-15:10 and 15:12-15:20 (merged: one outage whose gap
	// is no row). D = 60 + 60 + 18 min = 2 h 18 min.
	utc := time.UTC
	own := outagesTL(t, Outage{at(t, utc, "2026-03-10 15:00"), at(t, utc, "2026-03-10 15:10"), Down, "check:web"},
		Outage{at(t, utc, "2026-03-10 15:12"), at(t, utc, "2026-03-10 15:20"), Down, "check:web"})
	tl := Derive(own,
		[]Timeline{outagesTL(t, down(t, utc, "2026-03-10 10:00", "2026-03-10 11:00")).Relabel("database")},
		[]Timeline{outagesTL(t, Outage{at(t, utc, "2026-03-10 12:00"), at(t, utc, "2026-03-10 14:00"), Degraded, ""}).Relabel("cache")})
	r := Evaluate(&Objective{Target: 0.9, MaxOutages: -1, Degraded: 0.5, MergeGap: 5 * time.Minute}, tl,
		at(t, utc, "2026-03-10 00:00"), at(t, utc, "2026-03-11 00:00"), at(t, utc, "2027-01-01 00:00"))
	type row struct {
		start, end string
		state      State
		source     string
		weight     float64
		in, cnt    time.Duration
	}
	want := []row{
		{"2026-03-10 10:00", "2026-03-10 11:00", Down, "dependency:database", 1, time.Hour, time.Hour},
		{"2026-03-10 12:00", "2026-03-10 14:00", Degraded, "dependency:cache", 0.5, 2 * time.Hour, time.Hour},
		{"2026-03-10 15:00", "2026-03-10 15:10", Down, "check:web", 1, 10 * time.Minute, 10 * time.Minute},
		{"2026-03-10 15:12", "2026-03-10 15:20", Down, "check:web", 1, 8 * time.Minute, 8 * time.Minute},
	}
	if len(r.CountedIntervals) != len(want) {
		t.Fatalf("counted intervals = %+v, want %d", r.CountedIntervals, len(want))
	}
	for i, w := range want {
		g := r.CountedIntervals[i]
		if !g.Start.Equal(at(t, utc, w.start)) || !g.End.Equal(at(t, utc, w.end)) || g.State != w.state || g.Source != w.source ||
			g.Weight != w.weight || g.InHours.Duration() != w.in || g.Counted.Duration() != w.cnt {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	if r.Downtime.Duration() != 2*time.Hour+18*time.Minute {
		t.Errorf("downtime = %v, want 2h18m", r.Downtime.Duration())
	}
	if len(r.OutageList) != 2 || r.OutageList[1].Duration.Duration() != 20*time.Minute || r.OutageList[1].Counted.Duration() != 18*time.Minute {
		t.Errorf("outages = %+v, want the database hour and 15:00-15:20 (18 min down)", r.OutageList)
	}
}

func TestReportJSON(t *testing.T) {
	utc := time.UTC
	r := Evaluate(&Objective{Target: 0.995, MaxOutages: -1}, outagesTL(t, down(t, utc, "2026-03-10 10:00", "2026-03-10 10:00").withEnd(at(t, utc, "2026-03-10 10:00").Add(1500*time.Millisecond))),
		at(t, utc, "2026-03-10 00:00"), at(t, utc, "2026-03-11 00:00"), at(t, utc, "2027-01-01 00:00"))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`"from":"2026-03-10T00:00:00Z"`, `"in_hours_seconds":86400,`, `"downtime_seconds":1.5,`,
		`"error_budget_seconds":432,`, `"error_budget_remaining_seconds":430.5,`, `"outages":1,`,
		`"mttr_seconds":1.5,`, `"compliance":{"met":true,"at_risk":false,"breaches":[],"risks":[]}`,
		`"outage_list":[{"start":"2026-03-10T10:00:00Z","end":"2026-03-10T10:00:01.5Z","duration_seconds":1.5,"counted_seconds":1.5,"state":"down"`,
		`"counted_intervals":[{"start":"2026-03-10T10:00:00Z","end":"2026-03-10T10:00:01.5Z","state":"down","source":"outage:2026-03-10 10:00","weight":1,"in_hours_seconds":1.5,"counted_seconds":1.5}]`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s\n%s", want, s)
		}
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Downtime != r.Downtime || back.ErrorBudget != r.ErrorBudget {
		t.Errorf("round trip = %+v, %v", back, err)
	}
}

func (o Outage) withEnd(e time.Time) Outage { o.End = e; return o }

func mustCal(c *Calendar, err error) *Calendar {
	if err != nil {
		panic(err)
	}
	return c
}

func mustMaint(m Maintenance, err error) Maintenance {
	if err != nil {
		panic(err)
	}
	return m
}

func near(a, b float64) bool { d := a - b; return d < 1e-12 && d > -1e-12 }

func fptr(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// cmpOr returns a unless it is nil, then b.
func cmpOr(a, b []time.Duration) []time.Duration {
	if a == nil {
		return b
	}
	return a
}
