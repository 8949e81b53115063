// Package override keeps the schedule overrides people make in the UI and
// the API ("take this shift", "cover from … to …"). They are stored in the
// database, audited, and handed to the pure oncall package together with
// the config file's overrides, which stay as the file declares them.
package override

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/store"
)

// Limits on an override, so that a slip of the keyboard (a year typed as
// 2062) cannot hand a schedule to one person for decades.
const (
	// MaxLength is the longest span one override may cover.
	MaxLength = 31 * 24 * time.Hour
	// MaxAhead is how far in the future an override may end.
	MaxAhead = 366 * 24 * time.Hour
	// maxNote is the longest note, in characters.
	maxNote = 500
)

// ErrNotFound is wrapped by the error for an override that does not exist
// (or belongs to another schedule); it is apperr's kind, so the API and the
// UI answer 404 with the override's own words.
var ErrNotFound = apperr.ErrNotFound

// Override is one stored override: User is on call in Schedule for
// [Start, End), above every layer.
type Override struct {
	ID        int64     `json:"id"`
	Schedule  string    `json:"schedule"`
	User      string    `json:"user"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Note      string    `json:"note,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Input is what a person asks for: who covers, from when to when.
type Input struct {
	User  string    `json:"user"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Note  string    `json:"note,omitempty"`
}

// Oncall is the override in the form the pure oncall package reads.
func (o Override) Oncall() oncall.Override {
	return oncall.Override{User: o.User, Start: o.Start.UTC().Format(time.RFC3339), End: o.End.UTC().Format(time.RFC3339)}
}

// Validate reports every problem with in, each naming its field: the
// person must be known (known nil skips that check), the end after the
// start and not in the past, the span no longer than MaxLength and ending
// at most MaxAhead from now.
func Validate(in Input, known func(user string) bool, now time.Time) error {
	inv := &apperr.Invalid{}
	switch {
	case strings.TrimSpace(in.User) == "":
		inv.Add("user", "is required: name the person who covers")
	case known != nil && !known(in.User):
		inv.Add("user", "unknown person %q", in.User)
	}
	if in.Start.IsZero() {
		inv.Add("start", "is required")
	}
	if in.End.IsZero() {
		inv.Add("end", "is required")
	}
	if !in.Start.IsZero() && !in.End.IsZero() {
		switch {
		case !in.End.After(in.Start):
			inv.Add("end", "must be after the start (%s)", in.Start.UTC().Format(time.RFC3339))
		case in.End.Sub(in.Start) > MaxLength:
			inv.Add("end", "an override covers at most 31 days; split a longer one or change the schedule")
		case !in.End.After(now):
			inv.Add("end", "is in the past: an override must end after now")
		case in.End.Sub(now) > MaxAhead:
			inv.Add("end", "must be within a year from now")
		}
	}
	if utf8.RuneCountInString(in.Note) > maxNote {
		inv.Add("note", "is longer than %d characters", maxNote)
	}
	return inv.Err()
}

// Store reads and writes overrides. OnChange, when set, is called after
// each committed write so the running directory can recompile the
// schedule.
type Store struct {
	DB       *store.DB
	Now      func() time.Time
	OnChange func(ctx context.Context)
}

const columns = `id, schedule, user_name, start_at, end_at, note, created_by, created_at`

// Create validates and stores an override in schedule, with its audit
// entry in the same transaction.
func (s *Store) Create(ctx context.Context, actor, schedule string, in Input, known func(string) bool) (Override, error) {
	now := s.Now().UTC()
	in.Note = strings.TrimSpace(in.Note)
	if err := Validate(in, known, now); err != nil {
		return Override{}, err
	}
	o := Override{Schedule: schedule, User: in.User, Start: in.Start.UTC().Truncate(time.Second), End: in.End.UTC().Truncate(time.Second),
		Note: in.Note, CreatedBy: actor, CreatedAt: now}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO schedule_overrides (schedule, user_name, start_at, end_at, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			o.Schedule, o.User, store.Millis(o.Start), store.Millis(o.End), o.Note, o.CreatedBy, store.Millis(now)).Scan(&o.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "schedule_override", fmt.Sprintf("%s/%d", schedule, o.ID), nil, o)
	})
	if err != nil {
		return Override{}, fmt.Errorf("override: create: %w", err)
	}
	s.changed(ctx)
	return o, nil
}

// Delete removes an override of schedule, with its audit entry.
func (s *Store) Delete(ctx context.Context, actor, schedule string, id int64) error {
	now := s.Now().UTC()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := scan(tx.QueryRowContext(ctx, `SELECT `+columns+` FROM schedule_overrides WHERE id = $1 AND schedule = $2`, id, schedule))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("override %d of schedule %q: %w", id, schedule, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM schedule_overrides WHERE id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Delete, "schedule_override", fmt.Sprintf("%s/%d", schedule, id), o, nil)
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("override: delete: %w", err)
	}
	s.changed(ctx)
	return nil
}

func (s *Store) changed(ctx context.Context) {
	if s.OnChange != nil {
		s.OnChange(ctx)
	}
}

// List returns a schedule's overrides ("" for every schedule) that end
// after since, oldest first, which is the order in which later ones win.
func (s *Store) List(ctx context.Context, schedule string, since time.Time) ([]Override, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT `+columns+` FROM schedule_overrides
		WHERE ($1 = '' OR schedule = $1) AND end_at > $2 ORDER BY id`, schedule, store.Millis(since))
	if err != nil {
		return nil, fmt.Errorf("override: list: %w", err)
	}
	defer rows.Close()
	var out []Override
	for rows.Next() {
		o, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("override: list: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("override: list: %w", err)
	}
	return out, nil
}

// BySchedule returns every stored override ending after since, grouped by
// schedule in the form the oncall package reads, oldest first.
func (s *Store) BySchedule(ctx context.Context, since time.Time) (map[string][]oncall.Override, error) {
	all, err := s.List(ctx, "", since)
	if err != nil {
		return nil, err
	}
	out := map[string][]oncall.Override{}
	for _, o := range all {
		out[o.Schedule] = append(out[o.Schedule], o.Oncall())
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scan(r scanner) (Override, error) {
	var o Override
	var start, end, created int64
	if err := r.Scan(&o.ID, &o.Schedule, &o.User, &start, &end, &o.Note, &o.CreatedBy, &created); err != nil {
		return Override{}, err
	}
	o.Start, o.End, o.CreatedAt = store.FromMillis(start), store.FromMillis(end), store.FromMillis(created)
	return o, nil
}
