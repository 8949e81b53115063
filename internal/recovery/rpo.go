// Package recovery measures backups and disaster recovery against what the
// business asks: the achieved RPO of backup jobs (heartbeat checks of kind
// backup) at any instant and their compliance over a period, the restore
// tests recorded per job, DR plans per service with their warnings, and
// drills (and real recoveries) with their achieved RTO and RPO judged
// against the plan. The rules are pure functions of their inputs and a
// given now; the store keeps runs, restore tests, plans and drills.
package recovery

import (
	"slices"
	"time"
)

// The outcomes of a backup run, as the job reports them by pinging.
const (
	RunStart   = "start"
	RunSuccess = "success"
	RunFail    = "fail"
)

// Run is one report of a backup job: it started, failed, or succeeded,
// the latter with the point in time its copy reached and its size when
// the job says so.
type Run struct {
	ID      int64     `json:"id"`
	Check   string    `json:"check"`
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"`
	// DataPoint is the instant the backup's data reached; zero when the
	// job did not say, and then the ping's own time stands for it.
	DataPoint time.Time `json:"data_point,omitzero"`
	// Bytes is the backup's size; nil when the job did not say.
	Bytes *int64 `json:"bytes,omitempty"`
}

// Point is the instant a successful run's data reached: its data point,
// else the time it was reported.
func (r Run) Point() time.Time {
	if r.DataPoint.IsZero() {
		return r.At
	}
	return r.DataPoint
}

// reference is the data point achieved RPO is measured from at t: the
// latest point of the successful runs reported by t, else since (when the
// job began to be watched); ok is false when t is before since too.
func reference(runs []Run, since, t time.Time) time.Time {
	ref := since
	for _, r := range runs {
		if r.Outcome != RunSuccess || r.At.After(t) {
			continue
		}
		if p := r.Point(); p.After(ref) {
			ref = p
		}
	}
	return ref
}

// AchievedRPO is the data that would be lost at t: t minus the data point
// of the last successful backup reported by t. Before any, it counts from
// since, when the job began to be watched. It is never negative.
func AchievedRPO(runs []Run, since, t time.Time) time.Duration {
	return max(t.Sub(reference(runs, since, t)), 0)
}

// Span is a stretch of time [From, To) in which a job was within its RPO
// or not.
type Span struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Breached bool      `json:"breached"`
}

// Spans lays [from, to) out in stretches within and beyond rpo. A job is
// in breach at t when its achieved RPO exceeds rpo: from the instant its
// last data point plus rpo passes until a success whose data point brings
// it back within. Neighbouring stretches of the same kind are merged.
func Spans(runs []Run, rpo time.Duration, since, from, to time.Time) []Span {
	if !from.Before(to) {
		return nil
	}
	// The instants the reference can change: each success's report.
	cuts := []time.Time{from}
	for _, r := range runs {
		if r.Outcome == RunSuccess && r.At.After(from) && r.At.Before(to) {
			cuts = append(cuts, r.At)
		}
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })
	cuts = append(cuts, to)
	var out []Span
	add := func(a, b time.Time, breached bool) {
		if !a.Before(b) {
			return
		}
		if n := len(out); n > 0 && out[n-1].Breached == breached && out[n-1].To.Equal(a) {
			out[n-1].To = b
			return
		}
		out = append(out, Span{From: a, To: b, Breached: breached})
	}
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		deadline := reference(runs, since, a).Add(rpo)
		switch {
		case !deadline.After(a):
			add(a, b, true)
		case deadline.Before(b):
			add(a, deadline, false)
			add(deadline, b, true)
		default:
			add(a, b, false)
		}
	}
	return out
}

// Compliance is the share of [from, to) a job spent within its RPO, from 0
// to 1; 1 for an empty span.
func Compliance(spans []Span) float64 {
	var total, within time.Duration
	for _, s := range spans {
		d := s.To.Sub(s.From)
		total += d
		if !s.Breached {
			within += d
		}
	}
	if total == 0 {
		return 1
	}
	return float64(within) / float64(total)
}

// Breaches counts the stretches beyond the RPO.
func Breaches(spans []Span) int {
	n := 0
	for _, s := range spans {
		if s.Breached {
			n++
		}
	}
	return n
}

// Sample is achieved RPO at one instant, for a chart.
type Sample struct {
	At  time.Time     `json:"at"`
	RPO time.Duration `json:"-"`
	// Seconds is RPO in whole seconds, as the API shows it.
	Seconds int64 `json:"rpo_seconds"`
}

func sample(at time.Time, rpo time.Duration) Sample {
	return Sample{At: at, RPO: rpo, Seconds: int64(rpo / time.Second)}
}

// Series is achieved RPO over [from, to] as the points of its sawtooth:
// it grows by one second a second and drops at each success, so the
// value just before and at each success, and at both ends, draw it whole.
func Series(runs []Run, since, from, to time.Time) []Sample {
	if to.Before(from) {
		return nil
	}
	out := []Sample{sample(from, AchievedRPO(runs, since, from))}
	var ats []time.Time
	for _, r := range runs {
		if r.Outcome == RunSuccess && r.At.After(from) && r.At.Before(to) {
			ats = append(ats, r.At)
		}
	}
	slices.SortFunc(ats, func(a, b time.Time) int { return a.Compare(b) })
	ats = slices.CompactFunc(ats, func(a, b time.Time) bool { return a.Equal(b) })
	for _, at := range ats {
		before := reference(runs, since, at.Add(-time.Nanosecond))
		out = append(out, sample(at, max(at.Sub(before), 0)), sample(at, AchievedRPO(runs, since, at)))
	}
	return append(out, sample(to, AchievedRPO(runs, since, to)))
}

// Deadline is the instant a job at reference point ref breaches rpo.
func Deadline(ref time.Time, rpo time.Duration) time.Time { return ref.Add(rpo) }
