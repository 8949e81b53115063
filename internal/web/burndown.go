package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
)

// burnPoint is the downtime counted in one elapsed day of the period, up to
// At (the day's end, or now for today).
type burnPoint struct {
	At    time.Time
	Label string
	Down  availability.Seconds
}

// burnChart is a service page's error budget burn-down: the share of the
// period's budget left after each day, against the even spend that would
// use it up exactly at the end of the period.
type burnChart struct {
	W, H        int
	Left, Right int
	Top, Bottom int
	XTicks      []tick
	YTicks      []tick
	// Line is the budget left, day by day; Ideal the even spend; ZeroY
	// where the budget runs out; Over the area below it.
	Line                   string
	IdealX1, IdealY1       string
	IdealX2, IdealY2       string
	ZeroY, OverH           string
	PlotW                  int
	Dots                   []chartMark
	TodayX                 string // empty when now is outside the period
	Left0, LeftOf, LeftPct string // figures for the caption
	IdealPct               string
	Overspent              bool
}

// Room for labels around the plot.
const (
	burnW, burnH        = 720, 240
	burnLeft, burnRight = 56, 704
	burnTop, burnBottom = 16, 206
	// burnFloor is the lowest share drawn: a budget overspent ten times
	// over is drawn at −1000 %, so that one bad day does not flatten the
	// rest of the chart.
	burnFloor = -10.0
)

// newBurnChart draws the burn-down from the period's report and its
// per-day downtime (oldest first); nil when there is no budget to burn (a
// 100 % target, or no service hours).
func newBurnChart(rep availability.Report, now time.Time, days []burnPoint, zone *time.Location) *burnChart {
	budget := float64(rep.ErrorBudget)
	span := rep.To.Sub(rep.From)
	if budget <= 0 || span <= 0 {
		return nil
	}
	c := &burnChart{W: burnW, H: burnH, Left: burnLeft, Right: burnRight, Top: burnTop, Bottom: burnBottom}
	type pt struct {
		at    time.Time
		share float64
		label string
		left  availability.Seconds
	}
	pts := []pt{{at: rep.From, share: 1, left: rep.ErrorBudget}}
	var used availability.Seconds
	for _, d := range days {
		used += d.Down
		left := rep.ErrorBudget - used
		pts = append(pts, pt{at: d.At, share: float64(left) / budget, label: d.Label, left: left})
	}
	if len(days) > 0 {
		// The last point is now: take the period's own figure, so the
		// chart ends where the figures above it say.
		last := &pts[len(pts)-1]
		last.left = rep.ErrorBudgetRemaining
		last.share = float64(rep.ErrorBudgetRemaining) / budget
	}
	lowest := 0.0
	for _, p := range pts {
		lowest = min(lowest, p.share)
	}
	lowest = max(lowest, burnFloor)
	step := 0.25
	for _, s := range []float64{0.25, 0.5, 1, 2, 5} {
		step = s
		if (1-lowest)/s <= 6 {
			break
		}
	}
	bottom := math.Floor(lowest/step) * step
	xOf := func(t time.Time) float64 {
		return float64(c.Left) + float64(c.Right-c.Left)*float64(t.Sub(rep.From))/float64(span)
	}
	yOf := func(share float64) float64 {
		share = max(share, bottom)
		return float64(c.Top) + float64(c.Bottom-c.Top)*(1-share)/(1-bottom)
	}
	for v := 1.0; v >= bottom-1e-9; v -= step {
		c.YTicks = append(c.YTicks, tick{Pos: num(yOf(v)), Label: sharePct(v)})
	}
	c.ZeroY, c.PlotW = num(yOf(0)), c.Right-c.Left
	c.OverH = num(float64(c.Bottom) - yOf(0))
	c.XTicks = burnTicks(rep.From, rep.To, zone, xOf)
	var line strings.Builder
	for i, p := range pts {
		if i > 0 {
			line.WriteByte(' ')
		}
		x, y := num(xOf(p.at)), num(yOf(p.share))
		line.WriteString(x + "," + y)
		if i > 0 {
			class := "dot"
			if p.left < 0 {
				class = "dot neg"
			}
			c.Dots = append(c.Dots, chartMark{X: x, Y: y, Class: class,
				Label: fmt.Sprintf("%s: %s of the budget left (%s of %s)", p.label, sharePct(p.share), seconds(p.left), seconds(rep.ErrorBudget))})
		}
	}
	c.Line = line.String()
	c.IdealX1, c.IdealY1 = num(xOf(rep.From)), num(yOf(1))
	c.IdealX2, c.IdealY2 = num(xOf(rep.To)), num(yOf(0))
	if !now.Before(rep.From) && !now.After(rep.To) {
		c.TodayX = num(xOf(now))
	}
	last := pts[len(pts)-1]
	c.Left0, c.LeftOf, c.LeftPct = seconds(last.left), seconds(rep.ErrorBudget), sharePct(last.share)
	c.Overspent = last.left < 0
	elapsed := min(max(now.Sub(rep.From), 0), span)
	c.IdealPct = sharePct(1 - float64(elapsed)/float64(span))
	return c
}

// burnTicks marks days across a period: each day of a week, each Monday of
// a month, the first of each month of a quarter.
func burnTicks(from, to time.Time, zone *time.Location, xOf func(time.Time) float64) []tick {
	days := int(math.Round(to.Sub(from).Hours() / 24))
	var out []tick
	y, m, d := from.In(zone).Date()
	for i := 0; ; i++ {
		t := time.Date(y, m, d+i, 0, 0, 0, 0, zone)
		if !t.Before(to) {
			break
		}
		var keep bool
		switch {
		case days <= 10:
			keep = true
		case days <= 40:
			keep = t.Weekday() == time.Monday
		default:
			keep = t.Day() == 1
		}
		if keep {
			out = append(out, tick{Pos: num(xOf(t)), Label: t.Format("2 Jan")})
		}
	}
	return out
}

// sharePct writes a share of the budget as a whole percentage, with a true
// minus sign below zero.
func sharePct(f float64) string {
	v := math.Round(f * 100)
	if v < 0 {
		return "−" + strconv.FormatFloat(-v, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + "%"
}
