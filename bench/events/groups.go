package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
)

// The goal of the Alertmanager group path (issue 10): a 5,000-alert group
// answered within 10 s, a PagerDuty event sent meanwhile answered within
// 2 s, and the data directory under 150 MB afterwards.
const (
	goalGroupAnswer = 10 * time.Second
	goalTrickleMax  = 2 * time.Second
	goalDataDir     = 150 << 20
)

// groupRun is one webhook of the group benchmark.
type groupRun struct {
	size      int
	bodyBytes int
	status    int
	answer    time.Duration
	cpu       time.Duration // server CPU while it was in flight
	from, to  time.Time
}

// sample is one PagerDuty event of the trickle that runs beside the groups.
type sample struct {
	sent, done time.Time
	status     int
}

// trickle sends PagerDuty events one after another at a steady pace on
// its own connection, so that what a storm does to other senders shows in
// their latency.
type trickle struct {
	mu      sync.Mutex
	samples []sample
}

func (tr *trickle) run(ctx context.Context, srv *server, perSecond int) {
	client := localClient()
	defer client.CloseIdleConnections()
	url := "http://" + srv.addr + "/v2/enqueue"
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		body := fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":"trickle-%d","payload":{"summary":"Disk /var above 90%% on host-%03d","source":"host-%03d","severity":"warning"}}`,
			srv.key, n%1000, n%500, n%500)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		s := sample{sent: time.Now()}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			s.status = resp.StatusCode
		} else if ctx.Err() != nil {
			return
		}
		s.done = time.Now()
		tr.mu.Lock()
		tr.samples = append(tr.samples, s)
		tr.mu.Unlock()
	}
}

// between returns the latencies of the events in flight at some time in
// [from, to), sorted, and how many were not answered 202.
func (tr *trickle) between(from, to time.Time) ([]time.Duration, int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []time.Duration
	bad := 0
	for _, s := range tr.samples {
		if s.done.Before(from) || !s.sent.Before(to) {
			continue
		}
		if s.status != http.StatusAccepted {
			bad++
			continue
		}
		out = append(out, s.done.Sub(s.sent))
	}
	slices.Sort(out)
	return out, bad
}

func localClient() *http.Client {
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			DisableCompression:  true,
		},
	}
}

// groupBody is an Alertmanager webhook of n firing alerts, each with its
// own fingerprint and about a kilobyte of labels and annotations, in the
// field order Alertmanager writes.
func groupBody(groupKey string, n int) []byte {
	alerts := make([]map[string]any, n)
	for i := range alerts {
		alerts[i] = map[string]any{"status": "firing",
			"labels": map[string]string{"alertname": "NodeDown", "instance": fmt.Sprintf("node%05d.example.internal:9100", i), "job": "node",
				"severity": []string{"critical", "warning"}[i%2], "zone": fmt.Sprintf("zone-%d", i%7)},
			"annotations": map[string]string{"summary": fmt.Sprintf("node%05d is down", i), "description": strings.Repeat("The node exporter does not answer. ", 24)},
			"startsAt":    "2026-11-21T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph?g0.expr=up%3D%3D0",
			"fingerprint": fmt.Sprintf("%016x", i+1)}
	}
	b, _ := json.Marshal(map[string]any{"receiver": "sextant", "status": "firing", "alerts": alerts,
		"groupLabels": map[string]string{"alertname": "NodeDown"}, "commonLabels": map[string]string{"alertname": "NodeDown", "job": "node"},
		"commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager:9093", "version": "4", "groupKey": groupKey, "truncatedAlerts": 0})
	return b
}

