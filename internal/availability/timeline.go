package availability

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is what a service was doing during a stretch of time. The zero value
// is Unknown, so a forgotten state is never mistaken for Up.
type State uint8

// The four states of a timeline.
const (
	Unknown State = iota
	Up
	Degraded
	Down
)

// String returns the state as it is written in configuration and JSON.
func (s State) String() string {
	switch s {
	case Up:
		return "up"
	case Degraded:
		return "degraded"
	case Down:
		return "down"
	}
	return "unknown"
}

// ParseState reads "up", "degraded", "down" or "unknown" (any case).
func ParseState(s string) (State, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "up":
		return Up, nil
	case "degraded":
		return Degraded, nil
	case "down":
		return Down, nil
	case "unknown":
		return Unknown, nil
	}
	return Unknown, fmt.Errorf("unknown state %q (use up, degraded, down or unknown)", strings.TrimSpace(s))
}

// MarshalText writes the state as a JSON string such as "down".
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state with ParseState.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Severity orders states for "the worst state wins": Down (3) > Degraded (2)
// > Unknown (1) > Up (0). Degraded outranks Unknown because it is evidence
// that something is wrong, while Unknown is only the absence of evidence;
// Unknown outranks Up so that a missing input is never hidden behind an input
// that says all is well. Whether Unknown then counts as down is the
// objective's choice (Objective.UnknownDown), not the timeline's.
func (s State) Severity() int {
	switch s {
	case Up:
		return 0
	case Degraded:
		return 2
	case Down:
		return 3
	}
	return 1
}

// Segment is a stretch of a timeline in one state. Source names the input
// that put the service in that state (for example "check:https",
// "outage:42", "dependency:database"), so a report can show why each interval
// counted.
type Segment struct {
	Interval
	State  State  `json:"state"`
	Source string `json:"source"`
}

// Timeline is a service's history: segments sorted by start, not
// overlapping, with touching segments of equal state and source merged. Time
// that no segment covers (before the first, after the last, or between two)
// counts as Unknown. Every function of this package returns timelines in this
// form; NewTimeline brings arbitrary segments into it.
type Timeline []Segment

// Span returns the first and last instant the timeline covers, or two zero
// times when it is empty.
func (tl Timeline) Span() (from, to time.Time) {
	if len(tl) == 0 {
		return time.Time{}, time.Time{}
	}
	return tl[0].Start, tl[len(tl)-1].End
}

// At returns the state at instant t and the source that set it; Unknown with
// an empty source where nothing covers t.
func (tl Timeline) At(t time.Time) (State, string) {
	i, found := slices.BinarySearchFunc(tl, t, func(s Segment, t time.Time) int {
		switch {
		case !s.End.After(t):
			return -1
		case s.Start.After(t):
			return 1
		}
		return 0
	})
	if !found {
		return Unknown, ""
	}
	return tl[i].State, tl[i].Source
}

// Relabel returns a copy of the timeline with every source set to source.
// Use it to name a dependency before handing its timeline to Derive, so that
// the dependent's intervals read "dependency:database" rather than the
// dependency's own check names.
func (tl Timeline) Relabel(source string) Timeline {
	out := make([]Segment, len(tl))
	for i, s := range tl {
		s.Source = source
		out[i] = s
	}
	return mergeAdjacent(out)
}

// Clip returns the part of the timeline inside [from, to).
func (tl Timeline) Clip(from, to time.Time) Timeline {
	var out Timeline
	for _, s := range tl {
		if !s.End.After(from) {
			continue
		}
		if !s.Start.Before(to) {
			break
		}
		s.Start, s.End = later(s.Start, from), earlier(s.End, to)
		if s.Start.Before(s.End) {
			out = append(out, s)
		}
	}
	return out
}

// Transition is a change of state at an instant, the form in which state is
// stored (append-only): the state holds from At until the next transition.
type Transition struct {
	At     time.Time
	State  State
	Source string
}

