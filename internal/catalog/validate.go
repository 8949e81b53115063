package catalog

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/duration"
)

// AlwaysOn is the calendar name meaning every hour of every day.
const AlwaysOn = "24x7"

// The paging modes of an objective.
const (
	PageAlways  = "always"
	PageInHours = "in_hours"
)

// The limits on free text, so that one bad request cannot store megabytes.
const (
	maxTitle       = 200
	maxDescription = 10000
	maxTier        = 5
)

var slug = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$`)

// ValidName reports whether s may name a service or calendar: lower-case
// letters, digits, '-' and '_', starting and ending with a letter or digit,
// at most 64 characters. Names appear in URLs, metrics labels and config.
func ValidName(s string) bool { return slug.MatchString(s) }

var itemName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,99}$`)

// ValidItemName says whether s can name a configuration item of the CMDB
// or one of its classes: lower-case letters, digits, '-', '_' and '.' (host
// names keep their dots), at most 100.
func ValidItemName(s string) bool { return itemName.MatchString(s) }

// Validate checks a whole catalog and returns every problem, each with a
// path as the config file spells it ("calendars.office.timezone",
// "services[0].objective.availability"). Services are checked in order; a
// dependency cycle is reported once, at the first listed service on it.
func Validate(cat Catalog) []apperr.Field {
	_, _, problems := compileCatalog(cat)
	return problems
}

// Compiled is a validated catalog, ready for the availability engine.
type Compiled struct {
	Calendars  map[string]*availability.Calendar
	Objectives map[string]*availability.Objective
}

// Compile validates cat and turns every service's objective into the
// engine's form. It fails with *apperr.Invalid listing every problem.
func Compile(cat Catalog) (*Compiled, error) {
	cals, objs, problems := compileCatalog(cat)
	if len(problems) > 0 {
		return nil, &apperr.Invalid{Fields: problems}
	}
	return &Compiled{Calendars: cals, Objectives: objs}, nil
}

func compileCatalog(cat Catalog) (map[string]*availability.Calendar, map[string]*availability.Objective, []apperr.Field) {
	var inv apperr.Invalid
	cals := map[string]*availability.Calendar{}
	known := map[string]bool{}
	for _, c := range cat.Calendars {
		p := "calendars." + c.Name
		switch {
		case !ValidName(c.Name):
			inv.Add(p, "calendar name %q must be lower-case letters, digits, '-' or '_' (at most 64)", c.Name)
		case c.Name == AlwaysOn:
			inv.Add(p, "%q is built in and cannot be redefined", AlwaysOn)
		case known[c.Name]:
			inv.Add(p, "calendar %q is declared twice", c.Name)
		}
		known[c.Name] = true
		cal, fields := CompileCalendar(c.CalendarSpec)
		inv.Fields = append(inv.Fields, apperr.Prefixed(p, fields)...)
		if cal != nil {
			cals[c.Name] = cal
		}
	}

	names := map[string]int{}
	for i, s := range cat.Services {
		p := fmt.Sprintf("services[%d]", i)
		switch {
		case s.Name == "":
			inv.Add(p+".name", "is required")
		case !ValidName(s.Name):
			inv.Add(p+".name", "%q must be lower-case letters, digits, '-' or '_', starting and ending with a letter or digit (at most 64)", s.Name)
		case s.Name == "new":
			inv.Add(p+".name", "\"new\" is reserved (it names the page that creates a service)")
		default:
			if j, dup := names[s.Name]; dup {
				inv.Add(p+".name", "service %q is already declared at services[%d]", s.Name, j)
			} else {
				names[s.Name] = i
			}
		}
	}

	objs := map[string]*availability.Objective{}
	for i, s := range cat.Services {
		p := fmt.Sprintf("services[%d]", i)
		inv.Fields = append(inv.Fields, apperr.Prefixed(p, checkService(s, names, known))...)
		if s.Objective == nil {
			continue
		}
		obj, fields := compileObjective(s, cals, known)
		inv.Fields = append(inv.Fields, apperr.Prefixed(p, fields)...)
		if obj != nil && len(fields) == 0 {
			objs[s.Name] = obj
		}
	}
	inv.Fields = append(inv.Fields, findCycles(cat.Services, names)...)
	return cals, objs, inv.Fields
}

