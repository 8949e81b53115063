package cmdb

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/sextant-ops/sextant/internal/availability"
)

// benchSet is 10,000 items in ten layers of 1,000, each item above the
// bottom resting on five items of the layer below (four runs_on or
// depends_on, one in five of those soft, and one member_of a cluster of the
// layer below): 45,000 relations among items, plus 200 services resting on
// five top-layer items each, 50,000 links in all counting the members'. A
// seeded generator keeps the run repeatable.
func benchSet() (Set, map[string][]ServiceDep) {
	const layers, width = 10, 1000
	rng := rand.New(rand.NewPCG(16, 27))
	var set Set
	name := func(l, i int) string { return fmt.Sprintf("ci-%d-%d", l, i) }
	for l := range layers {
		for i := range width {
			it := Item{Name: name(l, i), Class: "vm"}
			if i%10 == 0 {
				it.MinUp = 1
			}
			set.Items = append(set.Items, it)
		}
	}
	for l := 1; l < layers; l++ {
		for i := range width {
			for k := range 4 {
				r := Relation{From: name(l, i), Type: RunsOn, To: name(l-1, (i*7+k*131+rng.IntN(50))%width)}
				if k == 3 {
					r.Type = DependsOn
					if rng.IntN(5) == 0 {
						r.Kind = Soft
					}
				}
				set.Relations = append(set.Relations, r)
			}
			set.Relations = append(set.Relations, Relation{From: name(l-1, i), Type: MemberOf, To: name(l, (i/10)*10)})
		}
	}
	services := map[string][]ServiceDep{}
	for s := range 200 {
		for k := range 5 {
			services[fmt.Sprintf("svc-%d", s)] = append(services[fmt.Sprintf("svc-%d", s)], ServiceDep{CI: name(layers-1, (s*5+k)%width)})
		}
	}
	return set, services
}

// BenchmarkImpact asks what one bottom-layer item takes down, with one item
// in twenty already down by its checks.
func BenchmarkImpact(b *testing.B) {
	set, services := benchSet()
	g := NewGraph(set, services)
	own := func(name string) availability.State {
		if len(name)%20 == 0 {
			return availability.Down
		}
		return availability.Up
	}
	b.ResetTimer()
	for b.Loop() {
		g.Impact("ci-0-500", availability.Down, own)
	}
}

// BenchmarkImpactWithGraph includes building the graph from the set, as
// the API does on every request.
func BenchmarkImpactWithGraph(b *testing.B) {
	set, services := benchSet()
	b.ResetTimer()
	for b.Loop() {
		NewGraph(set, services).Impact("ci-0-500", availability.Down, func(string) availability.State { return availability.Up })
	}
}

// BenchmarkBaselineBFS is the floor: a plain breadth-first walk up the same
// adjacency from the same item, judging nothing.
func BenchmarkBaselineBFS(b *testing.B) {
	set, services := benchSet()
	g := NewGraph(set, services)
	start := g.item["ci-0-500"]
	b.ResetTimer()
	for b.Loop() {
		seen := make([]bool, len(g.names))
		seen[start] = true
		queue := []int{start}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			for _, u := range g.up[n] {
				if !seen[u] {
					seen[u] = true
					queue = append(queue, u)
				}
			}
		}
	}
}
