package desk

import (
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
)

// Span is a stretch of wall time, [Start, End); a zero End means it has not
// ended yet.
type Span struct {
	Start, End time.Time
}

// Clock is everything one SLA clock is computed from. It holds no database
// or wall clock: Compute is a function of it and a given now.
type Clock struct {
	// Calendar is the business time the target is measured in; nil is 24x7.
	Calendar *availability.Calendar
	// Opened is when the ticket was opened: the clock starts there.
	Opened time.Time
	// Pauses are the spans the ticket waited on the requester or a third
	// party. They are not counted, and are reported as paused time.
	Pauses []Span
	// Stops are the spans the clock stood still because its goal was met:
	// for resolution, each span from a resolution to its reopening (the last
	// one open while the ticket stays resolved); for first response, one
	// open span from the first public reply. They are not counted and not
	// reported as paused.
	Stops []Span
	// Target is the business time the clock may run before it breaches.
	Target time.Duration
}

// Figures is one clock as the API and the pages show it, in whole seconds
// of business time.
type Figures struct {
	TargetSeconds    int64 `json:"target_seconds"`
	ElapsedSeconds   int64 `json:"elapsed_seconds"`
	RemainingSeconds int64 `json:"remaining_seconds"`
	PausedSeconds    int64 `json:"paused_seconds"`
	// Due is when the elapsed time reaches the target (in the past once it
	// has); null while the clock is paused or stopped, and when the
	// calendar never reaches it.
	Due *time.Time `json:"due"`
	// Breached is true when the elapsed time at the stop (or now) exceeds
	// the target.
	Breached bool `json:"breached"`
	// Paused is true while the ticket waits.
	Paused bool `json:"paused"`
	// StoppedAt is when the clock stopped, null while it runs.
	StoppedAt *time.Time `json:"stopped_at"`
}

// Fraction is the share of the target used, 0 for a zero target.
func (f Figures) Fraction() float64 {
	if f.TargetSeconds <= 0 {
		return 0
	}
	return float64(f.ElapsedSeconds) / float64(f.TargetSeconds)
}

// horizon bounds how far ahead Compute looks for the due instant: a
// calendar with hours that far apart would be a mistake, and a clock must
// not search forever.
// The search starts with a week ahead and doubles up to a month at a time,
// so a short target costs one short read of the calendar.
const (
	dueFirstChunk = 7 * 24 * time.Hour
	dueMaxChunk   = 31 * 24 * time.Hour
	dueHorizon    = 5 * 366 * 24 * time.Hour
)

// Compute evaluates the clock at now, as PRODUCT.md defines it: the elapsed
// time E(t) is the business time in [opened, t) minus the pauses and stops;
// due is when E reaches the target; remaining is target − E(now); the clock
// breaches when E at its stop (or now) exceeds the target. Instants before
// Opened or after now are never counted, so E never exceeds the wall time
// from Opened to now and never decreases as now advances.
func (c Clock) Compute(now time.Time) Figures {
	f := Figures{TargetSeconds: int64(c.Target / time.Second)}
	if now.Before(c.Opened) {
		now = c.Opened
	}
	excluded, paused := c.excluded(now)
	hours := c.Calendar.Hours(c.Opened, now)
	counted := hours.Subtract(excluded)
	elapsed := counted.Duration()
	f.ElapsedSeconds = int64(elapsed / time.Second)
	f.PausedSeconds = int64(hours.Intersect(paused).Duration() / time.Second)
	f.RemainingSeconds = f.TargetSeconds - f.ElapsedSeconds
	f.Breached = elapsed > c.Target
	if s, ok := c.openSpan(c.Stops, now); ok {
		at := s.UTC()
		f.StoppedAt = &at
	}
	_, f.Paused = c.openSpan(c.Pauses, now)
	switch {
	case elapsed >= c.Target:
		// Reached already: walk the counted time from the start.
		if at, ok := reach(counted, c.Target); ok {
			f.Due = &at
		}
	case f.StoppedAt != nil || f.Paused:
		// Undefined until the clock runs again.
	default:
		need := c.Target - elapsed
		from := now
		for chunk := dueFirstChunk; from.Sub(now) < dueHorizon; chunk = min(2*chunk, dueMaxChunk) {
			to := from.Add(chunk)
			ahead := c.Calendar.Hours(from, to)
			if at, ok := reach(ahead, need); ok {
				f.Due = &at
				break
			}
			need -= ahead.Duration()
			from = to
		}
	}
	return f
}

// excluded returns the spans that do not count up to now (pauses and
// stops together) and the pauses alone, each clipped to [Opened, now).
func (c Clock) excluded(now time.Time) (all, paused availability.Set) {
	clip := func(spans []Span) availability.Set {
		out := make([]availability.Interval, 0, len(spans))
		for _, s := range spans {
			end := s.End
			if end.IsZero() || end.After(now) {
				end = now
			}
			out = append(out, availability.Interval{Start: s.Start.UTC(), End: end.UTC()})
		}
		return availability.Normalize(out).Clip(c.Opened, now)
	}
	paused = clip(c.Pauses)
	return paused.Union(clip(c.Stops)), paused
}

// openSpan finds a span that has begun by now and not ended by then,
// returning its start.
func (c Clock) openSpan(spans []Span, now time.Time) (time.Time, bool) {
	for _, s := range spans {
		if !s.Start.After(now) && (s.End.IsZero() || s.End.After(now)) {
			return s.Start, true
		}
	}
	return time.Time{}, false
}

// reach returns the instant at which the intervals of set, taken in order,
// add up to need; ok is false when they add up to less.
func reach(set availability.Set, need time.Duration) (time.Time, bool) {
	if need <= 0 {
		if len(set) == 0 {
			return time.Time{}, false
		}
		return set[0].Start, true
	}
	for _, iv := range set {
		d := iv.End.Sub(iv.Start)
		if d >= need {
			return iv.Start.Add(need).UTC(), true
		}
		need -= d
	}
	return time.Time{}, false
}