// FromTransitions turns stored transitions into a timeline that ends at end
// (usually now). The transitions need not be sorted; when two share an
// instant, the one later in the slice wins, because it was recorded last.
// Time before the first transition is not covered (Unknown), and transitions
// at or after end are ignored.
func FromTransitions(ts []Transition, end time.Time) Timeline {
	sorted := slices.Clone(ts)
	slices.SortStableFunc(sorted, func(a, b Transition) int { return a.At.Compare(b.At) })
	out := make([]Segment, 0, len(sorted))
	for i, t := range sorted {
		next := end
		if i+1 < len(sorted) && sorted[i+1].At.Before(end) {
			next = sorted[i+1].At
		}
		if t.At.Before(next) {
			out = append(out, Segment{Interval{t.At.UTC(), next.UTC()}, t.State, t.Source})
		}
	}
	return mergeAdjacent(out)
}

// Outage is a recorded outage: the service was in State (normally Down or
// Degraded) during [Start, End) because of Source.
type Outage struct {
	Start, End time.Time
	State      State
	Source     string
}

// FromOutages lays recorded outages over a service that is otherwise up
// during [from, to), which is what a service with no checks but hand-recorded
// outages looks like. Outages are clipped to [from, to), so build it over all
// the history there is (not just a report's range) to let outages that cross
// the range be merged and measured whole. Where outages overlap, the worst
// state wins and, between equal states, the one that sorts first by (start,
// end, state, source): the result never depends on the order in which the
// outages were recorded.
func FromOutages(from, to time.Time, outages []Outage) Timeline {
	if !from.Before(to) {
		return nil
	}
	sorted := slices.Clone(outages)
	slices.SortFunc(sorted, func(a, b Outage) int {
		return cmp.Or(a.Start.Compare(b.Start), a.End.Compare(b.End), cmp.Compare(a.State, b.State), strings.Compare(a.Source, b.Source))
	})
	in := make([]ranked, 0, len(sorted)+1)
	in = append(in, ranked{Segment{Interval{from.UTC(), to.UTC()}, Up, ""}, len(sorted)})
	for i, o := range sorted {
		s, e := later(o.Start, from), earlier(o.End, to)
		if s.Before(e) {
			in = append(in, ranked{Segment{Interval{s.UTC(), e.UTC()}, o.State, o.Source}, i})
		}
	}
	return resolve(in)
}

// NewTimeline brings arbitrary segments (any order, possibly overlapping)
// into timeline form. Where segments overlap the worst state wins, and
// between equal states the one earlier in the slice.
func NewTimeline(segs []Segment) Timeline {
	in := make([]ranked, 0, len(segs))
	for i, s := range segs {
		if s.Start.Before(s.End) {
			s.Start, s.End = s.Start.UTC(), s.End.UTC()
			in = append(in, ranked{s, i})
		}
	}
	return resolve(in)
}

// Combine merges several inputs for one service (checks, alerts, recorded
// outages) into one timeline: at every instant the worst state wins (see
// State.Severity), keeping the source of the winning input; between inputs
// in the same state, the one earlier in the argument list wins. Within the
// span the inputs cover together, an input that covers nothing at some
// instant counts as Unknown there (with an empty source).
func Combine(inputs ...Timeline) Timeline {
	var lo, hi time.Time
	n := 0
	for _, tl := range inputs {
		if len(tl) == 0 {
			continue
		}
		s, e := tl.Span()
		if n == 0 || s.Before(lo) {
			lo = s
		}
		if n == 0 || e.After(hi) {
			hi = e
		}
		n += len(tl)
	}
	in := make([]ranked, 0, n+len(inputs))
	for rank, tl := range inputs {
		cur := lo
		for _, s := range tl {
			if s.Start.After(cur) {
				in = append(in, ranked{Segment{Interval{cur, s.Start}, Unknown, ""}, rank})
			}
			in = append(in, ranked{s, rank})
			cur = later(cur, s.End)
		}
		if cur.Before(hi) {
			in = append(in, ranked{Segment{Interval{cur, hi}, Unknown, ""}, rank})
		}
	}
	return resolve(in)
}

