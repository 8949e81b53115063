package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/kpi"
)

func (a *API) kpiRoutes() []Route {
	service := Param{Name: "service", In: "query", Description: "only this service's figures (the KPIs that apply to one service)"}
	return []Route{
		{Method: "GET", Path: "/api/v1/kpis/catalogue", Summary: "Every KPI: name, area, formula in words, unit, direction, the sources it needs and what it is broken down by", Tag: "kpi",
			Role: auth.Viewer, Response: []kpi.Def{}, Status: 200, Handle: a.kpiCatalogue},
		{Method: "GET", Path: "/api/v1/kpis", Summary: "Every KPI computed over a period, with its breakdown and the rows behind it", Tag: "kpi",
			Description: "The period is ?month=YYYY-MM (default: this month) or ?from=…&to=… (RFC 3339, to exclusive). A KPI whose source this server lacks has a null value and says so in no_data.",
			Role:        auth.Viewer, Query: []Param{{Name: "month", In: "query", Description: "YYYY-MM, in the report's time zone"}, {Name: "from", In: "query"}, {Name: "to", In: "query"}, service},
			Response: []kpi.Value{}, Status: 200, Handle: a.kpiValues},
		{Method: "GET", Path: "/api/v1/reports/monthly/{month}", Summary: "The monthly report, overall or for one service, as JSON, CSV or PDF", Tag: "kpi",
			Description: "The month is YYYY-MM, optionally with .json, .csv or .pdf; without a suffix the Accept header chooses (JSON by default). A closed month's report is frozen the first time it is asked for; when a later recomputation differs, the frozen figures come with a correction.",
			Role:        auth.Viewer, Query: []Param{{Name: "month", In: "path", Description: "YYYY-MM, or YYYY-MM.pdf / .csv / .json"}, service},
			Response: kpi.Report{}, Status: 200, Handle: a.monthlyReport},
	}
}

func (a *API) monthly() (*kpi.Monthly, error) {
	if a.deps.Monthly == nil {
		return nil, newProblem(http.StatusNotFound, "KPIs and reports are not available on this server")
	}
	return a.deps.Monthly(), nil
}

func (a *API) kpiCatalogue(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, kpi.Catalogue)
	return nil
}

func (a *API) kpiValues(w http.ResponseWriter, r *http.Request) error {
	m, err := a.monthly()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var from, to time.Time
	switch {
	case q.Get("from") != "" || q.Get("to") != "":
		if q.Get("month") != "" {
			return badParam("month", "give either month or from and to")
		}
		for _, p := range []struct {
			name string
			dst  *time.Time
		}{{"from", &from}, {"to", &to}} {
			t, err := time.Parse(time.RFC3339, q.Get(p.name))
			if err != nil {
				return badParam(p.name, "expected an RFC 3339 time such as 2026-11-01T00:00:00Z, got %q", q.Get(p.name))
			}
			*p.dst = t
		}
		if !to.After(from) {
			return badParam("to", "must be after from")
		}
	default:
		month := kpi.MonthOf(m.Builder.Clock(), m.Builder.Location())
		if v := q.Get("month"); v != "" {
			if month, err = kpi.ParseMonth(v); err != nil {
				return badParam("month", "%s", err.Error())
			}
		}
		from, to = month.Bounds(m.Builder.Location())
	}
	vs, err := m.Builder.Values(r.Context(), from, to, q.Get("service"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, vs)
	return nil
}

// ReportFormat picks a monthly report's format from the path's suffix or,
// without one, the Accept header; it answers the month without suffix.
func ReportFormat(month, accept string, allowed ...string) (string, string, error) {
	for _, f := range allowed {
		if m, ok := strings.CutSuffix(month, "."+f); ok {
			return m, f, nil
		}
	}
	if i := strings.LastIndexByte(month, '.'); i >= 0 {
		return month, "", badParam("month", "the format %q is not one of %s", month[i+1:], strings.Join(allowed, ", "))
	}
	for _, part := range strings.Split(accept, ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		for _, f := range allowed {
			if strings.HasPrefix(kpi.ContentType(f), mt) && mt != "" {
				return month, f, nil
			}
		}
	}
	return month, kpi.FormatJSON, nil
}

func (a *API) monthlyReport(w http.ResponseWriter, r *http.Request) error {
	m, err := a.monthly()
	if err != nil {
		return err
	}
	raw, format, err := ReportFormat(r.PathValue("month"), r.Header.Get("Accept"), kpi.FormatJSON, kpi.FormatCSV, kpi.FormatPDF)
	if err != nil {
		return err
	}
	month, err := kpi.ParseMonth(raw)
	if err != nil {
		return badParam("month", "%s", err.Error())
	}
	rep, err := m.Report(r.Context(), month, r.URL.Query().Get("service"))
	if err != nil {
		return err
	}
	return WriteReport(w, rep, format)
}

// WriteReport answers a report in a format, with a file name for
// downloads.
func WriteReport(w http.ResponseWriter, rep kpi.Report, format string) error {
	if format == kpi.FormatJSON {
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
	b, err := kpi.Render(rep, format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", kpi.ContentType(format))
	w.Header().Set("Content-Disposition", `inline; filename="`+kpi.FileName(rep, format)+`"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}
