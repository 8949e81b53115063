package main

import (
	"fmt"
	"io"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"time"
)

// report gathers a run's figures and prints them.
type report struct {
	cfg      config
	started  time.Time
	schema   string
	server   *server
	load     *loadResult
	bare     *loadResult // the bare-202 baseline of the same run, or nil
	peakRSS  int64
	stopErr  error
	stored   *stored
	logLines logLines
}

// print writes the report and returns what missed the goal.
func (r *report) print(out io.Writer) (missed []string) {
	c, l, st := r.cfg, r.load, r.stored
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	span := l.to.Sub(l.from)
	ok := len(l.latencies)
	rate := float64(ok) / span.Seconds()

	p("Sextant event ingest benchmark, %s", r.started.UTC().Format("2006-01-02 15:04 MST"))
	p("machine          %d CPUs, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	p("server           %s; pid %d, http://%s", r.server.how, r.server.pid, r.server.addr)
	if c.db == "sqlite" {
		p("store            SQLite in a temporary data directory (WAL, synchronous=FULL)")
	} else {
		p("store            PostgreSQL %s, fresh schema %s (dropped afterwards)", redacted(c.db), r.schema)
	}
	p("load             -mode %s: %d workers in the harness, one keep-alive connection each, POST /v2/enqueue on 127.0.0.1; %.0f%% acknowledge/resolve of recent keys, triggers repeat a recent key with p=%.2f",
		c.mode, c.concurrency, 100*c.ackResolve, c.repeat)
	if c.loops > 0 {
		p("                 server started with --ingest-loops %d", c.loops)
	}
	if l.sentBodies > 0 {
		p("                 bodies %d bytes on average; %d distinct dedup keys triggered", l.bodyBytes/l.sentBodies, l.newKeys)
	}
	p("window           %s after a %s warm-up", span.Round(time.Millisecond), c.warmup)
	p("")
	p("accepted         %d events answered 202 in the window = %.0f events/s (%s)", ok, rate, actions(l.window))
	p("latency          p50 %s, p95 %s, p99 %s, max %s (exact, every 202 completed in the window, request sent to answer read)",
		ms(pct(l.latencies, 50)), ms(pct(l.latencies, 95)), ms(pct(l.latencies, 99)), ms(pct(l.latencies, 100)))
	p("answers          %s (whole run, warm-up included)", statuses(l.byStatus))
	for _, e := range l.errSamples {
		p("  e.g.           %s", e)
	}
	scpu := l.serverCPU1 - l.serverCPU0
	hcpu := l.harnessCPU1 - l.harnessCPU0
	p("CPU (server)     %s in %s = %.2f cores; %s per 1,000 events", scpu, span.Round(time.Millisecond), scpu.Seconds()/span.Seconds(), ms(per1000(scpu, ok)))
	p("CPU (harness)    %s = %.2f cores (load generator, not included above)", hcpu.Round(10*time.Millisecond), hcpu.Seconds()/span.Seconds())
	if mcpu := l.machine1 - l.machine0; mcpu > 0 {
		other := max(mcpu-scpu-hcpu, 0)
		steal := l.steal1 - l.steal0
		p("CPU (machine)    %.2f of %d cores busy; others ≈ %.2f cores (PostgreSQL, when used, is among them); steal %.2f cores (/proc/stat)",
			mcpu.Seconds()/span.Seconds(), runtime.NumCPU(), other.Seconds()/span.Seconds(), steal.Seconds()/span.Seconds())
	}
	if l.mallocsOK && ok > 0 {
		p("allocations      %.0f per event (go_memstats_mallocs_total from the server's /metrics at the window's edges)", (l.mallocs1-l.mallocs0)/float64(ok))
	}
	p("peak RSS         %s (server VmHWM, whole life)", size(float64(r.peakRSS)))
	p("server log       %d errors, %d warnings", r.logLines.errors, r.logLines.warnings)
	for _, line := range r.logLines.last {
		p("  %s", line)
	}
	if r.stopErr != nil {
		p("server stop      %v", r.stopErr)
	}
	ratio := 0.0
	if b := r.bare; b != nil {
		bok := len(b.latencies)
		bspan := b.to.Sub(b.from)
		brate := float64(bok) / bspan.Seconds()
		bcpu := b.serverCPU1 - b.serverCPU0
		p("")
		p("bare 202 server  the same load, just before, against a server that reads each body and answers 202, storing nothing:")
		p("                 %.0f events/s, p50 %s, p99 %s, server CPU %s per 1,000 events; %s",
			brate, ms(pct(b.latencies, 50)), ms(pct(b.latencies, 99)), ms(per1000(bcpu, bok)), statuses(b.byStatus))
		if brate > 0 {
			ratio = rate / brate
		}
		p("ratio            Sextant %.2f× the bare server's events/s; p99 %.1f× its p99", ratio, float64(pct(l.latencies, 99))/float64(max(pct(b.latencies, 99), 1)))
	}
	p("")
	accepted := int64(0)
	for _, v := range l.accepted {
		accepted += int64(v)
	}
	verdict := "every 202 is a stored event"
	if st.events != accepted {
		verdict = fmt.Sprintf("MISMATCH: %+d", st.events-accepted)
	}
	p("stored events    %d rows (%s) for %d answered 202 over the whole run: %s", st.events, actionsInt64(st.byAction), accepted, verdict)
	triggers := int64(l.accepted["trigger"])
	dedup := "every accepted trigger opened an incident or was counted on one"
	if st.eventCount != triggers {
		dedup = fmt.Sprintf("MISMATCH: %d triggers accepted", triggers)
	}
	p("incidents        %d rows, %d open; SUM(event_count) %d: %s; %d events linked to an incident", st.incidents, st.open, st.eventCount, dedup, st.linked)
	p("other rows       incident_log %d, state_transitions %d", st.logRows, st.stateRows)
	if st.fileBytes > 0 {
		p("database size    %s (sextant.db and its WAL at shutdown)", size(float64(st.fileBytes)))
	}

	goal := fmt.Sprintf("≥ %.0f events/s", goalRate)
	switch {
	case c.mode == "storm" && r.bare == nil:
		missed = append(missed, "a storm is judged against the bare server (run without -bare=false)")
	case c.mode == "storm":
		goal = fmt.Sprintf("≥ %.2f× the bare 202 server", goalRatio)
		if ratio < goalRatio {
			missed = append(missed, fmt.Sprintf("%.2f× the bare server is under %.2f×", ratio, goalRatio))
		}
	case rate < goalRate:
		missed = append(missed, fmt.Sprintf("%.0f events/s is under %.0f", rate, goalRate))
	}
	if p99 := pct(l.latencies, 99); p99 >= goalP99 || ok == 0 {
		missed = append(missed, fmt.Sprintf("p99 %s is not under %s", ms(p99), goalP99))
	}
	if bad := sum(l.byStatus) - l.byStatus[202]; bad > 0 {
		missed = append(missed, fmt.Sprintf("%d requests not answered 202", bad))
	}
	if st.events != accepted {
		missed = append(missed, "stored events do not match the 202s")
	}
	if st.eventCount != triggers {
		missed = append(missed, "incident event counts do not match the accepted triggers")
	}
	p("")
	scope := ""
	if c.db != "sqlite" {
		scope = " (the goal is set for SQLite; reported for comparison)"
	}
	if len(missed) == 0 {
		p("goal             MET%s: %s with p99 under %s, every 202 stored", scope, goal, goalP99)
	} else {
		p("goal             MISSED%s: %s", scope, strings.Join(missed, "; "))
	}
	return missed
}

// pct is the nearest-rank percentile of sorted durations.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func per1000(cpu time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return cpu * 1000 / time.Duration(n)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
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

func actions(m map[string]int) string {
	n := make(map[string]int64, len(m))
	for k, v := range m {
		n[k] = int64(v)
	}
	return actionsInt64(n)
}

func actionsInt64(m map[string]int64) string {
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

func statuses(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for k := range m {
		codes = append(codes, k)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, k := range codes {
		if k == 0 {
			parts[i] = fmt.Sprintf("transport error %d", m[k])
		} else {
			parts[i] = fmt.Sprintf("%d: %d", k, m[k])
		}
	}
	return strings.Join(parts, ", ")
}

func sum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func redacted(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}
