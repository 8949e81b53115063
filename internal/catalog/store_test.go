package catalog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func svc(name string, deps ...string) catalog.Service {
	s := catalog.Service{Name: name, Title: name, Objective: &catalog.Objective{Availability: "99.9%"}}
	for _, d := range deps {
		s.DependsOn = append(s.DependsOn, catalog.Dependency{Service: d, Kind: catalog.Hard})
	}
	return s
}

func names(t *testing.T, cs *catalog.Store) map[string]catalog.Source {
	t.Helper()
	items, _, err := cs.ListServices(context.Background(), store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]catalog.Source{}
	for _, s := range items {
		out[s.Name] = s.Source
	}
	return out
}

func TestApplyFileTheFileWins(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := catalog.NewStore(db, nil)
		file := catalog.Catalog{Services: []catalog.Service{svc("database"), svc("payroll", "database")}}
		ch, err := cs.ApplyFile(ctx, "config", file)
		if err != nil {
			t.Fatal(err)
		}
		if ch != (catalog.Changes{Created: 2}) {
			t.Fatalf("first apply: %+v", ch)
		}
		// An API edit of a file object, and an API-only object.
		edited := svc("payroll", "database")
		edited.Title = "edited in the UI"
		if _, err := cs.PutService(ctx, "user:alice", edited, catalog.MustExist); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.PutService(ctx, "user:alice", svc("crm", "database"), catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		// Re-applying the same file overwrites the edit and keeps crm.
		ch, err = cs.ApplyFile(ctx, "config", file)
		if err != nil {
			t.Fatal(err)
		}
		if ch != (catalog.Changes{Updated: 1, Unchanged: 1}) {
			t.Fatalf("second apply: %+v", ch)
		}
		got, err := cs.GetService(ctx, "payroll")
		if err != nil || got.Title != "payroll" || got.Source != catalog.SourceFile {
			t.Fatalf("payroll after reload = %+v, %v", got, err)
		}
		if n := names(t, cs); n["crm"] != catalog.SourceAPI || len(n) != 3 {
			t.Fatalf("services = %v", n)
		}
		// Dropping payroll from the file removes it.
		ch, err = cs.ApplyFile(ctx, "config", catalog.Catalog{Services: []catalog.Service{svc("database")}})
		if err != nil {
			t.Fatal(err)
		}
		if ch != (catalog.Changes{Deleted: 1, Unchanged: 1}) {
			t.Fatalf("third apply: %+v", ch)
		}
		// A file that would leave crm dangling is refused whole.
		_, err = cs.ApplyFile(ctx, "config", catalog.Catalog{Services: []catalog.Service{svc("other")}})
		var inv *apperr.Invalid
		if !errors.As(err, &inv) {
			t.Fatalf("apply dropping a dependency of an API service: %v", err)
		}
		if n := names(t, cs); len(n) != 2 || n["database"] != catalog.SourceFile {
			t.Fatalf("a refused apply changed the catalog: %v", n)
		}
	})
}

func TestCycleAndDeleteRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := catalog.NewStore(db, nil)
		for _, s := range []catalog.Service{svc("a"), svc("b", "a"), svc("c", "b")} {
			if _, err := cs.PutService(ctx, "test", s, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		// a → c closes a cycle: the error is at a's own dependency.
		_, err := cs.PutService(ctx, "test", svc("a", "c"), catalog.MustExist)
		var inv *apperr.Invalid
		if !errors.As(err, &inv) || len(inv.Fields) != 1 || inv.Fields[0].Path != "depends_on[0].service" || inv.Fields[0].Msg != "dependency cycle: a → c → b → a" {
			t.Fatalf("cycle: %#v", err)
		}
		if err := cs.DeleteService(ctx, "test", "a"); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("deleting a dependency: %v", err)
		}
		if err := cs.DeleteService(ctx, "test", "c"); err != nil {
			t.Fatal(err)
		}
		if err := cs.DeleteService(ctx, "test", "c"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
		cal := catalog.Calendar{Name: "office", CalendarSpec: catalog.CalendarSpec{Timezone: "UTC", Weekly: []catalog.WeeklyWindow{{Days: "mon-fri", From: "09:00", To: "17:00"}}}}
		if _, err := cs.PutCalendar(ctx, "test", cal, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		used := svc("d")
		used.Objective.Hours = "office"
		if _, err := cs.PutService(ctx, "test", used, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		if err := cs.DeleteCalendar(ctx, "test", "office"); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("deleting a calendar in use: %v", err)
		}
		bad := cal
		bad.Timezone = "Nowhere/Land"
		_, err = cs.PutCalendar(ctx, "test", bad, catalog.MustExist)
		if !errors.As(err, &inv) || inv.Fields[0].Path != "timezone" {
			t.Fatalf("bad calendar: %v", err)
		}
	})
}
