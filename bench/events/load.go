package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sextant-ops/sextant/internal/incident"
)

// recentKeys is how far back a repeat, acknowledge or resolve reaches: the
// last keys triggered, most of them still open.
const recentKeys = 10000

// loadResult is what the load generator saw.
type loadResult struct {
	from, to time.Time
	// Over the window: latencies of requests answered 202 that completed
	// in it (sorted), and their count per action.
	latencies []time.Duration
	window    map[string]int
	// Over the whole run, warm-up included: answers by status (0 for a
	// transport error) and 202s per action, for the check against the
	// stored rows.
	byStatus    map[int]int
	accepted    map[string]int
	newKeys     int64
	bodyBytes   int64
	sentBodies  int64
	errSamples  []string
	serverCPU0  time.Duration
	serverCPU1  time.Duration
	harnessCPU0 time.Duration
	harnessCPU1 time.Duration
	// machine0 and machine1 are the whole machine's busy CPU time; what
	// the server and the harness did not use went to other processes.
	machine0, machine1 time.Duration
	// steal0 and steal1 are the time the hypervisor gave this machine's
	// CPUs to someone else.
	steal0, steal1 time.Duration
	// mallocs0 and mallocs1 are the server's heap allocations so far, when
	// it tells them (mallocsOK).
	mallocs0, mallocs1 float64
	mallocsOK          bool
}

// keys hands out dedup keys: new ones in order, earlier ones at random
// from the most recent.
type keys struct{ next atomic.Int64 }

func (k *keys) fresh() string { return fmt.Sprintf("bench-%08d", k.next.Add(1)) }

func (k *keys) earlier(r *rand.Rand) (string, bool) {
	n := k.next.Load()
	if n == 0 {
		return "", false
	}
	lo := max(1, n-recentKeys+1)
	return fmt.Sprintf("bench-%08d", lo+r.Int64N(n-lo+1)), true
}

// worker is one load worker's own tally; merged at the end, so the hot
// path takes no lock.
type worker struct {
	latencies  []time.Duration
	window     map[string]int
	byStatus   map[int]int
	accepted   map[string]int
	bodyBytes  int64
	sent       int64
	errSamples []string
}

var severities = []string{"critical", "error", "warning", "info"}

// generate runs the load: cfg.concurrency workers, each with its own
// keep-alive connection, POST events to /v2/enqueue for the warm-up and
// the measured window, then stop; requests in flight at the end are
// waited for.
func generate(ctx context.Context, cfg config, srv *server) (*loadResult, error) {
	url := "http://" + srv.addr + "/v2/enqueue"
	var ks keys
	start := time.Now()
	from := start.Add(cfg.warmup)
	to := from.Add(cfg.duration)
	workers := make([]*worker, cfg.concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{window: map[string]int{}, byStatus: map[int]int{}, accepted: map[string]int{}}
		workers[i] = w
		wg.Go(func() { w.run(ctx, cfg, srv.key, url, &ks, uint64(i), from, to) })
	}
	res := &loadResult{window: map[string]int{}, byStatus: map[int]int{}, accepted: map[string]int{}}
	// The window's CPU figures are taken at its edges while the load runs.
	if err := sleepUntil(ctx, from); err != nil {
		wg.Wait()
		return nil, err
	}
	if cfg.cpuprofile != "" {
		srv.signal(syscall.SIGUSR1)
	}
	res.from, res.serverCPU0, res.harnessCPU0, res.machine0 = time.Now(), procCPU(srv.pid), selfCPU(), machineBusy()
	res.steal0 = machineSteal()
	m0, ok0 := srv.mallocs()
	err := sleepUntil(ctx, to)
	res.to, res.serverCPU1, res.harnessCPU1, res.machine1 = time.Now(), procCPU(srv.pid), selfCPU(), machineBusy()
	res.steal1 = machineSteal()
	m1, ok1 := srv.mallocs()
	res.mallocs0, res.mallocs1, res.mallocsOK = m0, m1, ok0 && ok1
	if cfg.cpuprofile != "" {
		srv.signal(syscall.SIGUSR2)
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	for _, w := range workers {
		res.latencies = append(res.latencies, w.latencies...)
		for k, v := range w.window {
			res.window[k] += v
		}
		for k, v := range w.byStatus {
			res.byStatus[k] += v
		}
		for k, v := range w.accepted {
			res.accepted[k] += v
		}
		res.bodyBytes += w.bodyBytes
		res.sentBodies += w.sent
		if len(res.errSamples) < 5 {
			res.errSamples = append(res.errSamples, w.errSamples...)
		}
	}
	res.newKeys = ks.next.Load()
	slices.Sort(res.latencies)
	return res, nil
}

func (w *worker) run(ctx context.Context, cfg config, key, url string, ks *keys, seed uint64, from, to time.Time) {
	// One connection per worker, kept alive, only to 127.0.0.1.
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()
	r := rand.New(rand.NewPCG(seed, uint64(from.UnixNano())))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for ctx.Err() == nil && time.Now().Before(to) {
		ev := w.event(cfg, key, ks, r)
		buf.Reset()
		if err := enc.Encode(ev); err != nil {
			panic(err) // a fixed, valid structure
		}
		n := int64(buf.Len())
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(buf.Bytes()))
		if err != nil {
			panic(err)
		}
		req.Header.Set("Content-Type", "application/json")
		t := time.Now()
		resp, err := client.Do(req)
		status := 0
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		} else if ctx.Err() == nil {
			w.sample(err.Error())
		}
		done := time.Now()
		w.byStatus[status]++
		w.sent++
		w.bodyBytes += n
		if status != http.StatusAccepted {
			if status != 0 {
				w.sample(fmt.Sprintf("HTTP %d for %s", status, ev.EventAction))
			}
			continue
		}
		w.accepted[ev.EventAction]++
		if !done.Before(from) && done.Before(to) {
			w.latencies = append(w.latencies, done.Sub(t))
			w.window[ev.EventAction]++
		}
	}
}

