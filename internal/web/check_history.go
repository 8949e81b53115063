package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/monitor"
)

// chartRange is one choice of the check page's latency range picker. Short
// ranges draw raw results; long ones draw rollups, which are what is kept
// of older results and keep a quarter's chart to a few thousand points.
type chartRange struct {
	Key   string
	Label string
	Span  time.Duration
	// Granularity is "" for raw results, else the rollups drawn; Summaries
	// names them for people ("hourly").
	Granularity string
	Summaries   string
	tick        time.Duration
	tickFormat  string
}

// chartRanges are the ranges the latency chart offers, shortest first.
var chartRanges = []chartRange{
	{Key: "1h", Label: "1 hour", Span: time.Hour, tick: 15 * time.Minute, tickFormat: "15:04"},
	{Key: "24h", Label: "24 hours", Span: 24 * time.Hour, tick: 6 * time.Hour, tickFormat: "15:04"},
	{Key: "7d", Label: "7 days", Span: 7 * duration.Day, Granularity: "hour", Summaries: "hourly", tick: duration.Day, tickFormat: "2 Jan"},
	{Key: "30d", Label: "30 days", Span: 30 * duration.Day, Granularity: "hour", Summaries: "hourly", tick: 7 * duration.Day, tickFormat: "2 Jan"},
	{Key: "90d", Label: "90 days", Span: 90 * duration.Day, Granularity: "day", Summaries: "daily", tick: 14 * duration.Day, tickFormat: "2 Jan"},
}

// defaultChartRange is the range the check page opens with.
const defaultChartRange = "24h"

// chartRangeOf reads the range parameter; an unknown one is the user's
// mistake and is named.
func chartRangeOf(r *http.Request) (chartRange, error) {
	key := r.URL.Query().Get("range")
	if key == "" {
		key = defaultChartRange
	}
	for _, c := range chartRanges {
		if c.Key == key {
			return c, nil
		}
	}
	return chartRange{}, errBadRequest(fmt.Sprintf("The range %q is not one of 1h, 24h, 7d, 30d or 90d.", key))
}

// uptimeTile is one of the check page's uptime figures.
type uptimeTile struct {
	Label string
	// Raw is up ÷ observed time; InHours the availability engine's figure
	// in the service's hours. Nil when nothing was observed.
	Raw, InHours       *float64
	Observed, Up, Down string
	InHoursObserved    string
}

// uptimeTiles measures a check over each of monitor.UptimeWindows up to
// now, from its own state transitions: raw, and in the service's hours
// with its maintenance left out.
func (u *UI) uptimeTiles(ctx context.Context, c monitor.Check, now time.Time) ([]uptimeTile, bool, error) {
	figures, hasHours, err := monitor.CheckUptime(ctx, u.deps.Outages, u.deps.Catalog, c, now)
	if err != nil {
		return nil, false, err
	}
	var tiles []uptimeTile
	for _, f := range figures {
		tiles = append(tiles, uptimeTile{Label: f.Label, Raw: f.Raw, InHours: f.InHours,
			Observed: fmtSeconds(f.Observed.Duration()), Up: fmtSeconds(f.Up.Duration()), Down: fmtSeconds(f.Observed.Duration() - f.Up.Duration()),
			InHoursObserved: fmtSeconds(f.InHoursObserved.Duration())})
	}
	return tiles, hasHours, nil
}

// fmtSeconds shows a measured span to the second, the way every figure of
// Sextant is shown.
func fmtSeconds(d time.Duration) string {
	return availability.FormatSeconds(availability.Seconds(d.Truncate(time.Second)))
}

// newRollupChart draws rollups (oldest first) over [from, to): each
// location's median latency per bucket, with buckets that had failed or
// degraded results marked.
func newRollupChart(rs []monitor.Rollup, from, to time.Time, rg chartRange) *latencyChart {
	if len(rs) == 0 {
		return nil
	}
	res := make([]monitor.Result, 0, len(rs))
	for i := len(rs) - 1; i >= 0; i-- { // newest first, as results come
		x := rs[i]
		out, reason := availability.Up, fmt.Sprintf("%d results, p95 %s ms, max %s ms", x.Count, strconv.FormatFloat(x.LatencyP95, 'f', 1, 64), strconv.FormatFloat(x.LatencyMax, 'f', 1, 64))
		switch {
		case x.Failures > 0:
			out, reason = availability.Down, fmt.Sprintf("%d of %d failed; %s", x.Failures, x.Count, reason)
		case x.Degraded > 0:
			out, reason = availability.Degraded, fmt.Sprintf("%d of %d degraded; %s", x.Degraded, x.Count, reason)
		}
		res = append(res, monitor.Result{Location: x.Location, At: x.Bucket, Outcome: out,
			Latency: time.Duration(x.LatencyP50 * float64(time.Millisecond)), Reason: reason})
	}
	c := newLatencyChart(res, from, to, rg)
	c.Rollups = true
	c.Failed, c.Degrade = 0, 0
	for _, x := range rs {
		c.Failed += x.Failures
		c.Degrade += x.Degraded
	}
	return c
}
