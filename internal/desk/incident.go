package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// FromIncident opens a ticket for a monitoring incident: type incident, the
// incident's summary and service, urgency high, linked to the incident.
// An incident that already has a ticket is a conflict naming it.
func (s *Store) FromIncident(ctx context.Context, actor string, incidentID int64, queue string) (Ticket, error) {
	var summary, service string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT summary, service FROM incidents WHERE id = $1`, incidentID).Scan(&summary, &service)
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, apperr.NotFound("incident %d", incidentID)
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("desk: read incident %d: %w", incidentID, err)
	}
	cfg := s.Config()
	w, err := s.world(ctx)
	if err != nil {
		return Ticket{}, err
	}
	now := s.now()
	if len(summary) > MaxTitle {
		summary = summary[:MaxTitle]
	}
	t, err := s.prepare(ctx, cfg, w, actor, Input{Type: TypeIncident, Title: summary, Service: service, Queue: queue, Urgency: High,
		Description: fmt.Sprintf("Opened from monitoring incident %d.", incidentID)}, now)
	if err != nil {
		return Ticket{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var existing int64
		err := tx.QueryRowContext(ctx, `SELECT ticket_id FROM ticket_links WHERE kind = $1 AND target_id = $2 ORDER BY ticket_id LIMIT 1`, LinkIncident, incidentID).Scan(&existing)
		if err == nil {
			return apperr.Conflict("incident %d already has ticket %d", incidentID, existing)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := s.insert(ctx, tx, cfg, w, &t, now, ""); err != nil {
			return err
		}
		return linkTx(ctx, tx, &Link{TicketID: t.ID, Kind: LinkIncident, TargetID: incidentID, Actor: actor, At: now})
	})
	return t, err
}

// TicketsOfIncident returns the ids of the tickets linked to an incident.
func (s *Store) TicketsOfIncident(ctx context.Context, incidentID int64) ([]int64, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT ticket_id FROM ticket_links WHERE kind = $1 AND target_id = $2 ORDER BY ticket_id`, LinkIncident, incidentID)
	if err != nil {
		return nil, fmt.Errorf("desk: tickets of incident: %w", err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ResolveLinked resolves every open ticket linked to an incident with the
// same public note, each in its own transaction; tickets already resolved
// or closed are left as they are. It returns the tickets it resolved.
func (s *Store) ResolveLinked(ctx context.Context, actor string, incidentID int64, note string) ([]int64, error) {
	ids, err := s.TicketsOfIncident(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	resolved := []int64{}
	var errs []error
	for _, id := range ids {
		_, err := s.SetStatus(ctx, actor, id, StatusInput{Status: StatusResolved, Note: note})
		switch {
		case err == nil:
			resolved = append(resolved, id)
		case errors.Is(err, apperr.ErrConflict):
			// Already resolved or closed.
		default:
			errs = append(errs, fmt.Errorf("ticket %d: %w", id, err))
		}
	}
	return resolved, errors.Join(errs...)
}
