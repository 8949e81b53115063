// Package kpi is Sextant's catalogue of key performance indicators in the
// seven areas of successful IT operations (operational efficiency, project
// delivery, security and resilience, cost control, strategic alignment,
// user satisfaction, resource management), their computation for any
// period, and the monthly report built from them.
//
// Each KPI is defined once in Catalogue: name, area, formula in words,
// unit, direction and the sources it needs. Compute is a pure function of
// Inputs (records read from the other areas through the small interfaces
// in inputs.go) and the options; every value carries links to the rows it
// counted. The API, the UI, the CLI and the JSON, CSV, HTML and PDF
// reports all take their figures from one Compute, so they cannot differ.
package kpi

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
)

// The seven areas (seed 002), in the order reports show them.
const (
	AreaOperations   = "operational_efficiency"
	AreaDelivery     = "project_delivery"
	AreaResilience   = "security_resilience"
	AreaCost         = "cost_control"
	AreaAlignment    = "strategic_alignment"
	AreaSatisfaction = "user_satisfaction"
	AreaResources    = "resource_management"
)

// Areas lists the areas in order, with their titles.
var Areas = []struct{ Name, Title string }{
	{AreaOperations, "Operational efficiency"},
	{AreaDelivery, "Project delivery"},
	{AreaResilience, "Security and resilience"},
	{AreaCost, "Cost control"},
	{AreaAlignment, "Strategic alignment"},
	{AreaSatisfaction, "User satisfaction"},
	{AreaResources, "Resource management"},
}

// AreaTitle is an area's title.
func AreaTitle(name string) string {
	for _, a := range Areas {
		if a.Name == name {
			return a.Title
		}
	}
	return name
}

// The units a value is in.
const (
	UnitRatio    = "ratio"   // a share in [0, 1], shown as a percentage
	UnitSeconds  = "seconds" // a duration
	UnitMoney    = "money"   // in the configured currency
	UnitCount    = "count"
	UnitScore    = "score"    // a mean rating (1–5)
	UnitPolarity = "polarity" // a mean sentiment in [-1, 1]
)

// The directions: whether a higher value is better or worse.
const (
	Higher = "higher"
	Lower  = "lower"
)

// What a KPI's breakdown is by.
const (
	ByService = "service"
	ByQueue   = "queue"
	ByTeam    = "team"
	ByPerson  = "person"
)

// Link points at one row a value counted.
type Link struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	URL  string `json:"url"`
}

// Part is a value for one service, queue, team or person.
type Part struct {
	Key     string   `json:"key"`
	Value   *float64 `json:"value"`
	Display string   `json:"display"`
	Basis   string   `json:"basis"`
	Links   []Link   `json:"links"`
}

// Point is a KPI's value in one month of its trend.
type Point struct {
	Month   string   `json:"month"`
	Value   *float64 `json:"value"`
	Display string   `json:"display"`
}

// Value is one KPI computed over one period.
type Value struct {
	Name      string `json:"name"`
	Title     string `json:"title"`
	Area      string `json:"area"`
	Formula   string `json:"formula"`
	Unit      string `json:"unit"`
	Direction string `json:"direction"`
	// Value is nil when there is no data: no source on this server
	// (NoData says which), or nothing to count in the period.
	Value   *float64 `json:"value"`
	Display string   `json:"display"`
	NoData  string   `json:"no_data,omitempty"`
	// Basis says what was counted, in words ("3 of 4 services").
	Basis     string   `json:"basis"`
	Target    *float64 `json:"target"`
	TargetMet *bool    `json:"target_met"`
	By        string   `json:"by,omitempty"`
	Parts     []Part   `json:"parts,omitempty"`
	Links     []Link   `json:"links"`
	Trend     []Point  `json:"trend,omitempty"`
}

// Options are the settings the formulas take from the config.
type Options struct {
	// Targets maps a KPI's name to its target value (in its unit).
	Targets map[string]float64
	// Currency is shown after money.
	Currency string
	// OverDeliveryMargin is how far above its target (a fraction, 0.0005
	// for 0.05 points) a service's availability must be to over-deliver.
	OverDeliveryMargin float64
	// OverDeliveryMinBudget is the least budget per period of a service
	// that over-delivers: below it, the extra reliability costs little.
	OverDeliveryMinBudget float64
}

// DefaultOverDeliveryMargin is 0.05 percentage points.
const DefaultOverDeliveryMargin = 0.0005

