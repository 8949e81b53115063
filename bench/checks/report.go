package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
)

// report gathers a run's figures and prints them.
type report struct {
	cfg        config
	targetAddr string
	targetPID  int
	store      string
	setup      time.Duration
	setupHow   string

	win      *window
	analysis analysis
	lags     []time.Duration // sorted
	// lagSource says where lags come from; hist is the monitor's own lag
	// histogram over the window (monitor mode only).
	lagSource string
	hist      histogram
	outcomes  map[string]int
	// windowRuns counts runs started in the window.
	windowRuns int

	started, recorded int64 // over the whole run
	backlog           int64 // started but not yet stored at the window's end; -1 when not known
	skipped           int64
	shutdown          time.Duration
	logErrors         int64

	sockets sockets
	final   usage
	nofile  syscall.Rlimit
	storage *storage
}

// print writes the report and returns what missed the goal.
func (r *report) print(out io.Writer) (missed []string) {
	c, w, a := r.cfg, r.win, r.analysis
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	span := w.to.Sub(w.from)
	cpu := w.u1.cpu - w.u0.cpu
	intervals := float64(span) / float64(c.interval)
	perThousand := time.Duration(float64(cpu) / intervals / (float64(c.checks) / 1000))
	// Runs started in the window, for CPU per run; the lags of
	// monitor mode are only those of the evaluated intervals.
	windowRuns := r.windowRuns

	p("Sextant check scheduler benchmark, %s", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	p("machine          %d CPUs, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	p("run              mode %s, %d HTTP checks every %s, limit %s, store %s", c.mode, c.checks, c.interval, limitText(c.limit), r.store)
	p("target           http://%s (pid %d, a separate process)", r.targetAddr, r.targetPID)
	if r.setup > 0 {
		p("checks created   %s in %s", r.setupHow, r.setup.Round(time.Millisecond))
	} else {
		p("checks created   %s", r.setupHow)
	}
	p("window           %s after a %s warm-up; %d full intervals evaluated", span.Round(time.Millisecond), c.warmup, a.slots)
	p("")
	p("runs per check per interval   min %d, max %d (%d of %d check-intervals ran)", a.minRuns, a.maxRuns, a.ran, a.checkSlots)
	if len(a.missing) > 0 {
		p("  without a run: %s", strings.Join(a.missing, ", "))
	}
	if a.negative > 0 {
		p("  %d runs started more than 2 ms before their due time: the harness's copy of the phase rule no longer matches the scheduler", a.negative)
	}
	p("schedule lag     p50 %s, p99 %s, max %s over %d runs (%s)", ms(percentile(r.lags, 50)), ms(percentile(r.lags, 99)), ms(percentile(r.lags, 100)), len(r.lags), r.lagSource)
	if r.hist.count > 0 {
		p("  lag histogram  p50 ≈ %s, p99 ≈ %s, max ≤ %s over %d runs (sextant_check_schedule_lag_seconds, interpolated in its buckets)",
			secs(r.hist.quantile(.5)), secs(r.hist.quantile(.99)), secs(r.hist.maxBound()), r.hist.count)
	}
	p("outcomes         %s (results of runs started in the window)", outcomeText(r.outcomes))
	if r.store != "none" {
		p("stored results   %d rows in check_results for %d runs started over the whole run (the rest were in flight at shutdown, by design not recorded)", r.recorded, r.started)
		p("write backlog    %d runs started but not yet in the database at the window's end", r.backlog)
		p("logged errors    %d", r.logErrors)
	}
	p("skipped runs     %d (previous run of the same check still going)", r.skipped)
	p("shutdown         %s from cancel to return", r.shutdown.Round(time.Millisecond))
	p("")
	p("CPU (harness)    %s in %s = %.2f cores; %s per 1,000 checks per interval; %s per 1,000 runs",
		cpu.Round(time.Millisecond), span.Round(time.Millisecond), cpu.Seconds()/span.Seconds(), ms(perThousand), ms(perRuns(cpu, windowRuns)))
	tcpu := w.tcpu1 - w.tcpu0
	p("CPU (target)     %s = %.2f cores, not included above", tcpu, tcpu.Seconds()/span.Seconds())
	p("peak RSS         %s (getrusage ru_maxrss, whole process life, set-up included)", size(float64(r.final.maxRSS)))
	p("goroutines       peak %d; runs in flight peak %d (sampled every 50 ms in the window)", w.peaks.goroutines.v.Load(), w.peaks.inFlight.v.Load())
	p("file descriptors peak %d; RLIMIT_NOFILE %d soft / %d hard (Go raises the soft limit to the hard one at start; the harness does not change it)",
		w.peaks.fds.v.Load(), r.nofile.Cur, r.nofile.Max)
	p("sockets          every probe opens a new connection (probe.HTTP sets DisableKeepAlives); peaks sampled every 2 s: "+
		"TIME_WAIT %d on the target's side, %d on the prober's side (ephemeral ports held); %d established", r.sockets.serverTimeWait, r.sockets.clientTimeWait, r.sockets.established)
	if r.storage != nil {
		r.printStorage(p)
	}
	if w.profileErr != nil {
		p("cpu profile: %v", w.profileErr)
	}

	if a.minRuns < 1 {
		missed = append(missed, fmt.Sprintf("%d check-intervals without a run", a.checkSlots-a.ran))
	}
	if p99 := percentile(r.lags, 99); p99 >= goalLag || len(r.lags) == 0 {
		missed = append(missed, fmt.Sprintf("lag p99 %s is not under %s", ms(p99), goalLag))
	}
	if a.negative > 0 {
		missed = append(missed, "lags cannot be trusted (phase rule mismatch)")
	}
	if bad := r.outcomes["down"] + r.outcomes["unknown"]; bad > 0 {
		missed = append(missed, fmt.Sprintf("%d probes failed against a healthy target", bad))
	}
	p("")
	if len(missed) == 0 {
		p("goal             MET: every check ran in every interval, lag p99 under %s", goalLag)
	} else {
		p("goal             MISSED: %s", strings.Join(missed, "; "))
	}
	return missed
}

func (r *report) printStorage(p func(string, ...any)) {
	st := r.storage
	p("")
	p("storage (SQLite) %d raw rows (check name %.0f bytes, reason %.0f bytes on average); %d hourly and %d daily rollup rows made by Housekeep in %s",
		st.rawRows, st.avgName, st.avgReason, st.hourRows, st.dayRows, st.housekeep.Round(time.Millisecond))
	if st.dbstatErr != nil {
		p("  dbstat: %v", st.dbstatErr)
	}
	perRow := func(s space, n int64) string {
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f B/row (%.0f B payload)", float64(s.pages)/float64(n), float64(s.payload)/float64(n))
	}
	rollups := st.hourRows + st.dayRows
	if st.live != nil {
		p("  as written     raw %s; rollups %s (dbstat, table and indexes)", perRow(st.live["check_results"], st.rawRows), perRow(st.live["check_rollups"], rollups))
	}
	if st.packed != nil {
		p("  after VACUUM   raw %s; rollups %s", perRow(st.packed["check_results"], st.rawRows), perRow(st.packed["check_rollups"], rollups))
	}
	if st.fileRaw > 0 {
		p("  file delta     raw %.0f B/row; rollups %.0f B/row (VACUUMed file size before and after deleting the rows)", st.fileRaw, st.fileRollup)
	}
	raw := float64(st.live["check_results"].pages) / float64(max(st.rawRows, 1))
	roll := float64(st.live["check_rollups"].pages) / float64(max(rollups, 1))
	if st.live == nil {
		raw, roll = st.fileRaw, st.fileRollup
	}
	if hk := st.hk; hk != nil {
		p("  housekeeping   Housekeep rolled up one finished hour of %d results (every check, every %s) in %s wall, %s CPU; then deleted %d expired results (ten minutes' worth, what each 10-minute Housekeep deletes) in %s wall, %s CPU, in one DELETE holding SQLite's only write connection",
			hk.hourRows, r.cfg.interval, hk.rollup.Round(time.Millisecond), hk.rollupCPU.Round(time.Millisecond), hk.expiredRows, hk.delete.Round(time.Millisecond), hk.deleteCPU.Round(time.Millisecond))
	}
	for _, iv := range []time.Duration{30 * time.Second, 60 * time.Second} {
		perDay := raw * float64(24*time.Hour/iv)
		rollDay := roll * 25
		p("  at %-3s        raw %s per check per day; 7 days raw %s per check, %s for %d checks; rollups add %s per check per day (24 hourly + 1 daily), %s per check per year, kept without limit",
			iv, size(perDay), size(7*perDay), size(7*perDay*float64(r.cfg.checks)), r.cfg.checks, size(rollDay), size(365*rollDay))
	}
}

func limitText(n int) string {
	if n <= 0 {
		return "1000 (default)"
	}
	return fmt.Sprint(n)
}

func perRuns(cpu time.Duration, runs int) time.Duration {
	if runs == 0 {
		return 0
	}
	return cpu * 1000 / time.Duration(runs)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func secs(s float64) string {
	switch {
	case math.IsNaN(s):
		return "-"
	case math.IsInf(s, 1):
		return "+Inf"
	}
	return ms(time.Duration(s * float64(time.Second)))
}

func size(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

func outcomeText(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
