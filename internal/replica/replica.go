// Package replica lets several Sextant servers share one PostgreSQL
// database: each registers itself in the replicas table and beats every few
// seconds; the live set read back from the table decides, by rendezvous
// hashing, which replica runs each check, so that a dead replica's checks
// move to the others as soon as its beats stop. Each run is also taken by
// compare-and-set on its due instant (Claim), so a check never runs twice
// for one instant even while two replicas disagree about who is live, and
// periodic background work runs once across the replicas (Once). Nothing
// here votes or gossips: the database is the only arbiter.
package replica

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// Defaults for the heartbeat: a beat every 2 s, dead after 3 missed beats,
// so a replica's checks move about 6 to 8 s after it stops.
const (
	DefaultEvery  = 2 * time.Second
	DefaultMisses = 3
)

// Owner is the live replica that owns key: the one whose hash with the key
// is highest (rendezvous hashing). Every replica computes the same answer
// from the same live set, and when a replica leaves only the keys it owned
// move, each to whichever survivor ranks next for it. It is "" for an
// empty set.
func Owner(key string, live []string) string {
	best, bestScore := "", uint64(0)
	for _, id := range live {
		h := fnv.New64a()
		_, _ = h.Write([]byte(id))
		_, _ = h.Write([]byte{0})
		_, _ = h.Write([]byte(key))
		// FNV's low bits mix poorly for keys that differ only at the end;
		// a final avalanche (from SplitMix64) spreads them.
		s := mix(h.Sum64())
		if best == "" || s > bestScore || (s == bestScore && id < best) {
			best, bestScore = id, s
		}
	}
	return best
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// NewID names a replica: its host name and a random suffix, so that two
// servers on one host (or a restarted one) never share a registration.
func NewID() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "sextant"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// Registry is this server's registration among the replicas. Its liveness
// is judged on the database's clock, so that servers whose clocks differ
// still agree on who is live.
type Registry struct {
	DB *store.DB
	// ID names this replica (NewID when empty); Host is shown beside it.
	ID, Host string
	// Every is the heartbeat period (DefaultEvery when zero); a replica
	// is dead after Misses beats missed (DefaultMisses when zero).
	Every  time.Duration
	Misses int
	Log    *slog.Logger
	// OnChange, when set, is called after the live set changed.
	OnChange func(live []string)

	mu   sync.RWMutex
	live []string
}

// dbNow is the database's clock in milliseconds since the epoch.
const dbNow = `(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT`

func (r *Registry) every() time.Duration {
	if r.Every > 0 {
		return r.Every
	}
	return DefaultEvery
}

func (r *Registry) misses() int {
	if r.Misses > 0 {
		return r.Misses
	}
	return DefaultMisses
}

// DeadAfter is how long a replica may go without a beat before the others
// take it for dead.
func (r *Registry) DeadAfter() time.Duration { return r.every() * time.Duration(r.misses()) }

// Register records this replica and reads the live set. Sharing needs
// PostgreSQL: on SQLite one process owns the database.
func (r *Registry) Register(ctx context.Context) error {
	if r.DB.Engine() != store.Postgres {
		return errors.New("replica: replicas share a PostgreSQL database only")
	}
	if r.ID == "" {
		r.ID = NewID()
	}
	if r.Host == "" {
		r.Host, _ = os.Hostname()
	}
	if _, err := r.DB.Writer().ExecContext(ctx, `INSERT INTO replicas (id, host, started_at, heartbeat_at) VALUES ($1, $2, `+dbNow+`, `+dbNow+`)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`, r.ID, r.Host); err != nil {
		return fmt.Errorf("replica: register: %w", err)
	}
	return r.refresh(ctx)
}

// Beat records a heartbeat and reads the live set back. A registration
// forgotten meanwhile (a replica paused for over an hour) is made again.
func (r *Registry) Beat(ctx context.Context) error {
	if _, err := r.DB.Writer().ExecContext(ctx, `INSERT INTO replicas (id, host, started_at, heartbeat_at) VALUES ($1, $2, `+dbNow+`, `+dbNow+`)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, r.ID, r.Host); err != nil {
		return fmt.Errorf("replica: heartbeat: %w", err)
	}
	return r.refresh(ctx)
}

func (r *Registry) refresh(ctx context.Context) error {
	rows, err := r.DB.Reader().QueryContext(ctx, `SELECT id FROM replicas WHERE heartbeat_at >= `+dbNow+` - $1 ORDER BY id`, r.DeadAfter().Milliseconds())
	if err != nil {
		return fmt.Errorf("replica: live set: %w", err)
	}
	defer rows.Close()
	var live []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		live = append(live, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// This replica is live while it runs, even when its own beat was late
	// (a stalled database): it never disowns every check at once.
	if !slices.Contains(live, r.ID) {
		live = append(live, r.ID)
		slices.Sort(live)
	}
	r.mu.Lock()
	changed := !slices.Equal(live, r.live)
	r.live = live
	r.mu.Unlock()
	if changed {
		r.log().Info("replicas", "live", live, "self", r.ID)
		if r.OnChange != nil {
			r.OnChange(live)
		}
	}
	return nil
}

func (r *Registry) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// Live is the live set as last read, sorted.
func (r *Registry) Live() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.live)
}

// Owns says whether this replica owns key in the live set as last read.
func (r *Registry) Owns(key string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return Owner(key, r.live) == r.ID
}

// Deregister removes this replica's registration, so that the others take
// its checks at their next beat.
func (r *Registry) Deregister(ctx context.Context) error {
	if _, err := r.DB.Writer().ExecContext(ctx, `DELETE FROM replicas WHERE id = $1`, r.ID); err != nil {
		return fmt.Errorf("replica: deregister: %w", err)
	}
	return nil
}

// Run beats until ctx ends, then removes the registration so that the
// others take this replica's checks at once rather than after DeadAfter.
// Rows of replicas dead for an hour are deleted on the way.
func (r *Registry) Run(ctx context.Context) {
	t := time.NewTicker(r.every())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			bye, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := r.Deregister(bye); err != nil {
				r.log().Error("replica: deregister", "err", err)
			}
			return
		case <-t.C:
			if err := r.Beat(ctx); err != nil && ctx.Err() == nil {
				r.log().Error("replica heartbeat", "err", err)
			}
			if _, err := r.DB.Writer().ExecContext(ctx, `DELETE FROM replicas WHERE heartbeat_at < `+dbNow+` - 3600000`); err != nil && ctx.Err() == nil {
				r.log().Error("replica: forget dead replicas", "err", err)
			}
		}
	}
}

// Claim takes the run of check due at due for replica: it succeeds (true)
// only when no replica has taken this or a later instant of the check. The
// due instants are the same on every replica (a check's phase comes from its
// name), so two replicas that both believe they own a check still run it
// once per instant.
func Claim(ctx context.Context, q store.Querier, check, replica string, due time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, `INSERT INTO check_claims (check_name, due, replica) VALUES ($1, $2, $3)
		ON CONFLICT (check_name) DO UPDATE SET due = excluded.due, replica = excluded.replica WHERE check_claims.due < excluded.due`,
		check, store.Millis(due), replica)
	if err != nil {
		if store.IsForeignKeyViolation(err) {
			return false, nil // the check was removed meanwhile
		}
		return false, fmt.Errorf("replica: claim run of %q: %w", check, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Once says whether replica is the one to do job now: true when no replica
// did it within the last period, and then it is marked done at now. It is
// compare-and-set on one row, so across any number of replicas one wins.
func Once(ctx context.Context, q store.Querier, job, replica string, now time.Time, period time.Duration) (bool, error) {
	at := store.Millis(now)
	res, err := q.ExecContext(ctx, `INSERT INTO replica_jobs (name, last_run, replica) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run, replica = excluded.replica WHERE replica_jobs.last_run <= $4`,
		job, at, replica, at-period.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("replica: take job %q: %w", job, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Take claims the run of check due at due for this replica, when it owns
// the check: the monitor's sharing hook. A database error declines the run
// (the owner's next instant tries again).
func (r *Registry) Take(ctx context.Context, check string, due time.Time) bool {
	if !r.Owns(check) {
		return false
	}
	ok, err := Claim(ctx, r.DB.Writer(), check, r.ID, due)
	if err != nil {
		r.log().Error("replica: claim a check run", "check", check, "err", err)
	}
	return ok
}

// Once says whether this replica does job now, once per period across the
// replicas; a database error says no (the next period tries again).
func (r *Registry) Once(ctx context.Context, job string, period time.Duration) bool {
	ok, err := Once(ctx, r.DB.Writer(), job, r.ID, time.Now(), period)
	if err != nil {
		r.log().Error("replica: take a job", "job", job, "err", err)
	}
	return ok
}
