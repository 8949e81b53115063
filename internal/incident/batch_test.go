package incident_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBatchOpensIncidentsUnderReservedIDs: in a batch the new incidents
// are written together at its end under ids reserved as they open, and
// every row that refers to one (escalation, log, transition, event)
// carries the id it was reserved: here with a repeat of a key opened in
// the same batch, a known error (both make the batch send its pending
// incidents early), a key resolved and opened again (one more than the
// batch expected), and escalations. The ids follow on from the last one
// with no gap, on both engines, and nothing fails over to the one-by-one
// retry.
func TestBatchOpensIncidentsUnderReservedIDs(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			db, counter := storetest.OpenCounting(t, e)
			f := newFixture(t, db)
			f.engine.StartEscalation = func(ctx context.Context, tx store.Querier, id int64, policy, _, _ string, now time.Time) error {
				return escalation.Start(ctx, tx, id, policy, now, now, "")
			}
			f.engine.StopEscalation = escalation.Stop
			f.engine.KnownError = func(_, summary string, _ json.RawMessage) (int64, string, string, bool) {
				return 7, "the known one", "restart it", summary == "known"
			}
			first, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", "before")})
			if err != nil {
				t.Fatal(err)
			}
			known := ev("trigger", "c")
			known.Summary = "known"
			events := []incident.Event{ev("trigger", "a"), ev("trigger", "b"), ev("trigger", "a"), known,
				ev("resolve", "b"), ev("trigger", "b"), ev("trigger", "d")}
			before := counter.Read()
			out, err := f.ingest.Submit(ctx, events)
			if err != nil {
				t.Fatal(err)
			}
			if got := counter.Read().Sub(before); got.Rollbacks != 0 || got.Begins != 1 {
				t.Fatalf("the batch took %d transactions and %d rollbacks, want one and none", got.Begins, got.Rollbacks)
			}
			base := first[0].IncidentID
			var ids []string
			for _, o := range out {
				ids = append(ids, fmt.Sprintf("%d/%t", o.IncidentID-base, o.Created))
			}
			// a, b, a again, c, b resolved, b again, d.
			if got, want := strings.Join(ids, " "), "1/true 2/true 1/false 3/true 2/false 4/true 5/true"; got != want {
				t.Fatalf("incidents (relative to the one before) %s, want %s", got, want)
			}
			for _, c := range []struct {
				what  string
				query string
				want  int
			}{
				{"incidents whose dedup key is their events'", `SELECT COUNT(DISTINCT i.id) FROM incidents i JOIN events e ON e.incident_id = i.id AND e.dedup_key = i.dedup_key WHERE i.id > $1`, 5},
				{"events on an incident of another key", `SELECT COUNT(*) FROM events e JOIN incidents i ON i.id = e.incident_id WHERE e.dedup_key <> i.dedup_key AND i.id > $1`, 0},
				{"escalations, one per new incident", `SELECT COUNT(*) FROM escalations WHERE incident_id > $1`, 5},
				{"stopped escalations (b resolved)", `SELECT COUNT(*) FROM escalations WHERE incident_id = $1 + 2 AND status = 'stopped'`, 1},
				{"opening log rows naming their own key's incident", `SELECT COUNT(*) FROM incident_log l JOIN incidents i ON i.id = l.incident_id WHERE l.message LIKE 'triggered by%' AND i.id > $1`, 5},
				{"transitions naming their incident", `SELECT COUNT(*) FROM state_transitions t JOIN incidents i ON t.input = 'incident:' || CAST(i.id AS TEXT) WHERE i.id > $1`, 6},
				{"a's triggers", `SELECT event_count FROM incidents WHERE id = $1 + 1`, 2},
				{"c's known error", `SELECT COUNT(*) FROM incidents i JOIN incident_log l ON l.incident_id = i.id WHERE i.id = $1 + 3 AND i.known_error_id = 7 AND l.message LIKE 'matches known error #7%'`, 1},
			} {
				if n := f.count(t, c.query, base); n != c.want {
					t.Errorf("%s: %d, want %d", c.what, n, c.want)
				}
			}
			// No id was reserved and left unused.
			next, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", "after-1"), ev("trigger", "after-2")})
			if err != nil {
				t.Fatal(err)
			}
			if next[0].IncidentID != base+6 || next[1].IncidentID != base+7 {
				t.Errorf("the next batch opened %d and %d, want %d and %d", next[0].IncidentID, next[1].IncidentID, base+6, base+7)
			}
		})
	}
}
