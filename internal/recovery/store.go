package recovery

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

// ErrNotFound is returned for a plan, drill or restore test that does not
// exist.
var ErrNotFound = errors.New("recovery: not found")

// Store keeps backup runs, restore tests, plans and drills.
type Store struct {
	DB *store.DB
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Facts, when set, gives what plans are validated against: the known
	// services with their max_outage and the backup jobs with their rpo.
	Facts func(ctx context.Context) (Facts, error)
}

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// InsertRun keeps one backup run through q, the transaction that records
// the ping.
func InsertRun(ctx context.Context, q store.Querier, r Run) error {
	var bytes sql.NullInt64
	if r.Bytes != nil {
		bytes = sql.NullInt64{Int64: *r.Bytes, Valid: true}
	}
	_, err := q.ExecContext(ctx, `INSERT INTO backup_runs (check_name, at, outcome, data_point, bytes) VALUES ($1, $2, $3, $4, $5)`,
		r.Check, store.Millis(r.At), r.Outcome, store.NullMillis(r.DataPoint), bytes)
	if err != nil {
		return fmt.Errorf("recovery: record a backup run: %w", err)
	}
	return nil
}

// Runs returns a job's runs reported in [from, to], oldest first, led by
// the success before from with the latest data point, so that the rules
// know where achieved RPO stood at from.
func (s *Store) Runs(ctx context.Context, check string, from, to time.Time) ([]Run, error) {
	q := s.DB.Reader()
	var out []Run
	prior, err := scanRuns(q.QueryContext(ctx, `SELECT id, check_name, at, outcome, data_point, bytes FROM backup_runs
		WHERE check_name = $1 AND outcome = 'success' AND at < $2 ORDER BY COALESCE(data_point, at) DESC, id DESC LIMIT 1`, check, store.Millis(from)))
	if err != nil {
		return nil, err
	}
	out = append(out, prior...)
	in, err := scanRuns(q.QueryContext(ctx, `SELECT id, check_name, at, outcome, data_point, bytes FROM backup_runs
		WHERE check_name = $1 AND at >= $2 AND at <= $3 ORDER BY at, id`, check, store.Millis(from), store.Millis(to)))
	if err != nil {
		return nil, err
	}
	return append(out, in...), nil
}

// LastRuns returns a job's latest runs, newest first.
func (s *Store) LastRuns(ctx context.Context, check string, limit int) ([]Run, error) {
	return scanRuns(s.DB.Reader().QueryContext(ctx, `SELECT id, check_name, at, outcome, data_point, bytes FROM backup_runs
		WHERE check_name = $1 ORDER BY at DESC, id DESC LIMIT $2`, check, limit))
}