// Def is one KPI of the catalogue.
type Def struct {
	Name      string   `json:"name"`
	Title     string   `json:"title"`
	Area      string   `json:"area"`
	Formula   string   `json:"formula"`
	Unit      string   `json:"unit"`
	Direction string   `json:"direction"`
	Needs     []string `json:"needs"`
	// By is what the value is broken down by ("" for no breakdown).
	By string `json:"by,omitempty"`
	// PerService says the KPI applies to one service's report.
	PerService bool `json:"per_service"`
	fn         func(in *Inputs, o Options) figure
}

// figure is what a formula gives: the value (nil: nothing to count), the
// basis in words and the rows counted.
type figure struct {
	v     *float64
	basis string
	links []Link
}

func num(v float64) *float64 { return &v }

// ratio is n ÷ d, nil when d is 0.
func ratio(n, d int, what string, links []Link) figure {
	if d == 0 {
		return figure{basis: "no " + what, links: links}
	}
	return figure{v: num(float64(n) / float64(d)), basis: fmt.Sprintf("%d of %d %s", n, d, what), links: links}
}

// mean is sum ÷ n seconds, nil when n is 0.
func mean(sum time.Duration, n int, what string, links []Link) figure {
	if n == 0 {
		return figure{basis: "no " + what, links: links}
	}
	return figure{v: num(math.Round(sum.Seconds()/float64(n)*1000) / 1000), basis: fmt.Sprintf("mean of %d %s", n, what), links: links}
}

func count(n int, what string, links []Link) figure {
	return figure{v: num(float64(n)), basis: many(n, what), links: links}
}

// many is "n things", or "1 thing": what is a plural ending in s.
func many(n int, what string) string {
	if n == 1 {
		what = strings.TrimSuffix(what, "s")
	}
	return strconv.Itoa(n) + " " + what
}

// URLs of the rows behind values, as the UI serves them.
func serviceLink(name string) Link {
	return Link{Kind: "service", ID: name, URL: "/services/" + name}
}
func incidentLink(id int64) Link {
	return Link{Kind: "incident", ID: strconv.FormatInt(id, 10), URL: "/incidents/" + strconv.FormatInt(id, 10)}
}
func ticketLink(id int64) Link {
	return Link{Kind: "ticket", ID: strconv.FormatInt(id, 10), URL: "/desk/tickets/" + strconv.FormatInt(id, 10)}
}

