package web

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/monitor"
)

// How much history the check pages draw.
const (
	sparkWindow    = 24 * time.Hour
	sparkPoints    = 100
	chartMaxPoints = 2000
	// recentResults is how many of the latest results the page reads to
	// collapse into runs.
	recentResults = 500
	rollupWindow  = 7 * 24 * time.Hour
	// chartDotsBelow: with fewer results than this, each is drawn as a dot
	// too, so that one or two results are not an invisible line.
	chartDotsBelow = 60
)

// stateOrder sorts the worst state first: down, degraded, unknown, up.
func stateOrder(s availability.State) int { return -s.Severity() }

// checkListPage is the data of the check list.
type checkListPage struct {
	Checks   []checkRow
	Service  string
	State    string
	Services []string
	States   []string
	Filtered bool
	Counts   []stateCount // of every check, before filtering
	Deleted  string
	// Paging: the list shows checkPageSize rows at a time; Total is the
	// number that match the filter.
	Total            int
	First, Last      int
	PrevURL, NextURL string
}

// checkPageSize is how many checks one page of the list shows: the
// sparklines cost one small query per row shown, not per check.
const checkPageSize = 100

type stateCount struct {
	State string
	Count int
}

// checkRow is one line of the check list.
type checkRow struct {
	monitor.Status
	Spark *sparkline
}

func (u *UI) listChecks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lp := checkListPage{Service: q.Get("service"), State: q.Get("state"), Deleted: q.Get("deleted"),
		States: []string{"down", "degraded", "unknown", "up"}}
	lp.Filtered = lp.Service != "" || lp.State != ""
	all := u.deps.Monitor.Statuses(monitor.BaseURL(u.deps.PublicURL, r))
	counts := map[string]int{}
	now := time.Now()
	for _, s := range all {
		counts[s.State.String()]++
		if !slices.Contains(lp.Services, s.Service) {
			lp.Services = append(lp.Services, s.Service)
		}
		if (lp.Service != "" && s.Service != lp.Service) || (lp.State != "" && s.State.String() != lp.State) {
			continue
		}
		lp.Checks = append(lp.Checks, checkRow{Status: s.Redacted()})
	}
	for _, st := range lp.States {
		if counts[st] > 0 {
			lp.Counts = append(lp.Counts, stateCount{State: st, Count: counts[st]})
		}
	}
	slices.Sort(lp.Services)
	if lp.Service != "" && !slices.Contains(lp.Services, lp.Service) {
		lp.Services = append(lp.Services, lp.Service)
	}
	slices.SortStableFunc(lp.Checks, func(a, b checkRow) int {
		return cmp.Or(cmp.Compare(stateOrder(a.State), stateOrder(b.State)), cmp.Compare(a.Name, b.Name))
	})
	// One page of rows, worst first; sparklines only for the rows shown.
	lp.Total = len(lp.Checks)
	pageNo := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errBadRequest("The page number must be a whole number from 1.")
		}
		pageNo = n
	}
	if (pageNo-1)*checkPageSize >= lp.Total && pageNo > 1 {
		return errPageNotFound
	}
	from := min((pageNo-1)*checkPageSize, lp.Total)
	to := min(from+checkPageSize, lp.Total)
	lp.Checks = lp.Checks[from:to]
	lp.First, lp.Last = from+1, to
	link := func(n int) string {
		v := url.Values{}
		if lp.Service != "" {
			v.Set("service", lp.Service)
		}
		if lp.State != "" {
			v.Set("state", lp.State)
		}
		v.Set("page", strconv.Itoa(n))
		return "/checks?" + v.Encode()
	}
	if pageNo > 1 {
		lp.PrevURL = link(pageNo - 1)
	}
	if to < lp.Total {
		lp.NextURL = link(pageNo + 1)
	}
	for i := range lp.Checks {
		res, err := u.deps.Monitor.Results(r.Context(), lp.Checks[i].Name, now.Add(-sparkWindow), now, sparkPoints)
		if err != nil {
			return err
		}
		lp.Checks[i].Spark = newSparkline(res)
	}
	u.render(w, r, http.StatusOK, "checks.html", "Checks", lp)
	return nil
}

// sparkline is a small latency line for the check list.
type sparkline struct {
	Points string
	Label  string
}

const sparkW, sparkH = 120, 24

