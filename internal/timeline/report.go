package timeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
)

// epoch is where every service's history starts: before anything is
// recorded, a service without monitoring is taken to be up. Recorded
// outages are the whole truth about such a service, so there is no gap
// for "unknown" to fill.
var epoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// ServiceReport is one service's availability report: the engine's Report
// with the service's name and objective period.
type ServiceReport struct {
	Service string `json:"service"`
	Period  string `json:"period"`
	availability.Report
}

// Reporter builds reports from the stored catalog and timelines.
type Reporter struct {
	catalog *catalog.Store
	outages *Store
	items   Items
	now     func() time.Time
}

// NewReporter returns a reporter; now nil means time.Now.
func NewReporter(c *catalog.Store, o *Store, now func() time.Time) *Reporter {
	if now == nil {
		now = time.Now
	}
	return &Reporter{catalog: c, outages: o, now: now}
}

// Now is the reporter's clock, so that callers judge "current period"
// with the same instant the report uses.
func (r *Reporter) Now() time.Time { return r.now() }

// Snapshot is the catalog and every input at one instant: build one to
// report on many services (the metrics scrape, the service list) without
// reading the database per service.
type Snapshot struct {
	Now      time.Time
	Services map[string]catalog.Service
	Compiled *catalog.Compiled
	outages  map[string][]availability.Outage
	inputs   map[string]map[string][]availability.Transition
	memo     map[string]availability.Timeline
	items    *ItemSet
	itemMemo []availability.Timeline
	itemDone []bool
	allUp    availability.Timeline
}

// Snapshot loads the catalog and all recorded outages.
func (r *Reporter) Snapshot(ctx context.Context) (*Snapshot, error) {
	cat, err := r.catalog.Load(ctx)
	if err != nil {
		return nil, err
	}
	compiled, err := catalog.Compile(cat)
	if err != nil {
		return nil, fmt.Errorf("timeline: the stored catalog does not compile: %w", err)
	}
	names := make([]string, 0, len(cat.Services))
	s := &Snapshot{Now: r.now().UTC(), Services: map[string]catalog.Service{}, Compiled: compiled,
		outages: map[string][]availability.Outage{}, memo: map[string]availability.Timeline{}}
	if r.items != nil {
		if s.items, err = r.items.TimelineItems(ctx); err != nil {
			return nil, err
		}
	}
	for _, svc := range cat.Services {
		s.Services[svc.Name] = svc
		names = append(names, svc.Name)
	}
	all, err := r.outages.list(ctx, r.outages.db.Reader(), names)
	if err != nil {
		return nil, err
	}
	for _, o := range all {
		s.outages[o.Service] = append(s.outages[o.Service], availability.Outage{Start: o.Start, End: o.End, State: o.State, Source: o.Source()})
	}
	if s.inputs, err = r.outages.transitions(ctx, names); err != nil {
		return nil, err
	}
	return s, nil
}

// Timeline is the service's state timeline up to the snapshot's now: its
// own inputs (recorded outages, and each input's stored transitions)
// combined, the worst state winning, then its dependencies — services and
// configuration items (ItemTimeline) — laid over it (down while a hard
// dependency is down, degraded while a soft one is not up). Each interval's
// Source names the input that caused it.
func (s *Snapshot) Timeline(name string) availability.Timeline {
	if tl, ok := s.memo[name]; ok {
		return tl
	}
	svc := s.Services[name]
	own := availability.FromOutages(epoch, s.Now, s.outages[name])
	if inputs := s.inputs[name]; len(inputs) > 0 {
		keys := make([]string, 0, len(inputs))
		for k := range inputs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		all := []availability.Timeline{own}
		for _, k := range keys {
			all = append(all, inputTimeline(inputs[k], s.Now))
		}
		own = availability.Combine(all...)
	}
	var hard, soft []availability.Timeline
	for _, d := range svc.DependsOn {
		// An item keeps its own sources ("ci:db-01 via check:db-ping"),
		// so the service's interval names the item and what saw it fail.
		var dep availability.Timeline
		if d.CI != "" {
			dep = s.ItemTimeline(d.CI)
		} else {
			dep = s.Timeline(d.Service).Relabel(d.Service)
		}
		if d.Kind == catalog.Soft {
			soft = append(soft, dep)
		} else {
			hard = append(hard, dep)
		}
	}
	tl := availability.Derive(own, hard, soft)
	s.memo[name] = tl
	return tl
}

