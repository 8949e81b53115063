package availability

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Objective is what a service promises: over each Period, in the service
// hours of Hours and outside Maintenance, availability of at least Target,
// no outage longer than MaxOutage and no more than MaxOutages outages. The
// other fields say how states count (Degraded, UnknownDown), how down runs
// become outages (MergeGap, MinOutage) and what downtime costs.
type Objective struct {
	Hours        *Calendar     // nil = 24x7
	Period       Period        // zero value = month
	Target       float64       // fraction in (0,1], e.g. 0.995
	MaxOutage    time.Duration // 0 = no limit
	MaxOutages   int           // < 0 = no limit; 0 = no outage tolerated
	Degraded     float64       // weight in [0,1]: 0 = degraded counts as up, 1 = as down
	UnknownDown  bool          // unknown (and uncovered) time counts as down
	MergeGap     time.Duration // down runs separated by less than this are one outage
	MinOutage    time.Duration // outages (after merging) shorter than this are blips
	Maintenance  []Maintenance // planned windows: neither in-hours time nor downtime
	DowntimeCost float64       // money per hour of counted downtime
	Budget       float64       // operating cost per period; carried for cost KPIs, not used by Evaluate
}

// Validate checks the objective's numbers, so that configuration errors are
// reported where they are written rather than surfacing as odd figures.
// Evaluate itself never fails: it clamps what Validate would refuse.
func (o *Objective) Validate() error {
	var errs []error
	if !(o.Target > 0 && o.Target <= 1) {
		errs = append(errs, fmt.Errorf("availability target %v must be above 0%% and at most 100%%", o.Target))
	}
	if !(o.Degraded >= 0 && o.Degraded <= 1) {
		errs = append(errs, fmt.Errorf("degraded weight %v must be between 0 (up) and 1 (down)", o.Degraded))
	}
	if o.MaxOutage < 0 {
		errs = append(errs, errors.New("max_outage must not be negative"))
	}
	if o.MergeGap < 0 {
		errs = append(errs, errors.New("merge_gap must not be negative"))
	}
	if o.MinOutage < 0 {
		errs = append(errs, errors.New("min_outage must not be negative"))
	}
	if !(o.DowntimeCost >= 0) || math.IsInf(o.DowntimeCost, 0) {
		errs = append(errs, fmt.Errorf("downtime_cost %v must be a non-negative number", o.DowntimeCost))
	}
	if !(o.Budget >= 0) || math.IsInf(o.Budget, 0) {
		errs = append(errs, fmt.Errorf("budget %v must be a non-negative number", o.Budget))
	}
	return errors.Join(errs...)
}

// Seconds is a duration that JSON shows as a number of seconds: an integer
// when it is whole ("3600"), otherwise a decimal with up to nine places
// ("1.5"), written from the exact nanosecond count so that no figure is
// rounded on its way out. In Go it stays a time.Duration.
type Seconds time.Duration

// Duration returns the value as a time.Duration.
func (s Seconds) Duration() time.Duration { return time.Duration(s) }

// Float returns the value in seconds, for gauges and charts.
func (s Seconds) Float() float64 { return time.Duration(s).Seconds() }

// String renders the seconds as they appear in JSON and CSV.
func (s Seconds) String() string {
	n := int64(s)
	neg := n < 0
	u := uint64(n)
	if neg {
		u = -u
	}
	whole, frac := u/1e9, u%1e9
	out := strconv.FormatUint(whole, 10)
	if frac != 0 {
		f := fmt.Sprintf("%09d", frac)
		out += "." + strings.TrimRight(f, "0")
	}
	if neg {
		out = "-" + out
	}
	return out
}

