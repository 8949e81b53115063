package monitor

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/duration"
)

// cronSchedule is when a heartbeat is expected: a five-field cron
// expression in a time zone.
type cronSchedule struct {
	spec  string
	sched cron.Schedule
	loc   *time.Location
}

// next returns the first expected time strictly after t.
func (c *cronSchedule) next(t time.Time) time.Time {
	return c.sched.Next(t.In(c.loc))
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func compileHeartbeat(c Check, out *Compiled, inv *apperr.Invalid) {
	if c.Period == "" && c.Cron == "" {
		inv.Add("period", "a heartbeat check needs a period (e.g. 24h) or a cron expression")
	}
	if c.Period != "" && c.Cron != "" {
		inv.Add("cron", "give either period or cron, not both")
	}
	if c.Period != "" {
		d, err := duration.Parse(c.Period)
		switch {
		case err != nil:
			inv.Add("period", "%v", err)
		case d < MinInterval:
			inv.Add("period", "must be at least %s", MinInterval)
		}
		out.Period = d
	}
	if c.Grace != "" {
		d, err := duration.Parse(c.Grace)
		if err != nil {
			inv.Add("grace", "%v", err)
		}
		out.Grace = d
	}
	if c.Cron != "" {
		loc := time.UTC
		if c.Timezone != "" {
			l, err := time.LoadLocation(c.Timezone)
			if err != nil {
				inv.Add("timezone", "unknown time zone %q (use an IANA name such as Europe/Berlin)", c.Timezone)
			} else {
				loc = l
			}
		}
		s, err := cronParser.Parse(c.Cron)
		if err != nil {
			inv.Add("cron", "%v", fmt.Errorf("not a cron expression (minute hour day-of-month month day-of-week): %w", err))
		} else {
			out.Schedule = &cronSchedule{spec: c.Cron, sched: s, loc: loc}
		}
	} else if c.Timezone != "" {
		inv.Add("timezone", "applies only with cron")
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"url", c.URL != ""}, {"host", c.Host != ""}, {"interval", c.Interval != ""}} {
		if f.set {
			inv.Add(f.name, "does not apply to a heartbeat check")
		}
	}
	if len(c.Locations) > 0 {
		inv.Add("locations", "a heartbeat is pinged by the job itself; it has no locations")
	}
}

// heartbeatDeadline says by when the next ping is due, given the last ping
// (or, before any, when the check was created). Past the deadline the check
// is late, and down.
func heartbeatDeadline(c *Compiled, last time.Time) time.Time {
	if c.Schedule != nil {
		return c.Schedule.next(last).Add(c.Grace)
	}
	return last.Add(c.Period + c.Grace)
}
