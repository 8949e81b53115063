package recovery_test

import (
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/recovery"
)

// FuzzCompilePlan: any plan compiles or is refused with named fields, and
// a compiled plan's warnings never panic.
func FuzzCompilePlan(f *testing.F) {
	f.Add("shop", "shop", "4h", "26h", "2026-01-15", "shop-db")
	f.Add("", "", "", "", "", "")
	f.Add("x", "y", "-1h", "1w2d", "2026-02-30", "Bad Name")
	facts := recovery.Facts{Services: map[string]time.Duration{"shop": 30 * time.Minute}, BackupRPOs: map[string]time.Duration{"shop-db": 26 * time.Hour}}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, name, service, rto, rpo, reviewed, backup string) {
		p, fs := recovery.CompilePlan(recovery.Plan{Name: name, Service: service, RTO: rto, RPO: rpo, LastReviewed: reviewed, Backups: []string{backup}}, &facts)
		for _, f := range fs {
			if f.Path == "" || f.Msg == "" {
				t.Fatalf("a problem without a field or reason: %+v", f)
			}
		}
		if len(fs) == 0 {
			if p.RTO <= 0 || p.RPO <= 0 {
				t.Fatalf("compiled with rto %s, rpo %s", p.RTO, p.RPO)
			}
			recovery.Warnings(p, facts, time.Time{}, now)
		}
	})
}

// FuzzSpans: whatever the runs, the spans tile [from, to) without gaps and
// compliance stays within 0 and 1.
func FuzzSpans(f *testing.F) {
	f.Add(int64(150), int64(120), int64(1590), uint8(1), int64(26*60))
	f.Add(int64(0), int64(0), int64(0), uint8(2), int64(1))
	f.Fuzz(func(t *testing.T, at1, point1, at2 int64, outcome uint8, rpoMin int64) {
		if rpoMin <= 0 || rpoMin > 1e6 {
			return
		}
		base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		mins := func(m int64) time.Time { return base.Add(time.Duration(m%1e6) * time.Minute) }
		outcomes := []string{recovery.RunStart, recovery.RunSuccess, recovery.RunFail}
		runs := []recovery.Run{
			{Outcome: recovery.RunSuccess, At: mins(at1), DataPoint: mins(point1)},
			{Outcome: outcomes[int(outcome)%3], At: mins(at2)},
		}
		from, to := base, base.Add(72*time.Hour)
		spans := recovery.Spans(runs, time.Duration(rpoMin)*time.Minute, base, from, to)
		at := from
		for _, s := range spans {
			if !s.From.Equal(at) || !s.To.After(s.From) {
				t.Fatalf("spans do not tile: %+v", spans)
			}
			at = s.To
		}
		if !at.Equal(to) {
			t.Fatalf("spans end at %s, not %s", at, to)
		}
		if c := recovery.Compliance(spans); c < 0 || c > 1 {
			t.Fatalf("compliance %v", c)
		}
	})
}