// Catalogue is every KPI, in report order.
var Catalogue = []Def{
	{Name: "objectives_met", Title: "Objectives met", Area: AreaOperations, Unit: UnitRatio, Direction: Higher, Needs: []string{SrcAvailability}, By: ByService, PerService: true,
		Formula: "services that met every clause of their objective (availability, longest outage, number of outages) ÷ services with an objective and service hours in the period",
		fn:      func(in *Inputs, _ Options) figure { return objectivesMet(in.Services, 0) }},
	{Name: "downtime", Title: "Counted downtime", Area: AreaOperations, Unit: UnitSeconds, Direction: Lower, Needs: []string{SrcAvailability}, By: ByService, PerService: true,
		Formula: "sum over services of counted downtime in service hours, outside maintenance, degraded time weighted",
		fn: func(in *Inputs, _ Options) figure {
			var sum float64
			var links []Link
			for _, s := range in.Services {
				sum += s.DowntimeSeconds
				if s.DowntimeSeconds > 0 {
					links = append(links, serviceLink(s.Service))
				}
			}
			return figure{v: num(sum), basis: many(len(in.Services), "services"), links: links}
		}},
	{Name: "mtta", Title: "Mean time to acknowledge", Area: AreaOperations, Unit: UnitSeconds, Direction: Lower, Needs: []string{SrcIncidents}, By: ByService, PerService: true,
		Formula: "mean of (acknowledged − opened) over incidents acknowledged in the period",
		fn: func(in *Inputs, _ Options) figure {
			return incidentMean(in, "incidents acknowledged", func(i Incident) *time.Time { return i.AcknowledgedAt })
		}},
	{Name: "mttr", Title: "Mean time to resolve", Area: AreaOperations, Unit: UnitSeconds, Direction: Lower, Needs: []string{SrcIncidents}, By: ByService, PerService: true,
		Formula: "mean of (resolved − opened) over incidents resolved in the period",
		fn: func(in *Inputs, _ Options) figure {
			return incidentMean(in, "incidents resolved", func(i Incident) *time.Time { return i.ResolvedAt })
		}},
	{Name: "tickets_within_sla", Title: "Tickets resolved within SLA", Area: AreaOperations, Unit: UnitRatio, Direction: Higher, Needs: []string{SrcTickets}, By: ByQueue, PerService: true,
		Formula: "tickets resolved in the period whose resolution clock did not breach ÷ tickets resolved in the period with a resolution target",
		fn: func(in *Inputs, _ Options) figure {
			var met, judged int
			var links []Link
			for _, t := range in.Tickets {
				if t.Resolved != nil && inside(*t.Resolved, in.From, in.To) && t.ResolutionBreached != nil {
					judged++
					if !*t.ResolutionBreached {
						met++
					}
					links = append(links, ticketLink(t.ID))
				}
			}
			return ratio(met, judged, "tickets with a resolution target", links)
		}},
	{Name: "first_contact_resolution", Title: "First-contact resolution", Area: AreaOperations, Unit: UnitRatio, Direction: Higher, Needs: []string{SrcTickets}, By: ByQueue, PerService: true,
		Formula: "tickets resolved in the period with at most one public agent reply and never reopened ÷ tickets resolved in the period",
		fn: func(in *Inputs, _ Options) figure {
			var first, all int
			var links []Link
			for _, t := range in.Tickets {
				if t.Resolved != nil && inside(*t.Resolved, in.From, in.To) {
					all++
					if t.AgentReplies <= 1 && !t.Reopened {
						first++
					}
					links = append(links, ticketLink(t.ID))
				}
			}
			return ratio(first, all, "tickets resolved", links)
		}},
	{Name: "backlog_age", Title: "Backlog age", Area: AreaOperations, Unit: UnitSeconds, Direction: Lower, Needs: []string{SrcTickets}, By: ByQueue, PerService: true,
		Formula: "mean age (wall time since opened) of the tickets still open at the period's end",
		fn: func(in *Inputs, _ Options) figure {
			var sum time.Duration
			var links []Link
			for _, t := range in.Tickets {
				if t.OpenedAt.Before(in.At) && (t.Resolved == nil || !t.Resolved.Before(in.At)) {
					sum += in.At.Sub(t.OpenedAt)
					links = append(links, ticketLink(t.ID))
				}
			}
			return mean(sum, len(links), "open tickets", links)
		}},

	{Name: "projects_on_time", Title: "Projects on time", Area: AreaDelivery, Unit: UnitRatio, Direction: Higher, Needs: []string{SrcCapacity},
		Formula: "projects running in the period not forecast to end after their end date ÷ projects running in the period",
		fn: func(in *Inputs, _ Options) figure {
			return projectShare(in, func(p Project) bool { return !p.Late })
		}},
	{Name: "projects_on_budget", Title: "Projects on budget", Area: AreaDelivery, Unit: UnitRatio, Direction: Higher, Needs: []string{SrcCapacity},
		Formula: "projects running in the period whose logged hours are within their budget hours ÷ projects running in the period",
		fn: func(in *Inputs, _ Options) figure {
			return projectShare(in, func(p Project) bool { return !p.OverBudget })
		}},
	{Name: "actual_vs_planned_hours", Title: "Actual against planned hours", Area: AreaDelivery, Unit: UnitRatio, Direction: Lower, Needs: []string{SrcCapacity},
		Formula: "hours logged on the projects running in the period ÷ hours allocated to them",
		fn: func(in *Inputs, _ Options) figure {
			ps := runningProjects(in)
			var planned, actual float64
			for _, p := range ps {
				planned += p.PlannedHours
				actual += p.ActualHours
			}
			if planned == 0 {
				return figure{basis: "no planned hours", links: projectLinks(ps)}
			}
			return figure{v: num(round4(actual / planned)), basis: fmt.Sprintf("%s h of %s h planned", fmtNum(actual), fmtNum(planned)), links: projectLinks(ps)}
		}},

	{Name: "backups_within_rpo", Title: "Backups within RPO", Area: AreaResilience, Unit: UnitRatio, Direction: Higher, Needs: []string{SrcBackups}, PerService: true,
		Formula: "backup jobs whose achieved RPO stayed within their rpo through the whole period ÷ backup jobs",
		fn: func(in *Inputs, _ Options) figure {
			var ok int
			var links []Link
			for _, b := range in.Backups {
				if b.Breaches == 0 {
					ok++
				}
				links = append(links, Link{Kind: "backup", ID: b.Job, URL: "/recovery/backups/" + b.Job})
			}
			return ratio(ok, len(in.Backups), "backup jobs", links)
		}},
	{Name: "drills_passed", Title: "DR drills passed", Area: AreaResilience, Unit: UnitRatio, Direction: Higher, Needs: []string{SrcDrills}, PerService: true,
		Formula: "drills and recoveries started in the period that met both their plan's RTO and RPO ÷ drills started in the period",
		fn: func(in *Inputs, _ Options) figure {
			var ok, all int
			var links []Link
			for _, d := range in.Drills {
				if inside(d.StartedAt, in.From, in.To) {
					all++
					if d.Passed {
						ok++
					}
					links = append(links, Link{Kind: "drill", ID: strconv.FormatInt(d.ID, 10), URL: "/recovery/plans/" + d.Plan})
				}
			}
			return ratio(ok, all, "drills", links)
		}},
	{Name: "plans_reviewed", Title: "DR plans reviewed", Area: AreaResilience, Unit: UnitRatio, Direction: Higher, Needs: []string{SrcDrills}, PerService: true,
		Formula: "DR plans reviewed in the 12 months before the period's end ÷ DR plans",
		fn: func(in *Inputs, _ Options) figure {
			var ok int
			var links []Link
			for _, p := range in.Plans {
				if !p.Reviewed.IsZero() && !p.Reviewed.After(in.At) && in.At.Sub(p.Reviewed) <= 365*24*time.Hour {
					ok++
				}
				links = append(links, Link{Kind: "plan", ID: p.Name, URL: "/recovery/plans/" + p.Name})
			}
			return ratio(ok, len(in.Plans), "plans", links)
		}},
	{Name: "certificates_expiring", Title: "Certificates expiring within 30 days", Area: AreaResilience, Unit: UnitCount, Direction: Lower, Needs: []string{SrcCertificates}, PerService: true,
		Formula: "TLS certificates watched by checks that expire within 30 days of the period's end (or have expired)",
		fn: func(in *Inputs, _ Options) figure {
			var links []Link
			for _, c := range in.Certificates {
				if c.ExpiresAt.Before(in.At.Add(CertificateHorizon)) {
					links = append(links, Link{Kind: "check", ID: c.Check, URL: "/checks/" + c.Check})
				}
			}
			return count(len(links), "certificates", links)
		}},
	{Name: "change_failure_rate", Title: "Change-failure rate", Area: AreaResilience, Unit: UnitRatio, Direction: Lower, Needs: []string{SrcChanges}, By: ByService, PerService: true,
		Formula: "changes completed in the period that failed (ended failed or rolled back, or caused an incident within the failure window) ÷ changes completed in the period",
		fn: func(in *Inputs, _ Options) figure {
			var failed, all int
			var links []Link
			for _, c := range in.Changes {
				if inside(c.EndedAt, in.From, in.To) {
					all++
					if c.Failed {
						failed++
					}
					links = append(links, Link{Kind: "change", ID: strconv.FormatInt(c.ID, 10), URL: "/changes/" + strconv.FormatInt(c.ID, 10)})
				}
			}
			return ratio(failed, all, "changes completed", links)
		}},

	{Name: "downtime_cost", Title: "Downtime cost", Area: AreaCost, Unit: UnitMoney, Direction: Lower, Needs: []string{SrcAvailability}, By: ByService, PerService: true,
		Formula: "sum over services of counted downtime in hours × the objective's downtime cost per hour",
		fn: func(in *Inputs, _ Options) figure {
			var sum float64
			var links []Link
			for _, s := range in.Services {
				sum += s.DowntimeCost
				if s.DowntimeCost > 0 {
					links = append(links, serviceLink(s.Service))
				}
			}
			return figure{v: num(math.Round(sum*100) / 100), basis: many(len(in.Services), "services"), links: links}
		}},
	{Name: "project_budget_used", Title: "Project budget used", Area: AreaCost, Unit: UnitRatio, Direction: Lower, Needs: []string{SrcCapacity},
		Formula: "hours logged on the projects running in the period ÷ their budget hours (projects with a budget)",
		fn: func(in *Inputs, _ Options) figure {
			ps := filter(runningProjects(in), func(p Project) bool { return p.BudgetHours > 0 })
			var budget, actual float64
			for _, p := range ps {
				budget += p.BudgetHours
				actual += p.ActualHours
			}
			if budget == 0 {
				return figure{basis: "no project with a budget", links: projectLinks(ps)}
			}
			return figure{v: num(round4(actual / budget)), basis: fmt.Sprintf("%s h of %s h budgeted", fmtNum(actual), fmtNum(budget)), links: projectLinks(ps)}
		}},
	{Name: "licences_over_quota", Title: "Licences over quota", Area: AreaCost, Unit: UnitCount, Direction: Lower, Needs: []string{SrcLicences},
		Formula: "licences with more seats used (installs and assignments) than seats bought",
		fn: func(in *Inputs, _ Options) figure {
			var links []Link
			for _, l := range in.Licences {
				if l.Over > 0 {
					links = append(links, licenceLink(l))
				}
			}
			return count(len(links), "licences", links)
		}},
	{Name: "unused_seats", Title: "Unused licence seats", Area: AreaCost, Unit: UnitCount, Direction: Lower, Needs: []string{SrcLicences},
		Formula: "sum over licences with a seat count of seats bought − seats used, where positive",
		fn: func(in *Inputs, _ Options) figure {
			var n int
			var links []Link
			for _, l := range in.Licences {
				if l.Unused > 0 {
					n += l.Unused
					links = append(links, licenceLink(l))
				}
			}
			return count(n, "seats", links)
		}},

	{Name: "tier1_objectives_met", Title: "Tier-1 objectives met", Area: AreaAlignment, Unit: UnitRatio, Direction: Higher, Needs: []string{SrcAvailability}, By: ByService,
		Formula: "tier-1 services that met their objective ÷ tier-1 services with an objective and service hours in the period",
		fn:      func(in *Inputs, _ Options) figure { return objectivesMet(in.Services, 1) }},
	{Name: "over_delivery", Title: "Services far above target", Area: AreaAlignment, Unit: UnitCount, Direction: Lower, Needs: []string{SrcAvailability}, PerService: true,
		Formula: "services whose availability exceeds their target by more than the margin while their budget is at least the configured one: reliability bought beyond what the business asked for",
		fn: func(in *Inputs, o Options) figure {
			var links []Link
			for _, c := range OverDelivery(in.Services, o) {
				links = append(links, serviceLink(c.Service))
			}
			return count(len(links), "services", links)
		}},

	{Name: "csat", Title: "Customer satisfaction (CSAT)", Area: AreaSatisfaction, Unit: UnitRatio, Direction: Higher, Needs: []string{SrcSatisfaction}, By: ByService, PerService: true,
		Formula: "satisfaction surveys answered in the period with a score of 4 or 5 ÷ surveys answered in the period",
		fn: func(in *Inputs, _ Options) figure {
			var happy int
			var links []Link
			for _, r := range in.Ratings {
				if r.Kind == "csat" && inside(r.At, in.From, in.To) {
					if r.Score >= 4 {
						happy++
					}
					links = append(links, ratingLink(r))
				}
			}
			return ratio(happy, len(links), "surveys answered", links)
		}},
	{Name: "csat_mean", Title: "Mean survey score", Area: AreaSatisfaction, Unit: UnitScore, Direction: Higher, Needs: []string{SrcSatisfaction}, By: ByService, PerService: true,
		Formula: "mean score (1–5) of the satisfaction surveys answered in the period",
		fn:      func(in *Inputs, _ Options) figure { return meanScore(in, "csat") }},
	{Name: "feedback_score", Title: "Feedback score", Area: AreaSatisfaction, Unit: UnitScore, Direction: Higher, Needs: []string{SrcSatisfaction}, By: ByService, PerService: true,
		Formula: "mean score (1–5) of the feedback given on services in the period",
		fn:      func(in *Inputs, _ Options) figure { return meanScore(in, "feedback") }},
	{Name: "feedback_sentiment", Title: "Feedback sentiment", Area: AreaSatisfaction, Unit: UnitPolarity, Direction: Higher, Needs: []string{SrcSatisfaction}, By: ByService, PerService: true,
		Formula: "mean VADER compound score (−1 to 1) of the comments given with survey answers and service feedback in the period",
		fn: func(in *Inputs, _ Options) figure {
			var sum float64
			var links []Link
			for _, r := range in.Ratings {
				if r.Sentiment != nil && inside(r.At, in.From, in.To) {
					sum += *r.Sentiment
					links = append(links, ratingLink(r))
				}
			}
			if len(links) == 0 {
				return figure{basis: "no comments", links: links}
			}
			return figure{v: num(round4(sum / float64(len(links)))), basis: fmt.Sprintf("mean of %d comments", len(links)), links: links}
		}},

	{Name: "utilisation", Title: "Utilisation", Area: AreaResources, Unit: UnitRatio, Direction: Lower, Needs: []string{SrcCapacity}, By: ByTeam,
		Formula: "allocated hours (projects, weighted on-call, incident work, desk duty) ÷ capacity hours, over the ISO weeks starting in the period",
		fn: func(in *Inputs, _ Options) figure {
			var alloc, capa float64
			for _, w := range weeksOf(in) {
				alloc += w.AllocatedHours
				capa += w.CapacityHours
			}
			if capa == 0 {
				return figure{basis: "no capacity", links: capacityLinks(in)}
			}
			return figure{v: num(round4(alloc / capa)), basis: fmt.Sprintf("%s h of %s h", fmtNum(alloc), fmtNum(capa)), links: capacityLinks(in)}
		}},
	{Name: "over_allocated_person_weeks", Title: "Over-allocated person-weeks", Area: AreaResources, Unit: UnitCount, Direction: Lower, Needs: []string{SrcCapacity}, By: ByTeam,
		Formula: "person-weeks starting in the period whose allocated hours exceed their capacity",
		fn: func(in *Inputs, _ Options) figure {
			var links []Link
			for _, w := range weeksOf(in) {
				if w.AllocatedHours > w.CapacityHours {
					links = append(links, Link{Kind: "person_week", ID: w.Person + "/" + w.Week, URL: "/capacity?from=" + w.Monday})
				}
			}
			return count(len(links), "person-weeks", links)
		}},
	{Name: "pages_outside_hours", Title: "Pages outside working hours", Area: AreaResources, Unit: UnitCount, Direction: Lower, Needs: []string{SrcPages}, By: ByPerson,
		Formula: "pages (incident notifications to a person) sent in the period outside that person's working hours",
		fn: func(in *Inputs, _ Options) figure {
			var links []Link
			seen := map[string]bool{}
			for _, p := range in.Pages {
				if p.OutsideHours && inside(p.At, in.From, in.To) {
					links = append(links, incidentLink(p.IncidentID))
					seen[p.Person] = true
				}
			}
			f := count(len(links), "pages", links)
			f.basis = many(len(links), "pages") + " to " + strings.Replace(many(len(seen), "persons"), "persons", "people", 1)
			return f
		}},
}

