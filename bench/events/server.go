package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
)

// The benchmark's catalog: one service, one events integration and one
// Alertmanager integration (for -groups). The keys come from the
// environment, as docs/CONFIG.md recommends; there are no channels and no
// escalation policy, so nothing is sent anywhere.
const (
	serviceName     = "bench"
	integrationName = "bench-events"
	amIntegration   = "bench-am"
	benchConfig     = `services:
  - name: ` + serviceName + `
    title: Benchmark service
    owner: bench
    tier: 3
integrations:
  - name: ` + integrationName + `
    kind: events
    key: ${BENCH_KEY}
    service: ` + serviceName + `
  - name: ` + amIntegration + `
    kind: alertmanager
    key: ${BENCH_KEY}-am
    service: ` + serviceName + `
`
)

// server is the running Sextant server, seen from the harness.
type server struct {
	cmd     *exec.Cmd
	pid     int
	addr    string
	key     string
	dataDir string
	logPath string
	token   string // a viewer token for /metrics; empty when there is none
	how     string // what runs, for the report
	waited  chan error
}

// startServer builds the server (or, with -inprocess, re-executes this
// binary), writes the config, starts it on 127.0.0.1 with a free port and
// waits until /readyz answers.
func startServer(ctx context.Context, cfg config, tmp, dsn string) (*server, error) {
	s := &server{dataDir: filepath.Join(tmp, "data"), logPath: filepath.Join(tmp, "server.log")}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	s.key = hex.EncodeToString(b)
	cfgPath := filepath.Join(tmp, "bench.yaml")
	if err := os.WriteFile(cfgPath, []byte(benchConfig), 0o600); err != nil {
		return nil, err
	}
	args := []string{"serve", "--config", cfgPath, "--data", s.dataDir, "--database=" + dsn, "--listen", "127.0.0.1:0", "--log-level", "warn"}
	var exe string
	if cfg.inprocess {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		exe = self
		args = append([]string{"-child", "-cpuprofile", cfg.cpuprofile, "-trace", cfg.trace}, args[1:]...)
		s.how = "this binary re-executed with -child: app.New and app.Run in their own process"
	} else {
		exe = filepath.Join(tmp, "sextant")
		root, err := moduleRoot()
		if err != nil {
			return nil, err
		}
		build := exec.CommandContext(ctx, "go", "build", "-o", exe, "./cmd/sextant")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/sextant: %w\n%s", err, out)
		}
		s.how = "sextant serve, built with go build ./cmd/sextant"
	}
	s.cmd = exec.Command(exe, args...)
	s.cmd.Env = append(os.Environ(), "BENCH_KEY="+s.key, "SEXTANT_DATABASE=", "SEXTANT_CONFIG=")
	if cfg.loops > 0 {
		s.cmd.Args = append(s.cmd.Args, "--ingest-loops", strconv.Itoa(cfg.loops))
	}
	if !cfg.inprocess {
		// A viewer token lets the harness read the server's /metrics (its
		// allocation counter); the built binary makes one as an operator would.
		tok := exec.CommandContext(ctx, exe, "token", "create", "--data", s.dataDir, "--database="+dsn, "--name", "bench", "--role", "viewer")
		tok.Env = s.cmd.Env
		out, err := tok.Output()
		if err != nil {
			return nil, fmt.Errorf("sextant token create: %w", err)
		}
		s.token = strings.TrimSpace(string(out))
	}
	if err := s.launch(ctx, "Sextant is running at http://"); err != nil {
		return nil, err
	}
	return s, nil
}

// launch starts s.cmd with its stderr in s.logPath, reads the address it
// prints after prefix on stdout and waits until /readyz answers.
func (s *server) launch(ctx context.Context, prefix string) error {
	logf, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	s.cmd.Stderr = logf
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return err
	}
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start server: %w", err)
	}
	s.pid = s.cmd.Process.Pid
	s.waited = make(chan error, 1)
	addrc := make(chan string, 1)
	go func() {
		// The server prints where it listens; the rest of its stdout (the
		// first admin's password) is read and dropped so it never blocks.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
				addrc <- strings.TrimSuffix(rest, "/")
			}
		}
		s.waited <- s.cmd.Wait()
		logf.Close()
	}()
	select {
	case s.addr = <-addrc:
	case err := <-s.waited:
		return fmt.Errorf("server exited before listening (%v); its log:\n%s", err, tail(s.logPath, 20))
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		return errors.New("server did not report its address within 60s")
	case <-ctx.Done():
		_ = s.cmd.Process.Kill()
		return ctx.Err()
	}
	if err := s.waitReady(ctx); err != nil {
		_ = s.stop()
		return err
	}
	return nil
}