// CompileCalendar validates one calendar's content and builds it. Paths in
// the problems are relative to the calendar.
func CompileCalendar(c CalendarSpec) (*availability.Calendar, []apperr.Field) {
	var inv apperr.Invalid
	loc, err := loadZone(c.Timezone)
	if err != nil {
		inv.Add("timezone", "%v", err)
	}
	if len(c.Weekly) == 0 {
		inv.Add("weekly", "needs at least one window, e.g. {days: mon-fri, from: \"09:00\", to: \"17:00\"}")
	}
	windows := make([]availability.Window, 0, len(c.Weekly))
	for i, w := range c.Weekly {
		p := fmt.Sprintf("weekly[%d]", i)
		days, err := availability.ParseDays(w.Days)
		if err != nil {
			inv.Add(p+".days", "%v", err)
		}
		from, err := availability.ParseClock(w.From)
		if err != nil {
			inv.Add(p+".from", "%v", err)
		}
		to, err := availability.ParseClock(w.To)
		if err != nil {
			inv.Add(p+".to", "%v", err)
		}
		if w.From != "" && w.From == w.To {
			inv.Add(p+".to", "must differ from \"from\" (%s)", w.From)
		}
		windows = append(windows, availability.Window{Days: days, From: from, To: to})
	}
	holidays := make([]availability.Date, 0, len(c.Holidays))
	for i, h := range c.Holidays {
		d, err := availability.ParseDate(h)
		if err != nil {
			inv.Add(fmt.Sprintf("holidays[%d]", i), "%v", err)
			continue
		}
		holidays = append(holidays, d)
	}
	if len(inv.Fields) > 0 {
		return nil, inv.Fields
	}
	cal, err := availability.NewCalendar(loc, windows, holidays)
	if err != nil {
		inv.Add("weekly", "%v", err)
		return nil, inv.Fields
	}
	return cal, nil
}

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("is required (an IANA time zone such as Europe/Berlin, or UTC)")
	}
	if strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("%q depends on the server; name an IANA time zone such as Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (use an IANA name such as Europe/Berlin)", name)
	}
	return loc, nil
}

// checkService validates everything about s but its objective; paths are
// relative to the service.
func checkService(s Service, names map[string]int, calendars map[string]bool) []apperr.Field {
	var inv apperr.Invalid
	if len(s.Title) > maxTitle {
		inv.Add("title", "is longer than %d characters", maxTitle)
	}
	if len(s.Description) > maxDescription {
		inv.Add("description", "is longer than %d characters", maxDescription)
	}
	if len(s.Owner) > maxTitle {
		inv.Add("owner", "is longer than %d characters", maxTitle)
	}
	if s.Tier < 0 || s.Tier > maxTier {
		inv.Add("tier", "must be between 1 (most critical) and %d, or left out", maxTier)
	}
	seen := map[string]bool{}
	for i, d := range s.DependsOn {
		p := fmt.Sprintf("depends_on[%d]", i)
		// An item of the CMDB is checked against the CMDB where both are
		// known (the config file, the CMDB's own writes).
		if d.CI != "" {
			switch {
			case d.Service != "":
				inv.Add(p+".ci", "name a service or an item (ci), not both")
			case !ValidItemName(d.CI):
				inv.Add(p+".ci", "%q is not an item name", d.CI)
			case seen["ci:"+d.CI]:
				inv.Add(p+".ci", "%q is listed twice", d.CI)
			}
			seen["ci:"+d.CI] = true
			if d.Kind != "" && d.Kind != Hard && d.Kind != Soft {
				inv.Add(p+".kind", "must be %q or %q, not %q", Hard, Soft, d.Kind)
			}
			continue
		}
		switch _, ok := names[d.Service]; {
		case d.Service == "":
			inv.Add(p+".service", "is required (or ci, to depend on a configuration item)")
		case d.Service == s.Name:
			inv.Add(p+".service", "a service cannot depend on itself")
		case !ok:
			inv.Add(p+".service", "unknown service %q", d.Service)
		case seen[d.Service]:
			inv.Add(p+".service", "%q is listed twice", d.Service)
		}
		seen[d.Service] = true
		if d.Kind != "" && d.Kind != Hard && d.Kind != Soft {
			inv.Add(p+".kind", "must be %q or %q, not %q", Hard, Soft, d.Kind)
		}
	}
	for i, m := range s.Maintenance {
		_, fields := compileMaintenance(m, time.UTC)
		inv.Fields = append(inv.Fields, apperr.Prefixed(fmt.Sprintf("maintenance[%d]", i), fields)...)
	}
	return inv.Fields
}

