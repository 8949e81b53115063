package availability

import (
	"slices"
	"time"
)

// Interval is a half-open span of time [Start, End). Half-open intervals can be
// laid end to end without double-counting the instant where they meet, which is
// what makes "splitting a range adds up to the whole" hold exactly.
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Duration returns the length of the interval, or 0 when it is empty or
// reversed, so that callers can sum lengths without checking first.
func (i Interval) Duration() time.Duration {
	if !i.Start.Before(i.End) {
		return 0
	}
	return i.End.Sub(i.Start)
}

// Empty reports whether the interval contains no instant at all.
func (i Interval) Empty() bool { return !i.Start.Before(i.End) }

// Set is a sorted list of disjoint, non-empty, non-touching intervals. Every
// operation of this package returns a normalised Set, so two equal sets of
// instants always compare equal element by element; build one from arbitrary
// input with Normalize.
type Set []Interval

// Normalize turns arbitrary intervals (unsorted, overlapping, touching, empty
// or reversed) into a Set, so that any input can be fed to the set arithmetic.
// Instants are converted to UTC and lose any monotonic clock reading, because
// the engine works on absolute instants only. The input slice is not modified.
func Normalize(in []Interval) Set {
	out := make(Set, 0, len(in))
	for _, iv := range in {
		if iv.Start.Before(iv.End) {
			out = append(out, Interval{iv.Start.UTC(), iv.End.UTC()})
		}
	}
	if len(out) < 2 {
		return out
	}
	if !slices.IsSortedFunc(out, cmpStart) {
		slices.SortFunc(out, cmpStart)
	}
	return coalesce(out)
}

func cmpStart(a, b Interval) int { return a.Start.Compare(b.Start) }

// coalesce merges overlapping and touching neighbours of a slice that is
// already sorted by start, in place.
func coalesce(s Set) Set {
	if len(s) == 0 {
		return s
	}
	w := 0
	for _, iv := range s[1:] {
		if !iv.Start.After(s[w].End) {
			if iv.End.After(s[w].End) {
				s[w].End = iv.End
			}
			continue
		}
		w++
		s[w] = iv
	}
	return s[:w+1]
}

// Duration returns the total length of the set. It assumes a normalised set;
// on overlapping input it counts shared time more than once.
func (s Set) Duration() time.Duration {
	var d time.Duration
	for _, iv := range s {
		d += iv.Duration()
	}
	return d
}

// Union returns every instant that is in s or in o.
func (s Set) Union(o Set) Set {
	if len(o) == 0 {
		return slices.Clone(s)
	}
	if len(s) == 0 {
		return slices.Clone(o)
	}
	out := make(Set, 0, len(s)+len(o))
	i, j := 0, 0
	for i < len(s) || j < len(o) {
		var next Interval
		if j >= len(o) || (i < len(s) && s[i].Start.Before(o[j].Start)) {
			next = s[i]
			i++
		} else {
			next = o[j]
			j++
		}
		if n := len(out); n > 0 && !next.Start.After(out[n-1].End) {
			if next.End.After(out[n-1].End) {
				out[n-1].End = next.End
			}
			continue
		}
		out = append(out, next)
	}
	return out
}

// Intersect returns every instant that is in both s and o.
func (s Set) Intersect(o Set) Set {
	var out Set
	i, j := 0, 0
	for i < len(s) && j < len(o) {
		start := later(s[i].Start, o[j].Start)
		end := earlier(s[i].End, o[j].End)
		if start.Before(end) {
			out = append(out, Interval{start, end})
		}
		if s[i].End.Before(o[j].End) {
			i++
		} else {
			j++
		}
	}
	return out
}

// Subtract returns every instant of s that is not in o; it is how maintenance
// and holidays are taken out of service hours.
func (s Set) Subtract(o Set) Set {
	if len(o) == 0 {
		return slices.Clone(s)
	}
	out := make(Set, 0, len(s))
	j := 0
	for _, iv := range s {
		cur := iv.Start
		for j < len(o) && !o[j].End.After(cur) {
			j++
		}
		k := j
		for k < len(o) && o[k].Start.Before(iv.End) {
			if o[k].Start.After(cur) {
				out = append(out, Interval{cur, o[k].Start})
			}
			if o[k].End.After(cur) {
				cur = o[k].End
			}
			if !cur.Before(iv.End) {
				break
			}
			k++
		}
		if cur.Before(iv.End) {
			out = append(out, Interval{cur, iv.End})
		}
	}
	return out
}

// Clip returns the part of s inside [from, to); reports use it to cut
// everything down to their range.
func (s Set) Clip(from, to time.Time) Set {
	if !from.Before(to) {
		return nil
	}
	lo, _ := slices.BinarySearchFunc(s, from, func(iv Interval, t time.Time) int {
		if iv.End.After(t) {
			return 1
		}
		return -1
	})
	hi, _ := slices.BinarySearchFunc(s, to, func(iv Interval, t time.Time) int {
		if iv.Start.Before(t) {
			return -1
		}
		return 1
	})
	if lo >= hi {
		return nil
	}
	out := make(Set, hi-lo)
	copy(out, s[lo:hi])
	out[0].Start = later(out[0].Start, from)
	out[len(out)-1].End = earlier(out[len(out)-1].End, to)
	return out
}

// overlap returns |s ∩ o| without building the intersection. It is the
// hot path of Evaluate.
func (s Set) overlap(o Set) time.Duration {
	var d time.Duration
	i, j := 0, 0
	for i < len(s) && j < len(o) {
		start := later(s[i].Start, o[j].Start)
		end := earlier(s[i].End, o[j].End)
		if start.Before(end) {
			d += end.Sub(start)
		}
		if s[i].End.Before(o[j].End) {
			i++
		} else {
			j++
		}
	}
	return d
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
