package oncall

import (
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
)

// Schedule is an on-call schedule as written in the configuration and the
// API. It is plain strings so that it round-trips through YAML and JSON
// unchanged; Validate explains what is wrong with it and Compile turns it
// into the value that answers questions.
type Schedule struct {
	Name string `yaml:"name" json:"name"`
	// Timezone is the IANA zone in which hand-offs and restriction windows
	// are read; empty means UTC.
	Timezone  string     `yaml:"timezone,omitempty" json:"timezone,omitempty"`
	Layers    []Layer    `yaml:"layers" json:"layers"`
	Overrides []Override `yaml:"overrides,omitempty" json:"overrides,omitempty"`
}

// Layer is one rotation of members.
//
// Rotation is "daily", "weekly" or a length such as "3d", "2w" or "12h".
// Rotations of whole days hand over at the same wall-clock time every time,
// so a daily shift spanning a daylight-saving change lasts 23 or 25 hours;
// other lengths are fixed spans of real time counted from the first
// hand-off, because "every 12 hours" means elapsed time to the people who
// work it.
//
// Handoff is "HH:MM", or "mon 09:00" for rotations of whole weeks; it
// defaults to 00:00 and, for weeks, to the weekday of Start.
//
// Start (YYYY-MM-DD, default 2026-01-05) anchors the rotation: the first
// hand-off on or after it goes to Members[0], the next to Members[1], and so
// on around the list. The rotation runs on before and after the anchor
// alike, so moving the anchor only changes whose turn it is.
//
// Restrict, when given, limits the layer to weekly windows; outside them the
// layer has nobody and the layers below show through.
type Layer struct {
	Rotation string   `yaml:"rotation" json:"rotation"`
	Handoff  string   `yaml:"handoff,omitempty" json:"handoff,omitempty"`
	Members  []string `yaml:"members" json:"members"`
	Start    string   `yaml:"start,omitempty" json:"start,omitempty"`
	Restrict []Window `yaml:"restrict,omitempty" json:"restrict,omitempty"`
}

// Window is a weekly wall-clock window of a restricted layer, written the
// way service hours are ("mon-fri", "18:00", "09:00"). When To is before
// From the window runs overnight and belongs to the day it starts on. Empty
// Days means every day.
type Window struct {
	Days string `yaml:"days,omitempty" json:"days,omitempty"`
	From string `yaml:"from" json:"from"`
	To   string `yaml:"to" json:"to"`
}

// Override puts User on call for [Start, End), above every layer. Times are
// RFC 3339 with an offset, so an override means the same span whatever the
// schedule's zone. When overrides overlap, the later one in the list wins.
type Override struct {
	User  string `yaml:"user" json:"user"`
	Start string `yaml:"start" json:"start"`
	End   string `yaml:"end" json:"end"`
}

// DefaultStart is the anchor of a layer that names none: a Monday, so that
// weekly rotations without a weekday hand over on Mondays.
const DefaultStart = "2026-01-05"

// minRotation keeps a typo such as "1m" (meant as a month) from producing a
// shift a minute, which nobody could work and which would make a year of
// schedule enormous.
const minRotation = time.Hour

// Validate reports every problem with the schedule, each with a path
// relative to the schedule ("layers[0].handoff", "overrides[1].end") so the
// caller can prefix it with the schedule's own place in the document.
// users is the set of known user names; a nil map skips that check, for
// callers that validate a schedule before the users are loaded.
func (s Schedule) Validate(users map[string]bool) []apperr.Field {
	_, inv := compile(s)
	if users != nil {
		for i, l := range s.Layers {
			for j, m := range l.Members {
				if m != "" && !users[m] {
					inv.Add(fmt.Sprintf("layers[%d].members[%d]", i, j), "unknown user %q", m)
				}
			}
		}
		for i, o := range s.Overrides {
			if o.User != "" && !users[o.User] {
				inv.Add(fmt.Sprintf("overrides[%d].user", i), "unknown user %q", o.User)
			}
		}
	}
	return inv.Fields
}