// compileMaintenance builds one maintenance window. A recurring window
// without a zone follows defaultZone: the objective's calendar zone.
func compileMaintenance(m MaintenanceWindow, defaultZone *time.Location) (availability.Maintenance, []apperr.Field) {
	var inv apperr.Invalid
	oneOff := m.Start != "" || m.End != ""
	recurring := m.RRule != "" || m.Duration != ""
	switch {
	case oneOff && recurring:
		inv.Add("", "give either start and end, or rrule and duration, not both")
		return nil, inv.Fields
	case oneOff:
		start, err := time.Parse(time.RFC3339, m.Start)
		if err != nil {
			inv.Add("start", "expected an RFC 3339 time such as 2026-10-10T20:00:00+02:00, got %q", m.Start)
		}
		end, err2 := time.Parse(time.RFC3339, m.End)
		if err2 != nil {
			inv.Add("end", "expected an RFC 3339 time such as 2026-10-10T23:00:00+02:00, got %q", m.End)
		}
		if err == nil && err2 == nil && !end.After(start) {
			inv.Add("end", "must be after start (%s)", m.Start)
		}
		if m.Timezone != "" {
			inv.Add("timezone", "applies only to recurring windows; a one-off window's times carry their offset")
		}
		if len(inv.Fields) > 0 {
			return nil, inv.Fields
		}
		return availability.OneOff(start, end), nil
	case recurring:
		if m.RRule == "" {
			inv.Add("rrule", "is required with duration, e.g. FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0")
		}
		length, err := duration.Parse(m.Duration)
		switch {
		case m.Duration == "":
			inv.Add("duration", "is required with rrule, e.g. 2h")
		case err != nil:
			inv.Add("duration", "%v", err)
		case length <= 0:
			inv.Add("duration", "must be longer than zero")
		}
		loc := defaultZone
		if m.Timezone != "" {
			if loc, err = loadZone(m.Timezone); err != nil {
				inv.Add("timezone", "%v", err)
			}
		}
		if len(inv.Fields) > 0 {
			return nil, inv.Fields
		}
		w, err := availability.NewRecurring(m.RRule, length, loc)
		if err != nil {
			inv.Add("rrule", "%v", err)
			return nil, inv.Fields
		}
		return w, nil
	default:
		inv.Add("", "give start and end, or rrule and duration")
		return nil, inv.Fields
	}
}

// compileObjective validates and builds s's objective; paths are relative
// to the service.
func compileObjective(s Service, cals map[string]*availability.Calendar, known map[string]bool) (*availability.Objective, []apperr.Field) {
	o := s.Objective
	var inv apperr.Invalid
	obj := &availability.Objective{MaxOutages: -1}

	switch o.Hours {
	case "", AlwaysOn:
		obj.Hours = nil
	default:
		if !known[o.Hours] {
			inv.Add("objective.hours", "unknown calendar %q (declare it under calendars, or use %s)", o.Hours, AlwaysOn)
		}
		obj.Hours = cals[o.Hours] // nil when the calendar itself is invalid; reported there
	}
	if p, err := availability.ParsePeriod(o.Period); err != nil {
		inv.Add("objective.period", "%v", err)
	} else {
		obj.Period = p
	}
	if o.Availability == "" {
		inv.Add("objective.availability", "is required, e.g. 99.9%%")
	} else if t, err := ParseTarget(string(o.Availability)); err != nil {
		inv.Add("objective.availability", "%v", err)
	} else {
		obj.Target = t
	}
	durationField := func(field, val string, dst *time.Duration, positive bool) {
		if val == "" {
			return
		}
		d, err := duration.Parse(val)
		switch {
		case err != nil:
			inv.Add("objective."+field, "%v", err)
		case positive && d <= 0:
			inv.Add("objective."+field, "must be longer than zero")
		default:
			*dst = d
		}
	}
	durationField("max_outage", o.MaxOutage, &obj.MaxOutage, true)
	durationField("merge_gap", o.MergeGap, &obj.MergeGap, false)
	durationField("min_outage", o.MinOutage, &obj.MinOutage, false)
	if o.MaxOutages != nil {
		if *o.MaxOutages < 0 {
			inv.Add("objective.max_outages", "must be zero or more")
		} else {
			obj.MaxOutages = *o.MaxOutages
		}
	}
	if w, err := ParseDegraded(string(o.Degraded)); err != nil {
		inv.Add("objective.degraded", "%v", err)
	} else {
		obj.Degraded = w
	}
	switch o.Unknown {
	case "", "up":
	case "down":
		obj.UnknownDown = true
	default:
		inv.Add("objective.unknown", "must be \"up\" or \"down\", not %q", o.Unknown)
	}
	money := func(field string, v *float64, dst *float64) {
		if v == nil {
			return
		}
		if *v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0) {
			inv.Add("objective."+field, "must be a number zero or more")
			return
		}
		*dst = *v
	}
	switch o.Page {
	case "", PageAlways, PageInHours:
	default:
		inv.Add("objective.page", "must be %q or %q, not %q", PageAlways, PageInHours, o.Page)
	}
	switch o.PageAlwaysFrom {
	case "", "critical", "error", "warning", "info":
	default:
		inv.Add("objective.page_always_from", "must be a severity (critical, error, warning, info), not %q", o.PageAlwaysFrom)
	}
	money("downtime_cost", o.DowntimeCost, &obj.DowntimeCost)
	money("budget", o.Budget, &obj.Budget)

	zone := time.UTC
	if obj.Hours != nil {
		zone = obj.Hours.Location()
	}
	// Problems with the windows are reported by checkService.
	obj.Maintenance = Maintenance(s, zone)
	if len(inv.Fields) > 0 {
		return nil, inv.Fields
	}
	return obj, nil
}

