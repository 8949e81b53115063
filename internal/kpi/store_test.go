package kpi

import (
	"context"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestFreezeAndDeliverOnce: a closed month's report is frozen the first
// time it is built, and its mails are enqueued once however often (and on
// however many replicas) the delivery ticks.
func TestFreezeAndDeliverOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := at("2026-12-01T02:00:00Z")
		m := &Monthly{Builder: &Builder{Now: func() time.Time { return now }}, Store: &Store{DB: db}}
		d := &Delivery{DB: db, Monthly: func() *Monthly { return m }, Now: func() time.Time { return now },
			Config: func() ReportConfig { return ReportConfig{Subscribers: []string{"a@example.com", "b@example.com"}} }}
		for i, want := range []int{2, 0} {
			n, err := d.Tick(ctx)
			if err != nil || n != want {
				t.Fatalf("tick %d: %d %v, want %d", i, n, err, want)
			}
		}
		var rows int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE kind = 'monthly_report:2026-11' AND channel LIKE 'report:%'`).Scan(&rows); err != nil || rows != 2 {
			t.Fatalf("outbox rows: %d %v", rows, err)
		}
		r, err := m.Report(ctx, Month{2026, time.November}, "")
		if err != nil || r.Snapshot == nil || !r.Snapshot.FrozenAt.Equal(now) || r.Correction != nil {
			t.Fatalf("frozen report: %+v %v", r.Snapshot, err)
		}
	})
}