// newSparkline draws results (newest first, as Monitor.Results returns
// them) oldest to newest, evenly spaced; nil when there are too few.
func newSparkline(res []monitor.Result) *sparkline {
	if len(res) < 2 {
		return nil
	}
	res = slices.Clone(res)
	slices.Reverse(res)
	var hi time.Duration
	for _, x := range res {
		hi = max(hi, x.Latency)
	}
	scale := 1.0
	if hi > 0 {
		scale = float64(sparkH-4) / float64(hi)
	}
	var b strings.Builder
	step := float64(sparkW-2) / float64(len(res)-1)
	for i, x := range res {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s,%s", num(1+float64(i)*step), num(float64(sparkH-2)-float64(x.Latency)*scale))
	}
	last := res[len(res)-1].Latency
	return &sparkline{Points: b.String(),
		Label: fmt.Sprintf("Latency of the last %d results: latest %s, highest %s", len(res), ms(last), ms(hi))}
}

// num writes a coordinate with one decimal.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// noLatency stands for the latency of a result that had none: the probe
// could not connect or got no answer, and the time it took to fail is no
// latency.
const noLatency = "—"

// ms shows a latency in milliseconds; 0 is a result without one.
func ms(d time.Duration) string {
	if d <= 0 {
		return noLatency
	}
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64) + " ms"
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
}

// msPtr shows Status.LatencyMS.
func msPtr(f *float64) string {
	if f == nil {
		return ""
	}
	return ms(time.Duration(*f * float64(time.Millisecond)))
}

// checkDetailPage is the data of a check's page.
type checkDetailPage struct {
	monitor.Status
	Compiled  *monitor.Compiled // nil when the stored check no longer compiles
	Target    string
	Locations []locationRow
	Chart     *latencyChart
	// Range is the latency chart's range; Ranges every choice of the picker.
	Range  chartRange
	Ranges []chartRange
	// Uptime holds the 24 h, 7 d, 30 d and 90 d figures; HasHours says
	// whether the service's hours differ from 24x7.
	Uptime   []uptimeTile
	HasHours bool
	Runs     []monitor.ResultRun
	Results  int // how many results Runs were made of
	Now      time.Time
	Rollups  []monitor.Rollup
	Saved    bool
	// HeaderNames are the check's headers in order; the page shows the
	// value of each that is not write-only.
	HeaderNames []string
	Curl        string
	StartURL    string
	FailURL     string
	// Backup is a backup job's RPO box; nil for any other check.
	Backup *backupPanel
	// CertificateSoon: the chain last seen expires within 30 days (or has
	// expired), as the "certificates expiring" KPI counts it.
	CertificateSoon bool
}

// locationRow is one location's view of the check.
type locationRow struct {
	Name string
	monitor.LocationState
	Seen bool
}

func (u *UI) showCheck(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	st, err := u.deps.Monitor.StatusOf(name, monitor.BaseURL(u.deps.PublicURL, r))
	if err != nil {
		return err
	}
	dp := &checkDetailPage{Status: st.Redacted(), Target: targetSummary(st.Check), Saved: r.URL.Query().Get("saved") != ""}
	dp.Compiled, _ = monitor.Compile(st.Check, nil)
	if dp.Compiled != nil {
		// The page shows the compiled check's timing and conditions; its
		// credentials are shown only as set.
		dp.Compiled.Check = dp.Compiled.Check.Redacted()
	}
	dp.HeaderNames = slices.Sorted(maps.Keys(st.Headers))
	if st.Type != monitor.TypeHeartbeat {
		locs := []string{monitor.LocationLocal}
		if dp.Compiled != nil {
			locs = dp.Compiled.Locations
		}
		for _, l := range locs {
			ls, ok := st.Locations[l]
			dp.Locations = append(dp.Locations, locationRow{Name: l, LocationState: ls, Seen: ok})
		}
	}
	if st.PingURL != "" {
		dp.Curl = "curl -fsS -m 10 --retry 3 " + st.PingURL
		dp.StartURL, dp.FailURL = st.PingURL+"/"+monitor.PingStart, st.PingURL+"/"+monitor.PingFail
	}
	rg, err := chartRangeOf(r)
	if err != nil {
		return err
	}
	dp.Range, dp.Ranges = rg, chartRanges
	now := u.deps.Now()
	dp.Now = now
	dp.CertificateSoon = !st.CertificateNotAfter.IsZero() && st.CertificateNotAfter.Before(now.Add(kpi.CertificateHorizon))
	from := now.Add(-rg.Span)
	if rg.Granularity == "" {
		res, err := u.deps.Monitor.Results(r.Context(), name, from, now, chartMaxPoints)
		if err != nil {
			return err
		}
		dp.Chart = newLatencyChart(res, from, now, rg)
	} else {
		rs, err := u.deps.Monitor.Rollups(r.Context(), name, rg.Granularity, from, now)
		if err != nil {
			return err
		}
		dp.Chart = newRollupChart(rs, from, now, rg)
	}
	recent, err := u.deps.Monitor.Results(r.Context(), name, time.Unix(0, 0), now.Add(time.Minute), recentResults)
	if err != nil {
		return err
	}
	dp.Runs, dp.Results = monitor.Runs(recent), len(recent)
	if dp.Uptime, dp.HasHours, err = u.uptimeTiles(r.Context(), st.Check, now); err != nil {
		return err
	}
	if dp.Rollups, err = u.deps.Monitor.Rollups(r.Context(), name, "hour", now.Add(-rollupWindow), now); err != nil {
		return err
	}
	slices.Reverse(dp.Rollups)
	if dp.Backup, err = u.backupPanelOf(r.Context(), dp.Compiled, st.StoredCheck, now); err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "check.html", "Check "+name, dp)
	return nil
}

