package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// Assign gives an incident to assignee (a person of the directory or a
// user's name), or takes it back from whoever has it when assignee is
// empty; the timeline says who did it. Paging goes on as it was: to hand
// an incident over with a page, reassign its escalation.
func (s *Store) Assign(ctx context.Context, id int64, assignee, actor string) (Incident, error) {
	if assignee != "" {
		ok, err := s.assignable(ctx, assignee)
		if err != nil {
			return Incident{}, err
		}
		if !ok {
			return Incident{}, &apperr.Invalid{Fields: []apperr.Field{{Path: "assignee", Msg: "there is no person or user " + strconv.Quote(assignee)}}}
		}
	}
	return s.act(ctx, id, func(tx *stmts, r row, i Incident, now time.Time) (bool, error) {
		switch {
		case i.Status == Resolved:
			return false, apperr.Conflict("incident %d is already resolved", id)
		case i.Assignee == assignee:
			return false, nil
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE incidents SET assignee = $2 WHERE id = $1`, id, assignee); err != nil {
			return false, fmt.Errorf("incident: assign: %w", err)
		}
		msg := "assigned to " + assignee
		switch {
		case assignee == "":
			msg = "unassigned (was " + i.Assignee + ")"
		case i.Assignee != "":
			msg += " (was " + i.Assignee + ")"
		}
		return false, logEntry(ctx, tx, id, now, "assignment", actor, msg)
	})
}

// assignable says whether name is a person of the directory or a user.
func (s *Store) assignable(ctx context.Context, name string) (bool, error) {
	if s.IsPerson != nil && s.IsPerson(name) {
		return true, nil
	}
	var n int
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT 1 FROM users WHERE name = $1`, name).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("incident: assignee: %w", err)
	}
	return true, nil
}