// Lookup finds a KPI's definition.
func Lookup(name string) (Def, bool) {
	for _, d := range Catalogue {
		if d.Name == name {
			return d, true
		}
	}
	return Def{}, false
}

func inside(t, from, to time.Time) bool { return in(t, from, to) }

func round4(f float64) float64 { return math.Round(f*10000) / 10000 }

func fmtNum(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }

// objectivesMet judges services with an objective and service hours; tier
// 0 means every tier.
func objectivesMet(ss []ServiceFigures, tier int) figure {
	var met, judged int
	var links []Link
	for _, s := range ss {
		if !s.HasObjective || s.Availability == nil || (tier > 0 && s.Tier != tier) {
			continue
		}
		judged++
		if s.Met {
			met++
		}
		links = append(links, serviceLink(s.Service))
	}
	what := "services with an objective"
	if tier > 0 {
		what = fmt.Sprintf("tier-%d services with an objective", tier)
	}
	return ratio(met, judged, what, links)
}

// projectShare is the share of the projects running in the period that
// are ok.
func projectShare(in *Inputs, ok func(Project) bool) figure {
	ps := runningProjects(in)
	return ratio(len(filter(ps, ok)), len(ps), "projects", projectLinks(ps))
}

// incidentMean is the mean time from opening to the instant at gives, over
// the incidents whose instant falls in the period.
func incidentMean(in *Inputs, what string, at func(Incident) *time.Time) figure {
	var sum time.Duration
	var links []Link
	for _, i := range in.Incidents {
		if t := at(i); t != nil && inside(*t, in.From, in.To) {
			sum += t.Sub(i.CreatedAt)
			links = append(links, incidentLink(i.ID))
		}
	}
	return mean(sum, len(links), what, links)
}

