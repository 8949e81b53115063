package app

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// metrics is the server's own Prometheus registry: no global state, so two
// servers in one test process do not collide.
type metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	reloads        prometheus.Counter
	reloadFailures prometheus.Counter
	// ingest counts events accepted and refused by the API's ingest
	// handlers.
	ingest *incident.Metrics
	// delivery and failures are fed by the notification outbox.
	delivery *prometheus.HistogramVec
	failures *prometheus.CounterVec
}

func newMetrics(version string, db *store.DB, reports *timeline.Reporter, log *slog.Logger) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_http_requests_total", Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sextant_http_request_duration_seconds", Help: "Time to serve an HTTP request, by route pattern.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		reloads:        prometheus.NewCounter(prometheus.CounterOpts{Name: "sextant_config_reloads_total", Help: "Config files applied."}),
		reloadFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "sextant_config_reload_failures_total", Help: "Config files rejected; the running config was kept."}),
		delivery: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sextant_notification_delivery_seconds", Help: "Time from enqueueing a notification to its delivery, by channel.",
			Buckets: []float64{.1, .5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600},
		}, []string{"channel"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_notification_failures_total", Help: "Failed notification sends (a digest is one send), by channel; a receiver's Retry-After is not counted.",
		}, []string{"channel"}),
	}
	m.ingest = &incident.Metrics{
		Accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_events_accepted_total", Help: "Events committed, by integration (an Alertmanager webhook counts its alerts).",
		}, []string{"integration"}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_events_refused_total", Help: "Events, webhooks or single alerts refused, by integration (\"unknown\" when none matched) and reason.",
		}, []string{"integration", "reason"}),
		Truncated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_alerts_truncated_total", Help: "Alerts Alertmanager reported leaving out of its webhooks (truncatedAlerts), by integration.",
		}, []string{"integration"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sextant_build_info", Help: "Always 1; labels say the version and database engine.",
		ConstLabels: prometheus.Labels{"version": version, "engine": string(db.Engine())}})
	build.Set(1)
	services := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sextant_services", Help: "Services in the catalog."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM services`).Scan(&n); err != nil {
			return -1
		}
		return float64(n)
	})
	m.reg.MustRegister(&objectiveCollector{reports: reports, log: log}, &outboxCollector{db: db, log: log})
	m.reg.MustRegister(m.requests, m.duration, m.reloads, m.reloadFailures, m.ingest.Accepted, m.ingest.Refused, m.ingest.Truncated, m.delivery, m.failures, build, services,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// outbox is what the notification outbox reports to.
func (m *metrics) outbox() notify.Metrics {
	return notify.Metrics{
		Delivered: func(channel string, latency time.Duration) {
			m.delivery.WithLabelValues(channel).Observe(latency.Seconds())
		},
		Failed: func(channel string) { m.failures.WithLabelValues(channel).Inc() },
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// instrument counts requests by the mux pattern that served them (never by
// raw path, which would let clients create unbounded label values).
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		m.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// objectiveCollector exports each service's standing against its objective
// in the current period, computed at scrape time from the same snapshot
// and engine as the API's reports, so the figures agree.
type objectiveCollector struct {
	reports *timeline.Reporter
	log     *slog.Logger
}

var (
	descAvailability = prometheus.NewDesc("sextant_service_availability_ratio",
		"Availability in the current objective period (1 − counted downtime / in-hours time); absent when the period has no in-hours time.", []string{"service"}, nil)
	descBudget = prometheus.NewDesc("sextant_service_error_budget_remaining_seconds",
		"Error budget left in the current period, in seconds; negative when overspent.", []string{"service"}, nil)
	descBurn = prometheus.NewDesc("sextant_service_burn_rate",
		"Error-budget burn rate in the current period (1 spends the budget exactly by the end).", []string{"service"}, nil)
	descOutages = prometheus.NewDesc("sextant_service_outages",
		"Outages counted in the current period.", []string{"service"}, nil)
	descCompliance = prometheus.NewDesc("sextant_service_objective_met",
		"1 when the service meets its objective in the current period, else 0.", []string{"service"}, nil)
	descDowntime = prometheus.NewDesc("sextant_service_downtime_seconds",
		"Counted downtime in the current period, in seconds.", []string{"service"}, nil)
)

func (c *objectiveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAvailability, descBudget, descBurn, descOutages, descCompliance, descDowntime} {
		ch <- d
	}
}

func (c *objectiveCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	snap, err := c.reports.Snapshot(ctx)
	if err != nil {
		c.log.Error("metrics: availability snapshot", "err", err)
		return
	}
	for name := range snap.Services {
		rep, err := snap.Report(name, timeline.Range{})
		if err != nil {
			c.log.Error("metrics: report", "service", name, "err", err)
			continue
		}
		if rep.Availability != nil {
			ch <- prometheus.MustNewConstMetric(descAvailability, prometheus.GaugeValue, *rep.Availability, name)
		}
		ch <- prometheus.MustNewConstMetric(descBudget, prometheus.GaugeValue, rep.ErrorBudgetRemaining.Float(), name)
		if rep.BurnRate != nil {
			ch <- prometheus.MustNewConstMetric(descBurn, prometheus.GaugeValue, *rep.BurnRate, name)
		}
		ch <- prometheus.MustNewConstMetric(descOutages, prometheus.GaugeValue, float64(rep.Outages), name)
		met := 0.0
		if rep.Compliance.Met {
			met = 1
		}
		ch <- prometheus.MustNewConstMetric(descCompliance, prometheus.GaugeValue, met, name)
		ch <- prometheus.MustNewConstMetric(descDowntime, prometheus.GaugeValue, rep.Downtime.Float(), name)
	}
}

// outboxCollector exports the notification backlog and the open incidents,
// counted in the database at scrape time, so every replica reports the
// same figures and nothing is kept in memory between scrapes.
type outboxCollector struct {
	db  *store.DB
	log *slog.Logger
}

var (
	descOutboxPending = prometheus.NewDesc("sextant_outbox_pending",
		"Notifications waiting to be sent (including retries and rows held by a rate limit or Retry-After), by channel.", []string{"channel"}, nil)
	descOutboxFailed = prometheus.NewDesc("sextant_outbox_failed",
		"Notifications given up on (permanent refusal or every attempt failed), by channel, since the incident was recorded.", []string{"channel"}, nil)
	descIncidentsOpen = prometheus.NewDesc("sextant_incidents_open",
		"Incidents not yet resolved, by service and severity.", []string{"service", "severity"}, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutboxPending, descOutboxFailed, descIncidentsOpen} {
		ch <- d
	}
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.counts(ctx, `SELECT channel, status, COUNT(*) FROM outbox WHERE status IN ('pending', 'failed') GROUP BY channel, status`,
		func(channel, status string, n float64) {
			desc := descOutboxPending
			if status == notify.StatusFailed {
				desc = descOutboxFailed
			}
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, n, channel)
		})
	if err != nil {
		c.log.Error("metrics: outbox", "err", err)
	}
	err = c.counts(ctx, `SELECT service, severity, COUNT(*) FROM incidents WHERE status <> 'resolved' GROUP BY service, severity`,
		func(service, severity string, n float64) {
			ch <- prometheus.MustNewConstMetric(descIncidentsOpen, prometheus.GaugeValue, n, service, severity)
		})
	if err != nil {
		c.log.Error("metrics: open incidents", "err", err)
	}
}

// counts runs a query of two labels and a count, one call per row.
func (c *outboxCollector) counts(ctx context.Context, q string, emit func(a, b string, n float64)) error {
	rows, err := c.db.Reader().QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		var n int64
		if err := rows.Scan(&a, &b, &n); err != nil {
			return err
		}
		emit(a, b, float64(n))
	}
	return rows.Err()
}
