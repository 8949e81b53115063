package capacity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/store"
)

// Store keeps profiles, time off, projects, allocations and time entries.
type Store struct {
	DB  *store.DB
	Now func() time.Time
}

func (s *Store) now() time.Time { return s.Now().UTC() }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the types here always marshal
	}
	return string(b)
}

// Profile returns person's record, or the defaults when there is none.
func (s *Store) Profile(ctx context.Context, person string) (Profile, error) {
	ps, err := s.profiles(ctx, "person = $1", person)
	if err != nil {
		return Profile{}, err
	}
	if len(ps) == 0 {
		return DefaultProfile(person), nil
	}
	return ps[0], nil
}

// Profiles returns every stored record, by person.
func (s *Store) Profiles(ctx context.Context) ([]Profile, error) { return s.profiles(ctx, "1 = 1") }

func (s *Store) profiles(ctx context.Context, where string, args ...any) ([]Profile, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT person, team, zone, hours, calendar, skills, desk FROM capacity_profiles WHERE `+where+` ORDER BY person`, args...)
	if err != nil {
		return nil, fmt.Errorf("capacity: profiles: %w", err)
	}
	defer rows.Close()
	var out []Profile
	for rows.Next() {
		var p Profile
		var hours, skills, desk string
		if err := rows.Scan(&p.Person, &p.Team, &p.Zone, &hours, &p.Calendar, &skills, &desk); err != nil {
			return nil, fmt.Errorf("capacity: profiles: %w", err)
		}
		if err := errors.Join(json.Unmarshal([]byte(hours), &p.Hours), json.Unmarshal([]byte(skills), &p.Skills), json.Unmarshal([]byte(desk), &p.Desk)); err != nil {
			return nil, fmt.Errorf("capacity: profile %q: %w", p.Person, err)
		}
		p.Stored = true
		out = append(out, p)
	}
	return out, rows.Err()
}

// PutProfile validates and stores person's record, audited.
func (s *Store) PutProfile(ctx context.Context, actor string, p Profile, k Known) (Profile, error) {
	if p.Skills == nil {
		p.Skills = []Skill{}
	}
	if p.Desk == nil {
		p.Desk = []DeskDuty{}
	}
	if err := ValidateProfile(p, k); err != nil {
		return Profile{}, err
	}
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.Profile(ctx, p.Person)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO capacity_profiles (person, team, zone, hours, calendar, skills, desk, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (person) DO UPDATE SET team = $2, zone = $3, hours = $4, calendar = $5, skills = $6, desk = $7, updated_at = $8`,
			p.Person, p.Team, p.Zone, mustJSON(p.Hours), p.Calendar, mustJSON(p.Skills), mustJSON(p.Desk), store.Millis(now)); err != nil {
			return err
		}
		var old any
		if before.Stored {
			old = before
		}
		p.Stored = true
		return audit.Record(ctx, tx, now, actor, audit.Update, "capacity_profile", p.Person, old, p)
	})
	if err != nil {
		return Profile{}, fmt.Errorf("capacity: save profile: %w", err)
	}
	return p, nil
}

// AddTimeOff records an absence of person.
func (s *Store) AddTimeOff(ctx context.Context, actor, person string, in TimeOffInput, k Known) (TimeOffRecord, error) {
	inv := &apperr.Invalid{}
	if k.Person != nil && !k.Person(person) {
		inv.Add("person", "unknown person %q", person)
	}
	if err := ValidateTimeOff(in); err != nil {
		var v *apperr.Invalid
		errors.As(err, &v)
		inv.Fields = append(inv.Fields, v.Fields...)
	}
	if err := inv.Err(); err != nil {
		return TimeOffRecord{}, err
	}
	r := TimeOffRecord{Person: person, From: in.From, To: in.To, Hours: in.Hours, Approved: in.Approved, Note: strings.TrimSpace(in.Note)}
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO capacity_time_off (person, from_day, to_day, hours, approved, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, person, r.From.Unix(), r.To.Unix(), r.Hours, b2i(r.Approved), r.Note, actor, store.Millis(now)).Scan(&r.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "time_off", fmt.Sprint(r.ID), nil, r)
	})
	if err != nil {
		return TimeOffRecord{}, fmt.Errorf("capacity: add time off: %w", err)
	}
	return r, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TimeOff lists absences ending on or after from and starting on or before
