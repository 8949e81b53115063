package httpapi_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
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

// TestCheckUptimeAPI: the uptime route answers the figures of the check
// page, measured on the check's transitions.
func TestCheckUptimeAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		if _, err := h.cat.PutService(ctx, "test", catalog.Service{Name: "shop"}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		if _, err := h.checks.Put(ctx, "test", monitor.Check{Name: "web", Service: "shop", Type: "http", URL: "http://127.0.0.1:1/", Interval: "30s"}, catalog.MustCreate); err != nil {
			t.Fatal(err)
		}
		// Up from 48 h ago, down from 12 h to 6 h ago: 18 h of 24 up.
		now := time.Now().UTC().Truncate(time.Second)
		tl := timeline.NewStore(db, nil)
		if err := tl.Append(ctx, nil,
			timeline.Transition{Service: "shop", Input: "check:web", At: now.Add(-48 * time.Hour), State: availability.Up},
			timeline.Transition{Service: "shop", Input: "check:web", At: now.Add(-12 * time.Hour), State: availability.Down},
			timeline.Transition{Service: "shop", Input: "check:web", At: now.Add(-6 * time.Hour), State: availability.Up},
		); err != nil {
			t.Fatal(err)
		}
		if status, _ := h.do(auth.Viewer, "GET", "/api/v1/checks/nope/uptime", ""); status != 404 {
			t.Errorf("an unknown check: %d", status)
		}
		status, b := h.do(auth.Viewer, "GET", "/api/v1/checks/web/uptime", "")
		if status != 200 {
			t.Fatalf("status %d: %s", status, b)
		}
		var ans struct {
			Windows []struct {
				Window   string   `json:"window"`
				Up       float64  `json:"up_seconds"`
				Observed float64  `json:"observed_seconds"`
				Raw      *float64 `json:"raw"`
				InHours  *float64 `json:"in_hours"`
			} `json:"windows"`
		}
		if err := json.Unmarshal(b, &ans); err != nil {
			t.Fatal(err)
		}
		want := []struct {
			window      string
			up, obs     float64
			raw, inHour float64
		}{{"24h", 18 * 3600, 24 * 3600, 0.75, 0.75}, {"7d", 42 * 3600, 48 * 3600, 0.875, 0.875}}
		if len(ans.Windows) != 4 {
			t.Fatalf("%d windows: %s", len(ans.Windows), b)
		}
		for i, w := range want {
			g := ans.Windows[i]
			// The 7-day window starts before the first transition, so it
			// grows by the time between setting up and asking (seconds on
			// a busy machine).
			near := func(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
			if g.Window != w.window || !near(g.Up, w.up, 10) || !near(g.Observed, w.obs, 10) || g.Raw == nil || !near(*g.Raw, w.raw, 1e-3) ||
				g.InHours == nil || !near(*g.InHours, w.inHour, 1e-3) {
				t.Errorf("window %d = %+v; want %+v", i, g, w)
			}
		}
	})
}