// Compile checks the schedule (as Validate does, without the user check) and
// builds the immutable value that answers questions about it. The error is
// an *apperr.Invalid listing every problem.
func Compile(s Schedule) (*Compiled, error) {
	c, inv := compile(s)
	if err := inv.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// compile does the work of both Validate and Compile, so that the two can
// never disagree about what is valid.
func compile(s Schedule) (*Compiled, *apperr.Invalid) {
	inv := &apperr.Invalid{}
	c := &Compiled{name: s.Name, loc: time.UTC}
	if strings.TrimSpace(s.Name) == "" {
		inv.Add("name", "is required")
	}
	if loc, err := loadZone(s.Timezone); err != nil {
		inv.Add("timezone", "%s", err)
	} else {
		c.loc = loc
	}
	if len(s.Layers) == 0 {
		inv.Add("layers", "at least one layer is required")
	}
	for i, l := range s.Layers {
		cl, fields := compileLayer(l, c.loc)
		for _, f := range apperr.Prefixed(fmt.Sprintf("layers[%d]", i), fields) {
			inv.Add(f.Path, "%s", f.Msg)
		}
		c.layers = append(c.layers, cl)
	}
	for i, o := range s.Overrides {
		p := fmt.Sprintf("overrides[%d]", i)
		co := override{user: o.User}
		if strings.TrimSpace(o.User) == "" {
			inv.Add(p+".user", "is required")
		}
		var err1, err2 error
		co.start, err1 = parseInstant(o.Start)
		if err1 != nil {
			inv.Add(p+".start", "%s", err1)
		}
		co.end, err2 = parseInstant(o.End)
		if err2 != nil {
			inv.Add(p+".end", "%s", err2)
		}
		if err1 == nil && err2 == nil && !co.end.After(co.start) {
			inv.Add(p+".end", "must be after start (%s)", o.Start)
		}
		c.overrides = append(c.overrides, co)
	}
	return c, inv
}

// loadZone reads an IANA zone name. "Local" is refused: it would make the
// schedule depend on the server's settings, which the people on call cannot
// see.
func loadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("%q is the server's zone; name an IANA zone such as Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (use an IANA name such as Europe/Berlin)", name)
	}
	return loc, nil
}

func parseInstant(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("is required (RFC 3339, e.g. 2026-12-24T00:00:00+01:00)")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid time %q (use RFC 3339, e.g. 2026-12-24T00:00:00+01:00)", s)
	}
	return t, nil
}

// compileLayer checks and builds one layer; paths in the problems are
// relative to the layer.
func compileLayer(l Layer, loc *time.Location) (layer, []apperr.Field) {
	inv := &apperr.Invalid{}
	cl := layer{members: l.Members}
	if len(l.Members) == 0 {
		inv.Add("members", "at least one member is required")
	}
	for j, m := range l.Members {
		if strings.TrimSpace(m) == "" {
			inv.Add(fmt.Sprintf("members[%d]", j), "is empty")
		}
	}

	rot, rotErr := parseRotation(l.Rotation)
	if rotErr != nil {
		inv.Add("rotation", "%s", rotErr)
	}
	h, hErr := parseHandoff(l.Handoff)
	if hErr != nil {
		inv.Add("handoff", "%s", hErr)
	}
	startText := strings.TrimSpace(l.Start)
	if startText == "" {
		startText = DefaultStart
	}
	start, sErr := availability.ParseDate(startText)
	if sErr != nil {
		inv.Add("start", "%s", sErr)
	}
	if rotErr == nil && hErr == nil && h.hasDay && (rot.days == 0 || rot.days%7 != 0) {
		inv.Add("handoff", "a weekday is only allowed for rotations of whole weeks (weekly, 2w); write just the time, e.g. %q", h.clock.String())
	}

	if len(l.Restrict) > 0 {
		ws := make([]availability.Window, 0, len(l.Restrict))
		ok := true
		for j, w := range l.Restrict {
			p := fmt.Sprintf("restrict[%d]", j)
			aw, fields := parseWindow(w)
			for _, f := range apperr.Prefixed(p, fields) {
				inv.Add(f.Path, "%s", f.Msg)
			}
			ok = ok && len(fields) == 0
			ws = append(ws, aw)
		}
		if ok {
			cal, err := availability.NewCalendar(loc, ws, nil)
			if err != nil { // parseWindow has checked what NewCalendar checks
				inv.Add("restrict", "%s", err)
			}
			cl.hours = cal
		}
	}

	if rotErr == nil && hErr == nil && sErr == nil {
		day := dayNumber(start.Year, start.Month, start.Day)
		if rot.days > 0 {
			if h.hasDay {
				day += int64((int(h.day) - int(weekdayOf(day)) + 7) % 7)
			}
			cl.days = rot.days
			cl.anchorDay = day
			cl.handoff = h.clock
		} else {
			cl.length = rot.length
			cl.anchor = wallInstant(loc, day, h.clock)
		}
	}
	return cl, inv.Fields
}

// rotation is a parsed Layer.Rotation: either a number of local days or a
// fixed length of real time.
type rotation struct {
	days   int
	length time.Duration
}

