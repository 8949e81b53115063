package desk

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestSLAWarnings(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		var clock atomic.Int64
		clock.Store(start.UnixMilli())
		now := func() time.Time { return time.UnixMilli(clock.Load()).UTC() }
		s := NewStore(db, catalog.NewStore(db, nil), now)
		cfg, problems := Config{Queues: []Queue{{Name: "q", Escalation: "desk-duty"}},
			SLAPolicies: []Policy{{Name: "std", FirstResponse: "1h", Resolution: "4h"}}}.Compile(Refs{Escalations: map[string]bool{"desk-duty": true}})
		if problems != nil {
			t.Fatal(problems)
		}
		s.Configure(cfg)
		var mu sync.Mutex
		var got []Warning
		newWarner := func() *Warner {
			return &Warner{Store: s, Notify: func(_ context.Context, _ store.Querier, w Warning) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, w)
				return nil
			}}
		}
		tk, err := s.Create(ctx, "user:ann", Input{Type: TypeRequest, Title: "Printer"})
		if err != nil {
			t.Fatal(err)
		}
		step := func(w *Warner, at time.Duration) int {
			t.Helper()
			clock.Store(start.Add(at).UnixMilli())
			n, err := w.step(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		w := newWarner()
		if n := step(w, 44*time.Minute); n != 0 {
			t.Fatalf("warned before 75 %%: %d", n)
		}
		if n := step(w, 45*time.Minute); n != 1 || got[0].Clock != "first_response" || got[0].Level != 75 || got[0].Escalation != "desk-duty" || got[0].Ticket.ID != tk.ID {
			t.Fatalf("at 45 min: %d %+v", n, got)
		}
		// A restart: a new worker goes on from the stored state, and does
		// not send the 75 % warning again.
		w = newWarner()
		if n := step(w, 50*time.Minute); n != 0 {
			t.Fatalf("after the restart: %d", n)
		}
		if n := step(w, 60*time.Minute); n != 1 || got[1].Level != 100 {
			t.Fatalf("at 60 min: %d %+v", n, got)
		}
		// At 5 h both clocks are past their targets: 100 % was sent for
		// the ticket already, so nothing more until a change of priority.
		if n := step(w, 5*time.Hour); n != 0 {
			t.Fatalf("at 5 h: %d", n)
		}
		// Two workers at once: each warning is sent once.
		tk2, err := s.Create(ctx, "user:ann", Input{Type: TypeRequest, Title: "Screen"})
		if err != nil {
			t.Fatal(err)
		}
		clock.Store(start.Add(5*time.Hour + 50*time.Minute).UnixMilli())
		var wg sync.WaitGroup
		var total atomic.Int64
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := newWarner().step(ctx)
				if err != nil {
					t.Error(err)
				}
				total.Add(int64(n))
			}()
		}
		wg.Wait()
		if total.Load() != 1 || got[len(got)-1].Ticket.ID != tk2.ID {
			t.Fatalf("two workers sent %d: %+v", total.Load(), got)
		}
		d, _ := s.Get(ctx, tk.ID)
		var warnings []string
		for _, c := range d.History {
			if c.Field == "sla_warning" {
				warnings = append(warnings, c.After)
			}
		}
		if len(warnings) != 2 || warnings[0] != "first_response 75%" || warnings[1] != "first_response 100%" {
			t.Fatalf("history %v", warnings)
		}
	})
}
