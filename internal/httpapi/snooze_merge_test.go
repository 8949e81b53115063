package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestSnoozeAPI snoozes an acknowledged incident through the API, and
// names what is wrong with a bad request.
func TestSnoozeAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.engine.SnoozeEscalation = escalation.Snooze
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop"}`, 201)
		a := trigger(t, db, h.engine, incident.Event{Service: "shop", DedupKey: "a", Summary: "a", Severity: "critical", Escalation: "default"})
		path := fmt.Sprintf("/api/v1/incidents/%d/snooze", a)
		for _, c := range []struct {
			name, body, pointer, part string
			role                      auth.Role
			code                      int
		}{
			{"triggered", `{"minutes":15}`, "", "acknowledge it before snoozing it", auth.Operator, 409},
			{"zero", `{"minutes":0}`, "/minutes", "from 1 to 10080", auth.Operator, 400},
			{"too long", `{"minutes":10081}`, "/minutes", "from 1 to 10080", auth.Operator, 400},
			{"not a number", `{"minutes":"soon"}`, "/minutes", "", auth.Operator, 400},
			{"unknown field", `{"minutes":15,"hours":1}`, "/hours", "", auth.Operator, 400},
			{"viewer", `{"minutes":15}`, "", "", auth.Viewer, 403},
		} {
			t.Run(c.name, func(t *testing.T) {
				code, body := h.do(c.role, "POST", path, c.body)
				if code != c.code || !strings.Contains(string(body), c.part) {
					t.Fatalf("%d %s, want %d with %q", code, body, c.code, c.part)
				}
				if c.pointer != "" {
					wantField(t, body, c.pointer, c.part)
				}
			})
		}
		h.mustDo(auth.Operator, "POST", fmt.Sprintf("/api/v1/incidents/%d/acknowledge", a), "", 200)
		i := decode[incident.Incident](t, h.mustDo(auth.Operator, "POST", path, `{"minutes":60}`, 200))
		if i.SnoozedUntil == nil || i.Status != incident.Acknowledged {
			t.Fatalf("snoozed: %+v", i)
		}
		d := decode[httpapi.IncidentDetail](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d", a), "", 200))
		if d.SnoozedUntil == nil || !strings.Contains(d.Timeline[len(d.Timeline)-1].Message, "snoozed for 1 h") {
			t.Fatalf("detail after the snooze: %+v", d)
		}
	})
}

// TestMergeAPI merges through the API and refuses what makes no sense,
// field by field.
func TestMergeAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop"}`, 201)
		a := trigger(t, db, h.engine, incident.Event{Service: "shop", DedupKey: "a", Summary: "a", Severity: "critical"})
		b := trigger(t, db, h.engine, incident.Event{Service: "shop", DedupKey: "b", Summary: "b", Severity: "critical"})
		path := fmt.Sprintf("/api/v1/incidents/%d/merge", a)
		for _, c := range []struct {
			name, body, pointer, part string
			role                      auth.Role
			code                      int
		}{
			{"into itself", fmt.Sprintf(`{"sources":[%d]}`, a), "/sources/0", "cannot be merged into itself", auth.Operator, 400},
			{"none", `{"sources":[]}`, "/sources", "choose at least one", auth.Operator, 400},
			{"unknown", `{"sources":[424242]}`, "/sources/0", "there is no incident 424242", auth.Operator, 400},
			{"viewer", fmt.Sprintf(`{"sources":[%d]}`, b), "", "", auth.Viewer, 403},
		} {
			t.Run(c.name, func(t *testing.T) {
				code, body := h.do(c.role, "POST", path, c.body)
				if code != c.code {
					t.Fatalf("%d %s, want %d", code, body, c.code)
				}
				if c.pointer != "" {
					wantField(t, body, c.pointer, c.part)
				}
			})
		}
		i := decode[incident.Incident](t, h.mustDo(auth.Operator, "POST", path, fmt.Sprintf(`{"sources":[%d]}`, b), 200))
		if i.EventCount != 2 {
			t.Fatalf("target after the merge: %+v", i)
		}
		src := decode[httpapi.IncidentDetail](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d", b), "", 200))
		if src.Status != incident.Resolved || src.MergedInto == nil || *src.MergedInto != a {
			t.Fatalf("source after the merge: %+v", src.Incident)
		}
		code, body := h.do(auth.Operator, "POST", fmt.Sprintf("/api/v1/incidents/%d/merge", b), fmt.Sprintf(`{"sources":[%d]}`, a))
		if code != 409 || !strings.Contains(string(body), "merge into an open incident") {
			t.Fatalf("merge into a resolved incident: %d %s", code, body)
		}
	})
}