func scanRuns(rows *sql.Rows, err error) ([]Run, error) {
	if err != nil {
		return nil, fmt.Errorf("recovery: read backup runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var at int64
		var point, bytes sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Check, &at, &r.Outcome, &point, &bytes); err != nil {
			return nil, fmt.Errorf("recovery: read backup runs: %w", err)
		}
		r.At, r.DataPoint = store.FromMillis(at), store.FromNullMillis(point)
		if bytes.Valid {
			r.Bytes = &bytes.Int64
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RestoreTest is one test of restoring a backup job's copy.
type RestoreTest struct {
	ID    int64     `json:"id"`
	Check string    `json:"check"`
	At    time.Time `json:"at"`
	// What names what was restored ("orders database to staging").
	What     string `json:"what"`
	Verified bool   `json:"verified"`
	// Duration is how long the restore took, as written ("45m").
	Duration  time.Duration `json:"-"`
	Seconds   int64         `json:"duration_seconds"`
	Notes     string        `json:"notes,omitempty"`
	Actor     string        `json:"actor"`
	CreatedAt time.Time     `json:"created_at"`
}

// Validate checks a restore test's own fields at now.
func (t RestoreTest) Validate(now time.Time) []apperr.Field {
	var inv apperr.Invalid
	switch {
	case t.At.IsZero():
		inv.Add("at", "is required (RFC 3339)")
	case t.At.After(now.Add(time.Minute)):
		inv.Add("at", "is in the future")
	}
	if w := strings.TrimSpace(t.What); w == "" || len(w) > 500 {
		inv.Add("what", "must say what was restored, in 1 to 500 characters")
	}
	if t.Duration < 0 {
		inv.Add("duration", "must be zero or more")
	}
	if len(t.Notes) > 20_000 {
		inv.Add("notes", "is longer than 20000 bytes")
	}
	return inv.Fields
}

// RecordRestoreTest keeps a restore test of a backup job, audited.
func (s *Store) RecordRestoreTest(ctx context.Context, actor string, t RestoreTest) (RestoreTest, error) {
	now := s.now()
	if fs := t.Validate(now); len(fs) > 0 {
		return RestoreTest{}, &apperr.Invalid{Fields: fs}
	}
	t.Actor, t.CreatedAt, t.Seconds = actor, now, int64(t.Duration/time.Second)
	t.At = t.At.UTC()
	verified := 0
	if t.Verified {
		verified = 1
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO restore_tests (check_name, at, what, verified, duration_ms, notes, actor, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			t.Check, store.Millis(t.At), strings.TrimSpace(t.What), verified, t.Duration.Milliseconds(), t.Notes, actor, store.Millis(now)).Scan(&t.ID); err != nil {
			if store.IsForeignKeyViolation(err) {
				return apperr.NotFound("check %q", t.Check)
			}
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "restore_test", fmt.Sprint(t.ID), nil, t)
	})
	if err != nil {
		return RestoreTest{}, fmt.Errorf("recovery: record a restore test: %w", err)
	}
	return t, nil
}

const restoreColumns = `r.id, r.check_name, r.at, r.what, r.verified, r.duration_ms, r.notes, r.actor, r.created_at`

// RestoreTests lists a job's restore tests, newest first, a page at a time.
func (s *Store) RestoreTests(ctx context.Context, check string, page store.Page) ([]RestoreTest, string, error) {
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	out, err := scanRestores(s.DB.Reader().QueryContext(ctx, `SELECT `+restoreColumns+` FROM restore_tests r
		WHERE r.check_name = $1 AND r.id < $2 ORDER BY r.id DESC LIMIT $3`, check, before, limit+1))
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.IDCursor(out[limit-1].ID)
	}
	return out, next, nil
}

// LastVerified is the latest verified restore of a job (check non-empty)
// or of any job watching service; ok is false when there is none.
func (s *Store) LastVerified(ctx context.Context, check, service string) (RestoreTest, bool, error) {
	out, err := scanRestores(s.DB.Reader().QueryContext(ctx, `SELECT `+restoreColumns+` FROM restore_tests r JOIN checks c ON c.name = r.check_name
		WHERE r.verified = 1 AND ($1 = '' OR r.check_name = $1) AND ($2 = '' OR c.service = $2) ORDER BY r.at DESC, r.id DESC LIMIT 1`, check, service))
	if err != nil || len(out) == 0 {
		return RestoreTest{}, false, err
	}
	return out[0], true, nil
}

func scanRestores(rows *sql.Rows, err error) ([]RestoreTest, error) {
	if err != nil {
		return nil, fmt.Errorf("recovery: read restore tests: %w", err)
	}
	defer rows.Close()
	var out []RestoreTest
	for rows.Next() {
		var t RestoreTest
		var at, ms, created int64
		var verified int
		if err := rows.Scan(&t.ID, &t.Check, &at, &t.What, &verified, &ms, &t.Notes, &t.Actor, &created); err != nil {
			return nil, fmt.Errorf("recovery: read restore tests: %w", err)
		}
		t.At, t.CreatedAt, t.Verified = store.FromMillis(at), store.FromMillis(created), verified != 0
		t.Duration = time.Duration(ms) * time.Millisecond
		t.Seconds = int64(t.Duration / time.Second)
		out = append(out, t)
	}
	return out, rows.Err()
}

// StoredPlan is a plan with where it came from and when it was written.
type StoredPlan struct {
	Plan
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (s *Store) facts(ctx context.Context) (*Facts, error) {
	if s.Facts == nil {
		return nil, nil
	}
	f, err := s.Facts(ctx)
	if err != nil {
		return nil, fmt.Errorf("recovery: %w", err)
	}
	return &f, nil
}

// ValidatePlan judges a plan against the running services and backup jobs.
func (s *Store) ValidatePlan(ctx context.Context, p Plan) error {
	f, err := s.facts(ctx)
	if err != nil {
		return err
	}
	if _, fs := CompilePlan(p, f); len(fs) > 0 {
		return &apperr.Invalid{Fields: fs}
	}
	return nil
}

// PutPlan creates (create true) or replaces a plan made in the API or UI.
// A plan the config file declares is the file's: writing it is refused.
func (s *Store) PutPlan(ctx context.Context, actor string, p Plan, create bool) (StoredPlan, error) {
	if err := s.ValidatePlan(ctx, p); err != nil {
		return StoredPlan{}, err
	}
	now := s.now()
	var out StoredPlan
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		before, err := getPlan(ctx, tx, p.Name)
		switch {
		case errors.Is(err, ErrNotFound):
			if !create {
				return apperr.NotFound("plan %q", p.Name)
			}
		case err != nil:
			return err
		case create:
			return apperr.Conflict("plan %q already exists", p.Name)
		case before.Source == SourceFile:
			return apperr.Conflict("plan %q is declared in the config file, which wins: change it there", p.Name)
		}
		out = StoredPlan{Plan: p, Source: SourceAPI, CreatedAt: now, UpdatedAt: now}
		if err == nil {
			out.CreatedAt = before.CreatedAt
		}
		if err := writePlan(ctx, tx, out); err != nil {
			return err
		}
		action, was := audit.Create, any(nil)
		if !create {
			action, was = audit.Update, before.Plan
		}
		return audit.Record(ctx, tx, now, actor, action, "dr_plan", p.Name, was, p)
	})
	if err != nil {
		return StoredPlan{}, fmt.Errorf("recovery: save plan: %w", err)
	}
	return out, nil
}

