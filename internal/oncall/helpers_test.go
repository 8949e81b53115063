package oncall

import (
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zone files
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// wall reads "2006-01-02 15:04" in loc.
func wall(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func mustCompile(t testing.TB, s Schedule) *Compiled {
	t.Helper()
	c, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

// who is OnCall with "" for nobody, so table cases read naturally.
func who(c *Compiled, at time.Time) string {
	u := c.OnCall(at)
	switch len(u) {
	case 0:
		return ""
	case 1:
		return u[0]
	}
	return "several"
}

// checkShifts asserts the invariants every Shifts answer must keep.
func checkShifts(t testing.TB, c *Compiled, from, to time.Time, got []Shift) {
	t.Helper()
	for i, s := range got {
		if !s.Start.Before(s.End) {
			t.Fatalf("shift %d %v is empty or reversed", i, s)
		}
		if s.Start.Before(from) || s.End.After(to) {
			t.Fatalf("shift %d %v outside [%v, %v)", i, s, from, to)
		}
		if s.User == "" {
			t.Fatalf("shift %d has no user", i)
		}
		if s.Layer < OverrideLayer || s.Layer >= len(c.layers) {
			t.Fatalf("shift %d has layer %d", i, s.Layer)
		}
		if i > 0 {
			p := got[i-1]
			if s.Start.Before(p.End) {
				t.Fatalf("shift %d %v overlaps %v", i, s, p)
			}
			if s.Start.Equal(p.End) && s.User == p.User {
				t.Fatalf("shift %d %v not merged with %v", i, s, p)
			}
		}
	}
}
