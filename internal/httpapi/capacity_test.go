package httpapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/capacity"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestCapacityHandWorked walks the two cases through the API: a
// 40 h week with a public holiday and half a day off has 28 h; on call the
// whole week (168 h at 0.1), 3 h on incidents and half-time on a project
// is 16.8 + 3 + 14 = 33.8 h of 28 h, over-allocated, said by kind; then
// the over-allocation is resolved by halving the project share.
func TestCapacityHandWorked(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Admin, "POST", "/api/v1/users", `{"name":"ana","password":"correct horse battery","role":"operator"}`, 201)
		h.mustDo(auth.Admin, "POST", "/api/v1/calendars", `{"name":"berlin","timezone":"Europe/Berlin","weekly":[{"days":"mon-fri","from":"09:00","to":"17:00"}],"holidays":["2026-12-08"]}`, 201)
		loc, _ := time.LoadLocation("Europe/Berlin")
		mon := capacity.MustDay("2026-12-07").Start(loc)
		h.capacitySources = capacity.Sources{
			People: func() []string { return []string{"ana"} },
			OnCall: func(from, to time.Time) map[string][]capacity.Span {
				return map[string][]capacity.Span{"ana": {{Start: mon, End: mon.Add(168 * time.Hour)}}}
			},
			Holidays: func(cal string) []capacity.Day {
				if cal == "berlin" {
					return []capacity.Day{capacity.MustDay("2026-12-08")}
				}
				return nil
			},
		}
		h.mustDo(auth.Operator, "PUT", "/api/v1/capacity/people/ana", `{"team":"ops","zone":"Europe/Berlin","calendar":"berlin",
			"hours":{"mon":8,"tue":8,"wed":8,"thu":8,"fri":8,"sat":0,"sun":0},"skills":[{"name":"postgres","level":4}],"desk":[]}`, 200)
		h.mustDo(auth.Operator, "POST", "/api/v1/capacity/people/ana/time-off", `{"from":"2026-12-10","to":"2026-12-10","hours":4,"approved":true}`, 201)

		rep := decode[capacity.Report](t, h.mustDo(auth.Viewer, "GET", "/api/v1/capacity?from=2026-12-07&to=2026-12-13", "", 200))
		if w := rep.People[0].Weeks[0]; w.CapacityHours != 28 || w.HolidayHours != 8 || w.TimeOffHours != 4 || w.OnCallHours != 16.8 {
			t.Fatalf("week = %+v, want 28 h capacity and 16.8 h on call", w)
		}

		h.capacitySources.Incidents = func(context.Context, time.Time, time.Time) (map[string][]capacity.Span, error) {
			return map[string][]capacity.Span{"ana": {{Start: mon.Add(50 * time.Hour), End: mon.Add(53 * time.Hour)}}}, nil
		}
		h.mustDo(auth.Operator, "POST", "/api/v1/projects", `{"name":"erp","status":"confirmed","start":"2026-12-01","end":"2027-03-31","budget_hours":300}`, 201)
		alloc := decode[capacity.AllocationRecord](t, h.mustDo(auth.Operator, "POST", "/api/v1/allocations",
			`{"project":"erp","person":"ana","from":"2026-12-01","to":"2026-12-31","share":0.5}`, 201))
		rep = decode[capacity.Report](t, h.mustDo(auth.Viewer, "GET", "/api/v1/capacity?from=2026-12-07&to=2026-12-13&team=ops", "", 200))
		w := rep.People[0].Weeks[0]
		if w.OnCallHours != 16.8 || w.IncidentHours != 3 || w.ProjectHours != 14 || w.AllocatedHours != 33.8 || !w.OverAllocated || w.OverHours != 5.8 || *w.Utilisation != 1.2071 {
			t.Fatalf("week = %+v", w)
		}
		if len(rep.Warnings) == 0 || rep.Warnings[0].Message != "ana is over-allocated in 2026-W50: 33.80 h asked of 28 h (projects 14, on-call 16.80, incidents 3, desk 0)" {
			t.Fatalf("warnings = %+v", rep.Warnings)
		}

		h.mustDo(auth.Operator, "DELETE", fmt.Sprintf("/api/v1/allocations/%d", alloc.ID), "", 204)
		h.mustDo(auth.Operator, "POST", "/api/v1/allocations", `{"project":"erp","person":"ana","from":"2026-12-01","to":"2026-12-31","share":0.25}`, 201)
		rep = decode[capacity.Report](t, h.mustDo(auth.Viewer, "GET", "/api/v1/capacity?from=2026-12-07&to=2026-12-13", "", 200))
		if w := rep.People[0].Weeks[0]; w.AllocatedHours != 26.8 || w.OverAllocated || w.FreeHours != 1.2 {
			t.Fatalf("after the change: %+v", w)
		}
		pf := decode[capacity.ProjectFigures](t, h.mustDo(auth.Viewer, "GET", "/api/v1/projects/erp", "", 200))
		if len(pf.Allocations) != 1 || pf.PlannedHours == 0 {
			t.Fatalf("project = %+v", pf)
		}
	})
}

func TestCapacityBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Admin, "POST", "/api/v1/users", `{"name":"ana","password":"correct horse battery","role":"operator"}`, 201)
		for _, c := range []struct{ method, path, body, pointer, part string }{
			{"PUT", "/api/v1/capacity/people/ana", `{"zone":"Nowhere/Else","hours":{"mon":30}}`, "/zone", "unknown time zone"},
			{"PUT", "/api/v1/capacity/people/ana", `{"zone":"UTC","hours":{"mon":30}}`, "/hours/mon", "between 0 and 24"},
			{"PUT", "/api/v1/capacity/people/zed", `{"zone":"UTC"}`, "/person", "unknown person"},
			{"POST", "/api/v1/capacity/people/ana/time-off", `{"from":"2026-13-01","to":"2026-12-01"}`, "/from", "YYYY-MM-DD"},
			{"POST", "/api/v1/projects", `{"name":"erp","status":"maybe","start":"2026-12-01","end":"2026-11-01"}`, "/status", "tentative, confirmed, done or cancelled"},
			{"POST", "/api/v1/allocations", `{"project":"nope","person":"ana","from":"2026-12-01","to":"2026-12-02","share":2}`, "/project", "unknown project"},
			{"GET", "/api/v1/capacity?from=yesterday", "", "", ""},
		} {
			code, body := h.do(auth.Operator, c.method, c.path, c.body)
			if code != 400 {
				t.Fatalf("%s %s %s = %d %s, want 400", c.method, c.path, c.body, code, body)
			}
			if c.pointer != "" {
				wantField(t, body, c.pointer, c.part)
			}
		}
		if ps := decode[[]capacity.Project](t, h.mustDo(auth.Viewer, "GET", "/api/v1/projects", "", 200)); len(ps) != 0 {
			t.Fatalf("a refused project was stored: %+v", ps)
		}
		h.mustDo(auth.Viewer, "POST", "/api/v1/projects", `{"name":"erp","status":"confirmed","start":"2026-12-01","end":"2026-12-31"}`, 403)
	})
}
