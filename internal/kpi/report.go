package kpi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// Month is a calendar month.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads YYYY-MM.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Month{}, fmt.Errorf("a month is written YYYY-MM, such as 2026-11, not %q", s)
	}
	return Month{t.Year(), t.Month()}, nil
}

// MonthOf is the month t falls in, in loc.
func MonthOf(t time.Time, loc *time.Location) Month {
	t = t.In(loc)
	return Month{t.Year(), t.Month()}
}

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Add is the month n months on (n may be negative).
func (m Month) Add(n int) Month {
	t := time.Date(m.Year, m.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	return Month{t.Year(), t.Month()}
}

// Bounds is the month's [from, to) in loc.
func (m Month) Bounds(loc *time.Location) (time.Time, time.Time) {
	from := time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 1, 0)
}

// TrendMonths is how many months a report's trend shows, its own last.
const TrendMonths = 12

// AreaSection is one area's KPIs in a report.
type AreaSection struct {
	Name  string  `json:"name"`
	Title string  `json:"title"`
	KPIs  []Value `json:"kpis"`
}

// Snapshot says when a report was frozen and from which inputs.
type Snapshot struct {
	FrozenAt time.Time `json:"frozen_at"`
	Digest   string    `json:"digest"`
}

// Correction is a recomputation of a frozen report that differs from it:
// the history behind it was edited after the month closed.
type Correction struct {
	DetectedAt time.Time `json:"detected_at"`
	Digest     string    `json:"digest"`
	Changes    []Diff    `json:"changes"`
}

// Diff is one figure that a correction changes.
type Diff struct {
	KPI   string `json:"kpi"`
	Title string `json:"title"`
	Was   string `json:"was"`
	Now   string `json:"now"`
}

