package availability

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Days is a set of weekdays (bit i = time.Weekday(i)). A bit set keeps a
// window's days cheap to test and lets "mon-fri" and "mon,tue,wed,thu,fri"
// compare equal.
type Days uint8

// AllDays is every day of the week, what "daily" means.
const AllDays Days = 1<<7 - 1

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

const daysHelp = "(use mon, tue, wed, thu, fri, sat, sun)"

// Has reports whether d includes the weekday w.
func (d Days) Has(w time.Weekday) bool { return w >= 0 && w < 7 && d&(1<<uint(w)) != 0 }

// String renders the set the way ParseDays reads it, Monday first, with runs
// of three or more days written as ranges, so that configuration written back
// out looks like what a person would type.
func (d Days) String() string {
	d &= AllDays
	if d == AllDays {
		return "daily"
	}
	order := [7]time.Weekday{1, 2, 3, 4, 5, 6, 0}
	var parts []string
	for i := 0; i < 7; {
		if !d.Has(order[i]) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && d.Has(order[j+1]) {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, dayNames[order[i]])
		case j == i+1:
			parts = append(parts, dayNames[order[i]], dayNames[order[j]])
		default:
			parts = append(parts, dayNames[order[i]]+"-"+dayNames[order[j]])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// ParseDays reads the days part of a calendar window: a comma-separated list
// of days ("sat,sun") and ranges ("mon-fri"), where a range may wrap past
// Sunday ("fri-mon" is fri, sat, sun, mon); "daily" means every day. Day
// names are case-insensitive and may be abbreviated to three letters or
// written in full. Errors name the offending word, because they are shown
// next to the configuration field.
func ParseDays(s string) (Days, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("no days given (use e.g. mon-fri, sat,sun or daily)")
	}
	if strings.EqualFold(s, "daily") {
		return AllDays, nil
	}
	var d Days
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return 0, fmt.Errorf("empty day in %q (separate days with single commas)", s)
		}
		lo, hi, isRange := strings.Cut(item, "-")
		first, err := parseDay(lo)
		if err != nil {
			return 0, err
		}
		if !isRange {
			d |= 1 << uint(first)
			continue
		}
		last, err := parseDay(hi)
		if err != nil {
			return 0, err
		}
		for w := first; ; w = (w + 1) % 7 {
			d |= 1 << uint(w)
			if w == last {
				break
			}
		}
	}
	return d, nil
}

func parseDay(s string) (time.Weekday, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for i, n := range dayNames {
		if t == n || t == strings.ToLower(time.Weekday(i).String()) {
			return time.Weekday(i), nil
		}
	}
	if t == "" {
		return 0, errors.New("missing day in range " + daysHelp)
	}
	return 0, fmt.Errorf("unknown day %q %s", strings.TrimSpace(s), daysHelp)
}

// Clock is minutes after local midnight, 0..1440 ("24:00" allowed). Windows
// are wall-clock times, so they are kept as minutes of the local day and
// turned into instants only once the date and zone are known.
type Clock int

