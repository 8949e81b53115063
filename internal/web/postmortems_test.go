package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/postmortem"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// pmEnv is the UI with post-mortems and known errors.
type pmEnv struct {
	*env
	postmortems *postmortem.Store
	known       *knownerror.Store
}

func newPMEnv(t *testing.T, db *store.DB) *pmEnv {
	t.Helper()
	e := newEnv(t, db)
	reports := timeline.NewReporter(e.catalog, e.outages, nil)
	p := &pmEnv{env: e, postmortems: postmortem.NewStore(db, reports, nil), known: knownerror.NewStore(db, nil, nil)}
	e.engine.KnownError = p.known.Match
	outbox := &notify.Outbox{DB: db}
	ui, err := New(Deps{Auth: e.auth, Catalog: e.catalog, Outages: e.outages, Reports: reports,
		Monitor: e.monitor, Checks: e.checks, Incidents: e.incidents, Signer: e.signer, Deliveries: outbox.Deliveries,
		Postmortems: p.postmortems, KnownErrors: p.known, Version: "test"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	e.handler = mux
	return p
}

func location(t *testing.T, res *http.Response) string {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", res.StatusCode)
	}
	return res.Header.Get("Location")
}

func TestPostmortemPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newPMEnv(t, db)
		e.putService(testService("payroll"))
		op, viewer := e.login("olivia"), e.login("victor")
		id := e.trigger("payroll", "k1", "payroll is down")
		incPath := "/incidents/" + strconv.FormatInt(id, 10)

		// An open incident offers no post-mortem, and refuses one.
		_, body := e.get(incPath, &op)
		wantNotContains(t, body, "Start post-mortem")
		res, body := e.post(incPath+"/postmortem", nil, &op)
		wantStatus(t, res, http.StatusConflict)
		wantContains(t, body, "resolved")

		res, _ = e.post(incPath+"/resolve", nil, &op)
		wantStatus(t, res, http.StatusSeeOther)
		_, body = e.get(incPath, &op)
		wantContains(t, body, "Start post-mortem", `action="`+incPath+`/postmortem"`)
		_, body = e.get(incPath, &viewer)
		wantNotContains(t, body, "Start post-mortem")
		wantContains(t, body, "No post-mortem yet.")

		// Starting one needs the CSRF token and the operator role.
		res, _ = e.post(incPath+"/postmortem", url.Values{"csrf": {"wrong"}}, &op)
		wantStatus(t, res, http.StatusForbidden)
		res, _ = e.post(incPath+"/postmortem", nil, &viewer)
		wantStatus(t, res, http.StatusForbidden)
		res, _ = e.post(incPath+"/postmortem", nil, &op)
		pmPath := location(t, res)
		if !strings.HasPrefix(pmPath, "/postmortems/") {
			t.Fatalf("redirect to %q", pmPath)
		}
		// Starting again goes to the same one.
		res, _ = e.post(incPath+"/postmortem", nil, &op)
		if got := location(t, res); got != pmPath {
			t.Fatalf("second start went to %q, want %q", got, pmPath)
		}
		_, body = e.get(incPath, &viewer)
		wantContains(t, body, `href="`+pmPath+`"`, "Post-mortem: payroll is down")

		res, body = e.get(pmPath, &viewer)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body, "Impact", "Timeline", "triggered by", "Download Markdown", `href="`+pmPath+`/markdown"`, "Action items")
		wantNotContains(t, body, `name="root_cause"`, "Send for review")
		_, body = e.get(pmPath, &op)
		wantContains(t, body, `name="root_cause"`, "Send for review", "Add action item")

		// The sections form.
		res, body = e.post(pmPath, url.Values{"title": {""}, "summary": {"It broke."}}, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "1 problem to fix", "is required", "It broke.")
		res, _ = e.post(pmPath, url.Values{"title": {"Payroll outage"}, "summary": {"It broke."}, "root_cause": {"A full disk."},
			"contributing_factors": {"No alert."}, "lessons": {"Alert earlier."}}, &viewer)
		wantStatus(t, res, http.StatusForbidden)
		res, _ = e.post(pmPath, url.Values{"title": {"Payroll outage"}, "summary": {"It broke."}, "root_cause": {"A full disk."},
			"contributing_factors": {"No alert."}, "lessons": {"Alert earlier."}}, &op)
		wantStatus(t, res, http.StatusSeeOther)
		_, body = e.get(pmPath+"?done=saved", &op)
		wantContains(t, body, "Post-mortem saved.", "Payroll outage", "A full disk.")

		// Status buttons: a draft cannot be published straight away.
		res, body = e.post(pmPath+"/status", url.Values{"status": {"published"}}, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "cannot go from draft to published")
		res, _ = e.post(pmPath+"/status", url.Values{"status": {"in_review"}}, &op)
		wantStatus(t, res, http.StatusSeeOther)
		_, body = e.get(pmPath, &op)
		wantContains(t, body, "Publish", "Back to draft")

		// Action items: add, refuse a bad date, mark done, edit.
		res, body = e.post(pmPath+"/items", url.Values{"title": {"Disk alert"}, "due": {"soon"}}, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "expected a date", `value="Disk alert"`)
		res, _ = e.post(pmPath+"/items", url.Values{"title": {"Disk alert"}, "owner": {"olivia"}, "due": {"2026-12-01"}}, &op)
		wantStatus(t, res, http.StatusSeeOther)
		pmID, _ := strconv.ParseInt(strings.TrimPrefix(pmPath, "/postmortems/"), 10, 64)
		pm, err := e.postmortems.Get(context.Background(), pmID)
		if err != nil || len(pm.ActionItems) != 1 {
			t.Fatalf("items: %v %+v", err, pm.ActionItems)
		}
		itemPath := pmPath + "/items/" + strconv.FormatInt(pm.ActionItems[0].ID, 10)
		_, body = e.get(pmPath, &op)
		wantContains(t, body, "Disk alert", "2026-12-01", `action="`+itemPath+`/state"`)
		res, _ = e.post(itemPath+"/state", url.Values{"state": {"done"}}, &op)
		wantStatus(t, res, http.StatusSeeOther)
		res, body = e.get(itemPath, &op)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body, "Edit action item", `value="done" selected`)
		res, body = e.post(itemPath, url.Values{"title": {""}, "state": {"done"}}, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "is required")
		res, _ = e.post(itemPath, url.Values{"title": {"Disk alert at 80%"}, "owner": {"dba team"}, "due": {""}, "state": {"wont_do"}}, &op)
		wantStatus(t, res, http.StatusSeeOther)
		_, body = e.get(pmPath, &viewer)
		wantContains(t, body, "Disk alert at 80%", "dba team", "Won&#39;t do")

		// Publish, after which the texts are read-only.
		res, _ = e.post(pmPath+"/status", url.Values{"status": {"published"}}, &op)
		wantStatus(t, res, http.StatusSeeOther)
		_, body = e.get(pmPath, &op)
		wantContains(t, body, "Published", "final")
		wantNotContains(t, body, `name="root_cause"`, "Measure the impact again")

		// The export and the list.
		res, body = e.get(pmPath+"/markdown", &viewer)
		wantStatus(t, res, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/markdown") {
			t.Fatalf("markdown content type %q", ct)
		}
		wantContains(t, body, "# Payroll outage", "## Root cause\n\nA full disk.", "| payroll | down |", "Disk alert at 80%")
		_, body = e.get("/postmortems", &viewer)
		wantContains(t, body, "Payroll outage", `href="`+pmPath+`"`)
		_, body = e.get("/postmortems?status=draft", &viewer)
		wantNotContains(t, body, "Payroll outage")
		res, _ = e.get("/postmortems?status=nope", &viewer)
		wantStatus(t, res, http.StatusBadRequest)
		res, _ = e.get("/postmortems/999", &viewer)
		wantStatus(t, res, http.StatusNotFound)
		// Signed out: to the login page.
		res, _ = e.get(pmPath, nil)
		wantStatus(t, res, http.StatusSeeOther)
	})
}

func TestKnownErrorPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newPMEnv(t, db)
		e.putService(testService("payroll"))
		op, viewer := e.login("olivia"), e.login("victor")

		_, body := e.get("/known-errors", &viewer)
		wantContains(t, body, "There are no known errors yet.", `href="/known-errors"`)
		wantNotContains(t, body, "New known error")
		res, _ := e.get("/known-errors/new", &viewer)
		wantStatus(t, res, http.StatusForbidden)
		res, body = e.get("/known-errors/new", &op)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body, `name="summary_match"`, `name="labels"`, `name="workaround"`, "Any service")

		form := url.Values{"title": {"Disk full"}, "service": {"payroll"}, "summary_match": {"/disk (full/"}, "labels": {"alertname=DiskFull"},
			"workaround": {"Run cleanup.sh on the host."}}
		res, body = e.post("/known-errors/new", form, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "regular expression", `value="/disk (full/"`)
		res, _ = e.post("/known-errors/new", url.Values{"title": {"x"}, "csrf": {"bad"}}, &op)
		wantStatus(t, res, http.StatusForbidden)
		res, body = e.post("/known-errors/new", url.Values{"title": {"x"}, "summary_match": {"x"}, "labels": {"no equals sign"}, "workaround": {"w"}}, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "key=value")

		form.Set("summary_match", "disk full")
		res, _ = e.post("/known-errors/new", form, &op)
		kePath, _, _ := strings.Cut(location(t, res), "?")
		_, body = e.get(kePath, &viewer)
		wantContains(t, body, "Disk full", "alertname=DiskFull", "Run cleanup.sh on the host.")
		res, body = e.get(kePath+"/edit", &op)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body, "alertname=DiskFull", `value="disk full"`)
		form.Set("workaround", "Run cleanup.sh, then page the DBA.")
		res, _ = e.post(kePath+"/edit", form, &op)
		wantStatus(t, res, http.StatusSeeOther)

		// A new incident that matches shows the workaround on its page.
		id := e.triggerWith(incidentEvent("payroll", "k1", "Disk full on db1", `{"labels":{"alertname":"DiskFull"}}`))
		incPath := "/incidents/" + strconv.FormatInt(id, 10)
		_, body = e.get(incPath, &viewer)
		wantContains(t, body, "Known error — workaround", "Run cleanup.sh, then page the DBA.", `href="`+kePath+`"`, "matches known error #")
		// Labels that differ do not match.
		other := e.triggerWith(incidentEvent("payroll", "k2", "Disk full on db2", `{"labels":{"alertname":"Other"}}`))
		_, body = e.get("/incidents/"+strconv.FormatInt(other, 10), &viewer)
		wantNotContains(t, body, "Known error — workaround")
		// The page drawn again after a refused note still works.
		res, body = e.post(incPath+"/notes", url.Values{"text": {" "}}, &op)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "The note is required")

		_, body = e.get("/known-errors", &viewer)
		wantContains(t, body, "Disk full", "<code>alertname=DiskFull</code>")
		res, _ = e.post(kePath+"/delete", nil, &viewer)
		wantStatus(t, res, http.StatusForbidden)
		res, _ = e.post(kePath+"/delete", nil, &op)
		wantStatus(t, res, http.StatusSeeOther)
		_, body = e.get(incPath, &viewer)
		wantNotContains(t, body, "Known error — workaround")
	})
}

// testService is a service with no objective.
func testService(name string) catalog.Service { return catalog.Service{Name: name} }

// incidentEvent is an alert trigger carrying details (labels).
func incidentEvent(service, dedup, summary, details string) incident.Event {
	return incident.Event{Integration: "x", Action: incident.ActionTrigger, DedupKey: dedup, Service: service, Summary: summary,
		Source: "s", Severity: "critical", Details: json.RawMessage(details), Body: []byte("{}")}
}
