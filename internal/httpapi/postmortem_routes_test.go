package httpapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/postmortem"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// pmClock is the incident engine's clock in these tests, moved by hand;
// the reporter judges as of testNow, a day later.
type pmClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *pmClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *pmClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// trigger opens an incident through the engine, as an alert would.
func trigger(t *testing.T, db *store.DB, e *incident.Engine, ev incident.Event) int64 {
	t.Helper()
	if ev.Action == "" {
		ev.Action = incident.ActionTrigger
	}
	if ev.Integration == "" {
		ev.Integration = "test"
	}
	if ev.Body == nil {
		ev.Body = []byte("{}")
	}
	var out []incident.Outcome
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		out, _, err = e.Apply(context.Background(), tx, []incident.Event{ev})
		return err
	})
	if err != nil {
		t.Fatalf("trigger: %v", err)
	}
	return out[0].IncidentID
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, b)
	}
	return v
}

// wantField checks a 400 problem names pointer with a detail containing
// part.
func wantField(t *testing.T, b []byte, pointer, part string) {
	t.Helper()
	p := decode[httpapi.Problem](t, b)
	for _, e := range p.Errors {
		if e.Pointer == pointer && strings.Contains(e.Detail, part) {
			return
		}
	}
	t.Fatalf("no error at %s mentioning %q: %s", pointer, part, b)
}

