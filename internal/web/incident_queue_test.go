package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestSnoozeForm snoozes an acknowledged incident from its page, by a
// button and by a typed length, and shows a bad length beside the form.
func TestSnoozeForm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, func(d *Deps) {
			d.Escalation = func(ctx context.Context, id int64) (escalation.State, bool, error) {
				return escalation.Get(ctx, db.Reader(), id)
			}
		})
		e.engine.SnoozeEscalation = escalation.Snooze
		e.putService(catalog.Service{Name: "shop"})
		id := e.triggerWith(incident.Event{Integration: "x", Action: incident.ActionTrigger, DedupKey: "a", Service: "shop", Summary: "Checkout slow",
			Source: "s", Severity: "critical", Escalation: "default", Body: []byte("{}")})
		operator, viewer := e.login("olivia"), e.login("victor")
		page := "/incidents/" + itoa(id)

		_, body := e.get(page, &operator)
		wantNotContains(t, body, `id="snooze"`) // triggered: acknowledge first
		if _, err := e.incidents.Acknowledge(ctx, id, "user:olivia"); err != nil {
			t.Fatal(err)
		}
		_, body = e.get(page, &operator)
		wantContains(t, body, `id="snooze"`, `name="minutes" value="15">Snooze 15 min</button>`, `value="60">Snooze 1 h</button>`, `value="240">Snooze 4 h</button>`,
			`<label for="snooze-minutes">Or snooze for (minutes)</label>`)
		_, body = e.get(page, &viewer)
		wantNotContains(t, body, `id="snooze"`)

		for _, c := range []struct{ name, custom, want string }{
			{"zero", "0", "The snooze must be a whole number of minutes from 1 to 10080 (a week), not 0."},
			{"words", "soon", "The snooze must be a whole number of minutes from 1 to 10080 (a week), not &#34;soon&#34;."},
		} {
			t.Run(c.name, func(t *testing.T) {
				res, body := e.post(page+"/snooze", url.Values{"minutes": {"custom"}, "custom": {c.custom}}, &operator)
				wantStatus(t, res, http.StatusUnprocessableEntity)
				wantContains(t, body, `<ul class="problems" id="snooze-minutes-error"><li>`+c.want, `value="`+c.custom+`"`)
			})
		}
		res, _ := e.post(page+"/snooze", url.Values{"minutes": {"60"}}, &operator)
		wantStatus(t, res, http.StatusSeeOther)
		if l := res.Header.Get("Location"); l != page+"?done=snoozed#snooze" {
			t.Errorf("sent to %s", l)
		}
		_, body = e.get(page+"?done=snoozed", &operator)
		wantContains(t, body, "Incident snoozed: it pages again", `id="snoozed-until"`, "snoozed for 1 h",
			`<strong>Snoozed:</strong> if the incident is still open at`, `policy <a href="/oncall#policy-default">default</a> pages again from its first level.`)
		res, _ = e.post(page+"/snooze", url.Values{"minutes": {"custom"}, "custom": {"90"}}, &operator)
		wantStatus(t, res, http.StatusSeeOther)
		_, body = e.get(page, &operator)
		wantContains(t, body, "snoozed for 1 h 30 min")
		res, _ = e.post(page+"/snooze", url.Values{"minutes": {"15"}}, &viewer)
		wantStatus(t, res, http.StatusForbidden)
	})
}

// TestMergeForms merges from an incident's page and from the list's bulk
// bar, and shows why a merge is refused.
func TestMergeForms(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop"})
		a := e.trigger("shop", "a", "Checkout slow")
		b := e.trigger("shop", "b", "Basket empty")
		c := e.trigger("shop", "c", "Search down")
		d := e.trigger("shop", "d", "Search down again")
		operator, viewer := e.login("olivia"), e.login("victor")
		page := "/incidents/" + itoa(a)

		_, body := e.get(page, &operator)
		wantContains(t, body, `id="merge"`, `<label for="merge-sources">Incidents to merge into this one</label>`, `Merge into #`+itoa(a)+`</button>`)
		_, body = e.get(page, &viewer)
		wantNotContains(t, body, `id="merge"`)

		for _, r := range []struct{ name, sources, want string }{
			{"nothing", " ", "Name at least one incident to merge, such as 12."},
			{"words", "12, x", "&#34;x&#34; is not an incident number"},
			{"itself", itoa(a), "Incident " + itoa(a) + " is the target itself: an incident cannot be merged into itself."},
			{"unknown", "#424242", "There is no incident 424242."},
		} {
			t.Run(r.name, func(t *testing.T) {
				res, body := e.post(page+"/merge", url.Values{"sources": {r.sources}}, &operator)
				wantStatus(t, res, http.StatusUnprocessableEntity)
				wantContains(t, body, `id="merge-sources-error"><li>`+r.want)
			})
		}
		res, _ := e.post(page+"/merge", url.Values{"sources": {"#" + itoa(b)}}, &operator)
		wantStatus(t, res, http.StatusSeeOther)
		_, body = e.get(page+"?done=merged", &operator)
		wantContains(t, body, "Incidents merged into this one.", "merged in #"+itoa(b))
		_, body = e.get("/incidents/"+itoa(b), &operator)
		wantContains(t, body, `id="merged-into"`, `<a href="/incidents/`+itoa(a)+`">incident #`+itoa(a)+`</a>`)
		wantNotContains(t, body, `id="merge"`)

		t.Run("bulk bar", func(t *testing.T) {
			res, body := e.post("/incidents/bulk", url.Values{"action": {"merge"}, "id": {itoa(d)}}, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, "Tick two incidents or more to merge them into the oldest.")
			res, _ = e.post("/incidents/bulk", url.Values{"action": {"merge"}, "id": {itoa(d), itoa(c)}}, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if l := res.Header.Get("Location"); l != "/incidents/"+itoa(c)+"?done=merged" {
				t.Errorf("sent to %s", l)
			}
			i, _, _ := e.incidents.Get(ctx, d)
			if i.MergedInto == nil || *i.MergedInto != c {
				t.Fatalf("incident %d after the bulk merge: %+v", d, i)
			}
		})
	})
}

// TestIncidentListIsLive: the list marks its live part and tells the
// script to follow incident events; without script it is the whole list.
func TestIncidentListIsLive(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop"})
		id := e.trigger("shop", "a", "Checkout slow")
		viewer := e.login("victor")
		_, body := e.get("/incidents", &viewer)
		wantContains(t, body, `data-fragment="/incidents"`, `data-live-on="incident"`, `<div id="incident-list" data-live>`, `<a href="/incidents/`+itoa(id)+`">`)
		_, body = e.get("/incidents?status=all", &viewer)
		wantContains(t, body, `data-fragment="/incidents?status=all"`)
	})
}
