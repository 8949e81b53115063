package capacity

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// WeekHours is a working pattern as people write it: hours per weekday.
type WeekHours struct {
	Mon float64 `json:"mon"`
	Tue float64 `json:"tue"`
	Wed float64 `json:"wed"`
	Thu float64 `json:"thu"`
	Fri float64 `json:"fri"`
	Sat float64 `json:"sat"`
	Sun float64 `json:"sun"`
}

// StandardWeek is eight hours Monday to Friday.
var StandardWeek = WeekHours{Mon: 8, Tue: 8, Wed: 8, Thu: 8, Fri: 8}

func (w WeekHours) array() [7]float64 {
	return [7]float64{w.Sun, w.Mon, w.Tue, w.Wed, w.Thu, w.Fri, w.Sat}
}

// Total is the week's working hours.
func (w WeekHours) Total() float64 {
	var t float64
	for _, h := range w.array() {
		t += h
	}
	return t
}

// Skill is what a person can do, at a level from 1 (learning) to 5 (expert).
type Skill struct {
	Name  string `json:"name"`
	Level int    `json:"level"`
}

// Profile is a person's capacity record: team, working week, the calendar
// whose public holidays apply, skills and standing desk duty.
type Profile struct {
	Person   string     `json:"person"`
	Team     string     `json:"team,omitempty"`
	Zone     string     `json:"zone"`
	Hours    WeekHours  `json:"hours"`
	Calendar string     `json:"calendar,omitempty"`
	Skills   []Skill    `json:"skills"`
	Desk     []DeskDuty `json:"desk"`
	// Stored is false for a person with no record yet, shown with the
	// defaults (a standard week in UTC).
	Stored bool `json:"stored"`
}

// DefaultProfile is what a person without a record is taken to work.
func DefaultProfile(person string) Profile {
	return Profile{Person: person, Zone: "UTC", Hours: StandardWeek, Skills: []Skill{}, Desk: []DeskDuty{}}
}

// TimeOffRecord is a stored absence.
type TimeOffRecord struct {
	ID       int64   `json:"id"`
	Person   string  `json:"person"`
	From     Day     `json:"from"`
	To       Day     `json:"to"`
	Hours    float64 `json:"hours,omitempty"`
	Approved bool    `json:"approved"`
	Note     string  `json:"note,omitempty"`
}

// TimeOffInput is an absence asked for: whole days From to To, or Hours of
// each of those days.
type TimeOffInput struct {
	From     Day     `json:"from"`
	To       Day     `json:"to"`
	Hours    float64 `json:"hours,omitempty"`
	Approved bool    `json:"approved"`
	Note     string  `json:"note,omitempty"`
}

// Project statuses.
const (
	Tentative = "tentative"
	Confirmed = "confirmed"
	Done      = "done"
	Cancelled = "cancelled"
)

// SkillNeed is what a project asks of a skill each week it runs.
type SkillNeed struct {
	Name         string  `json:"name"`
	Level        int     `json:"level"`
	HoursPerWeek float64 `json:"hours_per_week"`
}

// Project is work with dates, a budget and the people allocated to it.
type Project struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	Title       string      `json:"title,omitempty"`
	Status      string      `json:"status"`
	Start       Day         `json:"start"`
	End         Day         `json:"end"`
	BudgetHours float64     `json:"budget_hours"`
	BudgetMoney float64     `json:"budget_money"`
	Owner       string      `json:"owner,omitempty"`
	Services    []string    `json:"services"`
	Skills      []SkillNeed `json:"skills"`
}

// ProjectInput is a project as created or replaced (everything but the id).
type ProjectInput struct {
	Name        string      `json:"name"`
	Title       string      `json:"title,omitempty"`
	Status      string      `json:"status"`
	Start       Day         `json:"start"`
	End         Day         `json:"end"`
	BudgetHours float64     `json:"budget_hours"`
	BudgetMoney float64     `json:"budget_money"`
	Owner       string      `json:"owner,omitempty"`
	Services    []string    `json:"services,omitempty"`
	Skills      []SkillNeed `json:"skills,omitempty"`
}