// String renders the clock as HH:MM, the form ParseClock reads.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// ParseClock reads a wall-clock time written HH:MM or H:MM, from "00:00" to
// "24:00" (the end of the day, so a window can run to midnight). Minutes must
// have two digits, so "9" and "09:6" are refused rather than guessed at.
func ParseClock(s string) (Clock, error) {
	t := strings.TrimSpace(s)
	hs, ms, ok := strings.Cut(t, ":")
	if !ok || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 || !digits(hs) || !digits(ms) {
		return 0, fmt.Errorf("invalid time %q (use HH:MM, e.g. 09:00)", t)
	}
	h, _ := strconv.Atoi(hs)
	m, _ := strconv.Atoi(ms)
	switch {
	case m > 59:
		return 0, fmt.Errorf("invalid time %q: minutes must be 00 to 59", t)
	case h > 24 || h == 24 && m != 0:
		return 0, fmt.Errorf("invalid time %q: the latest time is 24:00", t)
	}
	return Clock(h*60 + m), nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Window is one weekly wall-clock window of service hours. When To is before
// From the window runs past midnight into the next day, and the day it starts
// on is the one listed in Days ("fri 22:00-06:00" is Friday night into
// Saturday morning). From == To is refused by NewCalendar, because it is
// ambiguous between "never" and "all day"; write 00:00-24:00 for a whole day.
type Window struct {
	Days     Days
	From, To Clock
}

// String renders the window as "mon-fri 09:00-17:00".
func (w Window) String() string { return w.Days.String() + " " + w.From.String() + "-" + w.To.String() }

// Date is a calendar day with no time or zone, used for holidays, which are
// whole days in the calendar's own zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String renders the date as YYYY-MM-DD, the form ParseDate reads.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// valid reports whether the date exists (no 31 April, no 29 February in a
// common year).
func (d Date) valid() bool {
	if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Year < 1 || d.Year > 9999 {
		return false
	}
	y, m, dd := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Date()
	return y == d.Year && m == d.Month && dd == d.Day
}

// ParseDate reads a date written YYYY-MM-DD, such as a holiday "2026-12-25".
func ParseDate(s string) (Date, error) {
	t := strings.TrimSpace(s)
	p, err := time.Parse("2006-01-02", t)
	if err != nil || len(t) != 10 {
		return Date{}, fmt.Errorf("invalid date %q (use YYYY-MM-DD, e.g. 2026-12-25)", t)
	}
	return Date{p.Year(), p.Month(), p.Day()}, nil
}

// Calendar is the service hours: a set of weekly wall-clock windows in an
// IANA zone, minus whole-day holidays (in that zone). It is immutable once
// built, so one value can be shared by every objective that uses it and read
// from any goroutine.
type Calendar struct {
	loc      *time.Location
	always   bool
	windows  []Window
	holidays map[int64]bool // days since 1970-01-01
}

// NewCalendar checks and builds a calendar. Every window must name at least
// one day and have From != To; times must be within 00:00..24:00, and a
// window cannot start at 24:00. Holidays must be real dates. Errors name the
// window or date at fault.
func NewCalendar(loc *time.Location, windows []Window, holidays []Date) (*Calendar, error) {
	if loc == nil {
		return nil, errors.New("calendar has no time zone")
	}
	c := &Calendar{loc: loc, windows: make([]Window, 0, len(windows)), holidays: make(map[int64]bool, len(holidays))}
	for i, w := range windows {
		switch {
		case w.Days&AllDays == 0:
			return nil, fmt.Errorf("window %d has no days (use e.g. mon-fri)", i+1)
		case w.From < 0 || w.From >= 1440:
			return nil, fmt.Errorf("window %d starts at %d minutes; it must start between 00:00 and 23:59", i+1, int(w.From))
		case w.To < 0 || w.To > 1440:
			return nil, fmt.Errorf("window %d ends at %d minutes; it must end between 00:00 and 24:00", i+1, int(w.To))
		case w.From == w.To:
			return nil, fmt.Errorf("window %s is empty: start and end are the same (use 00:00-24:00 for a whole day)", w)
		}
		w.Days &= AllDays
		c.windows = append(c.windows, w)
	}
	for _, h := range holidays {
		if !h.valid() {
			return nil, fmt.Errorf("holiday %s is not a valid date", h)
		}
		c.holidays[dayNumber(h.Year, h.Month, h.Day)] = true
	}
	return c, nil
}

// AlwaysOn is the "24x7" calendar: every instant is in hours. It is what an
// objective without a calendar uses.
func AlwaysOn() *Calendar { return &Calendar{loc: time.UTC, always: true} }

// Location returns the zone the calendar's windows and holidays are read in;
// periods such as "month" use the same zone so that a month of office hours
// starts at local midnight.
func (c *Calendar) Location() *time.Location {
	if c == nil || c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// IsAlwaysOn reports whether the calendar counts every instant (24x7).
func (c *Calendar) IsAlwaysOn() bool { return c == nil || c.always }

// Hours returns the in-hours intervals within [from, to). Windows follow the
// zone's daylight-saving changes: they are wall-clock times, so a 01:00-04:00
// window is 2 h long on a spring-forward night that skips 02:00-03:00 and 4 h
// on a fall-back night that repeats 02:00-03:00. A wall time that does not
// exist (inside a skipped hour) means the first instant after the gap, and a
// wall time that occurs twice means its first occurrence. A nil calendar is
// treated as 24x7.
func (c *Calendar) Hours(from, to time.Time) Set {
	if !from.Before(to) {
		return nil
	}
	if c == nil || c.always {
		return Set{{from.UTC(), to.UTC()}}
	}
	if len(c.windows) == 0 {
		return nil
	}
	r := resolver{loc: c.loc}
	// Start a day early so that a window running past midnight into the
	// range is included; wall and UTC dates differ by at most a day.
	first := localDay(from, c.loc) - 1
	last := localDay(to, c.loc)
	out := make(Set, 0, int(last-first+1)*len(c.windows))
	add := func(ws, we int64) {
		if ws >= we {
			return
		}
		s, e := r.instant(ws), r.instant(we)
		if s < e {
			out = append(out, Interval{time.Unix(s, 0).UTC(), time.Unix(e, 0).UTC()})
		}
	}
	for day := first; day <= last; day++ {
		wd := time.Weekday((day%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday
		base := day * 86400
		for _, w := range c.windows {
			if !w.Days.Has(wd) {
				continue
			}
			if w.To > w.From {
				if !c.holidays[day] {
					add(base+int64(w.From)*60, base+int64(w.To)*60)
				}
				continue
			}
			// Past midnight: each side of midnight is cut by its own day's holiday.
			if !c.holidays[day] {
				add(base+int64(w.From)*60, base+86400)
			}
			if !c.holidays[day+1] {
				add(base+86400, base+86400+int64(w.To)*60)
			}
		}
	}
	if len(c.windows) > 1 || !sortedDisjoint(out) {
		out = Normalize(out)
	} else {
		out = coalesce(out)
	}
	return out.Clip(from, to)
}

func sortedDisjoint(s Set) bool {
	for i := 1; i < len(s); i++ {
		if s[i].Start.Before(s[i-1].End) {
			return false
		}
	}
	return true
}

// dayNumber returns the number of days since 1970-01-01 of a civil date.
func dayNumber(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// localDay returns the day number of the wall-clock date of t in loc.
func localDay(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return dayNumber(y, m, d)
}

// wallSeconds returns a wall-clock time as seconds since 1970-01-01 00:00 on
// the same wall clock, the coordinate in which calendars are laid out.
func wallSeconds(t time.Time, loc *time.Location) int64 {
	y, mo, d := t.In(loc).Date()
	h, mi, s := t.In(loc).Clock()
	return dayNumber(y, mo, d)*86400 + int64(h*3600+mi*60+s)
}

// maxShift bounds the difference between two UTC offsets of one zone; no
// zone has ever jumped by more than a day.
const maxShift = 26 * 3600

// resolver turns wall-clock seconds into Unix seconds in one zone. It
// remembers the last zone period it saw, so that laying out a year of
// windows costs a subtraction per window instead of a zone lookup.
type resolver struct {
	loc    *time.Location
	ok     bool
	off    int64
	lo, hi int64 // the zone period [lo, hi) in Unix seconds
}

func (r *resolver) instant(w int64) int64 {
	if r.ok {
		u := w - r.off
		// Far enough inside one zone period, no other offset can map w to
		// an instant, so the wall time exists and is unique.
		if u-r.lo >= maxShift && r.hi-u > maxShift {
			return u
		}
	}
	u := resolveWall(w, r.loc)
	t := time.Unix(u, 0).In(r.loc)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	r.ok, r.off = true, int64(off)
	r.lo, r.hi = -1<<60, 1<<60
	if !start.IsZero() {
		r.lo = start.Unix()
	}
	if !end.IsZero() {
		r.hi = end.Unix()
	}
	return u
}

// resolveWall returns the Unix second at which the wall clock of loc reads w.
// When the wall time occurs twice (a fall-back night) it is the first
// occurrence; when it does not occur (a spring-forward gap) it is the first
// instant after the gap, i.e. the moment of the change.
func resolveWall(w int64, loc *time.Location) int64 {
	best, found := int64(0), false
	var before int64
	for i, probe := range [3]int64{w - maxShift, w, w + maxShift} {
		_, o := time.Unix(probe, 0).In(loc).Zone()
		off := int64(o)
		if i == 0 {
			before = off
		}
		u := w - off
		if _, o2 := time.Unix(u, 0).In(loc).Zone(); int64(o2) == off && (!found || u < best) {
			best, found = u, true
		}
	}
	if found {
		return best
	}
	// In a gap: read with the offset from before the change, the wall time
	// lands after the change, and the zone period it lands in starts at it.
	start, _ := time.Unix(w-before, 0).In(loc).ZoneBounds()
	if start.IsZero() {
		return w - before
	}
	return start.Unix()
}

// wallInstant returns the instant at which the wall clock of loc reads the
// given date and minutes after midnight (1440 being the next midnight).
func wallInstant(y int, m time.Month, d int, minutes int, loc *time.Location) time.Time {
	w := dayNumber(y, m, d)*86400 + int64(minutes)*60
	return time.Unix(resolveWall(w, loc), 0).In(loc)
}
