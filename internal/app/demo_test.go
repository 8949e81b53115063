package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestDemoMovesByItself runs the demo with its cycle shortened from 4
// minutes to 4 seconds: its target fails, the check's incident opens and
// resolves by itself, the demo channel's delivery is logged as sent, the
// check page draws its latency, and the printed curl line raises an
// incident through the events integration.
func TestDemoMovesByItself(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e, app.Options{Demo: true, DemoCycle: 4 * time.Second})
			type incident struct {
				ID      int64  `json:"id"`
				Service string `json:"service"`
				Status  string `json:"status"`
				Source  string `json:"source"`
				Summary string `json:"summary"`
			}
			var done incident
			for deadline := time.Now().Add(40 * time.Second); done.ID == 0; {
				var list struct{ Items []incident }
				s.json("GET", "/api/v1/incidents?service=shop", "", &list)
				for _, i := range list.Items {
					if i.Source == "check shop-web" && i.Status == "resolved" {
						done = i
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("no incident from shop-web opened and resolved by itself within 40 s: %+v", list.Items)
				}
				time.Sleep(250 * time.Millisecond)
			}
			if !strings.Contains(done.Summary, "shop-web is down") {
				t.Errorf("the incident reads %q", done.Summary)
			}
			// The demo channel's delivery about it reached the demo's own
			// receiver and is logged on the incident.
			for deadline := time.Now().Add(10 * time.Second); ; {
				var got struct {
					Deliveries []struct{ Channel, Status string }
				}
				s.json("GET", fmt.Sprintf("/api/v1/incidents/%d", done.ID), "", &got)
				sent := false
				for _, d := range got.Deliveries {
					sent = sent || (d.Channel == "demo-hook" && d.Status == "sent")
				}
				if sent {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no sent delivery to demo-hook: %+v", got.Deliveries)
				}
				time.Sleep(200 * time.Millisecond)
			}
			// The check page draws a latency chart from the results.
			sid, _, err := s.app.Auth().Login(context.Background(), "admin", adminPassword(t, s), "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", s.base+"/checks/shop-web", nil)
			req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: sid})
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !strings.Contains(string(page), `<svg class="chart"`) || !regexp.MustCompile(`<polyline class="series[^"]*" points="[0-9.]+,[0-9.]+ [0-9.]+,[0-9.]+`).Match(page) {
				t.Errorf("the check page has no latency chart with data:\n%s", page)
			}
			// The printed curl line works as printed.
			m := regexp.MustCompile(`curl -sS -X POST (\S+) -H 'Content-Type: application/json' -d '([^']+)'`).FindStringSubmatch(s.out.String())
			if m == nil {
				t.Fatalf("no curl line in the start-up output:\n%s", s.out)
			}
			if !strings.HasPrefix(m[1], s.base+"/") {
				t.Errorf("the curl line posts to %s, not this server", m[1])
			}
			res, err = http.Post(m[1], "application/json", strings.NewReader(m[2]))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusAccepted {
				t.Fatalf("the printed curl line got %d", res.StatusCode)
			}
			var open struct{ Items []incident }
			s.json("GET", "/api/v1/incidents?status=open&service=payments", "", &open)
			found := false
			for _, i := range open.Items {
				found = found || i.Summary == "Disk almost full on db-1"
			}
			if !found {
				t.Errorf("the alert sent with the printed key opened no incident: %+v", open.Items)
			}
		})
	}
}