// runGroups is the -groups benchmark: a baseline of the PagerDuty trickle
// alone, then each group size in turn, -group-rounds times, with the
// trickle running beside it; then the stored rows and the data directory.
func runGroups(ctx context.Context, cfg config, srv *server, dsn string) (int, error) {
	sizes, err := parseSizes(cfg.groupSizes)
	if err != nil {
		return 0, err
	}
	type planned struct {
		size int
		body []byte
	}
	// Bodies are made before anything is measured, so the harness's own
	// work does not fall in the figures.
	var plan []planned
	alerts := 0
	for _, n := range sizes {
		for r := range cfg.groupRounds {
			plan = append(plan, planned{n, groupBody(fmt.Sprintf(`{}:{alertname="NodeDown",size="%d",round="%d"}`, n, r), n)})
			alerts += n
		}
	}
	tctx, stopTrickle := context.WithCancel(ctx)
	tr := &trickle{}
	var wg sync.WaitGroup
	wg.Go(func() { tr.run(tctx, srv, cfg.trickle) })
	started := time.Now()
	baseFrom := started.Add(time.Second)
	if err := sleepUntil(ctx, baseFrom.Add(cfg.baseline)); err != nil {
		stopTrickle()
		wg.Wait()
		return 0, err
	}
	client := localClient()
	url := "http://" + srv.addr + "/api/v1/integrations/alertmanager/" + amIntegration
	var runs []groupRun
	for _, p := range plan {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(p.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+srv.key+"-am")
		run := groupRun{size: p.size, bodyBytes: len(p.body)}
		cpu0 := procCPU(srv.pid)
		run.from = time.Now()
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			run.status = resp.StatusCode
		}
		run.to = time.Now()
		run.answer, run.cpu = run.to.Sub(run.from), procCPU(srv.pid)-cpu0
		runs = append(runs, run)
		// A pause between webhooks, so each one's trickle samples are
		// its own.
		if err := sleepUntil(ctx, time.Now().Add(500*time.Millisecond)); err != nil {
			break
		}
	}
	stopTrickle()
	wg.Wait()
	peak := procHWM(srv.pid)
	stopErr := srv.stop()
	st, err := countGroupRows(ctx, dsn, srv.dataDir)
	if err != nil {
		return 0, fmt.Errorf("count stored rows: %w", err)
	}
	base, baseBad := tr.between(baseFrom, baseFrom.Add(cfg.baseline))
	missed := printGroups(os.Stdout, cfg, srv, base, baseBad, tr, runs, alerts, st, peak, stopErr)
	if len(missed) > 0 && cfg.db == "sqlite" {
		return 1, nil
	}
	return 0, nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 100000 {
			return nil, fmt.Errorf("-group-sizes: %q is not a number of alerts between 1 and 100,000", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// groupRows is what the groups left in the database.
type groupRows struct {
	incidents, alerts, events, logRows int64
	alertBytes                         int64 // SUM(LENGTH(alert)) over incident_alerts
	dirBytes                           int64 // SQLite: the whole data directory
}

func countGroupRows(ctx context.Context, dsn, dataDir string) (*groupRows, error) {
	db, err := store.Open(ctx, dsn, dataDir, nil)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	q := db.Reader()
	st := &groupRows{}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE integration = $1`, amIntegration).Scan(&st.incidents); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(LENGTH(alert)), 0) FROM incident_alerts`).Scan(&st.alerts, &st.alertBytes); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE integration = $1`, amIntegration).Scan(&st.events); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_log`).Scan(&st.logRows); err != nil {
		return nil, err
	}
	if dsn == "" {
		_ = filepath.Walk(dataDir, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				st.dirBytes += fi.Size()
			}
			return nil
		})
	}
	return st, nil
}

