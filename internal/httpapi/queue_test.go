package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/search"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestBulkIncidents acknowledges and resolves several incidents with one
// request: the answer counts those changed and gives each id's result,
// and bad bodies are refused field by field without changing anything.
func TestBulkIncidents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop"}`, 201)
		a := trigger(t, db, h.engine, incident.Event{Service: "shop", DedupKey: "a", Summary: "a", Severity: "critical"})
		b := trigger(t, db, h.engine, incident.Event{Service: "shop", DedupKey: "b", Summary: "b", Severity: "critical"})
		h.mustDo(auth.Operator, "POST", fmt.Sprintf("/api/v1/incidents/%d/acknowledge", b), "", 200)

		t.Run("refused", func(t *testing.T) {
			for _, c := range []struct {
				name, body, pointer, part string
				role                      auth.Role
				code                      int
			}{
				{"unknown action", fmt.Sprintf(`{"action":"close","ids":[%d]}`, a), "/action", "must be acknowledge or resolve", auth.Operator, 400},
				{"no ids", `{"action":"acknowledge","ids":[]}`, "/ids", "choose at least one incident", auth.Operator, 400},
				{"repeated id", fmt.Sprintf(`{"action":"acknowledge","ids":[%d,%d]}`, a, a), "/ids/1", "repeats incident", auth.Operator, 400},
				{"viewer", fmt.Sprintf(`{"action":"acknowledge","ids":[%d]}`, a), "", "", auth.Viewer, 403},
			} {
				t.Run(c.name, func(t *testing.T) {
					code, body := h.do(c.role, "POST", "/api/v1/incidents/bulk", c.body)
					if code != c.code {
						t.Fatalf("%d %s, want %d", code, body, c.code)
					}
					if c.pointer != "" {
						wantField(t, body, c.pointer, c.part)
					}
				})
			}
			i := decode[httpapi.IncidentDetail](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d", a), "", 200))
			if i.Status != incident.Triggered {
				t.Fatalf("a refused bulk changed incident %d: %s", a, i.Status)
			}
		})

		t.Run("acknowledge", func(t *testing.T) {
			ans := decode[httpapi.BulkAnswer](t, h.mustDo(auth.Operator, "POST", "/api/v1/incidents/bulk",
				fmt.Sprintf(`{"action":"acknowledge","ids":[%d,%d,424242]}`, a, b), 200))
			want := []incident.BulkResult{{ID: a, Status: incident.Acknowledged}, {ID: b, Error: fmt.Sprintf("incident %d is already acknowledged", b)},
				{ID: 424242, Error: "there is no incident 424242"}}
			if ans.Changed != 1 || len(ans.Results) != 3 || ans.Results[0] != want[0] || ans.Results[1] != want[1] || ans.Results[2] != want[2] {
				t.Fatalf("answer %+v, want 1 changed and %+v", ans, want)
			}
			i := decode[httpapi.IncidentDetail](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d", a), "", 200))
			if i.AcknowledgedBy != "token:t-operator" && !strings.Contains(i.AcknowledgedBy, "operator") {
				t.Errorf("acknowledged by %q", i.AcknowledgedBy)
			}
		})

		t.Run("resolve", func(t *testing.T) {
			ans := decode[httpapi.BulkAnswer](t, h.mustDo(auth.Operator, "POST", "/api/v1/incidents/bulk", fmt.Sprintf(`{"action":"resolve","ids":[%d,%d]}`, a, b), 200))
			if ans.Changed != 2 || ans.Results[0].Status != incident.Resolved || ans.Results[1].Status != incident.Resolved {
				t.Fatalf("answer %+v", ans)
			}
		})
	})
}

