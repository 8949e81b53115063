package monitor

import (
	"container/heap"
	"context"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"
)

// Scheduler runs checks on their intervals. Each check has a fixed phase
// within its interval, derived from its name, so that 10,000 checks at 30 s
// spread over the 30 s instead of all firing at :00. Runs are bounded in
// number (Limit at once) and in time (each check's timeout), a run never
// overlaps the same check's previous run, and a slow or hanging target only
// ever occupies its own run: the timer loop never waits for a probe.
type Scheduler struct {
	// Run probes one check; Sink receives every result.
	Run  func(ctx context.Context, c *Compiled) Result
	Sink func(Result)
	// Limit is how many runs may be in flight at once (default 1000).
	Limit int
	// ObserveLag, when set, receives each run's delay between its due
	// time and its start.
	ObserveLag func(time.Duration)
	// Take, when set, is asked before each run whether this server runs
	// it (the check is shared with other servers); a run it declines is
	// neither probed nor counted.
	Take func(ctx context.Context, c *Compiled, due time.Time) bool

	mu      sync.Mutex
	entries map[string]*entry
	queue   entryHeap
	wake    chan struct{}

	inFlight atomic.Int64
	skipped  atomic.Int64
	runs     atomic.Int64
	declined atomic.Int64
}

type entry struct {
	check   *Compiled
	next    time.Time
	index   int
	running atomic.Bool
}

// InFlight is how many runs are under way now.
func (s *Scheduler) InFlight() int64 { return s.inFlight.Load() }

// Skipped counts runs not started because the previous run of the same
// check was still going.
func (s *Scheduler) Skipped() int64 { return s.skipped.Load() }

// Declined counts runs Take gave to another server.
func (s *Scheduler) Declined() int64 { return s.declined.Load() }

// Runs counts runs started.
func (s *Scheduler) Runs() int64 { return s.runs.Load() }

// phase is the check's fixed offset within its interval.
func phase(name string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return time.Duration(h.Sum64() % uint64(interval))
}

// nextDue is the first instant at or after t that is the check's phase
// within its interval.
func nextDue(name string, interval time.Duration, t time.Time) time.Time {
	p := phase(name, interval)
	n := t.UnixNano()
	k := (n - int64(p)) / int64(interval)
	due := time.Unix(0, k*int64(interval)+int64(p))
	for due.Before(t) {
		due = due.Add(interval)
	}
	return due
}

// Sync makes the scheduled set equal to checks: new checks are added,
// removed ones dropped, changed ones take effect from their next run.
func (s *Scheduler) Sync(checks []*Compiled) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = map[string]*entry{}
	}
	now := time.Now()
	keep := map[string]bool{}
	for _, c := range checks {
		keep[c.Name] = true
		if e, ok := s.entries[c.Name]; ok {
			intervalChanged := e.check.Interval != c.Interval
			e.check = c
			if intervalChanged {
				e.next = nextDue(c.Name, c.Interval, now)
				heap.Fix(&s.queue, e.index)
			}
			continue
		}
		e := &entry{check: c, next: nextDue(c.Name, c.Interval, now)}
		s.entries[c.Name] = e
		heap.Push(&s.queue, e)
	}
	for name, e := range s.entries {
		if !keep[name] {
			heap.Remove(&s.queue, e.index)
			delete(s.entries, name)
		}
	}
	s.poke()
}

func (s *Scheduler) poke() {
	if s.wake == nil {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Start runs the timer loop until ctx ends, then waits for runs in flight.
func (s *Scheduler) Start(ctx context.Context) {
	limit := s.Limit
	if limit <= 0 {
		limit = 1000
	}
	sem := make(chan struct{}, limit)
	s.mu.Lock()
	s.wake = make(chan struct{}, 1)
	if s.entries == nil {
		s.entries = map[string]*entry{}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		wait := time.Hour
		if len(s.queue) > 0 {
			wait = time.Until(s.queue[0].next)
		}
		s.mu.Unlock()
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
				if !timer.Stop() {
					select {
					case <-timer.C:
					default:
					}
				}
				continue
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		now := time.Now()
		s.mu.Lock()
		for len(s.queue) > 0 && !s.queue[0].next.After(now) {
			e := s.queue[0]
			due := e.next
			e.next = nextDue(e.check.Name, e.check.Interval, due.Add(time.Nanosecond))
			if !e.next.After(now) {
				// The loop fell behind by more than an interval: skip ahead
				// rather than fire a burst of catch-up runs.
				e.next = nextDue(e.check.Name, e.check.Interval, now.Add(time.Nanosecond))
			}
			heap.Fix(&s.queue, 0)
			if !e.running.CompareAndSwap(false, true) {
				s.skipped.Add(1)
				continue
			}
			c := e.check
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer e.running.Store(false)
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				defer func() { <-sem }()
				if s.Take != nil && !s.Take(ctx, c, due) {
					s.declined.Add(1)
					return
				}
				if s.ObserveLag != nil {
					s.ObserveLag(time.Since(due))
				}
				s.runs.Add(1)
				s.inFlight.Add(1)
				r := s.Run(ctx, c)
				s.inFlight.Add(-1)
				if ctx.Err() == nil {
					s.Sink(r)
				}
			}()
		}
		s.mu.Unlock()
	}
}

// entryHeap orders entries by their next due time.
type entryHeap []*entry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