// MarshalJSON writes the value as a JSON number of seconds.
func (s Seconds) MarshalJSON() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalJSON reads a JSON number of seconds (up to nanosecond precision).
func (s *Seconds) UnmarshalJSON(b []byte) error {
	txt := strings.TrimSpace(string(b))
	neg := strings.HasPrefix(txt, "-")
	txt = strings.TrimPrefix(txt, "-")
	whole, frac, _ := strings.Cut(txt, ".")
	if whole == "" || !digits(whole) || !digits(frac) || len(frac) > 9 {
		return fmt.Errorf("invalid number of seconds %s", b)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/int64(time.Second)-1 {
		return fmt.Errorf("number of seconds %s is out of range", b)
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	n := w*1e9 + f
	if neg {
		n = -n
	}
	*s = Seconds(n)
	return nil
}

// Compliance says whether the objective was met over the report's range.
// Breaches and Risks name clauses: "availability", "max_outage",
// "max_outages".
type Compliance struct {
	Met      bool     `json:"met"`
	AtRisk   bool     `json:"at_risk"`
	Breaches []string `json:"breaches"`
	Risks    []string `json:"risks"`
}

// OutageReport is one outage as the report lists it. Start and End span the
// whole outage, after merging, even where it reaches outside the report's
// range. Duration is what the longest-outage figure, max_outage and MTTR
// judge: the part of that whole span, merged gaps included, that lies in
// hours, outside maintenance, inside the range and before now. Counted is
// the outage's downtime: the part of its down time alone that counted in
// this report, so Counted ≤ Duration, the difference being merged gaps.
// State is the worst state seen in it and Source lists the distinct sources
// of its down time, in order of appearance, separated by ", ".
type OutageReport struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Duration Seconds   `json:"duration_seconds"`
	Counted  Seconds   `json:"counted_seconds"`
	State    State     `json:"state"`
	Source   string    `json:"source"`
	Ongoing  bool      `json:"ongoing"`
}

// CountedInterval is one stretch of the timeline that counted towards the
// report's downtime: a down stretch of an outage (or a degraded or unknown
// one the objective counts as down) at weight 1, or a degraded stretch at
// the objective's degraded weight. Start and End are the stretch clipped to
// the report's range and to now; InHours is its in-hours, outside-maintenance
// part and Counted is InHours × Weight, rounded to the nanosecond. The
// Counted of a report's intervals add up to its Downtime exactly, so every
// surface can show where each second of downtime came from.
type CountedInterval struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	State   State     `json:"state"`
	Source  string    `json:"source"`
	Weight  float64   `json:"weight"`
	InHours Seconds   `json:"in_hours_seconds"`
	Counted Seconds   `json:"counted_seconds"`
}

// Report is the judgement of one timeline against one objective over
// [From, To), as seen at a given now. Durations are exact (Seconds); JSON
// carries them as seconds and times as RFC 3339 in UTC.
//
// The future part of the range (after now) is treated as follows: it is
// never downtime and never part of an outage; InHours, ErrorBudget,
// ErrorBudgetRemaining and Availability use the whole range, as if the rest
// of it passed without downtime (so Availability is what the period will
// show if nothing more happens, and Met says whether the objective still
// holds); Elapsed, BurnRate, MTBF and the at-risk projection use only the
// in-hours time up to now.
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// InHours is T = |[from,to) ∩ hours − maintenance|.
	InHours Seconds `json:"in_hours_seconds"`
	// Elapsed is the part of InHours before now.
	Elapsed Seconds `json:"elapsed_in_hours_seconds"`
	// Downtime is D, counted downtime before now.
	Downtime Seconds `json:"downtime_seconds"`
	// Availability is 1 − D/T, nil (JSON null) when T is 0.
	Availability *float64 `json:"availability"`
	// Outages is the number of outages that count in the range.
	Outages int `json:"outages"`
	// LongestOutage is the longest Duration in OutageList.
	LongestOutage Seconds `json:"longest_outage_seconds"`
	// MTTR is the mean Duration of the outages; nil without outages.
	MTTR *Seconds `json:"mttr_seconds"`
	// MTBF is the mean in-hours up time between outages, (Elapsed − the
	// outages' durations) / Outages; nil without outages.
	MTBF *Seconds `json:"mtbf_seconds"`
	// ErrorBudget is (1 − target) × T, rounded to the nanosecond.
	ErrorBudget Seconds `json:"error_budget_seconds"`
	// ErrorBudgetRemaining is ErrorBudget − D; negative once overspent.
	ErrorBudgetRemaining Seconds `json:"error_budget_remaining_seconds"`
	// BurnRate is (D / Elapsed) ÷ (1 − target): 1 spends the budget exactly
	// by the end of the range. Nil when Elapsed is 0 or the target is 100%.
	BurnRate *float64 `json:"burn_rate"`
	// DowntimeCost is D in hours × the objective's downtime cost.
	DowntimeCost float64        `json:"downtime_cost"`
	Compliance   Compliance     `json:"compliance"`
	OutageList   []OutageReport `json:"outage_list"`
	// CountedIntervals lists every stretch that counted towards Downtime,
	// in time order; their Counted add up to Downtime.
	CountedIntervals []CountedInterval `json:"counted_intervals"`
}

// Breach and risk clause names, as they appear in Compliance.
const (
	ClauseAvailability = "availability"
	ClauseMaxOutage    = "max_outage"
	ClauseMaxOutages   = "max_outages"
)

