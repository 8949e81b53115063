package cmdb

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
)

// ServiceDep is one dependency of a service, on another service or on an
// item (exactly one of the two is set).
type ServiceDep struct {
	Service string
	CI      string
	Soft    bool
}

// edge is one "rests on" link: the node rests on to. rel is the index of
// the relation in the set (-1 for a service dependency), for naming it.
type edge struct {
	to   int
	soft bool
	rel  int
}

// Graph is the "rests on" structure of items and services, built once and
// asked many questions. Nodes are items first, then services; in paths,
// items are named "ci:NAME" and services "service:NAME".
type Graph struct {
	names   []string
	items   int
	item    map[string]int
	service map[string]int
	minUp   []int    // > 0 for a cluster
	down    [][]edge // what a node rests on (not cluster members)
	members [][]edge // a cluster's members
	up      [][]int  // the nodes resting on a node, members' clusters included
	retired []bool
}

// NewGraph builds the graph of a set, and of the services' dependencies
// when services is not nil (keyed by service name). Relations and
// dependencies naming unknown nodes are skipped: Validate reports them.
func NewGraph(set Set, services map[string][]ServiceDep) *Graph {
	n := len(set.Items) + len(services)
	g := &Graph{items: len(set.Items), item: make(map[string]int, len(set.Items)), service: make(map[string]int, len(services)), names: make([]string, 0, n),
		minUp: make([]int, n), down: make([][]edge, n), members: make([][]edge, n), up: make([][]int, n), retired: make([]bool, n)}
	for _, it := range set.Items {
		if _, dup := g.item[it.Name]; !dup {
			g.item[it.Name] = len(g.names)
		}
		g.minUp[len(g.names)] = it.MinUp
		g.retired[len(g.names)] = it.Lifecycle == Retired
		g.names = append(g.names, it.Name)
	}
	svcNames := sortedKeys(services)
	for _, s := range svcNames {
		g.service[s] = len(g.names)
		g.names = append(g.names, s)
	}
	for i, r := range set.Relations {
		from, ok1 := g.item[r.From]
		to, ok2 := g.item[r.To]
		if !ok1 || !ok2 || from == to {
			continue
		}
		switch r.Type {
		case RunsOn, DependsOn, InstalledOn:
			g.down[from] = append(g.down[from], edge{to, r.Soft(), i})
			g.up[to] = append(g.up[to], from)
		case MemberOf:
			g.members[to] = append(g.members[to], edge{from, false, i})
			g.up[from] = append(g.up[from], to)
			if g.minUp[to] == 0 {
				g.minUp[to] = 1
			}
		}
	}
	for _, s := range svcNames {
		from := g.service[s]
		for _, d := range services[s] {
			to, ok := g.service[d.Service]
			if d.CI != "" {
				to, ok = g.item[d.CI]
			}
			if !ok || to == from {
				continue
			}
			g.down[from] = append(g.down[from], edge{to, d.Soft, -1})
			g.up[to] = append(g.up[to], from)
		}
	}
	return g
}

// cycles reports each cycle of items resting on themselves once, at the
// relation where the depth-first walk closed it, naming the whole loop.
func (g *Graph) cycles() []apperr.Field {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, g.items)
	var path []int
	var out []apperr.Field
	var visit func(i int)
	visit = func(i int) {
		state[i] = onPath
		path = append(path, i)
		for _, e := range slices.Concat(g.down[i], g.members[i]) {
			if e.to >= g.items {
				continue
			}
			switch state[e.to] {
			case unseen:
				visit(e.to)
			case onPath:
				k := slices.Index(path, e.to)
				loop := make([]string, 0, len(path)-k+1)
				for _, n := range path[k:] {
					loop = append(loop, g.names[n])
				}
				loop = append(loop, g.names[e.to])
				out = append(out, apperr.Field{Path: fmt.Sprintf("relations[%d]", e.rel),
					Msg: "an item would rest on itself: " + strings.Join(loop, " → ")})
			}
		}
		path = path[:len(path)-1]
		state[i] = done
	}
	for i := range g.items {
		if state[i] == unseen {
			visit(i)
		}
	}
	return out
}

