package availability

import (
	"fmt"
	"strings"
	"time"
)

type periodKind uint8

const (
	periodMonth periodKind = iota // the zero value, because month is the default
	periodWeek
	periodQuarter
	periodRolling30d
)

// Period is the span an objective is judged over: a calendar month, an ISO
// week or a quarter in the objective's zone, or the rolling last 30 days. The
// zero value is "month", the default.
type Period struct {
	kind periodKind
}

// Predefined periods, for code that builds objectives without parsing.
var (
	Month     = Period{periodMonth}
	Week      = Period{periodWeek}
	Quarter   = Period{periodQuarter}
	Rolling30 = Period{periodRolling30d}
)

// ParsePeriod reads a period as written in configuration: "month", "week",
// "quarter" or "30d"; an empty string means "month".
func ParsePeriod(s string) (Period, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "month":
		return Month, nil
	case "week":
		return Week, nil
	case "quarter":
		return Quarter, nil
	case "30d":
		return Rolling30, nil
	}
	return Period{}, fmt.Errorf("unknown period %q (use month, week, quarter or 30d)", strings.TrimSpace(s))
}

// String returns the period as ParsePeriod reads it.
func (p Period) String() string {
	switch p.kind {
	case periodWeek:
		return "week"
	case periodQuarter:
		return "quarter"
	case periodRolling30d:
		return "30d"
	}
	return "month"
}

// MarshalText writes the period as ParsePeriod reads it, so that it can sit
// in JSON and YAML documents as a plain string.
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a period with ParsePeriod.
func (p *Period) UnmarshalText(b []byte) error {
	q, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Rolling reports whether the period moves with now (30d) rather than
// following the calendar; a rolling period is never "in progress" with a
// future part, so nothing is projected for it.
func (p Period) Rolling() bool { return p.kind == periodRolling30d }

// Bounds returns the period that contains now as [from, to). Calendar periods
// start at local midnight in loc (the first valid instant of the day if
// midnight is skipped by a daylight-saving change): the 1st of the month, the
// Monday of the ISO week, or the 1st of January, April, July or October. The
// rolling period is the 30 days (720 h) before now, [now-30d, now). A nil
// loc means UTC.
func (p Period) Bounds(now time.Time, loc *time.Location) (from, to time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	if p.kind == periodRolling30d {
		n := now.UTC()
		return n.Add(-30 * 24 * time.Hour), n
	}
	y, m, d := now.In(loc).Date()
	switch p.kind {
	case periodWeek:
		back := (int(now.In(loc).Weekday()) + 6) % 7 // days since Monday
		return midnight(y, m, d-back, loc), midnight(y, m, d-back+7, loc)
	case periodQuarter:
		q := time.Month((int(m)-1)/3*3 + 1)
		return midnight(y, q, 1, loc), midnight(y, q+3, 1, loc)
	}
	return midnight(y, m, 1, loc), midnight(y, m+1, 1, loc)
}

// Previous returns the period before the one that contains now: last month,
// last week, last quarter, or for 30d the 30 days before [now-30d, now).
func (p Period) Previous(now time.Time, loc *time.Location) (from, to time.Time) {
	if p.kind == periodRolling30d {
		n := now.UTC()
		return n.Add(-60 * 24 * time.Hour), n.Add(-30 * 24 * time.Hour)
	}
	cur, _ := p.Bounds(now, loc)
	return p.Bounds(cur.Add(-time.Nanosecond), loc)
}

// midnight returns the first instant of a civil day in loc; the date is
// normalised the way time.Date does it (day 0 is the last of the month before).
func midnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	n := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	return wallInstant(n.Year(), n.Month(), n.Day(), 0, loc).UTC()
}