var incidentStart = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// TestPostmortemLifecycle starts a post-mortem of an incident that kept a
// 24x7 service down for 30 minutes and checks its impact by hand: the
// database (downtime cost 1200/h) is down 30m costing 600; payroll, which
// depends on it hard, is down 30m (no cost declared); portal, which
// depends on payroll softly and counts degraded time at half, is degraded
// for 30m, counted as 15m costing 100 × 0.25 h = 25.
func TestPostmortemLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		clk := &pmClock{t: incidentStart}
		h.engine.Now = clk.Now
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"database","objective":{"hours":"24x7","availability":"99.9%","downtime_cost":1200}}`, 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"payroll","depends_on":[{"service":"database","kind":"hard"}]}`, 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"portal","depends_on":[{"service":"payroll","kind":"soft"}],
			"objective":{"availability":"99%","degraded":0.5,"downtime_cost":100}}`, 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"unrelated"}`, 201)

		id := trigger(t, db, h.engine, incident.Event{Service: "database", DedupKey: "db-down", Summary: "database unreachable", Severity: "critical", ServiceState: "down"})
		path := fmt.Sprintf("/api/v1/incidents/%d/postmortem", id)
		// Not while the incident is open.
		code, b := h.do(auth.Operator, "POST", path, "")
		if code != 409 || !strings.Contains(string(b), "resolved") {
			t.Fatalf("post-mortem of an open incident: %d %s", code, b)
		}
		clk.Set(incidentStart.Add(30 * time.Minute))
		h.mustDo(auth.Operator, "POST", fmt.Sprintf("/api/v1/incidents/%d/notes", id), `{"text":"failed over to the replica"}`, 200)
		h.mustDo(auth.Operator, "POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", id), "", 200)
		h.mustDo(auth.Viewer, "POST", path, "", 403)

		pm := decode[postmortem.Postmortem](t, h.mustDo(auth.Operator, "POST", path, "", 201))
		if pm.Status != postmortem.Draft || pm.IncidentID != id || pm.Title != "Post-mortem: database unreachable" {
			t.Fatalf("created = %+v", pm)
		}
		imp := pm.Impact
		if !imp.From.Equal(incidentStart) || !imp.To.Equal(incidentStart.Add(30*time.Minute)) {
			t.Fatalf("span = %s – %s", imp.From, imp.To)
		}
		if imp.Downtime.Duration() != 30*time.Minute || imp.DowntimeCost != 600 {
			t.Fatalf("impact = %s, %v; want 30m, 600", imp.Downtime.Duration(), imp.DowntimeCost)
		}
		type row struct {
			service, effect, via string
			downtime             time.Duration
			cost                 float64
		}
		want := []row{
			{"database", "down", "", 30 * time.Minute, 600},
			{"payroll", "down", "database", 30 * time.Minute, 0},
			{"portal", "degraded", "payroll,database", 15 * time.Minute, 25},
		}
		if len(imp.Affected) != len(want) {
			t.Fatalf("affected = %+v", imp.Affected)
		}
		for i, w := range want {
			a := imp.Affected[i]
			got := row{a.Service, a.Effect, strings.Join(a.Via, ","), a.Downtime.Duration(), a.DowntimeCost}
			if got != w {
				t.Errorf("affected[%d] = %+v, want %+v", i, got, w)
			}
		}
		// The figures are the availability report's over the same span.
		rep := decode[struct {
			Downtime     float64 `json:"downtime_seconds"`
			DowntimeCost float64 `json:"downtime_cost"`
		}](t, h.mustDo(auth.Viewer, "GET", "/api/v1/services/portal/report?from=2026-11-20T10:00:00Z&to=2026-11-20T10:30:00Z", "", 200))
		if rep.Downtime != imp.Affected[2].Downtime.Float() || rep.DowntimeCost != imp.Affected[2].DowntimeCost {
			t.Errorf("portal report %+v differs from the post-mortem's %+v", rep, imp.Affected[2])
		}
		// The timeline was copied with the note.
		var kinds []string
		for _, e := range pm.Timeline {
			kinds = append(kinds, e.Kind+":"+e.Message)
		}
		if len(pm.Timeline) != 3 || !strings.Contains(strings.Join(kinds, "|"), "note:failed over to the replica") {
			t.Fatalf("timeline = %v", kinds)
		}
		// One post-mortem per incident.
		h.mustDo(auth.Operator, "POST", path, "", 409)
		h.mustDo(auth.Viewer, "GET", path, "", 200)
		pmPath := fmt.Sprintf("/api/v1/postmortems/%d", pm.ID)

		// Edits and status transitions.
		pm = decode[postmortem.Postmortem](t, h.mustDo(auth.Operator, "PUT", pmPath,
			`{"summary":"The database was unreachable.","root_cause":"A full disk.","contributing_factors":"No disk alert.","lessons":"Alert at 80%."}`, 200))
		if pm.RootCause != "A full disk." || pm.Title != "Post-mortem: database unreachable" {
			t.Fatalf("after edit: %+v", pm)
		}
		code, b = h.do(auth.Operator, "PUT", pmPath, `{"status":"published"}`)
		if code != 400 {
			t.Fatalf("draft → published: %d %s", code, b)
		}
		wantField(t, b, "/status", "in_review")
		code, b = h.do(auth.Operator, "PUT", pmPath, `{"status":"finished"}`)
		if code != 400 {
			t.Fatalf("unknown status: %d", code)
		}
		wantField(t, b, "/status", "must be")
		code, b = h.do(auth.Operator, "PUT", pmPath, `{"title":"  "}`)
		if code != 400 {
			t.Fatalf("empty title: %d", code)
		}
		wantField(t, b, "/title", "required")
		code, b = h.do(auth.Operator, "PUT", pmPath, `{"colour":"red"}`)
		if code != 400 {
			t.Fatalf("unknown field: %d", code)
		}
		wantField(t, b, "/colour", "unknown field")
		h.mustDo(auth.Operator, "PUT", pmPath, `{"status":"in_review"}`, 200)
		h.mustDo(auth.Operator, "POST", pmPath+"/refresh-impact", "", 409)
		h.mustDo(auth.Operator, "PUT", pmPath, `{"status":"draft"}`, 200)
		pm = decode[postmortem.Postmortem](t, h.mustDo(auth.Operator, "POST", pmPath+"/refresh-impact", "", 200))
		if pm.Impact.DowntimeCost != 600 || len(pm.Impact.Affected) != 3 {
			t.Fatalf("refreshed impact = %+v", pm.Impact)
		}
		h.mustDo(auth.Operator, "PUT", pmPath, `{"status":"in_review"}`, 200)
		pm = decode[postmortem.Postmortem](t, h.mustDo(auth.Operator, "PUT", pmPath, `{"status":"published"}`, 200))
		if pm.Status != postmortem.Published || pm.PublishedAt == nil {
			t.Fatalf("published = %+v", pm)
		}
		// Published is final.
		h.mustDo(auth.Operator, "PUT", pmPath, `{"status":"draft"}`, 409)
		h.mustDo(auth.Operator, "PUT", pmPath, `{"lessons":"changed"}`, 409)

		// Action items, still open to follow-up after publication.
		items := pmPath + "/action-items"
		it := decode[postmortem.Item](t, h.mustDo(auth.Operator, "POST", items, `{"title":"Alert on disk usage","owner":"olivia","due":"2026-12-01"}`, 201))
		if it.State != postmortem.Open || it.Owner != "olivia" || it.Due != "2026-12-01" {
			t.Fatalf("item = %+v", it)
		}
		second := decode[postmortem.Item](t, h.mustDo(auth.Operator, "POST", items, `{"title":"Grow the volume | twice"}`, 201))
		code, b = h.do(auth.Operator, "POST", items, `{"title":"x","due":"1 Dec"}`)
		if code != 400 {
			t.Fatalf("bad due: %d", code)
		}
		wantField(t, b, "/due", "date")
		code, b = h.do(auth.Operator, "POST", items, `{"title":"x","state":"maybe"}`)
		if code != 400 {
			t.Fatalf("bad state: %d", code)
		}
		wantField(t, b, "/state", "open, done or wont_do")
		it = decode[postmortem.Item](t, h.mustDo(auth.Operator, "PUT", fmt.Sprintf("%s/%d", items, it.ID), `{"title":"Alert on disk usage","owner":"olivia","due":"2026-12-01","state":"done"}`, 200))
		if it.State != postmortem.Done {
			t.Fatalf("updated item = %+v", it)
		}
		h.mustDo(auth.Operator, "PUT", fmt.Sprintf("%s/%d", items, 999), `{"title":"x"}`, 404)
		h.mustDo(auth.Operator, "PUT", fmt.Sprintf("/api/v1/postmortems/999/action-items/%d", it.ID), `{"title":"x"}`, 404)
		h.mustDo(auth.Viewer, "DELETE", fmt.Sprintf("%s/%d", items, second.ID), "", 403)
		third := decode[postmortem.Item](t, h.mustDo(auth.Operator, "POST", items, `{"title":"Delete me"}`, 201))
		h.mustDo(auth.Operator, "DELETE", fmt.Sprintf("%s/%d", items, third.ID), "", 204)
		pm = decode[postmortem.Postmortem](t, h.mustDo(auth.Viewer, "GET", pmPath, "", 200))
		if len(pm.ActionItems) != 2 {
			t.Fatalf("items = %+v", pm.ActionItems)
		}

		// The list, filtered by status.
		l := decode[httpapi.List[postmortem.Listed]](t, h.mustDo(auth.Viewer, "GET", "/api/v1/postmortems?status=published", "", 200))
		if len(l.Items) != 1 || l.Items[0].ID != pm.ID || l.Items[0].OpenItems != 1 || l.Next != nil {
			t.Fatalf("published list = %+v", l)
		}
		l = decode[httpapi.List[postmortem.Listed]](t, h.mustDo(auth.Viewer, "GET", "/api/v1/postmortems?status=draft", "", 200))
		if len(l.Items) != 0 {
			t.Fatalf("draft list = %+v", l)
		}
		code, _ = h.do(auth.Viewer, "GET", "/api/v1/postmortems?status=done", "")
		if code != 400 {
			t.Fatalf("bad status filter: %d", code)
		}

		// The Markdown export is a whole document.
		req, _ := http.NewRequest("GET", h.srv.URL+pmPath+"/markdown", nil)
		req.Header.Set("Authorization", "Bearer "+h.tokens[auth.Viewer])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		md := string(body)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") {
			t.Fatalf("markdown: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, part := range []string{
			"# Post-mortem: database unreachable\n",
			"- **Status:** Published",
			fmt.Sprintf("[#%d](%s/incidents/%d)", id, h.srv.URL, id),
			"## Impact", "| database | down | the incident's service | 30m | 600 |",
			"| payroll | down | database | 30m | 0 |",
			"| portal | degraded | payroll → database | 15m | 25 |",
			"## Summary\n\nThe database was unreachable.\n",
			"## Timeline", "| note | ", "failed over to the replica |",
			"## Root cause\n\nA full disk.\n", "## Contributing factors\n\nNo disk alert.\n", "## Lessons learned\n\nAlert at 80%.\n",
			"## Action items", fmt.Sprintf("| %d | Alert on disk usage | olivia | 2026-12-01 | Done |", it.ID),
			fmt.Sprintf(`| %d | Grow the volume \| twice | — | — | Open |`, second.ID),
		} {
			if !strings.Contains(md, part) {
				t.Errorf("markdown lacks %q:\n%s", part, md)
			}
		}
		// Every change is audited.
		b = h.mustDo(auth.Admin, "GET", fmt.Sprintf("/api/v1/audit?object_type=postmortem&object_id=%d", pm.ID), "", 200)
		if n := strings.Count(string(b), `"action": "update"`); n < 6 || !strings.Contains(string(b), `"action": "create"`) {
			t.Errorf("audit of the post-mortem: %d updates: %s", n, b)
		}
		b = h.mustDo(auth.Admin, "GET", "/api/v1/audit?object_type=postmortem_action_item", "", 200)
		for _, a := range []string{`"create"`, `"update"`, `"delete"`} {
			if !strings.Contains(string(b), a) {
				t.Errorf("action items' audit lacks %s", a)
			}
		}
		// Nothing for a missing incident.
		h.mustDo(auth.Operator, "POST", "/api/v1/incidents/999/postmortem", "", 404)
	})
}

