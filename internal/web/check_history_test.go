package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestCheckPageHistory: the check page measures uptime on the check's
// state changes, offers the latency ranges, and collapses results into
// runs with times to the second.
func TestCheckPageHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
		viewer := e.login("victor")
		e.putCheck(monitor.Check{Name: "shop-web", Service: "shop", Type: "http", URL: "http://127.0.0.1:1/", Interval: "30s"})
		e.putCheck(monitor.Check{Name: "shop-api", Service: "shop", Type: "http", URL: "http://127.0.0.1:1/api", Interval: "30s"})
		now := time.Now().UTC().Truncate(time.Second)
		// shop-web: up from 48 h ago, down from 12 h to 6 h ago. Over the
		// last 24 h that is 18 h up of 24 h observed (75%); over 7 days,
		// 42 h of 48 h (87.5%), the time before its first state unobserved.
		if err := e.outages.Append(ctx, nil,
			timeline.Transition{Service: "shop", Input: "check:shop-web", At: now.Add(-48 * time.Hour), State: availability.Up},
			timeline.Transition{Service: "shop", Input: "check:shop-web", At: now.Add(-12 * time.Hour), State: availability.Down},
			timeline.Transition{Service: "shop", Input: "check:shop-web", At: now.Add(-6 * time.Hour), State: availability.Up},
		); err != nil {
			t.Fatal(err)
		}
		// shop-api: three refused connections between two good results.
		base := now.Add(-130 * time.Minute)
		var res []monitor.Result
		for i, out := range []availability.State{availability.Up, availability.Down, availability.Down, availability.Down, availability.Up} {
			reason := "all conditions met"
			if out == availability.Down {
				reason = "connection refused"
			}
			res = append(res, monitor.Result{Check: "shop-api", Location: "local", At: base.Add(time.Duration(i)*time.Minute + 5*time.Second), Outcome: out,
				Latency: time.Duration(10+i) * time.Millisecond, Reason: reason})
		}
		e.record(res...)

		t.Run("uptime tiles", func(t *testing.T) {
			r, body := e.get("/checks/shop-web", &viewer)
			wantStatus(t, r, http.StatusOK)
			wantContains(t, body, `<h2 id="uptime">Uptime</h2>`,
				`<p class="tile-label">Last 24 hours</p>`, `<p class="tile-figure">75%</p>`, "up 18h of 1d observed",
				`<p class="tile-label">Last 7 days</p>`, `<p class="tile-figure">87.5%</p>`, "up 1d18h of 2d observed",
				"In service hours: <strong>75%</strong>", "In service hours: <strong>87.5%</strong>")
		})
		t.Run("a check never observed", func(t *testing.T) {
			e.putCheck(monitor.Check{Name: "shop-new", Service: "shop", Type: "tcp", Host: "shop.internal", Port: 443, Interval: "30s"})
			_, body := e.get("/checks/shop-new", &viewer)
			wantContains(t, body, "nothing observed", `In service hours: <span class="muted">not applicable</span>`)
		})
		t.Run("results collapsed into runs", func(t *testing.T) {
			_, body := e.get("/checks/shop-api", &viewer)
			first, last := base.Add(time.Minute+5*time.Second), base.Add(3*time.Minute+5*time.Second)
			wantContains(t, body, `<td class="num">×3</td>`,
				`title="`+first.Format("2 Jan 2006 15:04:05 UTC")+`">`,
				`–<time datetime="`+last.Format(time.RFC3339)+`"`,
				`<td class="num">12.0 ms</td>`, // the median of 11, 12 and 13 ms
				"The latest 5 results, in runs")
			if !regexp.MustCompile(`since <time datetime="[^"]+">\d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d UTC</time>`).MatchString(body) {
				t.Error("the state's since is not shown to the second")
			}
			if n := strings.Count(body, `<td class="num">×1</td>`); n != 2 {
				t.Errorf("%d runs of one result; want 2", n)
			}
		})
		tests := []struct {
			name, query string
			status      int
			want        []string
		}{
			{"the default range is 24 hours", "", http.StatusOK, []string{"Latency, last 24 hours", `href="/checks/shop-api?range=24h#latency" aria-current="true"`, "5 results over the last 24 hours", "connection refused</title>"}},
			{"one hour reads raw results", "?range=1h", http.StatusOK, []string{"Latency, last 1 hour", "No results in the last 1 hour."}},
			{"seven days read hourly rollups", "?range=7d", http.StatusOK, []string{"Latency, last 7 days", "hourly summar", "over the last 7 days (times in UTC), each drawn at its median", "3 failed"}},
			{"ninety days read daily rollups", "?range=90d", http.StatusOK, []string{"Latency, last 90 days", "No daily summaries in the last 90 days. Summaries are made at each finished day."}},
			{"an unknown range is named", "?range=2y", http.StatusBadRequest, []string{"The range &#34;2y&#34; is not one of 1h, 24h, 7d, 30d or 90d."}},
		}
		e.monitor.Housekeep(ctx)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r, body := e.get("/checks/shop-api"+tt.query, &viewer)
				wantStatus(t, r, tt.status)
				wantContains(t, body, tt.want...)
			})
		}
	})
}

// TestCheckPauseUI: operators pause and resume a check from its page; the
// page and the list say it is paused.
func TestCheckPauseUI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
		operator, viewer := e.login("olivia"), e.login("victor")
		e.putCheck(monitor.Check{Name: "shop-web", Service: "shop", Type: "http", URL: "http://127.0.0.1:1/", Interval: "30s"})
		steps := []struct {
			name    string
			who     *session
			path    string
			status  int
			page    string
			want    []string
			wantNot []string
		}{
			{"a viewer may not pause", &viewer, "/checks/shop-web/pause", http.StatusForbidden, "", nil, nil},
			{"paused", &operator, "/checks/shop-web/pause", http.StatusSeeOther, "/checks/shop-web",
				[]string{`action="/checks/shop-web/resume"`, `<strong>Paused</strong> since`, "the check does not run and its state is unknown"}, []string{`action="/checks/shop-web/pause"`}},
			{"the list says so", &operator, "/checks/shop-web/pause", http.StatusSeeOther, "/checks", []string{`<span class="badge paused">paused</span>`}, nil},
			{"resumed", &operator, "/checks/shop-web/resume", http.StatusSeeOther, "/checks/shop-web",
				[]string{`action="/checks/shop-web/pause"`, "resumed: waiting for the first result"}, []string{"<strong>Paused</strong>"}},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				res, _ := e.post(st.path, url.Values{}, st.who)
				wantStatus(t, res, st.status)
				if st.page == "" {
					return
				}
				_, body := e.get(st.page, st.who)
				wantContains(t, body, st.want...)
				wantNotContains(t, body, st.wantNot...)
			})
		}
	})
}