// Derive applies dependencies to a service's own timeline: the service is
// down while a hard dependency is down, and degraded while a soft dependency
// is degraded or down; otherwise its own state holds, and the worst state
// wins as in Combine (its own state wins ties). Intervals caused by a
// dependency carry the source "dependency:" followed by the dependency
// segment's source, so relabel each dependency's timeline with its name
// first (Timeline.Relabel) to get "dependency:database".
//
// A dependency's Unknown (or uncovered) time does not affect the dependent:
// not knowing whether a dependency is up is no evidence that the dependent is
// impaired, and counting it would degrade every service whenever a shared
// dependency lacks data. The dependent's own gaps stay gaps.
func Derive(own Timeline, hard, soft []Timeline) Timeline {
	in := make([]ranked, 0, len(own))
	for _, s := range own {
		in = append(in, ranked{s, 0})
	}
	rank := 1
	add := func(tl Timeline, hit func(State) bool, as State) {
		for _, s := range tl {
			if hit(s.State) {
				src := "dependency"
				if s.Source != "" {
					src += ":" + s.Source
				}
				in = append(in, ranked{Segment{s.Interval, as, src}, rank})
			}
		}
		rank++
	}
	for _, tl := range hard {
		add(tl, func(s State) bool { return s == Down }, Down)
	}
	for _, tl := range soft {
		add(tl, func(s State) bool { return s == Down || s == Degraded }, Degraded)
	}
	return resolve(in)
}

// ranked is a segment with a tie-break rank: lower wins between equal states.
type ranked struct {
	Segment
	rank int
}

// resolve sweeps over possibly overlapping ranked segments and returns the
// timeline where, at each instant, the covering segment with the worst state
// (then the lowest rank, then the earliest in the slice) wins.
func resolve(in []ranked) Timeline {
	if len(in) == 0 {
		return nil
	}
	bounds := make([]time.Time, 0, 2*len(in))
	for _, r := range in {
		bounds = append(bounds, r.Start, r.End)
	}
	slices.SortFunc(bounds, time.Time.Compare)
	bounds = slices.CompactFunc(bounds, time.Time.Equal)
	order := make([]int, len(in))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return in[a].Start.Compare(in[b].Start) })

	out := make([]Segment, 0, len(bounds))
	var active []int
	next := 0
	for k := 0; k+1 < len(bounds); k++ {
		at, end := bounds[k], bounds[k+1]
		for next < len(order) && !in[order[next]].Start.After(at) {
			active = append(active, order[next])
			next++
		}
		w := 0
		for _, i := range active {
			if in[i].End.After(at) {
				active[w] = i
				w++
			}
		}
		active = active[:w]
		best := -1
		for _, i := range active {
			if best < 0 || better(in[i], in[best], i, best) {
				best = i
			}
		}
		if best < 0 {
			continue
		}
		seg := Segment{Interval{at, end}, in[best].State, in[best].Source}
		if n := len(out); n > 0 && out[n-1].End.Equal(at) && out[n-1].State == seg.State && out[n-1].Source == seg.Source {
			out[n-1].End = end
			continue
		}
		out = append(out, seg)
	}
	return out
}

func better(a, b ranked, ai, bi int) bool {
	if sa, sb := a.State.Severity(), b.State.Severity(); sa != sb {
		return sa > sb
	}
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return ai < bi
}

// mergeAdjacent joins touching segments with equal state and source.
func mergeAdjacent(segs []Segment) Timeline {
	if len(segs) == 0 {
		return nil
	}
	w := 0
	for _, s := range segs[1:] {
		p := &segs[w]
		if p.End.Equal(s.Start) && p.State == s.State && p.Source == s.Source {
			p.End = s.End
			continue
		}
		w++
		segs[w] = s
	}
	return Timeline(segs[:w+1])
}

// wellFormed reports whether tl is sorted and free of overlaps, the form the
// report code relies on.
func (tl Timeline) wellFormed() bool {
	for i, s := range tl {
		if !s.Start.Before(s.End) {
			return false
		}
		if i > 0 && s.Start.Before(tl[i-1].End) {
			return false
		}
	}
	return true
}