// licenceLink is a licence item's page.
func licenceLink(l Licence) Link {
	return Link{Kind: "licence", ID: l.Name, URL: "/cis/" + url.PathEscape(l.Name)}
}

// ratingLink is where a rating is read: a survey on its ticket's page, a
// service's feedback on the service's page.
func ratingLink(r Rating) Link {
	id := strconv.FormatInt(r.ID, 10)
	if r.Kind == "csat" {
		return Link{Kind: "survey", ID: id, URL: "/desk/tickets/" + id}
	}
	return Link{Kind: "feedback", ID: id, URL: "/services/" + url.PathEscape(r.Service) + "#feedback"}
}

func meanScore(in *Inputs, kind string) figure {
	var sum float64
	var links []Link
	for _, r := range in.Ratings {
		if r.Kind == kind && inside(r.At, in.From, in.To) {
			sum += r.Score
			links = append(links, ratingLink(r))
		}
	}
	if len(links) == 0 {
		return figure{basis: "no answers"}
	}
	return figure{v: num(round4(sum / float64(len(links)))), basis: fmt.Sprintf("mean of %d answers", len(links)), links: links}
}

// runningProjects are the projects not cancelled whose dates overlap the
// period (days compared as YYYY-MM-DD).
func runningProjects(in *Inputs) []Project {
	from, to := in.From.UTC().Format(time.DateOnly), in.To.UTC().Format(time.DateOnly)
	return filter(in.Projects, func(p Project) bool { return p.Status != "cancelled" && p.End >= from && p.Start < to })
}

