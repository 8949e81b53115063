package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/store"
)

// Store keeps the catalog in the database. Every write validates the whole
// catalog as it would be after the write, inside the writing transaction, so
// that no sequence of requests can store a cycle or a dangling reference.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns a catalog store on db. now is the clock used for
// timestamps; nil means time.Now.
func NewStore(db *store.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

// table describes how one kind of catalog object is stored, so that services
// and calendars share one implementation of every operation.
type table struct {
	name string // SQL table, also the audit object type's plural
	kind string // "service" or "calendar", for messages and the audit log
}

var (
	servicesTable  = table{name: "services", kind: "service"}
	calendarsTable = table{name: "calendars", kind: "calendar"}
)

type row struct {
	name      string
	spec      []byte
	source    Source
	createdAt time.Time
	updatedAt time.Time
}

func (t table) list(ctx context.Context, q store.Querier, after string, limit int) ([]row, error) {
	query := `SELECT name, spec, source, created_at, updated_at FROM ` + t.name + ` WHERE name > $1 ORDER BY name`
	args := []any{after}
	if limit > 0 {
		query += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: list %s: %w", t.name, err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		var c, u int64
		var spec string
		if err := rows.Scan(&r.name, &spec, &r.source, &c, &u); err != nil {
			return nil, fmt.Errorf("catalog: list %s: %w", t.name, err)
		}
		r.spec, r.createdAt, r.updatedAt = []byte(spec), store.FromMillis(c), store.FromMillis(u)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: list %s: %w", t.name, err)
	}
	return out, nil
}

func (t table) get(ctx context.Context, q store.Querier, name string) (row, error) {
	var r row
	var c, u int64
	var spec string
	err := q.QueryRowContext(ctx, `SELECT name, spec, source, created_at, updated_at FROM `+t.name+` WHERE name = $1`, name).
		Scan(&r.name, &spec, &r.source, &c, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return r, apperr.NotFound("%s %q", t.kind, name)
	}
	if err != nil {
		return r, fmt.Errorf("catalog: get %s %q: %w", t.kind, name, err)
	}
	r.spec, r.createdAt, r.updatedAt = []byte(spec), store.FromMillis(c), store.FromMillis(u)
	return r, nil
}

func (t table) insert(ctx context.Context, q store.Querier, name string, spec []byte, src Source, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO `+t.name+` (name, spec, source, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
		name, string(spec), src, store.Millis(now))
	if store.IsUniqueViolation(err) {
		return apperr.Conflict("%s %q already exists", t.kind, name)
	}
	if err != nil {
		return fmt.Errorf("catalog: insert %s %q: %w", t.kind, name, err)
	}
	return nil
}

func (t table) update(ctx context.Context, q store.Querier, name string, spec []byte, src Source, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE `+t.name+` SET spec = $2, source = $3, updated_at = $4 WHERE name = $1`,
		name, string(spec), src, store.Millis(now))
	if err != nil {
		return fmt.Errorf("catalog: update %s %q: %w", t.kind, name, err)
	}
	return nil
}

func (t table) delete(ctx context.Context, q store.Querier, name string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM `+t.name+` WHERE name = $1`, name)
	if store.IsForeignKeyViolation(err) {
		return apperr.Conflict("%s %q is still used (by its checks); remove those first", t.kind, name)
	}
	if err != nil {
		return fmt.Errorf("catalog: delete %s %q: %w", t.kind, name, err)
	}
	return nil
}

func decodeService(r row) (StoredService, error) {
	s := StoredService{Source: r.source, CreatedAt: r.createdAt, UpdatedAt: r.updatedAt}
	if err := json.Unmarshal(r.spec, &s.Service); err != nil {
		return s, fmt.Errorf("catalog: stored service %q: %w", r.name, err)
	}
	s.Name = r.name
	return s, nil
}

func decodeCalendar(r row) (StoredCalendar, error) {
	c := StoredCalendar{Source: r.source, CreatedAt: r.createdAt, UpdatedAt: r.updatedAt}
	if err := json.Unmarshal(r.spec, &c.CalendarSpec); err != nil {
		return c, fmt.Errorf("catalog: stored calendar %q: %w", r.name, err)
	}
	c.Name = r.name
	return c, nil
}

