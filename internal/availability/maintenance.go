package availability

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Maintenance is a source of planned-maintenance windows. Downtime inside
// them does not count, and neither does their time count as in-hours time.
// It is an interface so that one-off and recurring windows (and, later,
// windows read from the change calendar) can be mixed in one objective.
type Maintenance interface {
	// Intervals returns the maintenance time within [from, to) as a Set.
	Intervals(from, to time.Time) Set
}

type oneOff Interval

// OneOff is a single maintenance window [start, end), e.g. a planned
// migration. A window whose end is not after its start covers nothing.
func OneOff(start, end time.Time) Maintenance {
	return oneOff{start.UTC(), end.UTC()}
}

func (o oneOff) Intervals(from, to time.Time) Set {
	return Normalize([]Interval{Interval(o)}).Clip(from, to)
}

// recurring is a maintenance window that repeats by an RRULE. The rule is
// evaluated on a "floating" wall clock (wall-clock times stored as UTC), and
// each occurrence is turned into an instant in loc afterwards, so that
// daylight-saving changes are handled exactly as calendars handle them.
type recurring struct {
	rule      *rrule.RRule
	opts      rrule.ROption // floating, as given to the rule
	length    time.Duration
	loc       *time.Location
	shiftable bool
}

// NewRecurring builds a recurring maintenance window from an RFC 5545 RRULE,
// such as "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", optionally preceded by
// a "DTSTART:20260104T020000" line (read in loc unless it carries a TZID or a
// trailing Z). Each occurrence starts at its wall-clock time in loc and lasts
// length of real time (so a 2 h window that starts at 02:00 on a fall-back
// night ends at 03:00 on the repeated clock). A start inside a
// spring-forward gap moves to the end of the gap.
//
// Without DTSTART the rule is anchored at 2000-01-01 00:00:00 in loc, so that
// BYHOUR and BYMINUTE give the time of day and seconds are 0. Only DAILY,
// WEEKLY, MONTHLY and YEARLY rules are accepted: maintenance does not repeat
// hourly, and finer rules can make the RRULE library search forever. A rule
// is refused when length is not positive, when it breaks a constraint of
// RFC 5545 (INTERVAL=0, COUNT with UNTIL, BYWEEKNO outside YEARLY, an
// unknown or repeated part, a value out of range: see checkRule), or when
// it has no occurrence at all.
func NewRecurring(rule string, length time.Duration, loc *time.Location) (Maintenance, error) {
	if loc == nil {
		return nil, errors.New("maintenance rule has no time zone")
	}
	if length <= 0 {
		return nil, fmt.Errorf("maintenance length %s must be positive", length)
	}
	text, err := canonicalRule(rule)
	if err != nil {
		return nil, err
	}
	rr := text
	if _, after, ok := strings.Cut(text, "\n"); ok {
		rr = after // the line after DTSTART
	}
	if err := checkRule(rr); err != nil {
		return nil, fmt.Errorf("invalid recurrence rule %q: %w", strings.TrimSpace(rule), err)
	}
	opts, err := rrule.StrToROptionInLocation(text, loc)
	if err != nil {
		return nil, fmt.Errorf("invalid recurrence rule %q: %v", strings.TrimSpace(rule), err)
	}
	switch opts.Freq {
	case rrule.DAILY, rrule.WEEKLY, rrule.MONTHLY, rrule.YEARLY:
	default:
		return nil, fmt.Errorf("invalid recurrence rule %q: FREQ=%s is not supported for maintenance (use DAILY, WEEKLY, MONTHLY or YEARLY)", strings.TrimSpace(rule), opts.Freq)
	}
	if opts.Dtstart.IsZero() {
		opts.Dtstart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	} else {
		opts.Dtstart = floating(opts.Dtstart, loc)
	}
	if !opts.Until.IsZero() {
		opts.Until = floating(opts.Until, loc)
	}
	r, err := rrule.NewRRule(*opts)
	if err != nil {
		return nil, fmt.Errorf("invalid recurrence rule %q: %v", strings.TrimSpace(rule), err)
	}
	// Look for a first occurrence within a bounded horizon, so that an
	// impossible rule (30 February) is refused quickly.
	probe := *opts
	horizon := opts.Dtstart.AddDate(400, 0, 0)
	if probe.Until.IsZero() || probe.Until.After(horizon) {
		probe.Until = horizon
	}
	pr, err := rrule.NewRRule(probe)
	if err != nil || pr.After(opts.Dtstart, true).IsZero() {
		return nil, fmt.Errorf("recurrence rule %q has no occurrence", strings.TrimSpace(rule))
	}
	m := &recurring{rule: r, opts: *opts, length: length, loc: loc}
	// Without COUNT the rule can be re-anchored a whole number of intervals
	// later, which keeps every occurrence but spares the library iterating
	// from 2000 on every call.
	d := opts.Dtstart
	switch opts.Freq {
	case rrule.DAILY, rrule.WEEKLY:
		m.shiftable = opts.Count == 0
	case rrule.MONTHLY:
		m.shiftable = opts.Count == 0 && d.Day() <= 28
	case rrule.YEARLY:
		m.shiftable = opts.Count == 0 && !(d.Month() == time.February && d.Day() == 29)
	}
	return m, nil
}

