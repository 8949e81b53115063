package monitor

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
)

// StoredCheck is a check as stored, with where it came from.
type StoredCheck struct {
	Check
	Source    catalog.Source `json:"source"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	// HeartbeatToken is the secret part of a heartbeat check's ping URL.
	HeartbeatToken string `json:"-"`
	// PausedAt is when the check was paused; zero while it runs.
	PausedAt time.Time `json:"paused_at,omitzero"`
}

// Store keeps checks.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns the check store; now nil means time.Now.
func NewStore(db *store.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

const checkColumns = `name, spec, source, COALESCE(heartbeat_token, ''), created_at, updated_at, paused_at`

func scanCheck(sc interface{ Scan(...any) error }) (StoredCheck, error) {
	var c StoredCheck
	var name, spec string
	var created, updated int64
	var paused sql.NullInt64
	if err := sc.Scan(&name, &spec, &c.Source, &c.HeartbeatToken, &created, &updated, &paused); err != nil {
		return c, err
	}
	c.PausedAt = store.FromNullMillis(paused)
	if err := json.Unmarshal([]byte(spec), &c.Check); err != nil {
		return c, fmt.Errorf("monitor: stored check %q: %w", name, err)
	}
	c.Name, c.CreatedAt, c.UpdatedAt = name, store.FromMillis(created), store.FromMillis(updated)
	liftURLPassword(&c.Check)
	return c, nil
}

func listChecks(ctx context.Context, q store.Querier) ([]StoredCheck, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+checkColumns+` FROM checks ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("monitor: list checks: %w", err)
	}
	defer rows.Close()
	var out []StoredCheck
	for rows.Next() {
		c, err := scanCheck(rows)
		if err != nil {
			return nil, fmt.Errorf("monitor: list checks: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// List returns every check, by name.
func (s *Store) List(ctx context.Context) ([]StoredCheck, error) {
	return listChecks(ctx, s.db.Reader())
}

// Get returns one check.
func (s *Store) Get(ctx context.Context, name string) (StoredCheck, error) {
	c, err := scanCheck(s.db.Reader().QueryRowContext(ctx, `SELECT `+checkColumns+` FROM checks WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.NotFound("check %q", name)
	}
	return c, err
}

// ByToken finds the heartbeat check a ping URL belongs to.
func (s *Store) ByToken(ctx context.Context, token string) (StoredCheck, error) {
	c, err := scanCheck(s.db.Reader().QueryRowContext(ctx, `SELECT `+checkColumns+` FROM checks WHERE heartbeat_token = $1`, token))
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.NotFound("heartbeat")
	}
	return c, err
}

func serviceNames(ctx context.Context, q store.Querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM services`)
	if err != nil {
		return nil, fmt.Errorf("monitor: services: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

func newToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("monitor: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Validate reports the problems Put would find with c, against the
// services that exist now, without writing anything: the API and the UI ask
// it about an input that parsed only in part, so that the user sees every
// mistake at once.
func (s *Store) Validate(ctx context.Context, c Check) error {
	services, err := serviceNames(ctx, s.db.Reader())
	if err != nil {
		return err
	}
	if _, problems := Compile(c, services); len(problems) > 0 {
		return &apperr.Invalid{Fields: problems}
	}
	return nil
}

// Put creates or replaces a check through the API or the UI, after
// validating it against the services that exist. Credentials follow the
// write-only convention of KeepCredentials: what the update leaves out or
// sends as SetMarker keeps its stored value.
func (s *Store) Put(ctx context.Context, actor string, c Check, mode catalog.Mode) (StoredCheck, error) {
	var out StoredCheck
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		services, err := serviceNames(ctx, tx)
		if err != nil {
			return err
		}
		old, err := scanCheck(tx.QueryRowContext(ctx, `SELECT `+checkColumns+` FROM checks WHERE name = $1`, c.Name))
		exists := err == nil
		switch {
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		case mode == catalog.MustCreate && exists:
			return apperr.Conflict("check %q already exists", c.Name)
		case mode == catalog.MustExist && !exists:
			return apperr.NotFound("check %q", c.Name)
		}
		var before *Check
		if exists {
			before = &old.Check
		}
		c, problems := KeepCredentials(c, before)
		if len(problems) > 0 {
			return &apperr.Invalid{Fields: problems}
		}
		if _, problems := Compile(c, services); len(problems) > 0 {
			return &apperr.Invalid{Fields: problems}
		}
		if err := writeCheck(ctx, tx, c, catalog.SourceAPI, old, exists, s.now()); err != nil {
			return err
		}
		action := audit.Create
		if exists {
			action = audit.Update
		}
		b, a := AuditPair(before, &c)
		if err := audit.Record(ctx, tx, s.now(), actor, action, "check", c.Name, b, a); err != nil {
			return err
		}
		out, err = scanCheck(tx.QueryRowContext(ctx, `SELECT `+checkColumns+` FROM checks WHERE name = $1`, c.Name))
		return err
	})
	return out, err
}

// writeCheck inserts or updates one check row; a heartbeat keeps its token
// across edits so that jobs need not be reconfigured.
func writeCheck(ctx context.Context, tx *sql.Tx, c Check, src catalog.Source, old StoredCheck, exists bool, now time.Time) error {
	spec, err := json.Marshal(c)
	if err != nil {
		return err
	}
	token := sql.NullString{}
	if c.Type == TypeHeartbeat {
		token = sql.NullString{String: old.HeartbeatToken, Valid: true}
		if token.String == "" {
			token.String = newToken()
		}
	}
	if exists {
		_, err = tx.ExecContext(ctx, `UPDATE checks SET service = $2, spec = $3, source = $4, heartbeat_token = $5, updated_at = $6 WHERE name = $1`,
			c.Name, c.Service, string(spec), src, token, store.Millis(now))
	} else {
		_, err = tx.ExecContext(ctx, `INSERT INTO checks (name, service, spec, source, heartbeat_token, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`,
			c.Name, c.Service, string(spec), src, token, store.Millis(now))
	}
	if store.IsUniqueViolation(err) {
		return apperr.Conflict("check %q already exists", c.Name)
	}
	if err != nil {
		return fmt.Errorf("monitor: write check %q: %w", c.Name, err)
	}
	return nil
}

// Delete removes a check and, with it, its state and results.
func (s *Store) Delete(ctx context.Context, actor, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		old, err := scanCheck(tx.QueryRowContext(ctx, `SELECT `+checkColumns+` FROM checks WHERE name = $1`, name))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFound("check %q", name)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM checks WHERE name = $1`, name); err != nil {
			return fmt.Errorf("monitor: delete check: %w", err)
		}
		b, _ := AuditPair(&old.Check, nil)
		return audit.Record(ctx, tx, s.now(), actor, audit.Delete, "check", name, b, nil)
	})
}

// FileHook applies the config file's checks in the catalog's reload
// transaction: checks the file no longer declares go before services are
// removed; declared ones are written once the catalog is.
func (s *Store) FileHook(actor string, checks []Check) catalog.FileHook {
	declared := map[string]Check{}
	for _, c := range checks {
		declared[c.Name] = c
	}
	return catalog.FileHook{
		Before: func(ctx context.Context, tx *sql.Tx, cat catalog.Catalog) error {
			existing, err := listChecks(ctx, tx)
			if err != nil {
				return err
			}
			services := map[string]bool{}
			for _, svc := range cat.Services {
				services[svc.Name] = true
			}
			var inv apperr.Invalid
			for i, c := range checks {
				if _, problems := Compile(c, services); len(problems) > 0 {
					inv.Fields = append(inv.Fields, apperr.Prefixed(fmt.Sprintf("checks[%d]", i), problems)...)
				}
			}
			for _, c := range existing {
				if _, ok := declared[c.Name]; !ok && c.Source == catalog.SourceAPI && !services[c.Service] {
					inv.Add("services", "service %q is removed but check %q (created through the API) still watches it", c.Service, c.Name)
				}
			}
			if err := inv.Err(); err != nil {
				return err
			}
			for _, c := range existing {
				if _, ok := declared[c.Name]; !ok && c.Source == catalog.SourceFile {
					if _, err := tx.ExecContext(ctx, `DELETE FROM checks WHERE name = $1`, c.Name); err != nil {
						return fmt.Errorf("monitor: delete check: %w", err)
					}
					b, _ := AuditPair(&c.Check, nil)
					if err := audit.Record(ctx, tx, s.now(), actor, audit.Delete, "check", c.Name, b, nil); err != nil {
						return err
					}
				}
			}
			return nil
		},
		After: func(ctx context.Context, tx *sql.Tx, cat catalog.Catalog) error {
			existing, err := listChecks(ctx, tx)
			if err != nil {
				return err
			}
			byName := map[string]StoredCheck{}
			for _, c := range existing {
				byName[c.Name] = c
			}
			names := make([]string, 0, len(declared))
			for n := range declared {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				c := declared[n]
				old, exists := byName[n]
				if exists && old.Source == catalog.SourceFile && sameCheck(old.Check, c) {
					continue
				}
				if err := writeCheck(ctx, tx, c, catalog.SourceFile, old, exists, s.now()); err != nil {
					return err
				}
				action, before := audit.Create, (*Check)(nil)
				if exists {
					action, before = audit.Update, &old.Check
				}
				b, a := AuditPair(before, &c)
				if err := audit.Record(ctx, tx, s.now(), actor, action, "check", n, b, a); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func sameCheck(a, b Check) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// BaseURL is how clients reach this server, the prefix of ping URLs: the
// configured public URL, or else the scheme and host of the request.
func BaseURL(publicURL string, r *http.Request) string {
	if publicURL != "" {
		return publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// HeartbeatPath is where a heartbeat check's job pings.
func HeartbeatPath(token string) string {
	return "/api/v1/heartbeats/" + strings.TrimSpace(token)
}
