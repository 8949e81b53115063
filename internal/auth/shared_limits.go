package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// ShareLimits keeps the failed-login buckets in the database as well as in
// memory, for servers that share a PostgreSQL database behind one load
// balancer: without it each replica would grant its own five attempts, so
// N replicas would let a guesser try N times as often. Call it before
// serving; SQLite has one server and needs none.
func (s *Service) ShareLimits() { s.sharedLimits = true }

// bucket names a failed-login limit: its key, burst and refill interval.
type bucket struct {
	key   string
	burst int
	every time.Duration
}

// takeShared takes one attempt from each bucket in the database (the
// buckets refilled for the time since their last attempt, as the in-memory
// ones are), all or none; refund gives them back.
func (s *Service) takeShared(ctx context.Context, now time.Time, buckets ...bucket) (refund func(), ok bool, err error) {
	q := s.db.Writer()
	at := store.Millis(now)
	var taken []bucket
	refund = func() {
		for _, b := range taken {
			// A refund that fails leaves one attempt counted: the limit
			// errs on the safe side.
			_, _ = q.ExecContext(context.WithoutCancel(ctx), `UPDATE login_limits SET tokens = LEAST($2::float8, tokens + 1) WHERE key = $1`, b.key, float64(b.burst))
		}
	}
	for i := range buckets {
		// Stored as a digest: no address or attempted name in the table.
		sum := sha256.Sum256([]byte(buckets[i].key))
		buckets[i].key = hex.EncodeToString(sum[:])
	}
	for _, b := range buckets {
		res, err := q.ExecContext(ctx, `INSERT INTO login_limits (key, tokens, at) VALUES ($1, $2::float8 - 1, $3)
			ON CONFLICT (key) DO UPDATE SET tokens = LEAST($2::float8, login_limits.tokens + ($3 - login_limits.at)::float8 / $4) - 1, at = $3
			WHERE LEAST($2::float8, login_limits.tokens + ($3 - login_limits.at)::float8 / $4) >= 1`,
			b.key, float64(b.burst), at, float64(b.every.Milliseconds()))
		if err != nil {
			refund()
			return nil, false, fmt.Errorf("auth: failed-login limit: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			refund()
			return nil, false, nil
		}
		taken = append(taken, b)
	}
	// Now and then the buckets full again for an hour are forgotten, so
	// that names sprayed from many addresses do not grow the table.
	if rand.IntN(100) == 0 {
		_, _ = q.ExecContext(ctx, `DELETE FROM login_limits WHERE at < $1`, at-time.Hour.Milliseconds())
	}
	return refund, true, nil
}