// targetSummary says in one line what a check looks at.
func targetSummary(c monitor.Check) string {
	hostPort := func(def int) string {
		p := c.Port
		if p == 0 {
			p = def
		}
		if p == 0 {
			return c.Host
		}
		return c.Host + ":" + strconv.Itoa(p)
	}
	switch c.Type {
	case monitor.TypeHTTP:
		m := strings.ToUpper(c.Method)
		if m == "" {
			m = "GET"
		}
		return m + " " + c.URL
	case monitor.TypeTCP:
		return "connect to " + hostPort(0)
	case monitor.TypeTLS:
		return "TLS handshake with " + hostPort(443)
	case monitor.TypeICMP:
		return "ping " + c.Host
	case monitor.TypeDNS:
		rec := strings.ToUpper(c.Record)
		if rec == "" {
			rec = "A"
		}
		s := "look up " + rec + " " + c.Host
		if c.Resolver != "" {
			s += " at " + c.Resolver
		}
		if len(c.Expect) > 0 {
			s += ", expecting " + strings.Join(c.Expect, ", ")
		}
		return s
	case monitor.TypeHeartbeat:
		var s string
		if c.Cron != "" {
			s = "pinged on the schedule " + c.Cron
			if c.Timezone != "" {
				s += " (" + c.Timezone + ")"
			}
		} else {
			s = "pinged every " + c.Period
		}
		if c.Grace != "" {
			s += ", with " + c.Grace + " grace"
		}
		return s
	}
	return c.Type
}

// latencyChart is the check page's chart of the last day's latency.
type latencyChart struct {
	W, H            int
	Left, Right     int
	Top, Bottom     int
	XTicks, YTicks  []tick
	Series          []chartSeries
	Marks           []chartMark
	Dots            []chartMark // every good result, when there are few
	Count           int
	Failed, Degrade int
	Median, Highest string
	// Rollups is set when the chart draws hourly or daily summaries
	// (their medians) rather than results; Range is what it covers.
	Rollups bool
	Range   chartRange
}

type tick struct {
	Pos   string
	Label string
}

type chartSeries struct {
	Location string
	Class    string
	Points   string
}

type chartMark struct {
	X, Y  string
	Class string // down or degraded
	Label string
}

