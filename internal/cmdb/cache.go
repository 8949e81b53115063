package cmdb

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// structure is the CMDB as its questions need it, built from one version
// of the stored items, relations and checks: the set, the items as the
// services' timelines see them, and the "rests on" graph with the
// services' dependencies of the catalog it was last asked with. It is
// shared by readers without locks; only its graph is replaced, under the
// cache's lock, when the catalog's dependencies change.
type structure struct {
	version int64
	set     Set
	items   *timeline.ItemSet
	// checked names the items checks watch, the only ones with a state
	// of their own.
	checked []string
	// graph is built for deps, the services' dependencies it was asked
	// with; a catalog with other dependencies gets a new graph.
	graph *builtGraph
}

type builtGraph struct {
	deps map[string][]ServiceDep
	g    *Graph
}

// cache keeps the latest structure between writes. Every question reads
// the stored version first (one row) and rebuilds when it moved, so a write
// made through any server is seen by the next question on every server,
// and between writes the 10,000-item load and the graph are not redone.
type cache struct {
	mu  sync.Mutex // held while building, so that one request builds
	cur *structure
}

// version reads the stored version of the CMDB's structure.
func (s *Store) version(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT version FROM cmdb_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("cmdb: read version: %w", err)
	}
	return v, nil
}

// structure returns the structure of the stored version, building it when
// the version moved since the last one. The version is read before the
// tables, so what is loaded is at least as new as the version it is kept
// under: a write racing the load only causes one more rebuild.
func (s *Store) structure(ctx context.Context) (*structure, error) {
	v, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if c := s.cache.cur; c != nil && c.version == v {
		return c, nil
	}
	l, err := s.load(ctx, s.db.Reader())
	if err != nil {
		return nil, err
	}
	st := &structure{version: v, set: l.set}
	if st.items, st.checked, err = s.timelineItems(ctx, l.set); err != nil {
		return nil, err
	}
	s.cache.cur = st
	return st, nil
}

// graphFor returns the graph of the structure with the services'
// dependencies of services, reusing the last one built while they are the
// same.
func (s *Store) graphFor(st *structure, services map[string]catalog.Service) *Graph {
	deps := serviceDeps(services)
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if b := st.graph; b != nil && maps.EqualFunc(b.deps, deps, slices.Equal) {
		return b.g
	}
	b := &builtGraph{deps: deps, g: NewGraph(st.set, deps)}
	st.graph = b
	return b.g
}

// timelineItems turns a loaded set and the checks watching its items into
// the items as the services' timelines see them, and names those watched.
func (s *Store) timelineItems(ctx context.Context, set Set) (*timeline.ItemSet, []string, error) {
	out := make(map[string]timeline.Item, len(set.Items))
	for _, it := range set.Items {
		out[it.Name] = timeline.Item{MinUp: it.MinUp}
	}
	for _, r := range set.Relations {
		from, to := out[r.From], out[r.To]
		switch r.Type {
		case RunsOn, DependsOn, InstalledOn:
			if r.Soft() {
				from.Soft = append(from.Soft, r.To)
			} else {
				from.Hard = append(from.Hard, r.To)
			}
			out[r.From] = from
		case MemberOf:
			to.Members = append(to.Members, r.From)
			out[r.To] = to
		}
	}
	if s.checks != nil {
		checks, err := s.checks.List(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range checks {
			if it, ok := out[c.CI]; ok && c.CI != "" {
				it.Checks = append(it.Checks, timeline.ItemCheck{Service: c.Service, Check: c.Name})
				out[c.CI] = it
			}
		}
	}
	var checked []string
	for _, it := range set.Items {
		if it.Lifecycle == Retired {
			delete(out, it.Name)
		} else if len(out[it.Name].Checks) > 0 {
			checked = append(checked, it.Name)
		}
	}
	return timeline.NewItemSet(out), checked, nil
}
