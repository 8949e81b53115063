package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/csvsafe"
	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// report prints a service's availability report from the database, with
// the same engine and the same JSON as GET /api/v1/services/{name}/report.
func report(args []string, env Env) error {
	fs := newFlagSet("report", env)
	var d dbFlags
	d.register(fs, env)
	service := fs.String("service", "", "the service to report on")
	from := fs.String("from", "", "start of the range, RFC 3339 (with --to)")
	to := fs.String("to", "", "end of the range, RFC 3339, exclusive (with --from)")
	period := fs.String("period", "", "current or previous objective period, instead of --from/--to (default current)")
	format := fs.String("format", "table", "table, json or csv (with --monthly also pdf)")
	monthly := fs.String("monthly", "", "the monthly KPI report of this month, YYYY-MM (overall, or of --service)")
	cfgPath := fs.String("config", env.Getenv("SEXTANT_CONFIG"), "with --monthly: the config file whose targets, zone and currency apply (env SEXTANT_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *monthly != "" {
		if *from != "" || *to != "" || *period != "" {
			return usageError{"report: --monthly takes no --from, --to or --period"}
		}
		return monthlyReport(*monthly, *service, *format, *cfgPath, d, env)
	}
	if *service == "" {
		return usageError{"report: --service is required"}
	}
	rg := timeline.Range{Period: *period}
	for _, p := range []struct {
		flag string
		val  string
		dst  *time.Time
	}{{"--from", *from, &rg.From}, {"--to", *to, &rg.To}} {
		if p.val == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, p.val)
		if err != nil {
			return usageError{fmt.Sprintf("report: %s: expected an RFC 3339 time such as 2026-11-01T00:00:00Z, got %q", p.flag, p.val)}
		}
		*p.dst = t
	}
	if rg.Period != "" && (!rg.From.IsZero() || !rg.To.IsZero()) {
		return usageError{"report: give either --period or --from and --to"}
	}
	if *format != "table" && *format != "json" && *format != "csv" {
		return usageError{fmt.Sprintf("report: --format must be table, json or csv, not %q", *format)}
	}
	ctx := context.Background()
	db, err := d.open(ctx, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	cat := catalog.NewStore(db, nil)
	rep, err := timeline.NewReporter(cat, timeline.NewStore(db, nil), nil).Report(ctx, *service, rg)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "csv":
		return writeReportCSV(env.Stdout, rep)
	}
	return writeReportTable(env.Stdout, rep)
}

// reportRow is the report's headline figures as the CSV carries them: the
// JSON's names and exact values, for programs to read.
func reportRow(r timeline.ServiceReport) [][2]string {
	opt := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	}
	optSec := func(s interface{ String() string }, ok bool) string {
		if !ok {
			return ""
		}
		return s.String()
	}
	return [][2]string{
		{"service", r.Service},
		{"from", r.From.Format(time.RFC3339)},
		{"to", r.To.Format(time.RFC3339)},
		{"in_hours_seconds", r.InHours.String()},
		{"downtime_seconds", r.Downtime.String()},
		{"availability", opt(r.Availability)},
		{"outages", strconv.Itoa(r.Outages)},
		{"longest_outage_seconds", r.LongestOutage.String()},
		{"mttr_seconds", optSec(r.MTTR, r.MTTR != nil)},
		{"mtbf_seconds", optSec(r.MTBF, r.MTBF != nil)},
		{"error_budget_seconds", r.ErrorBudget.String()},
		{"error_budget_remaining_seconds", r.ErrorBudgetRemaining.String()},
		{"burn_rate", opt(r.BurnRate)},
		{"downtime_cost", strconv.FormatFloat(r.DowntimeCost, 'f', -1, 64)},
		{"met", strconv.FormatBool(r.Compliance.Met)},
		{"at_risk", strconv.FormatBool(r.Compliance.AtRisk)},
		{"breaches", strings.Join(r.Compliance.Breaches, " ")},
	}
}

// writeReportCSV writes the header and the one row of reportRow, each
// cell guarded by csvsafe.Cell like every CSV Sextant writes: the service
// name comes from users.
func writeReportCSV(w io.Writer, r timeline.ServiceReport) error {
	cw := csv.NewWriter(w)
	row := reportRow(r)
	head, vals := make([]string, len(row)), make([]string, len(row))
	for i, kv := range row {
		head[i], vals[i] = kv[0], kv[1]
	}
	_ = cw.Write(csvsafe.Row(head))
	_ = cw.Write(csvsafe.Row(vals))
	cw.Flush()
	return cw.Error()
}