func projectLinks(ps []Project) []Link {
	out := make([]Link, 0, len(ps))
	for _, p := range ps {
		out = append(out, Link{Kind: "project", ID: p.Name, URL: "/capacity/projects/" + p.Name})
	}
	return out
}

// weeksOf are the person-weeks whose Monday lies in the period.
func weeksOf(in *Inputs) []PersonWeek {
	from, to := in.From.UTC().Format(time.DateOnly), in.To.UTC().Format(time.DateOnly)
	return filter(in.PersonWeeks, func(w PersonWeek) bool { return w.Monday >= from && w.Monday < to })
}

func capacityLinks(in *Inputs) []Link {
	seen := map[string]bool{}
	var out []Link
	for _, w := range weeksOf(in) {
		if !seen[w.Person] {
			seen[w.Person] = true
			out = append(out, Link{Kind: "person", ID: w.Person, URL: "/capacity/people/" + w.Person})
		}
	}
	return out
}

// Candidate is a service whose availability is far above its target
// while it costs much: a candidate to spend less on.
type Candidate struct {
	Service      string  `json:"service"`
	Target       float64 `json:"target"`
	Availability float64 `json:"availability"`
	// Excess is availability − target.
	Excess float64 `json:"excess"`
	Budget float64 `json:"budget"`
	URL    string  `json:"url"`
}

