// Command events measures Sextant's durable event ingest against its goal:
// PagerDuty Events v2 events POSTed to /v2/enqueue from 127.0.0.1, each
// answered 202 only after its transaction committed, at 5,000 events/s or
// more on SQLite with a p99 latency under 50 ms, on a 2-core machine.
//
//	go run ./bench/events [-db sqlite|postgres://…] [-duration 30s] [-concurrency 64] [-repeat 0.5]
//
// The server is the real one, in a separate process: `sextant serve`
// built from ./cmd/sextant, with a config declaring one service and one
// events integration. With -inprocess the server is instead this binary
// re-executed with -child, which runs app.New and Run in its own process
// and can write a CPU profile of the measured window (-cpuprofile). The
// load generator runs in this process. See README.md for what each figure
// means.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is the run as the flags ask for it.
type config struct {
	db          string // "sqlite" or a postgres:// URL
	warmup      time.Duration
	duration    time.Duration
	concurrency int
	repeat      float64
	ackResolve  float64
	inprocess   bool
	cpuprofile  string
	trace       string
	keep        bool
	// mode is the load: mixed (repeats, acknowledges and resolves beside
	// new keys), storm (every event a new key) or groups.
	mode string
	// bare runs the bare-202 baseline first, with the same workers and
	// window, and reports Sextant's figures as ratios to it.
	bare bool
	// loops is the server's --ingest-loops (0: its default).
	loops int
	// -groups: the Alertmanager group benchmark instead of the event load.
	groups      bool
	groupSizes  string
	groupRounds int
	trickle     int
	baseline    time.Duration
	// replicas, when set, compares SQLite with 1 to replicas servers on
	// one PostgreSQL schema (replicas.go).
	replicas int
}

// The goals; they apply to SQLite. The mixed load keeps its absolute goal
// (measured on the development machine); a storm is judged against the
// bare-202 server measured in the same run, so that the verdict does not
// depend on how fast or how busy the machine is.
const (
	goalRate  = 5000.0
	goalP99   = 50 * time.Millisecond
	goalRatio = 0.40
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-bare" {
		if err := serveBare(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "events -bare:", err)
			os.Exit(2)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "-child" {
		if err := serveChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "events -child:", err)
			os.Exit(2)
		}
		return
	}
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "events:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func run() (int, error) {
	var cfg config
	flagSet(&cfg)
	if cfg.groups {
		cfg.mode = "groups"
	}
	cfg.groups = cfg.mode == "groups"
	if cfg.mode == "storm" {
		// Every event a new key, as when many hosts fail at once.
		cfg.repeat, cfg.ackResolve = 0, 0
	}
	switch {
	case cfg.db != "sqlite" && !strings.HasPrefix(cfg.db, "postgres://") && !strings.HasPrefix(cfg.db, "postgresql://"):
		return 0, fmt.Errorf("-db %q: use sqlite or a postgres:// URL", cfg.db)
	case cfg.concurrency < 1 || cfg.concurrency > 4096:
		return 0, errors.New("-concurrency must be between 1 and 4096")
	case cfg.repeat < 0 || cfg.repeat > 1:
		return 0, errors.New("-repeat must be between 0 and 1")
	case cfg.ackResolve < 0 || cfg.ackResolve > 0.5:
		return 0, errors.New("-ack-resolve must be between 0 and 0.5")
	case cfg.duration < time.Second || cfg.duration > time.Hour:
		return 0, errors.New("-duration must be between 1s and 1h")
	case cfg.groups && (cfg.groupRounds < 1 || cfg.groupRounds > 100):
		return 0, errors.New("-group-rounds must be between 1 and 100")
	case cfg.groups && (cfg.trickle < 1 || cfg.trickle > 1000):
		return 0, errors.New("-trickle must be between 1 and 1000 events/s")
	case cfg.mode != "mixed" && cfg.mode != "storm" && cfg.mode != "groups":
		return 0, fmt.Errorf("-mode %q: use mixed, storm or groups", cfg.mode)
	case cfg.loops < 0 || cfg.loops > 8:
		return 0, errors.New("-loops must be between 1 and 8 (0: the server's default)")
	case cfg.trace != "" && cfg.cpuprofile == "":
		return 0, errors.New("-trace needs -inprocess and -cpuprofile")
	case cfg.cpuprofile != "" && !cfg.inprocess:
		return 0, errors.New("-cpuprofile needs -inprocess (the built sextant binary has no profiling hook)")
	}

	// Interrupting the harness still stops the server and removes the
	// temporary directory and schema.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	tmp, err := os.MkdirTemp("", "sextant-bench-events-")
	if err != nil {
		return 0, err
	}
	if cfg.keep {
		fmt.Fprintln(os.Stderr, "events: keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if cfg.replicas > 0 {
		return runReplicas(ctx, cfg, tmp)
	}
	rep := &report{cfg: cfg, started: time.Now()}
	dsn := ""
	if cfg.db != "sqlite" {
		schema, url, drop, err := freshSchema(ctx, cfg.db)
		if err != nil {
			return 0, err
		}
		defer func() {
			if err := drop(); err != nil {
				fmt.Fprintln(os.Stderr, "events: drop schema:", err)
			}
		}()
		dsn, rep.schema = url, schema
	}
	if cfg.bare && !cfg.groups {
		// The baseline runs first, alone on the machine's share the
		// harness gets, with the same workers and window as Sextant's run.
		b, err := startBare(ctx, tmp)
		if err != nil {
			return 0, fmt.Errorf("bare server: %w", err)
		}
		bcfg := cfg
		bcfg.cpuprofile = ""
		lr, err := generate(ctx, bcfg, b)
		if stopErr := b.stop(); stopErr != nil && err == nil {
			err = fmt.Errorf("bare server: %w", stopErr)
		}
		if err != nil {
			return 0, err
		}
		rep.bare = lr
	}
	srv, err := startServer(ctx, cfg, tmp, dsn)
	if err != nil {
		return 0, err
	}
	if cfg.groups {
		return runGroups(ctx, cfg, srv, dsn)
	}
	rep.server = srv
	lr, err := generate(ctx, cfg, srv)
	rep.load = lr
	rep.peakRSS = procHWM(srv.pid)
	stopErr := srv.stop()
	if err != nil {
		return 0, err
	}
	if stopErr != nil {
		fmt.Fprintln(os.Stderr, "events: server:", stopErr)
		rep.stopErr = stopErr
	}
	if rep.stored, err = countRows(ctx, dsn, srv.dataDir); err != nil {
		return 0, fmt.Errorf("count stored rows: %w", err)
	}
	rep.logLines = srv.logSummary()
	if missed := rep.print(os.Stdout); len(missed) > 0 && cfg.db == "sqlite" {
		return 1, nil
	}
	return 0, nil
}