// AllocationRecord is a stored allocation of a person to a project.
type AllocationRecord struct {
	ID          int64   `json:"id"`
	Project     string  `json:"project"`
	Person      string  `json:"person"`
	From        Day     `json:"from"`
	To          Day     `json:"to"`
	HoursPerDay float64 `json:"hours_per_day,omitempty"`
	Share       float64 `json:"share,omitempty"`
	Tentative   bool    `json:"tentative"`
}

// AllocationInput is an allocation as asked for: HoursPerDay or Share.
type AllocationInput struct {
	Project     string  `json:"project"`
	Person      string  `json:"person"`
	From        Day     `json:"from"`
	To          Day     `json:"to"`
	HoursPerDay float64 `json:"hours_per_day,omitempty"`
	Share       float64 `json:"share,omitempty"`
	Tentative   bool    `json:"tentative"`
}

// TimeEntry is hours logged on a project.
type TimeEntry struct {
	ID      int64   `json:"id"`
	Project string  `json:"project"`
	Person  string  `json:"person"`
	Day     Day     `json:"day"`
	Hours   float64 `json:"hours"`
	Note    string  `json:"note,omitempty"`
}

// TimeEntryInput is hours someone logs.
type TimeEntryInput struct {
	Person string  `json:"person"`
	Day    Day     `json:"day"`
	Hours  float64 `json:"hours"`
	Note   string  `json:"note,omitempty"`
}

// Known answers the questions validation asks of the rest of Sextant; a nil
// function skips its check.
type Known struct {
	Person   func(string) bool
	Service  func(string) bool
	Calendar func(string) bool
	Queue    func(string) bool
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)

// maxSpan is the longest absence or allocation one record may cover.
const maxSpan = 3 * 366

func checkName(inv *apperr.Invalid, path, v string) {
	switch {
	case v == "":
		inv.Add(path, "is required")
	case !nameRE.MatchString(v):
		inv.Add(path, "must be lower-case letters, digits, '-', '_' or '.', starting with a letter or digit (at most 63), got %q", v)
	}
}

func checkSpan(inv *apperr.Invalid, from, to Day) {
	if from.IsZero() {
		inv.Add("from", "is required (YYYY-MM-DD)")
	}
	if to.IsZero() {
		inv.Add("to", "is required (YYYY-MM-DD)")
	}
	if !from.IsZero() && !to.IsZero() {
		switch {
		case to.Before(from):
			inv.Add("to", "must not be before from (%s)", from)
		case to.Unix()-from.Unix() >= maxSpan:
			inv.Add("to", "a record covers at most three years; split a longer one")
		}
	}
}

func checkText(inv *apperr.Invalid, path, v string, max int) {
	if utf8.RuneCountInString(v) > max {
		inv.Add(path, "is longer than %d characters", max)
	}
}

