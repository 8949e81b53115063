// Package cmdbtest builds large configuration databases for the CMDB's
// benchmarks and tests, the same one wherever it is measured.
package cmdbtest

import (
	"fmt"
	"math/rand/v2"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
)

// Large sizes: 10,000 items in ten layers of 1,000.
const (
	Layers = 10
	Width  = 1000
)

// Name is the item at index i of layer l ("ci-3-417"); layer 0 is the
// bottom, which everything else rests on.
func Name(l, i int) string { return fmt.Sprintf("ci-%d-%d", l, i) }

// Large is 10,000 items in ten layers of 1,000, each item above the bottom
// resting on four items of the layer below (three runs_on and one
// depends_on, one depends_on in five soft) and each item below the top a
// member of a cluster (min_up 1, one per ten items) of the layer above:
// 45,000 relations among items. Beside it come 200 services resting hard
// on five top-layer items each (99.9 %, a downtime cost of 100 per
// hour times its number plus one), 50,000 links in all counting the members'.
// A seeded generator keeps it the same from run to run.
func Large() (cmdb.Set, []catalog.Service) {
	rng := rand.New(rand.NewPCG(16, 27))
	var set cmdb.Set
	for l := range Layers {
		for i := range Width {
			it := cmdb.Item{Name: Name(l, i), Class: "vm"}
			if i%10 == 0 {
				it.MinUp = 1
			}
			set.Items = append(set.Items, it)
		}
	}
	type key struct{ from, typ, to string }
	seen := map[key]bool{}
	for l := 1; l < Layers; l++ {
		for i := range Width {
			for k := range 4 {
				r := cmdb.Relation{From: Name(l, i), Type: cmdb.RunsOn, To: Name(l-1, (i*7+k*131+rng.IntN(50))%Width)}
				if k == 3 {
					r.Type = cmdb.DependsOn
					if rng.IntN(5) == 0 {
						r.Kind = cmdb.Soft
					}
				}
				if k := (key{r.From, r.Type, r.To}); !seen[k] {
					seen[k] = true
					set.Relations = append(set.Relations, r)
				}
			}
			set.Relations = append(set.Relations, cmdb.Relation{From: Name(l-1, i), Type: cmdb.MemberOf, To: Name(l, (i/10)*10)})
		}
	}
	services := make([]catalog.Service, 0, 200)
	for s := range 200 {
		cost := float64(100 * (s + 1))
		svc := catalog.Service{Name: fmt.Sprintf("svc-%d", s), Objective: &catalog.Objective{Availability: "99.9%", DowntimeCost: &cost}}
		for k := range 5 {
			svc.DependsOn = append(svc.DependsOn, catalog.Dependency{CI: Name(Layers-1, (s*5+k)%Width), Kind: catalog.Hard})
		}
		services = append(services, svc)
	}
	return set, services
}
