package postmortem

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// The effects an incident has on a service, as its timeline shows them.
const (
	EffectDown     = timeline.EffectDown
	EffectDegraded = timeline.EffectDegraded
	EffectNone     = timeline.EffectNone
)

func effectRank(e string) int {
	switch e {
	case EffectDown:
		return 2
	case EffectDegraded:
		return 1
	}
	return 0
}

// carry is what a dependency passes on, as the availability engine derives
// it: a hard dependency passes "down" on and nothing else, a soft one turns
// down or degraded into degraded.
func carry(effect, kind string) string {
	if kind == catalog.Soft {
		if effect == EffectDown || effect == EffectDegraded {
			return EffectDegraded
		}
		return EffectNone
	}
	if effect == EffectDown {
		return EffectDown
	}
	return EffectNone
}

// ComputeImpact measures an incident on service over [from, to) from the
// snapshot s. Its effect on the service (down, degraded or none) is what the
// service's timeline shows over that span — not the state the incident asked
// for, which is "none" for an incident opened by a failing check whose check
// itself takes the service down. The impact gives the service's counted
// downtime and cost as its availability report over that range gives them,
// and the same for every service that depends on it, directly or through
// others, and is reached by the effect.
func ComputeImpact(s *timeline.Snapshot, service string, from, to time.Time) (Impact, error) {
	imp := Impact{From: from.UTC(), To: to.UTC(), Service: service, ComputedAt: s.Now}
	effect := s.Effect(service, from, to)
	// Who depends on whom, and how.
	type edge struct{ service, kind string }
	dependents := map[string][]edge{}
	for _, svc := range s.Services {
		for _, d := range svc.DependsOn {
			dependents[d.Service] = append(dependents[d.Service], edge{svc.Name, d.Kind})
		}
	}
	for k := range dependents {
		slices.SortFunc(dependents[k], func(a, b edge) int { return strings.Compare(a.service, b.service) })
	}
	// Spread the effect along the dependencies; each service keeps the
	// worst effect that reaches it and the path it came by. Effects only
	// grow, so this ends even on a cyclic graph.
	effects := map[string]string{service: effect}
	via := map[string][]string{service: nil}
	work := []string{service}
	for len(work) > 0 {
		cur := work[0]
		work = work[1:]
		for _, e := range dependents[cur] {
			got := carry(effects[cur], e.kind)
			if effectRank(got) == 0 || effectRank(got) <= effectRank(effects[e.service]) || e.service == service {
				continue
			}
			effects[e.service] = got
			via[e.service] = append([]string{cur}, via[cur]...)
			work = append(work, e.service)
		}
	}
	names := make([]string, 0, len(effects))
	for n := range effects {
		if n != service {
			names = append(names, n)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := effectRank(effects[b]) - effectRank(effects[a]); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, n := range append([]string{service}, names...) {
		a := Affected{Service: n, Effect: effects[n], Via: via[n]}
		if a.Via == nil {
			a.Via = []string{}
		}
		if to.After(from) {
			r, err := s.Report(n, timeline.Range{From: from, To: to})
			switch {
			case errors.Is(err, apperr.ErrNotFound):
				// The service was deleted since: nothing left to measure.
			case err != nil:
				return Impact{}, err
			default:
				a.Downtime, a.DowntimeCost = r.Downtime, r.DowntimeCost
			}
		}
		imp.Affected = append(imp.Affected, a)
	}
	imp.Downtime, imp.DowntimeCost = imp.Affected[0].Downtime, imp.Affected[0].DowntimeCost
	return imp, nil
}
