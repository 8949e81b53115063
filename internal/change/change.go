// Package change keeps what changed on a service: deploys, configuration
// pushes and other changes reported by the tools that made them (for now as
// PagerDuty change events), so that the people looking at an outage see
// what happened just before it. Change requests with approval and
// outcome build on the same records.
//
// Change requests (requests.go) are standard, normal and emergency changes
// with their plans, risk (risk.go), approvals and state machine
// (state.go); an approved change expecting an outage becomes a
// maintenance window on its services, and the change-failure rate
// (cfr.go) judges every completed change with its reason. Each rule is a
// pure function of its inputs; the Store does the I/O around them.
package change

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Event is one change reported on a service.
type Event struct {
	ID          int64           `json:"id"`
	Service     string          `json:"service"`
	Integration string          `json:"integration"`
	Summary     string          `json:"summary"`
	Source      string          `json:"source,omitempty"`
	At          time.Time       `json:"at"`
	Details     json.RawMessage `json:"details,omitempty"`
	Links       json.RawMessage `json:"links,omitempty"`
	ReceivedAt  time.Time       `json:"received_at"`
}

// ErrNotFound is returned for a change that does not exist.
var ErrNotFound = errors.New("change: not found")

// Store reads and writes change events and change requests.
type Store struct {
	DB *store.DB
	// Now is the clock (time.Now when nil); Rules the change configuration
	// in force (defaults when nil).
	Now   func() time.Time
	Rules func() Rules
	// Sources are what requests read from the rest of the server.
	Sources Sources
	// OnEnqueue wakes the outbox after approval mail is enqueued.
	OnEnqueue func()
}

const columns = `id, service, integration, summary, source, at, details, links, received_at`

// Record stores a change event and returns it with its id; the event is
// kept as a completed standard change too, in the same transaction. It is
// durable when Record returns.
func (s *Store) Record(ctx context.Context, e Event) (Event, error) {
	details, links := rawOrNull(e.Details), rawOrNull(e.Links)
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO changes (service, integration, summary, source, at, details, links, received_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			e.Service, e.Integration, e.Summary, e.Source, store.Millis(e.At), details, links, store.Millis(e.ReceivedAt)).Scan(&e.ID); err != nil {
			return err
		}
		return recordEvent(ctx, tx, e)
	})
	if err != nil {
		return Event{}, fmt.Errorf("change: record: %w", err)
	}
	return e, nil
}

func rawOrNull(r json.RawMessage) any {
	if len(r) == 0 || string(r) == "null" {
		return nil
	}
	return string(r)
}

// Events returns a service's change events ("" for every service), newest
// first, one page at a time.
func (s *Store) Events(ctx context.Context, service string, page store.Page) ([]Event, string, error) {
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT `+columns+` FROM changes
		WHERE id < $1 AND ($2 = '' OR service = $2) ORDER BY id DESC LIMIT $3`, before, service, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("change: list: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, "", fmt.Errorf("change: list: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("change: list: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.IDCursor(out[limit-1].ID)
	}
	return out, next, nil
}

// Between returns a service's changes made in [from, to), oldest first, for
// timelines.
func (s *Store) Between(ctx context.Context, service string, from, to time.Time) ([]Event, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT `+columns+` FROM changes
		WHERE service = $1 AND at >= $2 AND at < $3 ORDER BY at, id`, service, store.Millis(from), store.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("change: between: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("change: between: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func scan(sc interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var at, received int64
	var details, links sql.NullString
	if err := sc.Scan(&e.ID, &e.Service, &e.Integration, &e.Summary, &e.Source, &at, &details, &links, &received); err != nil {
		return Event{}, err
	}
	e.At, e.ReceivedAt = store.FromMillis(at), store.FromMillis(received)
	if details.Valid {
		e.Details = json.RawMessage(details.String)
	}
	if links.Valid {
		e.Links = json.RawMessage(links.String)
	}
	return e, nil
}