// OverDelivery lists the services whose availability exceeds their
// target by more than the margin while their budget is at least the
// minimum (and above zero), largest budget first.
func OverDelivery(ss []ServiceFigures, o Options) []Candidate {
	margin := o.OverDeliveryMargin
	if margin <= 0 {
		margin = DefaultOverDeliveryMargin
	}
	var out []Candidate
	for _, s := range ss {
		if !s.HasObjective || s.Availability == nil || s.Budget <= 0 || s.Budget < o.OverDeliveryMinBudget || s.Target >= 1 {
			continue
		}
		// Compared in parts per million so that 99.95 % against 99.9 %
		// with a 0.05-point margin is not over by a rounding error.
		excess := math.Round((*s.Availability-s.Target)*1e6) / 1e6
		if excess > math.Round(margin*1e6)/1e6 {
			out = append(out, Candidate{Service: s.Service, Target: s.Target, Availability: *s.Availability, Excess: excess, Budget: s.Budget, URL: "/services/" + s.Service})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Budget != out[j].Budget {
			return out[i].Budget > out[j].Budget
		}
		return out[i].Service < out[j].Service
	})
	return out
}

// Compute works out every KPI of the catalogue over in's period. A KPI
// whose source the server lacks has no value and says so in NoData.
func Compute(in *Inputs, o Options) []Value {
	var groups map[string]map[string]*Inputs
	out := make([]Value, 0, len(Catalogue))
	for _, d := range Catalogue {
		v := d.value(in, o)
		if v.NoData == "" && d.By != "" {
			if groups == nil {
				groups = map[string]map[string]*Inputs{}
			}
			g, ok := groups[d.By]
			if !ok {
				g = split(in, d.By)
				groups[d.By] = g
			}
			keys := make([]string, 0, len(g))
			for k := range g {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				f := d.fn(g[k], o)
				if f.v == nil && len(f.links) == 0 {
					continue
				}
				v.Parts = append(v.Parts, Part{Key: k, Value: f.v, Display: Format(f.v, d.Unit, o.Currency), Basis: f.basis, Links: nonNil(f.links)})
			}
		}
		out = append(out, v)
	}
	return out
}

