package kpi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/csvsafe"
)

// The formats a monthly report is given in.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
	FormatPDF  = "pdf"
	FormatHTML = "html"
)

// ContentType is a format's media type.
func ContentType(format string) string {
	switch format {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatPDF:
		return "application/pdf"
	case FormatHTML:
		return "text/html; charset=utf-8"
	}
	return "application/json"
}

// Render gives the report in a format: JSON, CSV or PDF.
func Render(r Report, format string) ([]byte, error) {
	switch format {
	case FormatCSV:
		var buf bytes.Buffer
		err := WriteCSV(&buf, r)
		return buf.Bytes(), err
	case FormatPDF:
		return PDF(r)
	case FormatJSON:
		return json.MarshalIndent(r, "", "  ")
	}
	return nil, fmt.Errorf("kpi: no format %q", format)
}

// FileName is the report's file name in a format.
func FileName(r Report, format string) string {
	name := "sextant-report-" + r.Month
	if r.Service != "" {
		name += "-" + r.Service
	}
	return name + "." + format
}

func optNum(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// AvailabilityDisplay shows a service's availability as the service pages
// do.
func AvailabilityDisplay(s ServiceFigures) string {
	if s.Availability == nil {
		return "no service hours"
	}
	return availability.Percent(*s.Availability)
}

// TargetDisplay shows an objective's target.
func TargetDisplay(s ServiceFigures) string {
	if !s.HasObjective {
		return "—"
	}
	return availability.Percent(s.Target)
}

// Verdict says in words whether a service met its objective, naming the
// clauses breached.
func Verdict(s ServiceFigures) string {
	switch {
	case !s.HasObjective:
		return "no objective"
	case s.Availability == nil:
		return "no service hours"
	case s.Met:
		return "met"
	}
	return "breached: " + strings.Join(s.Breaches, ", ")
}

// DurationDisplay shows seconds as the UI writes durations.
func DurationDisplay(sec float64) string { v := sec; return Format(&v, UnitSeconds, "") }

// MoneyDisplay shows an amount in the report's currency.
func (r Report) MoneyDisplay(f float64) string { return availability.FormatMoneyIn(f, r.Currency) }

// WriteCSV writes the report as CSV rows: one per figure, with the raw
// value (for programs) beside the display (what the PDF and the page
// show). The first column says what the row is. Every cell is guarded
// by csvsafe.Cell: service, queue and people names come from users, and a
// spreadsheet would run one written as =HYPERLINK(…); figures, negative
// ones included, stay numbers.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	// A failed write is kept by the csv.Writer and returned by Error.
	write := func(cells ...string) { _ = cw.Write(csvsafe.Row(cells)) }
	write("record", "area", "name", "key", "title", "value", "display", "basis", "target", "url")
	scope := r.Service
	if scope == "" {
		scope = "overall"
	}
	write("report", "", "month", r.Month, scope, "", r.From.Format(time.RFC3339)+" – "+r.To.Format(time.RFC3339), "", "", "")
	write("summary", "", "objectives_met", "", "Objectives met", strconv.Itoa(r.ObjectivesMet), fmt.Sprintf("%d of %d", r.ObjectivesMet, r.ObjectivesTotal), "", "", "")
	write("summary", "", "downtime", "", "Counted downtime", strconv.FormatFloat(r.DowntimeSeconds, 'f', -1, 64), DurationDisplay(r.DowntimeSeconds), "", "", "")
	write("summary", "", "downtime_cost", "", "Downtime cost", strconv.FormatFloat(r.DowntimeCost, 'f', -1, 64), r.MoneyDisplay(r.DowntimeCost), "", "", "")
	for _, s := range r.Objectives {
		write("objective", "", s.Service, strconv.Itoa(s.Tier), Verdict(s), optNum(s.Availability), AvailabilityDisplay(s),
			fmt.Sprintf("downtime %s, cost %s, %d outages", DurationDisplay(s.DowntimeSeconds), r.MoneyDisplay(s.DowntimeCost), s.Outages), TargetDisplay(s), "/services/"+s.Service)
	}
	for _, a := range r.Areas {
		for _, v := range a.KPIs {
			write("kpi", a.Name, v.Name, "", v.Title, optNum(v.Value), v.Display, v.Basis, optNum(v.Target), "")
			for _, p := range v.Parts {
				write("part", a.Name, v.Name, p.Key, v.By, optNum(p.Value), p.Display, p.Basis, "", "")
			}
			for _, t := range v.Trend {
				write("trend", a.Name, v.Name, t.Month, "", optNum(t.Value), t.Display, "", "", "")
			}
			for _, l := range v.Links {
				write("link", a.Name, v.Name, l.ID, l.Kind, "", "", "", "", l.URL)
			}
		}
	}
	for _, c := range r.OverDelivery {
		write("over_delivery", AreaAlignment, c.Service, "", "availability above target", strconv.FormatFloat(c.Availability, 'f', -1, 64),
			availability.Percent(c.Availability), "target "+availability.Percent(c.Target)+", budget "+r.MoneyDisplay(c.Budget), strconv.FormatFloat(c.Target, 'f', -1, 64), c.URL)
	}
	if r.Snapshot != nil {
		write("snapshot", "", "frozen_at", "", "", "", r.Snapshot.FrozenAt.Format(time.RFC3339), r.Snapshot.Digest, "", "")
	}
	if r.Correction != nil {
		for _, d := range r.Correction.Changes {
			write("correction", "", d.KPI, "", d.Title, "", d.Now, "was "+d.Was, "", "")
		}
	}
	cw.Flush()
	return cw.Error()
}

