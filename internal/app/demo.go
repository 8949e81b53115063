package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// seedDemo gives the demo catalog a little history on its first start, so a
// newcomer sees figures move: a web shop in breach of its objective (two
// outages longer than its 5-minute limit, and a degraded search behind it),
// payroll down for longer than its limit in office hours, and an open
// incident on the payment gateway. Nothing is seeded once any outage or
// incident exists, so the demo never rewrites what a person did.
func (a *App) seedDemo(ctx context.Context) error {
	var n int
	if err := a.db.Reader().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM outages) + (SELECT COUNT(*) FROM incidents)`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	now := a.opts.Now().UTC().Truncate(time.Minute)
	record := func(service string, start time.Time, d time.Duration, state, note string) error {
		s, e := start.UTC().Format(time.RFC3339), start.Add(d).UTC().Format(time.RFC3339)
		_, err := a.outages.Record(ctx, "demo", service, timeline.NewOutage{Start: &s, End: &e, State: &state, Note: note})
		return err
	}
	ber, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return err
	}
	// The latest weekday 10:00 in Berlin that is at least an hour ago.
	office := time.Date(now.In(ber).Year(), now.In(ber).Month(), now.In(ber).Day(), 10, 0, 0, 0, ber)
	for office.Add(time.Hour).After(now) || office.Weekday() == time.Saturday || office.Weekday() == time.Sunday {
		office = office.AddDate(0, 0, -1)
	}
	steps := []error{
		record("shop", now.Add(-30*time.Hour), 12*time.Minute, "down", "Checkout returned 502s after a deploy; rolled back"),
		record("shop", now.Add(-6*time.Hour), 7*time.Minute, "down", "Load balancer health checks flapped"),
		record("search", now.Add(-10*time.Hour), 3*time.Hour, "degraded", "Index rebuild: slow queries"),
		record("payroll", office, 45*time.Minute, "down", "Database connection pool exhausted during the payroll run"),
	}
	for _, err := range steps {
		if err != nil {
			return fmt.Errorf("demo history: %w", err)
		}
	}
	_, err = a.ingest.Submit(ctx, []incident.Event{{Integration: "demo", Action: incident.ActionTrigger, DedupKey: "demo-acquirer",
		Service: "payments", Summary: "Card authorisations failing for one acquirer", Source: "payments-gw-2", Severity: "error",
		Escalation: "default", Body: []byte(`{"demo":true}`)}})
	if err != nil {
		return fmt.Errorf("demo incident: %w", err)
	}
	a.log.Info("demo history recorded", "outages", len(steps), "incidents", 1)
	return nil
}

// demoRig is what `serve --demo` runs beside the server so that the demo
// moves by itself: an HTTP target on a loopback port that fails on a fixed
// cycle (its check then opens an incident, which resolves itself when the
// target recovers), and a webhook receiver the demo channel delivers to,
// so that each incident's notifications show as sent. It also holds the
// demo integration's routing key, made afresh at each start.
type demoRig struct {
	up, down, interval time.Duration
	start              time.Time
	key                string
	target, receiver   *http.Server
	targetURL, hookURL string
	received           atomic.Int64
}

// demoTiming turns Options.DemoCycle into the target's up and down times
// and the check's interval: by default 4 minutes up and 40 s down, probed
// every 10 s; a shorter cycle (for tests) keeps at least three probes in
// each down time.
func demoTiming(cycle time.Duration) (up, down, interval time.Duration) {
	up = cycle
	if up <= 0 {
		up = 4 * time.Minute
	}
	down = max(up/6, 3*time.Second)
	interval = min(max(down/4, time.Second), 10*time.Second)
	return up, down, interval.Truncate(time.Second)
}

// startDemoRig listens on two loopback ports the system picks and serves
// the target and the receiver until stop.
func startDemoRig(cycle time.Duration, log *slog.Logger) (*demoRig, error) {
	d := &demoRig{start: time.Now()}
	d.up, d.down, d.interval = demoTiming(cycle)
	var key [16]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, fmt.Errorf("demo: routing key: %w", err)
	}
	d.key = "demo-" + hex.EncodeToString(key[:])
	serve := func(h http.Handler) (*http.Server, string, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, "", fmt.Errorf("demo: listen on loopback: %w", err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go func() { _ = srv.Serve(ln) }()
		return srv, "http://" + ln.Addr().String() + "/", nil
	}
	var err error
	if d.target, d.targetURL, err = serve(http.HandlerFunc(d.serveTarget)); err != nil {
		return nil, err
	}
	if d.receiver, d.hookURL, err = serve(http.HandlerFunc(d.serveHook)); err != nil {
		d.target.Close()
		return nil, err
	}
	return d, nil
}

// serveTarget answers like a small web shop: quickly, with a latency that
// wanders with the time of day, except in the down part of each cycle.
func (d *demoRig) serveTarget(w http.ResponseWriter, r *http.Request) {
	since := time.Since(d.start)
	if since%(d.up+d.down) >= d.up {
		http.Error(w, "demo outage: the target fails for a while in every cycle", http.StatusServiceUnavailable)
		return
	}
	// 20–80 ms, smoothly up and down over a few minutes.
	phase := float64(since%(3*time.Minute)) / float64(3*time.Minute)
	time.Sleep(time.Duration(20+60*phase*(1-phase)*4) * time.Millisecond)
	_, _ = io.WriteString(w, "ok\n")
}

// serveHook takes the demo channel's deliveries; the outbox records each
// as sent on its incident.
func (d *demoRig) serveHook(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	d.received.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

// announce tells the person starting the demo what moves by itself and
// how to send an alert of their own.
func (d *demoRig) announce(out io.Writer, base string) {
	fmt.Fprintf(out, "Demo: the check shop-web probes %s every %s; the target fails for %s every %s, so an incident opens and resolves by itself.\n",
		d.targetURL, d.interval, d.down, d.up+d.down)
	fmt.Fprintf(out, "Demo: the events integration demo-events has the routing key %s; send an alert with\n", d.key)
	fmt.Fprintf(out, "  curl -sS -X POST %sv2/enqueue -H 'Content-Type: application/json' -d '{\"routing_key\":\"%s\",\"event_action\":\"trigger\",\"dedup_key\":\"disk-1\",\"payload\":{\"summary\":\"Disk almost full on db-1\",\"source\":\"db-1\",\"severity\":\"error\"}}'\n",
		base, d.key)
	fmt.Fprintln(out, "Demo: notifications go to the webhook channel demo-hook, served by the demo itself: see them under Notifications on each incident.")
}

// stop ends the target and the receiver.
func (d *demoRig) stop() {
	d.target.Close()
	d.receiver.Close()
}

// extend adds to the demo catalog what needs the rig's addresses and key:
// the check of the target, the webhook channel the default escalation
// policy notifies first, and the events integration.
func (d *demoRig) extend(cfg *config.Config) {
	cfg.Checks = append(cfg.Checks, monitor.Check{Name: "shop-web", Service: "shop", Type: "http", URL: d.targetURL,
		Interval: d.interval.String(), Timeout: min(d.interval, 2*time.Second).String(), Conditions: []monitor.ConditionSpec{{Condition: "[STATUS] == 200"}}})
	cfg.Channels = append(cfg.Channels, notify.Config{Name: "demo-hook", Type: "webhook", URL: d.hookURL})
	cfg.Incident.Integrations = append(cfg.Incident.Integrations, incident.Integration{Name: "demo-events", Kind: incident.KindEvents,
		Key: secret.New(d.key), Service: "payments", Escalation: incident.DefaultPolicy})
	for i, p := range cfg.Incident.Policies {
		if p.Name == incident.DefaultPolicy && len(p.Levels) > 0 {
			first := slices.Clone(p.Levels)
			first[0].Notify = append(slices.Clone(first[0].Notify), "channel:demo-hook")
			cfg.Incident.Policies[i].Levels = first
		}
	}
}
