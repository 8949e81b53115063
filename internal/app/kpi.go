package app

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/sextant-ops/sextant/internal/capacity"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// Monthly builds the monthly reports with the running config's targets,
// zone and currency, from sources read afresh: one call, one consistent
// reading of the stores (the availability snapshot is loaded once for all
// twelve months of a report).
func (a *App) Monthly() *kpi.Monthly {
	var kc kpi.Config
	var rc kpi.ReportConfig
	if c := a.fileCfg.Load(); c != nil {
		kc, rc = c.KPI, c.Report
	}
	opts, _ := kc.Options()
	if c := a.currency.Load(); c != nil {
		opts.Currency = *c
	}
	return &kpi.Monthly{Builder: &kpi.Builder{Sources: a.kpiSources(), Options: opts, Zone: rc.Zone(), Now: a.opts.Now}, Store: &kpi.Store{DB: a.db}}
}

// newDelivery builds the mailing of the monthly report to the running
// config's subscribers, through the outbox.
func (a *App) newDelivery() *kpi.Delivery {
	return &kpi.Delivery{DB: a.db, Monthly: a.Monthly, Log: a.log, Now: a.opts.Now, Mailer: a.mailer.Load, OnEnqueue: a.outbox.Kick,
		BaseURL: func() string { return a.opts.PublicURL },
		Config: func() kpi.ReportConfig {
			if c := a.fileCfg.Load(); c != nil {
				return c.Report
			}
			return kpi.ReportConfig{}
		}}
}

// kpiSources are the KPIs' sources on this server.
func (a *App) kpiSources() kpi.Sources {
	return kpi.Sources{
		Availability: &kpiAvailability{r: a.reports},
		Incidents:    kpiIncidents{a},
		Tickets:      kpiTickets{a},
		Backups:      kpiBackups{a},
		Drills:       kpiDrills{a},
		Capacity:     kpiCapacity{a},
		Pages:        kpiPages{a},
		Changes:      kpiChanges{a},
		Satisfaction: kpiSatisfaction{a},
		Licences:     kpiLicences{a},
		Certificates: kpiCertificates{a},
	}
}

// kpiCertificates takes the certificate expiries the TLS and HTTPS checks
// last saw, as the checks' pages show them.
type kpiCertificates struct{ a *App }

func (k kpiCertificates) Certificates(ctx context.Context) ([]kpi.Certificate, error) {
	cs, err := k.a.monitor.Certificates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]kpi.Certificate, len(cs))
	for i, c := range cs {
		out[i] = kpi.Certificate{Check: c.Check, Service: c.Service, ExpiresAt: c.NotAfter}
	}
	return out, nil
}

// kpiLicences takes the licences' seats as the CMDB's licence report counts
// them, so the KPI and the Licences page agree.
type kpiLicences struct{ a *App }

func (k kpiLicences) Licences(ctx context.Context) ([]kpi.Licence, error) {
	reps, err := k.a.licences.Reports(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]kpi.Licence, 0, len(reps))
	for _, r := range reps {
		if r.Retired {
			continue
		}
		out = append(out, kpi.Licence{Name: r.Name, Seats: r.Seats, Unlimited: r.Unlimited, Used: r.Used, Unused: r.Unused, Over: r.Over})
	}
	return out, nil
}

// kpiChanges judges the change requests that ended in the period by the
// change-failure rate's own rules (one computation for the report's
// figure and the API's), each on the services it touched.
type kpiChanges struct{ a *App }

func (k kpiChanges) Changes(ctx context.Context, from, to time.Time) ([]kpi.Change, error) {
	rep, err := k.a.changes.FailureRate(ctx, from, to, "")
	if err != nil {
		return nil, err
	}
	reqs, err := k.a.changes.List(ctx, from.Add(-366*24*time.Hour), to)
	if err != nil {
		return nil, err
	}
	services := make(map[int64][]string, len(reqs))
	for _, r := range reqs {
		services[r.ID] = r.Services
	}
	out := make([]kpi.Change, len(rep.Changes))
	for i, j := range rep.Changes {
		out[i] = kpi.Change{ID: j.ID, Services: services[j.ID], EndedAt: j.EndedAt, Failed: j.Failed, Reason: j.Reason}
	}
	return out, nil
}

// kpiSatisfaction gives the survey answers (kind csat, the ticket's id)
// and the services' feedback (kind feedback) of the period.
type kpiSatisfaction struct{ a *App }