// Evaluate judges the timeline tl against objective o over [from, to), as
// seen at now. It follows PRODUCT.md "Availability math":
//
//   - C, the counted time, is [from,to) ∩ hours − maintenance; T = |C|.
//   - A run is a maximal stretch of down time; Unknown (and time the
//     timeline does not cover) joins runs when UnknownDown is set, and
//     Degraded joins them when the degraded weight is 1 ("degraded: down"),
//     so that degraded time counting fully as downtime also counts as
//     outages. Runs are found on the whole timeline up to now, not only in
//     [from,to), so a report over part of a range agrees with the whole.
//   - Runs separated by less than MergeGap are one outage, spanning the
//     first run's start to the last run's end; only its down time counts.
//   - An outage whose span (start to end of the merged outage, wall-clock)
//     is shorter than MinOutage is a blip and counts neither as an outage
//     nor as downtime. An ongoing outage is judged on its length so far.
//     Time before the timeline's first segment that counts as down because
//     of UnknownDown has no known start and is never a blip.
//   - An outage counts in the report when some of its whole span, merged
//     gaps included, lies in C before now; that part is its duration (what
//     the longest outage, max_outage and MTTR judge), while only the part
//     of its down time in C before now is its downtime. Two 2-minute runs
//     2 minutes apart with a 5-minute merge gap are one outage lasting
//     6 minutes with 4 minutes of downtime. An outage crossing from or to
//     is counted in both reports, each with its own part.
//   - D = the outages' downtime + weight × |degraded ∩ C| before now for
//     each degraded segment, rounded per segment (the second term only
//     when 0 < weight < 1). Every term is one CountedInterval, so the list
//     adds up to D exactly.
//
// Compliance is met when availability ≥ target (exactly: D ≤ (1−target)×T,
// with the target read as the decimal it prints as), the longest outage ≤
// MaxOutage and the count ≤ MaxOutages; each failed clause is a breach.
// While the range is in progress (from ≤ now < to) a clause not yet breached
// is at risk when holding the current rates to the end would breach it:
// availability when the burn rate is above 1; max_outages when Outages ×
// T / Elapsed exceeds MaxOutages (outages keep arriving at the rate seen so
// far); max_outage when an outage is ongoing at now and its duration plus
// the in-hours time left until to exceeds MaxOutage (it does not end before
// the range does). A nil objective means 24x7 with a 100% target and no
// other clause.
func Evaluate(o *Objective, tl Timeline, from, to, now time.Time) Report {
	if o == nil {
		o = &Objective{Target: 1, MaxOutages: -1}
	}
	from, to, now = from.UTC(), to.UTC(), now.UTC()
	if to.Before(from) {
		to = from
	}
	weight := o.Degraded
	if !(weight >= 0) {
		weight = 0
	}
	weight = min(weight, 1)

	hours := o.Hours.Hours(from, to)
	counted := hours
	if len(o.Maintenance) > 0 && len(hours) > 0 {
		var maint Set
		for _, m := range o.Maintenance {
			if m == nil {
				continue
			}
			if iv := m.Intervals(from, to); maint == nil {
				maint = iv
			} else {
				maint = maint.Union(iv)
			}
		}
		counted = hours.Subtract(maint)
	}
	obsEnd := earlier(to, later(now, from))
	observed := counted
	if obsEnd.Before(to) {
		observed = counted.Clip(from, obsEnd)
	}
	T, elapsed := counted.Duration(), observed.Duration()

	if !tl.wellFormed() {
		tl = NewTimeline(tl)
	}
	var down time.Duration
	var list []OutageReport
	var rows []CountedInterval
	var ongoing *OutageReport
	if elapsed > 0 {
		list, rows, down = outages(o, weight, tl, from, to, now, observed)
		if n := len(list); n > 0 && list[n-1].Ongoing {
			ongoing = &list[n-1]
		}
	}
	D := down
	if weight > 0 && weight < 1 && elapsed > 0 {
		var degRows []CountedInterval
		j := 0
		for _, s := range tl {
			if s.State != Degraded || !s.End.After(from) {
				continue
			}
			if !s.Start.Before(obsEnd) {
				break
			}
			in := overlapFrom(observed, &j, s.Interval)
			if in <= 0 {
				continue
			}
			cnt := time.Duration(math.Round(weight * float64(in)))
			D += cnt
			degRows = append(degRows, CountedInterval{Start: later(s.Start, from), End: earlier(s.End, obsEnd),
				State: Degraded, Source: s.Source, Weight: weight, InHours: Seconds(in), Counted: Seconds(cnt)})
		}
		rows = mergeRows(rows, degRows)
	}

	r := Report{From: from, To: to, InHours: Seconds(T), Elapsed: Seconds(elapsed), Downtime: Seconds(D), Outages: len(list)}
	if list == nil {
		list = []OutageReport{}
	}
	if rows == nil {
		rows = []CountedInterval{}
	}
	r.OutageList, r.CountedIntervals = list, rows
	if T > 0 {
		a := float64(T-D) / float64(T)
		r.Availability = &a
	}
	var sum time.Duration
	for _, ol := range list {
		sum += ol.Duration.Duration()
		r.LongestOutage = max(r.LongestOutage, ol.Duration)
	}
	if n := time.Duration(len(list)); n > 0 {
		mttr, mtbf := Seconds(sum/n), Seconds((elapsed-sum)/n)
		r.MTTR, r.MTBF = &mttr, &mtbf
	}

	target := o.Target
	if !(target >= 0) || target > 1 {
		target = 1
	}
	num, den := decimalRat(target)      // target = num/den exactly as printed
	slack := new(big.Int).Sub(den, num) // 1 − target = slack/den
	budget := mulDiv(T, slack, den)
	r.ErrorBudget = Seconds(budget)
	r.ErrorBudgetRemaining = Seconds(budget - D)
	if elapsed > 0 && slack.Sign() > 0 {
		frac, _ := new(big.Rat).SetFrac(slack, den).Float64()
		b := float64(D) / float64(elapsed) / frac
		r.BurnRate = &b
	}
	if cost := o.DowntimeCost; cost > 0 && !math.IsInf(cost, 0) {
		r.DowntimeCost = D.Hours() * cost
	}

	c := Compliance{Breaches: []string{}, Risks: []string{}}
	// exceeds reports whether d × den > t × slack, i.e. d/t > 1 − target.
	exceeds := func(d, t time.Duration) bool {
		l := new(big.Int).Mul(big.NewInt(int64(d)), den)
		return l.Cmp(new(big.Int).Mul(big.NewInt(int64(t)), slack)) > 0
	}
	if T > 0 && exceeds(D, T) {
		c.Breaches = append(c.Breaches, ClauseAvailability)
	}
	if o.MaxOutage > 0 && r.LongestOutage.Duration() > o.MaxOutage {
		c.Breaches = append(c.Breaches, ClauseMaxOutage)
	}
	if o.MaxOutages >= 0 && r.Outages > o.MaxOutages {
		c.Breaches = append(c.Breaches, ClauseMaxOutages)
	}
	c.Met = len(c.Breaches) == 0
	if !now.Before(from) && now.Before(to) && elapsed > 0 {
		breached := func(s string) bool {
			for _, b := range c.Breaches {
				if b == s {
					return true
				}
			}
			return false
		}
		if !breached(ClauseAvailability) && exceeds(D, elapsed) {
			c.Risks = append(c.Risks, ClauseAvailability)
		}
		if !breached(ClauseMaxOutage) && o.MaxOutage > 0 && ongoing != nil &&
			ongoing.Duration.Duration()+(T-elapsed) > o.MaxOutage {
			c.Risks = append(c.Risks, ClauseMaxOutage)
		}
		if !breached(ClauseMaxOutages) && o.MaxOutages >= 0 {
			l := new(big.Int).Mul(big.NewInt(int64(r.Outages)), big.NewInt(int64(T)))
			if l.Cmp(new(big.Int).Mul(big.NewInt(int64(o.MaxOutages)), big.NewInt(int64(elapsed)))) > 0 {
				c.Risks = append(c.Risks, ClauseMaxOutages)
			}
		}
	}
	c.AtRisk = len(c.Risks) > 0
	r.Compliance = c
	return r
}

