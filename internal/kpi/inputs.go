package kpi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The figures below are what the KPIs are computed from. Each source
// gives plain records; the catalogue's formulas are pure functions of
// them (and of the period and now), so that one month worked by hand
// gives the same values through the API, the UI and every report format.

// ServiceFigures is one service's availability standing over a period, as
// the availability engine judged it.
type ServiceFigures struct {
	Service string `json:"service"`
	Title   string `json:"title,omitempty"`
	Owner   string `json:"owner,omitempty"`
	Tier    int    `json:"tier,omitempty"`
	// HasObjective is false for a service without one (24x7, 100 %, never
	// judged as met or breached).
	HasObjective bool     `json:"has_objective"`
	Target       float64  `json:"target"`
	Availability *float64 `json:"availability"`
	Met          bool     `json:"met"`
	// Breaches names the clauses breached (availability, max_outage,
	// max_outages).
	Breaches        []string `json:"breaches"`
	InHoursSeconds  float64  `json:"in_hours_seconds"`
	DowntimeSeconds float64  `json:"downtime_seconds"`
	Outages         int      `json:"outages"`
	DowntimeCost    float64  `json:"downtime_cost"`
	// Budget is the objective's operating cost per period.
	Budget float64 `json:"budget"`
}

// Incident is an incident as MTTA and MTTR read it.
type Incident struct {
	ID             int64      `json:"id"`
	Service        string     `json:"service"`
	CreatedAt      time.Time  `json:"created_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	ResolvedAt     *time.Time `json:"resolved_at"`
}

// Ticket is a desk ticket as the desk KPIs read it, its SLA judged as of
// the end of the span it was read for.
type Ticket struct {
	ID       int64      `json:"id"`
	Service  string     `json:"service,omitempty"`
	Queue    string     `json:"queue"`
	OpenedAt time.Time  `json:"opened_at"`
	Resolved *time.Time `json:"resolved_at"`
	// ResolutionBreached is nil when no SLA set a resolution target.
	ResolutionBreached *bool `json:"resolution_breached"`
	// AgentReplies counts the public replies by agents; Reopened says the
	// ticket was resolved before and reopened.
	AgentReplies int  `json:"agent_replies"`
	Reopened     bool `json:"reopened"`
}

// Backup is a backup job's standing against its RPO over a period.
type Backup struct {
	Job        string  `json:"job"`
	Service    string  `json:"service"`
	Compliance float64 `json:"compliance"`
	Breaches   int     `json:"breaches"`
}

// Drill is a recorded DR drill or real recovery.
type Drill struct {
	ID        int64     `json:"id"`
	Plan      string    `json:"plan"`
	Service   string    `json:"service"`
	StartedAt time.Time `json:"started_at"`
	Passed    bool      `json:"passed"`
}

// Plan is a DR plan with the day it was last reviewed (zero: never).
type Plan struct {
	Name     string    `json:"name"`
	Service  string    `json:"service"`
	Reviewed time.Time `json:"reviewed"`
}

// PersonWeek is one person's capacity and allocation in one ISO week.
type PersonWeek struct {
	Person         string  `json:"person"`
	Team           string  `json:"team,omitempty"`
	Week           string  `json:"week"`
	Monday         string  `json:"monday"`
	CapacityHours  float64 `json:"capacity_hours"`
	AllocatedHours float64 `json:"allocated_hours"`
}

// Project is a project's delivery as the capacity planner knows it.
type Project struct {
	Name         string  `json:"name"`
	Start        string  `json:"start"`
	End          string  `json:"end"`
	Status       string  `json:"status"`
	PlannedHours float64 `json:"planned_hours"`
	ActualHours  float64 `json:"actual_hours"`
	BudgetHours  float64 `json:"budget_hours"`
	Late         bool    `json:"late"`
	OverBudget   bool    `json:"over_budget"`
}

// Page is one notification that paged a person about an incident, with
// whether it reached them outside their working hours.
type Page struct {
	Person       string    `json:"person"`
	IncidentID   int64     `json:"incident_id"`
	At           time.Time `json:"at"`
	OutsideHours bool      `json:"outside_hours"`
}

// CertificateHorizon is how soon a certificate's expiry counts as coming:
// the "certificates expiring" KPI and the check's page both use it.
const CertificateHorizon = 30 * 24 * time.Hour

// Certificate is a TLS certificate a check watches.
type Certificate struct {
	Check     string    `json:"check"`
	Service   string    `json:"service"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Change is a finished change request, for the change-failure rate.
type Change struct {
	ID int64 `json:"id"`
	// Services are the services the change touched; per service, the
	// change counts on each of them.
	Services []string  `json:"services"`
	EndedAt  time.Time `json:"ended_at"`
	Failed   bool      `json:"failed"`
	Reason   string    `json:"reason,omitempty"`
}

// Rating is one satisfaction answer: a CSAT survey on a ticket (Score 1–5)
// or feedback on a service.
type Rating struct {
	ID      int64     `json:"id"`
	Service string    `json:"service"`
	Kind    string    `json:"kind"` // "csat" or "feedback"
	Score   float64   `json:"score"`
	At      time.Time `json:"at"`
	// Sentiment is the comment's compound score in [-1, 1]; nil without
	// a comment.
	Sentiment *float64 `json:"sentiment,omitempty"`
}

// Licence is a software licence as the CMDB counts it: seats bought
// (none to count with Unlimited), seats used by installs and assignments,
// and the unused and over-quota seats that follow.
type Licence struct {
	Name      string `json:"name"`
	Seats     int    `json:"seats"`
	Unlimited bool   `json:"unlimited,omitempty"`
	Used      int    `json:"used"`
	Unused    int    `json:"unused"`
	Over      int    `json:"over_quota"`
}

// The sources, each a small interface that the app implements from the
// stores of the other areas. A nil source means the server has none, and
// the KPIs it feeds are reported as "no data" — never as a made-up zero.
type (
	// Availability judges every service over [from, to).
	Availability interface {
		Services(ctx context.Context, from, to time.Time) ([]ServiceFigures, error)
	}
	// Incidents lists incidents created before to and not resolved before
	// from.
	Incidents interface {
		Incidents(ctx context.Context, from, to time.Time) ([]Incident, error)
	}
	// Tickets lists tickets open at some moment of [from, to), their
	// clocks judged at to (or now when earlier).
	Tickets interface {
		Tickets(ctx context.Context, from, to time.Time) ([]Ticket, error)
	}
	// Backups judges every backup job over [from, to).
	Backups interface {
		Backups(ctx context.Context, from, to time.Time) ([]Backup, error)
	}
	// Drills lists the DR drills started in [from, to) and every plan.
	Drills interface {
		Drills(ctx context.Context, from, to time.Time) ([]Drill, error)
		Plans(ctx context.Context) ([]Plan, error)
	}
	// Capacity gives the person-weeks of the ISO weeks whose Monday lies
	// in [from, to), and the projects.
	Capacity interface {
		PersonWeeks(ctx context.Context, from, to time.Time) ([]PersonWeek, error)
		Projects(ctx context.Context) ([]Project, error)
	}
	// Pages lists the pages sent to people in [from, to).
	Pages interface {
		Pages(ctx context.Context, from, to time.Time) ([]Page, error)
	}
	// Certificates lists the watched certificates as last seen.
	Certificates interface {
		Certificates(ctx context.Context) ([]Certificate, error)
	}
	// Changes lists changes ended in [from, to), each judged failed or not.
	Changes interface {
		Changes(ctx context.Context, from, to time.Time) ([]Change, error)
	}
	// Satisfaction lists the ratings given in [from, to).
	Satisfaction interface {
		Ratings(ctx context.Context, from, to time.Time) ([]Rating, error)
	}
	// Licences lists the licences with seats and installs.
	Licences interface {
		Licences(ctx context.Context) ([]Licence, error)
	}
)

// Sources are the places the KPIs read; nil ones have no data.
type Sources struct {
	Availability Availability
	Incidents    Incidents
	Tickets      Tickets
	Backups      Backups
	Drills       Drills
	Capacity     Capacity
	Pages        Pages
	Certificates Certificates
	Changes      Changes
	Satisfaction Satisfaction
	Licences     Licences
}

// The names of the sources, as Inputs.Have and the "no data" reasons
// name them.
const (
	SrcAvailability = "availability"
	SrcIncidents    = "incidents"
	SrcTickets      = "tickets"
	SrcBackups      = "backups"
	SrcDrills       = "drills"
	SrcCapacity     = "capacity"
	SrcPages        = "pages"
	SrcCertificates = "certificates"
	SrcChanges      = "changes"
	SrcSatisfaction = "satisfaction"
	SrcLicences     = "licences"
)

// Inputs is everything the KPIs of one period are computed from. Records
// may reach beyond the period (the tickets and incidents of a whole year,
// read once for a twelve-month trend): each formula picks those of
// [From, To) itself.
type Inputs struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// At is the instant the figures are judged at: To, or now when the
	// period is still running.
	At time.Time `json:"at"`
	// Have names the sources this server has.
	Have map[string]bool `json:"have"`

	Services     []ServiceFigures `json:"services"`
	Incidents    []Incident       `json:"incidents"`
	Tickets      []Ticket         `json:"tickets"`
	Backups      []Backup         `json:"backups"`
	Drills       []Drill          `json:"drills"`
	Plans        []Plan           `json:"plans"`
	PersonWeeks  []PersonWeek     `json:"person_weeks"`
	Projects     []Project        `json:"projects"`
	Pages        []Page           `json:"pages"`
	Certificates []Certificate    `json:"certificates"`
	Changes      []Change         `json:"changes"`
	Ratings      []Rating         `json:"ratings"`
	Licences     []Licence        `json:"licences"`
}

