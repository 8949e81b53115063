package change_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
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

// TestRequestStore runs the store's flow on both engines: a PagerDuty
// change event is kept as a completed standard change; a normal change
// waits in its approvers' queue, refuses a stranger and a second decision
// by the same person, and is scheduled once the quorum approves.
func TestRequestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := catalog.NewStore(db, nil).PutService(ctx, "test", catalog.Service{Name: "shop"}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		rules, _ := change.Config{Approvers: []change.ApproverGroup{{Name: "cab", People: []string{"ana", "bob", "cy"}, Quorum: 2}}}.Compile()
		now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		s := &change.Store{DB: db, Now: func() time.Time { return now }, Rules: func() change.Rules { return rules }}
		if _, err := s.Record(ctx, change.Event{Service: "shop", Integration: "ci", Summary: "deploy v2", At: now.Add(-time.Hour), ReceivedAt: now}); err != nil {
			t.Fatal(err)
		}
		std, _, err := s.Query(ctx, change.Filter{Type: change.Standard}, store.Page{})
		if err != nil || len(std) != 1 || std[0].State != change.Completed || std[0].Outcome != change.Successful || std[0].Event == 0 || std[0].Title != "deploy v2" {
			t.Fatalf("the event as a change: %+v %v", std, err)
		}

		op := change.Actor{Name: "ops", Role: "operator"}
		c, err := s.Create(ctx, op, change.Input{Type: change.Normal, Title: "Upgrade", Services: []string{"shop"},
			PlannedStart: now.Add(24 * time.Hour), PlannedEnd: now.Add(25 * time.Hour), Submit: true})
		if err != nil || c.State != change.Submitted || c.Approval.Waiting() != "cab: 0 of 2" {
			t.Fatalf("created: %+v %v", c, err)
		}
		if q, err := s.Awaiting(ctx, change.Actor{Name: "ana"}); err != nil || len(q) != 1 || q[0].ID != c.ID {
			t.Fatalf("ana's queue: %+v %v", q, err)
		}
		if q, _ := s.Awaiting(ctx, change.Actor{Name: "dan", Role: "admin"}); len(q) != 0 {
			t.Fatalf("dan's queue: %+v", q)
		}
		if _, err := s.Decide(ctx, change.Actor{Name: "dan", Role: "admin"}, c.ID, change.Decision{Decision: change.Approve}, change.ViaAPI); !errors.Is(err, apperr.ErrForbidden) {
			t.Fatalf("a stranger decided: %v", err)
		}
		if _, err := s.Decide(ctx, change.Actor{Name: "ana"}, c.ID, change.Decision{Decision: change.Approve}, change.ViaAPI); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Decide(ctx, change.Actor{Name: "ana"}, c.ID, change.Decision{Decision: change.Approve}, change.ViaAPI); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("a second decision: %v", err)
		}
		if _, err := s.Transition(ctx, op, c.ID, change.StatusInput{Status: change.Scheduled}); !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "cab: 1 of 2") {
			t.Fatalf("scheduled without its approvals: %v", err)
		}
		c, err = s.Decide(ctx, change.Actor{Name: "bob"}, c.ID, change.Decision{Decision: change.Approve, Comment: "ok"}, change.ViaMail)
		if err != nil || c.State != change.Scheduled || len(c.Approvals) != 2 || c.Approvals[1].Via != change.ViaMail {
			t.Fatalf("after the quorum: %+v %v", c, err)
		}
		if q, _ := s.Awaiting(ctx, change.Actor{Name: "cy"}); len(q) != 0 {
			t.Fatalf("cy still asked: %+v", q)
		}
		if _, err := s.Create(ctx, op, change.Input{Type: change.Normal, Title: " ", Services: []string{"shop", "shop"}, PlannedStart: now, PlannedEnd: now}); err == nil ||
			!strings.Contains(err.Error(), "title") || !strings.Contains(err.Error(), "planned_end") {
			t.Fatalf("bad input: %v", err)
		}
	})
}

// TestEmergencyChange: an emergency change starts as soon as it is
// submitted, is approved after the fact by its emergency approver, and
// closes only once decided.
func TestEmergencyChange(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rules, _ := change.Config{Approvers: []change.ApproverGroup{{Name: "emergency", Types: []change.Type{change.Emergency}, People: []string{"cto"}}}}.Compile()
		now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		s := &change.Store{DB: db, Now: func() time.Time { return now }, Rules: func() change.Rules { return rules }}
		op := change.Actor{Name: "ops", Role: "operator"}
		c, err := s.Create(ctx, op, change.Input{Type: change.Emergency, Title: "Hotfix", Items: []string{"db-01"},
			PlannedStart: now, PlannedEnd: now.Add(time.Hour), Submit: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Transition(ctx, op, c.ID, change.StatusInput{Status: change.InProgress}); err != nil {
			t.Fatalf("an emergency change waits: %v", err)
		}
		if _, err := s.Transition(ctx, op, c.ID, change.StatusInput{Status: change.Completed, Outcome: change.Successful}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Transition(ctx, op, c.ID, change.StatusInput{Status: change.Closed}); !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "emergency approvers") {
			t.Fatalf("closed before its approval: %v", err)
		}
		if q, _ := s.Awaiting(ctx, change.Actor{Name: "cto"}); len(q) != 1 {
			t.Fatalf("the cto's queue: %+v", q)
		}
		if c, err = s.Decide(ctx, change.Actor{Name: "cto"}, c.ID, change.Decision{Decision: change.Approve}, change.ViaUI); err != nil || c.State != change.Completed || c.Approval.Status != change.Approved {
			t.Fatalf("approved after: %+v %v", c, err)
		}
		if c, err = s.Transition(ctx, op, c.ID, change.StatusInput{Status: change.Closed}); err != nil || c.State != change.Closed {
			t.Fatalf("closed: %+v %v", c, err)
		}
	})
}
