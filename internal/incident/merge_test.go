package incident_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func (f *fixture) trigger(t *testing.T, key string) int64 {
	t.Helper()
	out, err := f.ingest.Submit(context.Background(), []incident.Event{ev("trigger", key)})
	if err != nil {
		t.Fatal(err)
	}
	return out[0].IncidentID
}

func (f *fixture) get(t *testing.T, id int64) (incident.Incident, []incident.LogEntry) {
	t.Helper()
	i, log, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return i, log
}

// TestMerge merges b and c into a: the sources are resolved as merged into
// a without anyone being told they resolved, their events and notes are
// a's, and later events with their keys — alone or in a batch — go to a
// while it is open, and open a new incident once it is resolved.
func TestMerge(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		a, b, c := f.trigger(t, "a"), f.trigger(t, "b"), f.trigger(t, "c")
		if _, err := f.store.Note(ctx, b, "olivia", "restarted the disk cleaner"); err != nil {
			t.Fatal(err)
		}
		sent := len(f.outbox(t))
		f.now = f.now.Add(time.Minute)
		got, err := f.store.Merge(ctx, a, []int64{b, c}, "olivia")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != a || got.Status != incident.Triggered || got.EventCount != 3 {
			t.Fatalf("target after the merge: %+v", got)
		}
		for _, id := range []int64{b, c} {
			src, log := f.get(t, id)
			if src.Status != incident.Resolved || src.MergedInto == nil || *src.MergedInto != a || logHas(log, "merged into #"+itoa(a)) != 1 {
				t.Fatalf("source %d after the merge: %+v %+v", id, src, log)
			}
		}
		_, log := f.get(t, a)
		if logHas(log, "merged in #"+itoa(b)) != 1 || logHas(log, "#"+itoa(c)+" (disk full; dedup key c)") != 1 || logHas(log, "from #"+itoa(b)+": restarted the disk cleaner") != 1 {
			t.Fatalf("target's timeline: %+v", log)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM events WHERE incident_id = $1`, a); n != 3 {
			t.Fatalf("the target lists %d events, want 3", n)
		}
		if n := len(f.outbox(t)); n != sent {
			t.Fatalf("merging notified someone: %v", f.outbox(t)[sent:])
		}

		t.Run("a later event with a source's key goes to the target", func(t *testing.T) {
			if id := f.trigger(t, "b"); id != a {
				t.Fatalf("the trigger with b's key went to %d, want %d", id, a)
			}
			// In a batch too, beside a new key.
			out, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", "c"), ev("trigger", "d"), ev("acknowledge", "b")})
			if err != nil {
				t.Fatal(err)
			}
			if out[0].IncidentID != a || out[1].IncidentID == a || !out[1].Created || out[2].IncidentID != a || out[2].Status != incident.Acknowledged {
				t.Fatalf("batch outcomes: %+v", out)
			}
			if i, _ := f.get(t, a); i.EventCount != 5 || i.Status != incident.Acknowledged {
				t.Fatalf("target after the routed events: %+v", i)
			}
		})
		t.Run("a resolve with a source's key resolves the target; then the key opens its own", func(t *testing.T) {
			out, err := f.ingest.Submit(ctx, []incident.Event{ev("resolve", "c"), ev("trigger", "a")})
			if err != nil {
				t.Fatal(err)
			}
			if out[0].IncidentID != a || out[0].Status != incident.Resolved || out[1].IncidentID == a || !out[1].Created {
				t.Fatalf("after the target's resolve in the batch, its own key opens anew: %+v", out)
			}
			if id := f.trigger(t, "b"); id == a || id == b {
				t.Fatalf("with the target resolved, b's key went to %d", id)
			}
		})
	})
}

// TestMergeRefused names why a merge cannot be done, and does nothing.
func TestMergeRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		a, b, done := f.trigger(t, "a"), f.trigger(t, "b"), f.trigger(t, "done")
		if _, err := f.store.Resolve(ctx, done, "olivia"); err != nil {
			t.Fatal(err)
		}
		invalid := []struct {
			name    string
			target  int64
			sources []int64
			want    string
		}{
			{"no sources", a, nil, "sources: choose at least one incident to merge"},
			{"into itself", a, []int64{b, a}, "sources[1]: incident " + itoa(a) + " is the target itself: an incident cannot be merged into itself"},
			{"repeated", a, []int64{b, b}, "sources[1]: repeats incident " + itoa(b)},
			{"not positive", a, []int64{0}, "sources[0]: must be a positive incident id, not 0"},
			{"too many", a, make([]int64, incident.MaxMerge+1), "at most 50 at once"},
			{"unknown source", a, []int64{b, 9999}, "sources[1]: there is no incident 9999"},
			{"resolved source", a, []int64{done}, "sources[0]: incident " + itoa(done) + " is already resolved"},
		}
		for _, c := range invalid {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.store.Merge(ctx, c.target, c.sources, "olivia")
				var inv *apperr.Invalid
				if !errors.As(err, &inv) || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("Merge = %v; want invalid %q", err, c.want)
				}
			})
		}
		if _, err := f.store.Merge(ctx, done, []int64{b}, "olivia"); !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "is resolved: merge into an open incident") {
			t.Fatalf("merge into a resolved target: %v", err)
		}
		if _, err := f.store.Merge(ctx, 9999, []int64{b}, "olivia"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("merge into no incident: %v", err)
		}
		f.amSetup(false)
		f.post(t, "am", webhook(`{}:{alertname="DiskFull"}`, 0, many(2, 0, "firing", "", "warning")...))
		var group int64
		for _, i := range f.open(t) {
			if i.Integration == "am" {
				group = i.ID
			}
		}
		if _, err := f.store.Merge(ctx, group, []int64{b}, "olivia"); !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "Alertmanager group's") {
			t.Fatalf("merge into a group incident: %v", err)
		}
		if _, err := f.store.Merge(ctx, a, []int64{group}, "olivia"); !strings.Contains(err.Error(), "sources[0]: incident "+itoa(group)+" is an Alertmanager group's") {
			t.Fatalf("merge of a group incident: %v", err)
		}
		if i, _ := f.get(t, b); i.Status != incident.Triggered {
			t.Fatalf("a refused merge changed incident %d: %+v", b, i)
		}
	})
}