// PDF renders the report as a PDF: the summary, the objectives with a
// chart of availability against target, each area's KPIs with a bar
// chart of their twelve months, over-delivery, and any correction.
func PDF(r Report) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCreationDate(r.GeneratedAt)
	p.SetModificationDate(r.GeneratedAt)
	p.SetCatalogSort(true)
	tr := p.UnicodeTranslatorFromDescriptor("")
	t := func(s string) string {
		return tr(strings.NewReplacer("−", "-", "–", "-", "≥", ">=", "≤", "<=").Replace(s))
	}
	title := "Monthly report " + r.Month
	if r.Service != "" {
		title += " - " + r.Service
	}
	p.SetTitle(title, true)
	p.SetAutoPageBreak(true, 15)
	p.SetFooterFunc(func() {
		p.SetY(-12)
		p.SetFont("Helvetica", "", 8)
		p.SetTextColor(120, 120, 120)
		p.CellFormat(0, 6, t(fmt.Sprintf("Sextant · %s · page %d", title, p.PageNo())), "", 0, "C", false, 0, "")
	})
	p.AddPage()
	p.SetFont("Helvetica", "B", 18)
	p.SetTextColor(20, 30, 60)
	p.CellFormat(0, 10, t(title), "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	p.SetTextColor(90, 90, 90)
	p.CellFormat(0, 5, t(fmt.Sprintf("%s to %s (UTC) · generated %s", r.From.Format("2006-01-02 15:04"), r.To.Format("2006-01-02 15:04"), r.GeneratedAt.Format("2006-01-02 15:04"))), "", 1, "L", false, 0, "")
	if r.Snapshot != nil {
		p.CellFormat(0, 5, t("Frozen "+r.Snapshot.FrozenAt.Format("2006-01-02 15:04")+" UTC · inputs "+r.Snapshot.Digest[:16]), "", 1, "L", false, 0, "")
	} else if !r.Closed {
		p.CellFormat(0, 5, t("The month is still running: figures to date."), "", 1, "L", false, 0, "")
	}
	p.Ln(3)

	// Summary boxes.
	boxes := [][2]string{
		{"Objectives met", fmt.Sprintf("%d of %d", r.ObjectivesMet, r.ObjectivesTotal)},
		{"Counted downtime", DurationDisplay(r.DowntimeSeconds)},
		{"Downtime cost", r.MoneyDisplay(r.DowntimeCost)},
	}
	x0, y0 := p.GetX(), p.GetY()
	for i, b := range boxes {
		x := x0 + float64(i)*62
		p.SetFillColor(238, 242, 250)
		p.Rect(x, y0, 58, 18, "F")
		p.SetXY(x+3, y0+2)
		p.SetFont("Helvetica", "", 8)
		p.SetTextColor(90, 90, 90)
		p.CellFormat(52, 5, t(b[0]), "", 2, "L", false, 0, "")
		p.SetFont("Helvetica", "B", 13)
		p.SetTextColor(20, 30, 60)
		p.CellFormat(52, 8, t(b[1]), "", 0, "L", false, 0, "")
	}
	p.SetXY(x0, y0+22)

	if r.Correction != nil {
		heading(p, t, "Correction")
		p.SetFont("Helvetica", "", 9)
		p.SetTextColor(150, 40, 20)
		p.MultiCell(0, 5, t("The history behind this frozen report was edited after the month closed (seen "+r.Correction.DetectedAt.Format("2006-01-02 15:04")+" UTC). The figures below are those frozen; a recomputation gives:"), "", "L", false)
		for _, d := range r.Correction.Changes {
			p.CellFormat(0, 5, t(fmt.Sprintf("  %s: %s (was %s)", d.Title, d.Now, d.Was)), "", 1, "L", false, 0, "")
		}
		p.SetTextColor(0, 0, 0)
		p.Ln(2)
	}

	heading(p, t, "Objectives")
	cols := []float64{46, 12, 22, 26, 44, 22, 18}
	head := []string{"Service", "Tier", "Target", "Availability", "Objective", "Downtime", "Cost"}
	tableRow(p, t, cols, head, true)
	for _, s := range r.Objectives {
		tier := ""
		if s.Tier > 0 {
			tier = strconv.Itoa(s.Tier)
		}
		tableRow(p, t, cols, []string{s.Service, tier, TargetDisplay(s), AvailabilityDisplay(s), Verdict(s), DurationDisplay(s.DowntimeSeconds), r.MoneyDisplay(s.DowntimeCost)}, false)
	}
	availabilityChart(p, t, r.Objectives)

	if len(r.OverDelivery) > 0 {
		heading(p, t, "Candidates to spend less on")
		p.SetFont("Helvetica", "", 9)
		for _, c := range r.OverDelivery {
			p.CellFormat(0, 5, t(fmt.Sprintf("%s: availability %s against a target of %s, budget %s", c.Service, availability.Percent(c.Availability), availability.Percent(c.Target), r.MoneyDisplay(c.Budget))), "", 1, "L", false, 0, "")
		}
	}

	for _, a := range r.Areas {
		heading(p, t, a.Title)
		kcols := []float64{52, 30, 58, 50}
		tableRow(p, t, kcols, []string{"KPI", "Value", "Basis", "Last 12 months"}, true)
		for _, v := range a.KPIs {
			if p.GetY() > 270 {
				p.AddPage()
			}
			y := p.GetY()
			basis := v.Basis
			if v.Target != nil {
				basis += " · target " + Format(v.Target, v.Unit, r.Currency)
			}
			tableRow(p, t, kcols[:3], []string{v.Title, v.Display, basis}, false)
			sparkBars(p, 10+kcols[0]+kcols[1]+kcols[2]+2, y+1, kcols[3]-4, 4, v.Trend, v.Direction)
		}
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("kpi: render the PDF: %w", err)
	}
	return buf.Bytes(), nil
}

