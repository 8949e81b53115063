// Command checks measures Sextant's check scheduler against its goal:
// 10,000 HTTP checks at a 30 s interval, each run in every interval with a
// schedule lag p99 under 1 s, on a 2-core machine; it reports CPU time per
// 1,000 checks and peak memory.
//
//	go run ./bench/checks [-checks 10000] [-interval 30s] [-duration 75s] [-db DIR|postgres-url] [-mode monitor|scheduler]
//
// The probed target is this same binary re-executed with -target, an HTTP
// server on 127.0.0.1, so that its CPU time is not counted as the
// monitor's. In the default monitor mode the checks live in a real,
// migrated store and run through monitor.Monitor, results and state going
// through its batched Record path, as in production. The scheduler mode
// drives monitor.Scheduler with monitor.Run directly and no database, to
// tell the probing and scheduling cost from the recording cost. See
// README.md for what each figure means.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sextant-ops/sextant/internal/monitor"
)

// config is the run as the flags ask for it.
type config struct {
	mode       string
	checks     int
	interval   time.Duration
	warmup     time.Duration
	duration   time.Duration
	db         string
	limit      int
	cpuprofile string
}

const (
	serviceName = "bench"
	actor       = "bench"
	lagMetric   = "sextant_check_schedule_lag_seconds"
	// The goal from the issue.
	goalLag = time.Second
)

func main() {
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "checks:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func run() (int, error) {
	var cfg config
	targetMode := flag.Bool("target", false, "run as the probed HTTP target (used by the harness itself)")
	flag.StringVar(&cfg.mode, "mode", "monitor", "monitor: the real Monitor with a store; scheduler: monitor.Scheduler and monitor.Run alone, no database")
	flag.IntVar(&cfg.checks, "checks", 10000, "number of HTTP checks")
	flag.DurationVar(&cfg.interval, "interval", 30*time.Second, "check interval")
	flag.DurationVar(&cfg.warmup, "warmup", 0, "time before measuring (default: one interval)")
	flag.DurationVar(&cfg.duration, "duration", 75*time.Second, "measured time after the warm-up; must cover at least two intervals")
	flag.StringVar(&cfg.db, "db", "", "data directory for SQLite, or a postgres:// URL (default: SQLite in a temporary directory, removed afterwards)")
	flag.IntVar(&cfg.limit, "limit", 0, "runs in flight at once (0: the monitor's default, 1000)")
	flag.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of the measured window to this file")
	flag.Parse()
	if *targetMode {
		return 0, serveTarget()
	}
	if cfg.warmup == 0 {
		cfg.warmup = cfg.interval
	}
	switch {
	case cfg.mode != "monitor" && cfg.mode != "scheduler":
		return 0, fmt.Errorf("-mode %q: use monitor or scheduler", cfg.mode)
	case cfg.checks < 1 || cfg.checks > 100000:
		return 0, errors.New("-checks must be between 1 and 100,000")
	case cfg.interval < monitor.MinInterval:
		return 0, fmt.Errorf("-interval must be at least %s", monitor.MinInterval)
	case cfg.duration < 2*cfg.interval || cfg.duration > time.Hour:
		return 0, errors.New("-duration must cover at least two intervals and at most an hour")
	}

	// Interrupting the harness still stops the target and removes the
	// temporary database.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	tgt, err := startTarget()
	if err != nil {
		return 0, err
	}
	rep := &report{cfg: cfg, targetAddr: tgt.addr, targetPID: tgt.cmd.Process.Pid}
	defs, names := checkSet(cfg, tgt.addr)
	if cfg.mode == "monitor" {
		err = runMonitor(ctx, cfg, tgt, defs, names, rep)
	} else {
		err = runScheduler(ctx, cfg, tgt, defs, names, rep)
	}
	socks, serr := tgt.stop()
	rep.sockets = socks
	if err != nil {
		return 0, err
	}
	if serr != nil {
		fmt.Fprintln(os.Stderr, "checks: target:", serr)
	}
	rep.final = rusage()
	var lim syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	rep.nofile = lim
	missed := rep.print(os.Stdout)
	if len(missed) > 0 {
		return 1, nil
	}
	return 0, nil
}

// checkSet is the benchmark's checks: plain HTTP GETs of the target, each
// on its own path so that they differ as real checks do, judged by a down
// condition and a degraded one, like the examples in docs/CONFIG.md.
func checkSet(cfg config, addr string) ([]monitor.Check, []string) {
	defs := make([]monitor.Check, cfg.checks)
	names := make([]string, cfg.checks)
	for i := range defs {
		names[i] = fmt.Sprintf("web-%05d", i+1)
		defs[i] = monitor.Check{
			Name:     names[i],
			Service:  serviceName,
			Type:     monitor.TypeHTTP,
			URL:      fmt.Sprintf("http://%s/health/%d", addr, i+1),
			Interval: cfg.interval.String(),
			Conditions: []monitor.ConditionSpec{
				{Condition: "[STATUS] == 200"},
				{Condition: "[RESPONSE_TIME] < 1000", Degraded: true},
			},
		}
	}
	return defs, names
}