// to ("" person for everyone), earliest first.
func (s *Store) TimeOff(ctx context.Context, person string, from, to Day) ([]TimeOffRecord, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id, person, from_day, to_day, hours, approved, note FROM capacity_time_off
		WHERE ($1 = '' OR person = $1) AND to_day >= $2 AND from_day <= $3 ORDER BY from_day, id`, person, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("capacity: time off: %w", err)
	}
	defer rows.Close()
	var out []TimeOffRecord
	for rows.Next() {
		var r TimeOffRecord
		var f, t int64
		var ap int
		if err := rows.Scan(&r.ID, &r.Person, &f, &t, &r.Hours, &ap, &r.Note); err != nil {
			return nil, fmt.Errorf("capacity: time off: %w", err)
		}
		r.From, r.To, r.Approved = DayFromUnix(f), DayFromUnix(t), ap == 1
		out = append(out, r)
	}
	return out, rows.Err()
}

// ApproveTimeOff marks an absence approved.
func (s *Store) ApproveTimeOff(ctx context.Context, actor string, id int64) error {
	return s.change(ctx, actor, "time_off", id, `UPDATE capacity_time_off SET approved = 1 WHERE id = $1`, audit.Update)
}

// DeleteTimeOff removes an absence.
func (s *Store) DeleteTimeOff(ctx context.Context, actor string, id int64) error {
	return s.change(ctx, actor, "time_off", id, `DELETE FROM capacity_time_off WHERE id = $1`, audit.Delete)
}

// DeleteAllocation removes an allocation.
func (s *Store) DeleteAllocation(ctx context.Context, actor string, id int64) error {
	return s.change(ctx, actor, "allocation", id, `DELETE FROM allocations WHERE id = $1`, audit.Delete)
}

// change runs one statement on the row id of kind, audited, and says 404
// when there is no such row.
func (s *Store) change(ctx context.Context, actor, kind string, id int64, stmt, action string) error {
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, stmt, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s %d: %w", strings.ReplaceAll(kind, "_", " "), id, apperr.ErrNotFound)
		}
		return audit.Record(ctx, tx, now, actor, action, kind, fmt.Sprint(id), nil, nil)
	})
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return fmt.Errorf("capacity: %s: %w", kind, err)
	}
	return err
}

const projectColumns = `id, name, title, status, start_day, end_day, budget_hours, budget_money, owner, services, skills`

func scanProject(sc interface{ Scan(...any) error }) (Project, error) {
	var p Project
	var st, en int64
	var services, skills string
	if err := sc.Scan(&p.ID, &p.Name, &p.Title, &p.Status, &st, &en, &p.BudgetHours, &p.BudgetMoney, &p.Owner, &services, &skills); err != nil {
		return Project{}, err
	}
	p.Start, p.End = DayFromUnix(st), DayFromUnix(en)
	if err := errors.Join(json.Unmarshal([]byte(services), &p.Services), json.Unmarshal([]byte(skills), &p.Skills)); err != nil {
		return Project{}, err
	}
	return p, nil
}

// Projects lists every project, by start.
func (s *Store) Projects(ctx context.Context) ([]Project, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT `+projectColumns+` FROM projects ORDER BY start_day, name`)
	if err != nil {
		return nil, fmt.Errorf("capacity: projects: %w", err)
	}
	defer rows.Close()
	var out []Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("capacity: projects: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Project returns the project named name.
func (s *Store) Project(ctx context.Context, name string) (Project, error) {
	p, err := scanProject(s.DB.Reader().QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Project{}, fmt.Errorf("project %q: %w", name, apperr.ErrNotFound)
	}
	if err != nil {
		return Project{}, fmt.Errorf("capacity: project: %w", err)
	}
	return p, nil
}

// PutProject creates or replaces the project named in.Name, audited; it
// says whether it was created.
func (s *Store) PutProject(ctx context.Context, actor string, in ProjectInput, k Known) (Project, bool, error) {
	if in.Services == nil {
		in.Services = []string{}
	}
	if in.Skills == nil {
		in.Skills = []SkillNeed{}
	}
	if err := ValidateProject(in, k); err != nil {
		return Project{}, false, err
	}
	now := s.now()
	p := Project{Name: in.Name, Title: strings.TrimSpace(in.Title), Status: in.Status, Start: in.Start, End: in.End, BudgetHours: in.BudgetHours,
		BudgetMoney: in.BudgetMoney, Owner: in.Owner, Services: in.Services, Skills: in.Skills}
	created := false
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := scanProject(tx.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects WHERE name = $1`, in.Name))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			if err := tx.QueryRowContext(ctx, `INSERT INTO projects (name, title, status, start_day, end_day, budget_hours, budget_money, owner, services, skills, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
				p.Name, p.Title, p.Status, p.Start.Unix(), p.End.Unix(), p.BudgetHours, p.BudgetMoney, p.Owner, mustJSON(p.Services), mustJSON(p.Skills), store.Millis(now)).Scan(&p.ID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, now, actor, audit.Create, "project", p.Name, nil, p)
		case err != nil:
			return err
		}
		p.ID = old.ID
		// Allocations must stay inside the project's dates.
		var outside int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM allocations WHERE project_id = $1 AND (from_day < $2 OR to_day > $3)`,
			p.ID, p.Start.Unix(), p.End.Unix()).Scan(&outside); err != nil {
			return err
		}
		if outside > 0 {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "start", Msg: fmt.Sprintf("%d allocation(s) fall outside %s – %s: change or remove them first", outside, p.Start, p.End)}}}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET title = $2, status = $3, start_day = $4, end_day = $5, budget_hours = $6, budget_money = $7,
			owner = $8, services = $9, skills = $10, updated_at = $11 WHERE id = $1`,
			p.ID, p.Title, p.Status, p.Start.Unix(), p.End.Unix(), p.BudgetHours, p.BudgetMoney, p.Owner, mustJSON(p.Services), mustJSON(p.Skills), store.Millis(now)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Update, "project", p.Name, old, p)
	})
	if err != nil {
		var inv *apperr.Invalid
		if errors.As(err, &inv) {
			return Project{}, false, err
		}
		return Project{}, false, fmt.Errorf("capacity: save project: %w", err)
	}
	return p, created, nil
}

