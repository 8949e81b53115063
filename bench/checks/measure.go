package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// usage is the harness process's resource use at one instant.
type usage struct {
	cpu    time.Duration // user + system, all threads
	maxRSS int64         // bytes, the peak since the process started
}

func rusage() usage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return usage{
		cpu:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		maxRSS: ru.Maxrss * 1024, // KiB on Linux
	}
}

// peaks samples, while the measurement window is open, what is only seen
// as it happens: goroutines, runs in flight, open file descriptors.
type peaks struct {
	goroutines, inFlight, fds counter
}

func (p *peaks) sample(ctx context.Context, inFlight func() int64) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		p.goroutines.observe(int64(runtime.NumGoroutine()))
		p.inFlight.observe(inFlight())
		if i%20 == 0 {
			if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
				p.fds.observe(int64(len(ents)))
			}
		}
	}
}

// metricSet is a prometheus.Registerer that gives every collector a
// registry of its own, so that the harness can read one metric (the lag
// histogram, the in-flight gauge) without collecting the others: the
// monitor's state collector walks all 10,000 checks under the monitor's
// lock, and reading it every 50 ms would disturb what is measured.
type metricSet struct {
	mu     sync.Mutex
	byName map[string]*prometheus.Registry
}

func newMetricSet() *metricSet { return &metricSet{byName: map[string]*prometheus.Registry{}} }

// Register implements prometheus.Registerer.
func (s *metricSet) Register(c prometheus.Collector) error {
	r := prometheus.NewRegistry()
	if err := r.Register(c); err != nil {
		return err
	}
	mfs, err := r.Gather()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, mf := range mfs {
		s.byName[mf.GetName()] = r
	}
	return nil
}

// MustRegister implements prometheus.Registerer.
func (s *metricSet) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := s.Register(c); err != nil {
			panic(err)
		}
	}
}

// Unregister implements prometheus.Registerer; the harness never needs it.
func (s *metricSet) Unregister(prometheus.Collector) bool { return false }

// value reads a gauge or counter; 0 when the metric is not there.
func (s *metricSet) value(name string) float64 {
	s.mu.Lock()
	r := s.byName[name]
	s.mu.Unlock()
	if r == nil {
		return 0
	}
	mfs, err := r.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
		}
	}
	return 0
}

// histogram is a cumulative snapshot of a Prometheus histogram.
type histogram struct {
	count  uint64
	sum    float64
	bounds []float64
	cum    []uint64 // cumulative counts per bound
}

func (s *metricSet) histogram(name string) histogram {
	var h histogram
	s.mu.Lock()
	r := s.byName[name]
	s.mu.Unlock()
	if r == nil {
		return h
	}
	mfs, _ := r.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			ph := m.GetHistogram()
			if ph == nil {
				continue
			}
			h.count, h.sum = ph.GetSampleCount(), ph.GetSampleSum()
			for _, b := range ph.GetBucket() {
				h.bounds = append(h.bounds, b.GetUpperBound())
				h.cum = append(h.cum, b.GetCumulativeCount())
			}
		}
	}
	return h
}

// minus is the histogram of the observations made between o and h.
func (h histogram) minus(o histogram) histogram {
	d := histogram{count: h.count - o.count, sum: h.sum - o.sum, bounds: h.bounds}
	for i := range h.cum {
		var prev uint64
		if i < len(o.cum) {
			prev = o.cum[i]
		}
		d.cum = append(d.cum, h.cum[i]-prev)
	}
	return d
}

// quantile estimates a quantile the way PromQL's histogram_quantile does:
// linear interpolation inside the bucket that holds the rank. Above the
// last bound it returns +Inf.
func (h histogram) quantile(q float64) float64 {
	if h.count == 0 {
		return math.NaN()
	}
	rank := q * float64(h.count)
	lower := 0.0
	var below uint64
	for i, b := range h.bounds {
		if float64(h.cum[i]) >= rank {
			in := h.cum[i] - below
			if in == 0 {
				return b
			}
			return lower + (b-lower)*(rank-float64(below))/float64(in)
		}
		lower, below = b, h.cum[i]
	}
	return math.Inf(1)
}

// maxBound is the upper bound of the highest bucket that holds an
// observation: the most a histogram can say about the maximum.
func (h histogram) maxBound() float64 {
	var below uint64
	for i, b := range h.bounds {
		if h.cum[i] == h.count {
			if h.cum[i] > below || i == 0 {
				return b
			}
		}
		below = h.cum[i]
	}
	return math.Inf(1)
}

// phase repeats the scheduler's documented rule (internal/monitor,
// scheduler.go): a check's fixed offset within its interval is the FNV-1a
// hash of its name modulo the interval. The harness uses it to find the
// due time of each run it reads back; analyse reports a mismatch if the
// rule ever changes.
func phase(name string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return time.Duration(h.Sum64() % uint64(interval))
}

// runRecord is one run as read back: which check, when its probe started.
type runRecord struct {
	check int
	at    time.Time
}

// analysis is what the runs of the measured intervals show.
type analysis struct {
	slots      int // intervals evaluated
	checkSlots int // checks × intervals
	ran        int // check-intervals with at least one run
	minRuns    int // fewest runs of one check in one interval
	maxRuns    int
	missing    []string // a few check-intervals without a run
	lags       []time.Duration
	negative   int // runs more than 2 ms before their due time: a phase-model mismatch
	runs       int
}

// analyse attributes each run to the due time nearest to it (due = k ×
// interval + phase) and counts the runs of every check in each of the
// slots intervals that start at from. A run's lag is its start minus its
// due time; nearest-due attribution is exact while lags stay under half an
// interval.
func analyse(names []string, runs []runRecord, from time.Time, interval time.Duration, slots int) analysis {
	a := analysis{slots: slots, checkSlots: len(names) * slots}
	iv := int64(interval)
	phases := make([]int64, len(names))
	for i, n := range names {
		phases[i] = int64(phase(n, interval))
	}
	counts := make([]int, len(names)*slots)
	w0 := from.UnixNano()
	for _, r := range runs {
		p := phases[r.check]
		k := floorDiv(r.at.UnixNano()-p+iv/2, iv)
		due := k*iv + p
		if due < w0 || due >= w0+int64(slots)*iv {
			continue
		}
		slot := int((due - w0) / iv)
		counts[r.check*slots+slot]++
		lag := time.Duration(r.at.UnixNano() - due)
		if lag < -2*time.Millisecond {
			a.negative++
		}
		a.lags = append(a.lags, max(lag, 0))
		a.runs++
	}
	a.minRuns = math.MaxInt
	for i, n := range counts {
		a.minRuns, a.maxRuns = min(a.minRuns, n), max(a.maxRuns, n)
		if n > 0 {
			a.ran++
			continue
		}
		if len(a.missing) < 5 {
			check, slot := i/slots, i%slots
			a.missing = append(a.missing, fmt.Sprintf("%s in interval %d", names[check], slot+1))
		}
	}
	slices.Sort(a.lags)
	return a
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
