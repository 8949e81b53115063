package timeline

import (
	"context"
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
	TimelineItems(ctx context.Context) (map[string]Item, error)
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
	if tl, ok := s.itemMemo[name]; ok {
		return tl
	}
	it, ok := s.items[name]
	if !ok {
		return nil
	}
	// A cycle (refused when items are validated) reads as no effect
	// rather than a loop.
	s.itemMemo[name] = nil
	via := "ci:" + name + " via "
	segs := []availability.Segment{{Interval: availability.Interval{Start: epoch, End: s.Now}, State: availability.Up}}
	for _, c := range it.Checks {
		for _, seg := range inputTimeline(s.inputs[c.Service]["check:"+c.Check], s.Now) {
			if seg.State != availability.Up {
				seg.Source = via + seg.Source
				segs = append(segs, seg)
			}
		}
	}
	dep := func(names []string, hit func(availability.State) bool, as availability.State) {
		for _, d := range names {
			for _, seg := range s.ItemTimeline(d) {
				if hit(seg.State) {
					segs = append(segs, availability.Segment{Interval: seg.Interval, State: as, Source: via + seg.Source})
				}
			}
		}
	}
	dep(it.Hard, func(st availability.State) bool { return st == availability.Down }, availability.Down)
	dep(it.Soft, func(st availability.State) bool { return st == availability.Down || st == availability.Degraded }, availability.Degraded)
	if len(it.Members) > 0 {
		segs = append(segs, s.clusterDown(name, it)...)
	}
	tl := availability.NewTimeline(segs)
	s.itemMemo[name] = tl
	return tl
}

// clusterDown returns the stretches where fewer than MinUp members of a
// cluster are up (not down), each named after a member that was down.
func (s *Snapshot) clusterDown(name string, it Item) []availability.Segment {
	minUp := max(it.MinUp, 1)
	members := make([]availability.Timeline, len(it.Members))
	bounds := []time.Time{epoch, s.Now}
	for i, m := range it.Members {
		members[i] = s.ItemTimeline(m)
		for _, seg := range members[i] {
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
	for _, c := range s.items[name].Checks {
		st, _ := inputTimeline(s.inputs[c.Service]["check:"+c.Check], s.Now).At(s.Now.Add(-time.Millisecond))
		if st.Severity() > worst.Severity() {
			worst = st
		}
	}
	return worst
}