func (k kpiSatisfaction) Ratings(ctx context.Context, from, to time.Time) ([]kpi.Rating, error) {
	// A survey is sent at resolution and may be answered later: those sent
	// up to a month before the period are asked, and judged by the answer.
	surveys, err := k.a.feedback.Surveys(ctx, "", from.AddDate(0, -1, 0), to)
	if err != nil {
		return nil, err
	}
	var out []kpi.Rating
	for _, sv := range surveys {
		if sv.Score == nil || sv.AnsweredAt == nil || sv.AnsweredAt.Before(from) || !sv.AnsweredAt.Before(to) {
			continue
		}
		out = append(out, kpi.Rating{ID: sv.TicketID, Service: sv.Service, Kind: "csat", Score: float64(*sv.Score), At: *sv.AnsweredAt, Sentiment: sv.Sentiment})
	}
	ratings, err := k.a.feedback.Ratings(ctx, "", from, to, 0)
	if err != nil {
		return nil, err
	}
	for _, r := range ratings {
		out = append(out, kpi.Rating{ID: r.ID, Service: r.Service, Kind: "feedback", Score: float64(r.Score), At: r.At, Sentiment: r.Sentiment})
	}
	return out, nil
}

// kpiAvailability judges every service with one snapshot of the catalog
// and the timelines, loaded on first use.
type kpiAvailability struct {
	r    *timeline.Reporter
	snap *timeline.Snapshot
}

func (k *kpiAvailability) Services(ctx context.Context, from, to time.Time) ([]kpi.ServiceFigures, error) {
	if k.snap == nil {
		s, err := k.r.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		k.snap = s
	}
	names := make([]string, 0, len(k.snap.Services))
	for n := range k.snap.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]kpi.ServiceFigures, 0, len(names))
	for _, n := range names {
		rep, err := k.snap.Report(n, timeline.Range{From: from, To: to})
		if err != nil {
			return nil, err
		}
		svc := k.snap.Services[n]
		f := kpi.ServiceFigures{Service: n, Title: svc.Title, Owner: svc.Owner, Tier: svc.Tier, Availability: rep.Availability,
			Met: rep.Compliance.Met, Breaches: rep.Compliance.Breaches, InHoursSeconds: rep.InHours.Float(), DowntimeSeconds: rep.Downtime.Float(),
			Outages: rep.Outages, DowntimeCost: rep.DowntimeCost}
		if o := k.snap.Objective(n); o != nil && svc.Objective != nil {
			f.HasObjective, f.Target, f.Budget = true, o.Target, o.Budget
		}
		out = append(out, f)
	}
	return out, nil
}

type kpiIncidents struct{ a *App }

func (k kpiIncidents) Incidents(ctx context.Context, from, to time.Time) ([]kpi.Incident, error) {
	ts, err := k.a.incidents.Spanning(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]kpi.Incident, len(ts))
	for i, t := range ts {
		out[i] = kpi.Incident{ID: t.ID, Service: t.Service, CreatedAt: t.CreatedAt, AcknowledgedAt: t.AcknowledgedAt, ResolvedAt: t.ResolvedAt}
	}
	return out, nil
}

type kpiTickets struct{ a *App }

func (k kpiTickets) Tickets(ctx context.Context, from, to time.Time) ([]kpi.Ticket, error) {
	ts, err := k.a.desk.Spanning(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]kpi.Ticket, len(ts))
	for i, t := range ts {
		out[i] = kpi.Ticket{ID: t.ID, Service: t.Service, Queue: t.Queue, OpenedAt: t.OpenedAt, Resolved: t.ResolvedAt,
			AgentReplies: t.AgentReplies, Reopened: t.Reopened}
		if r := t.SLA.Resolution; r != nil {
			b := r.Breached
			out[i].ResolutionBreached = &b
		}
	}
	return out, nil
}

type kpiBackups struct{ a *App }

func (k kpiBackups) Backups(ctx context.Context, from, to time.Time) ([]kpi.Backup, error) {
	stored, err := k.a.checks.List(ctx)
	if err != nil {
		return nil, err
	}
	if now := k.a.opts.Now(); now.Before(to) {
		to = now
	}
	var out []kpi.Backup
	for _, sc := range stored {
		c, fs := monitor.Compile(sc.Check, nil)
		if len(fs) > 0 || !c.IsBackup() || !to.After(from) {
			continue
		}
		rep, err := k.a.recovery.Report(ctx, recovery.Job{Name: c.Name, Service: c.Service, RPOText: c.Check.RPO, RPO: c.RPO, Since: sc.CreatedAt}, from, to)
		if err != nil {
			return nil, err
		}
		out = append(out, kpi.Backup{Job: c.Name, Service: c.Service, Compliance: rep.Compliance, Breaches: rep.Breaches})
	}
	return out, nil
}

