package incident_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestAssign gives incidents to people and users, lists them by assignee,
// and writes each change on the timeline; an unknown name or a resolved
// incident is refused and changes nothing.
func TestAssign(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.store.IsPerson = func(name string) bool { return name == "alice" }
		if _, err := auth.NewService(db, nil).CreateUser(ctx, "test", auth.NewUser{Name: "olivia", Password: "correct horse battery", Role: auth.Operator}); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, key := range []string{"a", "b", "c"} {
			out, err := f.ingest.Submit(ctx, []incident.Event{ev("trigger", key)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, out[0].IncidentID)
		}
		if _, err := f.store.Resolve(ctx, ids[2], "user:olivia"); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name     string
			id       int64
			assignee string
			want     string // the timeline's last line, or "" for a refusal
			err      error
		}{
			{"to a user", ids[0], "olivia", "assigned to olivia", nil},
			{"to a directory person", ids[1], "alice", "assigned to alice", nil},
			{"to someone else", ids[1], "olivia", "assigned to olivia (was alice)", nil},
			{"taken back", ids[1], "", "unassigned (was olivia)", nil},
			{"unknown name", ids[0], "mallory", "", &apperr.Invalid{}},
			{"resolved incident", ids[2], "olivia", "", apperr.ErrConflict},
			{"no such incident", 9999, "olivia", "", apperr.ErrNotFound},
		} {
			t.Run(c.name, func(t *testing.T) {
				before, _, _ := f.store.Get(ctx, c.id)
				i, err := f.store.Assign(ctx, c.id, c.assignee, "user:olivia")
				if c.err != nil {
					var inv *apperr.Invalid
					if _, want := c.err.(*apperr.Invalid); want && !errors.As(err, &inv) || !want && !errors.Is(err, c.err) {
						t.Fatalf("err = %v, want %v", err, c.err)
					}
					after, _, _ := f.store.Get(ctx, c.id)
					if after.Assignee != before.Assignee {
						t.Fatalf("a refused assignment changed the assignee to %q", after.Assignee)
					}
					return
				}
				if err != nil || i.Assignee != c.assignee {
					t.Fatalf("Assign = %+v, %v", i, err)
				}
				_, log, _ := f.store.Get(ctx, c.id)
				if last := log[len(log)-1]; last.Kind != "assignment" || last.Message != c.want || last.Actor != "user:olivia" {
					t.Fatalf("timeline ends with %+v, want %q", last, c.want)
				}
			})
		}
		list, _, err := f.store.List(ctx, incident.Filter{Assignee: "olivia"}, store.Page{})
		if err != nil || len(list) != 1 || list[0].ID != ids[0] {
			t.Fatalf("assigned to olivia: %+v %v", list, err)
		}
	})
}
