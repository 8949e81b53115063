package desk

import (
	"testing"
	"time"
)

// benchClocks builds n resolution clocks on the Berlin office calendar:
// opened over the 30 days before now, a third of them with a wait of a
// day, a tenth resolved, a target of 16 business hours.
func benchClocks(b *testing.B, n int) ([]Clock, time.Time) {
	cal := office(b)
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, berlin)
	out := make([]Clock, n)
	for i := range out {
		opened := now.Add(-time.Duration(i%(30*24*60)) * time.Minute)
		c := Clock{Calendar: cal, Opened: opened, Target: 16 * time.Hour}
		if i%3 == 0 {
			c.Pauses = []Span{{opened.Add(time.Hour), opened.Add(25 * time.Hour)}}
		}
		if i%10 == 0 {
			c.Stops = []Span{{Start: opened.Add(30 * time.Hour)}}
		}
		out[i] = c
	}
	return out, now
}

// BenchmarkSLA100k computes the figures of 100,000 clocks, due instants
// included (one operation is all of them).
func BenchmarkSLA100k(b *testing.B) {
	clocks, now := benchClocks(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		for _, c := range clocks {
			_ = c.Compute(now)
		}
	}
}

// BenchmarkSLABaselineHours100k is the baseline of BenchmarkSLA100k: only
// the calendar's hours from each opening to now, which every clock must
// read; the ratio between the two is what the pauses, stops and due search
// cost on top.
func BenchmarkSLABaselineHours100k(b *testing.B) {
	clocks, now := benchClocks(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		for _, c := range clocks {
			_ = c.Calendar.Hours(c.Opened, now)
		}
	}
}