func flagSet(cfg *config) {
	flag.StringVar(&cfg.db, "db", "sqlite", "sqlite (a temporary data directory), or a postgres:// URL (a fresh schema is made in it and dropped afterwards)")
	flag.DurationVar(&cfg.warmup, "warmup", 5*time.Second, "load before measuring")
	flag.DurationVar(&cfg.duration, "duration", 30*time.Second, "measured time after the warm-up")
	flag.IntVar(&cfg.concurrency, "concurrency", 64, "load workers, each with its own keep-alive connection")
	flag.Float64Var(&cfg.repeat, "repeat", 0.5, "probability that a trigger repeats an earlier dedup key")
	flag.Float64Var(&cfg.ackResolve, "ack-resolve", 0.1, "share of events that acknowledge or resolve an earlier key (half each)")
	flag.BoolVar(&cfg.inprocess, "inprocess", false, "run the server as this binary re-executed (app.New and Run in a child process) instead of the built sextant binary; allows -cpuprofile")
	flag.StringVar(&cfg.cpuprofile, "cpuprofile", "", "with -inprocess: write the server's CPU profile of the measured window to this file")
	flag.StringVar(&cfg.trace, "trace", "", "with -inprocess and -cpuprofile: write an execution trace of the server's first 3 s of the window to this file")
	flag.StringVar(&cfg.mode, "mode", "mixed", "the load: mixed (new keys, repeats, acknowledges and resolves), storm (every event a new key) or groups (as -groups)")
	flag.BoolVar(&cfg.bare, "bare", true, "first run the same load against a bare server answering 202 and storing nothing, and report Sextant's figures as ratios to it")
	flag.IntVar(&cfg.loops, "loops", 0, "the server's --ingest-loops: event commit loops on PostgreSQL (0: the server's default)")
	flag.BoolVar(&cfg.groups, "groups", false, "measure the Alertmanager group path instead: webhooks of -group-sizes alerts, with PagerDuty events beside them (the same as -mode groups)")
	flag.StringVar(&cfg.groupSizes, "group-sizes", "1,10,100,1000,5000", "with -groups: the group sizes, in alerts")
	flag.IntVar(&cfg.groupRounds, "group-rounds", 3, "with -groups: webhooks per size")
	flag.IntVar(&cfg.trickle, "trickle", 50, "with -groups: PagerDuty events per second sent beside the groups")
	flag.DurationVar(&cfg.baseline, "baseline", 5*time.Second, "with -groups: how long the PagerDuty events run alone first, as the baseline")
	flag.IntVar(&cfg.replicas, "replicas", 0, "with -db postgres://…: measure a storm against 1 server on SQLite, then 1, 2, … this many replicas sharing one PostgreSQL schema")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the temporary directory (binary, config, SQLite data, server log)")
	flag.Parse()
}
