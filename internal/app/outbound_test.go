package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestOutboundPolicyAndReload runs a check and a webhook channel, both on
// 127.0.0.1, under a config whose outbound policy denies loopback: the
// check goes down with the policy's reason, its incident's notification
// fails with the same reason in the delivery log, and neither target is
// reached. A reload with a policy that allows loopback applies to the next
// dial: the check comes back up and the resolved notification arrives.
func TestOutboundPolicyAndReload(t *testing.T) {
	const reason = "address 127.0.0.1 refused by the outbound policy (deny loopback 127.0.0.0/8)"
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := &hook{t: t}
			recv := httptest.NewServer(h)
			defer recv.Close()
			var hits atomic.Int64
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Write([]byte("internal page"))
			}))
			defer target.Close()
			dir := t.TempDir()
			check := fmt.Sprintf(`checks:
  - {name: shop-web, service: shop, type: http, url: "%s", interval: 1s, timeout: 1s, fail_after: 1, recover_after: 1}
`, target.URL)
			cfg := incidentConfig(t, dir, recv.URL, check+"outbound:\n  deny: [loopback]\n")
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
			status := func() monitor.Status {
				var st monitor.Status
				s.json("GET", "/api/v1/checks/shop-web", "", &st)
				return st
			}
			incidents := func() []incident.Incident {
				var list struct{ Items []incident.Incident }
				s.json("GET", "/api/v1/incidents?dedup_key=check:shop-web", "", &list)
				return list.Items
			}
			deliveries := func(id int64) []notify.Delivery {
				var detail struct {
					Deliveries []notify.Delivery `json:"deliveries"`
				}
				s.json("GET", fmt.Sprintf("/api/v1/incidents/%d", id), "", &detail)
				return detail.Deliveries
			}

			waitUntil(t, "the check to go down", 8*time.Second, func() bool { return status().State.String() == "down" })
			if st := status(); st.Reason != reason {
				t.Fatalf("check reason = %q, want %q", st.Reason, reason)
			}
			waitUntil(t, "an incident", 8*time.Second, func() bool { return len(incidents()) == 1 })
			id := incidents()[0].ID
			waitUntil(t, "the failed delivery", 8*time.Second, func() bool {
				d := deliveries(id)
				return len(d) == 1 && d[0].Status == "failed"
			})
			if d := deliveries(id)[0]; !strings.Contains(d.LastError, reason) || d.Attempts != 1 {
				t.Fatalf("delivery = %+v: want one attempt failing with %q", d, reason)
			}
			if hits.Load() != 0 || len(h.events()) != 0 {
				t.Fatalf("reached under a policy denying loopback: target %d requests, webhook %v", hits.Load(), h.events())
			}

			// The same file with a policy that leaves loopback alone.
			incidentConfig(t, dir, recv.URL, check+"outbound:\n  checks: {deny: [192.0.2.0/24]}\n")
			if code, body := s.do("POST", "/api/v1/config/reload", true); code != http.StatusOK {
				t.Fatalf("reload: %d %s", code, body)
			}
			waitUntil(t, "the check to come up", 8*time.Second, func() bool { return status().State.String() == "up" })
			if hits.Load() == 0 {
				t.Fatal("the check is up without reaching its target")
			}
			waitUntil(t, "the resolved notification", 8*time.Second, func() bool { return len(h.events()) == 1 })
			if got := h.events()[0]; !strings.HasPrefix(got, "resolved:") {
				t.Fatalf("webhook got %q", got)
			}
		})
	}
}

// TestBadOutboundPolicyIsRefusedOnReload: a reload with a bad CIDR is
// refused with the entry's line, column and pointer, like any config
// mistake (and so the running config, policy included, stays).
func TestBadOutboundPolicyIsRefusedOnReload(t *testing.T) {
	e := storetest.Engines(t)[0] // the config's handling does not depend on the engine
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sextant.yaml")
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("services:\n  - name: shop\noutbound:\n  deny: [loopback]\n")
	s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})
	write("services:\n  - name: shop\noutbound:\n  deny: [loopback, 10.0.0.0/33]\n")
	code, body := s.do("POST", "/api/v1/config/reload", true)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"pointer":"/outbound/deny/1"`) || !strings.Contains(body, `"line":4,"column":20`) || !strings.Contains(body, "10.0.0.0/33") {
		t.Fatalf("bad reload: %d %s", code, body)
	}
}
