package monitor_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/monitor"
)

var monday = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday

func at(h, m, s int) time.Time {
	return monday.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
}

func TestRawUptime(t *testing.T) {
	up, down, deg, unk := availability.Up, availability.Down, availability.Degraded, availability.Unknown
	tests := []struct {
		name     string
		ts       []availability.Transition
		from, to time.Time
		end      time.Time
		up, obs  time.Duration
		ratio    float64 // -1: nil
	}{
		{"nothing observed", nil, at(0, 0, 0), at(24, 0, 0), at(24, 0, 0), 0, 0, -1},
		{"up all day", []availability.Transition{{At: at(0, 0, 0), State: up}}, at(0, 0, 0), at(24, 0, 0), at(24, 0, 0), 24 * time.Hour, 24 * time.Hour, 1},
		// Down 10:02:05–10:39:12 is 37 min 7 s = 2227 s of 86400.
		{"one outage", []availability.Transition{{At: at(0, 0, 0), State: up}, {At: at(10, 2, 5), State: down}, {At: at(10, 39, 12), State: up}},
			at(0, 0, 0), at(24, 0, 0), at(24, 0, 0), 24*time.Hour - 2227*time.Second, 24 * time.Hour, float64(86400-2227) / 86400},
		// Created at 18:00: six hours observed, one of them down.
		{"before the first state is not observed", []availability.Transition{{At: at(18, 0, 0), State: up}, {At: at(20, 0, 0), State: down}, {At: at(21, 0, 0), State: up}},
			at(0, 0, 0), at(24, 0, 0), at(24, 0, 0), 5 * time.Hour, 6 * time.Hour, 5.0 / 6},
		// Paused (unknown) 08:00–12:00: 20 h observed, 2 h of them degraded.
		{"a pause and degraded time", []availability.Transition{{At: at(0, 0, 0), State: up}, {At: at(8, 0, 0), State: unk}, {At: at(12, 0, 0), State: deg}, {At: at(14, 0, 0), State: up}},
			at(0, 0, 0), at(24, 0, 0), at(24, 0, 0), 18 * time.Hour, 20 * time.Hour, 0.9},
		// The window clips the timeline on both sides: 06:00–12:00 with
		// down 10:00–11:00.
		{"clipped to the window", []availability.Transition{{At: at(0, 0, 0), State: up}, {At: at(10, 0, 0), State: down}, {At: at(11, 0, 0), State: up}},
			at(6, 0, 0), at(12, 0, 0), at(24, 0, 0), 5 * time.Hour, 6 * time.Hour, 5.0 / 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := monitor.RawUptime(availability.FromTransitions(tt.ts, tt.end), tt.from, tt.to)
			if u.Up != tt.up || u.Observed != tt.obs {
				t.Errorf("up %s of %s; want %s of %s", u.Up, u.Observed, tt.up, tt.obs)
			}
			switch {
			case tt.ratio < 0 && u.Ratio != nil:
				t.Errorf("ratio = %v; want none", *u.Ratio)
			case tt.ratio >= 0 && (u.Ratio == nil || *u.Ratio != tt.ratio):
				t.Errorf("ratio = %v; want %v", u.Ratio, tt.ratio)
			}
		})
	}
}

