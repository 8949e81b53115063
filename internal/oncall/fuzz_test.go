package oncall

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func FuzzParseHandoff(f *testing.F) {
	for _, s := range []string{"", "09:00", "mon 09:00", "Monday 9:00", "sun 23:59", "mon-fri 09:00", "daily 09:00", "24:00", "x y z", " tue\t00:00 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHandoff(s)
		if err != nil {
			return
		}
		if h.clock < 0 || h.clock >= 24*60 || h.day < 0 || h.day > 6 {
			t.Fatalf("parseHandoff(%q) = %+v out of range", s, h)
		}
		again, err := parseHandoff(h.String())
		if err != nil || again != h {
			t.Fatalf("parseHandoff(%q) = %+v, written %q, read back %+v, %v", s, h, h.String(), again, err)
		}
	})
}

func FuzzParseRotation(f *testing.F) {
	for _, s := range []string{"daily", "weekly", "WEEKLY", "3d", "2w", "12h", "1h30m", "36h", "1.5d", "1m", "0", "-1d", "9999999w", "1e3h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRotation(s)
		if err != nil {
			return
		}
		switch {
		case (r.days > 0) == (r.length > 0):
			t.Fatalf("parseRotation(%q) = %+v: want exactly one of days and length", s, r)
		case r.length > 0 && (r.length < minRotation || r.length%time.Minute != 0 || r.length%(24*time.Hour) == 0):
			t.Fatalf("parseRotation(%q) = %+v: bad fixed length", s, r)
		case r.days < 0 || r.days > 520*7:
			t.Fatalf("parseRotation(%q) = %+v: bad days", s, r)
		}
	})
}

// FuzzShifts builds a random schedule from a seed and checks the
// properties every answer must have: shifts sorted, disjoint, non-empty,
// inside the range and merged; the same answer whether the range is asked
// for whole or in two halves; and OnCall agreeing with Shifts at random
// instants.
func FuzzShifts(f *testing.F) {
	for seed := range uint64(16) {
		f.Add(seed, int64(seed)*7919, uint16(672))
	}
	f.Fuzz(func(t *testing.T, seed uint64, offsetMinutes int64, spanHours uint16) {
		checkRandomSchedule(t, seed, offsetMinutes, spanHours)
	})
}

// TestShiftsProperties runs the fuzz properties over a fixed set of seeds
// on every plain `go test`.
func TestShiftsProperties(t *testing.T) {
	for seed := range uint64(300) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			checkRandomSchedule(t, seed, int64(seed*104729), uint16(672))
		})
	}
}

// Zones with the awkward cases: half-hour changes (Lord Howe), changes at
// midnight so that a 00:00 hand-off falls in the gap (Havana), southern
// summers, no changes at all, and +13:45.
var fuzzZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Havana", "Asia/Kolkata", "Pacific/Chatham", "America/Santiago"}

func randomSchedule(rng *rand.Rand) Schedule {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	clock := func() string { return fmt.Sprintf("%02d:%02d", rng.IntN(24), 15*rng.IntN(4)) }
	date := func() string {
		return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(3*365)).Format("2006-01-02")
	}
	users := []string{"ann", "ben", "cat", "dan", "eve"}
	s := Schedule{Name: "fuzz", Timezone: pick(fuzzZones...)}
	for range 1 + rng.IntN(4) {
		l := Layer{Rotation: pick("daily", "weekly", "2d", "3d", "2w", "12h", "8h", "1h30m", "36h", "5h45m"), Handoff: clock()}
		if (l.Rotation == "weekly" || l.Rotation == "2w") && rng.IntN(2) == 0 {
			l.Handoff = pick("mon", "tue", "wed", "thu", "fri", "sat", "sun") + " " + l.Handoff
		}
		if rng.IntN(3) > 0 {
			l.Start = date()
		}
		for range 1 + rng.IntN(3) {
			l.Members = append(l.Members, users[rng.IntN(len(users))])
		}
		for range rng.IntN(3) {
			w := Window{Days: pick("", "mon-fri", "sat,sun", "fri-mon", "wed"), From: clock(), To: clock()}
			if w.From == w.To {
				w.To = "24:00"
			}
			l.Restrict = append(l.Restrict, w)
		}
		s.Layers = append(s.Layers, l)
	}
	for range rng.IntN(4) {
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(3*365*24*4)) * 15 * time.Minute)
		end := start.Add(time.Duration(1+rng.IntN(7*24*4)) * 15 * time.Minute)
		s.Overrides = append(s.Overrides, Override{User: users[rng.IntN(len(users))], Start: start.Format(time.RFC3339), End: end.Format(time.RFC3339)})
	}
	return s
}

func checkRandomSchedule(t *testing.T, seed uint64, offsetMinutes int64, spanHours uint16) {
	rng := rand.New(rand.NewPCG(seed, 42))
	s := randomSchedule(rng)
	if fields := s.Validate(nil); len(fields) > 0 {
		t.Fatalf("generated schedule is invalid: %v\n%+v", fields, s)
	}
	c := mustCompile(t, s)

	// Any instant within three years from 2025, down to the second.
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	offset := time.Duration(((offsetMinutes%(3*365*24*60))+3*365*24*60)%(3*365*24*60))*time.Minute + time.Duration(rng.IntN(60))*time.Second
	from := base.Add(offset)
	to := from.Add(time.Duration(1+int(spanHours)%(35*24)) * time.Hour)

	got := c.Shifts(from, to)
	checkShifts(t, c, from, to, got)

	mid := from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
	halves := append(c.Shifts(from, mid), c.Shifts(mid, to)...)
	if n := slices.IndexFunc(halves, func(x Shift) bool { return x.Start.Equal(mid) }); n > 0 && halves[n-1].End.Equal(mid) && halves[n-1].User == halves[n].User {
		halves[n-1].End = halves[n].End
		halves = slices.Delete(halves, n, n+1)
	}
	if !sameShifts(got, halves) {
		t.Fatalf("split at %v disagrees:\n whole %v\n split %v\n%+v", mid, got, halves, s)
	}

	for range 50 {
		at := from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
		if rng.IntN(4) == 0 && len(got) > 0 { // the edges are where bugs live
			x := got[rng.IntN(len(got))]
			at = pick2(rng, x.Start, x.End.Add(-time.Nanosecond))
		}
		want := ""
		if i := slices.IndexFunc(got, func(x Shift) bool { return !x.Start.After(at) && x.End.After(at) }); i >= 0 {
			want = got[i].User
		}
		if w := who(c, at); w != want {
			t.Fatalf("OnCall(%v) = %q, Shifts say %q\n%+v", at, w, want, s)
		}
	}
}

func pick2(rng *rand.Rand, a, b time.Time) time.Time {
	if rng.IntN(2) == 0 {
		return a
	}
	return b
}

func sameShifts(a, b []Shift) bool {
	return slices.EqualFunc(a, b, func(x, y Shift) bool {
		return x.User == y.User && x.Start.Equal(y.Start) && x.End.Equal(y.End)
	})
}