// TestKnownErrors covers known errors' CRUD and validation, and a new
// incident that matches one.
func TestKnownErrors(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"payroll"}`, 201)
		for _, c := range []struct {
			name, body, pointer, detail string
		}{
			{"bad regexp", `{"title":"x","summary_match":"/disk (full/","workaround":"w"}`, "/summary_match", "regular expression"},
			{"no signature", `{"title":"x","workaround":"w"}`, "/summary_match", "give a summary match"},
			{"no title", `{"summary_match":"disk","workaround":"w"}`, "/title", "required"},
			{"no workaround", `{"title":"x","summary_match":"disk"}`, "/workaround", "required"},
			{"bad label", `{"title":"x","labels":{"bad-name":"v"},"workaround":"w"}`, "/labels/bad-name", "label name"},
			{"unknown service", `{"title":"x","service":"ghost","summary_match":"disk","workaround":"w"}`, "/service", "unknown service"},
			{"labels not an object", `{"title":"x","labels":"a=b","workaround":"w"}`, "/labels", "object"},
		} {
			t.Run(c.name, func(t *testing.T) {
				sub := *h
				sub.t = t
				code, b := sub.do(auth.Operator, "POST", "/api/v1/known-errors", c.body)
				if code != 400 {
					t.Fatalf("status %d: %s", code, b)
				}
				wantField(t, b, c.pointer, c.detail)
			})
		}
		h.mustDo(auth.Viewer, "POST", "/api/v1/known-errors", `{"title":"x","summary_match":"disk","workaround":"w"}`, 403)
		disk := decode[knownerror.KnownError](t, h.mustDo(auth.Operator, "POST", "/api/v1/known-errors",
			`{"title":"Disk full","summary_match":"/(?i)disk .* full/","workaround":"Run **cleanup.sh** on the host."}`, 201))
		amLabel := decode[knownerror.KnownError](t, h.mustDo(auth.Operator, "POST", "/api/v1/known-errors",
			`{"title":"Payroll batch stuck","service":"payroll","labels":{"alertname":"BatchStuck"},"workaround":"Restart the batch."}`, 201))
		l := decode[httpapi.List[knownerror.KnownError]](t, h.mustDo(auth.Viewer, "GET", "/api/v1/known-errors", "", 200))
		if len(l.Items) != 2 || l.Items[0].ID != disk.ID {
			t.Fatalf("list = %+v", l)
		}
		got := decode[knownerror.KnownError](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/known-errors/%d", amLabel.ID), "", 200))
		if got.Labels["alertname"] != "BatchStuck" || got.Service != "payroll" || got.CreatedBy == "" {
			t.Fatalf("get = %+v", got)
		}
		code, b := h.do(auth.Operator, "PUT", fmt.Sprintf("/api/v1/known-errors/%d", disk.ID), `{"title":"Disk full","summary_match":"/[/","workaround":"w"}`)
		if code != 400 {
			t.Fatalf("bad regexp on PUT: %d", code)
		}
		wantField(t, b, "/summary_match", "regular expression")

		// A new incident matching by summary gets the log line, and the
		// API shows the workaround.
		id := trigger(t, db, h.engine, incident.Event{Service: "payroll", DedupKey: "d1", Summary: "Disk /var is FULL", Severity: "critical"})
		inc := decode[httpapi.IncidentDetail](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), "", 200))
		if !hasLog(inc.Timeline, fmt.Sprintf("matches known error #%d: Disk full", disk.ID)) {
			t.Fatalf("timeline = %+v", inc.Timeline)
		}
		ke := decode[httpapi.IncidentKnownError](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d/known-error", id), "", 200))
		if ke.KnownError == nil || ke.KnownError.Workaround != "Run **cleanup.sh** on the host." {
			t.Fatalf("known error of the incident = %+v", ke)
		}
		// Labels match against details.labels, and name the service.
		details, _ := json.Marshal(map[string]any{"labels": map[string]string{"alertname": "BatchStuck", "job": "payroll"}})
		id2 := trigger(t, db, h.engine, incident.Event{Service: "payroll", DedupKey: "d2", Summary: "batch stuck", Severity: "warning", Details: details})
		ke = decode[httpapi.IncidentKnownError](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d/known-error", id2), "", 200))
		if ke.KnownError == nil || ke.KnownError.ID != amLabel.ID {
			t.Fatalf("label match = %+v", ke)
		}
		// Nothing matches a different summary.
		id3 := trigger(t, db, h.engine, incident.Event{Service: "payroll", DedupKey: "d3", Summary: "slow responses", Severity: "warning"})
		ke = decode[httpapi.IncidentKnownError](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d/known-error", id3), "", 200))
		if ke.KnownError != nil {
			t.Fatalf("unexpected match = %+v", ke.KnownError)
		}
		h.mustDo(auth.Viewer, "GET", "/api/v1/incidents/999/known-error", "", 404)

		// Deleting a known error takes its workaround off the incidents.
		h.mustDo(auth.Operator, "DELETE", fmt.Sprintf("/api/v1/known-errors/%d", disk.ID), "", 204)
		h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/known-errors/%d", disk.ID), "", 404)
		ke = decode[httpapi.IncidentKnownError](t, h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d/known-error", id), "", 200))
		if ke.KnownError != nil {
			t.Fatalf("after delete = %+v", ke.KnownError)
		}
		b = h.mustDo(auth.Admin, "GET", "/api/v1/audit?object_type=known_error", "", 200)
		for _, a := range []string{`"create"`, `"delete"`} {
			if !strings.Contains(string(b), a) {
				t.Errorf("known errors' audit lacks %s", a)
			}
		}
	})
}

func hasLog(log []incident.LogEntry, msg string) bool {
	for _, e := range log {
		if e.Message == msg {
			return true
		}
	}
	return false
}