// Effect is what a failing item does to one service.
type Effect struct {
	Service string
	State   availability.State // Down or Degraded
	// Path runs from the failing item to the service, each step named
	// "ci:NAME" or "service:NAME".
	Path []string
}

// Impact answers "what does it take down": with the items' own states
// (from their checks; an item own leaves out is up) and the item failing
// in state as (down, or degraded), each service that ends down or degraded because of it, with the
// path the failure takes. A cluster stays up while at least min_up of its
// members are up; a hard link passes down on, a soft one degrades.
// Services are listed in name order. An unknown item has no effect, nor
// has a retired one: as on the services' timelines, a retired item rests
// on nothing and takes nothing down.
func (g *Graph) Impact(failing string, as availability.State, own func(item string) availability.State) []Effect {
	start, ok := g.item[failing]
	if !ok || g.retired[start] {
		return nil
	}
	affected := make([]bool, len(g.names))
	affected[start] = true
	queue := []int{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, u := range g.up[n] {
			if !affected[u] {
				affected[u] = true
				queue = append(queue, u)
			}
		}
	}
	ev := evaluator{g: g, affected: affected, own: own, start: start, as: as,
		state: make([]availability.State, len(g.names)), cause: make([]int, len(g.names)), done: make([]bool, len(g.names))}
	var out []Effect
	for n := g.items; n < len(g.names); n++ {
		if !affected[n] {
			continue
		}
		st := ev.eval(n)
		if st != availability.Down && st != availability.Degraded {
			continue
		}
		var path []string
		reached := false
		for c := n; c >= 0 && !reached; c = ev.cause[c] {
			path = append(path, g.label(c))
			reached = c == start
		}
		if !reached {
			continue // down for another reason than the failing item
		}
		slices.Reverse(path)
		out = append(out, Effect{Service: g.names[n], State: st, Path: path})
	}
	return out
}

type evaluator struct {
	g        *Graph
	affected []bool
	own      func(string) availability.State
	start    int
	as       availability.State
	state    []availability.State
	cause    []int // the node that set the state, -1 for the node's own
	done     []bool
}

// eval is a node's state in the scenario: its own (the failing item is
// down; services have none of their own here, since the question is what
// the item does to them), then what it rests on. Validation refuses
// cycles, and a node is marked before it recurses, so a cycle in data that
// skipped validation cannot loop.
func (e *evaluator) eval(n int) availability.State {
	if e.done[n] {
		return e.state[n]
	}
	e.done[n], e.state[n], e.cause[n] = true, availability.Up, -1
	if n < e.g.items && e.g.retired[n] {
		return availability.Up
	}
	st := availability.Up
	switch {
	case n == e.start:
		st = e.as
	case n < e.g.items && e.own != nil:
		if s := e.own(e.g.names[n]); s == availability.Down || s == availability.Degraded {
			st = s
		}
	}
	cause := -1
	// A worse state wins; between equal ones, a cause on the failing
	// item's way wins, so the path leads back to it.
	consider := func(to int, as availability.State) {
		switch {
		case to < 0:
			if as.Severity() > st.Severity() {
				st, cause = as, -1
			}
		case as.Severity() > st.Severity(),
			as == st && e.affected[to] && (cause == -1 || !e.affected[cause]):
			st, cause = as, to
		}
	}
	if n != e.start {
		for _, d := range e.g.down[n] {
			switch s := e.eval(d.to); {
			case s == availability.Down && !d.soft:
				consider(d.to, availability.Down)
			case (s == availability.Down || s == availability.Degraded) && d.soft:
				consider(d.to, availability.Degraded)
			}
		}
		if len(e.g.members[n]) > 0 {
			upCount, firstDown := 0, -1
			for _, m := range e.g.members[n] {
				if e.eval(m.to) != availability.Down {
					upCount++
				} else if firstDown == -1 || !e.affected[firstDown] && e.affected[m.to] {
					firstDown = m.to
				}
			}
			if upCount < e.g.minUp[n] {
				consider(firstDown, availability.Down)
			}
		}
	}
	e.state[n], e.cause[n] = st, cause
	return st
}

// Rest is one node a service rests on.
type Rest struct {
	// Node is "ci:NAME" or "service:NAME".
	Node string `json:"node"`
	// Kind is "hard" when its failure alone takes the service down,
	// "redundant" when it is reached through a cluster that may survive
	// it, "soft" when it can only degrade the service.
	Kind string `json:"kind"`
	// Path runs from the service to the node.
	Path []string `json:"path"`
}

