// Package capacity answers who is free and who is overloaded: per person
// and ISO week, the working hours of their pattern less public holidays and
// time off (capacity), against what is asked of them — project allocations,
// on-call shifts at a weight, the hours actually spent on incidents, and
// desk duty (allocated). The figures are pure functions of their inputs;
// the store and the app gather those inputs from the tables of this
// package, the schedules, the incidents and the desk queues.
package capacity

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// DefaultOnCallWeight is what one hour on call counts for when nobody set
// it: an hour of standing by is not an hour of work, but it is not free.
const DefaultOnCallWeight = 0.1

// Day is a calendar date, held as midnight UTC of that date; a person's
// days are read in their own zone.
type Day struct{ t time.Time }

// ParseDay reads "2006-01-02".
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Day{}, fmt.Errorf("expected a date as YYYY-MM-DD, got %q", s)
	}
	return Day{t}, nil
}

// DayOf is the date of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// MustDay is ParseDay for literals known to be right.
func MustDay(s string) Day {
	d, err := ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

func (d Day) String() string           { return d.t.Format(time.DateOnly) }
func (d Day) IsZero() bool             { return d.t.IsZero() }
func (d Day) AddDays(n int) Day        { return Day{d.t.AddDate(0, 0, n)} }
func (d Day) Before(o Day) bool        { return d.t.Before(o.t) }
func (d Day) After(o Day) bool         { return d.t.After(o.t) }
func (d Day) Weekday() time.Weekday    { return d.t.Weekday() }
func (d Day) Unix() int64              { return d.t.Unix() / 86400 }
func DayFromUnix(n int64) Day          { return Day{time.Unix(n*86400, 0).UTC()} }
func (d Day) Within(from, to Day) bool { return !d.Before(from) && !d.After(to) }

// Start is the instant the day begins in loc.
func (d Day) Start(loc *time.Location) time.Time {
	y, m, dd := d.t.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

// Week is an ISO 8601 week, named by its Monday.
type Week struct{ Monday Day }

// WeekOf is the ISO week holding d.
func WeekOf(d Day) Week {
	off := (int(d.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return Week{d.AddDays(-off)}
}

// String is the ISO name, "2026-W49".
func (w Week) String() string {
	y, n := w.Monday.t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, n)
}

// Weeks lists the ISO weeks that touch [from, to].
func Weeks(from, to Day) []Week {
	var out []Week
	for w := WeekOf(from); !w.Monday.After(to); w = (Week{w.Monday.AddDays(7)}) {
		out = append(out, w)
	}
	return out
}

// Pattern is a person's working week: hours per weekday (Sunday first, as
// time.Weekday counts) in their zone.
type Pattern struct {
	Hours [7]float64
	Zone  *time.Location
}

// Standard is the 40-hour week, Monday to Friday, in loc.
func Standard(loc *time.Location) Pattern {
	return Pattern{Hours: [7]float64{0, 8, 8, 8, 8, 8, 0}, Zone: loc}
}

// TimeOff is an absence: the days From to To inclusive, each whole, or — when
// Hours is above zero — that many hours of each day (a half day is 4 on an
// 8-hour day). Requested absences are shown apart and do not reduce
// capacity until approved.
type TimeOff struct {
	From, To Day
	Hours    float64
	Approved bool
}

// Allocation asks a person for part of each working day of [From, To] for
// a project: HoursPerDay, or Share of that day's capacity (0–1).
type Allocation struct {
	Project     string
	From, To    Day
	HoursPerDay float64
	Share       float64
	Tentative   bool
}

// Span is an interval of time [Start, End).
type Span struct{ Start, End time.Time }

// DeskDuty is a standing share of the week at a desk queue.
type DeskDuty struct {
	Queue        string  `json:"queue"`
	HoursPerWeek float64 `json:"hours_per_week"`
}

// Person is everything the figures read about one person.
type Person struct {
	Name     string
	Team     string
	Pattern  Pattern
	Holidays []Day
	TimeOff  []TimeOff
	// Allocations to projects, confirmed and tentative.
	Allocations []Allocation
	// OnCall are the spans the person was (or will be) on call.
	OnCall []Span
	// Incidents are the spans from acknowledgement to resolution of the
	// incidents the person acknowledged.
	Incidents []Span
	Desk      []DeskDuty
}

// WeekFigures are one person's hours in one ISO week.
type WeekFigures struct {
	Week string `json:"week"`
	// WorkingHours is what the pattern gives before holidays and time off.
	WorkingHours float64 `json:"working_hours"`
	HolidayHours float64 `json:"holiday_hours"`
	// TimeOffHours is approved time off (holidays apart).
	TimeOffHours float64 `json:"time_off_hours"`
	// RequestedOffHours is time off asked for and not yet approved.
	RequestedOffHours float64 `json:"requested_off_hours"`
	// CapacityHours = working − holidays − approved time off.
	CapacityHours float64 `json:"capacity_hours"`
	ProjectHours  float64 `json:"project_hours"`
	// TentativeHours are tentative project allocations, kept apart for
	// scenario planning (not in AllocatedHours).
	TentativeHours float64 `json:"tentative_hours"`
	// OnCallHours are the weighted hours on call; OnCallRawHours the span.
	OnCallHours    float64 `json:"oncall_hours"`
	OnCallRawHours float64 `json:"oncall_raw_hours"`
	IncidentHours  float64 `json:"incident_hours"`
	DeskHours      float64 `json:"desk_hours"`
	// AllocatedHours = project + on-call + incident + desk.
	AllocatedHours float64 `json:"allocated_hours"`
	// Utilisation = allocated ÷ capacity; 0 when capacity is 0 and nothing
	// is allocated, +Inf shown as null when something is.
	Utilisation     *float64 `json:"utilisation"`
	OverAllocated   bool     `json:"over_allocated"`
	OverHours       float64  `json:"over_hours"`
	FreeHours       float64  `json:"free_hours"`
	ScenarioHours   float64  `json:"scenario_allocated_hours"`
	ScenarioOver    bool     `json:"scenario_over_allocated"`
	ScenarioUtilise *float64 `json:"scenario_utilisation"`
}

// dayHours is what one day of a person looks like.
type dayHours struct {
	working, holiday, off, requested, capacity float64
}

func (p Person) day(d Day) dayHours {
	h := dayHours{working: p.Pattern.Hours[d.Weekday()]}
	if h.working == 0 {
		return h
	}
	for _, hd := range p.Holidays {
		if hd == d {
			h.holiday = h.working
			return h
		}
	}
	left := h.working
	for _, t := range p.TimeOff {
		if !d.Within(t.From, t.To) {
			continue
		}
		take := left
		if t.Hours > 0 {
			take = math.Min(t.Hours, left)
		}
		if t.Approved {
			h.off += take
			left -= take
		} else {
			h.requested += math.Min(take, left)
		}
	}
	h.capacity = left
	return h
}

// allocationHours is what a on d asks, given the day.
func (a Allocation) hours(d Day, h dayHours) float64 {
	if !d.Within(a.From, a.To) || h.working == 0 {
		return 0
	}
	if a.Share > 0 {
		return a.Share * h.capacity
	}
	// Hours per day are planned on a full day; an absence takes its part.
	return a.HoursPerDay * h.capacity / h.working
}

// overlap is how long s overlaps [from, to).
func overlap(s Span, from, to time.Time) time.Duration {
	a, b := s.Start, s.End
	if a.Before(from) {
		a = from
	}
	if b.After(to) {
		b = to
	}
	if !b.After(a) {
		return 0
	}
	return b.Sub(a)
}

// merged returns spans with overlaps joined, so that two incidents worked at
// once are not counted twice.
func merged(spans []Span) []Span {
	s := append([]Span(nil), spans...)
	sort.Slice(s, func(i, j int) bool { return s[i].Start.Before(s[j].Start) })
	var out []Span
	for _, x := range s {
		if !x.End.After(x.Start) {
			continue
		}
		if n := len(out); n > 0 && !x.Start.After(out[n-1].End) {
			if x.End.After(out[n-1].End) {
				out[n-1].End = x.End
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// Options are the rules the figures apply.
type Options struct {
	// OnCallWeight is what one hour on call counts for (DefaultOnCallWeight
	// when zero).
	OnCallWeight float64
}

// Figures computes p's hours for each ISO week touching [from, to].
func Figures(p Person, from, to Day, o Options) []WeekFigures {
	weight := o.OnCallWeight
	if weight == 0 {
		weight = DefaultOnCallWeight
	}
	loc := p.Pattern.Zone
	if loc == nil {
		loc = time.UTC
	}
	oncall, incidents := merged(p.OnCall), merged(p.Incidents)
	var out []WeekFigures
	for _, w := range Weeks(from, to) {
		f := WeekFigures{Week: w.String()}
		for i := 0; i < 7; i++ {
			d := w.Monday.AddDays(i)
			h := p.day(d)
			f.WorkingHours += h.working
			f.HolidayHours += h.holiday
			f.TimeOffHours += h.off
			f.RequestedOffHours += h.requested
			f.CapacityHours += h.capacity
			for _, a := range p.Allocations {
				if a.Tentative {
					f.TentativeHours += a.hours(d, h)
				} else {
					f.ProjectHours += a.hours(d, h)
				}
			}
		}
		start, end := w.Monday.Start(loc), w.Monday.AddDays(7).Start(loc)
		for _, s := range oncall {
			f.OnCallRawHours += overlap(s, start, end).Hours()
		}
		for _, s := range incidents {
			f.IncidentHours += overlap(s, start, end).Hours()
		}
		for _, dd := range p.Desk {
			// Desk duty is a share of a normal week: a week with less
			// capacity carries proportionally less of it.
			if f.WorkingHours > 0 {
				f.DeskHours += dd.HoursPerWeek * f.CapacityHours / f.WorkingHours
			}
		}
		f.OnCallHours = f.OnCallRawHours * weight
		f.finish()
		out = append(out, f)
	}
	return out
}

// finish rounds the figures to hundredths of an hour (36 s) and derives the
// totals from the rounded parts, so that what is shown adds up.
func (f *WeekFigures) finish() {
	for _, v := range []*float64{&f.WorkingHours, &f.HolidayHours, &f.TimeOffHours, &f.RequestedOffHours, &f.CapacityHours,
		&f.ProjectHours, &f.TentativeHours, &f.OnCallHours, &f.OnCallRawHours, &f.IncidentHours, &f.DeskHours} {
		*v = Round(*v)
	}
	f.AllocatedHours = Round(f.ProjectHours + f.OnCallHours + f.IncidentHours + f.DeskHours)
	f.Utilisation = ratio(f.AllocatedHours, f.CapacityHours)
	f.OverAllocated = f.AllocatedHours > f.CapacityHours
	if f.OverAllocated {
		f.OverHours = Round(f.AllocatedHours - f.CapacityHours)
	} else {
		f.FreeHours = Round(f.CapacityHours - f.AllocatedHours)
	}
	f.ScenarioHours = Round(f.AllocatedHours + f.TentativeHours)
	f.ScenarioOver = f.ScenarioHours > f.CapacityHours
	f.ScenarioUtilise = ratio(f.ScenarioHours, f.CapacityHours)
}

// Round rounds hours to two decimals.
func Round(h float64) float64 { return math.Round(h*100) / 100 }

func ratio(a, b float64) *float64 {
	if b == 0 {
		if a == 0 {
			z := 0.0
			return &z
		}
		return nil
	}
	r := math.Round(a/b*10000) / 10000
	return &r
}

// MarshalText writes the date as YYYY-MM-DD.
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Day) UnmarshalText(b []byte) error {
	v, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
