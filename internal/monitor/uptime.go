package monitor

import (
	"context"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/timeline"
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

// UptimeWindows are the spans a check's uptime is reported over, up to now.
var UptimeWindows = []struct {
	Name, Label string
	Span        time.Duration
}{
	{"24h", "24 hours", 24 * time.Hour}, {"7d", "7 days", 7 * duration.Day}, {"30d", "30 days", 30 * duration.Day}, {"90d", "90 days", 90 * duration.Day},
}

// UptimeFigure is a check's uptime over one of UptimeWindows, raw and in
// the service's hours, as the check page and the API show it.
type UptimeFigure struct {
	Window string    `json:"window"`
	Label  string    `json:"-"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	// Up and Observed are RawUptime's; Raw is Up ÷ Observed (null when
	// nothing was observed).
	Up       availability.Seconds `json:"up_seconds"`
	Observed availability.Seconds `json:"observed_seconds"`
	Raw      *float64             `json:"raw"`
	// InHoursObserved is the observed time in the service's hours outside
	// its maintenance, InHoursDowntime the downtime counted in it, and
	// InHours the availability (null when no in-hours time was observed).
	InHoursObserved availability.Seconds `json:"in_hours_observed_seconds"`
	InHoursDowntime availability.Seconds `json:"in_hours_downtime_seconds"`
	InHours         *float64             `json:"in_hours"`
}

// CheckUptime measures a check over every one of UptimeWindows up to now,
// from its stored transitions and its service's objective (24x7 when the
// service has none or the catalog does not compile). The boolean says
// whether the service's hours are other than 24x7.
func CheckUptime(ctx context.Context, tl *timeline.Store, cat *catalog.Store, c Check, now time.Time) ([]UptimeFigure, bool, error) {
	ts, err := tl.InputTransitions(ctx, c.Service, "check:"+c.Name)
	if err != nil {
		return nil, false, err
	}
	loaded, err := cat.Load(ctx)
	if err != nil {
		return nil, false, err
	}
	var obj *availability.Objective
	if compiled, err := catalog.Compile(loaded); err == nil {
		obj = compiled.Objectives[c.Service]
	}
	own := availability.FromTransitions(ts, now)
	var out []UptimeFigure
	for _, w := range UptimeWindows {
		from := now.Add(-w.Span)
		raw := RawUptime(own, from, now)
		rep := InHoursUptime(obj, own, from, now, now)
		out = append(out, UptimeFigure{Window: w.Name, Label: w.Label, From: from, To: now,
			Up: availability.Seconds(raw.Up), Observed: availability.Seconds(raw.Observed), Raw: raw.Ratio,
			InHoursObserved: rep.InHours, InHoursDowntime: rep.Downtime, InHours: rep.Availability})
	}
	return out, obj != nil && !obj.Hours.IsAlwaysOn(), nil
}
