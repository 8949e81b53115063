package desk

import (
	"testing"
	"time"
)

// FuzzClockProperties checks, for arbitrary openings, pauses and instants,
// that the elapsed time never decreases as now advances, never exceeds the
// wall time since the opening, and never counts paused time.
func FuzzClockProperties(f *testing.F) {
	f.Add(int64(0), int64(3600), int64(7200), int64(86400), int64(90000), uint32(8*3600))
	f.Add(int64(1000), int64(-50), int64(400000), int64(10), int64(3), uint32(60))
	cal := office(f)
	base := at(2026, 3, 2, 0, 0)
	f.Fuzz(func(t *testing.T, open, pStart, pLen, now1, step int64, target uint32) {
		sec := func(v int64) time.Time { return base.Add(time.Duration(v%(90*86400)) * time.Second) }
		opened := sec(open)
		ps := sec(pStart)
		pe := ps.Add(time.Duration(abs(pLen)%(20*86400)) * time.Second)
		c := Clock{Calendar: cal, Opened: opened, Target: time.Duration(target) * time.Second, Pauses: []Span{{ps, pe}}}
		t1 := sec(now1)
		t2 := t1.Add(time.Duration(abs(step)%(30*86400)) * time.Second)
		a, b := c.Compute(t1), c.Compute(t2)
		if b.ElapsedSeconds < a.ElapsedSeconds {
			t.Fatalf("elapsed fell from %d to %d", a.ElapsedSeconds, b.ElapsedSeconds)
		}
		if wall := int64(max(t2.Sub(opened), 0) / time.Second); b.ElapsedSeconds > wall {
			t.Fatalf("elapsed %d above the wall time %d", b.ElapsedSeconds, wall)
		}
		// Without the pause the clock counts exactly the paused time more.
		free := Clock{Calendar: cal, Opened: opened, Target: c.Target}.Compute(t2)
		if d := free.ElapsedSeconds - b.ElapsedSeconds - b.PausedSeconds; d < -1 || d > 1 {
			t.Fatalf("without the pause %d, with it %d + paused %d", free.ElapsedSeconds, b.ElapsedSeconds, b.PausedSeconds)
		}
		if b.Due != nil && !b.Paused {
			// At the due instant the clock has used its target exactly.
			if e := c.Compute(*b.Due).ElapsedSeconds; e != b.TargetSeconds && b.TargetSeconds > 0 && !b.Due.Before(opened) {
				if e < b.TargetSeconds-1 || e > b.TargetSeconds {
					t.Fatalf("at due %v elapsed %d, target %d", b.Due, e, b.TargetSeconds)
				}
			}
		}
	})
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
