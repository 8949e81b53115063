package cmdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// Audit object types.
const (
	auditItem     = "ci"
	auditRelation = "ci_relation"
)

// Sources of stored items and relations.
const (
	SourceFile = string(catalog.SourceFile)
	SourceAPI  = string(catalog.SourceAPI)
)

// CheckLister lists the checks, for the items they watch.
type CheckLister interface {
	List(ctx context.Context) ([]monitor.StoredCheck, error)
}

// Store keeps items and relations, validating the whole CMDB in the write
// transaction, auditing every change with its before and after.
type Store struct {
	db       *store.DB
	catalog  *catalog.Store
	checks   CheckLister
	reporter *timeline.Reporter
	now      func() time.Time
	classes  atomic.Pointer[[]Class]
	cache    cache
}

// NewStore returns the CMDB on db. catalog is asked which services depend
// on an item before it is removed; checks tell which checks watch an item;
// reporter gives impact analysis the services' figures. now nil means
// time.Now.
func NewStore(db *store.DB, cat *catalog.Store, checks CheckLister, reporter *timeline.Reporter, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, catalog: cat, checks: checks, reporter: reporter, now: now}
}

// SetClasses installs the classes declared in the config file (the
// built-in ones are always there).
func (s *Store) SetClasses(cls []Class) { s.classes.Store(&cls) }

// Classes returns the built-in classes, then the declared ones.
func (s *Store) Classes() []Class {
	out := BuiltInClasses()
	if p := s.classes.Load(); p != nil {
		out = append(out, *p...)
	}
	return out
}

func (s *Store) declared() []Class {
	if p := s.classes.Load(); p != nil {
		return *p
	}
	return nil
}

// loaded is the stored CMDB with each object's metadata.
type loaded struct {
	set   Set
	items map[string]StoredItem
}

func (s *Store) load(ctx context.Context, q store.Querier) (loaded, error) {
	l := loaded{items: map[string]StoredItem{}}
	rows, err := q.QueryContext(ctx, `SELECT name, spec, source, created_at, updated_at FROM cmdb_items ORDER BY name`)
	if err != nil {
		return l, fmt.Errorf("cmdb: load items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return l, err
		}
		l.items[it.Name] = it
		l.set.Items = append(l.set.Items, it.Item)
	}
	if err := rows.Err(); err != nil {
		return l, fmt.Errorf("cmdb: load items: %w", err)
	}
	l.set.Relations, err = listRelations(ctx, q, "")
	return l, err
}

func scanItem(rows interface{ Scan(...any) error }) (StoredItem, error) {
	var it StoredItem
	var name, spec string
	var c, u int64
	if err := rows.Scan(&name, &spec, &it.Source, &c, &u); err != nil {
		return it, fmt.Errorf("cmdb: read item: %w", err)
	}
	if err := json.Unmarshal([]byte(spec), &it.Item); err != nil {
		return it, fmt.Errorf("cmdb: item %q: %w", name, err)
	}
	it.Name, it.CreatedAt, it.UpdatedAt = name, store.FromMillis(c), store.FromMillis(u)
	return it, nil
}

