package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/store"
)

func (a *API) recoveryRoutes() []Route {
	checkParam := Param{Name: "name", In: "path", Description: "the backup job's check name"}
	planParam := []Param{{Name: "name", In: "path", Description: "the plan's name"}}
	periodParam := Param{Name: "period", In: "query", Description: "month (default), week, quarter or 30d: the current one, in UTC"}
	return []Route{
		{Method: "GET", Path: "/api/v1/checks/{name}/backup", Summary: "A backup job's achieved RPO now and over the period: compliance, breaches, the RPO line, latest runs, last verified restore", Tag: "recovery", Role: auth.Viewer,
			Query: []Param{checkParam, periodParam}, Response: BackupReport{}, Status: 200, Handle: a.backupReport},
		{Method: "GET", Path: "/api/v1/checks/{name}/restore-tests", Summary: "List a backup job's restore tests, newest first", Tag: "recovery", Role: auth.Viewer,
			Query: append([]Param{checkParam}, pageParams...), Response: List[recovery.RestoreTest]{}, Status: 200, Handle: a.listRestoreTests},
		{Method: "POST", Path: "/api/v1/checks/{name}/restore-tests", Summary: "Record a restore test of a backup job: when, what was restored, verified or not, how long it took", Tag: "recovery", Role: auth.Operator,
			Query: []Param{checkParam}, Request: RestoreTestInput{}, Response: recovery.RestoreTest{}, Status: 201, Handle: a.recordRestoreTest},
		{Method: "GET", Path: "/api/v1/dr/plans", Summary: "List DR plans with their warnings", Tag: "recovery", Role: auth.Viewer,
			Response: List[PlanView]{}, Status: 200, Handle: a.listPlans},
		{Method: "POST", Path: "/api/v1/dr/plans", Summary: "Create a DR plan", Tag: "recovery", Role: auth.Operator,
			Request: recovery.Plan{}, Response: PlanView{}, Status: 201, Handle: a.putPlan(true)},
		{Method: "GET", Path: "/api/v1/dr/plans/{name}", Summary: "Get a DR plan with its warnings", Tag: "recovery", Role: auth.Viewer, Query: planParam,
			Response: PlanView{}, Status: 200, Handle: a.getPlan},
		{Method: "PUT", Path: "/api/v1/dr/plans/{name}", Summary: "Replace a DR plan (not one the config file declares)", Tag: "recovery", Role: auth.Operator, Query: planParam,
			Request: recovery.Plan{}, Response: PlanView{}, Status: 200, Handle: a.putPlan(false)},
		{Method: "DELETE", Path: "/api/v1/dr/plans/{name}", Summary: "Delete a DR plan (its drills stay)", Tag: "recovery", Role: auth.Operator, Query: planParam,
			Status: 204, Handle: a.deletePlan},
		{Method: "POST", Path: "/api/v1/dr/drills", Summary: "Record a drill or real recovery: achieved RTO (restored − started) and RPO (started − data point), passed or failed against the plan", Tag: "recovery", Role: auth.Operator,
			Request: recovery.Drill{}, Response: recovery.StoredDrill{}, Status: 201, Handle: a.recordDrill},
		{Method: "GET", Path: "/api/v1/dr/drills", Summary: "List drills and real recoveries, newest first", Tag: "recovery", Role: auth.Viewer,
			Query:    append([]Param{{Name: "plan", In: "query", Description: "only this plan's"}, {Name: "period", In: "query", Description: "only those started in the current month, week, quarter or 30d"}}, pageParams...),
			Response: List[recovery.StoredDrill]{}, Status: 200, Handle: a.listDrills},
		{Method: "GET", Path: "/api/v1/dr/report", Summary: "Recovery over a period: drills passed and failed, backup jobs' RPO compliance, plans with warnings", Tag: "recovery", Role: auth.Viewer,
			Query: []Param{periodParam}, Response: RecoveryReport{}, Status: 200, Handle: a.recoveryReport},
	}
}

// RestoreTestInput is a restore test as recorded through the API.
type RestoreTestInput struct {
	At       time.Time `json:"at"`
	What     string    `json:"what"`
	Verified bool      `json:"verified"`
	// Duration is how long the restore took ("45m").
	Duration string `json:"duration"`
	Notes    string `json:"notes,omitempty"`
}

