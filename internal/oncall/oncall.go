package oncall

import (
	"slices"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
)

// Compiled is a checked schedule, ready to answer questions. It is
// immutable, so one value may be shared and read from any goroutine; a
// configuration reload builds a new one.
type Compiled struct {
	name      string
	loc       *time.Location
	layers    []layer
	overrides []override
}

// layer is a compiled Layer. Exactly one of days and length is set.
type layer struct {
	members []string

	// Rotations of whole days: hand-off k is at the wall-clock time handoff
	// on local day anchorDay + k*days (days since 1970-01-01).
	days      int
	anchorDay int64
	handoff   availability.Clock

	// Rotations of fixed length: hand-off k is at anchor + k*length.
	length time.Duration
	anchor time.Time

	// hours limits the layer to its restriction windows; nil means always.
	hours *availability.Calendar
}

type override struct {
	user       string
	start, end time.Time
}

// Shift is one stretch of the final schedule: who is on call from Start to
// End, and which layer put them there (-1 for an override). Times are UTC.
type Shift struct {
	User  string    `json:"user"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Layer int       `json:"layer"`
}

// OverrideLayer is Shift.Layer for a shift that comes from an override.
const OverrideLayer = -1

// Name returns the schedule's name.
func (c *Compiled) Name() string { return c.name }

// Location returns the zone the schedule's hand-offs and windows are read in.
func (c *Compiled) Location() *time.Location { return c.loc }

// OnCall returns who is on call at the instant at: one user, or none when no
// layer covers it. It is a slice so that the API can stay the same if layers
// ever put several people on call at once. It never returns nil, so that
// the API answers "users": [] rather than null.
//
// It is computed from Shifts, so the two can never disagree.
func (c *Compiled) OnCall(at time.Time) []string {
	users := []string{}
	for _, s := range c.Shifts(at, at.Add(time.Nanosecond)) {
		users = append(users, s.User)
	}
	return users
}

// Shifts returns the final schedule over [from, to): sorted, non-overlapping
// shifts clipped to the range, with adjacent shifts of the same user merged
// (whichever layers they came from; Layer is that of the first piece) and
// nothing where nobody is on call. The work is proportional to the number of
// hand-offs in the range, so callers answering the public API should bound
// the range.
func (c *Compiled) Shifts(from, to time.Time) []Shift {
	if !from.Before(to) {
		return nil
	}
	from, to = from.UTC(), to.UTC()

	// Each source (layer or override) contributes sorted, disjoint pieces.
	// The final schedule changes only at their edges, so walk the edges in
	// order and ask, for each elementary span, which source is on top.
	layerPieces := make([][]piece, len(c.layers))
	edges := []time.Time{from, to}
	for i, l := range c.layers {
		layerPieces[i] = l.pieces(c.loc, from, to)
		for _, p := range layerPieces[i] {
			edges = append(edges, p.start, p.end)
		}
	}
	var ovs []override
	for _, o := range c.overrides {
		if o.start.Before(to) && o.end.After(from) {
			o.start, o.end = later(o.start, from).UTC(), earlier(o.end, to).UTC()
			ovs = append(ovs, o)
			edges = append(edges, o.start, o.end)
		}
	}
	slices.SortFunc(edges, time.Time.Compare)
	edges = slices.CompactFunc(edges, time.Time.Equal)

	next := make([]int, len(c.layers)) // per layer, the first piece not yet passed
	var out []Shift
	for e := 0; e+1 < len(edges); e++ {
		s, end := edges[e], edges[e+1]
		user, src, ok := "", 0, false
		for i := len(ovs) - 1; i >= 0 && !ok; i-- {
			if !ovs[i].start.After(s) && ovs[i].end.After(s) {
				user, src, ok = ovs[i].user, OverrideLayer, true
			}
		}
		for i := len(c.layers) - 1; i >= 0; i-- {
			ps := layerPieces[i]
			for next[i] < len(ps) && !ps[next[i]].end.After(s) {
				next[i]++
			}
			if !ok && next[i] < len(ps) && !ps[next[i]].start.After(s) {
				user, src, ok = ps[next[i]].user, i, true
			}
		}
		if !ok {
			continue
		}
		if n := len(out); n > 0 && out[n-1].User == user && out[n-1].End.Equal(s) {
			out[n-1].End = end
			continue
		}
		out = append(out, Shift{User: user, Start: s, End: end, Layer: src})
	}
	return out
}

// piece is one member's turn on one layer, already cut by the layer's
// restriction windows and the requested range.
type piece struct {
	start, end time.Time
	user       string
}

// pieces returns the layer's turns within [from, to), in order.
func (l layer) pieces(loc *time.Location, from, to time.Time) []piece {
	var turns []piece
	add := func(k int64, s, e time.Time) {
		if e.After(from) && s.Before(to) {
			turns = append(turns, piece{later(s, from), earlier(e, to), l.member(k)})
		}
	}
	if l.days > 0 {
		d := int64(l.days)
		// The turn holding from began on its local day or up to one turn
		// earlier (when that day's hand-off is still ahead of from).
		k := floorDiv(localDay(from, loc)-l.anchorDay, d) - 1
		for s := l.handoffAt(loc, k); s.Before(to); k++ {
			e := l.handoffAt(loc, k+1)
			add(k, s, e)
			s = e
		}
	} else {
		// Whole seconds keep the arithmetic exact and free of the ±292-year
		// limit of time.Duration.
		a, n := l.anchor.Unix(), int64(l.length/time.Second)
		k := floorDiv(from.Unix()-a, n)
		for s := time.Unix(a+k*n, 0); s.Before(to); k++ {
			e := time.Unix(a+(k+1)*n, 0)
			add(k, s, e)
			s = e
		}
	}
	if l.hours == nil || len(turns) == 0 {
		return turns
	}
	return restrict(turns, l.hours.Hours(from, to))
}

// handoffAt returns the instant of hand-off k of a rotation of whole days.
func (l layer) handoffAt(loc *time.Location, k int64) time.Time {
	return wallInstant(loc, l.anchorDay+k*int64(l.days), l.handoff)
}

// member returns who has turn k, counting around the list in both
// directions from the anchor.
func (l layer) member(k int64) string {
	n := int64(len(l.members))
	return l.members[(k%n+n)%n]
}

// restrict intersects sorted, disjoint turns with sorted, disjoint hours.
func restrict(turns []piece, hours availability.Set) []piece {
	var out []piece
	i, j := 0, 0
	for i < len(turns) && j < len(hours) {
		s, e := later(turns[i].start, hours[j].Start), earlier(turns[i].end, hours[j].End)
		if s.Before(e) {
			out = append(out, piece{s, e, turns[i].user})
		}
		if turns[i].end.Before(hours[j].End) {
			i++
		} else {
			j++
		}
	}
	return out
}

// wallInstant returns the instant at which the wall clock of loc reads
// clock on day (days since 1970-01-01). A wall time that occurs twice (a
// fall-back night) means its first occurrence, and one that does not occur
// (inside a spring-forward gap) means the moment the clocks jump: the
// hand-off happens as soon as the clock has passed it, the same rule the
// availability calendar uses for service hours.
func wallInstant(loc *time.Location, day int64, clock availability.Clock) time.Time {
	w := day*86400 + int64(clock)*60
	// Offsets run from -12 h to +14 h, so the instant lies within a day of
	// w read as UTC; the offsets a day either side cover any change near it.
	_, offA := time.Unix(w-86400, 0).In(loc).Zone()
	_, offB := time.Unix(w+86400, 0).In(loc).Zone()
	best, found := int64(0), false
	for _, off := range []int64{int64(offA), int64(offB)} {
		u := w - off
		if _, o := time.Unix(u, 0).In(loc).Zone(); int64(o) == off && (!found || u < best) {
			best, found = u, true
		}
	}
	if found {
		return time.Unix(best, 0).UTC()
	}
	// In a gap: read with the earlier offset, the instant is already past
	// the change, and the zone period it falls in begins at the change.
	if start, _ := time.Unix(w-int64(offA), 0).In(loc).ZoneBounds(); !start.IsZero() {
		return start.UTC()
	}
	return time.Unix(w-int64(offA), 0).UTC()
}

// dayNumber returns the number of days since 1970-01-01 of a civil date.
func dayNumber(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// localDay returns the day number of the wall-clock date of t in loc.
func localDay(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

// weekdayOf returns the weekday of a day number (1970-01-01 was a Thursday).
func weekdayOf(day int64) time.Weekday { return time.Weekday(((day+4)%7 + 7) % 7) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