func (w *worker) sample(s string) {
	if len(w.errSamples) < 3 {
		w.errSamples = append(w.errSamples, s)
	}
}

// event makes the next event: an acknowledge or resolve of a recent key
// (cfg.ackResolve, half each), else a trigger that repeats a recent key
// with probability cfg.repeat or opens a new one. Triggers look like a
// monitoring tool's: severity, source, component, group, class and a few
// custom details.
func (w *worker) event(cfg config, key string, ks *keys, r *rand.Rand) *incident.PDEvent {
	x := r.Float64()
	if x < cfg.ackResolve {
		if k, ok := ks.earlier(r); ok {
			action := incident.ActionAcknowledge
			if x < cfg.ackResolve/2 {
				action = incident.ActionResolve
			}
			return &incident.PDEvent{RoutingKey: key, EventAction: action, DedupKey: k}
		}
	}
	k := ""
	if r.Float64() < cfg.repeat {
		k, _ = ks.earlier(r)
	}
	if k == "" {
		k = ks.fresh()
	}
	host := r.IntN(500)
	details, _ := json.Marshal(map[string]any{"free_bytes": r.IntN(1 << 30), "mount": "/var", "threshold": "90%"})
	return &incident.PDEvent{
		RoutingKey:  key,
		EventAction: incident.ActionTrigger,
		DedupKey:    k,
		Client:      "bench/events",
		Payload: &incident.PDPayload{
			Summary:       fmt.Sprintf("Disk /var above 90%% on host-%03d", host),
			Source:        fmt.Sprintf("host-%03d.example.internal", host),
			Severity:      severities[r.IntN(len(severities))],
			Timestamp:     time.Now().UTC().Format(time.RFC3339),
			Component:     "disk",
			Group:         "storage",
			Class:         "capacity",
			CustomDetails: details,
		},
	}
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

// machineSteal is the steal time of all CPUs from /proc/stat.
func machineSteal() time.Duration { return procStat(func(i int) bool { return i == 7 }) }

// machineBusy is the busy CPU time of all CPUs from /proc/stat: every
// state but idle and iowait, in 10 ms ticks.
func machineBusy() time.Duration {
	// idle, iowait and steal are not busy; guest time is already in user.
	return procStat(func(i int) bool { return i != 3 && i != 4 && i < 7 })
}

// procStat sums the fields of /proc/stat's "cpu" line that take, by
// index after the label, in 10 ms ticks.
func procStat(take func(i int) bool) time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		if !take(i) {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * 10 * time.Millisecond
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