// RestsOn answers the reverse question, "what does this service rest on":
// every item and service below it, nearest first, each with the strongest
// kind of link found and one shortest path of that kind.
func (g *Graph) RestsOn(service string) []Rest {
	start, ok := g.service[service]
	if !ok {
		return nil
	}
	kindOf := make([]string, len(g.names))
	var out []Rest
	for _, phase := range []string{Hard, "redundant", Soft} {
		prev := make([]int, len(g.names))
		for i := range prev {
			prev[i] = -2
		}
		prev[start] = -1
		queue := []int{start}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			var next []edge
			for _, d := range g.down[n] {
				if !d.soft || phase == Soft {
					next = append(next, d)
				}
			}
			if phase != Hard {
				next = append(next, g.members[n]...)
			}
			for _, d := range next {
				if prev[d.to] != -2 {
					continue
				}
				prev[d.to] = n
				queue = append(queue, d.to)
				if kindOf[d.to] != "" {
					continue
				}
				kindOf[d.to] = phase
				var path []string
				for c := d.to; c != -1; c = prev[c] {
					path = append(path, g.label(c))
				}
				slices.Reverse(path)
				out = append(out, Rest{Node: g.label(d.to), Kind: phase, Path: path})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Rest) int { return len(a.Path) - len(b.Path) })
	return out
}

// label names a node in a path: "ci:NAME" or "service:NAME".
func (g *Graph) label(n int) string {
	if n < g.items {
		return "ci:" + g.names[n]
	}
	return "service:" + g.names[n]
}

// Neighbour is one node of an item's neighbourhood. Layer is 0 for the
// item, +d for what rests on it d links away (drawn above), −d for what it
// rests on (drawn below).
type Neighbour struct {
	Node  string
	Layer int
}

// Link is one drawn link of a neighbourhood, from the node that rests on
// to the node it rests on; Soft for a soft dependency, Member for a
// cluster's member.
type Link struct {
	From, To     string
	Soft, Member bool
}

// Neighbourhood is what lies within depth links of an item, both ways,
// at most limit nodes (the nearest kept), in a stable order: by layer,
// then by name. Links are those between kept nodes.
func (g *Graph) Neighbourhood(item string, depth, limit int) ([]Neighbour, []Link) {
	start, ok := g.item[item]
	if !ok {
		return nil, nil
	}
	layer := map[int]int{start: 0}
	order := []int{start}
	walk := func(dir int) {
		frontier := []int{start}
		for d := 1; d <= depth && len(frontier) > 0; d++ {
			var next []int
			for _, n := range frontier {
				var tos []int
				if dir > 0 {
					tos = g.up[n]
				} else {
					for _, e := range slices.Concat(g.down[n], g.members[n]) {
						tos = append(tos, e.to)
					}
				}
				for _, t := range tos {
					if _, seen := layer[t]; !seen && len(order) < limit {
						layer[t] = dir * d
						order = append(order, t)
						next = append(next, t)
					}
				}
			}
			frontier = next
		}
	}
	walk(-1)
	walk(+1)
	nodes := make([]Neighbour, 0, len(order))
	for _, n := range order {
		nodes = append(nodes, Neighbour{Node: g.label(n), Layer: layer[n]})
	}
	slices.SortFunc(nodes, func(a, b Neighbour) int {
		if a.Layer != b.Layer {
			return b.Layer - a.Layer
		}
		return strings.Compare(a.Node, b.Node)
	})
	var links []Link
	for _, n := range order {
		for _, e := range g.down[n] {
			if _, ok := layer[e.to]; ok {
				links = append(links, Link{From: g.label(n), To: g.label(e.to), Soft: e.soft})
			}
		}
		for _, e := range g.members[n] {
			if _, ok := layer[e.to]; ok {
				links = append(links, Link{From: g.label(n), To: g.label(e.to), Member: true})
			}
		}
	}
	slices.SortFunc(links, func(a, b Link) int { return strings.Compare(a.From+"\x00"+a.To, b.From+"\x00"+b.To) })
	return nodes, links
}
