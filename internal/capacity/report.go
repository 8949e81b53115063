package capacity

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
)

// Sources are what the figures read from the rest of Sextant. Each may be
// nil, which counts nothing of that kind.
type Sources struct {
	// People are everyone who may carry work: the on-call directory and
	// the users, by name.
	People func() []string
	// OnCall gives each person's on-call spans overlapping [from, to).
	OnCall func(from, to time.Time) map[string][]Span
	// Incidents gives each person's spans from acknowledging an incident
	// to its resolution (now for one still open) overlapping [from, to).
	Incidents func(ctx context.Context, from, to time.Time) (map[string][]Span, error)
	// Holidays gives the public holidays of a named calendar ("" is the
	// default calendar).
	Holidays func(calendar string) []Day
	// Queues gives each desk queue's staffing need: the business hours it
	// is open in the given week.
	Queues func(week Week) []QueueNeed
	// OnCallWeight is what an hour on call counts for (the default when 0).
	OnCallWeight float64
}

// QueueNeed is how many hours of desk duty a queue needs in a week.
type QueueNeed struct {
	Queue string  `json:"queue"`
	Hours float64 `json:"hours"`
}

// PersonRow is one person's figures over the report's weeks.
type PersonRow struct {
	Person string        `json:"person"`
	Team   string        `json:"team,omitempty"`
	Weeks  []WeekFigures `json:"weeks"`
}

// TeamWeek sums a team's people in one week.
type TeamWeek struct {
	Week                string   `json:"week"`
	CapacityHours       float64  `json:"capacity_hours"`
	AllocatedHours      float64  `json:"allocated_hours"`
	TentativeHours      float64  `json:"tentative_hours"`
	Utilisation         *float64 `json:"utilisation"`
	OverAllocatedPeople int      `json:"over_allocated_people"`
}

// TeamRow is one team's weeks.
type TeamRow struct {
	Team  string     `json:"team"`
	Weeks []TeamWeek `json:"weeks"`
}

// SkillWeek is supply and demand of one skill (at a least level) in a week:
// supply is the hours the holders have left after interrupt work (on-call,
// incidents, desk); demand is what running projects ask.
type SkillWeek struct {
	Week   string  `json:"week"`
	Supply float64 `json:"supply_hours"`
	Demand float64 `json:"demand_hours"`
	Gap    float64 `json:"gap_hours"`
}

// SkillRow is one skill at a least level.
type SkillRow struct {
	Skill    string      `json:"skill"`
	MinLevel int         `json:"min_level"`
	Holders  []string    `json:"holders"`
	Weeks    []SkillWeek `json:"weeks"`
}

// Warning is something the planner should act on.
type Warning struct {
	Kind    string `json:"kind"` // over_allocated, understaffed_queue, skill_gap
	Week    string `json:"week"`
	Subject string `json:"subject"`
	Message string `json:"message"`
}

// Report is the capacity of a set of people over a range of weeks.
type Report struct {
	From     Day         `json:"from"`
	To       Day         `json:"to"`
	Weeks    []string    `json:"weeks"`
	People   []PersonRow `json:"people"`
	Teams    []TeamRow   `json:"teams"`
	Skills   []SkillRow  `json:"skills"`
	Warnings []Warning   `json:"warnings"`
}

// MaxWeeks is the longest range one report covers.
const MaxWeeks = 106

