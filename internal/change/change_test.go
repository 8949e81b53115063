package change_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestRecordListBetween(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, name := range []string{"shop", "payroll"} {
			if _, err := catalog.NewStore(db, nil).PutService(ctx, "test", catalog.Service{Name: name}, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		s := &change.Store{DB: db}
		t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
		for i, svc := range []string{"shop", "shop", "payroll", "shop"} {
			e := change.Event{Service: svc, Integration: "ci", Summary: "deploy", At: t0.Add(time.Duration(i) * time.Hour), ReceivedAt: t0}
			if i == 0 {
				e.Details, e.Links = json.RawMessage(`{"commit":"abc"}`), json.RawMessage(`[{"href":"https://ci.example/1"}]`)
			}
			if _, err := s.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		page1, next, err := s.Events(ctx, "shop", store.Page{Limit: 2})
		if err != nil || len(page1) != 2 || next == "" || !page1[0].At.Equal(t0.Add(3*time.Hour)) {
			t.Fatalf("first page: %+v %q %v", page1, next, err)
		}
		page2, next, err := s.Events(ctx, "shop", store.Page{Limit: 2, Cursor: next})
		if err != nil || len(page2) != 1 || next != "" || string(page2[0].Details) != `{"commit":"abc"}` || string(page2[0].Links) != `[{"href":"https://ci.example/1"}]` {
			t.Fatalf("second page: %+v %q %v", page2, next, err)
		}
		if _, _, err := s.Events(ctx, "shop", store.Page{Cursor: "not-a-cursor!"}); err == nil {
			t.Fatal("a bad cursor was taken")
		}
		between, err := s.Between(ctx, "shop", t0.Add(30*time.Minute), t0.Add(3*time.Hour))
		if err != nil || len(between) != 1 || !between[0].At.Equal(t0.Add(time.Hour)) {
			t.Fatalf("between: %+v %v", between, err)
		}
		all, _, err := s.Events(ctx, "", store.Page{})
		if err != nil || len(all) != 4 {
			t.Fatalf("all: %d %v", len(all), err)
		}
	})
}
