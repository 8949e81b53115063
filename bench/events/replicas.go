package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// replicaRun is one measured window of the -replicas comparison.
type replicaRun struct {
	label    string
	servers  int
	accepted int64
	other    int64
	window   time.Duration
	lat      []time.Duration
}

func (r replicaRun) rate() float64 { return float64(r.accepted) / r.window.Seconds() }

// runReplicas measures a storm of new keys against one server on SQLite,
// then against 1, 2, … cfg.replicas servers sharing one PostgreSQL schema
// (a fresh schema each), the same number of workers spread over the
// servers; each server runs as this binary re-executed (app.New and Run in
// its own process), as a replica runs in production.
func runReplicas(ctx context.Context, cfg config, tmp string) (int, error) {
	if cfg.db == "sqlite" {
		return 0, errors.New("-replicas needs -db postgres://… (SQLite is measured beside it as the reference)")
	}
	if cfg.replicas < 1 || cfg.replicas > 8 {
		return 0, errors.New("-replicas must be between 1 and 8")
	}
	cfg.inprocess, cfg.cpuprofile, cfg.trace = true, "", ""
	var runs []replicaRun
	measure := func(label, dsn string, n int) error {
		var servers []*server
		defer func() {
			for _, s := range servers {
				if err := s.stop(); err != nil {
					fmt.Fprintln(os.Stderr, "events: server:", err)
				}
			}
		}()
		for i := range n {
			dir := filepath.Join(tmp, fmt.Sprintf("%s-%d-%d", label, n, i))
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			// One after another: the first migrates the fresh schema.
			s, err := startServer(ctx, cfg, dir, dsn)
			if err != nil {
				return fmt.Errorf("%s replica %d: %w", label, i+1, err)
			}
			servers = append(servers, s)
		}
		r, err := stormAll(ctx, cfg, servers)
		if err != nil {
			return err
		}
		r.label, r.servers = label, n
		runs = append(runs, r)
		fmt.Fprintf(os.Stderr, "events: %s with %d server(s): %.0f events/s\n", label, n, r.rate())
		return nil
	}
	if err := measure("sqlite", "", 1); err != nil {
		return 0, err
	}
	for n := 1; n <= cfg.replicas; n++ {
		_, dsn, drop, err := freshSchema(ctx, cfg.db)
		if err != nil {
			return 0, err
		}
		err = measure("postgres", dsn, n)
		if dropErr := drop(); dropErr != nil {
			fmt.Fprintln(os.Stderr, "events: drop schema:", dropErr)
		}
		if err != nil {
			return 0, err
		}
	}
	printReplicas(os.Stdout, cfg, runs)
	return 0, nil
}

// stormAll sends new-key triggers from cfg.concurrency workers, spread
// evenly over servers, for the warm-up and the window; each worker's keys
// are its own, so every event opens an incident.
func stormAll(ctx context.Context, cfg config, servers []*server) (replicaRun, error) {
	start := time.Now()
	from := start.Add(cfg.warmup)
	to := from.Add(cfg.duration)
	var accepted, other atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for w := range cfg.concurrency {
		srv := servers[w%len(servers)]
		wg.Go(func() {
			client := localClient()
			url := "http://" + srv.addr + "/v2/enqueue"
			var mine []time.Duration
			for n := 0; ctx.Err() == nil; n++ {
				t0 := time.Now()
				if !t0.Before(to) {
					break
				}
				body := fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":"storm-%d-%d","payload":{"summary":"storm %d","source":"bench","severity":"error"}}`,
					srv.key, w, n, n)
				resp, err := client.Post(url, "application/json", bytes.NewReader([]byte(body)))
				in := !t0.Before(from)
				if err != nil {
					if in {
						other.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if !in {
					continue
				}
				if resp.StatusCode == http.StatusAccepted {
					accepted.Add(1)
					mine = append(mine, time.Since(t0))
				} else {
					other.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return replicaRun{}, err
	}
	slices.Sort(lat)
	return replicaRun{accepted: accepted.Load(), other: other.Load(), window: to.Sub(from), lat: lat}, nil
}

func printReplicas(out io.Writer, cfg config, runs []replicaRun) {
	fmt.Fprintf(out, "events -replicas: new-key triggers to /v2/enqueue, %d workers spread over the servers, %s window after %s warm-up; PostgreSQL at %s\n\n",
		cfg.concurrency, cfg.duration, cfg.warmup, redacted(cfg.db))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "engine\tservers\tevents/s\tvs SQLite\tvs 1 on PostgreSQL\tp50\tp99\tnot 202")
	var sqlite, pg1 float64
	for _, r := range runs {
		if r.label == "sqlite" {
			sqlite = r.rate()
		} else if r.servers == 1 {
			pg1 = r.rate()
		}
		vsPG := "-"
		if r.label != "sqlite" && pg1 > 0 {
			vsPG = fmt.Sprintf("%.2f×", r.rate()/pg1)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f×\t%s\t%s\t%s\t%d\n", r.label, r.servers, r.rate(), r.rate()/sqlite, vsPG,
			ms(pct(r.lat, 0.50)), ms(pct(r.lat, 0.99)), r.other)
	}
	_ = tw.Flush()
	fmt.Fprintln(out, strings.Repeat("-", 20))
	fmt.Fprintln(out, "All servers share the machine with each other, PostgreSQL and the load generator.")
}