// Report is the monthly report, overall or for one service: the same
// content in every format.
type Report struct {
	Month       string    `json:"month"`
	Service     string    `json:"service,omitempty"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	GeneratedAt time.Time `json:"generated_at"`
	// Closed says the month is over; its report is then frozen.
	Closed   bool   `json:"closed"`
	Currency string `json:"currency,omitempty"`
	// Objectives lists each service's standing against its objective,
	// with the clauses breached.
	Objectives      []ServiceFigures `json:"objectives"`
	ObjectivesMet   int              `json:"objectives_met"`
	ObjectivesTotal int              `json:"objectives_total"`
	DowntimeSeconds float64          `json:"downtime_seconds"`
	DowntimeCost    float64          `json:"downtime_cost"`
	Areas           []AreaSection    `json:"areas"`
	OverDelivery    []Candidate      `json:"over_delivery"`
	// Digest is the SHA-256 of the inputs the figures were computed from.
	Digest     string      `json:"digest"`
	Snapshot   *Snapshot   `json:"snapshot,omitempty"`
	Correction *Correction `json:"correction,omitempty"`
}

// KPI finds a value of the report by name.
func (r *Report) KPI(name string) (Value, bool) {
	for _, a := range r.Areas {
		for _, v := range a.KPIs {
			if v.Name == name {
				return v, true
			}
		}
	}
	return Value{}, false
}

// Builder builds monthly reports from the sources.
type Builder struct {
	Sources Sources
	Options Options
	// Zone is where months are cut (UTC when nil).
	Zone *time.Location
	Now  func() time.Time
}

func (b *Builder) zone() *time.Location {
	if b.Zone == nil {
		return time.UTC
	}
	return b.Zone
}

// Location is where months are cut.
func (b *Builder) Location() *time.Location { return b.zone() }

// Clock is the builder's now.
func (b *Builder) Clock() time.Time { return b.now() }

func (b *Builder) now() time.Time {
	if b.Now == nil {
		return time.Now()
	}
	return b.Now()
}

// Periods are the trend's months, the given one last.
func (b *Builder) Periods(m Month) []Period {
	out := make([]Period, TrendMonths)
	for i := range out {
		mm := m.Add(i - TrendMonths + 1)
		from, to := mm.Bounds(b.zone())
		out[i] = Period{Label: mm.String(), From: from, To: to}
	}
	return out
}

// Build computes the report of month, overall (service "") or for one
// service, with twelve months of trend.
func (b *Builder) Build(ctx context.Context, m Month, service string) (Report, error) {
	now := b.now()
	periods := b.Periods(m)
	ins, err := Collect(ctx, b.Sources, periods, now)
	if err != nil {
		return Report{}, err
	}
	if service != "" {
		found := false
		for _, s := range ins[len(ins)-1].Services {
			found = found || s.Service == service
		}
		if !found {
			return Report{}, apperr.NotFound("service %q", service)
		}
		for i := range ins {
			ins[i] = ins[i].ForService(service)
		}
	}
	return Assemble(m, service, ins, b.Options, now), nil
}

// Assemble builds the report from the inputs of its twelve months (the
// month itself last): a pure function, so a report can be rebuilt from
// stored inputs and checked by hand.
func Assemble(m Month, service string, ins []*Inputs, o Options, now time.Time) Report {
	cur := ins[len(ins)-1]
	r := Report{Month: m.String(), Service: service, From: cur.From.UTC(), To: cur.To.UTC(), GeneratedAt: now.UTC(), Closed: !now.Before(cur.To),
		Currency: o.Currency, Objectives: []ServiceFigures{}, OverDelivery: []Candidate{}}
	for _, s := range cur.Services {
		if s.Breaches == nil {
			s.Breaches = []string{}
		}
		r.Objectives = append(r.Objectives, s)
		r.DowntimeSeconds += s.DowntimeSeconds
		r.DowntimeCost += s.DowntimeCost
		if s.HasObjective && s.Availability != nil {
			r.ObjectivesTotal++
			if s.Met {
				r.ObjectivesMet++
			}
		}
	}
	r.DowntimeCost = float64(int64(r.DowntimeCost*100+0.5)) / 100
	if od := OverDelivery(cur.Services, o); od != nil {
		r.OverDelivery = od
	}
	values := Compute(cur, o)
	for i, d := range Catalogue {
		if service != "" && !d.PerService {
			continue
		}
		v := values[i]
		for j, in := range ins {
			t := ComputeOne(d, in, o)
			label := MonthOf(in.From, in.From.Location()).String()
			if j == len(ins)-1 {
				label = m.String()
			}
			v.Trend = append(v.Trend, Point{Month: label, Value: t.Value, Display: t.Display})
		}
		placed := false
		for k := range r.Areas {
			if r.Areas[k].Name == d.Area {
				r.Areas[k].KPIs = append(r.Areas[k].KPIs, v)
				placed = true
			}
		}
		if !placed {
			r.Areas = append(r.Areas, AreaSection{Name: d.Area, Title: AreaTitle(d.Area), KPIs: []Value{v}})
		}
	}
	r.Digest = Digest(ins, o)
	return r
}

// Digest is the SHA-256 of the inputs and options a report is computed
// from: the records shared by its months once, and each month's own
// availability and backup figures. The large record sets (tickets,
// incidents, changes, pages, ratings) are hashed field by field rather
// than as JSON: a year of 100,000 tickets would otherwise cost more than
// the report itself.
func Digest(ins []*Inputs, o Options) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode(o)
	if len(ins) > 0 {
		cur := *ins[len(ins)-1]
		hashRecords(h, &cur)
		cur.Services, cur.Backups, cur.Tickets, cur.Incidents, cur.Changes, cur.Pages, cur.Ratings = nil, nil, nil, nil, nil, nil, nil
		_ = enc.Encode(cur)
	}
	for _, in := range ins {
		_ = enc.Encode(in.From)
		_ = enc.Encode(in.Services)
		_ = enc.Encode(in.Backups)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashRecords writes the large record sets into h, each field with a
// separator so that no two different sets write the same bytes.
func hashRecords(h io.Writer, in *Inputs) {
	b := make([]byte, 0, 256)
	str := func(s string) { b = append(strconv.AppendQuote(b, s), ',') }
	num := func(n int64) { b = append(strconv.AppendInt(b, n, 10), ',') }
	at := func(t *time.Time) {
		if t == nil {
			b = append(b, '-', ',')
			return
		}
		num(t.UnixNano())
	}
	flag := func(v bool) { b = append(strconv.AppendBool(b, v), ',') }
	flush := func() { b = append(b, '\n'); _, _ = h.Write(b); b = b[:0] }
	for _, t := range in.Tickets {
		b = append(b, 'T')
		num(t.ID)
		str(t.Service)
		str(t.Queue)
		at(&t.OpenedAt)
		at(t.Resolved)
		if t.ResolutionBreached == nil {
			b = append(b, '-', ',')
		} else {
			flag(*t.ResolutionBreached)
		}
		num(int64(t.AgentReplies))
		flag(t.Reopened)
		flush()
	}
	for _, i := range in.Incidents {
		b = append(b, 'I')
		num(i.ID)
		str(i.Service)
		at(&i.CreatedAt)
		at(i.AcknowledgedAt)
		at(i.ResolvedAt)
		flush()
	}
	for _, c := range in.Changes {
		b = append(b, 'C')
		num(c.ID)
		str(strings.Join(c.Services, ","))
		at(&c.EndedAt)
		flag(c.Failed)
		str(c.Reason)
		flush()
	}
	for _, p := range in.Pages {
		b = append(b, 'P')
		str(p.Person)
		num(p.IncidentID)
		at(&p.At)
		flag(p.OutsideHours)
		flush()
	}
	for _, r := range in.Ratings {
		b = append(b, 'R')
		num(r.ID)
		str(r.Service)
		str(r.Kind)
		b = append(strconv.AppendFloat(b, r.Score, 'g', -1, 64), ',')
		at(&r.At)
		flush()
	}
}

// Diffs lists the KPIs whose shown value differs between a frozen report
// and its recomputation.
func Diffs(frozen, now Report) []Diff {
	var out []Diff
	for _, a := range now.Areas {
		for _, v := range a.KPIs {
			was, _ := frozen.KPI(v.Name)
			if was.Display != v.Display {
				out = append(out, Diff{KPI: v.Name, Title: v.Title, Was: was.Display, Now: v.Display})
			}
		}
	}
	if frozen.ObjectivesMet != now.ObjectivesMet || frozen.ObjectivesTotal != now.ObjectivesTotal {
		out = append(out, Diff{KPI: "objectives", Title: "Objectives met",
			Was: fmt.Sprintf("%d of %d", frozen.ObjectivesMet, frozen.ObjectivesTotal), Now: fmt.Sprintf("%d of %d", now.ObjectivesMet, now.ObjectivesTotal)})
	}
	return out
}

// Values computes every KPI over [from, to), overall (service "") or for
// one service, with their breakdowns but no trend.
func (b *Builder) Values(ctx context.Context, from, to time.Time, service string) ([]Value, error) {
	ins, err := Collect(ctx, b.Sources, []Period{{From: from, To: to}}, b.now())
	if err != nil {
		return nil, err
	}
	in := ins[0]
	if service != "" {
		found := false
		for _, s := range in.Services {
			found = found || s.Service == service
		}
		if !found {
			return nil, apperr.NotFound("service %q", service)
		}
		in = in.ForService(service)
	}
	all := Compute(in, b.Options)
	if service == "" {
		return all, nil
	}
	var out []Value
	for i, d := range Catalogue {
		if d.PerService {
			out = append(out, all[i])
		}
	}
	return out, nil
}
