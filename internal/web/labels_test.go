package web

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

var (
	summaryLink = regexp.MustCompile(`<li><a href="#(f-[^"]+)">([^<]+)</a>:`)
	labelFor    = regexp.MustCompile(`<label for="(f-[^"]+)"[^>]*>([^<]+)</label>`)
)

// TestSummaryNamesFieldsByTheirLabels submits forms with a mistake in
// every field it can and checks that the problem summary names each field
// as its label on the form does, so that a person finds what to fix.
func TestSummaryNamesFieldsByTheirLabels(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newPMEnv(t, db)
		e.putService(testService("payroll"))
		e.putCheck(monitor.Check{Name: "web", Service: "payroll", Type: "tcp", Host: "127.0.0.1", Port: 1, Interval: "1h"})
		op, admin := e.login("olivia"), e.login("ada")
		bad := validServiceForm("Bad Name")
		for k, v := range map[string]string{"title": strings.Repeat("x", 300), "tier": "nine", "objective.availability": "always",
			"objective.max_outage": "soon", "objective.max_outages": "-1", "objective.period": "fortnight", "objective.hours": "nowhere",
			"depends_on[0].service": "nobody", "maintenance[0].rrule": "FREQ=SOMETIMES", "maintenance[0].start": "yesterday"} {
			bad.Set(k, v)
		}
		for _, tc := range []struct {
			name, path string
			form       url.Values
			s          *session
		}{
			{"service", "/services/new", bad, &op},
			{"check", "/checks/new", url.Values{"name": {"Bad Name"}, "service": {"nobody"}, "type": {"http"}, "url": {"not a url"}, "interval": {"often"},
				"timeout": {"long"}, "conditions": {"[STATUS] ==="}, "fail_after": {"x"}, "recover_after": {"-2"}}, &op},
			{"calendar", "/calendars/new", url.Values{"name": {"Bad Name"}, "timezone": {"Europe/Pariss"}, "weekly[0].days": {"someday"},
				"weekly[0].from": {"25:00"}, "weekly[0].to": {"x"}, "holidays": {"2026-13-01"}}, &op},
			{"user", "/admin/users", url.Values{"name": {"Bad Name"}, "role": {"king"}, "password": {"short"}, "password_confirm": {"other"}, "email": {"nope"}}, &admin},
			{"known error", "/known-errors/new", url.Values{"title": {""}, "service": {"nobody"}, "summary_match": {"("}, "workaround": {""}}, &op},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, body := e.post(tc.path, tc.form, tc.s)
				labels := map[string]string{}
				for _, m := range labelFor.FindAllStringSubmatch(body, -1) {
					labels[m[1]] = strings.TrimSpace(html.UnescapeString(m[2]))
				}
				links := summaryLink.FindAllStringSubmatch(body, -1)
				if len(links) == 0 {
					t.Fatalf("no problem summary with links:\n%s", body)
				}
				for _, m := range links {
					want, ok := labels[m[1]]
					if !ok {
						continue // a row or a list as a whole: its legend, not a label
					}
					// A field in a row is named with its row: "Window 1, from"
					// for the label "From" in the first window's row.
					got := html.UnescapeString(m[2])
					if _, inRow, ok := strings.Cut(got, ", "); ok && strings.EqualFold(inRow, want) {
						continue
					}
					if got != want {
						t.Errorf("the summary names #%s %q, its label reads %q", m[1], got, want)
					}
				}
			})
		}
	})
}