// Report builds the figures for [from, to] of team's people ("" for all).
func (s *Store) Report(ctx context.Context, from, to Day, team string, src Sources) (Report, error) {
	if to.Before(from) {
		return Report{}, fmt.Errorf("capacity: report: to %s is before from %s", to, from)
	}
	weeks := Weeks(from, to)
	first, last := weeks[0].Monday, weeks[len(weeks)-1].Monday.AddDays(6)
	profiles, err := s.Profiles(ctx)
	if err != nil {
		return Report{}, err
	}
	byName := map[string]Profile{}
	for _, p := range profiles {
		byName[p.Person] = p
	}
	names := map[string]bool{}
	if src.People != nil {
		for _, n := range src.People() {
			names[n] = true
		}
	}
	for n := range byName {
		names[n] = true
	}
	offs, err := s.TimeOff(ctx, "", first, last)
	if err != nil {
		return Report{}, err
	}
	allocs, status, err := s.Allocations(ctx, AllocationFilter{From: first, To: last})
	if err != nil {
		return Report{}, err
	}
	// Someone allocated to a project is planned, record or not.
	for _, a := range allocs {
		names[a.Person] = true
	}
	projects, err := s.Projects(ctx)
	if err != nil {
		return Report{}, err
	}
	// Instants bounding the weeks in any zone (±14 h).
	wideFrom, wideTo := first.Start(time.UTC).Add(-14*time.Hour), last.AddDays(1).Start(time.UTC).Add(14*time.Hour)
	var oncall, incidents map[string][]Span
	if src.OnCall != nil {
		oncall = src.OnCall(wideFrom, wideTo)
	}
	if src.Incidents != nil {
		if incidents, err = src.Incidents(ctx, wideFrom, wideTo); err != nil {
			return Report{}, err
		}
	}
	people := make([]Person, 0, len(names))
	for n := range names {
		prof, ok := byName[n]
		if !ok {
			prof = DefaultProfile(n)
		}
		if team != "" && prof.Team != team {
			continue
		}
		loc, err := time.LoadLocation(prof.Zone)
		if err != nil {
			loc = time.UTC
		}
		p := Person{Name: n, Team: prof.Team, Pattern: Pattern{Hours: prof.Hours.array(), Zone: loc}, Desk: prof.Desk,
			OnCall: oncall[n], Incidents: incidents[n]}
		if src.Holidays != nil {
			p.Holidays = src.Holidays(prof.Calendar)
		}
		for _, o := range offs {
			if o.Person == n {
				p.TimeOff = append(p.TimeOff, TimeOff{From: o.From, To: o.To, Hours: o.Hours, Approved: o.Approved})
			}
		}
		for _, a := range allocs {
			if a.Person != n || status[a.Project] == Cancelled {
				continue
			}
			p.Allocations = append(p.Allocations, Allocation{Project: a.Project, From: a.From, To: a.To, HoursPerDay: a.HoursPerDay,
				Share: a.Share, Tentative: a.Tentative || status[a.Project] == Tentative})
		}
		people = append(people, p)
	}
	sort.Slice(people, func(i, j int) bool { return people[i].Name < people[j].Name })

	r := Report{From: from, To: to, People: []PersonRow{}, Teams: []TeamRow{}, Skills: []SkillRow{}, Warnings: []Warning{}}
	for _, w := range weeks {
		r.Weeks = append(r.Weeks, w.String())
	}
	opts := Options{OnCallWeight: src.OnCallWeight}
	teams := map[string][]TeamWeek{}
	figs := map[string][]WeekFigures{}
	for _, p := range people {
		fs := Figures(p, from, to, opts)
		figs[p.Name] = fs
		r.People = append(r.People, PersonRow{Person: p.Name, Team: p.Team, Weeks: fs})
		tw, ok := teams[p.Team]
		if !ok {
			tw = make([]TeamWeek, len(weeks))
			for i := range tw {
				tw[i].Week = r.Weeks[i]
			}
		}
		for i, f := range fs {
			tw[i].CapacityHours += f.CapacityHours
			tw[i].AllocatedHours += f.AllocatedHours
			tw[i].TentativeHours += f.TentativeHours
			if f.OverAllocated {
				tw[i].OverAllocatedPeople++
				r.Warnings = append(r.Warnings, Warning{Kind: "over_allocated", Week: f.Week, Subject: p.Name,
					Message: fmt.Sprintf("%s is over-allocated in %s: %s h asked of %s h (%s)", p.Name, f.Week, hours(f.AllocatedHours), hours(f.CapacityHours), byKind(f))})
			}
		}
		teams[p.Team] = tw
	}
	for name, tw := range teams {
		for i := range tw {
			tw[i].CapacityHours, tw[i].AllocatedHours, tw[i].TentativeHours = Round(tw[i].CapacityHours), Round(tw[i].AllocatedHours), Round(tw[i].TentativeHours)
			tw[i].Utilisation = ratio(tw[i].AllocatedHours, tw[i].CapacityHours)
		}
		r.Teams = append(r.Teams, TeamRow{Team: name, Weeks: tw})
	}
	sort.Slice(r.Teams, func(i, j int) bool { return r.Teams[i].Team < r.Teams[j].Team })
	r.Skills = skillRows(weeks, people, byName, figs, projects)
	for _, sr := range r.Skills {
		for _, w := range sr.Weeks {
			if w.Gap > 0 {
				r.Warnings = append(r.Warnings, Warning{Kind: "skill_gap", Week: w.Week, Subject: sr.Skill,
					Message: fmt.Sprintf("%s (level %d+) is short by %s h in %s: projects ask %s h, holders have %s h", sr.Skill, sr.MinLevel, hours(w.Gap), w.Week, hours(w.Demand), hours(w.Supply))})
			}
		}
	}
	if src.Queues != nil {
		for i, w := range weeks {
			for _, q := range src.Queues(w) {
				var staffed float64
				for _, p := range people {
					for _, d := range p.Desk {
						if d.Queue == q.Queue {
							staffed += figs[p.Name][i].DeskHours
						}
					}
				}
				staffed = Round(staffed)
				if staffed < q.Hours {
					r.Warnings = append(r.Warnings, Warning{Kind: "understaffed_queue", Week: w.String(), Subject: q.Queue,
						Message: fmt.Sprintf("desk queue %s has %s h of desk duty for %s business hours in %s: its SLAs are at risk before a ticket arrives", q.Queue, hours(staffed), hours(q.Hours), w)})
				}
			}
		}
	}
	return r, nil
}