// Period is one span a KPI is computed over.
type Period struct {
	Label    string
	From, To time.Time
}

// Collect reads the sources once for the whole of periods (which must be
// in time order) and gives the inputs of each period. Records that belong
// to a span (incidents, tickets, drills, pages, changes, ratings) are read
// for the whole span once and shared; the availability and backup figures
// are judged per period.
func Collect(ctx context.Context, src Sources, periods []Period, now time.Time) ([]*Inputs, error) {
	if len(periods) == 0 {
		return nil, nil
	}
	from, to := periods[0].From, periods[len(periods)-1].To
	at := func(t time.Time) time.Time {
		if now.Before(t) {
			return now
		}
		return t
	}
	have := map[string]bool{
		SrcAvailability: src.Availability != nil, SrcIncidents: src.Incidents != nil, SrcTickets: src.Tickets != nil,
		SrcBackups: src.Backups != nil, SrcDrills: src.Drills != nil, SrcCapacity: src.Capacity != nil, SrcPages: src.Pages != nil,
		SrcCertificates: src.Certificates != nil, SrcChanges: src.Changes != nil, SrcSatisfaction: src.Satisfaction != nil, SrcLicences: src.Licences != nil,
	}
	var shared Inputs
	var errs []error
	try := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("kpi: read %s: %w", name, err))
		}
	}
	var err error
	if src.Incidents != nil {
		shared.Incidents, err = src.Incidents.Incidents(ctx, from, to)
		try(SrcIncidents, err)
	}
	if src.Tickets != nil {
		shared.Tickets, err = src.Tickets.Tickets(ctx, from, to)
		try(SrcTickets, err)
	}
	if src.Drills != nil {
		shared.Drills, err = src.Drills.Drills(ctx, from, to)
		try(SrcDrills, err)
		shared.Plans, err = src.Drills.Plans(ctx)
		try(SrcDrills, err)
	}
	if src.Capacity != nil {
		shared.PersonWeeks, err = src.Capacity.PersonWeeks(ctx, from, to)
		try(SrcCapacity, err)
		shared.Projects, err = src.Capacity.Projects(ctx)
		try(SrcCapacity, err)
	}
	if src.Pages != nil {
		shared.Pages, err = src.Pages.Pages(ctx, from, to)
		try(SrcPages, err)
	}
	if src.Certificates != nil {
		shared.Certificates, err = src.Certificates.Certificates(ctx)
		try(SrcCertificates, err)
	}
	if src.Changes != nil {
		shared.Changes, err = src.Changes.Changes(ctx, from, to)
		try(SrcChanges, err)
	}
	if src.Satisfaction != nil {
		shared.Ratings, err = src.Satisfaction.Ratings(ctx, from, to)
		try(SrcSatisfaction, err)
	}
	if src.Licences != nil {
		shared.Licences, err = src.Licences.Licences(ctx)
		try(SrcLicences, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := make([]*Inputs, len(periods))
	for i, p := range periods {
		in := shared
		in.From, in.To, in.At, in.Have = p.From, p.To, at(p.To), have
		if src.Availability != nil {
			if in.Services, err = src.Availability.Services(ctx, p.From, p.To); err != nil {
				return nil, fmt.Errorf("kpi: read %s: %w", SrcAvailability, err)
			}
		}
		if src.Backups != nil {
			if in.Backups, err = src.Backups.Backups(ctx, p.From, p.To); err != nil {
				return nil, fmt.Errorf("kpi: read %s: %w", SrcBackups, err)
			}
		}
		out[i] = &in
	}
	return out, nil
}

// ForService narrows inputs to one service's records. The team-wide
// records (person-weeks, projects, pages, licences) are dropped: the KPIs
// they feed are not per service.
func (in *Inputs) ForService(name string) *Inputs {
	out := &Inputs{From: in.From, To: in.To, At: in.At, Have: in.Have}
	for _, s := range in.Services {
		if s.Service == name {
			out.Services = append(out.Services, s)
		}
	}
	out.Incidents = filter(in.Incidents, func(x Incident) bool { return x.Service == name })
	out.Tickets = filter(in.Tickets, func(x Ticket) bool { return x.Service == name })
	out.Backups = filter(in.Backups, func(x Backup) bool { return x.Service == name })
	out.Drills = filter(in.Drills, func(x Drill) bool { return x.Service == name })
	out.Plans = filter(in.Plans, func(x Plan) bool { return x.Service == name })
	out.Certificates = filter(in.Certificates, func(x Certificate) bool { return x.Service == name })
	out.Changes = filter(in.Changes, func(x Change) bool { return slices.Contains(x.Services, name) })
	out.Ratings = filter(in.Ratings, func(x Rating) bool { return x.Service == name })
	return out
}

func filter[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// in says t lies in [from, to).
func in(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }
