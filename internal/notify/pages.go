package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// SentPage is one page that reached a person: a triggered or escalated
// notification sent on one of their contact channels ("user:NAME/KIND").
type SentPage struct {
	Person     string
	IncidentID int64
	At         time.Time
}

// SentPages lists the pages sent in [from, to), in order of sending. A
// person paged on several contact methods at once is paged once.
func SentPages(ctx context.Context, db *store.DB, from, to time.Time) ([]SentPage, error) {
	rows, err := db.Reader().QueryContext(ctx, `SELECT channel, incident_id, sent_at FROM outbox
		WHERE status = 'sent' AND channel LIKE 'user:%' AND kind IN ('triggered', 'escalated') AND incident_id IS NOT NULL
		AND sent_at >= $1 AND sent_at < $2 ORDER BY sent_at, id`, store.Millis(from), store.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("notify: pages sent: %w", err)
	}
	defer rows.Close()
	var out []SentPage
	seen := map[string]bool{}
	for rows.Next() {
		var ch string
		var id, at int64
		if err := rows.Scan(&ch, &id, &at); err != nil {
			return nil, fmt.Errorf("notify: pages sent: %w", err)
		}
		person, _, _ := strings.Cut(strings.TrimPrefix(ch, "user:"), "/")
		// The same page on e-mail and ntfy within a minute is one page.
		key := fmt.Sprint(person, "/", id, "/", at/60000)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, SentPage{Person: person, IncidentID: id, At: store.FromMillis(at)})
	}
	return out, rows.Err()
}
