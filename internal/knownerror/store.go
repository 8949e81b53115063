package knownerror

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/store"
)

// cacheFor is how long Match trusts its copy of the known errors. This
// server's own writes refresh it at once; the age bounds how long a write
// made through another replica goes unseen.
const cacheFor = 30 * time.Second

// Store reads and writes known errors and matches new incidents against
// them from an in-memory copy.
type Store struct {
	db  *store.DB
	now func() time.Time
	log *slog.Logger

	mu       sync.RWMutex
	cache    []compiled
	loadedAt time.Time
}

// NewStore returns a store; now nil means time.Now, log nil discards.
func NewStore(db *store.DB, now func() time.Time, log *slog.Logger) *Store {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{db: db, now: now, log: log}
}

const columns = `id, title, service, summary_match, labels, workaround, created_by, created_at, updated_at`

func scan(sc interface{ Scan(...any) error }) (KnownError, error) {
	var k KnownError
	var labels string
	var created, updated int64
	if err := sc.Scan(&k.ID, &k.Title, &k.Service, &k.SummaryMatch, &labels, &k.Workaround, &k.CreatedBy, &created, &updated); err != nil {
		return k, err
	}
	k.Labels = map[string]string{}
	if err := json.Unmarshal([]byte(labels), &k.Labels); err != nil {
		return k, fmt.Errorf("known error %d: labels: %w", k.ID, err)
	}
	k.CreatedAt, k.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	return k, nil
}

// List returns known errors oldest first, one page at a time.
func (s *Store) List(ctx context.Context, page store.Page) ([]KnownError, string, error) {
	after, err := page.After()
	if err != nil {
		return nil, "", err
	}
	var from int64
	if after != "" {
		if from, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, "", store.ErrBadCursor
		}
	}
	limit := page.Size()
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+columns+` FROM known_errors WHERE id > $1 ORDER BY id LIMIT $2`, from, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("known errors: list: %w", err)
	}
	defer rows.Close()
	out := []KnownError{}
	for rows.Next() {
		k, err := scan(rows)
		if err != nil {
			return nil, "", fmt.Errorf("known errors: list: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("known errors: list: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.Cursor(strconv.FormatInt(out[limit-1].ID, 10))
	}
	return out, next, nil
}

// Get returns one known error.
func (s *Store) Get(ctx context.Context, id int64) (KnownError, error) {
	return get(ctx, s.db.Reader(), id)
}

func get(ctx context.Context, q store.Querier, id int64) (KnownError, error) {
	k, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM known_errors WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, apperr.NotFound("known error %d", id)
	}
	if err != nil {
		return k, fmt.Errorf("known errors: get: %w", err)
	}
	return k, nil
}

// checkService refuses a service that does not exist.
func checkService(ctx context.Context, tx *sql.Tx, name string) error {
	if name == "" {
		return nil
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM services WHERE name = $1`, name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "service", Msg: fmt.Sprintf("unknown service %q (leave it empty for any service)", name)}}}
	}
	return err
}

// Create stores a new known error.
func (s *Store) Create(ctx context.Context, actor string, in Input) (KnownError, error) {
	if err := in.Validate(); err != nil {
		return KnownError{}, err
	}
	labels, err := json.Marshal(in.Labels)
	if err != nil {
		return KnownError{}, err
	}
	now := s.now().UTC()
	var k KnownError
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := checkService(ctx, tx, in.Service); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO known_errors (title, service, summary_match, labels, workaround, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, in.Title, in.Service, in.SummaryMatch, string(labels), in.Workaround, actor, store.Millis(now)).Scan(&id)
		if err != nil {
			return fmt.Errorf("known errors: create: %w", err)
		}
		if k, err = get(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "known_error", strconv.FormatInt(id, 10), nil, k)
	})
	if err != nil {
		return KnownError{}, err
	}
	s.refresh(ctx)
	return k, nil
}

// Update replaces a known error's signature, title and workaround.
func (s *Store) Update(ctx context.Context, actor string, id int64, in Input) (KnownError, error) {
	if err := in.Validate(); err != nil {
		return KnownError{}, err
	}
	labels, err := json.Marshal(in.Labels)
	if err != nil {
		return KnownError{}, err
	}
	now := s.now().UTC()
	var k KnownError
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := checkService(ctx, tx, in.Service); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE known_errors SET title = $2, service = $3, summary_match = $4, labels = $5, workaround = $6, updated_at = $7 WHERE id = $1`,
			id, in.Title, in.Service, in.SummaryMatch, string(labels), in.Workaround, store.Millis(now)); err != nil {
			return fmt.Errorf("known errors: update: %w", err)
		}
		if k, err = get(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, "known_error", strconv.FormatInt(id, 10), before, k)
	})
	if err != nil {
		return KnownError{}, err
	}
	s.refresh(ctx)
	return k, nil
}