// ValidateProfile reports every problem with p.
func ValidateProfile(p Profile, k Known) error {
	inv := &apperr.Invalid{}
	if k.Person != nil && !k.Person(p.Person) {
		inv.Add("person", "unknown person %q: add them to the on-call directory or as a user first", p.Person)
	}
	if p.Team != "" {
		checkName(inv, "team", p.Team)
	}
	if p.Zone == "" {
		inv.Add("zone", "is required (an IANA zone such as Europe/Berlin)")
	} else if _, err := time.LoadLocation(p.Zone); err != nil || strings.EqualFold(p.Zone, "local") {
		inv.Add("zone", "unknown time zone %q", p.Zone)
	}
	for i, h := range []float64{p.Hours.Mon, p.Hours.Tue, p.Hours.Wed, p.Hours.Thu, p.Hours.Fri, p.Hours.Sat, p.Hours.Sun} {
		if h < 0 || h > 24 {
			inv.Add("hours."+[]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}[i], "must be between 0 and 24, got %v", h)
		}
	}
	if p.Calendar != "" && k.Calendar != nil && !k.Calendar(p.Calendar) {
		inv.Add("calendar", "unknown calendar %q", p.Calendar)
	}
	seen := map[string]bool{}
	for i, s := range p.Skills {
		path := fmt.Sprintf("skills[%d]", i)
		checkName(inv, path+".name", s.Name)
		if seen[s.Name] {
			inv.Add(path+".name", "%q is listed twice", s.Name)
		}
		seen[s.Name] = true
		if s.Level < 1 || s.Level > 5 {
			inv.Add(path+".level", "must be 1 (learning) to 5 (expert), got %d", s.Level)
		}
	}
	queues := map[string]bool{}
	for i, d := range p.Desk {
		path := fmt.Sprintf("desk[%d]", i)
		switch {
		case d.Queue == "":
			inv.Add(path+".queue", "is required")
		case k.Queue != nil && !k.Queue(d.Queue):
			inv.Add(path+".queue", "unknown desk queue %q", d.Queue)
		case queues[d.Queue]:
			inv.Add(path+".queue", "%q is listed twice", d.Queue)
		}
		queues[d.Queue] = true
		if d.HoursPerWeek <= 0 || d.HoursPerWeek > 168 {
			inv.Add(path+".hours_per_week", "must be above 0 and at most 168, got %v", d.HoursPerWeek)
		}
	}
	return inv.Err()
}

// ValidateTimeOff reports every problem with an absence.
func ValidateTimeOff(in TimeOffInput) error {
	inv := &apperr.Invalid{}
	checkSpan(inv, in.From, in.To)
	if in.Hours < 0 || in.Hours > 24 {
		inv.Add("hours", "must be between 0 (whole days) and 24, got %v", in.Hours)
	}
	checkText(inv, "note", in.Note, 500)
	return inv.Err()
}

// ValidateProject reports every problem with a project.
func ValidateProject(in ProjectInput, k Known) error {
	inv := &apperr.Invalid{}
	checkName(inv, "name", in.Name)
	checkText(inv, "title", in.Title, 200)
	switch in.Status {
	case Tentative, Confirmed, Done, Cancelled:
	case "":
		inv.Add("status", "is required: tentative, confirmed, done or cancelled")
	default:
		inv.Add("status", "must be tentative, confirmed, done or cancelled, got %q", in.Status)
	}
	if in.Start.IsZero() {
		inv.Add("start", "is required (YYYY-MM-DD)")
	}
	if in.End.IsZero() {
		inv.Add("end", "is required (YYYY-MM-DD)")
	}
	if !in.Start.IsZero() && !in.End.IsZero() && in.End.Before(in.Start) {
		inv.Add("end", "must not be before start (%s)", in.Start)
	}
	if in.BudgetHours < 0 {
		inv.Add("budget_hours", "must not be negative")
	}
	if in.BudgetMoney < 0 {
		inv.Add("budget_money", "must not be negative")
	}
	if in.Owner != "" && k.Person != nil && !k.Person(in.Owner) {
		inv.Add("owner", "unknown person %q", in.Owner)
	}
	for i, s := range in.Services {
		if k.Service != nil && !k.Service(s) {
			inv.Add(fmt.Sprintf("services[%d]", i), "unknown service %q", s)
		}
	}
	for i, s := range in.Skills {
		path := fmt.Sprintf("skills[%d]", i)
		checkName(inv, path+".name", s.Name)
		if s.Level < 1 || s.Level > 5 {
			inv.Add(path+".level", "must be 1 to 5, got %d", s.Level)
		}
		if s.HoursPerWeek <= 0 || s.HoursPerWeek > 10000 {
			inv.Add(path+".hours_per_week", "must be above 0, got %v", s.HoursPerWeek)
		}
	}
	return inv.Err()
}

