package desk

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Judged is a ticket with its clocks judged at one instant, and what the
// first-contact resolution KPI reads: how many public replies agents
// wrote, and whether it was ever reopened.
type Judged struct {
	Ticket
	AgentReplies int  `json:"agent_replies"`
	Reopened     bool `json:"reopened"`
}

// Spanning lists every ticket open at some moment of [from, to), by id,
// its clocks judged at to (or now, when to is later). It reads the
// tickets, their pauses and their reply counts in three queries whatever
// their number, for the KPIs of a year of tickets.
func (s *Store) Spanning(ctx context.Context, from, to time.Time) ([]Judged, error) {
	w, err := s.world(ctx)
	if err != nil {
		return nil, err
	}
	at := to
	if now := s.now(); now.Before(at) {
		at = now
	}
	const span = `t.opened_at < $1 AND (t.resolved_at IS NULL OR t.resolved_at >= $2)`
	args := []any{store.Millis(to), store.Millis(from)}
	q := s.db.Reader()
	rows, err := q.QueryContext(ctx, `SELECT `+ticketColumns+` FROM tickets t WHERE `+span+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("desk: tickets spanning a period: %w", err)
	}
	var out []Judged
	var warned []int
	index := map[int64]int{}
	for rows.Next() {
		t, wd, err := scanTicket(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		index[t.ID] = len(out)
		out = append(out, Judged{Ticket: t})
		warned = append(warned, wd)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	pauses := map[int64][]Pause{}
	rows, err = q.QueryContext(ctx, `SELECT p.ticket_id, p.reason, p.third_party, p.started_at, p.ended_at FROM ticket_pauses p
		JOIN tickets t ON t.id = p.ticket_id WHERE `+span+` ORDER BY p.ticket_id, p.started_at, p.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("desk: pauses: %w", err)
	}
	for rows.Next() {
		var id, start int64
		var end sql.NullInt64
		var p Pause
		if err := rows.Scan(&id, &p.Reason, &p.ThirdParty, &start, &end); err != nil {
			rows.Close()
			return nil, err
		}
		p.Start, p.End = store.FromMillis(start), nullTime(end)
		pauses[id] = append(pauses[id], p)
		// A resolution pause that ended is a reopening.
		if i, ok := index[id]; ok && p.Reason == pauseResolved && p.End != nil {
			out[i].Reopened = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT c.ticket_id, COUNT(*) FROM ticket_comments c JOIN tickets t ON t.id = c.ticket_id
		WHERE `+span+` AND c.public = TRUE AND c.from_requester = FALSE GROUP BY c.ticket_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("desk: reply counts: %w", err)
	}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := index[id]; ok {
			out[i].AgentReplies = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cfg := s.Config()
	for i := range out {
		t := &out[i].Ticket
		w.clocks(cfg, t, pauses[t.ID]).apply(t, at, warned[i])
	}
	return out, nil
}
