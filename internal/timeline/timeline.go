// Package timeline keeps what Sextant knows about each service's state over
// time — outages recorded by hand now; check states and incidents as those
// areas arrive — and turns it into the service's state timeline, with its
// dependencies, for the availability engine to judge. Reports, the UI, the
// CLI and /metrics all come through Reporter, so they show the same figures.
package timeline

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/store"
)

// MaxNote is the longest note an outage may carry.
const MaxNote = 2000

// Outage is an outage recorded by hand.
type Outage struct {
	ID        int64              `json:"id"`
	Service   string             `json:"service"`
	Start     time.Time          `json:"start"`
	End       time.Time          `json:"end"`
	State     availability.State `json:"state"`
	Note      string             `json:"note"`
	CreatedBy string             `json:"created_by"`
	CreatedAt time.Time          `json:"created_at"`
}

// NewOutage is what recording an outage takes. Pointers tell a missing field
// from a zero one, so the error can say which is missing.
type NewOutage struct {
	Start *string `json:"start"`
	End   *string `json:"end"`
	State *string `json:"state"`
	Note  string  `json:"note,omitempty"`
}

// Source names the outage as the input of a timeline interval.
func (o Outage) Source() string { return "outage:" + strconv.FormatInt(o.ID, 10) }

// Parse validates a new outage and returns its times and state.
func (n NewOutage) Parse() (start, end time.Time, state availability.State, err error) {
	var inv apperr.Invalid
	parseTime := func(field string, v *string) time.Time {
		if v == nil || *v == "" {
			inv.Add(field, "is required (an RFC 3339 time such as 2026-11-20T14:00:00Z)")
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, *v)
		if err != nil {
			inv.Add(field, "expected an RFC 3339 time such as 2026-11-20T14:00:00Z, got %q", *v)
		}
		return t
	}
	start, end = parseTime("start", n.Start), parseTime("end", n.End)
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		inv.Add("end", "must be after start (%s)", *n.Start)
	}
	// "unknown" records a known gap in monitoring: how it counts is the
	// objective's `unknown` setting.
	switch {
	case n.State == nil || *n.State == "":
		inv.Add("state", "is required: \"down\", \"degraded\" or \"unknown\"")
	case *n.State == "down":
		state = availability.Down
	case *n.State == "degraded":
		state = availability.Degraded
	case *n.State == "unknown":
		state = availability.Unknown
	default:
		inv.Add("state", "must be \"down\", \"degraded\" or \"unknown\", not %q", *n.State)
	}
	if len(n.Note) > MaxNote {
		inv.Add("note", "is longer than %d characters", MaxNote)
	}
	return start.UTC(), end.UTC(), state, inv.Err()
}

// Store keeps recorded outages.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns the outage store on db; now nil means time.Now.
func NewStore(db *store.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

// Record stores an outage of service after validating it.
func (s *Store) Record(ctx context.Context, actor, service string, n NewOutage) (Outage, error) {
	start, end, state, err := n.Parse()
	if err != nil {
		return Outage{}, err
	}
	now := s.now()
	o := Outage{Service: service, Start: start, End: end, State: state, Note: n.Note, CreatedBy: actor, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	if start.Truncate(time.Millisecond) != start || end.Truncate(time.Millisecond) != end {
		return Outage{}, &apperr.Invalid{Fields: []apperr.Field{{Path: "start", Msg: "times are kept to the millisecond; give at most three decimals"}}}
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := serviceExists(ctx, tx, service); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO outages (service, start_at, end_at, state, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			service, store.Millis(start), store.Millis(end), state.String(), n.Note, actor, store.Millis(now)).Scan(&o.ID)
		if err != nil {
			return fmt.Errorf("timeline: record outage: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "outage", service+"/"+strconv.FormatInt(o.ID, 10), nil, o)
	})
	return o, err
}

func serviceExists(ctx context.Context, q store.Querier, service string) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE name = $1`, service).Scan(&n); err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	if n == 0 {
		return apperr.NotFound("service %q", service)
	}
	return nil
}

// List returns a service's recorded outages, oldest first.
func (s *Store) List(ctx context.Context, service string) ([]Outage, error) {
	if err := serviceExists(ctx, s.db.Reader(), service); err != nil {
		return nil, err
	}
	return s.list(ctx, s.db.Reader(), []string{service})
}

func (s *Store) list(ctx context.Context, q store.Querier, services []string) ([]Outage, error) {
	if len(services) == 0 {
		return nil, nil
	}
	ph := make([]string, len(services))
	args := make([]any, len(services))
	for i, name := range services {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = name
	}
	rows, err := q.QueryContext(ctx, `SELECT id, service, start_at, end_at, state, note, created_by, created_at FROM outages
		WHERE service IN (`+strings.Join(ph, ", ")+`) ORDER BY start_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("timeline: list outages: %w", err)
	}
	defer rows.Close()
	var out []Outage
	for rows.Next() {
		var o Outage
		var st, en, c int64
		var state string
		if err := rows.Scan(&o.ID, &o.Service, &st, &en, &state, &o.Note, &o.CreatedBy, &c); err != nil {
			return nil, fmt.Errorf("timeline: list outages: %w", err)
		}
		o.Start, o.End, o.CreatedAt = store.FromMillis(st), store.FromMillis(en), store.FromMillis(c)
		if o.State, err = availability.ParseState(state); err != nil {
			return nil, fmt.Errorf("timeline: outage %d: %w", o.ID, err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Delete removes a recorded outage of service.
func (s *Store) Delete(ctx context.Context, actor, service string, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		all, err := s.list(ctx, tx, []string{service})
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.ID != id {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM outages WHERE id = $1`, id); err != nil {
				return fmt.Errorf("timeline: delete outage: %w", err)
			}
			return audit.Record(ctx, tx, s.now(), actor, audit.Delete, "outage", service+"/"+strconv.FormatInt(id, 10), o, nil)
		}
		return apperr.NotFound("outage %d of service %q", id, service)
	})
}