// newLatencyChart lays out results (newest first) over [from, to): time
// across, latency up, one line per location, failed results marked.
func newLatencyChart(res []monitor.Result, from, to time.Time, rg chartRange) *latencyChart {
	if len(res) == 0 {
		return nil
	}
	c := &latencyChart{W: 720, H: 220, Left: 56, Right: 704, Top: 12, Bottom: 190, Count: len(res), Range: rg}
	var hi time.Duration
	lats := make([]time.Duration, 0, len(res))
	for _, x := range res {
		hi = max(hi, x.Latency)
		if x.Latency > 0 {
			lats = append(lats, x.Latency)
		}
		switch x.Outcome {
		case availability.Down:
			c.Failed++
		case availability.Degraded:
			c.Degrade++
		}
	}
	slices.Sort(lats)
	c.Median, c.Highest = noLatency, ms(hi)
	if len(lats) > 0 {
		c.Median = ms(lats[(len(lats)-1)/2])
	}
	top := niceCeil(float64(hi) / float64(time.Millisecond))
	span := to.Sub(from)
	xOf := func(t time.Time) float64 {
		return float64(c.Left) + float64(c.Right-c.Left)*float64(t.Sub(from))/float64(span)
	}
	yOf := func(d time.Duration) float64 {
		return float64(c.Bottom) - float64(c.Bottom-c.Top)*(float64(d)/float64(time.Millisecond))/top
	}
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		c.YTicks = append(c.YTicks, tick{Pos: num(yOf(time.Duration(v * float64(time.Millisecond)))), Label: strconv.FormatFloat(v, 'f', -1, 64) + " ms"})
	}
	first := from.UTC().Truncate(rg.tick).Add(rg.tick)
	for t := first; t.Before(to); t = t.Add(rg.tick) {
		c.XTicks = append(c.XTicks, tick{Pos: num(xOf(t)), Label: t.Format(rg.tickFormat)})
	}
	byLoc := map[string][]string{}
	var locs []string
	for i := len(res) - 1; i >= 0; i-- {
		x := res[i]
		px, py := num(xOf(x.At)), num(yOf(x.Latency))
		if _, ok := byLoc[x.Location]; !ok {
			locs = append(locs, x.Location)
			byLoc[x.Location] = nil
		}
		latency := ms(x.Latency)
		if x.Latency > 0 {
			byLoc[x.Location] = append(byLoc[x.Location], px+","+py)
		} else {
			// No latency: marked on the axis, kept out of the line.
			latency = "no latency"
		}
		stamp := x.At.UTC().Format("15:04:05 UTC")
		if rg.Span > 24*time.Hour {
			stamp = x.At.UTC().Format("2 Jan 15:04 UTC")
		}
		label := fmt.Sprintf("%s, %s: %s, %s — %s", stamp, x.Location, x.Outcome, latency, x.Reason)
		switch {
		case x.Outcome == availability.Down || x.Outcome == availability.Degraded:
			c.Marks = append(c.Marks, chartMark{X: px, Y: py, Class: x.Outcome.String(), Label: label})
		case len(res) <= chartDotsBelow:
			c.Dots = append(c.Dots, chartMark{X: px, Y: py, Label: label})
		}
	}
	slices.Sort(locs)
	for i, l := range locs {
		pts := byLoc[l]
		if len(pts) == 0 {
			continue // nothing measured from there
		}
		c.Series = append(c.Series, chartSeries{Location: l, Class: "s" + strconv.Itoa(i%4), Points: strings.Join(pts, " ")})
	}
	return c
}

// niceCeil rounds a maximum up to 1, 2 or 5 times a power of ten, so that
// the axis has round labels; never below 1.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := 1.0
	for p*10 < v {
		p *= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// fmtDuration shows a compiled duration the way people write it.
func fmtDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	return duration.Format(d)
}

func (u *UI) confirmDeleteCheck(w http.ResponseWriter, r *http.Request) error {
	c, err := u.deps.Checks.Get(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "check_delete.html", "Delete check "+c.Name, c.Redacted())
	return nil
}

func (u *UI) deleteCheck(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := u.deps.Checks.Delete(r.Context(), principal(r).Actor(), name); err != nil {
		return err
	}
	if err := u.deps.Monitor.Load(r.Context()); err != nil {
		return err
	}
	http.Redirect(w, r, "/checks?deleted="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}

func (u *UI) pauseCheck(w http.ResponseWriter, r *http.Request) error {
	return u.setPaused(w, r, u.deps.Monitor.Pause)
}

func (u *UI) resumeCheck(w http.ResponseWriter, r *http.Request) error {
	return u.setPaused(w, r, u.deps.Monitor.Resume)
}

// setPaused pauses or resumes a check and goes back to its page.
func (u *UI) setPaused(w http.ResponseWriter, r *http.Request, set func(ctx context.Context, actor, name string) (monitor.StoredCheck, error)) error {
	name := r.PathValue("name")
	if _, err := set(r.Context(), principal(r).Actor(), name); err != nil {
		return err
	}
	http.Redirect(w, r, "/checks/"+url.PathEscape(name), http.StatusSeeOther)
	return nil
}

// checksOf returns a service's checks, worst first, for the service page.
func (u *UI) checksOf(r *http.Request, service string) []monitor.Status {
	var out []monitor.Status
	for _, s := range u.deps.Monitor.Statuses(monitor.BaseURL(u.deps.PublicURL, r)) {
		if s.Service == service {
			out = append(out, s.Redacted())
		}
	}
	slices.SortStableFunc(out, func(a, b monitor.Status) int {
		return cmp.Or(cmp.Compare(stateOrder(a.State), stateOrder(b.State)), cmp.Compare(a.Name, b.Name))
	})
	return out
}
