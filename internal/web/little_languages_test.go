package web

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestLittleLanguagesRefusedOnForms: an RRULE that RFC 5545 forbids and a
// cron expression that never fires come back on their form, the message
// beside the field and what was typed kept, and nothing is stored.
func TestLittleLanguagesRefusedOnForms(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.putService(catalog.Service{Name: "payroll", Title: "Payroll"})
		operator := e.login("olivia")

		rules := []struct{ name, rule, want string }{
			{"INTERVAL=0", "FREQ=WEEKLY;INTERVAL=0;BYDAY=SU", "INTERVAL must be a whole number of at least 1, not &#34;0&#34;"},
			{"COUNT with UNTIL", "FREQ=DAILY;COUNT=2;UNTIL=20270101T000000", "COUNT and UNTIL cannot both be given"},
			{"numbered day in a weekly rule", "FREQ=WEEKLY;BYDAY=1SU", "a numbered day applies only with FREQ=MONTHLY or FREQ=YEARLY"},
		}
		for _, rr := range rules {
			t.Run("rrule "+rr.name, func(t *testing.T) {
				form := validServiceForm("patched")
				form.Set("maintenance[0].rrule", rr.rule)
				form.Set("maintenance[0].duration", "2h")
				res, body := e.post("/services/new", form, &operator)
				wantStatus(t, res, http.StatusUnprocessableEntity)
				wantContains(t, body, `<a href="#f-maintenance-0-rrule">Maintenance window 1, rrule</a>: invalid recurrence rule`,
					`<ul class="problems" id="f-maintenance-0-rrule-error"><li>invalid recurrence rule`, rr.want)
				if _, err := e.catalog.GetService(ctx, "patched"); !errors.Is(err, apperr.ErrNotFound) {
					t.Errorf("the service was stored: %v", err)
				}
			})
		}

		t.Run("cron that never fires", func(t *testing.T) {
			form := validCheckForm("leap-backup")
			form.Set("type", "heartbeat")
			form.Set("url", "")
			form.Set("interval", "")
			form.Set("timeout", "")
			form.Set("conditions", "")
			form.Set("locations", "")
			form.Set("quorum", "")
			form.Set("fail_after", "")
			form.Set("recover_after", "")
			form.Set("cron", "0 0 30 2 *")
			res, body := e.post("/checks/new", form, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<ul class="problems" id="f-cron-error"><li>&#34;0 0 30 2 *&#34; never fires`, `value="0 0 30 2 *"`, "1 problem to fix")
			if _, err := e.checks.Get(ctx, "leap-backup"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("the check was stored: %v", err)
			}
		})
	})
}