// ListServices returns one page of services ordered by name, and the cursor
// of the next page ("" on the last).
func (s *Store) ListServices(ctx context.Context, page store.Page) ([]StoredService, string, error) {
	out, next, err := listPage(ctx, s.db, servicesTable, page, decodeService, func(v StoredService) string { return v.Name })
	if err != nil {
		return nil, "", err
	}
	names := make([]string, len(out))
	for i, v := range out {
		names[i] = v.Name
	}
	held, err := heldWindows(ctx, s.db.Reader(), names)
	if err != nil {
		return nil, "", err
	}
	for i := range out {
		if ws := held[out[i].Name]; len(ws) > 0 {
			out[i].Maintenance = append(slices.Clone(out[i].Maintenance), ws...)
		}
	}
	return out, next, nil
}

// ListCalendars returns one page of calendars ordered by name.
func (s *Store) ListCalendars(ctx context.Context, page store.Page) ([]StoredCalendar, string, error) {
	return listPage(ctx, s.db, calendarsTable, page, decodeCalendar, func(v StoredCalendar) string { return v.Name })
}

func listPage[T any](ctx context.Context, db *store.DB, t table, page store.Page, decode func(row) (T, error), key func(T) string) ([]T, string, error) {
	after, err := page.After()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	rows, err := t.list(ctx, db.Reader(), after, limit+1)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		v, err := decode(r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.Cursor(key(out[limit-1]))
	}
	return out, next, nil
}

// GetService returns one service, or an error wrapping apperr.ErrNotFound.
func (s *Store) GetService(ctx context.Context, name string) (StoredService, error) {
	r, err := servicesTable.get(ctx, s.db.Reader(), name)
	if err != nil {
		return StoredService{}, err
	}
	v, err := decodeService(r)
	if err != nil {
		return v, err
	}
	held, err := heldWindows(ctx, s.db.Reader(), []string{name})
	if err != nil {
		return v, err
	}
	if ws := held[name]; len(ws) > 0 {
		v.Maintenance = append(slices.Clone(v.Maintenance), ws...)
	}
	return v, nil
}

// GetCalendar returns one calendar, or an error wrapping apperr.ErrNotFound.
func (s *Store) GetCalendar(ctx context.Context, name string) (StoredCalendar, error) {
	r, err := calendarsTable.get(ctx, s.db.Reader(), name)
	if err != nil {
		return StoredCalendar{}, err
	}
	return decodeCalendar(r)
}

// Load returns the whole stored catalog, each service with the windows
// held beside it (HoldMaintenance). Writers validate against load alone:
// held windows are no part of any spec.
func (s *Store) Load(ctx context.Context) (Catalog, error) {
	cat, err := load(ctx, s.db.Reader())
	if err != nil {
		return cat, err
	}
	held, err := heldWindows(ctx, s.db.Reader(), nil)
	if err != nil {
		return cat, err
	}
	withHeld(cat.Services, held)
	return cat, nil
}

func load(ctx context.Context, q store.Querier) (Catalog, error) {
	var cat Catalog
	crows, err := calendarsTable.list(ctx, q, "", 0)
	if err != nil {
		return cat, err
	}
	for _, r := range crows {
		c, err := decodeCalendar(r)
		if err != nil {
			return cat, err
		}
		cat.Calendars = append(cat.Calendars, c.Calendar)
	}
	srows, err := servicesTable.list(ctx, q, "", 0)
	if err != nil {
		return cat, err
	}
	for _, r := range srows {
		v, err := decodeService(r)
		if err != nil {
			return cat, err
		}
		cat.Services = append(cat.Services, v.Service)
	}
	return cat, nil
}

// Mode says whether a put may create, may replace, or must create.
type Mode int

// The put modes: POST creates, PUT replaces an existing object.
const (
	MustCreate Mode = iota
	MustExist
)

