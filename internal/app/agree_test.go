package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/cli"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestFiguresAgreeEverywhere records outages through the API and reads the
// same service's report from the API, the CLI, /metrics and the UI: the
// figures must be the same.
func TestFiguresAgreeEverywhere(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dsn, dir := e.DSN(t)
			s := start(t, storetest.Engine{Name: e.Name, DSN: func(testing.TB) (string, string) { return dsn, dir }}, app.Options{Demo: true})
			now := time.Now().UTC().Truncate(time.Second)
			monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
			start := now.Add(-3 * time.Hour)
			if start.Before(monthStart) {
				start = monthStart
			}
			end := start.Add(37*time.Minute + 13*time.Second)
			post := func(path, body string) {
				req, _ := http.NewRequest("POST", s.base+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+s.token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 201 {
					t.Fatalf("POST %s: %d", path, resp.StatusCode)
				}
			}
			post("/api/v1/services/database/outages", fmt.Sprintf(`{"start":%q,"end":%q,"state":"down"}`, start.Format(time.RFC3339), end.Format(time.RFC3339)))

			// An explicit past range: the API and the CLI give the same bytes.
			q := "from=" + monthStart.Format(time.RFC3339) + "&to=" + end.Add(time.Minute).Format(time.RFC3339)
			code, apiJSON := s.do("GET", "/api/v1/services/database/report?"+q, true)
			if code != 200 {
				t.Fatalf("report: %d %s", code, apiJSON)
			}
			var out, errb bytes.Buffer
			env := map[string]string{"SEXTANT_DATABASE": dsn, "SEXTANT_DATA": dir}
			rc := cli.Main([]string{"report", "--service", "database", "--from", monthStart.Format(time.RFC3339), "--to", end.Add(time.Minute).Format(time.RFC3339), "--format", "json"},
				cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
			if rc != 0 {
				t.Fatalf("sextant report: %d %s", rc, errb.String())
			}
			if out.String() != apiJSON {
				t.Fatalf("CLI and API differ:\nCLI: %s\nAPI: %s", out.String(), apiJSON)
			}

			// The current period: API, /metrics and the UI.
			_, cur := s.do("GET", "/api/v1/services/database/report?period=current", true)
			var rep struct {
				Downtime     float64  `json:"downtime_seconds"`
				Availability *float64 `json:"availability"`
				Remaining    float64  `json:"error_budget_remaining_seconds"`
				Outages      int      `json:"outages"`
				Counted      []struct {
					Counted float64 `json:"counted_seconds"`
				} `json:"counted_intervals"`
			}
			if err := json.Unmarshal([]byte(cur), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Downtime != end.Sub(start).Seconds() || rep.Outages != 1 {
				t.Fatalf("current report: %s", cur)
			}
			var rows float64
			for _, c := range rep.Counted {
				rows += c.Counted
			}
			if rows != rep.Downtime {
				t.Errorf("counted intervals add up to %v s, downtime is %v s", rows, rep.Downtime)
			}
			_, metrics := s.do("GET", "/metrics", true)
			metric := func(name string) float64 {
				m := regexp.MustCompile(name + `\{service="database"\} (\S+)`).FindStringSubmatch(metrics)
				if m == nil {
					t.Fatalf("no %s for database in /metrics", name)
				}
				v, _ := strconv.ParseFloat(m[1], 64)
				return v
			}
			if got := metric("sextant_service_downtime_seconds"); got != rep.Downtime {
				t.Errorf("metrics downtime %v, API %v", got, rep.Downtime)
			}
			if got := metric("sextant_service_availability_ratio"); got != *rep.Availability {
				t.Errorf("metrics availability %v, API %v", got, *rep.Availability)
			}
			if got := metric("sextant_service_error_budget_remaining_seconds"); got != rep.Remaining {
				t.Errorf("metrics budget %v, API %v", got, rep.Remaining)
			}
			if got := metric("sextant_service_outages"); got != float64(rep.Outages) {
				t.Errorf("metrics outages %v, API %v", got, rep.Outages)
			}

			id, _, err := s.app.Auth().Login(context.Background(), "admin", adminPassword(t, s), "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", s.base+"/services/database", nil)
			req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: id})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			figure := func(id string) string {
				m := regexp.MustCompile(`id="` + id + `">([^<]*)`).FindSubmatch(page)
				if m == nil {
					t.Fatalf("no #%s on the service page", id)
				}
				return strings.TrimSpace(string(m[1]))
			}
			wantAvail := availability.Percent(*rep.Availability)
			if got := figure("fig-availability"); got != wantAvail {
				t.Errorf("UI availability %q, API %q", got, wantAvail)
			}
			if got := figure("fig-downtime"); got != duration.Format(time.Duration(rep.Downtime)*time.Second) {
				t.Errorf("UI downtime %q, API %v s", got, rep.Downtime)
			}
			if got := figure("fig-outages"); got != strconv.Itoa(rep.Outages) {
				t.Errorf("UI outages %q, API %d", got, rep.Outages)
			}
			if got, want := figure("counted-total"), figure("fig-downtime"); got != want {
				t.Errorf("UI counted intervals total %q, counted downtime %q", got, want)
			}

			// The CLI's table prints the figures as the UI does.
			out.Reset()
			rc = cli.Main([]string{"report", "--service", "database", "--period", "current"},
				cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
			if rc != 0 {
				t.Fatalf("sextant report --format table: %d %s", rc, errb.String())
			}
			line := func(label string) string {
				m := regexp.MustCompile(`(?m)^` + label + `\s+(.*?)\s*$`).FindStringSubmatch(out.String())
				if m == nil {
					t.Fatalf("no %q in the table:\n%s", label, out.String())
				}
				return m[1]
			}
			for _, c := range []struct{ label, id string }{{"availability", "fig-availability"}, {"counted downtime", "fig-downtime"}, {"longest outage", "fig-longest"}, {"outages", "fig-outages"}} {
				if got, want := line(c.label), figure(c.id); got != want {
					t.Errorf("CLI table %s %q, UI %q", c.label, got, want)
				}
			}
		})
	}
}

func adminPassword(t *testing.T, s *server) string {
	m := regexp.MustCompile(`sign in as "admin" with the password (\S+)`).FindStringSubmatch(s.out.String())
	if m == nil {
		t.Fatalf("no admin password in %q", s.out)
	}
	return m[1]
}
