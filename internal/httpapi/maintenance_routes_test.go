package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestMaintenanceAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		for _, n := range []string{"payroll", "shop"} {
			if _, err := h.cat.PutService(ctx, "test", catalog.Service{Name: n}, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.cat.ApplyFile(ctx, "config", catalog.Catalog{Services: []catalog.Service{{Name: "ledger"}}}); err != nil {
			t.Fatal(err)
		}
		// Sundays 02:00–04:00 UTC (both services are 24x7).
		body := `{"services":["payroll","shop"],"window":{"title":"Patching","rrule":"FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0","duration":"2h"}}`
		invalid := []struct {
			name, body string
			status     int
			want       []string
		}{
			{"a viewer may not", body, 403, nil},
			{"window mistakes by their pointer", `{"services":["shop"],"window":{"rrule":"FREQ=WEEKLY;BYDAY=XX","duration":"2h"}}`, 400,
				[]string{`"pointer":"/window/rrule"`, `\"XX\" is not a day`}},
			{"a file service and an unknown one", `{"services":["ledger","nope"],"window":{"start":"2026-12-05T22:00:00Z","end":"2026-12-05T23:00:00Z"}}`, 400,
				[]string{`"pointer":"/services/0"`, "declared in the config file and is read-only here", `"pointer":"/services/1"`, `unknown service \"nope\"`}},
			{"no service", `{"window":{"start":"2026-12-05T22:00:00Z","end":"2026-12-05T23:00:00Z"}}`, 400, []string{`"pointer":"/services"`}},
		}
		for _, tt := range invalid {
			t.Run(tt.name, func(t *testing.T) {
				role := auth.Operator
				if tt.status == 403 {
					role = auth.Viewer
				}
				status, b := h.do(role, "POST", "/api/v1/maintenance", tt.body)
				if status != tt.status {
					t.Fatalf("status %d, want %d: %s", status, tt.status, b)
				}
				for _, w := range tt.want {
					if !strings.Contains(string(b), w) {
						t.Errorf("answer %s lacks %s", b, w)
					}
				}
				for _, n := range []string{"payroll", "shop"} {
					if s, _ := h.cat.GetService(ctx, n); len(s.Maintenance) != 0 {
						t.Errorf("%s got a window from a refused request", n)
					}
				}
			})
		}
		t.Run("scheduled and listed", func(t *testing.T) {
			if status, b := h.do(auth.Operator, "POST", "/api/v1/maintenance", body); status != 204 {
				t.Fatalf("status %d: %s", status, b)
			}
			// From Wednesday 2 December 2026 for 14 days: Sundays 6 and 13, each for both.
			status, b := h.do(auth.Viewer, "GET", "/api/v1/maintenance?from=2026-12-02T00:00:00Z&to=2026-12-16T00:00:00Z", "")
			if status != 200 {
				t.Fatalf("status %d: %s", status, b)
			}
			var ans httpapi.MaintenanceAnswer
			if err := json.Unmarshal(b, &ans); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range ans.Occurrences {
				got = append(got, o.Service+" "+o.Start.Format(time.RFC3339)+" "+o.End.Format(time.RFC3339))
			}
			want := []string{
				"payroll 2026-12-06T02:00:00Z 2026-12-06T04:00:00Z", "shop 2026-12-06T02:00:00Z 2026-12-06T04:00:00Z",
				"payroll 2026-12-13T02:00:00Z 2026-12-13T04:00:00Z", "shop 2026-12-13T02:00:00Z 2026-12-13T04:00:00Z",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("occurrences:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
		params := []struct{ name, query, want string }{
			{"a bad from", "?from=monday", `"parameter":"from"`},
			{"to before from", "?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "must be after from"},
			{"too long a range", "?from=2026-01-01T00:00:00Z&to=2027-06-01T00:00:00Z", "must be at most 400 days after from"},
		}
		for _, tt := range params {
			t.Run(tt.name, func(t *testing.T) {
				status, b := h.do(auth.Viewer, "GET", "/api/v1/maintenance"+tt.query, "")
				if status != 400 || !strings.Contains(string(b), tt.want) {
					t.Errorf("status %d, %s; want 400 with %s", status, b, tt.want)
				}
			})
		}
		t.Run("removed", func(t *testing.T) {
			s, _ := h.cat.GetService(ctx, "shop")
			ref := catalog.WindowRef(s.Maintenance[0])
			if status, _ := h.do(auth.Viewer, "DELETE", "/api/v1/services/shop/maintenance/"+ref, ""); status != 403 {
				t.Errorf("viewer: %d", status)
			}
			if status, b := h.do(auth.Operator, "DELETE", "/api/v1/services/shop/maintenance/"+ref, ""); status != 204 {
				t.Fatalf("status %d: %s", status, b)
			}
			if status, _ := h.do(auth.Operator, "DELETE", "/api/v1/services/shop/maintenance/"+ref, ""); status != 404 {
				t.Errorf("again: %d, want 404", status)
			}
		})
	})
}