func listRelations(ctx context.Context, q store.Querier, item string) ([]Relation, error) {
	query := `SELECT id, from_item, type, to_item, kind, source FROM cmdb_relations`
	var args []any
	if item != "" {
		query += ` WHERE from_item = $1 OR to_item = $1`
		args = append(args, item)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("cmdb: load relations: %w", err)
	}
	defer rows.Close()
	var out []Relation
	for rows.Next() {
		var r Relation
		if err := rows.Scan(&r.ID, &r.From, &r.Type, &r.To, &r.Kind, &r.Source); err != nil {
			return nil, fmt.Errorf("cmdb: read relation: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Load returns the whole stored CMDB with the running classes.
func (s *Store) Load(ctx context.Context) (Set, error) {
	l, err := s.load(ctx, s.db.Reader())
	l.set.Classes = s.declared()
	return l.set, err
}

// ListItems returns one page of items in name order, of one class when
// class is not empty.
func (s *Store) ListItems(ctx context.Context, class string, page store.Page) ([]StoredItem, string, error) {
	after, err := page.After()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT name, spec, source, created_at, updated_at FROM cmdb_items
		WHERE name > $1 AND ($2 = '' OR class = $2) ORDER BY name LIMIT $3`, after, class, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("cmdb: list items: %w", err)
	}
	defer rows.Close()
	var out []StoredItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("cmdb: list items: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.Cursor(out[limit-1].Name)
	}
	return out, next, nil
}

// GetItem returns one item.
func (s *Store) GetItem(ctx context.Context, name string) (StoredItem, error) {
	it, err := scanItem(s.db.Reader().QueryRowContext(ctx, `SELECT name, spec, source, created_at, updated_at FROM cmdb_items WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return it, apperr.NotFound("configuration item %q", name)
	}
	return it, err
}

// Relations returns the relations from or to an item ("" for all), oldest
// first.
func (s *Store) Relations(ctx context.Context, item string) ([]Relation, error) {
	if item != "" {
		if _, err := s.GetItem(ctx, item); err != nil {
			return nil, err
		}
	}
	return listRelations(ctx, s.db.Reader(), item)
}

// relative keeps the problems under prefix (those of the object being
// written), with paths relative to it, and the rest as they are.
func relative(fields []apperr.Field, prefix string) []apperr.Field {
	out := make([]apperr.Field, 0, len(fields))
	for _, f := range fields {
		switch {
		case f.Path == prefix:
			f.Path = ""
		case strings.HasPrefix(f.Path, prefix+"."):
			f.Path = strings.TrimPrefix(f.Path, prefix+".")
		}
		out = append(out, f)
	}
	return out
}

// PutItem creates (catalog.MustCreate) or replaces (catalog.MustExist) an
// item through the API, after validating the CMDB as it would be; problems
// name fields relative to the item ("attributes.cpus").
func (s *Store) PutItem(ctx context.Context, actor string, it Item, mode catalog.Mode) (StoredItem, error) {
	var out StoredItem
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.putItem(ctx, tx, actor, it, mode, SourceAPI)
		return err
	})
	return out, err
}

// putItem is PutItem in the caller's transaction; a created item gets
// source.
func (s *Store) putItem(ctx context.Context, tx *sql.Tx, actor string, it Item, mode catalog.Mode, source string) (StoredItem, error) {
	if err := s.db.Serialize(ctx, tx, "cmdb"); err != nil {
		return StoredItem{}, err
	}
	l, err := s.load(ctx, tx)
	if err != nil {
		return StoredItem{}, err
	}
	old, exists := l.items[it.Name]
	switch {
	case mode == catalog.MustCreate && exists:
		return StoredItem{}, apperr.Conflict("configuration item %q already exists", it.Name)
	case mode == catalog.MustExist && !exists:
		return StoredItem{}, apperr.NotFound("configuration item %q", it.Name)
	}
	// The item goes last, so that a clash of unique values is reported
	// at it rather than at the item it clashes with.
	set := Set{Classes: s.declared(), Relations: l.set.Relations}
	for _, x := range l.set.Items {
		if x.Name != it.Name {
			set.Items = append(set.Items, x)
		}
	}
	set.Items = append(set.Items, it)
	if problems := Validate(set); len(problems) > 0 {
		return StoredItem{}, &apperr.Invalid{Fields: relative(problems, fmt.Sprintf("items[%d]", len(set.Items)-1))}
	}
	var prev *StoredItem
	if exists {
		prev = &old
	}
	return writeItem(ctx, tx, s.now().UTC().Truncate(time.Millisecond), actor, it, prev, source)
}

// writeItem stores an item written through the API, an agent or an import
// (old is its stored version, nil when it is new; a new item gets source)
// and audits the change with its before and after. The caller has
// validated the CMDB with it.
func writeItem(ctx context.Context, tx *sql.Tx, now time.Time, actor string, it Item, old *StoredItem, source string) (StoredItem, error) {
	spec, err := json.Marshal(it)
	if err != nil {
		return StoredItem{}, err
	}
	out := StoredItem{Item: it, Source: source, CreatedAt: now, UpdatedAt: now}
	if old != nil {
		out.Source, out.CreatedAt = old.Source, old.CreatedAt
		if _, err := tx.ExecContext(ctx, `UPDATE cmdb_items SET class = $1, spec = $2, updated_at = $3 WHERE name = $4`,
			it.Class, string(spec), store.Millis(now), it.Name); err != nil {
			return out, fmt.Errorf("cmdb: update item: %w", err)
		}
		return out, audit.Record(ctx, tx, now, actor, audit.Update, auditItem, it.Name, old.Item, it)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO cmdb_items (name, class, spec, source, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
		it.Name, it.Class, string(spec), source, store.Millis(now)); err != nil {
		return out, fmt.Errorf("cmdb: insert item: %w", err)
	}
	return out, audit.Record(ctx, tx, now, actor, audit.Create, auditItem, it.Name, nil, it)
}

// DeleteItem removes an item and its relations. It is refused while a
// service depends on the item or another item's attribute refers to it.
func (s *Store) DeleteItem(ctx context.Context, actor, name string) error {
	cat, err := s.catalog.Load(ctx)
	if err != nil {
		return err
	}
	for _, svc := range cat.Services {
		for _, d := range svc.DependsOn {
			if d.CI == name {
				return apperr.Conflict("service %q depends on configuration item %q; remove the dependency first", svc.Name, name)
			}
		}
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.db.Serialize(ctx, tx, "cmdb"); err != nil {
			return err
		}
		l, err := s.load(ctx, tx)
		if err != nil {
			return err
		}
		old, ok := l.items[name]
		if !ok {
			return apperr.NotFound("configuration item %q", name)
		}
		set := Set{Classes: s.declared()}
		for _, x := range l.set.Items {
			if x.Name != name {
				set.Items = append(set.Items, x)
			}
		}
		var gone []Relation
		for _, r := range l.set.Relations {
			if r.From == name || r.To == name {
				gone = append(gone, r)
			} else {
				set.Relations = append(set.Relations, r)
			}
		}
		for _, f := range Validate(set) {
			if strings.Contains(f.Msg, strconv.Quote(name)) {
				return apperr.Conflict("configuration item %q is still referred to: %s: %s", name, f.Path, f.Msg)
			}
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `DELETE FROM cmdb_items WHERE name = $1`, name); err != nil {
			return fmt.Errorf("cmdb: delete item: %w", err)
		}
		for _, r := range gone {
			if err := audit.Record(ctx, tx, now, actor, audit.Delete, auditRelation, strconv.FormatInt(r.ID, 10), r, nil); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, actor, audit.Delete, auditItem, name, old.Item, nil)
	})
}

// AddRelation stores a relation made through the API, after validating
// the CMDB with it (a relation closing a cycle is refused, naming it).
func (s *Store) AddRelation(ctx context.Context, actor string, r Relation) (Relation, error) {
	r.ID, r.Source = 0, SourceAPI
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.db.Serialize(ctx, tx, "cmdb"); err != nil {
			return err
		}
		l, err := s.load(ctx, tx)
		if err != nil {
			return err
		}
		l.set.Classes = s.declared()
		l.set.Relations = append(l.set.Relations, r)
		if problems := Validate(l.set); len(problems) > 0 {
			p := fmt.Sprintf("relations[%d]", len(l.set.Relations)-1)
			fields := relative(problems, p)
			for _, f := range fields {
				if strings.HasPrefix(f.Msg, "the same relation") {
					return apperr.Conflict("%s %s %s already exists", r.From, r.Type, r.To)
				}
			}
			return &apperr.Invalid{Fields: fields}
		}
		return s.insertRelation(ctx, tx, actor, &r)
	})
	return r, err
}