// DeleteProject removes a project with its allocations and time entries.
func (s *Store) DeleteProject(ctx context.Context, actor, name string) error {
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := scanProject(tx.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects WHERE name = $1`, name))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("project %q: %w", name, apperr.ErrNotFound)
		}
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM allocations WHERE project_id = $1`, `DELETE FROM time_entries WHERE project_id = $1`, `DELETE FROM projects WHERE id = $1`} {
			if _, err := tx.ExecContext(ctx, q, old.ID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, actor, audit.Delete, "project", name, old, nil)
	})
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return fmt.Errorf("capacity: delete project: %w", err)
	}
	return err
}

// AddAllocation validates and stores an allocation, audited.
func (s *Store) AddAllocation(ctx context.Context, actor string, in AllocationInput, k Known) (AllocationRecord, error) {
	var proj *Project
	if in.Project != "" {
		p, err := s.Project(ctx, in.Project)
		switch {
		case err == nil:
			proj = &p
		case !errors.Is(err, apperr.ErrNotFound):
			return AllocationRecord{}, err
		}
	}
	if err := ValidateAllocation(in, proj, k); err != nil {
		return AllocationRecord{}, err
	}
	r := AllocationRecord{Project: in.Project, Person: in.Person, From: in.From, To: in.To, HoursPerDay: in.HoursPerDay, Share: in.Share, Tentative: in.Tentative}
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO allocations (project_id, person, from_day, to_day, hours_per_day, share, tentative, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, proj.ID, r.Person, r.From.Unix(), r.To.Unix(), r.HoursPerDay, r.Share, b2i(r.Tentative), actor, store.Millis(now)).Scan(&r.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "allocation", fmt.Sprint(r.ID), nil, r)
	})
	if err != nil {
		return AllocationRecord{}, fmt.Errorf("capacity: add allocation: %w", err)
	}
	return r, nil
}

