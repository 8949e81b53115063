package web

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestEffectFollowsTheTimeline checks that an incident's page and its
// post-mortem state the effect the service's timeline shows over the
// incident's span, not the state the incident asked for: an incident
// opened by a failing check asks for none while its check has the service
// down, and must say down.
func TestEffectFollowsTheTimeline(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newPMEnv(t, db)
		op := e.login("olivia")
		for _, name := range []string{"payroll", "wiki", "shop"} {
			e.putService(testService(name))
		}
		// payroll's check has been down for a minute and still is.
		if err := e.outages.Append(context.Background(), db.Writer(), timeline.Transition{Service: "payroll", Input: "check:payroll-web",
			At: time.Now().Add(-time.Minute), State: availability.Down, Source: "check:payroll-web: connection refused"}); err != nil {
			t.Fatal(err)
		}
		event := func(service, state string) incident.Event {
			return incident.Event{Integration: incident.CheckIntegration, Action: incident.ActionTrigger, DedupKey: "check:" + service + "-web",
				Service: service, Summary: service + " is down", Source: "check " + service + "-web", Severity: "critical", ServiceState: state, Body: []byte("{}")}
		}
		effect := regexp.MustCompile(`id="incident-effect">(.*?)</dd>`)
		for _, c := range []struct {
			name     string
			ev       incident.Event
			open     string // the effect while open, as the page writes it
			resolved string // after resolving
			effectPM string // the post-mortem's effect badge on the service
		}{
			{"opened by a check over real downtime", event("payroll", "none"),
				`<span class="badge state down">down</span> since the incident opened`,
				`<span class="badge state down">down</span> while the incident was open`, "down"},
			{"opened by a check that changed nothing", event("wiki", "none"),
				`<span class="muted">none</span> in its timeline`, `<span class="muted">none</span> in its timeline`, "none"},
			{"an alert that marks the service degraded", event("shop", "degraded"),
				`<span class="badge state degraded">degraded</span> since the incident opened`,
				`<span class="badge state degraded">degraded</span> while the incident was open`, "degraded"},
		} {
			t.Run(c.name, func(t *testing.T) {
				id := e.triggerWith(c.ev)
				path := "/incidents/" + strconv.FormatInt(id, 10)
				_, body := e.get(path, &op)
				if m := effect.FindStringSubmatch(body); m == nil || m[1] != c.open {
					t.Errorf("open incident's effect = %q, want %q", m, c.open)
				}
				res, _ := e.post(path+"/resolve", nil, &op)
				wantStatus(t, res, http.StatusSeeOther)
				_, body = e.get(path, &op)
				if m := effect.FindStringSubmatch(body); m == nil || m[1] != c.resolved {
					t.Errorf("resolved incident's effect = %q, want %q", m, c.resolved)
				}
				res, _ = e.post(path+"/postmortem", nil, &op)
				pmPath := location(t, res)
				pmID, _ := strconv.ParseInt(pmPath[len("/postmortems/"):], 10, 64)
				pm, err := e.postmortems.Get(context.Background(), pmID)
				if err != nil {
					t.Fatal(err)
				}
				if got := pm.Impact.Affected[0].Effect; got != c.effectPM {
					t.Errorf("post-mortem effect = %q, want %q", got, c.effectPM)
				}
				_, body = e.get(pmPath, &op)
				wantContains(t, body, `<td data-label="Effect"><span class="badge state `+c.effectPM+`">`+c.effectPM+`</span></td>`)
			})
		}
	})
}