// tableRows is the report's headline figures as the UI shows them: the
// same availability.Percent, durations and money formatting, so that what
// a person reads in a terminal matches the service page.
func tableRows(r timeline.ServiceReport) [][2]string {
	dur := availability.FormatSeconds
	optDur := func(s *availability.Seconds) string {
		if s == nil {
			return ""
		}
		return dur(*s)
	}
	avail, burn := "no service hours", ""
	if r.Availability != nil {
		avail = availability.Percent(*r.Availability)
	}
	if r.BurnRate != nil {
		burn = availability.FormatRate(*r.BurnRate)
	}
	verdict := "met"
	switch {
	case !r.Compliance.Met:
		verdict = "breached: " + strings.Join(r.Compliance.Breaches, ", ")
	case r.Compliance.AtRisk:
		verdict = "at risk: " + strings.Join(r.Compliance.Risks, ", ")
	}
	return [][2]string{
		{"service", r.Service},
		{"from", r.From.Format(time.RFC3339)},
		{"to", r.To.Format(time.RFC3339)},
		{"objective", verdict},
		{"availability", avail},
		{"in service hours", dur(r.InHours)},
		{"counted downtime", dur(r.Downtime)},
		{"error budget left", dur(r.ErrorBudgetRemaining) + " of " + dur(r.ErrorBudget)},
		{"burn rate", burn},
		{"outages", strconv.Itoa(r.Outages)},
		{"longest outage", dur(r.LongestOutage)},
		{"MTTR", optDur(r.MTTR)},
		{"MTBF", optDur(r.MTBF)},
		{"downtime cost", availability.FormatMoney(r.DowntimeCost)},
	}
}

func writeReportTable(w io.Writer, r timeline.ServiceReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, kv := range tableRows(r) {
		v := kv[1]
		if v == "" {
			v = "—"
		}
		fmt.Fprintf(tw, "%s\t%s\n", kv[0], v)
	}
	dur := availability.FormatSeconds
	if len(r.OutageList) > 0 {
		fmt.Fprintln(tw, "\nOUTAGE START\tEND\tLASTS\tDOWNTIME\tSTATE\tCAUSE")
		for _, o := range r.OutageList {
			end := o.End.Format(time.RFC3339)
			if o.Ongoing {
				end = "ongoing"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Start.Format(time.RFC3339), end, dur(o.Duration), dur(o.Counted), o.State, o.Source)
		}
	}
	if len(r.CountedIntervals) > 0 {
		fmt.Fprintln(tw, "\nCOUNTED FROM\tTO\tSTATE\tCAUSE\tIN SERVICE HOURS\tWEIGHT\tCOUNTED")
		// Whole seconds apportioned as on the service page, so that the
		// rows add up to the total printed under them.
		parts := make([]availability.Seconds, len(r.CountedIntervals))
		for i, c := range r.CountedIntervals {
			parts[i] = c.Counted
		}
		shown := availability.WholeSeconds(parts)
		for i, c := range r.CountedIntervals {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t× %s\t%s\n", c.Start.Format(time.RFC3339), c.End.Format(time.RFC3339), c.State, c.Source,
				dur(c.InHours), strconv.FormatFloat(c.Weight, 'f', -1, 64), dur(shown[i]))
		}
		fmt.Fprintf(tw, "\t\t\t\t\ttotal\t%s\n", dur(r.Downtime))
	}
	return tw.Flush()
}

// monthlyReport prints the monthly KPI report with the same computation,
// and the same snapshot once the month has closed, as GET
// /api/v1/reports/monthly/{month}: `sextant report --monthly 2026-11
// --format pdf > nov.pdf`.
func monthlyReport(month, service, format, cfgPath string, d dbFlags, env Env) error {
	m, err := kpi.ParseMonth(month)
	if err != nil {
		return usageError{"report: --monthly: " + err.Error()}
	}
	if format != "table" && format != kpi.FormatJSON && format != kpi.FormatCSV && format != kpi.FormatPDF {
		return usageError{fmt.Sprintf("report: --format must be table, json, csv or pdf, not %q", format)}
	}
	ctx := context.Background()
	// The server's own wiring, without serving: its sources are the ones
	// the API reads. Anything it prints (a first admin's password on an
	// empty database) goes to standard error, away from the report.
	a, err := app.New(ctx, app.Options{DataDir: d.data, Database: d.database, ConfigPath: cfgPath, Out: env.Stderr})
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := a.Monthly().Report(ctx, m, service)
	if err != nil {
		return err
	}
	if format == "table" {
		return writeMonthlyTable(env.Stdout, rep)
	}
	b, err := kpi.Render(rep, format)
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(b)
	return err
}

func writeMonthlyTable(w io.Writer, r kpi.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	scope := "overall"
	if r.Service != "" {
		scope = r.Service
	}
	fmt.Fprintf(tw, "monthly report\t%s (%s)\n", r.Month, scope)
	fmt.Fprintf(tw, "objectives met\t%d of %d\n", r.ObjectivesMet, r.ObjectivesTotal)
	fmt.Fprintf(tw, "counted downtime\t%s\n", kpi.DurationDisplay(r.DowntimeSeconds))
	fmt.Fprintf(tw, "downtime cost\t%s\n", r.MoneyDisplay(r.DowntimeCost))
	if r.Correction != nil {
		fmt.Fprintf(tw, "correction\tthe history changed after the month was frozen: %d figures differ\n", len(r.Correction.Changes))
	}
	fmt.Fprintln(tw, "\nAREA\tKPI\tVALUE\tBASIS")
	for _, a := range r.Areas {
		for _, v := range a.KPIs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Title, v.Title, v.Display, v.Basis)
		}
	}
	return tw.Flush()
}
