package httpapi_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestPeopleSchedulesStatusPagesAPI walks the writes of people, schedules
// and status pages: PUT creates (201) then replaces (200), every mistake
// named by its field, a webhook URL shown as [set] and kept by sending
// [set], the file's person read-only (403), removal of what a schedule or
// policy names refused naming it (409), a schedule previewed before it is
// saved, and the roles.
func TestPeopleSchedulesStatusPagesAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop","objective":{"availability":"99%"}}`, 201)
		rota := `{"timezone":"Europe/Berlin","layers":[{"rotation":"weekly","handoff":"mon 09:00","members":["bob","filed"],"start":"2026-01-05"}]}`
		steps := []struct {
			name         string
			role         auth.Role
			method, path string
			body         string
			code         int
			want         []string
			refuse       []string
		}{
			{"an operator cannot add people", auth.Operator, "PUT", "/api/v1/people/bob", `{}`, 403, nil, nil},
			{"every mistake named", auth.Admin, "PUT", "/api/v1/people/bob", `{"timezone":"Mars/Olympus","email":"not-mail"}`, 400,
				[]string{`"/timezone"`, `unknown time zone \"Mars/Olympus\"`, `"/email"`}, nil},
			{"a misspelt key", auth.Admin, "PUT", "/api/v1/people/bob", `{"emial":"bob@example.com"}`, 400, []string{"emial"}, nil},
			{"a renaming body", auth.Admin, "PUT", "/api/v1/people/bob", `{"name":"robert"}`, 400, []string{"renaming is not supported"}, nil},
			{"a person is created", auth.Admin, "PUT", "/api/v1/people/bob", `{"display_name":"Bob","slack":"https://hooks.slack.example/services/T/B/very-secret"}`, 201,
				[]string{`"slack":"[set]"`, `"source":"api"`}, []string{"very-secret"}},
			{"and replaced, the URL kept", auth.Admin, "PUT", "/api/v1/people/bob", `{"display_name":"Bobby","slack":"[set]"}`, 200, []string{`"display_name":"Bobby"`, `"slack":"[set]"`}, nil},
			{"a viewer reads them", auth.Viewer, "GET", "/api/v1/people/bob", "", 200, []string{`"Bobby"`}, []string{"very-secret"}},
			{"the file's person is read-only", auth.Admin, "PUT", "/api/v1/people/filed", `{"display_name":"F"}`, 403, []string{"declared in sextant.yaml"}, nil},
			{"nor removed", auth.Admin, "DELETE", "/api/v1/people/filed", "", 403, []string{"declared in sextant.yaml"}, nil},
			{"a preview naming a stranger", auth.Admin, "POST", "/api/v1/schedules/primary/preview", strings.Replace(rota, `"filed"`, `"carol"`, 1), 400,
				[]string{`/layers/0/members/1`, `unknown user \"carol\"`}, nil},
			{"a schedule is created", auth.Admin, "PUT", "/api/v1/schedules/primary", rota, 201, []string{`"name":"primary"`, `"source":"api"`}, nil},
			{"a policy pages it", auth.Admin, "POST", "/api/v1/escalation-policies", `{"name":"day","levels":[{"delay":"0m","notify":["schedule:primary","user:bob"]}]}`, 201, nil, nil},
			{"a person in use", auth.Admin, "DELETE", "/api/v1/people/bob", "", 409, []string{`used by schedule \"primary\" and escalation policy \"day\"`}, nil},
			{"a schedule in use", auth.Admin, "DELETE", "/api/v1/schedules/primary", "", 409, []string{`used by escalation policy \"day\"`}, nil},
			{"a page on an unknown service", auth.Admin, "PUT", "/api/v1/status-pages/public", `{"title":"Example status","groups":[{"title":"Shop","services":["shop","nope"]}]}`, 400,
				[]string{`/groups/0/services/1`, `unknown service \"nope\"`}, nil},
			{"a page without a title", auth.Admin, "PUT", "/api/v1/status-pages/public", `{"groups":[{"title":"Shop","services":["shop"]}]}`, 400, []string{`"/title"`, "is required"}, nil},
			{"a page is created", auth.Admin, "PUT", "/api/v1/status-pages/public", `{"title":"Example status","groups":[{"title":"Shop","services":["shop"]}],"display_names":{"shop":"Web shop"}}`, 201,
				[]string{`/status/public"`, `"Web shop"`}, nil},
			{"pages are listed", auth.Viewer, "GET", "/api/v1/status-pages", "", 200, []string{`"name":"public"`, `"url":"http://`}, nil},
			{"an operator cannot remove a page", auth.Operator, "DELETE", "/api/v1/status-pages/public", "", 403, nil, nil},
			{"a page is removed", auth.Admin, "DELETE", "/api/v1/status-pages/public", "", 204, nil, nil},
			{"and gone", auth.Viewer, "GET", "/api/v1/status-pages/public", "", 404, nil, nil},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				code, raw := h.do(st.role, st.method, st.path, st.body)
				var c bytes.Buffer
				b := raw
				if json.Compact(&c, raw) == nil {
					b = c.Bytes()
				}
				if code != st.code {
					t.Fatalf("%s %s = %d, want %d: %s", st.method, st.path, code, st.code, b)
				}
				for _, w := range st.want {
					if !strings.Contains(string(b), w) {
						t.Errorf("answer lacks %q: %s", w, b)
					}
				}
				for _, w := range st.refuse {
					if strings.Contains(string(b), w) {
						t.Errorf("answer shows %q: %s", w, b)
					}
				}
			})
		}

		// The preview of the saved rotation: two weeks of weekly turns,
		// handed over on Mondays at 09:00 Berlin time, bob and filed in
		// turn.
		var prev struct {
			Shifts []struct {
				User  string
				Start string
			}
		}
		if err := json.Unmarshal(h.mustDo(auth.Admin, "POST", "/api/v1/schedules/primary/preview", rota, 200), &prev); err != nil {
			t.Fatal(err)
		}
		if len(prev.Shifts) < 2 || len(prev.Shifts) > 3 {
			t.Fatalf("preview = %+v, want 2 or 3 weekly shifts over 14 days", prev.Shifts)
		}
		for i, s := range prev.Shifts[1:] {
			if s.User == prev.Shifts[i].User {
				t.Fatalf("preview = %+v: turns do not alternate", prev.Shifts)
			}
			if !strings.Contains(s.Start, "T08:00:00Z") && !strings.Contains(s.Start, "T09:00:00+01:00") {
				t.Fatalf("hand-off at %s, want Monday 09:00 Berlin (08:00 UTC in winter)", s.Start)
			}
		}
	})
}