func TestInHoursUptime(t *testing.T) {
	cal, err := availability.NewCalendar(time.UTC, []availability.Window{{Days: availability.Days(0b0111110), From: 9 * 60, To: 17 * 60}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	office := &availability.Objective{Hours: cal, Target: 0.99, MaxOutages: -1}
	up, down, unk := availability.Up, availability.Down, availability.Unknown
	tests := []struct {
		name      string
		o         *availability.Objective
		ts        []availability.Transition
		inHours   time.Duration
		downtime  time.Duration
		wantRatio float64 // -1: nil
	}{
		// Monday: down 08:00–10:00 (one hour of it in hours) of 8 in-hours hours.
		{"down across the opening", office, []availability.Transition{{At: at(0, 0, 0), State: up}, {At: at(8, 0, 0), State: down}, {At: at(10, 0, 0), State: up}},
			8 * time.Hour, time.Hour, 7.0 / 8},
		// Down only at night: in hours it was always up, though raw says 22/24.
		{"down at night", office, []availability.Transition{{At: at(0, 0, 0), State: up}, {At: at(2, 0, 0), State: down}, {At: at(4, 0, 0), State: up}},
			8 * time.Hour, 0, 1},
		// Paused 09:00–13:00 (unknown) and down 13:00–15:00: four hours
		// observed in hours, two of them down. The pause counts neither as
		// up nor as down, even though the objective says unknown is up.
		{"a pause is left out", office, []availability.Transition{{At: at(0, 0, 0), State: up}, {At: at(9, 0, 0), State: unk}, {At: at(13, 0, 0), State: down}, {At: at(15, 0, 0), State: up}},
			2*time.Hour + 2*time.Hour, 2 * time.Hour, 0.5},
		// Created at 20:00, after the service hours: nothing observed in hours.
		{"nothing observed in hours", office, []availability.Transition{{At: at(20, 0, 0), State: up}}, 0, 0, -1},
		// Without an objective, 24x7: down 1 h of 24.
		{"no objective is 24x7", nil, []availability.Transition{{At: at(0, 0, 0), State: up}, {At: at(3, 0, 0), State: down}, {At: at(4, 0, 0), State: up}},
			24 * time.Hour, time.Hour, 23.0 / 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := availability.FromTransitions(tt.ts, at(24, 0, 0))
			rep := monitor.InHoursUptime(tt.o, tl, at(0, 0, 0), at(24, 0, 0), at(24, 0, 0))
			if rep.InHours.Duration() != tt.inHours || rep.Downtime.Duration() != tt.downtime {
				t.Errorf("in hours %s, downtime %s; want %s, %s", rep.InHours.Duration(), rep.Downtime.Duration(), tt.inHours, tt.downtime)
			}
			switch {
			case tt.wantRatio < 0 && rep.Availability != nil:
				t.Errorf("availability = %v; want none", *rep.Availability)
			case tt.wantRatio >= 0 && (rep.Availability == nil || *rep.Availability != tt.wantRatio):
				t.Errorf("availability = %v; want %v", rep.Availability, tt.wantRatio)
			}
		})
	}
}

func TestRuns(t *testing.T) {
	r := func(loc string, at time.Time, out availability.State, reason string) monitor.Result {
		return monitor.Result{Check: "web", Location: loc, At: at, Outcome: out, Reason: reason}
	}
	lat := func(x monitor.Result, ms int) monitor.Result {
		x.Latency = time.Duration(ms) * time.Millisecond
		return x
	}
	down, up := availability.Down, availability.Up
	tests := []struct {
		name string
		in   []monitor.Result // newest first
		want []monitor.ResultRun
	}{
		{"no results", nil, nil},
		{"one result", []monitor.Result{lat(r("local", at(10, 0, 0), up, "ok"), 42)},
			[]monitor.ResultRun{{Outcome: up, Reason: "ok", Count: 1, First: at(10, 0, 0), Last: at(10, 0, 0), Locations: []string{"local"}, Latency: 42 * time.Millisecond}}},
		// Latencies 30, 10, 20, 40 ms: the lower middle of the sorted four is 20 ms.
		{"the median latency of a run", []monitor.Result{lat(r("local", at(10, 3, 0), up, "ok"), 30), lat(r("local", at(10, 2, 0), up, "ok"), 10),
			lat(r("local", at(10, 1, 0), up, "ok"), 20), lat(r("local", at(10, 0, 0), up, "ok"), 40)},
			[]monitor.ResultRun{{Outcome: up, Reason: "ok", Count: 4, First: at(10, 0, 0), Last: at(10, 3, 0), Locations: []string{"local"}, Latency: 20 * time.Millisecond}}},
		{"a down run between two up runs", []monitor.Result{
			r("local", at(10, 40, 0), up, "ok"),
			r("local", at(10, 39, 12), down, "connection refused"),
			r("local", at(10, 20, 0), down, "connection refused"),
			r("local", at(10, 2, 5), down, "connection refused"),
			r("local", at(10, 1, 0), up, "ok"),
			r("local", at(10, 0, 0), up, "ok"),
		}, []monitor.ResultRun{
			{Outcome: up, Reason: "ok", Count: 1, First: at(10, 40, 0), Last: at(10, 40, 0), Locations: []string{"local"}},
			{Outcome: down, Reason: "connection refused", Count: 3, First: at(10, 2, 5), Last: at(10, 39, 12), Locations: []string{"local"}},
			{Outcome: up, Reason: "ok", Count: 2, First: at(10, 0, 0), Last: at(10, 1, 0), Locations: []string{"local"}},
		}},
		{"a new reason starts a new run", []monitor.Result{
			r("local", at(10, 2, 0), down, "timeout"),
			r("local", at(10, 1, 0), down, "connection refused"),
		}, []monitor.ResultRun{
			{Outcome: down, Reason: "timeout", Count: 1, First: at(10, 2, 0), Last: at(10, 2, 0), Locations: []string{"local"}},
			{Outcome: down, Reason: "connection refused", Count: 1, First: at(10, 1, 0), Last: at(10, 1, 0), Locations: []string{"local"}},
		}},
		{"locations that agree share a run", []monitor.Result{
			r("local", at(10, 2, 0), down, "timeout"),
			r("eu", at(10, 1, 30), down, "timeout"),
			r("local", at(10, 1, 0), down, "timeout"),
		}, []monitor.ResultRun{
			{Outcome: down, Reason: "timeout", Count: 3, First: at(10, 1, 0), Last: at(10, 2, 0), Locations: []string{"eu", "local"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := monitor.Runs(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Runs =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