// PutService creates or replaces a service through the API, after
// validating the catalog as it would be. Problems name fields relative to
// the service ("objective.availability").
func (s *Store) PutService(ctx context.Context, actor string, svc Service, mode Mode) (StoredService, error) {
	var out StoredService
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		cat, err := s.lockedLoad(ctx, tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(cat.Services, func(x Service) bool { return x.Name == svc.Name })
		var before *Service
		switch {
		case mode == MustCreate && i >= 0:
			return apperr.Conflict("service %q already exists", svc.Name)
		case mode == MustExist && i < 0:
			return apperr.NotFound("service %q", svc.Name)
		case i >= 0:
			old := cat.Services[i]
			before = &old
			cat.Services = slices.Delete(cat.Services, i, i+1)
		}
		// Validate with the new service first, so that a cycle it closes
		// is reported at its own depends_on.
		cat.Services = append([]Service{svc}, cat.Services...)
		if err := focus(Validate(cat), "services[0]"); err != nil {
			return err
		}
		spec, err := json.Marshal(svc)
		if err != nil {
			return err
		}
		now := s.now()
		if before == nil {
			err = servicesTable.insert(ctx, tx, svc.Name, spec, SourceAPI, now)
		} else {
			err = servicesTable.update(ctx, tx, svc.Name, spec, SourceAPI, now)
		}
		if err != nil {
			return err
		}
		action := audit.Create
		if before != nil {
			action = audit.Update
		}
		if err := audit.Record(ctx, tx, now, actor, action, "service", svc.Name, before, svc); err != nil {
			return err
		}
		r, err := servicesTable.get(ctx, tx, svc.Name)
		if err != nil {
			return err
		}
		out, err = decodeService(r)
		return err
	})
	return out, err
}

// ValidateService reports the problems PutService would find with svc in
// the catalog as it is now, without writing anything: the API and the UI
// ask it for the fields of an input that did parse when others did not, so
// that the user sees every mistake at once.
func (s *Store) ValidateService(ctx context.Context, svc Service) error {
	cat, err := s.Load(ctx)
	if err != nil {
		return err
	}
	cat.Services = slices.DeleteFunc(cat.Services, func(x Service) bool { return x.Name == svc.Name })
	cat.Services = append([]Service{svc}, cat.Services...)
	return focus(Validate(cat), "services[0]")
}

// ValidateCalendar reports the problems PutCalendar would find with cal,
// without writing anything, as ValidateService does for a service.
func (s *Store) ValidateCalendar(ctx context.Context, cal Calendar) error {
	cat, err := s.Load(ctx)
	if err != nil {
		return err
	}
	cat.Calendars = slices.DeleteFunc(cat.Calendars, func(x Calendar) bool { return x.Name == cal.Name })
	cat.Calendars = append([]Calendar{cal}, cat.Calendars...)
	return focus(Validate(cat), "calendars."+cal.Name)
}

// PutCalendar creates or replaces a calendar through the API.
func (s *Store) PutCalendar(ctx context.Context, actor string, cal Calendar, mode Mode) (StoredCalendar, error) {
	var out StoredCalendar
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		cat, err := s.lockedLoad(ctx, tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(cat.Calendars, func(x Calendar) bool { return x.Name == cal.Name })
		var before *Calendar
		switch {
		case mode == MustCreate && i >= 0:
			return apperr.Conflict("calendar %q already exists", cal.Name)
		case mode == MustExist && i < 0:
			return apperr.NotFound("calendar %q", cal.Name)
		case i >= 0:
			old := cat.Calendars[i]
			before = &old
			cat.Calendars = slices.Delete(cat.Calendars, i, i+1)
		}
		cat.Calendars = append([]Calendar{cal}, cat.Calendars...)
		if err := focus(Validate(cat), "calendars."+cal.Name); err != nil {
			return err
		}
		spec, err := json.Marshal(cal.CalendarSpec)
		if err != nil {
			return err
		}
		now := s.now()
		if before == nil {
			err = calendarsTable.insert(ctx, tx, cal.Name, spec, SourceAPI, now)
		} else {
			err = calendarsTable.update(ctx, tx, cal.Name, spec, SourceAPI, now)
		}
		if err != nil {
			return err
		}
		action := audit.Create
		if before != nil {
			action = audit.Update
		}
		if err := audit.Record(ctx, tx, now, actor, action, "calendar", cal.Name, before, cal); err != nil {
			return err
		}
		r, err := calendarsTable.get(ctx, tx, cal.Name)
		if err != nil {
			return err
		}
		out, err = decodeCalendar(r)
		return err
	})
	return out, err
}

