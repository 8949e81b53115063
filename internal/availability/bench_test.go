package availability

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkEvaluate1000Services is the sizing goal of issue 3: 1,000
// services, one year, 100 outages each, weekly recurring maintenance and an
// office-hours calendar (Europe/Berlin mon-fri 09:00-17:00 with holidays);
// one op is a yearly report for every service. Goal: under 200 ms per op on
// the 2-core reference machine.
func BenchmarkEvaluate1000Services(b *testing.B) {
	ber := loc(b, "Europe/Berlin")
	var hol []Date
	for _, s := range []string{"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14", "2026-05-25", "2026-10-03", "2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31"} {
		d, err := ParseDate(s)
		if err != nil {
			b.Fatal(err)
		}
		hol = append(hol, d)
	}
	cal := office(b, ber, hol...)
	from, to := at(b, ber, "2026-01-01 00:00"), at(b, ber, "2027-01-01 00:00")
	now := to.Add(time.Hour)
	rng := rand.New(rand.NewPCG(1, 2))
	days := []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

	type service struct {
		obj *Objective
		tl  Timeline
	}
	services := make([]service, 1000)
	for i := range services {
		m, err := NewRecurring(fmt.Sprintf("FREQ=WEEKLY;BYDAY=%s;BYHOUR=%d;BYMINUTE=0", days[i%7], 6+i%14), 2*time.Hour, ber)
		if err != nil {
			b.Fatal(err)
		}
		outs := make([]Outage, 100)
		for j := range outs {
			start := from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
			state := Down
			if j%5 == 0 {
				state = Degraded
			}
			outs[j] = Outage{start, start.Add(time.Minute + time.Duration(rng.Int64N(int64(3*time.Hour)))), state, fmt.Sprintf("outage:%d", j)}
		}
		services[i] = service{
			obj: &Objective{Hours: cal, Target: 0.995, MaxOutage: time.Hour, MaxOutages: 10, Degraded: 0.5,
				MergeGap: 5 * time.Minute, MinOutage: 2 * time.Minute, Maintenance: []Maintenance{m}, DowntimeCost: 100},
			tl: FromOutages(from, to, outs),
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, s := range services {
			if r := Evaluate(s.obj, s.tl, from, to, now); r.InHours == 0 {
				b.Fatal("no in-hours time")
			}
		}
	}
}
