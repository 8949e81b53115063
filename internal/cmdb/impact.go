package cmdb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// ImpactedService is one service a failing item takes down or degrades,
// with the figures of its own report: the downtime cost per hour of its
// objective and the error budget its current period has left.
type ImpactedService struct {
	Service string   `json:"service"`
	Effect  string   `json:"effect"`
	Path    []string `json:"path"`
	// DowntimeCostPerHour is the objective's downtime_cost (0 without one).
	DowntimeCostPerHour float64 `json:"downtime_cost_per_hour"`
	// ErrorBudgetRemaining is the service report's
	// error_budget_remaining_seconds for its current period.
	ErrorBudgetRemaining availability.Seconds `json:"error_budget_remaining_seconds"`
}

// Impact is the answer to "what does this item take down".
type Impact struct {
	Item string `json:"item"`
	// State is the item's state now, or "down" when asked what if.
	State  availability.State `json:"state"`
	WhatIf bool               `json:"what_if"`
	Items  []ImpactedService  `json:"items"`
}

// serviceDeps turns the catalog's dependencies into the graph's.
func serviceDeps(services map[string]catalog.Service) map[string][]ServiceDep {
	out := make(map[string][]ServiceDep, len(services))
	for name, svc := range services {
		deps := make([]ServiceDep, 0, len(svc.DependsOn))
		for _, d := range svc.DependsOn {
			deps = append(deps, ServiceDep{Service: d.Service, CI: d.CI, Soft: d.Kind == catalog.Soft})
		}
		out[name] = deps
	}
	return out
}

// Impact names each service the item takes down or degrades as it is now
// (from its checks and what it rests on), or, with whatIf, were it down.
// The figures come from the same snapshot and reports the service pages
// show, so they agree with them.
func (s *Store) Impact(ctx context.Context, name string, whatIf bool) (Impact, error) {
	q, err := s.snapshot(ctx)
	if err != nil {
		return Impact{}, err
	}
	return q.impact(name, whatIf)
}

func (q question) impact(name string, whatIf bool) (Impact, error) {
	snap, g := q.snap, q.graph
	if _, ok := g.item[name]; !ok {
		return Impact{}, apperr.NotFound("configuration item %q", name)
	}
	out := Impact{Item: name, State: snap.ItemState(name), WhatIf: whatIf, Items: []ImpactedService{}}
	if whatIf {
		out.State = availability.Down
	}
	if out.State != availability.Down && out.State != availability.Degraded {
		return out, nil
	}
	for _, e := range g.Impact(name, out.State, q.ownState) {
		rep, err := snap.Report(e.Service, timeline.Range{})
		if err != nil {
			return Impact{}, fmt.Errorf("cmdb: report of %q: %w", e.Service, err)
		}
		cost := 0.0
		if o := snap.Objective(e.Service); o != nil {
			cost = o.DowntimeCost
		}
		out.Items = append(out.Items, ImpactedService{Service: e.Service, Effect: e.State.String(), Path: e.Path,
			DowntimeCostPerHour: cost, ErrorBudgetRemaining: rep.ErrorBudgetRemaining})
	}
	return out, nil
}

// RestsOn answers the reverse question for a service: every item and
// service below it, with the kind of link (hard, redundant, soft).
func (s *Store) RestsOn(ctx context.Context, service string) ([]Rest, error) {
	q, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := q.snap.Services[service]; !ok {
		return nil, apperr.NotFound("service %q", service)
	}
	out := q.graph.RestsOn(service)
	if out == nil {
		out = []Rest{}
	}
	return out, nil
}

// question is what impact questions are answered from: the services'
// states and figures now, the graph of the stored CMDB under the
// snapshot's catalog (kept between writes), and the items' own states.
type question struct {
	snap  *timeline.Snapshot
	graph *Graph
	// own holds the items their checks report down or degraded now; the
	// others are up by their own account.
	own map[string]availability.State
}

func (q question) ownState(item string) availability.State {
	if st, ok := q.own[item]; ok {
		return st
	}
	return availability.Up
}

func (s *Store) snapshot(ctx context.Context) (question, error) {
	if s.reporter == nil {
		return question{}, fmt.Errorf("cmdb: no reporter wired")
	}
	snap, err := s.reporter.Snapshot(ctx)
	if err != nil {
		return question{}, err
	}
	st, err := s.structure(ctx)
	if err != nil {
		return question{}, err
	}
	q := question{snap: snap, graph: s.graphFor(st, snap.Services), own: map[string]availability.State{}}
	// Only items with checks have a state of their own: ask those alone,
	// not every item the failure reaches.
	for _, name := range st.checked {
		if o := snap.ItemOwnState(name); o == availability.Down || o == availability.Degraded {
			q.own[name] = o
		}
	}
	return q, nil
}

// View is what an item's page shows: the item, its relations, its state
// now, what it takes down now and what it would take down were it down,
// and its neighbourhood with every node's state ("up", "degraded",
// "down", "unknown").
type View struct {
	Item      StoredItem
	Relations []Relation
	State     availability.State
	Now       Impact
	WhatIf    Impact
	Nodes     []Neighbour
	Links     []Link
	States    map[string]availability.State
	// Discovery is what the item's agent last reported (nil when no
	// agent reports it).
	Discovery *Discovery
}

// neighbourhood limits: two links each way, at most 400 nodes drawn.
const (
	viewDepth = 2
	viewLimit = 400
)

// View gathers an item's page from one snapshot.
func (s *Store) View(ctx context.Context, name string) (View, error) {
	it, err := s.GetItem(ctx, name)
	if err != nil {
		return View{}, err
	}
	v := View{Item: it}
	if v.Relations, err = s.Relations(ctx, name); err != nil {
		return View{}, err
	}
	if v.Discovery, err = s.discoveryOf(ctx, it); err != nil {
		return View{}, err
	}
	q, err := s.snapshot(ctx)
	if err != nil {
		return View{}, err
	}
	if v.Now, err = q.impact(name, false); err != nil {
		return View{}, err
	}
	if v.WhatIf, err = q.impact(name, true); err != nil {
		return View{}, err
	}
	v.State = v.Now.State
	snap := q.snap
	v.Nodes, v.Links = q.graph.Neighbourhood(name, viewDepth, viewLimit)
	v.States = make(map[string]availability.State, len(v.Nodes))
	for _, n := range v.Nodes {
		if svc, ok := strings.CutPrefix(n.Node, "service:"); ok {
			st, _ := snap.Timeline(svc).At(snap.Now.Add(-time.Millisecond))
			v.States[n.Node] = st
		} else {
			v.States[n.Node] = snap.ItemState(strings.TrimPrefix(n.Node, "ci:"))
		}
	}
	return v, nil
}