// VerifiedRestore is the last verified restore with its age.
type VerifiedRestore struct {
	recovery.RestoreTest
	AgeSeconds int64 `json:"age_seconds"`
}

// BackupReport is a backup job's standing against its RPO, its latest
// runs and its last verified restore.
type BackupReport struct {
	recovery.JobReport
	LastRuns     []recovery.Run   `json:"last_runs"`
	LastVerified *VerifiedRestore `json:"last_verified_restore"`
}

// PlanView is a plan with its warnings and its latest recovery.
type PlanView struct {
	recovery.StoredPlan
	LastDrill time.Time          `json:"last_drill_at,omitzero"`
	Warnings  []recovery.Warning `json:"warnings"`
}

// PlanPeriod is one plan's recoveries over a report's period.
type PlanPeriod struct {
	Plan     string             `json:"plan"`
	Service  string             `json:"service"`
	Drills   int                `json:"drills"`
	Real     int                `json:"real"`
	Passed   int                `json:"passed"`
	Failed   int                `json:"failed"`
	Warnings []recovery.Warning `json:"warnings"`
}

// JobPeriod is one backup job's RPO compliance over a report's period.
type JobPeriod struct {
	Check      string  `json:"check"`
	Service    string  `json:"service"`
	RPO        string  `json:"rpo"`
	Compliance float64 `json:"compliance"`
	Breaches   int     `json:"breaches"`
}

// RecoveryReport is recovery over a period.
type RecoveryReport struct {
	Period     string                 `json:"period"`
	From       time.Time              `json:"from"`
	To         time.Time              `json:"to"`
	Plans      []PlanPeriod           `json:"plans"`
	Jobs       []JobPeriod            `json:"backup_jobs"`
	Recoveries []recovery.StoredDrill `json:"recoveries"`
}

// recoveryPeriod reads the period parameter: the current one, up to now.
func recoveryPeriod(r *http.Request, now time.Time) (availability.Period, time.Time, time.Time, error) {
	p, err := availability.ParsePeriod(r.URL.Query().Get("period"))
	if err != nil {
		return p, time.Time{}, time.Time{}, badParam("period", "%v", err)
	}
	from, _ := p.Bounds(now, time.UTC)
	return p, from, now, nil
}

