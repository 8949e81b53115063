package monitor

import (
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
)

// Uptime is a check's share of time up over a window, measured on its
// state timeline by interval arithmetic (never by counting results).
type Uptime struct {
	From, To time.Time
	// Up is the time the check was up; Observed the time it was up,
	// degraded or down. Unknown time — before the check's first state, and
	// while it was paused — is not observed and counts neither way.
	Up, Observed time.Duration
	// Ratio is Up ÷ Observed, nil when nothing was observed.
	Ratio *float64
}

// RawUptime measures tl, a check's own timeline (availability.FromTransitions
// of its transitions), over [from, to): the time up divided by the time
// observed. Degraded time is observed and not up, so a check that is slow
// half the time shows 50 %.
func RawUptime(tl availability.Timeline, from, to time.Time) Uptime {
	u := Uptime{From: from, To: to}
	for _, s := range tl.Clip(from, to) {
		switch s.State {
		case availability.Unknown:
			continue
		case availability.Up:
			u.Up += s.Duration()
		}
		u.Observed += s.Duration()
	}
	if u.Observed > 0 {
		r := float64(u.Up) / float64(u.Observed)
		u.Ratio = &r
	}
	return u
}

// InHoursUptime evaluates tl, a check's own timeline, against the
// service's objective o (nil: 24x7) over [from, to) as seen at now: the
// availability engine's figure for the check alone, in the service's
// hours and outside its maintenance. Time the check was not observed
// (before its first state, and while paused) is left out of the counted
// time like maintenance, whatever the objective says of unknown time, so
// that this figure and RawUptime judge the same observed time. The
// report's Availability is nil when no in-hours time was observed.
func InHoursUptime(o *availability.Objective, tl availability.Timeline, from, to, now time.Time) availability.Report {
	var obj availability.Objective
	if o != nil {
		obj = *o
	} else {
		obj = availability.Objective{Target: 1, MaxOutages: -1}
	}
	obj.Maintenance = append([]availability.Maintenance(nil), obj.Maintenance...)
	end := to
	if now.Before(end) {
		end = now
	}
	observed := availability.Set(nil)
	for _, s := range tl.Clip(from, end) {
		if s.State != availability.Unknown {
			observed = append(observed, s.Interval)
		}
	}
	observed = availability.Normalize(observed)
	gaps := availability.Set{{Start: from, End: to}}.Subtract(observed)
	for _, g := range gaps {
		obj.Maintenance = append(obj.Maintenance, availability.OneOff(g.Start, g.End))
	}
	return availability.Evaluate(&obj, tl, from, to, now)
}
