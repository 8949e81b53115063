package timeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestInputsCombine stores transitions of two inputs beside a recorded
// outage and checks the combined timeline and its report by hand.
func TestInputsCombine(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.NewStore(db, nil)
		if _, err := cat.PutService(ctx, "test", catalog.Service{Name: "shop", Objective: &catalog.Objective{Availability: "99%", Unknown: "down"}}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		now := at("2026-10-06T00:00:00Z")
		st := timeline.NewStore(db, func() time.Time { return now })
		// check:web: up from 08:00, down 10:00-10:30, up again.
		// check:api: unknown (a silent agent) 12:00-12:10, then up.
		// A recorded outage 14:00-14:15.
		err := st.Append(ctx, nil,
			timeline.Transition{Service: "shop", Input: "check:web", At: at("2026-10-05T08:00:00Z"), State: availability.Up},
			timeline.Transition{Service: "shop", Input: "check:web", At: at("2026-10-05T10:00:00Z"), State: availability.Down, Source: "check:web status 503"},
			timeline.Transition{Service: "shop", Input: "check:web", At: at("2026-10-05T10:30:00Z"), State: availability.Up},
			timeline.Transition{Service: "shop", Input: "check:api", At: at("2026-10-05T12:00:00Z"), State: availability.Unknown},
			timeline.Transition{Service: "shop", Input: "check:api", At: at("2026-10-05T12:10:00Z"), State: availability.Up},
		)
		if err != nil {
			t.Fatal(err)
		}
		s, e, down := "2026-10-05T14:00:00Z", "2026-10-05T14:15:00Z", "down"
		if _, err := st.Record(ctx, "test", "shop", timeline.NewOutage{Start: &s, End: &e, State: &down}); err != nil {
			t.Fatal(err)
		}
		r := timeline.NewReporter(cat, st, func() time.Time { return now })
		rep, err := r.Report(ctx, "shop", timeline.Range{From: at("2026-10-05T00:00:00Z"), To: at("2026-10-06T00:00:00Z")})
		if err != nil {
			t.Fatal(err)
		}
		// 30 min down + 10 min unknown (counted as down) + 15 min recorded = 55 min;
		// before each check's first transition the service counts as up.
		if rep.Downtime.Duration() != 55*time.Minute || rep.Outages != 3 {
			t.Fatalf("downtime %v, outages %d; want 55m, 3: %+v", rep.Downtime.Duration(), rep.Outages, rep.OutageList)
		}
		want := []string{"check:web status 503", "check:api", "outage:1"}
		for i, o := range rep.OutageList {
			if o.Source != want[i] {
				t.Errorf("outage %d caused by %q, want %q", i, o.Source, want[i])
			}
		}
	})
}
