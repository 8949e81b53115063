package incident_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// BenchmarkStormBatch commits, per operation, one batch of 32 events with
// new keys, as the ingester's group commit gathers them in an event storm
// (bench/events -mode storm, 32 workers): each opens an incident, its log
// row and its service's transition, and is stored. No escalation policy,
// as in bench/events. Besides the time per batch it reports the process's
// CPU per 1,000 events, which moves less than wall time on a shared
// machine.
func BenchmarkStormBatch(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			f := newFixture(b, storetest.Open(b, e))
			f.engine.Configure(incident.Setup{Integrations: []incident.Integration{
				{Name: "prom", Kind: incident.KindEvents, Key: secret.New("0123456789abcdef0123"), Service: "payroll"},
			}})
			events := make([]incident.Event, 32)
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

// cpuTime is the process's user and system time so far, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