// window is the measured stretch of a run.
type window struct {
	from, to   time.Time
	u0, u1     usage
	tcpu0      time.Duration
	tcpu1      time.Duration
	peaks      *peaks
	profileErr error
}

// measure waits out the warm-up from start, then measures for the
// configured duration: CPU of this process and of the target, an optional
// CPU profile, and the sampled peaks. atOpen and atClose take the
// caller's own snapshots just inside the window.
func measure(ctx context.Context, cfg config, start time.Time, tgt *target, inFlight func() int64, atOpen, atClose func()) (*window, error) {
	if err := sleepUntil(ctx, start.Add(cfg.warmup)); err != nil {
		return nil, err
	}
	w := &window{peaks: &peaks{}}
	var prof *os.File
	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return nil, err
		}
		prof = f
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
	}
	sctx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { w.peaks.sample(sctx, inFlight) })
	atOpen()
	w.from, w.u0, w.tcpu0 = time.Now(), rusage(), tgt.cpu()
	err := sleepUntil(ctx, w.from.Add(cfg.duration))
	w.to, w.u1, w.tcpu1 = time.Now(), rusage(), tgt.cpu()
	atClose()
	stopSampling()
	wg.Wait()
	if prof != nil {
		pprof.StopCPUProfile()
		w.profileErr = prof.Close()
	}
	return w, err
}

func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// runScheduler drives monitor.Scheduler with monitor.Run and a sink that
// only keeps what it is given: no store, no Record. Lags are exact, from
// the scheduler's ObserveLag hook.
func runScheduler(ctx context.Context, cfg config, tgt *target, defs []monitor.Check, names []string, rep *report) error {
	compiled := make([]*monitor.Compiled, len(defs))
	index := make(map[string]int, len(defs))
	for i, d := range defs {
		c, problems := monitor.Compile(d, nil)
		if len(problems) > 0 {
			return fmt.Errorf("check %s does not compile: %v", d.Name, problems)
		}
		compiled[i], index[d.Name] = c, i
	}
	type lagAt struct {
		at  time.Time
		lag time.Duration
	}
	var (
		mu       sync.Mutex
		runs     []runRecord
		outcomes = map[string]int{}
		lags     []lagAt
	)
	sched := &monitor.Scheduler{
		Limit: cfg.limit,
		Run: func(ctx context.Context, c *monitor.Compiled) monitor.Result {
			return monitor.Run(ctx, c, monitor.LocationLocal)
		},
		Sink: func(r monitor.Result) {
			mu.Lock()
			runs = append(runs, runRecord{check: index[r.Check], at: r.At})
			outcomes[r.Outcome.String()]++
			mu.Unlock()
		},
		ObserveLag: func(d time.Duration) {
			now := time.Now()
			mu.Lock()
			lags = append(lags, lagAt{at: now, lag: d})
			mu.Unlock()
		},
	}
	rep.setupHow = "compiled in memory with monitor.Compile (no store in this mode)"
	sched.Sync(compiled)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() { defer close(done); sched.Start(runCtx) }()
	var outcomes0 map[string]int
	w, err := measure(ctx, cfg, start, tgt, sched.InFlight, func() {
		mu.Lock()
		outcomes0 = clone(outcomes)
		mu.Unlock()
	}, func() {
		mu.Lock()
		for k, v := range outcomes {
			rep.outcomes = setAdd(rep.outcomes, k, v-outcomes0[k])
		}
		mu.Unlock()
	})
	stop()
	t := time.Now()
	<-done
	rep.shutdown = time.Since(t)
	if err != nil {
		return err
	}
	rep.win = w
	mu.Lock()
	defer mu.Unlock()
	rep.analysis = analyse(names, runs, w.from, cfg.interval, int(cfg.duration/cfg.interval))
	var exact []time.Duration
	for _, l := range lags {
		if !l.at.Before(w.from) && l.at.Before(w.to) {
			exact = append(exact, l.lag)
		}
	}
	slices.Sort(exact)
	rep.lags, rep.lagSource = exact, "exact, from Scheduler.ObserveLag, runs started in the window"
	rep.windowRuns = len(exact)
	rep.started, rep.recorded = sched.Runs(), int64(len(runs))
	rep.backlog = -1
	rep.skipped = sched.Skipped()
	rep.store = "none"
	return nil
}

// countingHandler passes log records on and counts errors, so that the
// report says whether the monitor logged any (a failed Record, say).
type countingHandler struct {
	slog.Handler
	errors *atomic.Int64
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.errors.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return countingHandler{Handler: h.Handler.WithAttrs(as), errors: h.errors}
}

func (h countingHandler) WithGroup(name string) slog.Handler {
	return countingHandler{Handler: h.Handler.WithGroup(name), errors: h.errors}
}

func clone(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func setAdd(m map[string]int, k string, v int) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	if v != 0 {
		m[k] += v
	}
	return m
}