// parseRotation reads "daily", "weekly" or a duration. Durations of whole
// days become day rotations (so "1d" is "daily" and "7d" is "weekly"); the
// rest must be whole minutes and at least an hour.
func parseRotation(s string) (rotation, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "":
		return rotation{}, fmt.Errorf("is required (daily, weekly or a length such as 3d or 12h)")
	case "daily":
		return rotation{days: 1}, nil
	case "weekly":
		return rotation{days: 7}, nil
	}
	d, err := duration.Parse(t)
	if err != nil {
		return rotation{}, fmt.Errorf("invalid rotation %q (use daily, weekly or a length such as 3d or 12h)", strings.TrimSpace(s))
	}
	switch {
	case d < minRotation:
		return rotation{}, fmt.Errorf("rotation %q is shorter than %s", strings.TrimSpace(s), duration.Format(minRotation))
	case d%time.Minute != 0:
		return rotation{}, fmt.Errorf("rotation %q is not a whole number of minutes", strings.TrimSpace(s))
	case d > 520*duration.Week:
		return rotation{}, fmt.Errorf("rotation %q is longer than ten years", strings.TrimSpace(s))
	case d%duration.Day == 0:
		return rotation{days: int(d / duration.Day)}, nil
	}
	return rotation{length: d}, nil
}

// handoff is a parsed Layer.Handoff.
type handoff struct {
	hasDay bool
	day    time.Weekday
	clock  availability.Clock
}

// parseHandoff reads "HH:MM" or "<weekday> HH:MM"; empty means 00:00. The
// weekday is read by availability.ParseDays so that it accepts the same
// spellings as service hours, and must be exactly one day.
func parseHandoff(s string) (handoff, error) {
	f := strings.Fields(s)
	var h handoff
	var clock string
	switch len(f) {
	case 0:
		return h, nil
	case 1:
		clock = f[0]
	case 2:
		d, err := availability.ParseDays(f[0])
		if err != nil {
			return h, err
		}
		if d == 0 || d&(d-1) != 0 {
			return h, fmt.Errorf("hand-off %q must name one weekday, e.g. \"mon 09:00\"", strings.TrimSpace(s))
		}
		h.hasDay, h.day = true, time.Weekday(bits.TrailingZeros8(uint8(d)))
		clock = f[1]
	default:
		return h, fmt.Errorf("invalid hand-off %q (use HH:MM, or a weekday and HH:MM such as \"mon 09:00\")", strings.TrimSpace(s))
	}
	c, err := availability.ParseClock(clock)
	if err != nil {
		return h, err
	}
	if c >= 24*60 {
		return h, fmt.Errorf("hand-off %q must be before 24:00 (use 00:00)", strings.TrimSpace(s))
	}
	h.clock = c
	return h, nil
}

// String renders the hand-off the way parseHandoff reads it.
func (h handoff) String() string {
	if h.hasDay {
		return strings.ToLower(h.day.String()[:3]) + " " + h.clock.String()
	}
	return h.clock.String()
}

// parseWindow checks one restriction window; paths are relative to it.
func parseWindow(w Window) (availability.Window, []apperr.Field) {
	inv := &apperr.Invalid{}
	aw := availability.Window{Days: availability.AllDays}
	if strings.TrimSpace(w.Days) != "" {
		d, err := availability.ParseDays(w.Days)
		if err != nil {
			inv.Add("days", "%s", err)
		}
		aw.Days = d
	}
	from, errF := availability.ParseClock(w.From)
	if errF != nil {
		inv.Add("from", "%s", errF)
	} else if from >= 24*60 {
		inv.Add("from", "a window cannot start at 24:00 (use 00:00)")
		errF = fmt.Errorf("late")
	}
	to, errT := availability.ParseClock(w.To)
	if errT != nil {
		inv.Add("to", "%s", errT)
	}
	if errF == nil && errT == nil && from == to {
		inv.Add("to", "is the same as from, which could mean never or always (use 00:00-24:00 for a whole day)")
	}
	aw.From, aw.To = from, to
	return aw, inv.Fields
}

// ValidateSchedules checks a list of schedules as the config file's
// `schedules:` (paths start with "schedules[i]"): each name valid and
// unique, each schedule valid with members among users. It returns the set
// of names, which escalation targets may refer to.
func ValidateSchedules(list []Schedule, users map[string]bool) (map[string]bool, []apperr.Field) {
	names := map[string]bool{}
	var out []apperr.Field
	for i, sc := range list {
		p := fmt.Sprintf("schedules[%d]", i)
		if !catalog.ValidName(sc.Name) {
			out = append(out, apperr.Field{Path: p + ".name", Msg: fmt.Sprintf("%q must be lower-case letters, digits, '-' or '_'", sc.Name)})
		} else if names[sc.Name] {
			out = append(out, apperr.Field{Path: p + ".name", Msg: fmt.Sprintf("schedule %q is declared twice", sc.Name)})
		}
		names[sc.Name] = true
		out = append(out, apperr.Prefixed(p, sc.Validate(users))...)
	}
	return names, out
}