// lockedLoad serialises catalog writers and loads the catalog they change.
func (s *Store) lockedLoad(ctx context.Context, tx *sql.Tx) (Catalog, error) {
	if err := s.db.Serialize(ctx, tx, "catalog"); err != nil {
		return Catalog{}, err
	}
	return load(ctx, tx)
}

// focus keeps the problems under prefix, with paths made relative to it.
// Problems elsewhere (which a valid stored catalog cannot have, but a
// change can cause — a calendar whose removal breaks a service) are kept
// with their full path, so nothing is hidden.
func focus(problems []apperr.Field, prefix string) error {
	if len(problems) == 0 {
		return nil
	}
	inv := &apperr.Invalid{}
	for _, p := range problems {
		switch {
		case p.Path == prefix:
			// Only the object's name is reported at the object itself.
			inv.Fields = append(inv.Fields, apperr.Field{Path: "name", Msg: p.Msg})
		case strings.HasPrefix(p.Path, prefix+"."), strings.HasPrefix(p.Path, prefix+"["):
			inv.Fields = append(inv.Fields, apperr.Field{Path: strings.TrimPrefix(strings.TrimPrefix(p.Path, prefix), "."), Msg: p.Msg})
		default:
			inv.Fields = append(inv.Fields, p)
		}
	}
	return inv
}

// DeleteService removes a service that no other service depends on.
func (s *Store) DeleteService(ctx context.Context, actor, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		cat, err := s.lockedLoad(ctx, tx)
		if err != nil {
			return err
		}
		var before *Service
		var dependents []string
		for _, x := range cat.Services {
			if x.Name == name {
				v := x
				before = &v
			}
			for _, d := range x.DependsOn {
				if d.Service == name {
					dependents = append(dependents, x.Name)
				}
			}
		}
		if before == nil {
			return apperr.NotFound("service %q", name)
		}
		if len(dependents) > 0 {
			return apperr.Conflict("service %q is a dependency of %s; remove those dependencies first", name, strings.Join(dependents, ", "))
		}
		if err := servicesTable.delete(ctx, tx, name); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.now(), actor, audit.Delete, "service", name, before, nil)
	})
}

// DeleteCalendar removes a calendar that no objective uses.
func (s *Store) DeleteCalendar(ctx context.Context, actor, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		cat, err := s.lockedLoad(ctx, tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(cat.Calendars, func(x Calendar) bool { return x.Name == name })
		if i < 0 {
			return apperr.NotFound("calendar %q", name)
		}
		var users []string
		for _, x := range cat.Services {
			if x.Objective != nil && x.Objective.Hours == name {
				users = append(users, x.Name)
			}
		}
		if len(users) > 0 {
			return apperr.Conflict("calendar %q is the service hours of %s", name, strings.Join(users, ", "))
		}
		if err := calendarsTable.delete(ctx, tx, name); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.now(), actor, audit.Delete, "calendar", name, cat.Calendars[i], nil)
	})
}

// Changes counts what applying a config file did.
type Changes struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
}

