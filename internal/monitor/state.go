package monitor

import (
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
)

// Outcome is what one result says: up, degraded or down.
type Outcome = availability.State

// Judge applies a check's conditions to a probe result and says what the
// result means, with the reason in words. A probe error is down with the
// error as reason; a failed down-condition is down; a failed degraded
// condition only degrades.
func Judge(c *Compiled, errText string, ok func(cc CompiledCondition) (bool, string)) (Outcome, string) {
	if errText != "" {
		return availability.Down, errText
	}
	conds := c.Conditions
	if len(conds) == 0 {
		conds = defaultConditions(c.Type)
	}
	outcome, reason := availability.Up, ""
	for _, cc := range conds {
		pass, why := ok(cc)
		if pass {
			continue
		}
		if !cc.Degraded {
			return availability.Down, why
		}
		if outcome == availability.Up {
			outcome, reason = availability.Degraded, why
		}
	}
	if outcome == availability.Up {
		reason = "all conditions met"
	}
	return outcome, reason
}

// LocationState is a check's state as one location sees it, with the
// counters fail_after and recover_after are judged on. It is stored, so a
// restart continues where the server stopped.
type LocationState struct {
	State        availability.State `json:"state"`
	Failures     int                `json:"consecutive_failures"`
	Successes    int                `json:"consecutive_successes"`
	LastResultAt time.Time          `json:"last_result_at"`
	LastOutcome  availability.State `json:"last_outcome"`
	LastReason   string             `json:"last_reason"`
	LastLatency  time.Duration      `json:"-"`
	// StreakStart is when the current run of failures (or of successes)
	// began: a state change is dated there, so that fail_after delays the
	// alarm but not the recorded start of the outage.
	StreakStart time.Time `json:"streak_start"`
}

// Step feeds one result into a location's state: the state turns down (or
// degraded) after failAfter consecutive failing results, and up after
// recoverAfter consecutive successes. A location with no state yet takes
// the first success as up, so a new check does not wait to look healthy.
func Step(s LocationState, outcome availability.State, reason string, at time.Time, latency time.Duration, failAfter, recoverAfter int) LocationState {
	wasUp := s.LastOutcome == availability.Up && !s.LastResultAt.IsZero()
	if (outcome == availability.Up) != wasUp || s.StreakStart.IsZero() {
		s.StreakStart = at
	}
	s.LastResultAt, s.LastOutcome, s.LastReason, s.LastLatency = at, outcome, reason, latency
	if outcome == availability.Up {
		s.Successes++
		s.Failures = 0
		if s.State == availability.Unknown || s.Successes >= recoverAfter {
			s.State = availability.Up
		}
		return s
	}
	s.Failures++
	s.Successes = 0
	if s.Failures >= failAfter {
		s.State = outcome
	}
	return s
}

// Stale reports whether a location has not reported for too long — two
// intervals plus the timeout — so that its view no longer counts: a silent
// agent makes its view unknown, never down.
func Stale(s LocationState, c *Compiled, now time.Time) bool {
	if s.LastResultAt.IsZero() {
		return true
	}
	return now.Sub(s.LastResultAt) > 2*c.Interval+c.Timeout
}

// Quorum combines the locations' views into the check's state: down when at
// least quorum fresh locations see it down, degraded when at least quorum
// see it degraded or down, up when any fresh location sees it up, and
// unknown otherwise (no fresh view, or failures short of the quorum with
// nobody seeing it up).
func Quorum(c *Compiled, views map[string]LocationState, now time.Time) availability.State {
	var down, impaired, up int
	for _, loc := range c.Locations {
		v, ok := views[loc]
		if !ok || Stale(v, c, now) {
			continue
		}
		switch v.State {
		case availability.Down:
			down++
			impaired++
		case availability.Degraded:
			impaired++
		case availability.Up:
			up++
		}
	}
	switch {
	case down >= c.Quorum:
		return availability.Down
	case impaired >= c.Quorum:
		return availability.Degraded
	case up > 0:
		return availability.Up
	}
	return availability.Unknown
}
