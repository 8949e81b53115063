package notify

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/duration"
)

// DefaultDigestAfter is how many notifications for one channel may be due
// at once before they go out as one digest message, when the channel sets
// no digest_after.
const DefaultDigestAfter = 10

// MaxRetryAfter bounds how long a receiver's Retry-After may hold a
// channel: a bogus or hostile header must not park notifications for days.
const MaxRetryAfter = time.Hour

// minRetryAfter is the shortest pause a Retry-After sets: "0" or a date in
// the past must not make the worker retry in a tight loop.
const minRetryAfter = time.Second

// maxRateEvents bounds a channel's rate_limit, whose window the worker
// keeps in memory (one instant per event).
const maxRateEvents = 100000

// Pacing is how fast the outbox may send to one channel.
type Pacing struct {
	// Rate is the most sends in any span of Rate.Per (zero: no limit).
	// It is counted per server: on several replicas the receiver may see
	// up to that many times the rate.
	Rate duration.Rate
	// DigestAfter is how many due notifications are sent one by one; more
	// than that, and they go out as one digest message.
	DigestAfter int
}

// Paced is implemented by channels with a rate limit or a digest
// threshold (all the built-in ones). Channels that do not implement it
// are sent to without a rate limit and never as a digest.
type Paced interface {
	Pacing() Pacing
}

// paced carries a built-in channel's Pacing.
type paced struct{ pace Pacing }

// Pacing returns the channel's rate limit and digest threshold.
func (p *paced) Pacing() Pacing { return p.pace }

func (p *paced) setPacing(x Pacing) { p.pace = x }

// parsePacing reads Config.RateLimit and Config.DigestAfter.
func parsePacing(c Config) (Pacing, error) {
	p := Pacing{DigestAfter: DefaultDigestAfter}
	if c.DigestAfter != 0 {
		p.DigestAfter = c.DigestAfter
	}
	if c.RateLimit != "" {
		r, err := duration.ParseRate(c.RateLimit)
		if err != nil {
			return p, err
		}
		if r.Events > maxRateEvents {
			return p, fmt.Errorf("at most %d notifications per span", maxRateEvents)
		}
		p.Rate = r
	}
	return p, nil
}

// window enforces a Rate as a sliding window: a send is allowed when
// fewer than Events sends were made in the Per before it. A receiver that
// counts requests per fixed or sliding window then never sees more than
// its limit from one server.
type window struct {
	rate  duration.Rate
	times []time.Time // the last sends, oldest first, at most rate.Events
}

// take records a send at now if the rate allows one, and says whether it
// did.
func (w *window) take(now time.Time) bool {
	if w.rate.Events <= 0 {
		return true
	}
	if len(w.times) >= w.rate.Events {
		if now.Sub(w.times[0]) < w.rate.Per {
			return false
		}
		w.times = w.times[1:]
	}
	w.times = append(w.times, now)
	return true
}

// free is when the next send will be allowed, after take refused one.
func (w *window) free() time.Time {
	return w.times[0].Add(w.rate.Per)
}

// giveBack forgets the latest send, when the row it was taken for went to
// another worker.
func (w *window) giveBack() {
	if w.rate.Events > 0 && len(w.times) > 0 {
		w.times = w.times[:len(w.times)-1]
	}
}

// RetryAt reads the receiver's Retry-After on a 429 or 503 answer, in
// seconds or as an HTTP date, as the instant to try again (at least a
// second and at most MaxRetryAfter after now). ok is false for other
// answers and for a missing or unreadable header.
func (e *StatusError) RetryAt(now time.Time) (at time.Time, ok bool) {
	if e.Code != http.StatusTooManyRequests && e.Code != http.StatusServiceUnavailable {
		return time.Time{}, false
	}
	v := strings.TrimSpace(e.RetryAfter)
	if v == "" {
		return time.Time{}, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}, false
		}
		at = now.Add(min(time.Duration(secs)*time.Second, MaxRetryAfter))
	} else if t, err := http.ParseTime(v); err == nil {
		at = t
	} else {
		return time.Time{}, false
	}
	if limit := now.Add(MaxRetryAfter); at.After(limit) {
		at = limit
	}
	if floor := now.Add(minRetryAfter); at.Before(floor) {
		at = floor
	}
	return at, true
}

// retryAfter finds a receiver's Retry-After in err.
func retryAfter(err error, now time.Time) (time.Time, *StatusError, bool) {
	var se *StatusError
	if !errors.As(err, &se) {
		return time.Time{}, nil, false
	}
	at, ok := se.RetryAt(now)
	return at, se, ok
}
