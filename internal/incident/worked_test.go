package incident_test

import (
	"context"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestWorkedBetween gives, per person, the span from acknowledging an
// incident to its resolution: an open one runs to now, one acknowledged by
// a token or an anonymous link is nobody's, and spans outside the range
// are left out.
func TestWorkedBetween(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		open := func(key string) int64 {
			out, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", key)})
			if err != nil {
				t.Fatal(err)
			}
			return out[0].IncidentID
		}
		a, b, c := open("a"), open("b"), open("c")
		f.now = t0.Add(10 * time.Minute)
		for id, actor := range map[int64]string{a: "user:ana", b: "link:user:bo", c: "token:ci"} {
			if _, err := f.store.Acknowledge(ctx, id, actor); err != nil {
				t.Fatal(err)
			}
		}
		f.now = t0.Add(3*time.Hour + 10*time.Minute)
		if _, err := f.store.Resolve(ctx, a, "user:ana"); err != nil {
			t.Fatal(err)
		}
		now := t0.Add(5 * time.Hour)
		ws, err := f.store.WorkedBetween(ctx, t0, t0.Add(24*time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		want := []incident.Worked{{Incident: a, Person: "ana", Start: t0.Add(10 * time.Minute), End: t0.Add(190 * time.Minute)},
			{Incident: b, Person: "bo", Start: t0.Add(10 * time.Minute), End: now}}
		if len(ws) != 2 || ws[0] != want[0] || ws[1] != want[1] {
			t.Fatalf("worked = %+v, want %+v", ws, want)
		}
		if ws, _ := f.store.WorkedBetween(ctx, t0.Add(4*time.Hour), t0.Add(24*time.Hour), now); len(ws) != 1 || ws[0].Person != "bo" {
			t.Fatalf("from 4 h on: %+v, want bo's only", ws)
		}
	})
}