// mallocs reads the server's count of heap allocations so far from its
// /metrics (go_memstats_mallocs_total); ok is false without a token (the
// -inprocess child) or when it cannot be read.
func (s *server) mallocs() (n float64, ok bool) {
	if s.token == "" {
		return 0, false
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if rest, found := strings.CutPrefix(line, "go_memstats_mallocs_total "); found {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run the harness inside the sextant module (go run ./bench/events)")
	}
	return filepath.Dir(gomod), nil
}

func (s *server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.addr+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready within 30s (last: %v)", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// signal sends sig to the server; used to start and stop its profile.
func (s *server) signal(sig os.Signal) { _ = s.cmd.Process.Signal(sig) }

// stop asks the server to shut down as an operator would (SIGTERM) and
// waits for it; it is killed after 30 s.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.waited:
		return err
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.waited
		return errors.New("server did not stop within 30s after SIGTERM; killed")
	}
}

// logSummary counts the warnings and errors the server logged, with the
// last few lines, so the report says whether anything went wrong inside.
func (s *server) logSummary() logLines {
	var l logLines
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return l
	}
	for line := range bytes.Lines(b) {
		switch {
		case bytes.Contains(line, []byte("level=ERROR")):
			l.errors++
		case bytes.Contains(line, []byte("level=WARN")):
			l.warnings++
		default:
			continue
		}
		l.last = append(l.last, strings.TrimSpace(string(line)))
		if len(l.last) > 5 {
			l.last = l.last[1:]
		}
	}
	return l
}

type logLines struct {
	errors, warnings int
	last             []string
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// procCPU reads user+system time of a process from /proc/PID/stat
// (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// procHWM is a process's peak resident set (VmHWM), in bytes.
func procHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// serveChild is the -inprocess server: the same app.New and Run as
// `sextant serve`, with the same flags, in a process of its own. SIGUSR1
// starts the CPU profile, SIGUSR2 stops it; SIGTERM shuts down.
func serveChild(args []string) error {
	fs := flag.NewFlagSet("events -child", flag.ContinueOnError)
	cpuprofile := fs.String("cpuprofile", "", "CPU profile file")
	traceFile := fs.String("trace", "", "execution trace file (the first 3 s of the profiled window)")
	cfgPath := fs.String("config", "", "config file")
	data := fs.String("data", "", "data directory")
	database := fs.String("database", "", "PostgreSQL URL")
	listen := fs.String("listen", "127.0.0.1:0", "listen address")
	level := fs.String("log-level", "warn", "log level")
	loops := fs.Int("ingest-loops", 0, "event commit loops on PostgreSQL (0: the server's default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, app.Options{Listen: *listen, DataDir: *data, Database: *database, ConfigPath: *cfgPath,
		CheckConcurrency: 1000, IngestLoops: *loops, Version: "bench", Log: log, Out: os.Stdout})
	if err != nil {
		return err
	}
	defer a.Close()
	prof := make(chan os.Signal, 2)
	signal.Notify(prof, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(prof)
	var f *os.File
	go func() {
		for sig := range prof {
			switch {
			case sig == syscall.SIGUSR1 && f == nil && *cpuprofile != "":
				if f, err = os.Create(*cpuprofile); err == nil {
					err = pprof.StartCPUProfile(f)
				}
				if err != nil {
					log.Error("cpu profile", "err", err)
				}
				if *traceFile != "" {
					go writeTrace(*traceFile, 3*time.Second, log)
				}
			case sig == syscall.SIGUSR2 && f != nil:
				pprof.StopCPUProfile()
				if err := f.Close(); err != nil {
					log.Error("cpu profile", "err", err)
				}
			}
		}
	}()
	return a.Run(ctx)
}

// writeTrace records an execution trace for d: it shows where the ingest
// commit loop waits (runnable, in a system call, blocked on a channel),
// which a CPU profile cannot.
func writeTrace(path string, d time.Duration, log *slog.Logger) {
	f, err := os.Create(path)
	if err == nil {
		err = trace.Start(f)
	}
	if err != nil {
		log.Error("trace", "err", err)
		return
	}
	time.Sleep(d)
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Error("trace", "err", err)
	}
}