// TestSearchAPI finds each kind through GET /api/v1/search and names the
// parameter at fault in a bad query.
func TestSearchAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"billing","title":"Billing 50% off","owner":"finance"}`, 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop","owner":"retail"}`, 201)
		id := trigger(t, db, h.engine, incident.Event{Service: "shop", DedupKey: "billing_sync", Summary: "Billing sync stuck", Severity: "critical"})

		res := decode[search.Result](t, h.mustDo(auth.Viewer, "GET", "/api/v1/search?q=BILLING", "", 200))
		got := map[string][]string{}
		for _, g := range res.Groups {
			for _, hit := range g.Hits {
				got[g.Kind] = append(got[g.Kind], hit.URL)
			}
		}
		if len(res.Groups) != len(search.Kinds) || strings.Join(got["services"], ",") != "/services/billing" || strings.Join(got["incidents"], ",") != fmt.Sprintf("/incidents/%d", id) {
			t.Fatalf("search: %+v", res)
		}
		res = decode[search.Result](t, h.mustDo(auth.Viewer, "GET", "/api/v1/search?q=%25&kind=services", "", 200))
		if len(res.Groups) != 1 || len(res.Groups[0].Hits) != 1 || res.Groups[0].Hits[0].Name != "billing" {
			t.Fatalf("a literal %% found %+v", res)
		}

		for _, c := range []struct{ name, query, param, part string }{
			{"no query", "", "q", "type what to look for"},
			{"unknown kind", "?q=x&kind=tickets", "kind", "must be one of"},
			{"bad limit", "?q=x&limit=lots", "limit", "whole number between 1 and 50"},
			{"limit too high", "?q=x&limit=51", "limit", "between 1 and 50"},
		} {
			t.Run(c.name, func(t *testing.T) {
				code, body := h.do(auth.Viewer, "GET", "/api/v1/search"+c.query, "")
				p := decode[httpapi.Problem](t, body)
				if code != 400 || len(p.Errors) == 0 || p.Errors[0].Parameter != c.param || !strings.Contains(p.Errors[0].Detail, c.part) {
					t.Fatalf("%d %s", code, body)
				}
			})
		}
		if code, _ := h.do("", "GET", "/api/v1/search?q=x", ""); code != 401 {
			t.Errorf("anonymous search: %d, want 401", code)
		}
	})
}

// TestAssignIncident assigns an incident through the API, lists by
// assignee and refuses names that are nobody (including "me" for a token).
func TestAssignIncident(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop"}`, 201)
		h.mustDo(auth.Admin, "POST", "/api/v1/users", `{"name":"olivia","password":"correct horse battery","role":"operator"}`, 201)
		a := trigger(t, db, h.engine, incident.Event{Service: "shop", DedupKey: "a", Summary: "a", Severity: "critical"})
		trigger(t, db, h.engine, incident.Event{Service: "shop", DedupKey: "b", Summary: "b", Severity: "critical"})
		path := fmt.Sprintf("/api/v1/incidents/%d/assign", a)

		for _, c := range []struct{ name, body, part string }{
			{"nobody by that name", `{"assignee":"mallory"}`, `there is no person or user "mallory"`},
			{"me, as a token", `{"assignee":"me"}`, "an API token is nobody"},
		} {
			t.Run(c.name, func(t *testing.T) {
				code, body := h.do(auth.Operator, "POST", path, c.body)
				if code != 400 {
					t.Fatalf("%d %s", code, body)
				}
				wantField(t, body, "/assignee", c.part)
			})
		}
		i := decode[incident.Incident](t, h.mustDo(auth.Operator, "POST", path, `{"assignee":"olivia"}`, 200))
		if i.Assignee != "olivia" {
			t.Fatalf("assigned: %+v", i)
		}
		d := decode[httpapi.IncidentDetail](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d", a), "", 200))
		if last := d.Timeline[len(d.Timeline)-1]; last.Message != "assigned to olivia" || last.Actor != "token:t-operator" {
			t.Errorf("timeline ends with %+v", last)
		}
		list := decode[httpapi.List[incident.Incident]](t, h.mustDo(auth.Viewer, "GET", "/api/v1/incidents?assignee=olivia", "", 200))
		if len(list.Items) != 1 || list.Items[0].ID != a {
			t.Fatalf("assigned to olivia: %+v", list)
		}
		code, body := h.do(auth.Viewer, "GET", "/api/v1/incidents?assignee=me", "")
		if p := decode[httpapi.Problem](t, body); code != 400 || p.Errors[0].Parameter != "assignee" {
			t.Fatalf("assignee=me as a token: %d %s", code, body)
		}
	})
}

// TestChangeSeverityAPI changes an incident's severity through the API and
// refuses an unknown one by field.
func TestChangeSeverityAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop"}`, 201)
		a := trigger(t, db, h.engine, incident.Event{Service: "shop", DedupKey: "a", Summary: "a", Severity: "critical"})
		path := fmt.Sprintf("/api/v1/incidents/%d/severity", a)
		code, body := h.do(auth.Operator, "POST", path, `{"severity":"urgent"}`)
		if code != 400 {
			t.Fatalf("%d %s", code, body)
		}
		wantField(t, body, "/severity", "must be one of critical, error, warning, info")
		i := decode[incident.Incident](t, h.mustDo(auth.Operator, "POST", path, `{"severity":"warning"}`, 200))
		if i.Severity != "warning" || i.ServiceState != "degraded" {
			t.Fatalf("after the change: %+v", i)
		}
		h.mustDo(auth.Viewer, "POST", path, `{"severity":"info"}`, 403)
	})
}
