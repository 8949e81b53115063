package override_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/override"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func known(u string) bool { return u == "ana" || u == "bo" }

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		in   override.Input
		want []apperr.Field
	}{
		{"fine", override.Input{User: "ana", Start: now, End: now.Add(8 * time.Hour)}, nil},
		{"everything missing", override.Input{}, []apperr.Field{{Path: "user", Msg: "is required: name the person who covers"}, {Path: "start", Msg: "is required"}, {Path: "end", Msg: "is required"}}},
		{"unknown person", override.Input{User: "zed", Start: now, End: now.Add(time.Hour)}, []apperr.Field{{Path: "user", Msg: `unknown person "zed"`}}},
		{"end before start", override.Input{User: "ana", Start: now, End: now.Add(-time.Hour)}, []apperr.Field{{Path: "end", Msg: "must be after the start (2026-03-10T12:00:00Z)"}}},
		{"too long", override.Input{User: "ana", Start: now, End: now.Add(32 * 24 * time.Hour)}, []apperr.Field{{Path: "end", Msg: "an override covers at most 31 days; split a longer one or change the schedule"}}},
		{"in the past", override.Input{User: "ana", Start: now.Add(-3 * time.Hour), End: now.Add(-time.Hour)}, []apperr.Field{{Path: "end", Msg: "is in the past: an override must end after now"}}},
		{"too far ahead", override.Input{User: "ana", Start: now.Add(400 * 24 * time.Hour), End: now.Add(401 * 24 * time.Hour)}, []apperr.Field{{Path: "end", Msg: "must be within a year from now"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := override.Validate(c.in, known, now)
			var inv *apperr.Invalid
			if c.want == nil {
				if err != nil {
					t.Fatalf("got %v, want no problem", err)
				}
				return
			}
			if !errors.As(err, &inv) {
				t.Fatalf("got %v, want *apperr.Invalid", err)
			}
			if len(inv.Fields) != len(c.want) {
				t.Fatalf("got %v, want %v", inv.Fields, c.want)
			}
			for i := range c.want {
				if inv.Fields[i] != c.want[i] {
					t.Errorf("problem %d: got %+v, want %+v", i, inv.Fields[i], c.want[i])
				}
			}
		})
	}
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		changes := 0
		s := &override.Store{DB: db, Now: func() time.Time { return now }, OnChange: func(context.Context) { changes++ }}
		a, err := s.Create(ctx, "alice", "primary", override.Input{User: "ana", Start: now, End: now.Add(8 * time.Hour), Note: " dentist swap "}, known)
		if err != nil {
			t.Fatal(err)
		}
		if a.Note != "dentist swap" || a.CreatedBy != "alice" || !a.Start.Equal(now) {
			t.Errorf("stored %+v", a)
		}
		if _, err := s.Create(ctx, "alice", "primary", override.Input{User: "zed", Start: now, End: now.Add(time.Hour)}, known); !errors.As(err, new(*apperr.Invalid)) {
			t.Fatalf("unknown person: got %v, want invalid", err)
		}
		b, err := s.Create(ctx, "alice", "secondary", override.Input{User: "bo", Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)}, known)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("list by schedule", func(t *testing.T) {
			got, err := s.List(ctx, "primary", now)
			if err != nil || len(got) != 1 || got[0].ID != a.ID {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run("merged form", func(t *testing.T) {
			m, err := s.BySchedule(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := m["primary"]; len(got) != 1 || got[0].User != "ana" || got[0].Start != "2026-03-10T12:00:00Z" || got[0].End != "2026-03-10T20:00:00Z" {
				t.Errorf("primary: %+v", got)
			}
			if len(m["secondary"]) != 1 {
				t.Errorf("secondary: %+v", m["secondary"])
			}
		})
		t.Run("ended overrides are left out", func(t *testing.T) {
			got, err := s.List(ctx, "", now.Add(9*time.Hour))
			if err != nil || len(got) != 0 {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run("delete checks the schedule", func(t *testing.T) {
			if err := s.Delete(ctx, "alice", "primary", b.ID); !errors.Is(err, override.ErrNotFound) {
				t.Fatalf("got %v, want not found", err)
			}
			if err := s.Delete(ctx, "alice", "secondary", b.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "alice", "secondary", b.ID); !errors.Is(err, override.ErrNotFound) {
				t.Fatalf("second delete: got %v, want not found", err)
			}
		})
		if changes != 3 {
			t.Errorf("OnChange called %d times, want 3 (two creates, one delete)", changes)
		}
		entries, _, err := audit.List(ctx, db, audit.Filter{}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 3 || entries[0].Action != audit.Delete || entries[0].ObjectType != "schedule_override" {
			t.Errorf("audit: %+v", entries)
		}
	})
}