func hours(h float64) string {
	if h == math.Trunc(h) {
		return fmt.Sprintf("%.0f", h)
	}
	return fmt.Sprintf("%.2f", h)
}

func byKind(f WeekFigures) string {
	return fmt.Sprintf("projects %s, on-call %s, incidents %s, desk %s", hours(f.ProjectHours), hours(f.OnCallHours), hours(f.IncidentHours), hours(f.DeskHours))
}

// skillRows weighs, for each skill a running project needs, the holders'
// hours left after interrupt work against what the projects ask that week
// (a project's weekly need counted for the share of its working days the
// week holds).
func skillRows(weeks []Week, people []Person, profiles map[string]Profile, figs map[string][]WeekFigures, projects []Project) []SkillRow {
	type key struct {
		name  string
		level int
	}
	rows := map[key]*SkillRow{}
	var keys []key
	for _, p := range projects {
		if p.Status == Cancelled || p.Status == Done {
			continue
		}
		for _, need := range p.Skills {
			k := key{need.Name, need.Level}
			row, ok := rows[k]
			if !ok {
				row = &SkillRow{Skill: need.Name, MinLevel: need.Level, Holders: []string{}, Weeks: make([]SkillWeek, len(weeks))}
				for i, w := range weeks {
					row.Weeks[i].Week = w.String()
				}
				for _, person := range people {
					for _, s := range profiles[person.Name].Skills {
						if s.Name == need.Name && s.Level >= need.Level {
							row.Holders = append(row.Holders, person.Name)
							for i, f := range figs[person.Name] {
								row.Weeks[i].Supply += math.Max(0, f.CapacityHours-f.OnCallHours-f.IncidentHours-f.DeskHours)
							}
						}
					}
				}
				rows[k] = row
				keys = append(keys, k)
			}
			for i, w := range weeks {
				var days int
				for d := 0; d < 5; d++ {
					if w.Monday.AddDays(d).Within(p.Start, p.End) {
						days++
					}
				}
				row.Weeks[i].Demand += need.HoursPerWeek * float64(days) / 5
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].name != keys[j].name {
			return keys[i].name < keys[j].name
		}
		return keys[i].level < keys[j].level
	})
	out := make([]SkillRow, 0, len(keys))
	for _, k := range keys {
		row := rows[k]
		for i := range row.Weeks {
			w := &row.Weeks[i]
			w.Supply, w.Demand = Round(w.Supply), Round(w.Demand)
			w.Gap = Round(math.Max(0, w.Demand-w.Supply))
		}
		out = append(out, *row)
	}
	return out
}

