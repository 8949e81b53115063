package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// validCheckForm returns a complete, valid form for a new HTTP check.
func validCheckForm(name string) url.Values {
	return url.Values{
		"name": {name}, "service": {"payroll"}, "type": {"http"}, "url": {"https://payroll.example.net/health"}, "method": {"GET"},
		"host": {""}, "port": {""}, "record": {""}, "expect": {""}, "period": {""}, "grace": {""}, "cron": {""}, "timezone": {""},
		"interval": {"30s"}, "timeout": {"5s"}, "conditions": {"[STATUS] == 200\r\n\r\ndegraded: [RESPONSE_TIME] < 500\r\n"},
		"fail_after": {"3"}, "recover_after": {"2"}, "locations": {"local, eu"}, "quorum": {"1"},
	}
}

func TestChecksUI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.putService(catalog.Service{Name: "database", Title: "Main database"})
		e.putService(catalog.Service{Name: "payroll", Title: "Payroll"})
		operator, viewer := e.login("olivia"), e.login("victor")

		e.putCheck(monitor.Check{Name: "payroll-web", Service: "payroll", Type: "http", URL: "http://127.0.0.1:1/", Interval: "30s",
			Locations: []string{"local", "eu"}, Quorum: 1})
		e.putCheck(monitor.Check{Name: "payroll-slow", Service: "payroll", Type: "http", URL: "http://127.0.0.1:1/slow", Interval: "30s",
			Conditions: []monitor.ConditionSpec{{Condition: "[RESPONSE_TIME] < 500", Degraded: true}}})
		e.putCheck(monitor.Check{Name: "db-tcp", Service: "database", Type: "tcp", Host: "db.internal", Port: 5432, Interval: "30s"})
		beat := e.putCheck(monitor.Check{Name: "nightly-backup", Service: "database", Type: "heartbeat", Period: "24h", Grace: "1h"})

		now := time.Now().UTC()
		// A day of history for payroll-web, with one degraded result, then
		// recent failures at local while eu still sees it up.
		var hist []monitor.Result
		for i := 20; i >= 1; i-- {
			out, reason := availability.Up, "all conditions met"
			if i == 7 {
				out, reason = availability.Degraded, "[RESPONSE_TIME] (612) < 500"
			}
			hist = append(hist, monitor.Result{Check: "payroll-web", Location: "local", At: now.Add(-time.Duration(i) * time.Hour), Outcome: out,
				Latency: time.Duration(20+i) * time.Millisecond, Reason: reason})
		}
		e.record(hist...)
		e.record(
			monitor.Result{Check: "payroll-web", Location: "eu", At: now.Add(-3 * time.Second), Outcome: availability.Up, Latency: 48 * time.Millisecond, Reason: "all conditions met"},
			monitor.Result{Check: "payroll-web", Location: "local", At: now.Add(-2 * time.Second), Outcome: availability.Down, Latency: 0, Reason: "connection refused"},
			monitor.Result{Check: "payroll-slow", Location: "local", At: now.Add(-2 * time.Second), Outcome: availability.Degraded, Latency: 812 * time.Millisecond, Reason: "[RESPONSE_TIME] (812) < 500"},
			monitor.Result{Check: "db-tcp", Location: "local", At: now.Add(-4 * time.Second), Outcome: availability.Up, Latency: 2 * time.Millisecond, Reason: "all conditions met"},
			monitor.Result{Check: "db-tcp", Location: "local", At: now.Add(-1 * time.Second), Outcome: availability.Up, Latency: 3 * time.Millisecond, Reason: "all conditions met"},
		)
		e.monitor.Housekeep(ctx) // the finished hours become rollups

		t.Run("list shows states, sorted worst first", func(t *testing.T) {
			res, body := e.get("/checks", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `<a href="/checks" aria-current="page">Checks</a>`,
				`<a href="/checks/payroll-web">payroll-web</a>`, `<a href="/services/payroll">payroll</a>`,
				`<span class="badge state down">down</span>`, `<span class="badge state degraded">degraded</span>`,
				`<span class="badge state up">up</span>`, `<span class="badge state unknown">unknown</span>`,
				"connection refused", "no result yet", "3.00 ms", `<svg class="spark"`, `<polyline points="`)
			order := []string{">payroll-web<", ">payroll-slow<", ">nightly-backup<", ">db-tcp<"}
			for i := 1; i < len(order); i++ {
				if strings.Index(body, order[i-1]) > strings.Index(body, order[i]) {
					t.Errorf("%s is listed after %s", order[i-1], order[i])
				}
			}
			wantNotContains(t, body, `href="/checks/new"`)
			_, body = e.get("/checks", &operator)
			wantContains(t, body, `href="/checks/new"`)
		})

		t.Run("list filters", func(t *testing.T) {
			row := func(name string) string { return `<th scope="row"><a href="/checks/` + name + `">` }
			_, body := e.get("/checks?service=database", &viewer)
			wantContains(t, body, row("db-tcp"), row("nightly-backup"), `<option value="database" selected>`)
			wantNotContains(t, body, row("payroll-web"))
			_, body = e.get("/checks?state=down", &viewer)
			wantContains(t, body, row("payroll-web"), `<option value="down" selected>`)
			wantNotContains(t, body, row("db-tcp"), row("payroll-slow"))
			_, body = e.get("/checks?service=payroll&state=up", &viewer)
			wantContains(t, body, "No check matches the filter.")
		})

		t.Run("check page", func(t *testing.T) {
			res, body := e.get("/checks/payroll-web", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `<span class="badge state down">down</span> since`, "connection refused",
				"<code>GET http://127.0.0.1:1/</code>", "<dd>30s</dd>", "<dd>local, eu</dd>", "1 of 2 locations",
				// per-location table
				`<th scope="row">eu</th>`, `<th scope="row">local</th>`, "48.0 ms",
				// chart with axes, a line per location, failures and degradations marked
				`<svg class="chart" viewBox="0 0 720 220"`, `class="series s0"`, `class="series s1"`, `class="mark down"`, `class="mark degraded"`,
				` ms</text>`, "1 failed", "1 degraded",
				// results and rollups
				`aria-label="Recent results"`, "[RESPONSE_TIME] (612) &lt; 500", "Hourly, last 7 days")
			wantNotContains(t, body, `href="/checks/payroll-web/edit"`, `href="/checks/payroll-web/delete"`, `id="ping-url"`)
			_, body = e.get("/checks/payroll-web", &operator)
			wantContains(t, body, `href="/checks/payroll-web/edit"`, `href="/checks/payroll-web/delete"`)

			_, body = e.get("/checks/db-tcp", &viewer)
			wantContains(t, body, "<code>connect to db.internal:5432</code>", `<span class="badge state up">up</span>`)
		})

		t.Run("heartbeat page shows where to ping", func(t *testing.T) {
			res, body := e.get("/checks/nightly-backup", &viewer)
			wantStatus(t, res, http.StatusOK)
			ping := "http://example.com/api/v1/heartbeats/" + beat.HeartbeatToken
			wantContains(t, body, `<label for="ping-url">Ping URL</label>`, `id="ping-url" value="`+ping+`" readonly`,
				"curl -fsS -m 10 --retry 3 "+ping, ping+"/start", ping+"/fail", "Next ping due by", "pinged every 24h, with 1h grace")
			wantNotContains(t, body, `aria-label="Locations"`)
		})

		t.Run("service page lists its checks", func(t *testing.T) {
			_, body := e.get("/services/payroll", &viewer)
			wantContains(t, body, `<h2 id="checks">Checks</h2>`, `<a href="/checks/payroll-web">payroll-web</a>`, `<span class="badge state down">down</span>`)
			wantNotContains(t, body, "/checks/new?service=payroll", ">db-tcp<")
			_, body = e.get("/services/payroll", &operator)
			wantContains(t, body, `href="/checks/new?service=payroll"`)
			res, body := e.get("/checks/new?service=payroll", &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `<option value="payroll" selected>payroll</option>`, `name="csrf" value="`+operator.csrf+`"`)
		})

		t.Run("create through the form", func(t *testing.T) {
			res, _ := e.post("/checks/new", validCheckForm("payroll-api"), &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != "/checks/payroll-api?saved=1" {
				t.Errorf("Location %q", loc)
			}
			c, err := e.checks.Get(ctx, "payroll-api")
			if err != nil {
				t.Fatal(err)
			}
			want := []monitor.ConditionSpec{{Condition: "[STATUS] == 200"}, {Condition: "[RESPONSE_TIME] < 500", Degraded: true}}
			if c.URL != "https://payroll.example.net/health" || c.Interval != "30s" || c.FailAfter != 3 || c.RecoverAfter != 2 ||
				len(c.Locations) != 2 || c.Locations[1] != "eu" || len(c.Conditions) != 2 || c.Conditions[0] != want[0] || c.Conditions[1] != want[1] ||
				c.Source != catalog.SourceAPI {
				t.Errorf("stored %+v", c.Check)
			}
			// Scheduled: the monitor knows it.
			st, err := e.monitor.StatusOf("payroll-api", "http://x")
			if err != nil || st.State != availability.Unknown {
				t.Errorf("StatusOf: %+v, %v", st.State, err)
			}
			_, body := e.get("/checks/payroll-api?saved=1", &operator)
			wantContains(t, body, "Saved.", "(degrades when false)", "No results in the last 24 hours.")

			res, body = e.get("/checks/payroll-api/edit", &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `value="local, eu"`, "[STATUS] == 200\ndegraded: [RESPONSE_TIME] &lt; 500</textarea>",
				`<option value="http" selected>`, `<option value="GET" selected>`)
			wantNotContains(t, body, `name="name"`)
		})

		t.Run("edit keeps what the form does not show", func(t *testing.T) {
			e.putCheck(monitor.Check{Name: "with-headers", Service: "payroll", Type: "http", URL: "https://a.example/", Headers: map[string]string{"Authorization": "Bearer x"}})
			form := validCheckForm("ignored")
			form.Set("url", "https://b.example/")
			res, _ := e.post("/checks/with-headers/edit", form, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			c, err := e.checks.Get(ctx, "with-headers")
			if err != nil || c.URL != "https://b.example/" || c.Headers["Authorization"] != "Bearer x" || c.Name != "with-headers" {
				t.Errorf("after edit %+v, %v", c.Check, err)
			}
		})

		t.Run("invalid input is shown next to its field", func(t *testing.T) {
			form := validCheckForm("bad-check")
			form.Set("url", "ftp://payroll.example.net/")
			form.Set("conditions", "[STATUS] == 200\n[NOPE] == 1")
			form.Set("locations", "local, EU")
			res, body := e.post("/checks/new", form, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body,
				`<a href="#f-url">URL</a>: expected an http:// or https:// URL, got &#34;ftp://payroll.example.net/&#34;`,
				`<ul class="problems" id="f-url-error"><li>expected an http:// or https:// URL`,
				`id="f-url" name="url" value="ftp://payroll.example.net/"`,
				`<ul class="problems" id="f-conditions-error"><li>line 2: `,
				`<ul class="problems" id="f-locations-error"><li>location 2: `,
				`value="bad-check"`, `value="local, EU"`, "[STATUS] == 200\n[NOPE] == 1</textarea>")
			if _, err := e.checks.Get(ctx, "bad-check"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("the invalid check was stored: %v", err)
			}
			if _, err := e.monitor.StatusOf("bad-check", ""); err == nil {
				t.Error("the invalid check is scheduled")
			}
		})

		t.Run("numbers that do not parse", func(t *testing.T) {
			form := validCheckForm("bad-numbers")
			form.Set("port", "eighty")
			form.Set("fail_after", "three")
			form.Set("quorum", "1.5")
			res, body := e.post("/checks/new", form, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, "3 problems to fix", `id="f-port-error"`, `value="eighty"`, `id="f-fail_after-error"`, `value="three"`, `id="f-quorum-error"`)
			if _, err := e.checks.Get(ctx, "bad-numbers"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("stored: %v", err)
			}
		})

		t.Run("a taken name is a conflict on the form", func(t *testing.T) {
			res, body := e.post("/checks/new", validCheckForm("payroll-web"), &operator)
			wantStatus(t, res, http.StatusConflict)
			wantContains(t, body, `check &#34;payroll-web&#34; already exists`, `value="https://payroll.example.net/health"`)
		})

		t.Run("viewers cannot change checks", func(t *testing.T) {
			for _, path := range []string{"/checks/new", "/checks/db-tcp/edit", "/checks/db-tcp/delete"} {
				res, _ := e.get(path, &viewer)
				wantStatus(t, res, http.StatusForbidden)
			}
			res, _ := e.post("/checks/new", validCheckForm("viewer-made"), &viewer)
			wantStatus(t, res, http.StatusForbidden)
			res, _ = e.post("/checks/db-tcp/edit", validCheckForm("db-tcp"), &viewer)
			wantStatus(t, res, http.StatusForbidden)
			res, _ = e.post("/checks/db-tcp/delete", nil, &viewer)
			wantStatus(t, res, http.StatusForbidden)
			if _, err := e.checks.Get(ctx, "viewer-made"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("a viewer created a check: %v", err)
			}
			if c, err := e.checks.Get(ctx, "db-tcp"); err != nil || c.Type != "tcp" {
				t.Errorf("db-tcp changed: %+v, %v", c.Check, err)
			}
		})

		t.Run("posts need the CSRF token", func(t *testing.T) {
			for _, token := range []string{"", operator.csrf + "x", viewer.csrf} {
				form := validCheckForm("csrf-made")
				form.Set("csrf", token)
				res, body := e.post("/checks/new", form, &operator)
				wantStatus(t, res, http.StatusForbidden)
				wantContains(t, body, "security token")
				res, _ = e.post("/checks/db-tcp/delete", url.Values{"csrf": {token}}, &operator)
				wantStatus(t, res, http.StatusForbidden)
			}
			if _, err := e.checks.Get(ctx, "csrf-made"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("created without a token: %v", err)
			}
			if _, err := e.checks.Get(ctx, "db-tcp"); err != nil {
				t.Errorf("deleted without a token: %v", err)
			}
		})

		t.Run("delete", func(t *testing.T) {
			res, body := e.get("/checks/db-tcp/delete", &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "Delete check db-tcp?", `action="/checks/db-tcp/delete"`, `name="csrf" value="`+operator.csrf+`"`)
			res, _ = e.post("/checks/db-tcp/delete", nil, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != "/checks?deleted=db-tcp" {
				t.Errorf("Location %q", loc)
			}
			if _, err := e.checks.Get(ctx, "db-tcp"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("still stored: %v", err)
			}
			if _, err := e.monitor.StatusOf("db-tcp", ""); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("still scheduled: %v", err)
			}
			_, body = e.get("/checks?deleted=db-tcp", &operator)
			wantContains(t, body, "Check <strong>db-tcp</strong> was deleted.")
			wantNotContains(t, body, `href="/checks/db-tcp"`)
		})

		t.Run("unknown checks are not found", func(t *testing.T) {
			_, body := e.get("/checks/nope", &viewer)
			wantContains(t, body, "Check &#34;nope&#34; does not exist.")
			for _, path := range []string{"/checks/nope", "/checks/nope/edit", "/checks/nope/delete"} {
				res, _ := e.get(path, &operator)
				wantStatus(t, res, http.StatusNotFound)
			}
			res, _ := e.post("/checks/nope/delete", nil, &operator)
			wantStatus(t, res, http.StatusNotFound)
			res, _ = e.post("/checks/nope/edit", validCheckForm("nope"), &operator)
			wantStatus(t, res, http.StatusNotFound)
		})
	})
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.4: 1, 1: 1, 1.2: 2, 3: 5, 7: 10, 10: 10, 11: 20, 48: 50, 120: 200, 812: 1000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestSparkline(t *testing.T) {
	if newSparkline(nil) != nil || newSparkline([]monitor.Result{{Latency: time.Millisecond}}) != nil {
		t.Error("a sparkline of fewer than two results")
	}
	// Newest first in, oldest first (left) out.
	s := newSparkline([]monitor.Result{{Latency: 0}, {Latency: 10 * time.Millisecond}})
	if s == nil || s.Points != "1.0,2.0 119.0,22.0" {
		t.Errorf("sparkline %+v", s)
	}
}

// TestChecksListPages: the list shows 100 checks a page, worst first.
func TestChecksListPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop"})
		for i := 0; i < 105; i++ {
			e.putCheck(monitor.Check{Name: fmt.Sprintf("c%03d", i), Service: "shop", Type: "tcp", Host: "127.0.0.1", Port: 1})
		}
		viewer := e.login("victor")
		_, first := e.get("/checks", &viewer)
		wantContains(t, first, "Checks 1–100 of 105", `href="/checks?page=2"`, ">c099<")
		if strings.Contains(first, ">c100<") {
			t.Error("page 1 shows the 101st check")
		}
		_, second := e.get("/checks?page=2", &viewer)
		wantContains(t, second, "Checks 101–105 of 105", `href="/checks?page=1"`, ">c104<")
		if resp, _ := e.get("/checks?page=3", &viewer); resp.StatusCode != http.StatusNotFound {
			t.Errorf("page past the end: %d", resp.StatusCode)
		}
		if resp, _ := e.get("/checks?page=zero", &viewer); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bad page number: %d", resp.StatusCode)
		}
	})
}
