package portal_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// approvalStore is a portal with one item approved by two of ann, bob and
// rita (rita also requests it), on a desk whose request policy resolves
// in 4 h around the clock.
func approvalStore(t *testing.T, db *store.DB, now *time.Time) *portal.Store {
	t.Helper()
	ctx := context.Background()
	a := auth.NewService(db, nil)
	for _, u := range []auth.NewUser{{Name: "ann", Role: auth.Operator, Email: "ann@example.com"}, {Name: "bob", Role: auth.Operator, Email: "bob@example.com"},
		{Name: "rita", Role: auth.Requester, Email: "rita@example.com", Organisation: "acme"}} {
		u.Password = "correct horse battery"
		if _, err := a.CreateUser(ctx, "test", u); err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.NewStore(db, nil)
	clock := func() time.Time { return *now }
	ds := desk.NewStore(db, cat, clock)
	dc, problems := desk.Config{SLAPolicies: []desk.Policy{{Name: "requests", Resolution: "4h"}}}.Compile(desk.Refs{})
	if problems != nil {
		t.Fatal(problems)
	}
	ds.Configure(dc)
	ps := &portal.Store{DB: db, Desk: ds, Auth: a, Catalog: cat, Now: clock}
	pc, problems := portal.Compile([]portal.Item{{Name: "access", Title: "Access to payroll", Fields: []portal.Field{
		{Name: "why", Label: "Why", Type: portal.FieldText, Required: true}},
		Approval: &portal.ApprovalRule{People: []string{"ann", "bob", "rita"}, Quorum: 2}}}, portal.Settings{}, portal.Refs{})
	if problems != nil {
		t.Fatal(problems)
	}
	ps.Configure(pc)
	return ps
}

func TestApprovalsReachTheQuorum(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		ps := approvalStore(t, db, &now)
		rita := portal.Who{Name: "rita", Email: "rita@example.com", Organisation: "acme"}
		_, err := ps.Submit(ctx, rita, "user:rita", "access", portal.SubmitInput{Fields: portal.Values{"why": "", "extra": "x"}})
		var inv *apperr.Invalid
		if !errors.As(err, &inv) || len(inv.Fields) != 2 {
			t.Fatalf("bad submission: %v", err)
		}
		tk, err := ps.Submit(ctx, rita, "user:rita", "access", portal.SubmitInput{Fields: portal.Values{"why": "month-end close"}, Shared: true})
		if err != nil {
			t.Fatal(err)
		}
		if tk.Status != desk.StatusWaiting || tk.WaitingOn != desk.WaitApproval || tk.Type != desk.TypeRequest {
			t.Fatalf("submitted %+v", tk)
		}
		as, err := ps.Approvals(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 2 || as[0].Approver != "ann" || as[1].Approver != "bob" {
			t.Fatalf("approvers %+v (the requester never approves its own request)", as)
		}
		// Two hours waiting for approval do not count.
		now = now.Add(2 * time.Hour)
		if _, err := ps.Decide(ctx, "user:rita", tk.ID, "rita", portal.ViaUI, portal.Decision{Decision: portal.Approve}); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("rita approves her own request: %v", err)
		}
		got, err := ps.Decide(ctx, "user:ann", tk.ID, "ann", portal.ViaUI, portal.Decision{Decision: portal.Approve})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != desk.StatusWaiting {
			t.Fatalf("one of two approvals moved it: %+v", got)
		}
		if _, err := ps.Decide(ctx, "user:ann", tk.ID, "ann", portal.ViaUI, portal.Decision{Decision: portal.Approve}); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("ann decides twice: %v", err)
		}
		got, err = ps.Decide(ctx, "link:bob", tk.ID, "bob", portal.ViaLink, portal.Decision{Decision: portal.Approve})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != desk.StatusOpen {
			t.Fatalf("the quorum did not open it: %+v", got)
		}
		// One more hour of work: the 4 h clock has 1 h elapsed, not 3.
		now = now.Add(time.Hour)
		d, err := ps.Desk.Get(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r := d.SLA.Resolution; r == nil || r.ElapsedSeconds != 3600 || r.PausedSeconds != 7200 {
			t.Fatalf("resolution clock %+v", r)
		}
		var history []string
		for _, c := range d.History {
			if c.Field == "approval" {
				history = append(history, c.Actor+" "+c.Before+">"+c.After)
			}
		}
		want := "user:rita >requested from ann|user:rita >requested from bob|user:ann >approved by ann (ui)|link:bob >approved by bob (link)|link:bob pending>approved"
		if strings.Join(history, "|") != want {
			t.Errorf("history\n%s\nwant\n%s", strings.Join(history, "|"), want)
		}
		// rob of acme sees the shared request; sam of globex does not.
		if _, err := ps.Ticket(ctx, portal.Who{Name: "rob", Organisation: "acme"}, tk.ID); err != nil {
			t.Errorf("rob: %v", err)
		}
		if _, err := ps.Ticket(ctx, portal.Who{Name: "sam", Organisation: "globex"}, tk.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("sam: %v", err)
		}
	})
}

func TestARejectionClosesTheRequest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		ps := approvalStore(t, db, &now)
		rita := portal.Who{Name: "rita", Organisation: "acme"}
		tk, err := ps.Submit(ctx, rita, "user:rita", "access", portal.SubmitInput{Fields: portal.Values{"why": "curious"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ps.Decide(ctx, "user:bob", tk.ID, "bob", portal.ViaAPI, portal.Decision{Decision: portal.Reject}); err == nil {
			t.Fatal("a rejection without a reason")
		}
		got, err := ps.Decide(ctx, "user:bob", tk.ID, "bob", portal.ViaAPI, portal.Decision{Decision: portal.Reject, Reason: "not your team's data"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != desk.StatusClosed {
			t.Fatalf("rejected: %+v", got)
		}
		v, err := ps.Ticket(ctx, rita, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Comments) != 1 || v.Comments[0].Body != "Request rejected by bob: not your team's data" || v.Approval != portal.ApprovalRejected {
			t.Fatalf("the requester sees %+v", v)
		}
		if _, err := ps.Decide(ctx, "user:ann", tk.ID, "ann", portal.ViaUI, portal.Decision{Decision: portal.Approve}); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("approving a rejected request: %v", err)
		}
	})
}