// ApplyFile makes the stored catalog hold exactly what the config file
// declares, for the objects the file owns: declared objects are created or
// overwritten (the file wins, even over API edits), and objects that came
// from the file but are no longer in it are removed. Objects created through
// the API are left alone. The result is validated as a whole before anything
// is written; on any problem nothing changes.
func (s *Store) ApplyFile(ctx context.Context, actor string, file Catalog, hooks ...FileHook) (Changes, error) {
	var ch Changes
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		ch = Changes{}
		if err := s.db.Serialize(ctx, tx, "catalog"); err != nil {
			return err
		}
		crows, err := calendarsTable.list(ctx, tx, "", 0)
		if err != nil {
			return err
		}
		srows, err := servicesTable.list(ctx, tx, "", 0)
		if err != nil {
			return err
		}
		// The catalog after the apply: the file's objects plus the API's
		// objects the file does not name.
		merged := Catalog{Calendars: slices.Clone(file.Calendars), Services: slices.Clone(file.Services)}
		declaredCal := map[string]bool{}
		for _, c := range file.Calendars {
			declaredCal[c.Name] = true
		}
		declaredSvc := map[string]bool{}
		for _, v := range file.Services {
			declaredSvc[v.Name] = true
		}
		for _, r := range crows {
			if r.source != SourceFile && !declaredCal[r.name] {
				c, err := decodeCalendar(r)
				if err != nil {
					return err
				}
				merged.Calendars = append(merged.Calendars, c.Calendar)
			}
		}
		for _, r := range srows {
			if r.source != SourceFile && !declaredSvc[r.name] {
				v, err := decodeService(r)
				if err != nil {
					return err
				}
				merged.Services = append(merged.Services, v.Service)
			}
		}
		if problems := Validate(merged); len(problems) > 0 {
			return &apperr.Invalid{Fields: problems}
		}
		now := s.now()
		for _, h := range hooks {
			if h.Before != nil {
				if err := h.Before(ctx, tx, merged); err != nil {
					return err
				}
			}
		}
		// Services first removed, then calendars, so that nothing refers to
		// a removed calendar; additions go the other way round.
		if err := applyTable(ctx, tx, servicesTable, srows, nil, declaredSvc, actor, now, &ch); err != nil {
			return err
		}
		if err := applyTable(ctx, tx, calendarsTable, crows, nil, declaredCal, actor, now, &ch); err != nil {
			return err
		}
		calSpecs := map[string]any{}
		for _, c := range file.Calendars {
			calSpecs[c.Name] = c.CalendarSpec
		}
		if err := applyTable(ctx, tx, calendarsTable, crows, calSpecs, nil, actor, now, &ch); err != nil {
			return err
		}
		svcSpecs := map[string]any{}
		for _, v := range file.Services {
			svcSpecs[v.Name] = v
		}
		if err := applyTable(ctx, tx, servicesTable, srows, svcSpecs, nil, actor, now, &ch); err != nil {
			return err
		}
		for _, h := range hooks {
			if h.After != nil {
				if err := h.After(ctx, tx, merged); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return ch, err
}

// FileHook lets another area apply its part of the config file in the same
// transaction as the catalog: Before runs before services are removed (to
// remove what refers to them), After once the catalog is written. Both see
// the catalog as it will be.
type FileHook struct {
	Before func(ctx context.Context, tx *sql.Tx, cat Catalog) error
	After  func(ctx context.Context, tx *sql.Tx, cat Catalog) error
}

// applyTable either removes the file's objects that are no longer declared
// (when specs is nil) or writes the declared ones (specs by name).
func applyTable(ctx context.Context, tx *sql.Tx, t table, existing []row, specs map[string]any, declared map[string]bool, actor string, now time.Time, ch *Changes) error {
	byName := map[string]row{}
	for _, r := range existing {
		byName[r.name] = r
	}
	if specs == nil {
		for _, r := range existing {
			if r.source == SourceFile && !declared[r.name] {
				if err := t.delete(ctx, tx, r.name); err != nil {
					return err
				}
				if err := audit.Record(ctx, tx, now, actor, audit.Delete, t.kind, r.name, json.RawMessage(r.spec), nil); err != nil {
					return err
				}
				ch.Deleted++
			}
		}
		return nil
	}
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		spec, err := json.Marshal(specs[name])
		if err != nil {
			return err
		}
		old, exists := byName[name]
		switch {
		case !exists:
			if err := t.insert(ctx, tx, name, spec, SourceFile, now); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, now, actor, audit.Create, t.kind, name, nil, json.RawMessage(spec)); err != nil {
				return err
			}
			ch.Created++
		case string(old.spec) == string(spec) && old.source == SourceFile:
			ch.Unchanged++
		default:
			if err := t.update(ctx, tx, name, spec, SourceFile, now); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, now, actor, audit.Update, t.kind, name, json.RawMessage(old.spec), json.RawMessage(spec)); err != nil {
				return err
			}
			ch.Updated++
		}
	}
	return nil
}
