package app_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestLicenceExpiryWarning runs the warning through the whole server: a
// licence of the file expiring in ten days is warned of to the channel
// the licence settings name, once, as a notice about no incident (signed
// like every webhook delivery), with a link to the licence's page.
func TestLicenceExpiryWarning(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := &hook{t: t}
			recv := httptest.NewServer(h)
			defer recv.Close()
			dir := t.TempDir()
			expires := time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)
			cfg := incidentConfig(t, dir, recv.URL, fmt.Sprintf(`currency: EUR
cmdb:
  licences: {channels: [ops-hook], warn_days: 30}
  items:
    - {name: office, class: licence, attributes: {product: Office, seats: 1, cost_per_seat: "20", expires: %s}}
    - {name: pc-1, class: server}
    - {name: pc-2, class: server}
  relations:
    - {from: office, type: installed_on, to: pc-1}
    - {from: office, type: installed_on, to: pc-2}
`, expires))
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			waitUntil(t, "the licence warning", 10*time.Second, func() bool { return len(h.events()) >= 1 })
			want := "licence_expiring:Licence office (Office) expires on " + expires + ", in 10 days; 2 of 1 seats in use, 1 over quota"
			if got := h.events(); len(got) != 1 || got[0] != want {
				t.Fatalf("webhook got %q, want %q", got, want)
			}
			h.mu.Lock()
			inc, _ := h.received[0]["incident"].(map[string]any)
			h.mu.Unlock()
			if url, _ := inc["url"].(string); !strings.HasSuffix(url, "/cis/office") || inc["id"] != float64(0) || inc["severity"] != "warning" {
				t.Fatalf("delivery: %v", inc)
			}
			code, body := s.do("GET", "/api/v1/licences/office", true)
			if code != 200 || !strings.Contains(body, `"over_quota_cost": 20`) || !strings.Contains(body, `"currency": "EUR"`) || !strings.Contains(body, `"days_to_expiry": 10`) {
				t.Fatalf("report: %d %s", code, body)
			}
			// A reload is no new expiry: nothing more is sent.
			if code, body := s.do("POST", "/api/v1/config/reload", true); code != 200 {
				t.Fatalf("reload: %d %s", code, body)
			}
			time.Sleep(300 * time.Millisecond)
			if got := h.events(); len(got) != 1 {
				t.Fatalf("sent again: %q", got)
			}
		})
	}
}
