package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Certificate is the certificate chain a TLS or HTTPS check last saw: its
// earliest expiry, the location that saw it and when it was first seen.
type Certificate struct {
	Check     string    `json:"check"`
	Service   string    `json:"service"`
	NotAfter  time.Time `json:"not_after"`
	Location  string    `json:"location"`
	FirstSeen time.Time `json:"first_seen"`
}

// watchesCertificate tells whether a check's results carry a certificate
// worth keeping: TLS checks, and HTTP checks of an https URL. A check
// changed to plain HTTP stops showing the chain it saw before.
func watchesCertificate(c Check) bool {
	return c.Type == TypeTLS || (c.Type == TypeHTTP && strings.HasPrefix(strings.ToLower(c.URL), "https://"))
}

// saveCertificate stores a check's newly seen certificate expiry.
func saveCertificate(ctx context.Context, tx *sql.Tx, c Certificate) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO check_certificates (check_name, not_after, location, first_seen) VALUES ($1, $2, $3, $4)
		ON CONFLICT (check_name) DO UPDATE SET not_after = excluded.not_after, location = excluded.location, first_seen = excluded.first_seen`,
		c.Check, store.Millis(c.NotAfter), c.Location, store.Millis(c.FirstSeen))
	if err != nil {
		return fmt.Errorf("monitor: save certificate of %q: %w", c.Check, err)
	}
	return nil
}

// readCertificates reads every stored certificate expiry, by check, with
// the check's service.
func readCertificates(ctx context.Context, q store.Querier) (map[string]Certificate, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.check_name, k.service, c.not_after, c.location, c.first_seen FROM check_certificates c JOIN checks k ON k.name = c.check_name`)
	if err != nil {
		return nil, fmt.Errorf("monitor: read certificates: %w", err)
	}
	defer rows.Close()
	out := map[string]Certificate{}
	for rows.Next() {
		var c Certificate
		var notAfter, first int64
		if err := rows.Scan(&c.Check, &c.Service, &notAfter, &c.Location, &first); err != nil {
			return nil, fmt.Errorf("monitor: read certificates: %w", err)
		}
		c.NotAfter, c.FirstSeen = store.FromMillis(notAfter), store.FromMillis(first)
		out[c.Check] = c
	}
	return out, rows.Err()
}

// Certificates lists the certificates the TLS and HTTPS checks last saw,
// by check name, as stored (so every server on one database gives the
// same list). Checks that no longer watch a certificate are left out.
func (m *Monitor) Certificates(ctx context.Context) ([]Certificate, error) {
	stored, err := readCertificates(ctx, m.o.DB.Reader())
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Certificate, 0, len(stored))
	for name, c := range stored {
		if sc, ok := m.meta[name]; ok && watchesCertificate(sc.Check) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Check < out[j].Check })
	return out, nil
}
