package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestResolveNoticeWhileCheckFails: resolving, from the incident's page or
// from a signed link, the incident of a check that still fails shows the
// notice that its next failing result opens a new incident; an incident
// whose check recovered shows none.
func TestResolveNoticeWhileCheckFails(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
		// The incident store asks a monitor whose check changes open
		// incidents, as the server wires it.
		mon := monitor.New(monitor.Options{DB: db, Checks: e.checks, Timeline: e.outages, OnChange: e.engine.OnCheckChange, Covered: e.incidents.CoveredChecks})
		e.incidents.Checks = mon
		for _, name := range []string{"shop-http", "shop-api"} {
			if _, err := e.checks.Put(ctx, "test", monitor.Check{Name: name, Service: "shop", Type: "http", URL: "http://shop.test/" + name, Interval: "1m", FailAfter: 1}, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		if err := mon.Load(ctx); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-time.Minute)
		result := func(check string, outcome availability.State) int64 {
			t.Helper()
			at = at.Add(time.Second)
			if err := mon.Record(ctx, []monitor.Result{{Check: check, Location: monitor.LocationLocal, At: at, Outcome: outcome, Reason: "connection refused"}}); err != nil {
				t.Fatal(err)
			}
			list, _, err := e.incidents.List(ctx, incident.Filter{DedupKey: "check:" + check}, store.Page{})
			if err != nil || len(list) == 0 {
				t.Fatalf("incidents of %s: %v %v", check, list, err)
			}
			return list[0].ID
		}
		operator := e.login("olivia")
		const notice = "The check shop-http is still failing: its next failing result will open a new incident."

		t.Run("resolved on its page", func(t *testing.T) {
			id := result("shop-http", availability.Down)
			page := "/incidents/" + strconv.FormatInt(id, 10)
			res, _ := e.post(page+"/resolve", nil, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			_, body := e.get(res.Header.Get("Location"), &operator)
			wantContains(t, body, "Incident resolved.", `id="incident-notice"`, notice)
		})
		t.Run("resolved by a signed link", func(t *testing.T) {
			id := result("shop-http", availability.Down) // the next failing result opened a new one
			_, _, link := e.signer.Links("", id, time.Now())
			u, _ := url.Parse(link)
			res, body := e.post(u.Path, u.Query(), nil)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "resolved. Thank you.", notice)
		})
		t.Run("a check that recovered", func(t *testing.T) {
			id := result("shop-api", availability.Down)
			result("shop-api", availability.Up)
			_, body := e.get("/incidents/"+strconv.FormatInt(id, 10)+"?done=resolved", &operator)
			wantNotContains(t, body, "still failing")
			if !strings.Contains(body, "Incident resolved.") {
				t.Errorf("page:\n%s", body)
			}
		})
	})
}