func writePlan(ctx context.Context, tx *sql.Tx, p StoredPlan) error {
	spec, err := json.Marshal(p.Plan)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO dr_plans (name, service, source, spec, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET service = excluded.service, source = excluded.source, spec = excluded.spec, updated_at = excluded.updated_at`,
		p.Name, p.Service, p.Source, string(spec), store.Millis(p.CreatedAt), store.Millis(p.UpdatedAt))
	if store.IsForeignKeyViolation(err) {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "service", Msg: fmt.Sprintf("unknown service %q", p.Service)}}}
	}
	return err
}

// DeletePlan removes a plan made in the API or UI; its drills stay.
func (s *Store) DeletePlan(ctx context.Context, actor, name string) error {
	now := s.now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		before, err := getPlan(ctx, tx, name)
		if errors.Is(err, ErrNotFound) {
			return apperr.NotFound("plan %q", name)
		}
		if err != nil {
			return err
		}
		if before.Source == SourceFile {
			return apperr.Conflict("plan %q is declared in the config file, which wins: remove it there", name)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM dr_plans WHERE name = $1`, name); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Delete, "dr_plan", name, before.Plan, nil)
	})
}

// ApplyFile makes the stored file plans those of the config file: the
// file's are written (over an API plan of the same name: the file wins)
// and file plans it no longer declares are removed.
func (s *Store) ApplyFile(ctx context.Context, actor string, plans []Plan) error {
	now := s.now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		stored, err := listPlans(ctx, tx)
		if err != nil {
			return err
		}
		byName := map[string]StoredPlan{}
		for _, p := range stored {
			byName[p.Name] = p
		}
		declared := map[string]bool{}
		for _, p := range plans {
			declared[p.Name] = true
			before, had := byName[p.Name]
			sp := StoredPlan{Plan: p, Source: SourceFile, CreatedAt: now, UpdatedAt: now}
			if had {
				sp.CreatedAt = before.CreatedAt
				if before.Source == SourceFile && planEqual(before.Plan, p) {
					continue
				}
			}
			if err := writePlan(ctx, tx, sp); err != nil {
				return err
			}
			action, was := audit.Create, any(nil)
			if had {
				action, was = audit.Update, before.Plan
			}
			if err := audit.Record(ctx, tx, now, actor, action, "dr_plan", p.Name, was, p); err != nil {
				return err
			}
		}
		for _, p := range stored {
			if p.Source != SourceFile || declared[p.Name] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM dr_plans WHERE name = $1`, p.Name); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, now, actor, audit.Delete, "dr_plan", p.Name, p.Plan, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

func planEqual(a, b Plan) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// GetPlan returns one plan.
func (s *Store) GetPlan(ctx context.Context, name string) (StoredPlan, error) {
	p, err := getPlan(ctx, s.DB.Reader(), name)
	if errors.Is(err, ErrNotFound) {
		return p, apperr.NotFound("plan %q", name)
	}
	return p, err
}

// ListPlans returns every plan, by name.
func (s *Store) ListPlans(ctx context.Context) ([]StoredPlan, error) {
	return listPlans(ctx, s.DB.Reader())
}

func getPlan(ctx context.Context, q store.Querier, name string) (StoredPlan, error) {
	ps, err := scanPlans(q.QueryContext(ctx, `SELECT name, source, spec, created_at, updated_at FROM dr_plans WHERE name = $1`, name))
	if err != nil {
		return StoredPlan{}, err
	}
	if len(ps) == 0 {
		return StoredPlan{}, ErrNotFound
	}
	return ps[0], nil
}

func listPlans(ctx context.Context, q store.Querier) ([]StoredPlan, error) {
	return scanPlans(q.QueryContext(ctx, `SELECT name, source, spec, created_at, updated_at FROM dr_plans ORDER BY name`))
}

func scanPlans(rows *sql.Rows, err error) ([]StoredPlan, error) {
	if err != nil {
		return nil, fmt.Errorf("recovery: read plans: %w", err)
	}
	defer rows.Close()
	var out []StoredPlan
	for rows.Next() {
		var p StoredPlan
		var name, spec string
		var created, updated int64
		if err := rows.Scan(&name, &p.Source, &spec, &created, &updated); err != nil {
			return nil, fmt.Errorf("recovery: read plans: %w", err)
		}
		if err := json.Unmarshal([]byte(spec), &p.Plan); err != nil {
			return nil, fmt.Errorf("recovery: plan %q: %w", name, err)
		}
		p.Name, p.CreatedAt, p.UpdatedAt = name, store.FromMillis(created), store.FromMillis(updated)
		out = append(out, p)
	}
	return out, rows.Err()
}

// StoredDrill is a recorded recovery with its outcome against the plan it
// followed (the plan's rto and rpo as they were when it was recorded).
type StoredDrill struct {
	ID int64 `json:"id"`
	Drill
	Service    string    `json:"service"`
	PlanRTO    string    `json:"plan_rto"`
	PlanRPO    string    `json:"plan_rpo"`
	Outcome    Outcome   `json:"outcome"`
	Actor      string    `json:"actor"`
	RecordedAt time.Time `json:"recorded_at"`
	planRTO    time.Duration
	planRPO    time.Duration
}

// RecordDrill keeps a drill or real recovery, judged against its plan.
func (s *Store) RecordDrill(ctx context.Context, actor string, d Drill) (StoredDrill, error) {
	now := s.now()
	if fs := d.Validate(now); len(fs) > 0 {
		return StoredDrill{}, &apperr.Invalid{Fields: fs}
	}
	var out StoredDrill
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		p, err := getPlan(ctx, tx, d.Plan)
		if errors.Is(err, ErrNotFound) {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "plan", Msg: fmt.Sprintf("unknown plan %q", d.Plan)}}}
		}
		if err != nil {
			return err
		}
		cp, fs := CompilePlan(p.Plan, nil)
		if len(fs) > 0 {
			return fmt.Errorf("plan %q no longer compiles: %w", p.Name, &apperr.Invalid{Fields: fs})
		}
		d.StartedAt, d.RestoredAt, d.DataPoint = d.StartedAt.UTC(), d.RestoredAt.UTC(), d.DataPoint.UTC()
		steps, _ := json.Marshal(d.Steps)
		out = StoredDrill{Drill: d, Service: p.Service, PlanRTO: formatDur(cp.RTO), PlanRPO: formatDur(cp.RPO), Actor: actor, RecordedAt: now,
			planRTO: cp.RTO, planRPO: cp.RPO}
		out.Outcome = Judge(d, cp.RTO, cp.RPO)
		if err := tx.QueryRowContext(ctx, `INSERT INTO dr_drills (plan, service, kind, started_at, restored_at, data_point, plan_rto_ms, plan_rpo_ms, notes, steps, actor, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			d.Plan, p.Service, d.Kind, store.Millis(d.StartedAt), store.Millis(d.RestoredAt), store.Millis(d.DataPoint),
			cp.RTO.Milliseconds(), cp.RPO.Milliseconds(), d.Notes, string(steps), actor, store.Millis(now)).Scan(&out.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, audit.Create, "dr_drill", fmt.Sprint(out.ID), nil, out)
	})
	if err != nil {
		return StoredDrill{}, fmt.Errorf("recovery: record a drill: %w", err)
	}
	return out, nil
}

