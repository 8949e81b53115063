package incident

import (
	"context"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/store"
)

// MaxSnooze is the longest snooze, in minutes (a week): an incident left
// alone longer is better resolved and reopened by its source.
const MaxSnooze = 7 * 24 * 60

// SnoozeChoices are the snoozes the incident page offers as buttons, in
// minutes; any other length up to MaxSnooze can be typed.
var SnoozeChoices = []int{15, 60, 240}

// ValidSnooze checks a snooze's length in minutes.
func ValidSnooze(minutes int) error {
	if minutes < 1 || minutes > MaxSnooze {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "minutes", Msg: fmt.Sprintf("must be a whole number of minutes from 1 to %d (a week), not %d", MaxSnooze, minutes)}}}
	}
	return nil
}

// Snooze holds an acknowledged incident for minutes: nobody is paged, and
// when the snooze ends with the incident still open it is triggered again
// and its escalation policy starts over from its first level (the
// escalation worker takes that step from the stored instant, so a restart
// in between does not lose it). Snoozing a snoozed incident sets a new end.
// A resolve, or a new trigger from its source, ends the snooze; the
// timeline says each.
func (s *Store) Snooze(ctx context.Context, id int64, minutes int, actor string) (Incident, error) {
	if err := ValidSnooze(minutes); err != nil {
		return Incident{}, err
	}
	return s.act(ctx, id, func(tx *stmts, r row, i Incident, now time.Time) (bool, error) {
		switch {
		case i.Status == Triggered:
			return false, apperr.Conflict("incident %d is triggered: acknowledge it before snoozing it", id)
		case i.Status != Acknowledged:
			return false, apperr.Conflict("incident %d is already %s", id, i.Status)
		case i.Escalation == "" || s.Engine.SnoozeEscalation == nil:
			return false, apperr.Conflict("incident %d has no escalation policy: nobody would be paged when the snooze ends", id)
		}
		until := now.Add(time.Duration(minutes) * time.Minute)
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET snoozed_until = $2 WHERE id = $1`, id, store.Millis(until)); err != nil {
			return false, fmt.Errorf("incident: snooze: %w", err)
		}
		if err := s.Engine.SnoozeEscalation(ctx, tx, id, i.Escalation, until, now); err != nil {
			return false, err
		}
		msg := fmt.Sprintf("snoozed for %s, until %s: if it is still open then, it is triggered again and %s pages from its first level",
			SnoozeWords(minutes), until.UTC().Format("2006-01-02 15:04 UTC"), i.Escalation)
		return true, logEntry(ctx, tx, id, now, "status", actor, msg)
	})
}

// SnoozeWords says a snooze's length as people say it: "15 min", "1 h",
// "1 h 30 min".
func SnoozeWords(minutes int) string {
	h, m := minutes/60, minutes%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// endSnooze ends a snooze early because its source triggered the incident
// again: the escalation worker wakes it now, as it would have at the end.
func (e *Engine) endSnooze(ctx context.Context, tx *stmts, id int64, now time.Time) (bool, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET snoozed_until = NULL WHERE id = $1`, id); err != nil {
		return false, fmt.Errorf("incident: end snooze: %w", err)
	}
	if e.WakeEscalation != nil {
		if err := e.WakeEscalation(ctx, tx, id, now); err != nil {
			return false, err
		}
	}
	return true, logEntry(ctx, tx, id, now, "status", "sextant", "a new trigger ends the snooze: paging again now")
}