// AllocationFilter picks allocations.
type AllocationFilter struct {
	Project, Person string
	From, To        Day
}

// Allocations lists allocations overlapping [f.From, f.To] (zero days for
// all), with the status of their project.
func (s *Store) Allocations(ctx context.Context, f AllocationFilter) ([]AllocationRecord, map[string]string, error) {
	from, to := int64(-1<<40), int64(1<<40)
	if !f.From.IsZero() {
		from = f.From.Unix()
	}
	if !f.To.IsZero() {
		to = f.To.Unix()
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT a.id, p.name, p.status, a.person, a.from_day, a.to_day, a.hours_per_day, a.share, a.tentative
		FROM allocations a JOIN projects p ON p.id = a.project_id
		WHERE ($1 = '' OR p.name = $1) AND ($2 = '' OR a.person = $2) AND a.to_day >= $3 AND a.from_day <= $4
		ORDER BY a.from_day, a.id`, f.Project, f.Person, from, to)
	if err != nil {
		return nil, nil, fmt.Errorf("capacity: allocations: %w", err)
	}
	defer rows.Close()
	var out []AllocationRecord
	status := map[string]string{}
	for rows.Next() {
		var r AllocationRecord
		var st string
		var fd, td int64
		var tent int
		if err := rows.Scan(&r.ID, &r.Project, &st, &r.Person, &fd, &td, &r.HoursPerDay, &r.Share, &tent); err != nil {
			return nil, nil, fmt.Errorf("capacity: allocations: %w", err)
		}
		r.From, r.To, r.Tentative = DayFromUnix(fd), DayFromUnix(td), tent == 1
		status[r.Project] = st
		out = append(out, r)
	}
	return out, status, rows.Err()
}

// LogTime records hours worked on a project.
func (s *Store) LogTime(ctx context.Context, actor, project string, in TimeEntryInput, k Known) (TimeEntry, error) {
	p, err := s.Project(ctx, project)
	if err != nil {
		return TimeEntry{}, err
	}
	loc := time.UTC
	if prof, err := s.Profile(ctx, in.Person); err == nil {
		if l, err := time.LoadLocation(prof.Zone); err == nil {
			loc = l
		}
	}
	if err := ValidateTimeEntry(in, k, DayOf(s.now(), loc)); err != nil {
		return TimeEntry{}, err
	}
	e := TimeEntry{Project: p.Name, Person: in.Person, Day: in.Day, Hours: in.Hours, Note: strings.TrimSpace(in.Note)}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO time_entries (project_id, person, day, hours, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, p.ID, e.Person, e.Day.Unix(), e.Hours, e.Note, actor, store.Millis(now)).Scan(&e.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "time_entry", fmt.Sprint(e.ID), nil, e)
	})
	if err != nil {
		return TimeEntry{}, fmt.Errorf("capacity: log time: %w", err)
	}
	return e, nil
}

// TimeEntries lists the hours logged on a project, by day.
func (s *Store) TimeEntries(ctx context.Context, project string) ([]TimeEntry, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT e.id, p.name, e.person, e.day, e.hours, e.note FROM time_entries e JOIN projects p ON p.id = e.project_id
		WHERE p.name = $1 ORDER BY e.day, e.id`, project)
	if err != nil {
		return nil, fmt.Errorf("capacity: time entries: %w", err)
	}
	defer rows.Close()
	var out []TimeEntry
	for rows.Next() {
		var e TimeEntry
		var d int64
		if err := rows.Scan(&e.ID, &e.Project, &e.Person, &d, &e.Hours, &e.Note); err != nil {
			return nil, fmt.Errorf("capacity: time entries: %w", err)
		}
		e.Day = DayFromUnix(d)
		out = append(out, e)
	}
	return out, rows.Err()
}
