package setup

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/status"
	"github.com/sextant-ops/sextant/internal/store"
)

// Objects are channels, integrations, policies, people, schedules and
// status pages, secrets included: those of the config file or those made
// in the UI and API.
type Objects struct {
	Channels     []Channel
	Integrations []Integration
	Policies     []incident.EscalationPolicy
	People       []Person
	Schedules    []oncall.Schedule
	Pages        []status.Page
	// Updated holds when each stored object last changed, by Key.
	Updated map[string]time.Time
}

// Key names an object of a kind in Objects.Updated: "channel/ops-hook".
func Key(kind, name string) string { return kind + "/" + name }

// has reports whether o holds an object of kind named name.
func (o Objects) has(kind, name string) bool {
	switch kind {
	case KindChannel:
		return slices.ContainsFunc(o.Channels, func(c Channel) bool { return c.Name == name })
	case KindIntegration:
		return slices.ContainsFunc(o.Integrations, func(i Integration) bool { return i.Name == name })
	case KindPolicy:
		return slices.ContainsFunc(o.Policies, func(p incident.EscalationPolicy) bool { return p.Name == name })
	}
	if k, ok := genericKind(kind); ok {
		return k.has(o, name)
	}
	return false
}

// spec is the stored JSON of one object, secrets included, and what the
// audit log shows of it, secrets redacted; ok is false when o has none.
func (o Objects) spec(kind, name string) (stored, shown any, ok bool) {
	switch kind {
	case KindChannel:
		if i := slices.IndexFunc(o.Channels, func(c Channel) bool { return c.Name == name }); i >= 0 {
			return o.Channels[i], o.Channels[i].Redacted(), true
		}
	case KindIntegration:
		if i := slices.IndexFunc(o.Integrations, func(x Integration) bool { return x.Name == name }); i >= 0 {
			return o.Integrations[i], o.Integrations[i].Redacted(), true
		}
	case KindPolicy:
		if i := slices.IndexFunc(o.Policies, func(p incident.EscalationPolicy) bool { return p.Name == name }); i >= 0 {
			return o.Policies[i], o.Policies[i], true
		}
	}
	if k, ok := genericKind(kind); ok {
		return k.spec(o, name)
	}
	return nil, nil, false
}