// ValidateAllocation reports every problem with an allocation to p (nil
// when the project is not known: the store says so).
func ValidateAllocation(in AllocationInput, p *Project, k Known) error {
	inv := &apperr.Invalid{}
	if in.Project == "" {
		inv.Add("project", "is required")
	} else if p == nil {
		inv.Add("project", "unknown project %q", in.Project)
	}
	if in.Person == "" {
		inv.Add("person", "is required")
	} else if k.Person != nil && !k.Person(in.Person) {
		inv.Add("person", "unknown person %q", in.Person)
	}
	checkSpan(inv, in.From, in.To)
	if p != nil && !in.From.IsZero() && !in.To.IsZero() && !in.To.Before(in.From) {
		if in.From.Before(p.Start) {
			inv.Add("from", "is before the project starts (%s)", p.Start)
		}
		if in.To.After(p.End) {
			inv.Add("to", "is after the project ends (%s)", p.End)
		}
	}
	switch {
	case in.HoursPerDay == 0 && in.Share == 0:
		inv.Add("hours_per_day", "give hours_per_day or share (of capacity, 0–1)")
	case in.HoursPerDay != 0 && in.Share != 0:
		inv.Add("share", "give hours_per_day or share, not both")
	case in.HoursPerDay < 0 || in.HoursPerDay > 24:
		inv.Add("hours_per_day", "must be above 0 and at most 24, got %v", in.HoursPerDay)
	case in.Share < 0 || in.Share > 1:
		inv.Add("share", "must be above 0 and at most 1 (the whole capacity), got %v", in.Share)
	}
	return inv.Err()
}

// ValidateTimeEntry reports every problem with logged hours.
func ValidateTimeEntry(in TimeEntryInput, k Known, today Day) error {
	inv := &apperr.Invalid{}
	if in.Person == "" {
		inv.Add("person", "is required")
	} else if k.Person != nil && !k.Person(in.Person) {
		inv.Add("person", "unknown person %q", in.Person)
	}
	if in.Day.IsZero() {
		inv.Add("day", "is required (YYYY-MM-DD)")
	} else if in.Day.After(today) {
		inv.Add("day", "is in the future: hours are logged once worked")
	}
	if in.Hours <= 0 || in.Hours > 24 {
		inv.Add("hours", "must be above 0 and at most 24, got %v", in.Hours)
	}
	checkText(inv, "note", in.Note, 500)
	return inv.Err()
}

// Config is the config file's `capacity:` section.
type Config struct {
	// Calendar names the calendar whose holidays apply to people whose
	// record names none.
	Calendar string `yaml:"calendar" json:"calendar,omitempty"`
	// OnCallWeight is what one hour on call counts for (0–1, default 0.1).
	OnCallWeight *float64 `yaml:"oncall_weight" json:"oncall_weight,omitempty"`
}

// Weight is the on-call weight in force.
func (c Config) Weight() float64 {
	if c.OnCallWeight == nil {
		return DefaultOnCallWeight
	}
	return *c.OnCallWeight
}

// Validate reports every problem with the section; calendars are the names
// the file declares.
func (c Config) Validate(calendars map[string]bool) []apperr.Field {
	inv := &apperr.Invalid{}
	if c.Calendar != "" && !calendars[c.Calendar] {
		inv.Add("capacity.calendar", "unknown calendar %q", c.Calendar)
	}
	if c.OnCallWeight != nil && (*c.OnCallWeight < 0 || *c.OnCallWeight > 1) {
		inv.Add("capacity.oncall_weight", "must be between 0 and 1 (the share of an on-call hour that counts as work), got %v", *c.OnCallWeight)
	}
	return inv.Fields
}

// SharePercent is the share as a whole percentage, for display.
func (a AllocationRecord) SharePercent() string { return fmt.Sprintf("%.0f", a.Share*100) }
