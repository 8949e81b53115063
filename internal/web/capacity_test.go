package web

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/capacity"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// capacityEnv is a UI with the capacity pages, knowing the env's users.
func capacityEnv(t *testing.T, db *store.DB, now time.Time) *env {
	var e *env
	e = newEnv(t, db, func(d *Deps) {
		d.Now = func() time.Time { return now }
		d.Capacity = &capacity.Deps{Store: &capacity.Store{DB: db, Now: func() time.Time { return now }},
			Sources: func() capacity.Sources { return capacity.Sources{} },
			Known: func(ctx context.Context) capacity.Known {
				return capacity.Known{Person: func(n string) bool { _, err := e.auth.GetUser(ctx, n); return err == nil }}
			}}
	})
	return e
}

// TestCapacityPages walks the planner from forms: a project, a person's
// week and allocation that over-allocates them (loud on the planner), a
// refused form that names each field and keeps what was typed, and the
// over-allocation resolved by removing the allocation.
func TestCapacityPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
		e := capacityEnv(t, db, now)
		op, viewer := e.login("olivia"), e.login("victor")

		res, body := e.post("/projects/new", url.Values{"name": {"erp"}, "status": {"confirmed"}, "start": {"2026-11-30"}, "end": {"2027-01-31"}, "budget_hours": {"200"}}, &op)
		wantStatus(t, res, 303)
		res, body = e.post("/capacity/people/olivia", url.Values{"profile.zone": {"UTC"}, "profile.team": {"ops"},
			"profile.hours.mon": {"8"}, "profile.hours.tue": {"8"}, "profile.hours.wed": {"8"}, "profile.hours.thu": {"8"}, "profile.hours.fri": {"8"},
			"profile.skills": {"postgres:4"}}, &op)
		wantStatus(t, res, 303)

		// A refused allocation names each field and keeps the input.
		res, body = e.post("/capacity/people/olivia/allocations", url.Values{"alloc.project": {"erp"}, "alloc.from": {"2026-12-09"}, "alloc.to": {"2026-12-01"},
			"alloc.share": {"lots"}}, &op)
		wantStatus(t, res, 422)
		wantContains(t, body, "2 problems to fix", "must not be before from (2026-12-09)", `expected a number, got &#34;lots&#34;`, `value="2026-12-09"`)

		res, _ = e.post("/capacity/people/olivia/allocations", url.Values{"alloc.project": {"erp"}, "alloc.from": {"2026-11-30"}, "alloc.to": {"2026-12-31"},
			"alloc.hours_per_day": {"10"}}, &op)
		wantStatus(t, res, 303)
		res, body = e.get("/capacity?from=2026-11-30&weeks=4", &viewer)
		wantStatus(t, res, 200)
		wantContains(t, body, `<a href="/capacity/people/olivia">olivia</a>`, `<td class="cell over"`, "125 %", "olivia is over-allocated in 2026-W49: 50 h asked of 40 h")

		res, body = e.get("/capacity/people/olivia", &op)
		wantStatus(t, res, 200)
		wantContains(t, body, "over by 10 h", `<a href="/projects/erp">erp</a>`)
		allocs, _, _ := (&capacity.Store{DB: db, Now: time.Now}).Allocations(context.Background(), capacity.AllocationFilter{Person: "olivia"})
		if len(allocs) != 1 {
			t.Fatalf("allocations = %+v, want the one made", allocs)
		}
		res, _ = e.post("/capacity/allocations/"+itoa(allocs[0].ID)+"/delete", url.Values{"back": {"/capacity/people/olivia#allocations"}}, &op)
		wantStatus(t, res, 303)
		if loc := res.Header.Get("Location"); loc != "/capacity/people/olivia#allocations" {
			t.Fatalf("back to %q", loc)
		}
		_, body = e.get("/capacity?from=2026-11-30&weeks=4", &viewer)
		wantNotContains(t, body, `<td class="cell over"`)

		// Viewers read but cannot change.
		res, _ = e.post("/projects/new", url.Values{"name": {"crm"}, "status": {"confirmed"}, "start": {"2026-11-30"}, "end": {"2027-01-31"}}, &viewer)
		wantStatus(t, res, 403)
		_, body = e.get("/projects", &viewer)
		wantContains(t, body, `<a href="/projects/erp">erp</a>`)
		wantNotContains(t, body, "crm")
	})
}
