package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/kpi"
)

// The monthly report page: the same kpi.Report the API answers and the
// PDF draws, laid out for a reader — summary, objectives, candidates to
// spend less on, and each area's KPIs with their twelve months and the
// rows behind them.

type monthlyPage struct {
	Report     kpi.Report
	Prev, Next string
	Services   []option
	Query      string // "?service=…" or ""
	Areas      []monthlyArea
}

type monthlyArea struct {
	Title string
	KPIs  []monthlyKPI
}

type monthlyKPI struct {
	kpi.Value
	TargetText string
	TrendSVG   template.HTML
	Shown      []kpi.Link
	More       int
}

// maxLinks is how many rows behind a value the page lists; the API and
// the CSV carry them all.
const maxLinks = 12

func (u *UI) monthly() (*kpi.Monthly, error) {
	if u.deps.Monthly == nil {
		return nil, apperr.NotFound("page")
	}
	return u.deps.Monthly(), nil
}

// showMonthlyIndex opens the last closed month's report.
func (u *UI) showMonthlyIndex(w http.ResponseWriter, r *http.Request) error {
	m, err := u.monthly()
	if err != nil {
		return err
	}
	month := kpi.MonthOf(m.Builder.Clock(), m.Builder.Location()).Add(-1)
	http.Redirect(w, r, "/reports/monthly/"+month.String(), http.StatusSeeOther)
	return nil
}

func (u *UI) showMonthly(w http.ResponseWriter, r *http.Request) error {
	m, err := u.monthly()
	if err != nil {
		return err
	}
	raw := r.PathValue("month")
	format := kpi.FormatHTML
	for _, f := range []string{kpi.FormatPDF, kpi.FormatCSV, kpi.FormatJSON} {
		if s, ok := strings.CutSuffix(raw, "."+f); ok {
			raw, format = s, f
		}
	}
	month, err := kpi.ParseMonth(raw)
	if err != nil {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "month", Msg: err.Error()}}}
	}
	service := r.URL.Query().Get("service")
	rep, err := m.Report(r.Context(), month, service)
	if err != nil {
		return err
	}
	if format != kpi.FormatHTML {
		b, err := kpi.Render(rep, format)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", kpi.ContentType(format))
		w.Header().Set("Content-Disposition", `attachment; filename="`+kpi.FileName(rep, format)+`"`)
		_, err = w.Write(b)
		return err
	}
	p := monthlyPage{Report: rep, Prev: month.Add(-1).String(), Next: month.Add(1).String()}
	if service != "" {
		p.Query = "?service=" + url.QueryEscape(service)
	}
	// The service picker lists the overall report's services: a service
	// report holds only its own.
	names := []string{}
	if service == "" {
		for _, o := range rep.Objectives {
			names = append(names, o.Service)
		}
	} else if all, err := m.Builder.Sources.Availability.Services(r.Context(), rep.From, rep.To); err == nil {
		for _, o := range all {
			names = append(names, o.Service)
		}
	}
	p.Services = append(p.Services, option{Value: "", Label: "All services (overall)", Selected: service == ""})
	for _, n := range names {
		p.Services = append(p.Services, option{Value: n, Label: n, Selected: n == service})
	}
	for _, a := range rep.Areas {
		ma := monthlyArea{Title: a.Title}
		for _, v := range a.KPIs {
			k := monthlyKPI{Value: v, TrendSVG: trendSVG(v.Trend), Shown: v.Links}
			if v.Target != nil {
				k.TargetText = kpi.Format(v.Target, v.Unit, rep.Currency)
			}
			if len(k.Shown) > maxLinks {
				k.Shown, k.More = k.Shown[:maxLinks], len(k.Shown)-maxLinks
			}
			ma.KPIs = append(ma.KPIs, k)
		}
		p.Areas = append(p.Areas, ma)
	}
	title := "Monthly report " + rep.Month
	if service != "" {
		title += " — " + service
	}
	u.render(w, r, http.StatusOK, "monthly.html", title, p)
	return nil
}

// trendSVG draws twelve months as bars scaled to the largest, the month
// of the report darker; each bar's title says its month and value.
func trendSVG(pts []kpi.Point) template.HTML {
	if len(pts) == 0 {
		return ""
	}
	hi := 0.0
	for _, p := range pts {
		if p.Value != nil {
			hi = math.Max(hi, math.Abs(*p.Value))
		}
	}
	const w, h, gap = 10.0, 24.0, 2.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="trend" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="last %d months">`, float64(len(pts))*w, h, float64(len(pts))*w, h, len(pts))
	for i, p := range pts {
		bh := 1.0
		cls := "none"
		if p.Value != nil {
			cls = "past"
			if hi > 0 {
				bh = math.Max(1, math.Abs(*p.Value)/hi*h)
			}
		}
		if i == len(pts)-1 && p.Value != nil {
			cls = "now"
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%g" y="%g" width="%g" height="%g"><title>%s: %s</title></rect>`,
			cls, float64(i)*w+gap/2, h-bh, w-gap, bh, html.EscapeString(p.Month), html.EscapeString(p.Display))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
