package timeline

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
)

// Item is a configuration item as a service's timeline sees it (the CMDB
// keeps the item itself): the checks that watch it, the items it rests on
// hard (it is down while they are down) and soft (degraded while they are
// not up), and, for a cluster, its members and how many must be up.
type Item struct {
	Checks  []ItemCheck
	Hard    []string
	Soft    []string
	Members []string
	MinUp   int
}

// ItemCheck names a check watching an item; its transitions are stored
// under the check's service.
type ItemCheck struct {
	Service string
	Check   string
}

// Items supplies the configuration items at each snapshot.
type Items interface {
	TimelineItems(ctx context.Context) (*ItemSet, error)
}

// ItemSet is the configuration items indexed for the timelines, so that
// following what an item rests on costs a slice index rather than a
// lookup by name. Build it once per version of the items (NewItemSet):
// snapshots share it and only read it.
type ItemSet struct {
	index map[string]int
	items []Item
	names []string
	// hard and soft are Item's lists as indexes, names of items not in the
	// set left out (they affect nothing); members keeps them as -1, a
	// member with no timeline, which counts as not down.
	hard, soft, members [][]int
}

// NewItemSet indexes items.
func NewItemSet(items map[string]Item) *ItemSet {
	set := &ItemSet{index: make(map[string]int, len(items))}
	for _, name := range slices.Sorted(maps.Keys(items)) {
		set.index[name] = len(set.names)
		set.names = append(set.names, name)
		set.items = append(set.items, items[name])
	}
	indexes := func(names []string, keepUnknown bool) []int {
		var out []int
		for _, n := range names {
			if i, ok := set.index[n]; ok {
				out = append(out, i)
			} else if keepUnknown {
				out = append(out, -1)
			}
		}
		return out
	}
	for _, it := range set.items {
		set.hard = append(set.hard, indexes(it.Hard, false))
		set.soft = append(set.soft, indexes(it.Soft, false))
		set.members = append(set.members, indexes(it.Members, true))
	}
	return set
}

// Len is the number of items in the set.
func (set *ItemSet) Len() int {
	if set == nil {
		return 0
	}
	return len(set.items)
}

// SetItems makes services' timelines follow the configuration items they
// depend on. Call it while wiring, before the reporter is used.
func (r *Reporter) SetItems(items Items) { r.items = items }

// ItemTimeline is a configuration item's state timeline up to the
// snapshot's now: up where nothing says otherwise; down or degraded while a
// check watching it is; down while an item it rests on hard is down,
// degraded while one it rests on soft is not up; and, for a cluster, down
// while fewer than min_up of its members are up. Every interval's source
// starts "ci:NAME via …" and follows the failure down to the check that
// saw it ("ci:web via ci:vm-1 via check:vm-1-ping: timeout"). An unknown
// item has an empty timeline: it affects nothing.
func (s *Snapshot) ItemTimeline(name string) availability.Timeline {
	if s.items == nil {
		return nil
	}
	i, ok := s.items.index[name]
	if !ok {
		return nil
	}
	return s.itemTimeline(i)
}

