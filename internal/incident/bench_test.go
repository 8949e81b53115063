package incident_test

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// BenchmarkStormBatch commits, per operation, one batch of events with
// new keys, as the ingester's group commit gathers them in an event storm
// (bench/events -mode storm, 32 workers): each opens an incident, its log
// row and its service's transition, and is stored. No escalation policy,
// as in bench/events. Batches of 1, 16, 32 and 64 events show what a
// transaction costs by itself beside what each event adds. Besides the
// time per batch it reports the process's CPU per 1,000 events, which
// moves less than wall time on a shared machine.
func BenchmarkStormBatch(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		for _, size := range []int{1, 16, 32, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", e.Name, size), func(b *testing.B) {
				f := newFixture(b, storetest.Open(b, e))
				f.engine.Configure(incident.Setup{Integrations: []incident.Integration{
					{Name: "prom", Kind: incident.KindEvents, Key: secret.New("0123456789abcdef0123"), Service: "payroll"},
				}})
				events := make([]incident.Event, size)
				before := cpuTime()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					for j := range events {
						events[j] = ev("trigger", fmt.Sprintf("storm-%d-%d", i, j))
					}
					if _, err := f.ingest.Submit(context.Background(), events); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-before)/1e6/float64(b.N*len(events))*1000, "cpu-ms/1k-events")
			})
		}
	}
}

// cpuTime is the process's user and system time so far, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkGroup commits, per operation, a new Alertmanager group of
// 1,000 firing alerts as the webhook route does (four chunks of at most
// incident.DefaultChunk alerts, each its own transaction): one incident,
// every alert upserted by fingerprint. It reports the process's CPU per
// 1,000 alerts beside the time per group.
func BenchmarkGroup(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			f := newFixture(b, storetest.Open(b, e))
			f.amSetup(false)
			g, err := incident.DecodeAlertmanager(strings.NewReader(webhook("bench", 0, many(1000, 0, "firing", "", "critical")...)))
			if err != nil {
				b.Fatal(err)
			}
			in, _ := f.engine.Integration("am")
			g.Route(in, func(s string) bool { return s == "payroll" })
			before := cpuTime()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				g.GroupKey = fmt.Sprintf("bench-%d", i)
				if _, err := f.ingest.SubmitGroup(context.Background(), g.Chunks(in.Name, 0)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-before)/1e6/float64(b.N), "cpu-ms/1k-alerts")
		})
	}
}
