package change

import (
	"fmt"
	"math"
	"time"
)

// Level is a change's risk level.
type Level string

// The risk levels, from a score: high from HighFrom points, medium from
// MediumFrom, low below.
const (
	Low    Level = "low"
	Medium Level = "medium"
	High   Level = "high"

	MediumFrom = 3
	HighFrom   = 6
)

// Levels lists the levels from least to most.
var Levels = []Level{Low, Medium, High}

// Risk is a change's assessed risk: its level, the points behind it and
// each reason with the points it adds.
type Risk struct {
	Level   Level    `json:"level"`
	Score   int      `json:"score"`
	Reasons []Reason `json:"reasons"`
}

// Reason is one factor of a risk assessment.
type Reason struct {
	Factor string `json:"factor"`
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

// The factors of a risk assessment.
const (
	FactorTier    = "tier"
	FactorBudget  = "error_budget"
	FactorHistory = "item_history"
	FactorOutage  = "outage"
	FactorSlot    = "slot"
)

// ServiceFacts is what the assessment knows of one affected service.
type ServiceFacts struct {
	Name string
	// Tier is 1 (most critical) to 5; 0 when unset.
	Tier int
	// AlwaysOn says the service's hours are 24x7.
	AlwaysOn bool
	// Zone is where the service's day is read (UTC when nil).
	Zone *time.Location
	// Budget and BudgetLeft are the current period's error budget and
	// what is left of it; Budget 0 means the service has no objective
	// with a budget.
	Budget, BudgetLeft time.Duration
}

// BudgetSpent says whether the service has a budget and none is left.
func (s ServiceFacts) BudgetSpent() bool { return s.Budget > 0 && s.BudgetLeft <= 0 }

// ItemFacts is an affected item's recent change history.
type ItemFacts struct {
	Name              string
	Completed, Failed int
}

// RiskInput is what a change's risk is assessed from.
type RiskInput struct {
	Services   []ServiceFacts
	Items      []ItemFacts
	Outage     bool
	Start, End time.Time
}

// Working hours for the out-of-hours factor: a slot on a weekend or
// outside 08:00–18:00 in the service's zone has fewer people at hand.
const workStart, workEnd = 8, 18

// Assess scores a change: the most critical affected service's tier (tier
// 1: 3 points, 2: 2, 3: 1), the tightest error budget (spent: 3, under a
// quarter left: 2, under half: 1), the worst recent change-failure rate of
// its items (half or more: 3, a fifth or more: 2, any failure: 1), an
// expected outage (2), and a weekend or out-of-hours slot on a 24x7
// service (1). It is a pure function of its input.
func Assess(in RiskInput) Risk {
	var r Risk
	add := func(factor string, points int, format string, args ...any) {
		r.Reasons = append(r.Reasons, Reason{Factor: factor, Points: points, Detail: fmt.Sprintf(format, args...)})
		r.Score += points
	}
	// The most critical service, the first named among equals.
	best := -1
	for i, s := range in.Services {
		if s.Tier >= 1 && (best < 0 || s.Tier < in.Services[best].Tier) {
			best = i
		}
	}
	if best >= 0 {
		s := in.Services[best]
		add(FactorTier, max(0, 4-s.Tier), "%s is a tier %d service", s.Name, s.Tier)
	}
	tight := -1
	for i, s := range in.Services {
		if s.Budget > 0 && (tight < 0 || left(s) < left(in.Services[tight])) {
			tight = i
		}
	}
	if tight >= 0 {
		s := in.Services[tight]
		f := left(s)
		switch {
		case f <= 0:
			add(FactorBudget, 3, "%s has spent its error budget (%s over)", s.Name, (-s.BudgetLeft).Round(time.Second))
		case f < 0.25:
			add(FactorBudget, 2, "%s has %d%% of its error budget left", s.Name, pct(f))
		case f < 0.5:
			add(FactorBudget, 1, "%s has %d%% of its error budget left", s.Name, pct(f))
		default:
			add(FactorBudget, 0, "%s has %d%% of its error budget left", s.Name, pct(f))
		}
	}
	worst := -1
	for i, it := range in.Items {
		if it.Completed > 0 && (worst < 0 || rate(it) > rate(in.Items[worst])) {
			worst = i
		}
	}
	if worst >= 0 {
		it := in.Items[worst]
		f := rate(it)
		points := 0
		switch {
		case f >= 0.5:
			points = 3
		case f >= 0.2:
			points = 2
		case f > 0:
			points = 1
		}
		add(FactorHistory, points, "%d of the last %d changes to %s failed", it.Failed, it.Completed, it.Name)
	}
	if in.Outage {
		add(FactorOutage, 2, "an outage is expected")
	}
	for _, s := range in.Services {
		if !s.AlwaysOn {
			continue
		}
		if why := offHours(in.Start, in.End, s.Zone); why != "" {
			add(FactorSlot, 1, "%s on %s, a 24x7 service: fewer people at hand", why, s.Name)
			break
		}
	}
	switch {
	case r.Score >= HighFrom:
		r.Level = High
	case r.Score >= MediumFrom:
		r.Level = Medium
	default:
		r.Level = Low
	}
	if r.Reasons == nil {
		r.Reasons = []Reason{}
	}
	return r
}

func left(s ServiceFacts) float64 { return float64(s.BudgetLeft) / float64(s.Budget) }

func rate(it ItemFacts) float64 { return float64(it.Failed) / float64(it.Completed) }

func pct(f float64) int { return int(math.Floor(f * 100)) }

// offHours says how [start, end) falls outside working time in loc: "a
// weekend slot", "an out-of-hours slot", or "" when it lies wholly within
// 08:00–18:00 on weekdays. The window is walked hour by hour from its
// start, which is exact for the whole hours the boundaries fall on.
func offHours(start, end time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	if !end.After(start) {
		end = start.Add(time.Minute)
	}
	out := ""
	for t := start; t.Before(end); {
		l := t.In(loc)
		if wd := l.Weekday(); wd == time.Saturday || wd == time.Sunday {
			return "a weekend slot"
		}
		if l.Hour() < workStart || l.Hour() >= workEnd {
			out = "an out-of-hours slot"
		}
		next := time.Date(l.Year(), l.Month(), l.Day(), l.Hour()+1, 0, 0, 0, loc)
		t = next
	}
	return out
}
