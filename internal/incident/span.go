package incident

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Times is when an incident was opened, acknowledged and resolved: what
// MTTA and MTTR read.
type Times struct {
	ID             int64
	Service        string
	CreatedAt      time.Time
	AcknowledgedAt *time.Time
	ResolvedAt     *time.Time
}

// Spanning lists the incidents open at some moment of [from, to), by id.
// An incident merged into another is left out: its time is the other's.
func (s *Store) Spanning(ctx context.Context, from, to time.Time) ([]Times, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id, service, created_at, acknowledged_at, resolved_at FROM incidents
		WHERE merged_into IS NULL AND created_at < $1 AND (resolved_at IS NULL OR resolved_at >= $2) ORDER BY id`, store.Millis(to), store.Millis(from))
	if err != nil {
		return nil, fmt.Errorf("incident: incidents spanning a period: %w", err)
	}
	defer rows.Close()
	var out []Times
	for rows.Next() {
		var t Times
		var created int64
		var ack, res sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Service, &created, &ack, &res); err != nil {
			return nil, fmt.Errorf("incident: incidents spanning a period: %w", err)
		}
		t.CreatedAt = store.FromMillis(created)
		if ack.Valid {
			a := store.FromMillis(ack.Int64)
			t.AcknowledgedAt = &a
		}
		if res.Valid {
			r := store.FromMillis(res.Int64)
			t.ResolvedAt = &r
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