func heading(p *fpdf.Fpdf, t func(string) string, s string) {
	if p.GetY() > 255 {
		p.AddPage()
	}
	p.Ln(2)
	p.SetFont("Helvetica", "B", 12)
	p.SetTextColor(20, 30, 60)
	p.CellFormat(0, 7, t(s), "B", 1, "L", false, 0, "")
	p.Ln(1)
}

func tableRow(p *fpdf.Fpdf, t func(string) string, cols []float64, cells []string, head bool) {
	if p.GetY() > 275 {
		p.AddPage()
	}
	if head {
		p.SetFont("Helvetica", "B", 8)
		p.SetFillColor(225, 230, 240)
	} else {
		p.SetFont("Helvetica", "", 8)
	}
	p.SetTextColor(0, 0, 0)
	for i, c := range cells {
		s := t(c)
		for p.GetStringWidth(s) > cols[i]-2 && len(s) > 3 {
			s = s[:len(s)-4] + "..."
		}
		p.CellFormat(cols[i], 6, s, "B", 0, "L", head, 0, "")
	}
	p.Ln(-1)
}

// availabilityChart draws each service's availability as a bar against
// its target (a mark), on a scale from the lowest figure to 100 %.
func availabilityChart(p *fpdf.Fpdf, t func(string) string, ss []ServiceFigures) {
	var rows []ServiceFigures
	for _, s := range ss {
		if s.Availability != nil {
			rows = append(rows, s)
		}
	}
	if len(rows) == 0 {
		return
	}
	if len(rows) > 30 {
		rows = rows[:30]
	}
	lo := 1.0
	for _, s := range rows {
		lo = math.Min(lo, math.Min(*s.Availability, s.Target))
	}
	lo = math.Max(0, math.Floor(lo*100-0.5)/100)
	if lo >= 1 {
		lo = 0.99
	}
	h := 5.0
	if p.GetY()+float64(len(rows))*h+12 > 280 {
		p.AddPage()
	}
	p.Ln(3)
	p.SetFont("Helvetica", "B", 9)
	p.CellFormat(0, 5, t(fmt.Sprintf("Availability against target (scale %s to 100%%)", availability.Percent(lo))), "", 1, "L", false, 0, "")
	x0, w := 56.0, 120.0
	scale := func(f float64) float64 { return x0 + (f-lo)/(1-lo)*w }
	for _, s := range rows {
		y := p.GetY()
		p.SetFont("Helvetica", "", 7)
		p.SetXY(10, y)
		p.CellFormat(44, h, t(s.Service), "", 0, "R", false, 0, "")
		p.SetFillColor(230, 230, 230)
		p.Rect(x0, y+1, w, h-2, "F")
		if s.Met || !s.HasObjective {
			p.SetFillColor(60, 140, 90)
		} else {
			p.SetFillColor(200, 70, 50)
		}
		p.Rect(x0, y+1, math.Max(0.3, scale(*s.Availability)-x0), h-2, "F")
		if s.HasObjective {
			p.SetDrawColor(20, 30, 60)
			p.SetLineWidth(0.5)
			p.Line(scale(s.Target), y+0.3, scale(s.Target), y+h-0.3)
			p.SetLineWidth(0.2)
		}
		p.SetXY(x0+w+2, y)
		p.CellFormat(20, h, t(AvailabilityDisplay(s)), "", 1, "L", false, 0, "")
	}
}

// sparkBars draws a KPI's trend as bars, scaled to its largest value.
func sparkBars(p *fpdf.Fpdf, x, y, w, h float64, pts []Point, dir string) {
	if len(pts) == 0 {
		return
	}
	hi := 0.0
	for _, pt := range pts {
		if pt.Value != nil {
			hi = math.Max(hi, math.Abs(*pt.Value))
		}
	}
	bw := w / float64(len(pts))
	p.SetDrawColor(200, 200, 200)
	p.Line(x, y+h, x+w, y+h)
	for i, pt := range pts {
		if pt.Value == nil {
			continue
		}
		bh := 0.3
		if hi > 0 {
			bh = math.Max(0.3, math.Abs(*pt.Value)/hi*h)
		}
		if i == len(pts)-1 {
			p.SetFillColor(20, 60, 140)
		} else {
			p.SetFillColor(140, 160, 200)
		}
		p.Rect(x+float64(i)*bw+0.3, y+h-bh, bw-0.6, bh, "F")
	}
}