// ProjectFigures are a project's planned and actual hours.
type ProjectFigures struct {
	Project        Project            `json:"project"`
	Allocations    []AllocationRecord `json:"allocations"`
	PlannedHours   float64            `json:"planned_hours"`
	TentativeHours float64            `json:"tentative_hours"`
	ActualHours    float64            `json:"actual_hours"`
	// BudgetUsed is actual ÷ budget hours (null without a budget).
	BudgetUsed *float64 `json:"budget_used"`
	OverBudget bool     `json:"over_budget"`
	// ForecastEnd is when the budget's hours are spent at the rate of the
	// last four weeks' logged hours (null with no hours logged lately).
	ForecastEnd *Day `json:"forecast_end"`
	// Late is true when the forecast end falls after the project's end.
	Late    bool        `json:"late"`
	Entries []TimeEntry `json:"time_entries"`
}

// ProjectReport is planned against actual hours for a project.
func (s *Store) ProjectReport(ctx context.Context, name string, src Sources) (ProjectFigures, error) {
	p, err := s.Project(ctx, name)
	if err != nil {
		return ProjectFigures{}, err
	}
	allocs, _, err := s.Allocations(ctx, AllocationFilter{Project: name})
	if err != nil {
		return ProjectFigures{}, err
	}
	entries, err := s.TimeEntries(ctx, name)
	if err != nil {
		return ProjectFigures{}, err
	}
	out := ProjectFigures{Project: p, Allocations: allocs, Entries: entries}
	if out.Allocations == nil {
		out.Allocations = []AllocationRecord{}
	}
	if out.Entries == nil {
		out.Entries = []TimeEntry{}
	}
	offs, err := s.TimeOff(ctx, "", p.Start, p.End)
	if err != nil {
		return ProjectFigures{}, err
	}
	for _, a := range allocs {
		prof, err := s.Profile(ctx, a.Person)
		if err != nil {
			return ProjectFigures{}, err
		}
		loc, err := time.LoadLocation(prof.Zone)
		if err != nil {
			loc = time.UTC
		}
		person := Person{Pattern: Pattern{Hours: prof.Hours.array(), Zone: loc}}
		if src.Holidays != nil {
			person.Holidays = src.Holidays(prof.Calendar)
		}
		for _, o := range offs {
			if o.Person == a.Person {
				person.TimeOff = append(person.TimeOff, TimeOff{From: o.From, To: o.To, Hours: o.Hours, Approved: o.Approved})
			}
		}
		var h float64
		for d := a.From; !d.After(a.To); d = d.AddDays(1) {
			h += Allocation{From: a.From, To: a.To, HoursPerDay: a.HoursPerDay, Share: a.Share}.hours(d, person.day(d))
		}
		if a.Tentative || p.Status == Tentative {
			out.TentativeHours += h
		} else {
			out.PlannedHours += h
		}
	}
	out.PlannedHours, out.TentativeHours = Round(out.PlannedHours), Round(out.TentativeHours)
	today := DayOf(s.now(), time.UTC)
	var recent float64
	for _, e := range entries {
		out.ActualHours += e.Hours
		if today.Unix()-e.Day.Unix() < 28 {
			recent += e.Hours
		}
	}
	out.ActualHours = Round(out.ActualHours)
	if p.BudgetHours > 0 {
		out.BudgetUsed = ratio(out.ActualHours, p.BudgetHours)
		out.OverBudget = out.ActualHours > p.BudgetHours
		if left := p.BudgetHours - out.ActualHours; left > 0 && recent > 0 {
			perDay := recent / 28
			end := today.AddDays(int(math.Ceil(left / perDay)))
			out.ForecastEnd = &end
			out.Late = end.After(p.End)
		}
	}
	return out, nil
}

// Deps is what the API and the UI need of capacity: the store, the sources
// the figures read from the rest of the server (built afresh for each
// request, so that a reload is seen at once), and the questions validation
// asks.
type Deps struct {
	Store   *Store
	Sources func() Sources
	Known   func(ctx context.Context) Known
}
