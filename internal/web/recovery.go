package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/store"
)

// The recovery pages: a backup job's RPO on its check page, the last
// verified restore on the check and service pages, and the Recovery pages
// (plans with their warnings, backup jobs' compliance, drills). A plan's
// runbook is Markdown written by people and, as on the post-mortem pages,
// shown as text with its line breaks kept.

// backupWindow is how far back a check page draws achieved RPO.
const backupWindow = 30 * duration.Day

// backupPanel is a backup job's box on its check page.
type backupPanel struct {
	Report       recovery.JobReport
	Chart        *rpoChart
	LastVerified *recovery.RestoreTest
	Restores     []recovery.RestoreTest
	Runs         []recovery.Run
}

// backupPanelOf gathers a backup job's panel; nil for any other check.
func (u *UI) backupPanelOf(ctx context.Context, c *monitor.Compiled, sc monitor.StoredCheck, now time.Time) (*backupPanel, error) {
	if u.deps.Recovery == nil || c == nil || !c.IsBackup() {
		return nil, nil
	}
	rs := u.deps.Recovery
	job := recovery.Job{Name: c.Name, Service: c.Service, RPOText: c.Check.RPO, RPO: c.RPO, Since: sc.CreatedAt}
	rep, err := rs.Report(ctx, job, now.Add(-backupWindow), now)
	if err != nil {
		return nil, err
	}
	p := &backupPanel{Report: rep, Chart: newRPOChart(rep.Series, c.RPO, rep.From, now)}
	if t, ok, err := rs.LastVerified(ctx, c.Name, ""); err != nil {
		return nil, err
	} else if ok {
		p.LastVerified = &t
	}
	if p.Restores, _, err = rs.RestoreTests(ctx, c.Name, store.Page{Limit: 5}); err != nil {
		return nil, err
	}
	if p.Runs, err = rs.LastRuns(ctx, c.Name, 10); err != nil {
		return nil, err
	}
	return p, nil
}

// lastVerifiedOf is the latest verified restore of any backup job of a
// service; nil when none.
func (u *UI) lastVerifiedOf(ctx context.Context, service string) (*recovery.RestoreTest, error) {
	if u.deps.Recovery == nil {
		return nil, nil
	}
	t, ok, err := u.deps.Recovery.LastVerified(ctx, "", service)
	if err != nil || !ok {
		return nil, err
	}
	return &t, nil
}

// rpoChart draws achieved RPO against the target, as SVG on the server.
type rpoChart struct {
	W, H, Left, Right, Top, Bottom int
	Line                           string // the achieved RPO polyline
	TargetY                        string
	Target                         string
	XTicks, YTicks                 []tick
}

const (
	rpoW, rpoH        = 720, 200
	rpoLeft, rpoRight = 56, 704
	rpoTop, rpoBottom = 16, 170
)

func newRPOChart(series []recovery.Sample, target time.Duration, from, to time.Time) *rpoChart {
	if len(series) == 0 || !to.After(from) {
		return nil
	}
	c := &rpoChart{W: rpoW, H: rpoH, Left: rpoLeft, Right: rpoRight, Top: rpoTop, Bottom: rpoBottom, Target: duration.Format(target)}
	top := target + target/4
	for _, s := range series {
		top = max(top, s.RPO)
	}
	span := to.Sub(from)
	x := func(t time.Time) float64 {
		return rpoLeft + float64(rpoRight-rpoLeft)*float64(t.Sub(from))/float64(span)
	}
	y := func(d time.Duration) float64 {
		return rpoBottom - float64(rpoBottom-rpoTop)*float64(d)/float64(top)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	var b []byte
	for i, s := range series {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, f(x(s.At))...)
		b = append(b, ',')
		b = append(b, f(y(s.RPO))...)
	}
	c.Line, c.TargetY = string(b), f(y(target))
	for i := 0; i <= 4; i++ {
		d := top * time.Duration(i) / 4
		c.YTicks = append(c.YTicks, tick{Pos: f(y(d)), Label: duration.Format(d.Round(time.Minute))})
	}
	for i := 0; i <= 5; i++ {
		t := from.Add(span * time.Duration(i) / 5)
		c.XTicks = append(c.XTicks, tick{Pos: f(x(t)), Label: t.UTC().Format("2 Jan")})
	}
	return c
}

// recoveryOverview is the Recovery overview.
type recoveryOverview struct {
	Period     string
	From, To   time.Time
	Plans      []planRow
	Jobs       []recovery.JobReport
	Recoveries []recovery.StoredDrill
}

// planRow is a plan with its warnings and latest recovery.
type planRow struct {
	recovery.StoredPlan
	Warnings  []recovery.Warning
	LastDrill time.Time
}

// planRows adds warnings to plans.
func (u *UI) planRows(ctx context.Context, plans []recovery.StoredPlan, now time.Time) ([]planRow, error) {
	rs := u.deps.Recovery
	var facts recovery.Facts
	if rs.Facts != nil {
		f, err := rs.Facts(ctx)
		if err != nil {
			return nil, err
		}
		facts = f
	}
	last, err := rs.LastDrills(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]planRow, 0, len(plans))
	for _, p := range plans {
		row := planRow{StoredPlan: p, LastDrill: last[p.Name]}
		if cp, fs := recovery.CompilePlan(p.Plan, nil); len(fs) == 0 {
			row.Warnings = recovery.Warnings(cp, facts, last[p.Name], now)
		}
		out = append(out, row)
	}
	return out, nil
}

func (u *UI) showRecovery(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Recovery == nil {
		return apperr.NotFound("page")
	}
	rs := u.deps.Recovery
	now := u.deps.Now().UTC()
	period, err := availability.ParsePeriod(r.URL.Query().Get("period"))
	if err != nil {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "period", Msg: err.Error()}}}
	}
	from, _ := period.Bounds(now, time.UTC)
	p := recoveryOverview{Period: period.String(), From: from, To: now}
	plans, err := rs.ListPlans(r.Context())
	if err != nil {
		return err
	}
	if p.Plans, err = u.planRows(r.Context(), plans, now); err != nil {
		return err
	}
	for _, st := range u.deps.Monitor.Statuses("") {
		c, fs := monitor.Compile(st.Check, nil)
		if len(fs) > 0 || !c.IsBackup() {
			continue
		}
		rep, err := rs.Report(r.Context(), recovery.Job{Name: c.Name, Service: c.Service, RPOText: c.Check.RPO, RPO: c.RPO, Since: st.CreatedAt}, from, now)
		if err != nil {
			return err
		}
		p.Jobs = append(p.Jobs, rep)
	}
	if p.Recoveries, _, err = rs.Drills(r.Context(), recovery.DrillFilter{From: from, To: now.Add(time.Millisecond)}, store.Page{Limit: 50}); err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "recovery.html", "Recovery", p)
	return nil
}

// planPage is one plan with its recoveries.
type planPage struct {
	planRow
	Drills []recovery.StoredDrill
}

func (u *UI) showPlan(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Recovery == nil {
		return apperr.NotFound("page")
	}
	rs := u.deps.Recovery
	plan, err := rs.GetPlan(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	rows, err := u.planRows(r.Context(), []recovery.StoredPlan{plan}, u.deps.Now().UTC())
	if err != nil {
		return err
	}
	p := planPage{planRow: rows[0]}
	if p.Drills, _, err = rs.Drills(r.Context(), recovery.DrillFilter{Plan: plan.Name}, store.Page{Limit: 50}); err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "recovery_plan.html", "DR plan "+plan.Name, p)
	return nil
}
