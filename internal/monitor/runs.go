package monitor

import (
	"slices"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
)

// ResultRun is a stretch of consecutive results with the same outcome and the
// same reason, as the check page shows them: "down ×74, 10:02:05–10:39:12,
// connection refused". A run reads better than 74 equal rows, and what
// changed between two runs is what a person looks for.
type ResultRun struct {
	Outcome availability.State
	Reason  string
	// Count is the number of results in the run.
	Count int
	// First and Last are the times of its oldest and newest result.
	First, Last time.Time
	// Locations are the locations the results came from, sorted.
	Locations []string
	// Latency is the median of the latencies measured in the run (the
	// lower middle one of an even count); 0 when none was measured.
	Latency   time.Duration
	latencies []time.Duration
}

// Runs collapses results, newest first as Monitor.Results returns them,
// into runs of equal outcome and reason, newest first. Results from
// several locations interleave in time; they join one run as long as they
// agree, so a check down everywhere for ten minutes is one run.
func Runs(results []Result) []ResultRun {
	var out []ResultRun
	for _, r := range results {
		if n := len(out); n > 0 && out[n-1].Outcome == r.Outcome && out[n-1].Reason == r.Reason {
			run := &out[n-1]
			run.Count++
			if r.At.Before(run.First) {
				run.First = r.At
			}
			if r.At.After(run.Last) {
				run.Last = r.At
			}
			if r.Latency > 0 {
				run.latencies = append(run.latencies, r.Latency)
			}
			if !slices.Contains(run.Locations, r.Location) {
				run.Locations = append(run.Locations, r.Location)
				slices.Sort(run.Locations)
			}
			continue
		}
		out = append(out, ResultRun{Outcome: r.Outcome, Reason: r.Reason, Count: 1, First: r.At, Last: r.At, Locations: []string{r.Location}})
		if r.Latency > 0 {
			out[len(out)-1].latencies = []time.Duration{r.Latency}
		}
	}
	for i := range out {
		if l := out[i].latencies; len(l) > 0 {
			slices.Sort(l)
			out[i].Latency = l[(len(l)-1)/2]
		}
		out[i].latencies = nil
	}
	return out
}
