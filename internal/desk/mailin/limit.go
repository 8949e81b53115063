package mailin

import (
	"sync"
	"time"
)

// Limiter caps how many new tickets one sender opens in a sliding window
// (by default 20 an hour). It is the last guard against a loop with an
// auto-responder that marks its replies with none of the headers the
// verdict knows: each of its answers opens a ticket, whose
// acknowledgement it answers again. A sender over the cap gets a temporary
// failure, so a person who really sends that much loses nothing (their
// server retries later) while a loop slows to the cap. Replies to a
// ticket do not count. Memory is bounded by the senders seen in one window.
type Limiter struct {
	// Max is the number of new tickets a sender may open in Window; zero
	// means 20.
	Max int
	// Window is the length of the sliding window; zero means one hour.
	Window time.Duration

	mu   sync.Mutex
	seen map[string][]time.Time
	// sweep is when stale senders are next dropped from seen.
	sweep time.Time
}

func (l *Limiter) limits() (int, time.Duration) {
	max, window := l.Max, l.Window
	if max <= 0 {
		max = 20
	}
	if window <= 0 {
		window = time.Hour
	}
	return max, window
}

// Allow reports whether sender may open another ticket at now, and if so
// counts it.
func (l *Limiter) Allow(sender string, now time.Time) bool {
	max, window := l.limits()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string][]time.Time{}
	}
	since := now.Add(-window)
	if !now.Before(l.sweep) {
		for k, ts := range l.seen {
			if !ts[len(ts)-1].After(since) {
				delete(l.seen, k)
			}
		}
		l.sweep = now.Add(window)
	}
	ts := l.seen[sender]
	i := 0
	for i < len(ts) && !ts[i].After(since) {
		i++
	}
	ts = ts[i:]
	if len(ts) >= max {
		l.seen[sender] = ts
		return false
	}
	l.seen[sender] = append(ts, now)
	return true
}