// Objective returns the compiled objective of a service (nil when it has
// none: 24x7, 100 %).
func (s *Snapshot) Objective(name string) *availability.Objective {
	return s.Compiled.Objectives[name]
}

// Zone is the time zone periods of the service are cut in: its calendar's.
func (s *Snapshot) Zone(name string) *time.Location {
	if o := s.Objective(name); o != nil && o.Hours != nil {
		return o.Hours.Location()
	}
	return time.UTC
}

// Range says which span a report covers.
type Range struct {
	From, To time.Time // both set: an explicit range
	Period   string    // "current" or "previous" when From/To are zero
}

// Bounds resolves a range for a service.
func (s *Snapshot) Bounds(name string, r Range) (time.Time, time.Time, error) {
	if !r.From.IsZero() || !r.To.IsZero() {
		if r.From.IsZero() || r.To.IsZero() {
			return time.Time{}, time.Time{}, &apperr.Invalid{Fields: []apperr.Field{{Path: "to", Msg: "give both from and to, or neither"}}}
		}
		if !r.To.After(r.From) {
			return time.Time{}, time.Time{}, &apperr.Invalid{Fields: []apperr.Field{{Path: "to", Msg: "must be after from"}}}
		}
		return r.From.UTC(), r.To.UTC(), nil
	}
	p := availability.Month
	if o := s.Objective(name); o != nil {
		p = o.Period
	}
	switch r.Period {
	case "", "current":
		from, to := p.Bounds(s.Now, s.Zone(name))
		return from.UTC(), to.UTC(), nil
	case "previous":
		from, to := p.Previous(s.Now, s.Zone(name))
		return from.UTC(), to.UTC(), nil
	}
	return time.Time{}, time.Time{}, &apperr.Invalid{Fields: []apperr.Field{{Path: "period", Msg: fmt.Sprintf("must be \"current\" or \"previous\", not %q", r.Period)}}}
}

// Report judges one service over a range.
func (s *Snapshot) Report(name string, r Range) (ServiceReport, error) {
	if _, ok := s.Services[name]; !ok {
		return ServiceReport{}, apperr.NotFound("service %q", name)
	}
	from, to, err := s.Bounds(name, r)
	if err != nil {
		return ServiceReport{}, err
	}
	o := s.Objective(name)
	period := availability.Month.String()
	if o != nil {
		period = o.Period.String()
	}
	return ServiceReport{Service: name, Period: period, Report: availability.Evaluate(o, s.Timeline(name), from, to, s.Now)}, nil
}

// Report loads a snapshot and judges one service.
func (r *Reporter) Report(ctx context.Context, name string, rg Range) (ServiceReport, error) {
	s, err := r.Snapshot(ctx)
	if err != nil {
		return ServiceReport{}, err
	}
	return s.Report(name, rg)
}

// Effect says what the service's timeline shows over [from, to): "down"
// when it was down at any moment of it, otherwise "degraded" when it was
// degraded at any moment, otherwise "none". An empty span looks at the
// instant from. Incident and post-mortem pages state this rather than the
// state an incident asked for, because an incident opened by a failing
// check asks for none while its check takes the service down, and the
// page must say what the service went through.
func (s *Snapshot) Effect(name string, from, to time.Time) string {
	worst := availability.Up
	if !to.After(from) {
		worst, _ = s.Timeline(name).At(from)
	}
	for _, seg := range s.Timeline(name).Clip(from, to) {
		if seg.State.Severity() > worst.Severity() {
			worst = seg.State
		}
	}
	switch worst {
	case availability.Down:
		return EffectDown
	case availability.Degraded:
		return EffectDegraded
	}
	return EffectNone
}

// The effects a service's timeline can show over an incident's span.
const (
	EffectDown     = "down"
	EffectDegraded = "degraded"
	EffectNone     = "none"
)
