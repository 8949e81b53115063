package catalog

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/store"
)

// WindowRef names a maintenance window of a service by its content: the
// first 12 hex digits of the SHA-256 of its JSON. A window has no id of
// its own (it is part of the service's spec, as the config file writes
// it), and its content is what a person removing it means.
func WindowRef(w MaintenanceWindow) string {
	b, _ := json.Marshal(w)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// CheckMaintenance validates one window on its own, with paths relative
// to the window ("start", "rrule"); a recurring window without a zone is
// read in zone.
func CheckMaintenance(w MaintenanceWindow, zone *time.Location) error {
	_, fields := compileMaintenance(w, zone)
	return (&apperr.Invalid{Fields: fields}).Err()
}

// Zone is the time zone a service's objective is cut in: its calendar's,
// or UTC for 24x7 and for a service without an objective. Maintenance
// windows without a zone of their own follow it.
func (cat Catalog) Zone(service string) *time.Location {
	i := slices.IndexFunc(cat.Services, func(s Service) bool { return s.Name == service })
	if i < 0 || cat.Services[i].Objective == nil {
		return time.UTC
	}
	hours := cat.Services[i].Objective.Hours
	for _, c := range cat.Calendars {
		if c.Name == hours {
			if loc, err := loadZone(c.Timezone); err == nil {
				return loc
			}
		}
	}
	return time.UTC
}

// Occurrence is one stretch of planned maintenance of one service.
type Occurrence struct {
	Service string `json:"service"`
	// Window is the WindowRef of the window it comes from.
	Window    string    `json:"window"`
	Title     string    `json:"title,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Recurring bool      `json:"recurring"`
	// Timezone is the zone the window's times are read in.
	Timezone   string `json:"timezone"`
	InProgress bool   `json:"in_progress"`
}

// Occurrences expands every maintenance window of the catalog's services
// over [from, to), recurring windows in their own zone (or the service's),
// and returns the occurrences that have not ended by now, by start, then
// service.
func (cat Catalog) Occurrences(from, to, now time.Time) []Occurrence {
	var out []Occurrence
	for _, svc := range cat.Services {
		out = append(out, ServiceOccurrences(svc, cat.Zone(svc.Name), from, to, now)...)
	}
	slices.SortStableFunc(out, func(a, b Occurrence) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Service, b.Service))
	})
	return out
}

// ServiceOccurrences expands one service's maintenance windows over
// [from, to), those without a zone of their own in zone (the service's),
// and returns the occurrences that have not ended by now, in the order of
// the windows and then of time. An occurrence under way at from keeps its
// true start when it began less than a day before from; an older start
// shows as from a day earlier. Invalid windows are skipped: the catalog is
// validated before it is stored.
func ServiceOccurrences(svc Service, zone *time.Location, from, to, now time.Time) []Occurrence {
	var out []Occurrence
	for _, w := range svc.Maintenance {
		m, _ := compileMaintenance(w, zone)
		if m == nil {
			continue
		}
		tz := zone.String()
		if w.Timezone != "" {
			tz = w.Timezone
		}
		for _, iv := range m.Intervals(from.Add(-24*time.Hour), to) {
			if !iv.End.After(now) || !iv.End.After(from) {
				continue
			}
			out = append(out, Occurrence{Service: svc.Name, Window: WindowRef(w), Title: w.Title, Start: iv.Start, End: iv.End,
				Recurring: w.RRule != "", Timezone: tz, InProgress: !iv.Start.After(now)})
		}
	}
	return out
}

// AddMaintenance adds window w to each of the named services, in one
// transaction: either every service gets it or none does. Each service is
// audited as updated. A service declared in the config file is refused —
// the file would take the window away on the next reload — and so is a
// service that already has the same window. Problems with the window name
// its fields ("rrule"); problems with a service name it ("services[1]").
func (s *Store) AddMaintenance(ctx context.Context, actor string, services []string, w MaintenanceWindow) error {
	return s.addMaintenance(ctx, actor, "", services, w)
}

// HoldMaintenance adds a window that Sextant itself holds for owner (an
// approved change's planned window, "change:42") to each service: in the
// spec of a service made through the API, as AddMaintenance does, and
// beside the spec of one declared in the config file, which the file
// owns (held_windows): the catalog reads it with the service, so reports,
// incidents and notices treat it as maintenance all the same. Holding the
// same owner's window again replaces it.
func (s *Store) HoldMaintenance(ctx context.Context, actor, owner string, services []string, w MaintenanceWindow) error {
	if owner == "" {
		return errors.New("catalog: a held window needs its owner")
	}
	return s.addMaintenance(ctx, actor, owner, services, w)
}

func (s *Store) addMaintenance(ctx context.Context, actor, owner string, services []string, w MaintenanceWindow) error {
	if len(services) == 0 {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "services", Msg: "choose at least one service"}}}
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		cat, err := s.lockedLoad(ctx, tx)
		if err != nil {
			return err
		}
		inv := &apperr.Invalid{}
		seen := map[string]bool{}
		var changed []Service
		var before []Service
		var held []bool // the service is the file's: the window goes beside it
		for i, name := range services {
			path := "services[" + strconv.Itoa(i) + "]"
			j := slices.IndexFunc(cat.Services, func(x Service) bool { return x.Name == name })
			switch {
			case seen[name]:
				inv.Add(path, "service %q is chosen twice", name)
				continue
			case j < 0:
				inv.Add(path, "unknown service %q", name)
				continue
			}
			seen[name] = true
			r, err := servicesTable.get(ctx, tx, name)
			if err != nil {
				return err
			}
			if r.source == SourceFile && owner == "" {
				inv.Add(path, "service %q is declared in the config file and is read-only here: add the window to the file", name)
				continue
			}
			svc := cat.Services[j]
			if slices.Contains(svc.Maintenance, w) {
				inv.Add(path, "service %q already has this window", name)
				continue
			}
			// The window is read in this service's zone when it has none.
			if err := CheckMaintenance(w, cat.Zone(name)); err != nil {
				var wi *apperr.Invalid
				if !errors.As(err, &wi) {
					return err
				}
				inv.Fields = append(inv.Fields, wi.Fields...)
				continue
			}
			before = append(before, svc)
			svc.Maintenance = append(slices.Clone(svc.Maintenance), w)
			cat.Services[j] = svc
			changed = append(changed, svc)
			held = append(held, r.source == SourceFile)
		}
		if err := inv.Err(); err != nil {
			return dedupe(inv)
		}
		if problems := Validate(cat); len(problems) > 0 {
			return &apperr.Invalid{Fields: problems}
		}
		now := s.now()
		for i, svc := range changed {
			if held[i] {
				if err := holdWindow(ctx, tx, actor, owner, before[i], svc, w, now); err != nil {
					return err
				}
				continue
			}
			if err := s.writeService(ctx, tx, actor, before[i], svc, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// holdWindow stores a held window of a file-declared service, replacing
// the one its owner held before, and audits the service as it now reads.
func holdWindow(ctx context.Context, tx *sql.Tx, actor, owner string, before, after Service, w MaintenanceWindow, now time.Time) error {
	spec, err := json.Marshal(w)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO held_windows (service, owner, spec, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (service, owner) DO UPDATE SET spec = excluded.spec, created_by = excluded.created_by, created_at = excluded.created_at`,
		after.Name, owner, string(spec), actor, store.Millis(now)); err != nil {
		return fmt.Errorf("catalog: hold a window on %q: %w", after.Name, err)
	}
	return audit.Record(ctx, tx, now, actor, audit.Update, "service", after.Name, before, after)
}