func (s *Store) insertRelation(ctx context.Context, tx *sql.Tx, actor string, r *Relation) error {
	now := s.now()
	if err := tx.QueryRowContext(ctx, `INSERT INTO cmdb_relations (from_item, type, to_item, kind, source, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, r.From, r.Type, r.To, r.Kind, r.Source, store.Millis(now)).Scan(&r.ID); err != nil {
		return fmt.Errorf("cmdb: insert relation: %w", err)
	}
	return audit.Record(ctx, tx, now, actor, audit.Create, auditRelation, strconv.FormatInt(r.ID, 10), nil, r)
}

// DeleteRelation removes one relation.
func (s *Store) DeleteRelation(ctx context.Context, actor string, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		all, err := listRelations(ctx, tx, "")
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(r Relation) bool { return r.ID == id })
		if i < 0 {
			return apperr.NotFound("relation %d", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cmdb_relations WHERE id = $1`, id); err != nil {
			return fmt.Errorf("cmdb: delete relation: %w", err)
		}
		return audit.Record(ctx, tx, s.now(), actor, audit.Delete, auditRelation, strconv.FormatInt(id, 10), all[i], nil)
	})
}

// History returns the audited changes of an item, newest first.
func (s *Store) History(ctx context.Context, name string, page store.Page) ([]audit.Entry, string, error) {
	return audit.List(ctx, s.db, audit.Filter{ObjectType: auditItem, ObjectID: name}, page)
}