// DrillFilter narrows a list of drills: by plan, and to those started in
// [From, To) when set.
type DrillFilter struct {
	Plan     string
	From, To time.Time
}

// Drills lists recoveries, newest first, a page at a time.
func (s *Store) Drills(ctx context.Context, f DrillFilter, page store.Page) ([]StoredDrill, string, error) {
	before, err := page.BeforeID()
	if err != nil {
		return nil, "", err
	}
	limit := page.Size()
	to := int64(1<<62 - 1)
	if !f.To.IsZero() {
		to = store.Millis(f.To)
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id, plan, service, kind, started_at, restored_at, data_point, plan_rto_ms, plan_rpo_ms, notes, steps, actor, created_at
		FROM dr_drills WHERE id < $1 AND ($2 = '' OR plan = $2) AND started_at >= $3 AND started_at < $4 ORDER BY id DESC LIMIT $5`,
		before, f.Plan, store.Millis(f.From), to, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("recovery: list drills: %w", err)
	}
	defer rows.Close()
	var out []StoredDrill
	for rows.Next() {
		var d StoredDrill
		var started, restored, point, rto, rpo, created int64
		var steps string
		if err := rows.Scan(&d.ID, &d.Plan, &d.Service, &d.Kind, &started, &restored, &point, &rto, &rpo, &d.Notes, &steps, &d.Actor, &created); err != nil {
			return nil, "", fmt.Errorf("recovery: list drills: %w", err)
		}
		d.StartedAt, d.RestoredAt, d.DataPoint, d.RecordedAt = store.FromMillis(started), store.FromMillis(restored), store.FromMillis(point), store.FromMillis(created)
		d.planRTO, d.planRPO = time.Duration(rto)*time.Millisecond, time.Duration(rpo)*time.Millisecond
		d.PlanRTO, d.PlanRPO = formatDur(d.planRTO), formatDur(d.planRPO)
		_ = json.Unmarshal([]byte(steps), &d.Steps)
		d.Outcome = Judge(d.Drill, d.planRTO, d.planRPO)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.IDCursor(out[limit-1].ID)
	}
	return out, next, nil
}

// LastDrills maps each plan to the start of its latest recovery, drill or
// real.
func (s *Store) LastDrills(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT plan, MAX(started_at) FROM dr_drills GROUP BY plan`)
	if err != nil {
		return nil, fmt.Errorf("recovery: last drills: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var plan string
		var at int64
		if err := rows.Scan(&plan, &at); err != nil {
			return nil, err
		}
		out[plan] = store.FromMillis(at)
	}
	return out, rows.Err()
}

// Job is a backup job as the reports need it.
type Job struct {
	Name, Service string
	// RPOText is the rpo as written; RPO parsed.
	RPOText string
	RPO     time.Duration
	// Since is when the job began to be watched (its check's creation).
	Since time.Time
}

// JobReport is a backup job's standing against its RPO at to and over
// [from, to) (from its creation when later).
type JobReport struct {
	Check              string        `json:"check"`
	Service            string        `json:"service"`
	RPO                string        `json:"rpo"`
	RPOSeconds         int64         `json:"rpo_seconds"`
	AchievedRPOSeconds int64         `json:"achieved_rpo_seconds"`
	Breached           bool          `json:"breached"`
	From               time.Time     `json:"from"`
	To                 time.Time     `json:"to"`
	Compliance         float64       `json:"compliance"`
	Breaches           int           `json:"breaches"`
	Spans              []Span        `json:"spans"`
	Series             []Sample      `json:"series"`
	Achieved           time.Duration `json:"-"`
}

// Report works out a job's JobReport from its stored runs.
func (s *Store) Report(ctx context.Context, j Job, from, to time.Time) (JobReport, error) {
	runs, err := s.Runs(ctx, j.Name, from, to)
	if err != nil {
		return JobReport{}, err
	}
	start := from
	if j.Since.After(start) {
		start = j.Since
	}
	spans := Spans(runs, j.RPO, j.Since, start, to)
	achieved := AchievedRPO(runs, j.Since, to)
	if spans == nil {
		spans = []Span{}
	}
	return JobReport{Check: j.Name, Service: j.Service, RPO: j.RPOText, RPOSeconds: int64(j.RPO / time.Second),
		AchievedRPOSeconds: int64(achieved / time.Second), Achieved: achieved, Breached: achieved > j.RPO, From: from, To: to,
		Compliance: Compliance(spans), Breaches: Breaches(spans), Spans: spans, Series: Series(runs, j.Since, start, to)}, nil
}
