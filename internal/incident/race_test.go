package incident_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestTwoWritersRaceForANewKey: two ingesters on one database — as two
// replicas on one PostgreSQL are — trigger the same new keys at once.
// Whichever loses the race for a key's open incident retries and joins
// the winner's: every event is accepted, and each key has one incident.
func TestTwoWritersRaceForANewKey(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		other := &incident.Ingester{DB: db, Engine: f.engine}
		octx, cancel := context.WithCancel(ctx)
		defer cancel()
		other.Start(octx)
		// Each key is triggered through both at the same instant, so each
		// ingester commits it alone, racing the other.
		const keys = 40
		errs := make(chan error, 2*keys)
		for k := range keys {
			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, in := range []*incident.Ingester{f.ingest, other} {
				wg.Go(func() {
					<-start
					if _, err := in.Submit(ctx, []incident.Event{ev("trigger", fmt.Sprintf("race-%d", k))}); err != nil {
						errs <- err
					}
				})
			}
			close(start)
			wg.Wait()
		}
		close(errs)
		for err := range errs {
			t.Errorf("an event was refused: %v", err)
		}
		var incidents, events int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE dedup_key LIKE 'race-%'`).Scan(&incidents); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE dedup_key LIKE 'race-%'`).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if incidents != keys || events != 2*keys {
			t.Fatalf("%d incidents and %d events, want %d and %d", incidents, events, keys, 2*keys)
		}
	})
}