// Delete removes a known error; incidents that matched it no longer show
// its workaround (their timelines keep the line saying they matched).
func (s *Store) Delete(ctx context.Context, actor string, id int64) error {
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET known_error_id = NULL WHERE known_error_id = $1`, id); err != nil {
			return fmt.Errorf("known errors: delete: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM known_errors WHERE id = $1`, id); err != nil {
			return fmt.Errorf("known errors: delete: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, audit.Delete, "known_error", strconv.FormatInt(id, 10), before, nil)
	})
	if err != nil {
		return err
	}
	s.refresh(ctx)
	return nil
}

// ForIncident returns the known error an incident matched when it was
// opened; nil when it matched none. A missing incident is ErrNotFound.
func (s *Store) ForIncident(ctx context.Context, incidentID int64) (*KnownError, error) {
	var kid sql.NullInt64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT known_error_id FROM incidents WHERE id = $1`, incidentID).Scan(&kid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("incident %d", incidentID)
	}
	if err != nil {
		return nil, fmt.Errorf("known errors: of incident %d: %w", incidentID, err)
	}
	if !kid.Valid {
		return nil, nil
	}
	k, err := s.Get(ctx, kid.Int64)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// Load reads every known error into the matching cache. Call it at start;
// writes through this store refresh it themselves.
func (s *Store) Load(ctx context.Context) error {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+columns+` FROM known_errors ORDER BY id`)
	if err != nil {
		return fmt.Errorf("known errors: load: %w", err)
	}
	defer rows.Close()
	var all []compiled
	for rows.Next() {
		k, err := scan(rows)
		if err != nil {
			return fmt.Errorf("known errors: load: %w", err)
		}
		c, err := compile(k)
		if err != nil {
			// Validated on write; a row written by a later version with
			// a syntax this one lacks is skipped, not fatal.
			s.log.Warn("known error skipped", "known_error", k.ID, "err", err)
			continue
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("known errors: load: %w", err)
	}
	s.mu.Lock()
	s.cache, s.loadedAt = all, s.now()
	s.mu.Unlock()
	return nil
}

// refresh reloads the cache after a write; a failure leaves the cache
// stale until the next load, which is logged rather than failing a write
// that has committed.
func (s *Store) refresh(ctx context.Context) {
	if err := s.Load(context.WithoutCancel(ctx)); err != nil {
		s.log.Error("known errors: refresh the matching cache", "err", err)
		s.mu.Lock()
		s.loadedAt = time.Time{}
		s.mu.Unlock()
	}
}

// Match finds the known error a new incident fits: its signature matches
// the incident's service, summary and details.labels. It has the shape of
// incident.Engine.KnownError. A known error naming the service wins over
// one for any service; among equals the oldest wins.
func (s *Store) Match(service, summary string, details json.RawMessage) (id int64, title, workaround string, ok bool) {
	s.mu.RLock()
	stale := s.loadedAt.IsZero() || s.now().Sub(s.loadedAt) > cacheFor
	s.mu.RUnlock()
	if stale {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.Load(ctx); err != nil {
			// Try again after cacheFor rather than on every incident of an
			// alert storm while the database struggles.
			s.log.Warn("known errors: reload for matching; using the previous copy", "err", err)
			s.mu.Lock()
			s.loadedAt = s.now()
			s.mu.Unlock()
		}
		cancel()
	}
	s.mu.RLock()
	k, ok := best(s.cache, service, summary, details)
	s.mu.RUnlock()
	if !ok {
		return 0, "", "", false
	}
	return k.ID, k.Title, k.Workaround, true
}
