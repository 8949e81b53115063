package incident_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBulk acknowledges and resolves several incidents at once: each
// changes as a single action would (its escalation stops, its
// notifications are queued), one that cannot change is reported and does
// not hold back the others, and bad input changes nothing.
func TestBulk(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.engine.StartEscalation = func(ctx context.Context, tx store.Querier, id int64, policy, _, _ string, now time.Time) error {
			return escalation.Start(ctx, tx, id, policy, now, now, "")
		}
		f.engine.StopEscalation = escalation.Stop
		var ids []int64
		for _, key := range []string{"a", "b", "c"} {
			out, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", key)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, out[0].IncidentID)
		}
		if _, err := f.store.Resolve(ctx, ids[2], "olivia"); err != nil {
			t.Fatal(err)
		}
		before := len(f.outbox(t))

		t.Run("bad input changes nothing", func(t *testing.T) {
			for _, c := range []struct {
				name, action string
				ids          []int64
				want         string
			}{
				{"unknown action", "snooze", ids[:1], "action: must be acknowledge or resolve"},
				{"no ids", incident.BulkAcknowledge, nil, "ids: choose at least one incident"},
				{"repeated id", incident.BulkAcknowledge, []int64{ids[0], ids[0]}, "ids[1]: repeats incident"},
				{"non-positive id", incident.BulkResolve, []int64{ids[0], -4}, "ids[1]: must be a positive incident id"},
				{"too many", incident.BulkResolve, make([]int64, incident.MaxBulk+1), "at most 200 at once"},
			} {
				t.Run(c.name, func(t *testing.T) {
					res, err := f.store.Bulk(ctx, c.action, c.ids, "olivia")
					var inv *apperr.Invalid
					if !errors.As(err, &inv) || !strings.Contains(err.Error(), c.want) || res != nil {
						t.Fatalf("Bulk = %v, %v; want invalid %q", res, err, c.want)
					}
				})
			}
			i, _, _ := f.store.Get(ctx, ids[0])
			if i.Status != incident.Triggered {
				t.Fatalf("refused bulk changed incident %d: %s", ids[0], i.Status)
			}
		})

		t.Run("acknowledge", func(t *testing.T) {
			res, err := f.store.Bulk(ctx, incident.BulkAcknowledge, []int64{ids[0], ids[1], ids[2], 9999}, "olivia")
			if err != nil {
				t.Fatal(err)
			}
			want := []incident.BulkResult{
				{ID: ids[0], Status: incident.Acknowledged},
				{ID: ids[1], Status: incident.Acknowledged},
				{ID: ids[2], Error: "incident " + itoa(ids[2]) + " is already resolved"},
				{ID: 9999, Error: "there is no incident 9999"},
			}
			if len(res) != len(want) {
				t.Fatalf("results %+v", res)
			}
			for n := range want {
				if res[n] != want[n] {
					t.Errorf("result %d = %+v, want %+v", n, res[n], want[n])
				}
			}
			for _, id := range ids[:2] {
				st, ok, err := escalation.Get(ctx, db.Reader(), id)
				if err != nil || !ok || st.Status != escalation.Stopped || st.Reason != "acknowledged by olivia" {
					t.Errorf("incident %d's escalation: %+v %v %v", id, st, ok, err)
				}
				i, log, _ := f.store.Get(ctx, id)
				if i.AcknowledgedBy != "olivia" || !strings.Contains(log[len(log)-1].Message, "acknowledged") {
					t.Errorf("incident %d: %+v, last log %+v", id, i, log[len(log)-1])
				}
			}
			// Each acknowledgement queues what a single one does.
			if got := f.outbox(t)[before:]; strings.Join(got, ",") != "ops-hook:acknowledged,ops-mail:acknowledged,ops-hook:acknowledged,ops-mail:acknowledged" {
				t.Errorf("outbox after bulk acknowledge: %v", got)
			}
		})

		t.Run("resolve", func(t *testing.T) {
			res, err := f.store.Bulk(ctx, incident.BulkResolve, ids[:2], "olivia")
			if err != nil || len(res) != 2 || !res[0].Changed() || !res[1].Changed() || res[0].Status != incident.Resolved {
				t.Fatalf("Bulk resolve = %+v, %v", res, err)
			}
			list, _, _ := f.store.List(ctx, incident.Filter{Status: "open"}, store.Page{})
			if len(list) != 0 {
				t.Errorf("open after bulk resolve: %+v", list)
			}
		})
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