// ComputeOne works out one KPI without its breakdown (for trends).
func ComputeOne(d Def, in *Inputs, o Options) Value { return d.value(in, o) }

func (d Def) value(in *Inputs, o Options) Value {
	v := Value{Name: d.Name, Title: d.Title, Area: d.Area, Formula: d.Formula, Unit: d.Unit, Direction: d.Direction, By: d.By, Links: []Link{}}
	if t, ok := o.Targets[d.Name]; ok {
		v.Target = num(t)
	}
	for _, n := range d.Needs {
		if !in.Have[n] {
			v.NoData = "no " + n + " source on this server"
			v.Display = "no data"
			v.Basis = v.NoData
			return v
		}
	}
	f := d.fn(in, o)
	v.Value, v.Basis, v.Links = f.v, f.basis, nonNil(f.links)
	v.Display = Format(f.v, d.Unit, o.Currency)
	if v.Target != nil && v.Value != nil {
		met := *v.Value >= *v.Target
		if d.Direction == Lower {
			met = *v.Value <= *v.Target
		}
		v.TargetMet = &met
	}
	return v
}

func nonNil(ls []Link) []Link {
	if ls == nil {
		return []Link{}
	}
	return ls
}

// split groups in's records by service, queue, team or person, in one
// pass over each kind of record.
func split(in *Inputs, by string) map[string]*Inputs {
	g := map[string]*Inputs{}
	get := func(k string) *Inputs {
		x, ok := g[k]
		if !ok {
			x = &Inputs{From: in.From, To: in.To, At: in.At, Have: in.Have}
			g[k] = x
		}
		return x
	}
	switch by {
	case ByService:
		for _, s := range in.Services {
			x := get(s.Service)
			x.Services = append(x.Services, s)
		}
		for _, i := range in.Incidents {
			x := get(i.Service)
			x.Incidents = append(x.Incidents, i)
		}
		for _, t := range in.Tickets {
			if t.Service != "" {
				x := get(t.Service)
				x.Tickets = append(x.Tickets, t)
			}
		}
		for _, c := range in.Changes {
			for _, svc := range c.Services {
				x := get(svc)
				x.Changes = append(x.Changes, c)
			}
		}
		for _, r := range in.Ratings {
			x := get(r.Service)
			x.Ratings = append(x.Ratings, r)
		}
	case ByQueue:
		for _, t := range in.Tickets {
			x := get(t.Queue)
			x.Tickets = append(x.Tickets, t)
		}
	case ByTeam:
		for _, w := range in.PersonWeeks {
			team := w.Team
			if team == "" {
				team = "(no team)"
			}
			x := get(team)
			x.PersonWeeks = append(x.PersonWeeks, w)
		}
	case ByPerson:
		for _, p := range in.Pages {
			x := get(p.Person)
			x.Pages = append(x.Pages, p)
		}
	}
	return g
}

// Format shows a value in its unit, as every report shows it: a share as
// a percentage with at most two decimals, a duration as the UI writes
// durations, money with the currency, a count as a whole number.
func Format(v *float64, unit, currency string) string {
	if v == nil {
		return "—"
	}
	switch unit {
	case UnitRatio:
		return strconv.FormatFloat(math.Round(*v*10000)/100, 'f', -1, 64) + "%"
	case UnitSeconds:
		return availability.FormatSeconds(availability.Seconds(math.Round(*v * float64(time.Second))))
	case UnitMoney:
		return availability.FormatMoneyIn(*v, currency)
	case UnitScore:
		return strconv.FormatFloat(math.Round(*v*100)/100, 'f', 2, 64) + " / 5"
	case UnitPolarity:
		return strconv.FormatFloat(math.Round(*v*100)/100, 'f', 2, 64)
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}
