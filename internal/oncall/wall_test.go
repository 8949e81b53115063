package oncall

import (
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
)

// TestWallInstantBruteForce checks wallInstant against a scan of every
// quarter hour around the wall time, for every day of 2026 in zones with
// awkward changes: the first instant the clock reads the time, or, when it
// never does, the first instant it reads later.
func TestWallInstantBruteForce(t *testing.T) {
	clocks := []availability.Clock{0, 30, 60, 120, 150, 180, 9 * 60, 23*60 + 45}
	for _, name := range fuzzZones {
		t.Run(name, func(t *testing.T) {
			loc := zone(t, name)
			first := dayNumber(2026, 1, 1)
			for day := first; day < first+365; day++ {
				for _, c := range clocks {
					w := day*86400 + int64(c)*60
					var want time.Time
					for u := w - 16*3600; u <= w+16*3600; u += 900 {
						if wallSeconds(time.Unix(u, 0), loc) >= w {
							want = time.Unix(u, 0).UTC()
							break
						}
					}
					if got := wallInstant(loc, day, c); !got.Equal(want) {
						t.Fatalf("wallInstant(%s, %s) = %v, want %v",
							time.Unix(day*86400, 0).UTC().Format("2006-01-02"), c, got, want)
					}
				}
			}
		})
	}
}

// wallSeconds is what the wall clock of loc reads at t, as seconds since
// 1970-01-01 00:00 on that clock.
func wallSeconds(t time.Time, loc *time.Location) int64 {
	_, off := t.In(loc).Zone()
	return t.Unix() + int64(off)
}