func printGroups(out io.Writer, c config, srv *server, base []time.Duration, baseBad int, tr *trickle, runs []groupRun, alerts int, st *groupRows, peak int64, stopErr error) (missed []string) {
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	p("Sextant Alertmanager group benchmark, %s", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	p("machine          %d CPUs, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	p("server           %s; pid %d, http://%s", srv.how, srv.pid, srv.addr)
	if c.db == "sqlite" {
		p("store            SQLite in a temporary data directory (WAL, synchronous=FULL)")
	} else {
		p("store            PostgreSQL %s, fresh schema (dropped afterwards)", redacted(c.db))
	}
	p("load             one webhook at a time to /api/v1/integrations/alertmanager/%s (each a new group of firing alerts, ~1 KB each),", amIntegration)
	p("                 %d rounds per size, 0.5 s apart; beside them PagerDuty events at %d/s on their own connection to /v2/enqueue", c.groupRounds, c.trickle)
	p("")
	p("baseline         PagerDuty events alone for %s: %d answered 202 (%d not), p50 %s, p99 %s, max %s",
		c.baseline, len(base), baseBad, ms(pct(base, 50)), ms(pct(base, 99)), ms(pct(base, 100)))
	p("")
	p("%-7s %-10s %-9s %-22s %-28s %s", "alerts", "body", "answers", "answer median / max", "server CPU per 1,000 alerts", "PagerDuty events meanwhile: n, p99 (× baseline), max")
	sizes := []int{}
	by := map[int][]groupRun{}
	for _, r := range runs {
		if _, ok := by[r.size]; !ok {
			sizes = append(sizes, r.size)
		}
		by[r.size] = append(by[r.size], r)
	}
	bp99 := pct(base, 99)
	for _, n := range sizes {
		rs := by[n]
		var answers []time.Duration
		var cpu time.Duration
		codes := map[int]int{}
		var during []time.Duration
		bad := 0
		for _, r := range rs {
			answers = append(answers, r.answer)
			cpu += r.cpu
			codes[r.status]++
			d, b := tr.between(r.from, r.to)
			during, bad = append(during, d...), bad+b
		}
		slices.Sort(answers)
		slices.Sort(during)
		ratio := "n/a"
		if bp99 > 0 && len(during) > 0 {
			ratio = fmt.Sprintf("%.1f", float64(pct(during, 99))/float64(bp99))
		}
		p("%-7d %-10s %-9s %-22s %-28s %d, %s (× %s), %s%s", n, size(float64(rs[0].bodyBytes)), statuses(codes),
			ms(pct(answers, 50))+" / "+ms(pct(answers, 100)), ms(cpu*1000/time.Duration(n*len(rs))),
			len(during), ms(pct(during, 99)), ratio, ms(pct(during, 100)), notAccepted(bad))
		if n >= 5000 {
			if pct(answers, 100) >= goalGroupAnswer {
				missed = append(missed, fmt.Sprintf("a %d-alert group took %s", n, ms(pct(answers, 100))))
			}
			if pct(during, 100) >= goalTrickleMax || bad > 0 {
				missed = append(missed, fmt.Sprintf("a PagerDuty event during a %d-alert group took %s", n, ms(pct(during, 100))))
			}
		}
		if codes[http.StatusAccepted] != len(rs) {
			missed = append(missed, fmt.Sprintf("%d-alert groups answered %s", n, statuses(codes)))
		}
	}
	p("")
	p("peak RSS         %s (server VmHWM, whole life)", size(float64(peak)))
	if stopErr != nil {
		p("server stop      %v", stopErr)
	}
	verdict := "one per group"
	if st.incidents != int64(len(runs)) {
		verdict = fmt.Sprintf("MISMATCH: %d groups sent", len(runs))
		missed = append(missed, "not one incident per group")
	}
	p("incidents        %d from the groups: %s", st.incidents, verdict)
	verdict = "every alert stored once"
	if st.alerts != int64(alerts) {
		verdict = fmt.Sprintf("MISMATCH: %d alerts sent", alerts)
		missed = append(missed, "stored alerts do not match the alerts sent")
	}
	p("alerts           %d rows in incident_alerts: %s; %d bytes of JSON per alert", st.alerts, verdict, st.alertBytes/max(st.alerts, 1))
	p("other rows       events (one per transaction of a group) %d, incident_log %d", st.events, st.logRows)
	if c.db == "sqlite" {
		p("data directory   %s at shutdown", size(float64(st.dirBytes)))
		if st.dirBytes >= goalDataDir {
			missed = append(missed, "the data directory is over 150 MB")
		}
	}
	p("")
	scope := ""
	if c.db != "sqlite" {
		scope = " (the goal is set for SQLite; reported for comparison)"
	}
	if len(missed) == 0 {
		p("goal             MET%s: 5,000-alert groups answered within %s, PagerDuty events meanwhile within %s, data directory under 150 MB", scope, goalGroupAnswer, goalTrickleMax)
	} else {
		p("goal             MISSED%s: %s", scope, strings.Join(missed, "; "))
	}
	return missed
}

func notAccepted(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d not answered 202)", n)
}