// piece is a stretch of down time inside a run; gap marks time the timeline
// does not cover.
type piece struct {
	Interval
	state  State
	source string
}

// outages finds the outages of tl, as described on Evaluate, and returns
// those that count in the observed part of [from, to) with their durations
// and downtime, the counted interval of each of their down pieces, and the
// total downtime.
func outages(o *Objective, weight float64, tl Timeline, from, to, now time.Time, observed Set) ([]OutageReport, []CountedInterval, time.Duration) {
	bad := func(s State) bool {
		return s == Down || (s == Degraded && weight >= 1) || (s == Unknown && o.UnknownDown)
	}
	mergeGap, minOutage := max(o.MergeGap, 0), max(o.MinOutage, 0)
	lo := from
	if len(tl) > 0 && tl[0].Start.Before(lo) {
		lo = tl[0].Start
	}
	obsEnd := earlier(to, now)

	var (
		list     []OutageReport
		rows     []CountedInterval
		total    time.Duration
		pieces   []piece
		openLeft bool
		j, js    int // cursors into observed: for down pieces, for whole spans
	)
	// flush judges the run held in pieces.
	flush := func() {
		if len(pieces) == 0 {
			return
		}
		start, end := pieces[0].Start, pieces[len(pieces)-1].End
		defer func() { pieces, openLeft = pieces[:0], false }()
		if !end.After(from) || !start.Before(obsEnd) {
			return
		}
		if !openLeft && end.Sub(start) < minOutage {
			return
		}
		dur := overlapFrom(observed, &js, Interval{start, end})
		if dur <= 0 {
			return
		}
		var cnt time.Duration
		worst := Unknown
		var sources []string
		for _, p := range pieces {
			c := overlapFrom(observed, &j, p.Interval)
			if c > 0 {
				rows = append(rows, CountedInterval{Start: later(p.Start, from), End: earlier(p.End, obsEnd),
					State: p.state, Source: p.source, Weight: 1, InHours: Seconds(c), Counted: Seconds(c)})
			}
			cnt += c
			if p.state.Severity() > worst.Severity() {
				worst = p.state
			}
			if p.source != "" && !containsString(sources, p.source) {
				sources = append(sources, p.source)
			}
		}
		total += cnt
		list = append(list, OutageReport{
			Start: start, End: end, Duration: Seconds(dur), Counted: Seconds(cnt), State: worst,
			Source: strings.Join(sources, ", "), Ongoing: !end.Before(now),
		})
	}
	add := func(p piece, isOpenLeft bool) {
		if !p.Start.Before(p.End) {
			return
		}
		if !bad(p.state) {
			return
		}
		if n := len(pieces); n > 0 {
			last := pieces[n-1].End
			if p.Start.Equal(last) || p.Start.Sub(last) < mergeGap {
				pieces = append(pieces, p)
				return
			}
			flush()
		}
		openLeft = isOpenLeft
		pieces = append(pieces, p)
	}
	// done reports whether nothing after t can change what counts in range.
	done := func(t time.Time) bool {
		if t.Before(obsEnd) {
			return false
		}
		if len(pieces) == 0 {
			return true
		}
		gap := t.Sub(pieces[len(pieces)-1].End)
		return gap > 0 && gap >= mergeGap
	}

	cur, stopped := lo, false
	for i, s := range tl {
		if s.Start.After(cur) {
			if !cur.Before(now) || done(cur) {
				stopped = true
				break
			}
			add(piece{Interval{cur, earlier(s.Start, now)}, Unknown, ""}, i == 0)
		}
		if !s.Start.Before(now) || done(s.Start) {
			stopped = true
			break
		}
		add(piece{Interval{s.Start, earlier(s.End, now)}, s.State, s.Source}, false)
		cur = s.End
	}
	if !stopped && cur.Before(now) && !done(cur) {
		add(piece{Interval{cur, now}, Unknown, ""}, len(tl) == 0)
	}
	flush()
	return list, rows, total
}