// heldWindows reads the held windows of the named services (all when
// names is nil), by service, in the order they were first held.
func heldWindows(ctx context.Context, q store.Querier, names []string) (map[string][]MaintenanceWindow, error) {
	query, args := `SELECT service, spec FROM held_windows ORDER BY id`, []any(nil)
	if names != nil {
		if len(names) == 0 {
			return nil, nil
		}
		ph := make([]string, len(names))
		for i, n := range names {
			ph[i], args = "$"+strconv.Itoa(i+1), append(args, n)
		}
		query = `SELECT service, spec FROM held_windows WHERE service IN (` + strings.Join(ph, ", ") + `) ORDER BY id`
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: read held windows: %w", err)
	}
	defer rows.Close()
	out := map[string][]MaintenanceWindow{}
	for rows.Next() {
		var name, spec string
		if err := rows.Scan(&name, &spec); err != nil {
			return nil, fmt.Errorf("catalog: read held windows: %w", err)
		}
		var w MaintenanceWindow
		if err := json.Unmarshal([]byte(spec), &w); err != nil {
			return nil, fmt.Errorf("catalog: held window of %q: %w", name, err)
		}
		out[name] = append(out[name], w)
	}
	return out, rows.Err()
}

// withHeld adds to each service the windows held beside it.
func withHeld(svcs []Service, held map[string][]MaintenanceWindow) {
	for i := range svcs {
		if ws := held[svcs[i].Name]; len(ws) > 0 {
			svcs[i].Maintenance = append(slices.Clone(svcs[i].Maintenance), ws...)
		}
	}
}

// RemoveMaintenance takes the window with the given WindowRef off a
// service, audited; a service from the config file is refused.
func (s *Store) RemoveMaintenance(ctx context.Context, actor, service, ref string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.db.Serialize(ctx, tx, "catalog"); err != nil {
			return err
		}
		r, err := servicesTable.get(ctx, tx, service)
		if err != nil {
			return err
		}
		svc, err := decodeService(r)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(svc.Maintenance, func(w MaintenanceWindow) bool { return WindowRef(w) == ref })
		switch {
		case i < 0:
			return apperr.NotFound("maintenance window %q of service %q", ref, service)
		case r.source == SourceFile:
			return apperr.Conflict("service %q is declared in the config file and is read-only here: remove the window from the file", service)
		}
		after := svc.Service
		after.Maintenance = slices.Delete(slices.Clone(svc.Maintenance), i, i+1)
		return s.writeService(ctx, tx, actor, svc.Service, after, s.now())
	})
}

// writeService stores a changed service and audits the change.
func (s *Store) writeService(ctx context.Context, tx *sql.Tx, actor string, before, after Service, now time.Time) error {
	spec, err := json.Marshal(after)
	if err != nil {
		return err
	}
	if err := servicesTable.update(ctx, tx, after.Name, spec, SourceAPI, now); err != nil {
		return err
	}
	return audit.Record(ctx, tx, now, actor, audit.Update, "service", after.Name, before, after)
}

// dedupe drops repeated problems (the same window mistake found for each
// chosen service).
func dedupe(inv *apperr.Invalid) *apperr.Invalid {
	out := &apperr.Invalid{}
	for _, f := range inv.Fields {
		if !slices.Contains(out.Fields, f) {
			out.Fields = append(out.Fields, f)
		}
	}
	return out
}