type kpiDrills struct{ a *App }

func (k kpiDrills) Drills(ctx context.Context, from, to time.Time) ([]kpi.Drill, error) {
	var out []kpi.Drill
	page := store.Page{Limit: 500}
	for {
		ds, next, err := k.a.recovery.Drills(ctx, recovery.DrillFilter{From: from, To: to}, page)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out = append(out, kpi.Drill{ID: d.ID, Plan: d.Plan, Service: d.Service, StartedAt: d.StartedAt, Passed: d.Outcome.Passed})
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (k kpiDrills) Plans(ctx context.Context) ([]kpi.Plan, error) {
	ps, err := k.a.recovery.ListPlans(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]kpi.Plan, 0, len(ps))
	for _, p := range ps {
		kp := kpi.Plan{Name: p.Name, Service: p.Service}
		if t, err := time.Parse(time.DateOnly, p.LastReviewed); err == nil {
			kp.Reviewed = t
		}
		out = append(out, kp)
	}
	return out, nil
}

type kpiCapacity struct{ a *App }

func (k kpiCapacity) PersonWeeks(ctx context.Context, from, to time.Time) ([]kpi.PersonWeek, error) {
	first, last := capacity.DayOf(from, time.UTC), capacity.DayOf(to.Add(-time.Nanosecond), time.UTC)
	if len(capacity.Weeks(first, last)) > capacity.MaxWeeks {
		first = last.AddDays(-7 * (capacity.MaxWeeks - 1))
	}
	deps := k.a.capacityDeps()
	rep, err := deps.Store.Report(ctx, first, last, "", deps.Sources())
	if err != nil {
		return nil, err
	}
	mondays := map[string]string{}
	for _, w := range capacity.Weeks(first, last) {
		mondays[w.String()] = w.Monday.String()
	}
	var out []kpi.PersonWeek
	for _, p := range rep.People {
		for _, w := range p.Weeks {
			out = append(out, kpi.PersonWeek{Person: p.Person, Team: p.Team, Week: w.Week, Monday: mondays[w.Week],
				CapacityHours: w.CapacityHours, AllocatedHours: w.AllocatedHours})
		}
	}
	return out, nil
}

func (k kpiCapacity) Projects(ctx context.Context) ([]kpi.Project, error) {
	deps := k.a.capacityDeps()
	ps, err := deps.Store.Projects(ctx)
	if err != nil {
		return nil, err
	}
	src := deps.Sources()
	out := make([]kpi.Project, 0, len(ps))
	for _, p := range ps {
		f, err := deps.Store.ProjectReport(ctx, p.Name, src)
		if err != nil {
			return nil, err
		}
		out = append(out, kpi.Project{Name: p.Name, Start: p.Start.String(), End: p.End.String(), Status: p.Status, PlannedHours: f.PlannedHours, ActualHours: f.ActualHours,
			BudgetHours: p.BudgetHours, Late: f.Late, OverBudget: f.OverBudget})
	}
	return out, nil
}

type kpiPages struct{ a *App }

// Pages judges each page against the paged person's working week from
// the capacity planner (a standard week in UTC for someone without one).
func (k kpiPages) Pages(ctx context.Context, from, to time.Time) ([]kpi.Page, error) {
	ps, err := notify.SentPages(ctx, k.a.db, from, to)
	if err != nil {
		return nil, err
	}
	deps := k.a.capacityDeps()
	profiles, err := httpapi.CapacityPeople(ctx, deps.Store, deps.Sources())
	if err != nil {
		return nil, err
	}
	type week struct {
		zone  *time.Location
		hours [7]float64
	}
	weeks := map[string]week{}
	for _, p := range profiles {
		loc, err := time.LoadLocation(p.Zone)
		if err != nil {
			loc = time.UTC
		}
		h := p.Hours
		weeks[p.Person] = week{loc, [7]float64{h.Mon, h.Tue, h.Wed, h.Thu, h.Fri, h.Sat, h.Sun}}
	}
	std := capacity.StandardWeek
	out := make([]kpi.Page, len(ps))
	for i, p := range ps {
		w, ok := weeks[p.Person]
		if !ok {
			w = week{time.UTC, [7]float64{std.Mon, std.Tue, std.Wed, std.Thu, std.Fri, std.Sat, std.Sun}}
		}
		out[i] = kpi.Page{Person: p.Person, IncidentID: p.IncidentID, At: p.At, OutsideHours: kpi.OutsideHours(p.At, w.zone, w.hours)}
	}
	return out, nil
}