// ParseTarget reads an availability target: "99.5%", or a bare number —
// read as a percentage when above 1 ("99.5") and as a fraction otherwise
// ("0.995"). The result is a fraction in (0, 1].
func ParseTarget(s string) (float64, error) {
	text := strings.TrimSpace(s)
	percent := strings.HasSuffix(text, "%")
	num := strings.TrimSpace(strings.TrimSuffix(text, "%"))
	// Exact decimal arithmetic, so that "99.9%" is the float nearest 0.999
	// and not 99.9/100 = 0.9990000000000001: error budgets derive from it.
	r, ok := new(big.Rat).SetString(num)
	if !ok || strings.ContainsAny(num, "/eE") {
		return 0, fmt.Errorf("expected a percentage such as 99.9%%, got %q", s)
	}
	if percent || r.Cmp(big.NewRat(1, 1)) > 0 {
		r.Quo(r, big.NewRat(100, 1))
	}
	if r.Sign() <= 0 || r.Cmp(big.NewRat(1, 1)) > 0 {
		return 0, fmt.Errorf("%q is outside (0%%, 100%%]", s)
	}
	v, _ := r.Float64()
	return v, nil
}

// ParseDegraded reads how degraded time counts: "down" (weight 1), "up"
// (weight 0, the default) or a weight strictly between 0 and 1.
func ParseDegraded(s string) (float64, error) {
	switch strings.TrimSpace(s) {
	case "", "up":
		return 0, nil
	case "down":
		return 1, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v > 0 && v < 1) {
		return 0, fmt.Errorf("must be \"down\", \"up\" or a weight between 0 and 1 such as 0.5, not %q", s)
	}
	return v, nil
}

// findCycles reports each dependency cycle once, at the service where the
// depth-first walk (in declaration order) first entered it.
func findCycles(services []Service, names map[string]int) []apperr.Field {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(services))
	var path []int
	var out []apperr.Field
	var visit func(i int)
	visit = func(i int) {
		state[i] = onPath
		path = append(path, i)
		for _, d := range services[i].DependsOn {
			j, ok := names[d.Service]
			if !ok || j == i {
				continue
			}
			switch state[j] {
			case unseen:
				visit(j)
			case onPath:
				// The cycle is path[k:] back to j, where path[k] == j.
				k := len(path) - 1
				for path[k] != j {
					k--
				}
				cyc := make([]string, 0, len(path)-k+1)
				for _, n := range path[k:] {
					cyc = append(cyc, services[n].Name)
				}
				cyc = append(cyc, services[j].Name)
				next := services[path[k+min(1, len(path)-k-1)]].Name
				if len(path)-k == 1 {
					next = services[j].Name
				}
				idx := 0
				for x, dd := range services[j].DependsOn {
					if dd.Service == next {
						idx = x
						break
					}
				}
				out = append(out, apperr.Field{
					Path: fmt.Sprintf("services[%d].depends_on[%d].service", j, idx),
					Msg:  "dependency cycle: " + strings.Join(cyc, " → "),
				})
			}
		}
		path = path[:len(path)-1]
		state[i] = done
	}
	for i := range services {
		if state[i] == unseen {
			visit(i)
		}
	}
	return out
}

// Maintenance compiles a service's maintenance windows; recurring ones
// without a zone follow zone (the objective calendar's, or UTC). Invalid
// windows are skipped: the catalog is validated before it is stored.
func Maintenance(s Service, zone *time.Location) []availability.Maintenance {
	var out []availability.Maintenance
	for _, m := range s.Maintenance {
		if w, _ := compileMaintenance(m, zone); w != nil {
			out = append(out, w)
		}
	}
	return out
}
