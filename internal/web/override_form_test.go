package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestScheduleOverrideForms walks "take this shift" and "cover from … to
// …" on a schedule's page: each changes who is on call, a bad one comes
// back with every problem by its field and changes nothing, and viewers
// get no buttons.
func TestScheduleOverrideForms(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newOnCallEnv(t, db)
		// alice is a person in the directory and an operator account;
		// olivia is an operator but no person.
		if _, err := e.auth.CreateUser(context.Background(), "test", auth.NewUser{Name: "alice", Password: testPassword, Role: auth.Operator}); err != nil {
			t.Fatal(err)
		}
		alice, op, viewer := e.login("alice"), e.login("olivia"), e.login("victor")
		path := "/oncall/schedules/primary/overrides"

		_, body := e.get("/oncall/schedules/primary", &viewer)
		wantNotContains(t, body, "Take this shift", "Save the override")
		_, body = e.get("/oncall/schedules/primary", &op)
		wantContains(t, body, "Save the override", "Your account is not a person in the on-call directory")
		wantNotContains(t, body, ">Take this shift</button>")

		t.Run("take this shift", func(t *testing.T) {
			_, body := e.get("/oncall/schedules/primary", &alice)
			// bob's shift after carol's override, 15:00 CET to 09:00 CEST.
			wantContains(t, body, `aria-label="Take bob's shift from Sat 28 Mar 15:00 CET to Sun 29 Mar 09:00 CEST"`)
			res, _ := e.post(path, url.Values{"take": {"1"}, "start": {"2026-03-28T14:00:00Z"}, "end": {"2026-03-29T07:00:00Z"}}, &alice)
			if got := location(t, res); got != "/oncall/schedules/primary?done=override#overrides" {
				t.Fatalf("take went to %q", got)
			}
			_, body = e.get("/oncall/schedules/primary?at=2026-03-28T20:00", &alice)
			wantContains(t, body, "<strong>alice</strong> is on call.", "(by alice)")
		})

		t.Run("an account that is no person cannot take a shift", func(t *testing.T) {
			res, body := e.post(path, url.Values{"take": {"1"}, "start": {"2026-03-29T07:00:00Z"}, "end": {"2026-03-30T07:00:00Z"}}, &op)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `your account &#34;olivia&#34; is not a person in the on-call directory`)
		})

		t.Run("cover from to", func(t *testing.T) {
			res, _ := e.post(path, url.Values{"user": {"dave"}, "start": {"2026-03-30T10:00"}, "end": {"2026-03-30T12:00"}, "note": {"training"}}, &op)
			if got := location(t, res); got != "/oncall/schedules/primary?done=override#overrides" {
				t.Fatalf("cover went to %q", got)
			}
			// Read in the schedule's zone: 10:00 CEST is 08:00 UTC.
			_, body := e.get("/oncall/schedules/primary?at=2026-03-30T10:30", &op)
			wantContains(t, body, "<strong>dave</strong> is on call.", `<time datetime="2026-03-30T08:00:00Z"`, "(by olivia: training)")
		})

		t.Run("bad input names every field and changes nothing", func(t *testing.T) {
			before, err := e.overrides.List(context.Background(), "primary", testNow)
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name string
				form url.Values
				want []string
			}{
				{"end before start, unknown person", url.Values{"user": {"zed"}, "start": {"2026-03-30T12:00"}, "end": {"2026-03-30T10:00"}},
					[]string{"2 problems to fix", `unknown person &#34;zed&#34;`, "must be after the start (2026-03-30T10:00:00Z)", `value="2026-03-30T12:00"`}},
				{"not a time", url.Values{"user": {"bob"}, "start": {"soon"}, "end": {"2026-03-30T10:00"}},
					[]string{`<a href="#` + fieldID("start") + `">From</a>: Expected a date and time`, `aria-invalid="true"`}},
				{"nothing given", url.Values{}, []string{"Person</a>: is required", "From</a>: is required", "To</a>: is required"}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					res, body := e.post(path, c.form, &op)
					wantStatus(t, res, http.StatusUnprocessableEntity)
					wantContains(t, body, c.want...)
				})
			}
			after, err := e.overrides.List(context.Background(), "primary", testNow)
			if err != nil || len(after) != len(before) {
				t.Errorf("stored %d overrides after refused forms, want %d (%v)", len(after), len(before), err)
			}
		})

		t.Run("remove", func(t *testing.T) {
			stored, err := e.overrides.List(context.Background(), "primary", testNow)
			if err != nil || len(stored) != 2 {
				t.Fatalf("stored: %+v %v", stored, err)
			}
			del := path + "/" + strconv.FormatInt(stored[1].ID, 10) + "/delete"
			res, _ := e.post(del, nil, &viewer)
			wantStatus(t, res, http.StatusForbidden)
			res, _ = e.post(del, nil, &op)
			if got := location(t, res); got != "/oncall/schedules/primary?done=removed#overrides" {
				t.Fatalf("remove went to %q", got)
			}
			_, body := e.get("/oncall/schedules/primary?at=2026-03-30T10:30&done=removed", &op)
			wantContains(t, body, "<strong>bob</strong> is on call.", "The override was removed.")
			res, _ = e.post(del, nil, &op)
			wantStatus(t, res, http.StatusNotFound)
		})
	})
}

// TestDashboardWarnsOfUnreachableOnCall: dave is on call in "backup" and
// has no contact method, so the dashboard says paging him reaches nobody;
// carol, on call in "primary", has one and gets no warning.
func TestDashboardWarnsOfUnreachableOnCall(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newOnCallEnv(t, db)
		viewer := e.login("victor")
		for _, path := range []string{"/", "/dashboard/fragment"} {
			t.Run(path, func(t *testing.T) {
				res, body := e.get(path, &viewer)
				wantStatus(t, res, http.StatusOK)
				wantContains(t, body, `<strong>dave</strong> is on call now (schedule <a href="/oncall/schedules/backup">backup</a>) but has no working contact method`)
				wantNotContains(t, body, `<strong>carol</strong> is on call now`)
			})
		}
	})
}
