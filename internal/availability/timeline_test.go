package availability

import (
	"testing"
	"time"
)

func seg(t *testing.T, from, to string, s State, src string) Segment {
	return Segment{Interval{at(t, time.UTC, from), at(t, time.UTC, to)}, s, src}
}

func sameTimeline(t *testing.T, got, want Timeline) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("timeline = %v\nwant       %v", got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.State != w.State || g.Source != w.Source {
			t.Fatalf("segment %d = %v, want %v\n(timeline %v)", i, g, w, got)
		}
	}
}

func TestFromTransitions(t *testing.T) {
	d := "2026-03-10 "
	ts := []Transition{
		{at(t, time.UTC, d+"12:00"), Up, "check:http"},
		{at(t, time.UTC, d+"08:00"), Up, "check:http"},
		{at(t, time.UTC, d+"10:00"), Down, "check:http"},
		{at(t, time.UTC, d+"10:00"), Degraded, "check:http"}, // same instant, recorded later: wins
		{at(t, time.UTC, d+"11:00"), Up, "check:http"},
		{at(t, time.UTC, d+"13:00"), Down, "check:http"}, // at end: ignored
	}
	got := FromTransitions(ts, at(t, time.UTC, d+"13:00"))
	sameTimeline(t, got, Timeline{
		seg(t, d+"08:00", d+"10:00", Up, "check:http"),
		seg(t, d+"10:00", d+"11:00", Degraded, "check:http"),
		seg(t, d+"11:00", d+"13:00", Up, "check:http"),
	})
}

func TestCombine(t *testing.T) {
	d := "2026-03-10 "
	checks := Timeline{seg(t, d+"00:00", d+"10:00", Up, "check:http"), seg(t, d+"10:00", d+"11:00", Degraded, "check:http"), seg(t, d+"11:00", d+"20:00", Up, "check:http")}
	alerts := Timeline{seg(t, d+"06:00", d+"10:30", Up, "alert"), seg(t, d+"10:30", d+"12:00", Down, "alert:disk")}
	got := Combine(checks, alerts)
	sameTimeline(t, got, Timeline{
		// Before 06:00 alerts has no data: unknown outranks up.
		seg(t, d+"00:00", d+"06:00", Unknown, ""),
		seg(t, d+"06:00", d+"10:00", Up, "check:http"),
		seg(t, d+"10:00", d+"10:30", Degraded, "check:http"),
		seg(t, d+"10:30", d+"12:00", Down, "alert:disk"),
		seg(t, d+"12:00", d+"20:00", Unknown, ""),
	})
}

func TestDerive(t *testing.T) {
	d := "2026-03-10 "
	own := Timeline{seg(t, d+"00:00", "2026-03-11 00:00", Up, "check:http")}
	db := Timeline{seg(t, d+"00:00", d+"10:00", Up, "x"), seg(t, d+"10:00", d+"11:00", Down, "x"), seg(t, d+"11:00", d+"12:00", Degraded, "x")}.Relabel("database")
	cache := Timeline{seg(t, d+"09:00", d+"12:00", Unknown, "y"), seg(t, d+"12:00", d+"14:00", Degraded, "y"), seg(t, d+"14:00", d+"15:00", Down, "y")}.Relabel("cache")
	got := Derive(own, []Timeline{db}, []Timeline{cache})
	sameTimeline(t, got, Timeline{
		seg(t, d+"00:00", d+"10:00", Up, "check:http"),
		// A hard dependency down: down.
		seg(t, d+"10:00", d+"11:00", Down, "dependency:database"),
		// A hard dependency merely degraded does nothing; the soft one unknown does nothing.
		seg(t, d+"11:00", d+"12:00", Up, "check:http"),
		// A soft dependency degraded or down: degraded.
		seg(t, d+"12:00", d+"15:00", Degraded, "dependency:cache"),
		seg(t, d+"15:00", "2026-03-11 00:00", Up, "check:http"),
	})
}

func TestFromOutagesOrderIndependent(t *testing.T) {
	d := "2026-03-10 "
	a := Outage{at(t, time.UTC, d+"10:00"), at(t, time.UTC, d+"12:00"), Degraded, "outage:1"}
	b := Outage{at(t, time.UTC, d+"11:00"), at(t, time.UTC, d+"11:30"), Down, "outage:2"}
	c := Outage{at(t, time.UTC, d+"11:00"), at(t, time.UTC, d+"13:00"), Down, "outage:3"}
	want := Timeline{
		seg(t, d+"00:00", d+"10:00", Up, ""),
		seg(t, d+"10:00", d+"11:00", Degraded, "outage:1"),
		seg(t, d+"11:00", d+"11:30", Down, "outage:2"),
		seg(t, d+"11:30", d+"13:00", Down, "outage:3"),
		seg(t, d+"13:00", "2026-03-11 00:00", Up, ""),
	}
	from, to := at(t, time.UTC, d+"00:00"), at(t, time.UTC, "2026-03-11 00:00")
	for name, order := range map[string][]Outage{"abc": {a, b, c}, "cba": {c, b, a}, "bca": {b, c, a}} {
		t.Run(name, func(t *testing.T) { sameTimeline(t, FromOutages(from, to, order), want) })
	}
}

func TestParseState(t *testing.T) {
	for _, s := range []State{Up, Degraded, Down, Unknown} {
		if got, err := ParseState(s.String()); err != nil || got != s {
			t.Errorf("ParseState(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseState("sideways"); err == nil {
		t.Error("ParseState accepted sideways")
	}
}
