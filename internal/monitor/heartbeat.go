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

// next returns the first expected time strictly after t. The cron library
// looks only five years ahead and answers the zero time past that, which
// would make a heartbeat due in year 1; a schedule that passed
// compileHeartbeat fires at least once in any eight years (29 February
// skips 2100), so looking again from further on finds it.
func (c *cronSchedule) next(t time.Time) time.Time {
	from := t.In(c.loc)
	for range 3 {
		if n := c.sched.Next(from); !n.IsZero() {
			return n
		}
		from = from.AddDate(5, 0, 0)
	}
	return time.Time{}
}

// neverFires reports whether a schedule names no time at all, such as
// 30 February: the cron library accepts each field on its own. It asks for
// the next time from the start of a leap year, so that the five years the
// library looks ahead hold two 29 Februaries and any date a cron
// expression can name comes up.
func neverFires(s cron.Schedule, loc *time.Location) bool {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, loc)
	return s.Next(from).IsZero()
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
		switch {
		case err != nil:
			inv.Add("cron", "%v", fmt.Errorf("not a cron expression (minute hour day-of-month month day-of-week): %w", err))
		case neverFires(s, loc):
			inv.Add("cron", "%q never fires: no date matches its day-of-month and month (such as 30 February)", c.Cron)
		default:
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

// compileKind validates kind and rpo: only a heartbeat can be a backup
// job, and a backup job needs an rpo.
func compileKind(c Check, out *Compiled, inv *apperr.Invalid) {
	switch c.Kind {
	case "":
		if c.RPO != "" {
			inv.Add("rpo", "applies only to a check of kind backup")
		}
		return
	case KindBackup:
	default:
		inv.Add("kind", "unknown kind %q (the only kind is backup)", c.Kind)
		return
	}
	if c.Type != TypeHeartbeat {
		inv.Add("kind", "a backup job is a heartbeat check (type: heartbeat), not %s", c.Type)
	}
	if c.RPO == "" {
		inv.Add("rpo", "is required for a backup job: how old its data may be (e.g. 26h)")
		return
	}
	d, err := duration.Parse(c.RPO)
	switch {
	case err != nil:
		inv.Add("rpo", "%v", err)
	case d < time.Minute:
		inv.Add("rpo", "must be at least 1m")
	}
	out.RPO = d
}