// canonicalRule accepts "RRULE:" prefixes, CRLF line ends and lower-case
// property names, and returns the rule in the form the library parses.
func canonicalRule(rule string) (string, error) {
	var lines []string
	for l := range strings.SplitSeq(strings.ReplaceAll(rule, "\r", ""), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	var dtstart, rr string
	for _, l := range lines {
		up := strings.ToUpper(l)
		switch {
		case strings.HasPrefix(up, "DTSTART"):
			if dtstart != "" {
				return "", errors.New("recurrence rule has more than one DTSTART line")
			}
			// Keep the TZID value's case: zone names are case-sensitive.
			name, value, _ := strings.Cut(l, ":")
			dtstart = strings.ToUpper(name)
			if i := strings.Index(dtstart, "TZID="); i >= 0 {
				dtstart = dtstart[:i] + "TZID=" + name[i+len("TZID="):]
			}
			dtstart += ":" + strings.ToUpper(value)
		default:
			if rr != "" {
				return "", errors.New("recurrence rule has more than one RRULE line (use one rule per maintenance window)")
			}
			rr = strings.TrimPrefix(up, "RRULE:")
		}
	}
	if rr == "" {
		return "", errors.New("recurrence rule is empty (use e.g. FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0)")
	}
	if dtstart != "" {
		return dtstart + "\n" + rr, nil
	}
	return rr, nil
}

// floating returns the wall-clock reading of t in loc as a UTC time.
func floating(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

func (m *recurring) Intervals(from, to time.Time) Set {
	if !from.Before(to) {
		return nil
	}
	// Occurrences that start before from but last into it count, and wall
	// and UTC clocks differ by up to a day.
	fromF := time.Unix(wallSeconds(from.Add(-m.length), m.loc)-2*86400, 0).UTC()
	toF := time.Unix(wallSeconds(to, m.loc)+2*86400, 0).UTC()
	rule := m.rule
	if m.shiftable && m.opts.Dtstart.Before(fromF) {
		opts := m.opts
		opts.Dtstart = shiftAnchor(opts, fromF)
		if r, err := rrule.NewRRule(opts); err == nil {
			rule = r
		}
	}
	res := resolver{loc: m.loc}
	var out Set
	for _, occ := range rule.Between(fromF, toF, true) {
		start := time.Unix(res.instant(occ.Unix()), 0).UTC()
		out = append(out, Interval{start, start.Add(m.length)})
	}
	return Normalize(out).Clip(from, to)
}

// shiftAnchor moves DTSTART forward by a whole number of rule intervals, to
// at least a period before target, keeping the rule's phase.
func shiftAnchor(o rrule.ROption, target time.Time) time.Time {
	iv := max(o.Interval, 1)
	d := o.Dtstart
	switch o.Freq {
	case rrule.DAILY, rrule.WEEKLY:
		step := int64(iv)
		if o.Freq == rrule.WEEKLY {
			step *= 7
		}
		days := int64(target.Sub(d) / (24 * time.Hour))
		n := days/step - 1
		if n > 0 {
			return d.AddDate(0, 0, int(n*step))
		}
	case rrule.MONTHLY:
		months := (target.Year()-d.Year())*12 + int(target.Month()-d.Month())
		if n := months/iv - 1; n > 0 {
			return d.AddDate(0, n*iv, 0)
		}
	case rrule.YEARLY:
		if n := (target.Year()-d.Year())/iv - 1; n > 0 {
			return d.AddDate(n*iv, 0, 0)
		}
	}
	return d
}