// now is the recovery store's clock, so that tests judge ages and periods
// at a given instant.
func (a *API) now() time.Time {
	if rs := a.deps.Recovery; rs != nil && rs.Now != nil {
		return rs.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *API) recoveryStore() (*recovery.Store, error) {
	if a.deps.Recovery == nil {
		return nil, apperr.NotFound("recovery")
	}
	return a.deps.Recovery, nil
}

// backupJob finds a check that is a backup job.
func (a *API) backupJob(r *http.Request) (*monitor.Compiled, monitor.StoredCheck, error) {
	sc, err := a.deps.Checks.Get(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, sc, err
	}
	c, fs := monitor.Compile(sc.Check, nil)
	if len(fs) > 0 || !c.IsBackup() {
		return nil, sc, apperr.NotFound("backup job %q (a heartbeat check of kind backup)", sc.Name)
	}
	return c, sc, nil
}

func (a *API) backupReport(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.recoveryStore()
	if err != nil {
		return err
	}
	c, sc, err := a.backupJob(r)
	if err != nil {
		return err
	}
	now := a.now()
	_, from, to, err := recoveryPeriod(r, now)
	if err != nil {
		return err
	}
	jr, err := rs.Report(r.Context(), jobOf(c, sc), from, to)
	if err != nil {
		return err
	}
	out := BackupReport{JobReport: jr}
	if out.LastRuns, err = rs.LastRuns(r.Context(), c.Name, 20); err != nil {
		return err
	}
	if out.LastVerified, err = a.lastVerified(r, c.Name, "", now); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// jobOf is a backup job as the recovery reports need it.
func jobOf(c *monitor.Compiled, sc monitor.StoredCheck) recovery.Job {
	return recovery.Job{Name: c.Name, Service: c.Service, RPOText: c.Check.RPO, RPO: c.RPO, Since: sc.CreatedAt}
}

// lastVerified is the latest verified restore of a job or a service with
// its age at now; nil when there is none.
func (a *API) lastVerified(r *http.Request, check, service string, now time.Time) (*VerifiedRestore, error) {
	t, ok, err := a.deps.Recovery.LastVerified(r.Context(), check, service)
	if err != nil || !ok {
		return nil, err
	}
	return &VerifiedRestore{RestoreTest: t, AgeSeconds: int64(now.Sub(t.At) / time.Second)}, nil
}

func (a *API) listRestoreTests(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.recoveryStore()
	if err != nil {
		return err
	}
	if _, _, err := a.backupJob(r); err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := rs.RestoreTests(r.Context(), r.PathValue("name"), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) recordRestoreTest(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.recoveryStore()
	if err != nil {
		return err
	}
	var in RestoreTestInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, _, err := a.backupJob(r)
	if err != nil {
		return err
	}
	t := recovery.RestoreTest{Check: c.Name, At: in.At, What: in.What, Verified: in.Verified, Notes: in.Notes}
	var inv apperr.Invalid
	if in.Duration == "" {
		inv.Add("duration", "is required: how long the restore took (e.g. 45m)")
	} else if t.Duration, err = duration.Parse(in.Duration); err != nil {
		inv.Add("duration", "%v", err)
	}
	inv.Fields = append(inv.Fields, t.Validate(a.now())...)
	if err := inv.Err(); err != nil {
		return err
	}
	out, err := rs.RecordRestoreTest(r.Context(), actor(r), t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// planViews adds warnings and the latest recovery to stored plans.
func (a *API) planViews(r *http.Request, plans []recovery.StoredPlan) ([]PlanView, error) {
	rs := a.deps.Recovery
	facts := recovery.Facts{}
	if rs.Facts != nil {
		f, err := rs.Facts(r.Context())
		if err != nil {
			return nil, err
		}
		facts = f
	}
	last, err := rs.LastDrills(r.Context())
	if err != nil {
		return nil, err
	}
	now := a.now()
	out := make([]PlanView, 0, len(plans))
	for _, p := range plans {
		v := PlanView{StoredPlan: p, LastDrill: last[p.Name], Warnings: []recovery.Warning{}}
		if cp, fs := recovery.CompilePlan(p.Plan, nil); len(fs) == 0 {
			v.Warnings = append(v.Warnings, recovery.Warnings(cp, facts, last[p.Name], now)...)
		}
		out = append(out, v)
	}
	return out, nil
}

func (a *API) listPlans(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.recoveryStore()
	if err != nil {
		return err
	}
	plans, err := rs.ListPlans(r.Context())
	if err != nil {
		return err
	}
	views, err := a.planViews(r, plans)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(views, ""))
	return nil
}

func (a *API) writePlanView(w http.ResponseWriter, r *http.Request, status int, p recovery.StoredPlan) error {
	views, err := a.planViews(r, []recovery.StoredPlan{p})
	if err != nil {
		return err
	}
	writeJSON(w, status, views[0])
	return nil
}

func (a *API) getPlan(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.recoveryStore()
	if err != nil {
		return err
	}
	p, err := rs.GetPlan(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return a.writePlanView(w, r, http.StatusOK, p)
}

func (a *API) putPlan(create bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		rs, err := a.recoveryStore()
		if err != nil {
			return err
		}
		var p recovery.Plan
		if err := decodeJSON(w, r, &p); err != nil {
			return err
		}
		status := http.StatusCreated
		if !create {
			status = http.StatusOK
			if p.Name == "" {
				p.Name = r.PathValue("name")
			}
			if p.Name != r.PathValue("name") {
				return &apperr.Invalid{Fields: []apperr.Field{{Path: "name", Msg: "differs from the name in the URL; a plan cannot be renamed"}}}
			}
		}
		out, err := rs.PutPlan(r.Context(), actor(r), p, create)
		if err != nil {
			return err
		}
		if create {
			w.Header().Set("Location", "/api/v1/dr/plans/"+out.Name)
		}
		return a.writePlanView(w, r, status, out)
	}
}

func (a *API) deletePlan(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.recoveryStore()
	if err != nil {
		return err
	}
	if err := rs.DeletePlan(r.Context(), actor(r), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) recordDrill(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.recoveryStore()
	if err != nil {
		return err
	}
	var d recovery.Drill
	if err := decodeJSON(w, r, &d); err != nil {
		return err
	}
	out, err := rs.RecordDrill(r.Context(), actor(r), d)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/dr/drills?plan="+out.Plan)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) listDrills(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.recoveryStore()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	f := recovery.DrillFilter{Plan: r.URL.Query().Get("plan")}
	if r.URL.Query().Has("period") {
		if _, f.From, f.To, err = recoveryPeriod(r, a.now()); err != nil {
			return err
		}
		f.To = f.To.Add(time.Millisecond)
	}
	items, next, err := rs.Drills(r.Context(), f, pg)
	if err != nil {
		return err
	}
	if items == nil {
		items = []recovery.StoredDrill{}
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) recoveryReport(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.recoveryStore()
	if err != nil {
		return err
	}
	now := a.now()
	period, from, to, err := recoveryPeriod(r, now)
	if err != nil {
		return err
	}
	out := RecoveryReport{Period: period.String(), From: from, To: to, Plans: []PlanPeriod{}, Jobs: []JobPeriod{}, Recoveries: []recovery.StoredDrill{}}
	plans, err := rs.ListPlans(r.Context())
	if err != nil {
		return err
	}
	views, err := a.planViews(r, plans)
	if err != nil {
		return err
	}
	byPlan := map[string]*PlanPeriod{}
	for _, v := range views {
		out.Plans = append(out.Plans, PlanPeriod{Plan: v.Name, Service: v.Service, Warnings: v.Warnings})
	}
	for i := range out.Plans {
		byPlan[out.Plans[i].Plan] = &out.Plans[i]
	}
	for pg := (store.Page{Limit: store.MaxLimit}); ; {
		items, next, err := rs.Drills(r.Context(), recovery.DrillFilter{From: from, To: to.Add(time.Millisecond)}, pg)
		if err != nil {
			return err
		}
		out.Recoveries = append(out.Recoveries, items...)
		if next == "" {
			break
		}
		pg.Cursor = next
	}
	for _, d := range out.Recoveries {
		p := byPlan[d.Plan]
		if p == nil {
			continue // the plan was removed; the recovery is still listed
		}
		if d.Kind == recovery.KindReal {
			p.Real++
		} else {
			p.Drills++
		}
		if d.Outcome.Passed {
			p.Passed++
		} else {
			p.Failed++
		}
	}
	checks, err := a.deps.Checks.List(r.Context())
	if err != nil {
		return err
	}
	for _, sc := range checks {
		c, fs := monitor.Compile(sc.Check, nil)
		if len(fs) > 0 || !c.IsBackup() {
			continue
		}
		jp, err := rs.Report(r.Context(), jobOf(c, sc), from, to)
		if err != nil {
			return err
		}
		out.Jobs = append(out.Jobs, JobPeriod{Check: c.Name, Service: c.Service, RPO: c.Check.RPO, Compliance: jp.Compliance, Breaches: jp.Breaches})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseBackupReport reads what a backup job's success ping may carry:
// ?data_point=RFC3339&bytes=N.
func parseBackupReport(r *http.Request) (monitor.BackupReport, error) {
	var rep monitor.BackupReport
	q := r.URL.Query()
	if s := q.Get("data_point"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return rep, badParam("data_point", "%q is not an RFC 3339 instant (e.g. 2026-03-01T02:00:00Z)", s)
		}
		rep.DataPoint = t
	}
	if s := q.Get("bytes"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return rep, badParam("bytes", "%q is not a size in bytes (a whole number, zero or more)", s)
		}
		rep.Bytes = &n
	}
	return rep, nil
}

// pingProblem answers a ping's refused parameters as parameters, not
// body fields.
func pingProblem(err error) error {
	var inv *apperr.Invalid
	if !errors.As(err, &inv) || len(inv.Fields) == 0 {
		return err
	}
	p := badParam(inv.Fields[0].Path, "%s", inv.Fields[0].Msg)
	for _, f := range inv.Fields[1:] {
		p.Errors = append(p.Errors, ProblemField{Parameter: f.Path, Detail: f.Msg})
	}
	return p
}