// FileHook makes the stored CMDB hold what the config file declares, in
// the catalog's apply transaction: the file's items and relations are
// written (the file wins), those it no longer declares removed, the API's
// left alone; the whole — with the services' dependencies on items — is
// validated first, and on any problem nothing changes.
func (s *Store) FileHook(actor string, file Set) catalog.FileHook {
	return catalog.FileHook{Before: func(ctx context.Context, tx *sql.Tx, cat catalog.Catalog) error {
		if err := s.db.Serialize(ctx, tx, "cmdb"); err != nil {
			return err
		}
		l, err := s.load(ctx, tx)
		if err != nil {
			return err
		}
		merged := Set{Classes: file.Classes, Items: slices.Clone(file.Items), Relations: slices.Clone(file.Relations)}
		declared := map[string]bool{}
		for _, it := range file.Items {
			declared[it.Name] = true
		}
		for _, it := range l.set.Items {
			if !declared[it.Name] && l.items[it.Name].Source != SourceFile {
				merged.Items = append(merged.Items, it)
			}
		}
		exists := map[string]bool{}
		for _, it := range merged.Items {
			exists[it.Name] = true
		}
		type key struct{ from, typ, to string }
		declaredRel := map[key]bool{}
		for _, r := range file.Relations {
			declaredRel[key{r.From, r.Type, r.To}] = true
		}
		var keepAPI []Relation
		for _, r := range l.set.Relations {
			if r.Source != SourceFile && !declaredRel[key{r.From, r.Type, r.To}] && exists[r.From] && exists[r.To] {
				keepAPI = append(keepAPI, r)
			}
		}
		merged.Relations = append(merged.Relations, keepAPI...)
		var inv apperr.Invalid
		inv.Fields = Validate(merged)
		for i, svc := range cat.Services {
			for j, d := range svc.DependsOn {
				if d.CI != "" && !exists[d.CI] {
					inv.Add(fmt.Sprintf("services[%d].depends_on[%d].ci", i, j), "unknown configuration item %q", d.CI)
				}
			}
		}
		if err := inv.Err(); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		// Relations of the file first removed (then those the removed
		// items take with them), then items written, then relations added.
		for _, r := range l.set.Relations {
			if r.Source == SourceFile && !declaredRel[key{r.From, r.Type, r.To}] {
				if _, err := tx.ExecContext(ctx, `DELETE FROM cmdb_relations WHERE id = $1`, r.ID); err != nil {
					return fmt.Errorf("cmdb: delete relation: %w", err)
				}
				if err := audit.Record(ctx, tx, now, actor, audit.Delete, auditRelation, strconv.FormatInt(r.ID, 10), r, nil); err != nil {
					return err
				}
			}
		}
		for _, it := range l.set.Items {
			if !declared[it.Name] && l.items[it.Name].Source == SourceFile {
				if _, err := tx.ExecContext(ctx, `DELETE FROM cmdb_items WHERE name = $1`, it.Name); err != nil {
					return fmt.Errorf("cmdb: delete item: %w", err)
				}
				if err := audit.Record(ctx, tx, now, actor, audit.Delete, auditItem, it.Name, it, nil); err != nil {
					return err
				}
			}
		}
		// What agents found stays on the file's items where the file is
		// silent (written after validation: discovery validated it).
		items, err := s.keepDiscovered(ctx, tx, file.Items, l.items)
		if err != nil {
			return err
		}
		for _, it := range items {
			spec, err := json.Marshal(it)
			if err != nil {
				return err
			}
			old, ok := l.items[it.Name]
			switch {
			case !ok:
				if _, err := tx.ExecContext(ctx, `INSERT INTO cmdb_items (name, class, spec, source, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
					it.Name, it.Class, string(spec), SourceFile, store.Millis(now)); err != nil {
					return fmt.Errorf("cmdb: insert item: %w", err)
				}
				if err := audit.Record(ctx, tx, now, actor, audit.Create, auditItem, it.Name, nil, it); err != nil {
					return err
				}
			default:
				if oldSpec, _ := json.Marshal(old.Item); string(oldSpec) == string(spec) && old.Source == SourceFile {
					continue
				}
				if _, err := tx.ExecContext(ctx, `UPDATE cmdb_items SET class = $1, spec = $2, source = $3, updated_at = $4 WHERE name = $5`,
					it.Class, string(spec), SourceFile, store.Millis(now), it.Name); err != nil {
					return fmt.Errorf("cmdb: update item: %w", err)
				}
				if err := audit.Record(ctx, tx, now, actor, audit.Update, auditItem, it.Name, old.Item, it); err != nil {
					return err
				}
			}
		}
		stored := map[key]Relation{}
		for _, r := range l.set.Relations {
			stored[key{r.From, r.Type, r.To}] = r
		}
		for _, r := range file.Relations {
			old, ok := stored[key{r.From, r.Type, r.To}]
			if ok && old.Kind == r.Kind && old.Source == SourceFile {
				continue
			}
			if ok {
				if _, err := tx.ExecContext(ctx, `DELETE FROM cmdb_relations WHERE id = $1`, old.ID); err != nil {
					return fmt.Errorf("cmdb: replace relation: %w", err)
				}
			}
			r.Source = SourceFile
			if err := s.insertRelation(ctx, tx, actor, &r); err != nil {
				return err
			}
		}
		return nil
	}}
}

// TimelineItems gives the service timelines the items: which checks watch
// each one, what it rests on, and its members when it is a cluster.
// Retired items rest on nothing and take nothing down. The set is kept
// between writes and shared by every snapshot.
func (s *Store) TimelineItems(ctx context.Context) (*timeline.ItemSet, error) {
	st, err := s.structure(ctx)
	if err != nil {
		return nil, err
	}
	return st.items, nil
}
