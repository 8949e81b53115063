package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestFormsShowEveryMistake: a form with several bad fields shows one
// message by each, numbers that do not parse beside the problems the store
// finds in the other fields, and stores nothing; bad bytes in a form field
// are a 400 naming the field.
func TestFormsShowEveryMistake(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.putService(catalog.Service{Name: "payroll"})
		operator := e.login("olivia")
		cases := []struct {
			name, path string
			set        map[string]string
			summary    string
			ids        []string
			stored     func() error
		}{
			{"six mistakes in a new service", "/services/new",
				map[string]string{"name": "Bad Name", "tier": "two", "objective.availability": "200%", "objective.hours": "night",
					"objective.max_outage": "soon", "objective.downtime_cost": "lots"},
				"6 problems to fix",
				[]string{"f-name-error", "f-tier-error", "f-objective-availability-error", "f-objective-hours-error",
					"f-objective-max_outage-error", "f-objective-downtime_cost-error"},
				func() error { _, err := e.catalog.GetService(ctx, "Bad Name"); return err }},
			{"an edited service keeps the store's problems beside the numbers'", "/services/payroll/edit",
				map[string]string{"tier": "2", "objective.max_outages": "a few", "objective.availability": "lots", "depends_on[0].service": "ghost"},
				"3 problems to fix",
				[]string{"f-objective-max_outages-error", "f-objective-availability-error", "f-depends_on-0-service-error"},
				func() error {
					s, err := e.catalog.GetService(ctx, "payroll")
					if err == nil && s.Objective != nil {
						return errors.New("the edit was stored")
					}
					return apperr.ErrNotFound
				}},
			{"four mistakes in a new check", "/checks/new",
				map[string]string{"service": "ghost", "interval": "often", "fail_after": "two", "quorum": "most"},
				"4 problems to fix",
				[]string{"f-service-error", "f-interval-error", "f-fail_after-error", "f-quorum-error"},
				func() error { _, err := e.checks.Get(ctx, "bad-check"); return err }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				form := validServiceForm("bad-service")
				if c.path == "/checks/new" {
					form = validCheckForm("bad-check")
				}
				if c.path == "/services/payroll/edit" {
					form.Del("name")
				}
				for k, v := range c.set {
					form.Set(k, v)
				}
				res, body := e.post(c.path, form, &operator)
				wantStatus(t, res, http.StatusUnprocessableEntity)
				wantContains(t, body, c.summary)
				for _, id := range c.ids {
					wantContains(t, body, `id="`+id+`"`)
				}
				if err := c.stored(); !errors.Is(err, apperr.ErrNotFound) {
					t.Errorf("the invalid input was stored: %v", err)
				}
			})
		}
		t.Run("a password mismatch beside the account's other mistakes", func(t *testing.T) {
			admin := e.login("ada")
			form := url.Values{"name": {"Bad Name"}, "role": {"god"}, "email": {"nowhere"},
				"password": {"a long enough password"}, "password_confirm": {"another password"}}
			res, body := e.post("/admin/users", form, &admin)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, "4 problems to fix", `id="f-password_confirm-error"`, `id="f-name-error"`, `id="f-role-error"`, `id="f-email-error"`)
			if _, err := e.auth.GetUser(ctx, "Bad Name"); err == nil {
				t.Errorf("the invalid account was stored")
			}
		})
		t.Run("bad bytes in a form field", func(t *testing.T) {
			form := validServiceForm("nul-title")
			form.Set("title", "a\x00b")
			form.Set("owner", "\xff")
			res, body := e.post("/services/new", form, &operator)
			wantStatus(t, res, http.StatusBadRequest)
			wantContains(t, body, "title", "NUL byte", "owner", "UTF-8")
			if _, err := e.catalog.GetService(ctx, "nul-title"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("stored: %v", err)
			}
		})
	})
}
