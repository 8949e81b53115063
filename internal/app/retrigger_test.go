package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestResolvingWhileCheckFailsPagesAgain runs a real check against a
// failing target: resolving its incident through the API while it still
// fails says so, and the check's next failing result opens a new incident
// and pages again (once); recovery resolves it.
func TestResolvingWhileCheckFailsPagesAgain(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := &hook{t: t}
			recv := httptest.NewServer(h)
			defer recv.Close()
			var failing atomic.Bool
			failing.Store(true)
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failing.Load() {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}))
			defer target.Close()
			dir := t.TempDir()
			cfg := incidentConfig(t, dir, recv.URL, fmt.Sprintf(`checks:
  - {name: shop-web, service: shop, type: http, url: "%s", interval: 1s, timeout: 1s, fail_after: 1, recover_after: 1}
`, target.URL))
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			incidents := func() []incident.Incident {
				var list struct{ Items []incident.Incident }
				s.json("GET", "/api/v1/incidents?dedup_key=check:shop-web", "", &list)
				return list.Items
			}
			waitUntil(t, "an incident", 8*time.Second, func() bool { return len(incidents()) == 1 })
			waitUntil(t, "the first page", 8*time.Second, func() bool { return len(h.events()) == 1 })

			var resolved incident.Incident
			if code := s.json("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", incidents()[0].ID), "", &resolved); code != http.StatusOK ||
				resolved.Status != incident.Resolved || resolved.Notice != "The check shop-web is still failing: its next failing result will open a new incident." {
				t.Fatalf("resolve: %d %+v", code, resolved)
			}
			waitUntil(t, "a new incident", 8*time.Second, func() bool { l := incidents(); return len(l) == 2 && l[0].Status == incident.Triggered })
			waitUntil(t, "the second page", 8*time.Second, func() bool { return len(h.events()) == 3 })
			time.Sleep(2 * time.Second) // further failing results must neither open nor page
			got := h.events()
			if len(got) != 3 || !strings.HasPrefix(got[0], "triggered:shop-web is down") || !strings.HasPrefix(got[1], "resolved:") ||
				!strings.HasPrefix(got[2], "triggered:shop-web is still down: [STATUS] (503)") || len(incidents()) != 2 || h.bad.Load() != 0 {
				t.Fatalf("webhook got %v, incidents %+v", got, incidents())
			}
			failing.Store(false)
			waitUntil(t, "recovery to resolve it", 8*time.Second, func() bool { return incidents()[0].Status == incident.Resolved })
			if l := incidents(); len(l) != 2 || l[0].ResolvedBy != "integration:checks" {
				t.Fatalf("after recovery: %+v", l)
			}
		})
	}
}

// TestResolveNoticeIsDocumented: the OpenAPI document tells clients of the
// resolve answer's notice.
func TestResolveNoticeIsDocumented(t *testing.T) {
	s := start(t, storetest.Engines(t)[0], app.Options{})
	var doc struct {
		Paths map[string]map[string]struct {
			Description string `json:"description"`
		} `json:"paths"`
	}
	s.json("GET", "/api/v1/openapi.json", "", &doc)
	if d := doc.Paths["/api/v1/incidents/{id}/resolve"]["post"].Description; !strings.Contains(d, "`notice`") {
		t.Fatalf("resolve's description = %q", d)
	}
}
