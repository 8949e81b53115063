package recovery

import (
	"fmt"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// The kinds of recovery: a rehearsal, or the real thing.
const (
	KindDrill = "drill"
	KindReal  = "real"
)

// Step is one moment of a recovery's timeline.
type Step struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Drill is a recovery, rehearsed or real, as recorded: when it started,
// when the service was restored, and the point in time the restored data
// reached.
type Drill struct {
	Plan       string    `json:"plan"`
	Kind       string    `json:"kind"`
	StartedAt  time.Time `json:"started_at"`
	RestoredAt time.Time `json:"restored_at"`
	DataPoint  time.Time `json:"data_point"`
	Notes      string    `json:"notes,omitempty"`
	Steps      []Step    `json:"steps,omitempty"`
}

// Outcome is a drill judged against its plan.
type Outcome struct {
	RTO        time.Duration `json:"-"`
	RPO        time.Duration `json:"-"`
	RTOSeconds int64         `json:"rto_seconds"`
	RPOSeconds int64         `json:"rpo_seconds"`
	RTOMet     bool          `json:"rto_met"`
	RPOMet     bool          `json:"rpo_met"`
	Passed     bool          `json:"passed"`
}

// Judge works out a drill's achieved RTO (restored − started) and RPO
// (started − data point), and whether each is within the plan's: the
// drill passes when both are.
func Judge(d Drill, planRTO, planRPO time.Duration) Outcome {
	o := Outcome{RTO: d.RestoredAt.Sub(d.StartedAt), RPO: d.StartedAt.Sub(d.DataPoint)}
	o.RTOSeconds, o.RPOSeconds = int64(o.RTO/time.Second), int64(o.RPO/time.Second)
	o.RTOMet, o.RPOMet = o.RTO <= planRTO, o.RPO <= planRPO
	o.Passed = o.RTOMet && o.RPOMet
	return o
}

const maxSteps = 200

// Validate checks a drill's own fields at now: the instants in order and
// not in the future, a known kind, steps within the recovery. The plan's
// existence is the store's to check.
func (d Drill) Validate(now time.Time) []apperr.Field {
	var inv apperr.Invalid
	if d.Plan == "" {
		inv.Add("plan", "is required: the plan this recovery followed")
	}
	switch d.Kind {
	case KindDrill, KindReal:
	case "":
		inv.Add("kind", "is required: drill or real")
	default:
		inv.Add("kind", "must be drill or real, not %q", d.Kind)
	}
	for _, f := range []struct {
		name string
		at   time.Time
	}{{"started_at", d.StartedAt}, {"restored_at", d.RestoredAt}, {"data_point", d.DataPoint}} {
		switch {
		case f.at.IsZero():
			inv.Add(f.name, "is required (RFC 3339, e.g. 2026-03-01T10:00:00Z)")
		case f.at.After(now):
			inv.Add(f.name, "is in the future")
		}
	}
	if !d.StartedAt.IsZero() && !d.RestoredAt.IsZero() && d.RestoredAt.Before(d.StartedAt) {
		inv.Add("restored_at", "is before started_at")
	}
	if !d.StartedAt.IsZero() && !d.DataPoint.IsZero() && d.DataPoint.After(d.StartedAt) {
		inv.Add("data_point", "is after started_at: the restored data cannot be newer than the loss")
	}
	if len(d.Notes) > 20_000 {
		inv.Add("notes", "is longer than 20000 bytes")
	}
	if len(d.Steps) > maxSteps {
		inv.Add("steps", "has more than %d steps", maxSteps)
	}
	for i, s := range d.Steps {
		if s.At.IsZero() {
			inv.Add(fmt.Sprintf("steps[%d].at", i), "is required")
		} else if !d.StartedAt.IsZero() && !d.RestoredAt.IsZero() && (s.At.Before(d.StartedAt) || s.At.After(d.RestoredAt)) {
			inv.Add(fmt.Sprintf("steps[%d].at", i), "is outside the recovery (started_at to restored_at)")
		}
		if t := strings.TrimSpace(s.Text); t == "" || len(t) > 2000 {
			inv.Add(fmt.Sprintf("steps[%d].text", i), "must be 1 to 2000 characters")
		}
	}
	return inv.Fields
}
