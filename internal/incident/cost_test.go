package incident_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestStatementsPerEvent is the guard on what one event costs the
// database: it counts, at the driver, the statements (and on PostgreSQL
// the round trips) of each kind of event as the ingester commits it alone,
// with escalations recorded as the server records them, and fails when a
// change makes any of them grow. Timing belongs to bench/events; this
// count cannot flake. When a change lowers a count, lower the number here
// with it.
func TestStatementsPerEvent(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			db, counter := storetest.OpenCounting(t, e)
			f := newFixture(t, db)
			f.engine.StartEscalation = func(ctx context.Context, tx store.Querier, id int64, policy, _, _ string, now time.Time) error {
				return escalation.Start(ctx, tx, id, policy, now, now, "")
			}
			f.engine.StopEscalation = escalation.Stop
			f.engine.Configure(incident.Setup{
				Integrations: []incident.Integration{
					{Name: "prom", Kind: incident.KindEvents, Key: secret.New("0123456789abcdef0123"), Service: "payroll", Escalation: "default"},
					{Name: "am", Kind: incident.KindAlertmanager, Key: secret.New("am-0123456789abcdef"), Service: "payroll", ServiceLabel: "service", Escalation: "default"},
				},
				Policies: []incident.EscalationPolicy{{Name: "default", Levels: []incident.Level{{Notify: []string{"channel:ops-hook"}}}}},
			})
			submit := func(action, key string) func(t *testing.T) {
				return func(t *testing.T) {
					if _, err := f.ingest.Submit(context.Background(), []incident.Event{ev(action, key)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			batch := func(action, key string, n int) func(t *testing.T) {
				return func(t *testing.T) {
					events := make([]incident.Event, n)
					for i := range events {
						events[i] = ev(action, fmt.Sprintf("%s-%d", key, i))
					}
					out, err := f.ingest.Submit(context.Background(), events)
					if err != nil {
						t.Fatal(err)
					}
					for i := range out {
						if out[i].EventID == 0 || i > 0 && out[i].EventID <= out[i-1].EventID {
							t.Fatalf("event ids not given in order: %+v", out)
						}
					}
				}
			}
			group := func(key string, n int, status string) func(t *testing.T) {
				return func(t *testing.T) { f.post(t, "am", webhook(key, 0, many(n, 0, status, "", "critical")...)) }
			}
			// Each count is for one transaction holding the one event (or
			// one per chunk of at most incident.DefaultChunk alerts). A new
			// key: find the open incident, insert it, its log row, the
			// service's transition, the escalation, the event. A repeat:
			// find, count it, log it, the event. A group chunk costs the
			// same whatever its size (one multi-row upsert of its alerts).
			// In a batch, the open incidents of all its keys are looked up
			// with one query, its new incidents' ids are reserved with one
			// more, and the incidents, escalations, log rows, transitions and
			// events of all its events are written with one multi-row INSERT
			// per table (a power-of-two number of rows each), so 32 new keys
			// cost seven statements in all, not six each; 32 repeats one
			// each (the count) plus three.
			// An acknowledge: find, stop the escalation, update the incident,
			// then its notification (outbox), log row and event are kept for
			// the batch's end; a resolve adds the service's transition. In a
			// batch each acknowledge or resolve still costs its two updates,
			// and the kept rows of all of them a few statements together.
			// On PostgreSQL all the rows a transaction keeps for later go in
			// one statement, whatever their tables (see flushPG), the lookup
			// of a batch's keys also reserves its new incidents' ids (see
			// prefetchOpenPG), and every
			// statement is one round trip — except that the lookup carries
			// the transaction's BEGIN and the kept rows its COMMIT, each pair
			// in one pgx batch (store.Pipe), the lookup's BEGIN with a SET
			// LOCAL keeping it on its index: a lone new key, or 32 of them,
			// costs three statements and two round trips in all.
			cases := []struct {
				name         string
				run          func(key string) func(t *testing.T)
				statements   int64 // SQLite
				pgStatements int64
				roundTrips   int64 // PostgreSQL
			}{
				{"new key", func(k string) func(*testing.T) { return submit("trigger", k) }, 6, 3, 2},
				{"repeated key", func(k string) func(*testing.T) { return submit("trigger", k) }, 4, 4, 3},
				{"acknowledge", func(k string) func(*testing.T) { return submit("acknowledge", k) }, 6, 5, 4},
				{"resolve", func(k string) func(*testing.T) { return submit("resolve", k) }, 7, 5, 4},
				{"resolve of nothing open", func(k string) func(*testing.T) { return submit("resolve", k) }, 2, 3, 2},
				{"32 new keys in one batch", func(k string) func(*testing.T) { return batch("trigger", k+"-batch", 32) }, 7, 3, 2},
				{"the same 32 again in one batch", func(k string) func(*testing.T) { return batch("trigger", k+"-batch", 32) }, 35, 35, 34},
				{"32 acknowledges in one batch", func(k string) func(*testing.T) { return batch("acknowledge", k+"-batch", 32) }, 68, 67, 66},
				{"32 resolves in one batch", func(k string) func(*testing.T) { return batch("resolve", k+"-batch", 32) }, 69, 67, 66},
				{"group of 1", func(k string) func(*testing.T) { return group(k+"-1", 1, "firing") }, 10, 8, 9},
				{"group of 1 again", func(k string) func(*testing.T) { return group(k+"-1", 1, "firing") }, 6, 6, 8},
				{"group of 100", func(k string) func(*testing.T) { return group(k+"-100", 100, "firing") }, 10, 8, 9},
				{"group of 600 (three chunks)", func(k string) func(*testing.T) { return group(k+"-600", 600, "firing") }, 22, 20, 25},
				{"group of 600 resolved", func(k string) func(*testing.T) { return group(k+"-600", 600, "resolved") }, 23, 21, 26},
			}
			// A first pass over other keys puts every statement into pgx's
			// per-connection cache, as a running server's connections have.
			for _, c := range cases {
				c.run("warm-up")(t)
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					before := counter.Read()
					c.run("counted")(t)
					got := counter.Read().Sub(before)
					want := c.statements
					if e.Name == "postgres" {
						want = c.pgStatements
					}
					if got.Statements != want {
						t.Errorf("%d statements, want %d (%+v)", got.Statements, want, got)
					}
					if e.Name == "postgres" && got.RoundTrips() != c.roundTrips {
						t.Errorf("%d round trips, want %d (%+v)", got.RoundTrips(), c.roundTrips, got)
					}
				})
			}
		})
	}
}