func (s *Snapshot) itemTimeline(i int) availability.Timeline {
	if s.itemMemo == nil {
		s.itemMemo = make([]availability.Timeline, len(s.items.items))
		s.itemDone = make([]bool, len(s.items.items))
	}
	if s.itemDone[i] {
		return s.itemMemo[i]
	}
	// A cycle (refused when items are validated) reads as no effect
	// rather than a loop.
	s.itemDone[i] = true
	it := s.items.items[i]
	// Most items are up all along: what is not up is collected first, and
	// the "via" prefix made only for an item that has some.
	var segs []availability.Segment
	via := func() string { return "ci:" + s.items.names[i] + " via " }
	for _, c := range it.Checks {
		for _, seg := range inputTimeline(s.inputs[c.Service]["check:"+c.Check], s.Now) {
			if seg.State != availability.Up {
				seg.Source = via() + seg.Source
				segs = append(segs, seg)
			}
		}
	}
	dep := func(deps []int, hit func(availability.State) bool, as availability.State) {
		for _, d := range deps {
			for _, seg := range s.itemTimeline(d) {
				if hit(seg.State) {
					segs = append(segs, availability.Segment{Interval: seg.Interval, State: as, Source: via() + seg.Source})
				}
			}
		}
	}
	dep(s.items.hard[i], func(st availability.State) bool { return st == availability.Down }, availability.Down)
	dep(s.items.soft[i], func(st availability.State) bool { return st == availability.Down || st == availability.Degraded }, availability.Degraded)
	if len(s.items.members[i]) > 0 {
		segs = append(segs, s.clusterDown(i)...)
	}
	up := availability.Segment{Interval: availability.Interval{Start: epoch, End: s.Now}, State: availability.Up}
	var tl availability.Timeline
	if len(segs) == 0 {
		// One interval, shared by every such item of the snapshot.
		if s.allUp == nil {
			s.allUp = availability.Timeline{up}
		}
		tl = s.allUp
	} else {
		tl = availability.NewTimeline(append([]availability.Segment{up}, segs...))
	}
	s.itemMemo[i] = tl
	return tl
}

// clusterDown returns the stretches where fewer than MinUp members of a
// cluster are up (not down), each named after a member that was down.
func (s *Snapshot) clusterDown(i int) []availability.Segment {
	it, name := s.items.items[i], s.items.names[i]
	minUp := max(it.MinUp, 1)
	ms := s.items.members[i]
	// No member ever down, as is most often so: the cluster never is
	// (unless min_up asks more members than it has).
	down := false
	for _, m := range ms {
		if m >= 0 && slices.ContainsFunc(s.itemTimeline(m), func(seg availability.Segment) bool { return seg.State == availability.Down }) {
			down = true
			break
		}
	}
	if !down && minUp <= len(ms) {
		return nil
	}
	members := make([]availability.Timeline, len(ms))
	bounds := []time.Time{epoch, s.Now}
	for k, m := range ms {
		if m < 0 {
			continue
		}
		members[k] = s.itemTimeline(m)
		for _, seg := range members[k] {
			bounds = append(bounds, seg.Start, seg.End)
		}
	}
	slices.SortFunc(bounds, time.Time.Compare)
	bounds = slices.CompactFunc(bounds, time.Time.Equal)
	var out []availability.Segment
	for k := 0; k+1 < len(bounds); k++ {
		at := bounds[k]
		if at.Before(epoch) || !at.Before(s.Now) {
			continue
		}
		up, src := 0, ""
		for _, tl := range members {
			st, source := tl.At(at)
			if st != availability.Down {
				up++
			} else if src == "" {
				src = source
			}
		}
		if up < minUp {
			out = append(out, availability.Segment{Interval: availability.Interval{Start: at, End: bounds[k+1]}, State: availability.Down,
				Source: "ci:" + name + " via " + strconv.Itoa(up) + " of " + strconv.Itoa(len(members)) + " members up (min_up " + strconv.Itoa(minUp) + "), " + src})
		}
	}
	return out
}

// ItemState is an item's state at the snapshot's now, and ItemOwnState
// the state its own checks give it (what it rests on left out): the
// inputs impact analysis starts from.
func (s *Snapshot) ItemState(name string) availability.State {
	st, _ := s.ItemTimeline(name).At(s.Now.Add(-time.Millisecond))
	return st
}

// ItemOwnState is the worst state the item's own checks report at now.
func (s *Snapshot) ItemOwnState(name string) availability.State {
	worst := availability.Up
	if s.items == nil {
		return worst
	}
	i, ok := s.items.index[name]
	if !ok {
		return worst
	}
	for _, c := range s.items.items[i].Checks {
		st, _ := inputTimeline(s.inputs[c.Service]["check:"+c.Check], s.Now).At(s.Now.Add(-time.Millisecond))
		if st.Severity() > worst.Severity() {
			worst = st
		}
	}
	return worst
}
