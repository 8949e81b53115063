package httpapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestPauseResumeAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		if _, err := h.cat.PutService(ctx, "test", catalog.Service{Name: "shop"}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		if _, err := h.checks.Put(ctx, "test", monitor.Check{Name: "web", Service: "shop", Type: "http", URL: "http://127.0.0.1:1/", Interval: "30s"}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		if err := h.mon.Load(ctx); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name       string
			role       auth.Role
			path       string
			status     int
			wantPaused bool
			wantState  string
		}{
			{"a viewer may not pause", auth.Viewer, "/api/v1/checks/web/pause", 403, false, ""},
			{"an unknown check", auth.Operator, "/api/v1/checks/nope/pause", 404, false, ""},
			{"paused", auth.Operator, "/api/v1/checks/web/pause", 200, true, "unknown"},
			{"paused again changes nothing", auth.Operator, "/api/v1/checks/web/pause", 200, true, "unknown"},
			{"resumed", auth.Operator, "/api/v1/checks/web/resume", 200, false, "unknown"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, b := h.do(tt.role, "POST", tt.path, "")
				if status != tt.status {
					t.Fatalf("status %d, want %d: %s", status, tt.status, b)
				}
				if status != 200 {
					return
				}
				var st struct {
					State    string `json:"state"`
					Reason   string `json:"reason"`
					PausedAt string `json:"paused_at"`
				}
				if err := json.Unmarshal(b, &st); err != nil {
					t.Fatal(err)
				}
				if (st.PausedAt != "") != tt.wantPaused || st.State != tt.wantState {
					t.Errorf("answer %s; want paused %v, state %s", b, tt.wantPaused, tt.wantState)
				}
			})
		}
	})
}