// Store keeps the objects made in the UI and API in the config_objects
// table. It knows nothing of the config file: callers pass a validator
// that judges the stored objects merged with the file's.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns a store on db; now nil means time.Now.
func NewStore(db *store.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

// Load reads every stored object, in name order within each kind.
func (s *Store) Load(ctx context.Context) (Objects, error) {
	return load(ctx, s.db.Reader())
}

func load(ctx context.Context, q store.Querier) (Objects, error) {
	o := Objects{Updated: map[string]time.Time{}}
	rows, err := q.QueryContext(ctx, `SELECT kind, name, spec, updated_at FROM config_objects ORDER BY kind, name`)
	if err != nil {
		return o, fmt.Errorf("setup: load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, name, spec string
		var at int64
		if err := rows.Scan(&kind, &name, &spec, &at); err != nil {
			return o, fmt.Errorf("setup: load: %w", err)
		}
		if k, ok := genericKind(kind); ok {
			if err := k.decode(&o, []byte(spec)); err != nil {
				return o, fmt.Errorf("setup: stored %s %q: %w", kind, name, err)
			}
			o.Updated[Key(kind, name)] = store.FromMillis(at)
			continue
		}
		var target any
		switch kind {
		case KindChannel:
			o.Channels = append(o.Channels, Channel{})
			target = &o.Channels[len(o.Channels)-1]
		case KindIntegration:
			o.Integrations = append(o.Integrations, Integration{})
			target = &o.Integrations[len(o.Integrations)-1]
		case KindPolicy:
			o.Policies = append(o.Policies, incident.EscalationPolicy{})
			target = &o.Policies[len(o.Policies)-1]
		default:
			continue
		}
		if err := json.Unmarshal([]byte(spec), target); err != nil {
			return o, fmt.Errorf("setup: stored %s %q: %w", kind, name, err)
		}
		o.Updated[Key(kind, name)] = store.FromMillis(at)
	}
	if err := rows.Err(); err != nil {
		return o, fmt.Errorf("setup: load: %w", err)
	}
	return o, nil
}

// Change edits the stored objects in one transaction: edit changes o (the
// stored objects, secrets included) for the one object of kind named
// name, validate judges the result (merged with the file's objects), and
// the object's row is then written, or removed when edit took it out of o,
// with an audit entry that shows its secrets as SetMarker. On any error
// nothing changes.
func (s *Store) Change(ctx context.Context, actor, kind, name string, edit func(o *Objects) error, validate func(o Objects) error) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.db.Serialize(ctx, tx, "config_objects"); err != nil {
			return err
		}
		o, err := load(ctx, tx)
		if err != nil {
			return err
		}
		_, before, existed := o.spec(kind, name)
		if err := edit(&o); err != nil {
			return err
		}
		if err := validate(o); err != nil {
			return err
		}
		stored, after, exists := o.spec(kind, name)
		now := s.now()
		action := audit.Update
		switch {
		case !exists && !existed:
			return apperr.NotFound("%s %q", kindWord(kind), name)
		case !exists:
			action = audit.Delete
			if _, err := tx.ExecContext(ctx, `DELETE FROM config_objects WHERE kind = $1 AND name = $2`, kind, name); err != nil {
				return fmt.Errorf("setup: delete %s %q: %w", kind, name, err)
			}
		default:
			spec, err := json.Marshal(stored)
			if err != nil {
				return err
			}
			if existed {
				_, err = tx.ExecContext(ctx, `UPDATE config_objects SET spec = $3, updated_at = $4 WHERE kind = $1 AND name = $2`, kind, name, string(spec), store.Millis(now))
			} else {
				action = audit.Create
				_, err = tx.ExecContext(ctx, `INSERT INTO config_objects (kind, name, spec, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`, kind, name, string(spec), store.Millis(now))
			}
			if store.IsUniqueViolation(err) {
				return apperr.Conflict("%s %q already exists", kindWord(kind), name)
			}
			if err != nil {
				return fmt.Errorf("setup: write %s %q: %w", kind, name, err)
			}
		}
		if !existed {
			before = nil
		}
		if !exists {
			after = nil
		}
		return audit.Record(ctx, tx, now, actor, action, kind, name, before, after)
	})
}

// DropShadowed removes the stored objects whose names the config file now
// declares: the file wins, as it does for services, and its object takes
// the name's place. Each removal is audited.
func (s *Store) DropShadowed(ctx context.Context, actor string, file Objects) (int, error) {
	n := 0
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		n = 0
		if err := s.db.Serialize(ctx, tx, "config_objects"); err != nil {
			return err
		}
		o, err := load(ctx, tx)
		if err != nil {
			return err
		}
		now := s.now()
		for _, kind := range allKinds() {
			for _, name := range o.names(kind) {
				if !file.has(kind, name) {
					continue
				}
				_, shown, _ := o.spec(kind, name)
				if _, err := tx.ExecContext(ctx, `DELETE FROM config_objects WHERE kind = $1 AND name = $2`, kind, name); err != nil {
					return fmt.Errorf("setup: delete %s %q: %w", kind, name, err)
				}
				if err := audit.Record(ctx, tx, now, actor, audit.Delete, kind, name, shown, nil); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}

// names lists the names of o's objects of kind.
func (o Objects) names(kind string) []string {
	var out []string
	switch kind {
	case KindChannel:
		for _, c := range o.Channels {
			out = append(out, c.Name)
		}
	case KindIntegration:
		for _, i := range o.Integrations {
			out = append(out, i.Name)
		}
	case KindPolicy:
		for _, p := range o.Policies {
			out = append(out, p.Name)
		}
	}
	if k, ok := genericKind(kind); ok {
		return k.names(o)
	}
	return out
}

// allKinds lists every kind this package keeps.
func allKinds() []string {
	out := []string{KindChannel, KindIntegration, KindPolicy}
	for _, k := range genericKinds {
		out = append(out, k.kindID())
	}
	return out
}

// kindWord is how messages name a kind.
func kindWord(kind string) string {
	switch kind {
	case KindPolicy:
		return "escalation policy"
	case KindStatusPage:
		return "status page"
	}
	return kind
}