// mergeRows merges two lists of counted intervals, each in time order and
// disjoint from the other (they come from different segments of one
// timeline), into one list in time order.
func mergeRows(a, b []CountedInterval) []CountedInterval {
	if len(b) == 0 {
		return a
	}
	out := make([]CountedInterval, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if b[0].Start.Before(a[0].Start) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// overlapFrom returns |c ∩ iv| for a normalised set c, starting the search at
// *j and leaving *j where the next, later interval should start. Callers
// pass intervals in increasing order, so a whole report is one pass over c.
func overlapFrom(c Set, j *int, iv Interval) time.Duration {
	for *j < len(c) && !c[*j].End.After(iv.Start) {
		*j++
	}
	var d time.Duration
	for k := *j; k < len(c) && c[k].Start.Before(iv.End); k++ {
		s, e := later(c[k].Start, iv.Start), earlier(c[k].End, iv.End)
		if s.Before(e) {
			d += e.Sub(s)
		}
	}
	return d
}

// decimalRat returns f as the fraction num/den of the shortest decimal that
// prints as f, so that 0.995 means 199/200 and not the binary float nearest
// to it.
func decimalRat(f float64) (num, den *big.Int) {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	if !ok {
		r = new(big.Rat).SetFloat64(f)
	}
	return new(big.Int).Set(r.Num()), new(big.Int).Set(r.Denom())
}

// mulDiv returns round(d × num / den) for non-negative d.
func mulDiv(d time.Duration, num, den *big.Int) time.Duration {
	p := new(big.Int).Mul(big.NewInt(int64(d)), num)
	p.Mul(p, big.NewInt(2))
	p.Add(p, den)
	p.Quo(p, new(big.Int).Mul(den, big.NewInt(2)))
	return time.Duration(p.Int64())
}
