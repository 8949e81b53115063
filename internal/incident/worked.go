package incident

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Worked is the span a person spent on an incident: from acknowledging it
// to its resolution (now, for one still open).
type Worked struct {
	Incident int64
	Person   string
	Start    time.Time
	End      time.Time
}

// PersonOf names the person behind an actor as the audit log spells it:
// "user:ana" and a signed link followed by a signed-in user
// ("link:user:ana") are ana; tokens, anonymous links and the system are
// nobody ("").
func PersonOf(actor string) string {
	actor = strings.TrimPrefix(actor, "link:")
	if name, ok := strings.CutPrefix(actor, "user:"); ok {
		return name
	}
	return ""
}

// WorkedBetween lists the acknowledged incidents whose span from
// acknowledgement to resolution overlaps [from, to), with the person who
// acknowledged each; spans still open end at now.
func (s *Store) WorkedBetween(ctx context.Context, from, to, now time.Time) ([]Worked, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id, acknowledged_by, acknowledged_at, resolved_at FROM incidents
		WHERE acknowledged_at IS NOT NULL AND acknowledged_at < $2 AND (resolved_at IS NULL OR resolved_at > $1) ORDER BY id`,
		store.Millis(from), store.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("incident: worked: %w", err)
	}
	defer rows.Close()
	var out []Worked
	for rows.Next() {
		var w Worked
		var by string
		var ack int64
		var res *int64
		if err := rows.Scan(&w.Incident, &by, &ack, &res); err != nil {
			return nil, fmt.Errorf("incident: worked: %w", err)
		}
		if w.Person = PersonOf(by); w.Person == "" {
			continue
		}
		w.Start, w.End = store.FromMillis(ack), now
		if res != nil {
			w.End = store.FromMillis(*res)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}
