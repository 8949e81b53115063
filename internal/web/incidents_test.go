package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestIncidentsUI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
		e.putService(catalog.Service{Name: "payroll", Title: "Payroll"})
		operator, viewer := e.login("olivia"), e.login("victor")

		status := func(t *testing.T, id int64) incident.Incident {
			t.Helper()
			i, _, err := e.incidents.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return i
		}
		page := func(id int64) string { return "/incidents/" + strconv.FormatInt(id, 10) }

		t.Run("no incidents yet", func(t *testing.T) {
			res, body := e.get("/incidents", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "No open incidents.", `href="/incidents?status=all"`)
		})

		// Oldest first: a resolved one, an acknowledged one, two triggered.
		gone := e.trigger("shop", "disk", "Disk full on shop-db")
		if _, err := e.incidents.Resolve(ctx, gone, "test"); err != nil {
			t.Fatal(err)
		}
		acked := e.trigger("shop", "latency", "Checkout is slow")
		if _, err := e.incidents.Acknowledge(ctx, acked, "user:someone"); err != nil {
			t.Fatal(err)
		}
		pay := e.trigger("payroll", "export", "Payroll export failing")
		shop := e.trigger("shop", "5xx", "Checkout returns 503")

		t.Run("navigation lists incidents first", func(t *testing.T) {
			_, body := e.get("/incidents", &viewer)
			nav := body[strings.Index(body, `<nav aria-label="Main"`):]
			if i, j := strings.Index(nav, `href="/incidents"`), strings.Index(nav, `href="/services"`); i < 0 || i > j {
				t.Errorf("Incidents is not the first entry:\n%s", nav[:min(len(nav), 600)])
			}
			wantContains(t, nav, `<a href="/incidents" aria-current="page">Incidents</a>`)
		})

		t.Run("list", func(t *testing.T) {
			for _, tc := range []struct {
				name, query string
				want        []int64
			}{
				{"open by default", "", []int64{shop, pay, acked}},
				{"triggered", "?status=triggered", []int64{shop, pay}},
				{"acknowledged", "?status=acknowledged", []int64{acked}},
				{"resolved", "?status=resolved", []int64{gone}},
				{"all", "?status=all", []int64{shop, pay, acked, gone}},
				{"by service", "?service=payroll", []int64{pay}},
				{"by dedup key", "?status=all&dedup_key=disk", []int64{gone}},
				{"nothing matches", "?service=payroll&status=resolved", nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					res, body := e.get("/incidents"+tc.query, &viewer)
					wantStatus(t, res, http.StatusOK)
					if got := linkedIncidents(body); fmt.Sprint(got) != fmt.Sprint(tc.want) {
						t.Errorf("incidents %v, want %v (newest first)", got, tc.want)
					}
					if tc.want == nil {
						wantContains(t, body, "No incident matches the filter.")
					}
				})
			}
			_, body := e.get("/incidents?status=all", &viewer)
			wantContains(t, body,
				`<span class="badge status triggered">triggered</span>`,
				`<span class="badge status acknowledged">acknowledged</span>`,
				`<span class="badge status resolved">resolved</span>`,
				"Checkout returns 503", `<a href="/services/shop">shop</a>`, "critical",
				`<option value="all" selected>`)
		})

		t.Run("paging", func(t *testing.T) {
			res, body := e.get("/incidents?status=all&limit=3", &viewer)
			wantStatus(t, res, http.StatusOK)
			if got := linkedIncidents(body); fmt.Sprint(got) != fmt.Sprint([]int64{shop, pay, acked}) {
				t.Errorf("first page %v", got)
			}
			next := pagerLink(t, body, "Older incidents")
			res, body = e.get(next, &viewer)
			wantStatus(t, res, http.StatusOK)
			if got := linkedIncidents(body); fmt.Sprint(got) != fmt.Sprint([]int64{gone}) {
				t.Errorf("second page %v", got)
			}
			wantContains(t, body, "Newest incidents")
			wantNotContains(t, body, "Older incidents")
			res, _ = e.get("/incidents?cursor=%21%21", &viewer)
			wantStatus(t, res, http.StatusBadRequest)
		})

		t.Run("unknown status filter", func(t *testing.T) {
			res, body := e.get("/incidents?status=closed", &viewer)
			wantStatus(t, res, http.StatusBadRequest)
			wantContains(t, body, "There is no incident status")
		})

		t.Run("incident page for an operator", func(t *testing.T) {
			res, body := e.get(page(shop), &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "Checkout returns 503", `<span class="badge status triggered">triggered</span>`,
				`action="/incidents/`+strconv.FormatInt(shop, 10)+`/acknowledge"`, `action="/incidents/`+strconv.FormatInt(shop, 10)+`/resolve"`,
				`action="/incidents/`+strconv.FormatInt(shop, 10)+`/notes"`, `<textarea id="note-text" name="text"`,
				`<code>5xx</code>`, "triggered by x: Checkout returns 503 (critical)", "integration:x",
				"No notification was sent about this incident.", "No details were sent with the alert.")
			if got := hiddenValue(t, body, "csrf"); got != operator.csrf {
				t.Errorf("csrf field %q", got)
			}
			_, body = e.get(page(acked), &operator)
			wantContains(t, body, "/resolve\"", "by <span class=\"actor\">user:someone</span>")
			wantNotContains(t, body, "/acknowledge\"")
			_, body = e.get(page(gone), &operator)
			wantNotContains(t, body, "/acknowledge\"", "/resolve\"")
		})

		t.Run("incident page for a viewer has no actions", func(t *testing.T) {
			res, body := e.get(page(shop), &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "Checkout returns 503", "Timeline")
			wantNotContains(t, body, "/acknowledge\"", "/resolve\"", "/notes\"", "<textarea")
		})

		t.Run("unknown incident", func(t *testing.T) {
			for _, p := range []string{"/incidents/99999", "/incidents/abc", "/incidents/0"} {
				res, _ := e.get(p, &viewer)
				wantStatus(t, res, http.StatusNotFound)
			}
			res, _ := e.post("/incidents/99999/acknowledge", nil, &operator)
			wantStatus(t, res, http.StatusNotFound)
		})

		t.Run("a viewer cannot act", func(t *testing.T) {
			for _, a := range []string{"acknowledge", "resolve", "notes"} {
				res, _ := e.post(page(pay)+"/"+a, url.Values{"text": {"hello"}}, &viewer)
				wantStatus(t, res, http.StatusForbidden)
			}
			if i := status(t, pay); i.Status != incident.Triggered {
				t.Errorf("status %s after a viewer's attempts", i.Status)
			}
		})

		t.Run("a form without its CSRF token changes nothing", func(t *testing.T) {
			res, body := e.post(page(pay)+"/acknowledge", url.Values{"csrf": {"wrong"}}, &operator)
			wantStatus(t, res, http.StatusForbidden)
			wantContains(t, body, "security token")
			res, _ = e.post(page(pay)+"/notes", url.Values{"csrf": {""}, "text": {"sneaky"}}, &operator)
			wantStatus(t, res, http.StatusForbidden)
			i, log, err := e.incidents.Get(ctx, pay)
			if err != nil {
				t.Fatal(err)
			}
			if i.Status != incident.Triggered || len(log) != 1 {
				t.Errorf("status %s, %d log entries", i.Status, len(log))
			}
		})

		t.Run("acknowledge, note and resolve", func(t *testing.T) {
			res, _ := e.post(page(pay)+"/acknowledge", nil, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != page(pay)+"?done=acknowledged" {
				t.Errorf("Location %q", loc)
			}
			if i := status(t, pay); i.Status != incident.Acknowledged || i.AcknowledgedBy != "user:olivia" {
				t.Errorf("after acknowledging: %s by %q", i.Status, i.AcknowledgedBy)
			}
			_, body := e.get(res.Header.Get("Location"), &operator)
			wantContains(t, body, "Incident acknowledged.", `<span class="badge status acknowledged">acknowledged</span>`,
				`<span class="actor">user:olivia</span>`)
			wantNotContains(t, body, "/acknowledge\"")

			res, _ = e.post(page(pay)+"/notes", url.Values{"text": {"  Bank says their SFTP is down.\r\nRetrying at 10:00.  "}}, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if loc := res.Header.Get("Location"); loc != page(pay)+"?done=note#timeline" {
				t.Errorf("Location %q", loc)
			}
			_, log, _ := e.incidents.Get(ctx, pay)
			if last := log[len(log)-1]; last.Kind != "note" || last.Message != "Bank says their SFTP is down.\nRetrying at 10:00." || last.Actor != "user:olivia" {
				t.Errorf("last entry %+v", last)
			}
			_, body = e.get(page(pay)+"?done=note", &operator)
			wantContains(t, body, "Note added to the timeline.", `<li class="tl-note">`, "Bank says their SFTP is down.")

			res, _ = e.post(page(pay)+"/resolve", nil, &operator)
			wantStatus(t, res, http.StatusSeeOther)
			if i := status(t, pay); i.Status != incident.Resolved || i.ResolvedBy != "user:olivia" {
				t.Errorf("after resolving: %s by %q", i.Status, i.ResolvedBy)
			}
		})

		t.Run("an empty note is shown next to the text box", func(t *testing.T) {
			res, body := e.post(page(shop)+"/notes", url.Values{"text": {"  \r\n "}}, &operator)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<ul class="problems" id="note-text-error"><li>The note is required.</li></ul>`, `aria-invalid="true"`,
				"Checkout returns 503")
			_, log, _ := e.incidents.Get(ctx, shop)
			if len(log) != 1 {
				t.Errorf("%d log entries after an empty note", len(log))
			}
		})

		t.Run("acting on a resolved incident", func(t *testing.T) {
			for _, a := range []string{"acknowledge", "resolve"} {
				res, body := e.post(page(gone)+"/"+a, nil, &operator)
				wantStatus(t, res, http.StatusConflict)
				wantContains(t, body, `<div class="alert error" role="alert"><p>Incident `+strconv.FormatInt(gone, 10)+` is already resolved.</p></div>`)
			}
		})

		t.Run("delivery log", func(t *testing.T) {
			if _, err := db.Writer().ExecContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
				VALUES ($1, 'ops-hook', 'triggered', 'failed', 3, 0, 0, '503 Service Unavailable', 0)`, shop); err != nil {
				t.Fatal(err)
			}
			_, body := e.get(page(shop), &viewer)
			wantContains(t, body, `<table class="deliveries cards">`, `<th scope="row">ops-hook</th>`, `<span class="badge delivery failed">failed</span>`,
				"503 Service Unavailable", `<td class="num" data-label="Attempts">3</td>`, "gave up")

			if _, err := db.Writer().ExecContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at, note)
				VALUES ($1, 'user:alice/ntfy', 'escalated', 'superseded', 0, 0, 0, '', 0, 'superseded by resolved')`, shop); err != nil {
				t.Fatal(err)
			}
			_, body = e.get(page(shop), &viewer)
			wantContains(t, body, `<th scope="row">user:alice/ntfy</th>`, `escalated <span class="muted">(superseded by resolved)</span>`,
				`<span class="badge delivery superseded">superseded</span>`, `<span class="muted">not sent</span>`)
		})

		t.Run("details are shown indented", func(t *testing.T) {
			id := e.triggerWith(incident.Event{Integration: "x", Action: incident.ActionTrigger, DedupKey: "details", Service: "payroll", Summary: "With details",
				Severity: "warning", Details: []byte(`{"runbook":"https://wiki.example/r","n":1}`), Body: []byte("{}")})
			_, body := e.get(page(id), &viewer)
			wantContains(t, body, "<details class=\"incident-details\">", "{\n  &#34;runbook&#34;: &#34;https://wiki.example/r&#34;,\n  &#34;n&#34;: 1\n}")
			if _, err := e.incidents.Resolve(ctx, id, "test"); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("service page lists its open incidents", func(t *testing.T) {
			_, body := e.get("/services/shop", &viewer)
			wantContains(t, body, "Open incidents", `href="/incidents/`+strconv.FormatInt(shop, 10)+`"`, `href="/incidents/`+strconv.FormatInt(acked, 10)+`"`)
			wantNotContains(t, body, `href="/incidents/`+strconv.FormatInt(gone, 10)+`"`)
			_, body = e.get("/services/payroll", &viewer)
			wantContains(t, body, "Open incidents", "None.")
		})

		t.Run("signed links", func(t *testing.T) {
			id := e.trigger("shop", "link", "Cart service down")
			now := time.Now()
			_, ackURL, resolveURL := e.signer.Links("", id, now)
			linkPath := func(s string) string { u, _ := url.Parse(s); return u.Path }
			linkForm := func(s string) url.Values { u, _ := url.Parse(s); return u.Query() }

			t.Run("refused", func(t *testing.T) {
				expired := now.Add(-time.Minute).Truncate(time.Second)
				q := linkForm(ackURL)
				for _, tc := range []struct{ name, path, query string }{
					{"wrong signature", linkPath(ackURL), url.Values{"exp": q["exp"], "sig": {strings.Repeat("0", 64)}}.Encode()},
					{"no signature", linkPath(ackURL), url.Values{"exp": q["exp"]}.Encode()},
					{"expired", linkPath(ackURL), fmt.Sprintf("exp=%d&sig=%s", expired.Unix(), e.signer.Sign(id, "acknowledge", expired))},
					{"exp changed", linkPath(ackURL), url.Values{"exp": {q.Get("exp") + "0"}, "sig": q["sig"]}.Encode()},
					{"signed for another action", page(id) + "/act/resolve", q.Encode()},
					{"an action links cannot take", page(id) + "/act/delete", q.Encode()},
					{"another incident", page(shop) + "/act/acknowledge", q.Encode()},
					{"not a number", "/incidents/x/act/acknowledge", q.Encode()},
				} {
					t.Run(tc.name, func(t *testing.T) {
						res, body := e.get(tc.path+"?"+tc.query, nil)
						wantStatus(t, res, http.StatusForbidden)
						wantContains(t, body, "This link is invalid or has expired.")
						res, _ = e.post(tc.path+"?"+tc.query, nil, nil)
						wantStatus(t, res, http.StatusForbidden)
						form, _ := url.ParseQuery(tc.query)
						res, _ = e.post(tc.path, form, nil)
						wantStatus(t, res, http.StatusForbidden)
					})
				}
				if i := status(t, id); i.Status != incident.Triggered {
					t.Errorf("status %s after refused links", i.Status)
				}
				if i := status(t, shop); i.Status != incident.Triggered {
					t.Errorf("the other incident is %s", i.Status)
				}
			})

			t.Run("the link shows a button without signing in", func(t *testing.T) {
				res, body := e.get(linkPath(ackURL)+"?"+linkForm(ackURL).Encode(), nil)
				wantStatus(t, res, http.StatusOK)
				wantContains(t, body, "Cart service down", `<form method="post" action="`+linkPath(ackURL)+`"`,
					fmt.Sprintf(`<button type="submit" class="primary">Acknowledge incident #%d</button>`, id), "Sign in to see the incident")
				wantNotContains(t, body, `name="csrf"`)
				if got := hiddenValue(t, body, "sig"); got != linkForm(ackURL).Get("sig") {
					t.Errorf("sig field %q", got)
				}
				if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
					t.Errorf("Referrer-Policy %q", got)
				}
				if i := status(t, id); i.Status != incident.Triggered {
					t.Errorf("opening the link changed the status to %s", i.Status)
				}
			})

			t.Run("a cross-site post is refused", func(t *testing.T) {
				req := formRequest(linkPath(ackURL), linkForm(ackURL))
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				res, _ := e.do(req, nil)
				wantStatus(t, res, http.StatusForbidden)
				if i := status(t, id); i.Status != incident.Triggered {
					t.Errorf("status %s", i.Status)
				}
			})

			t.Run("posting the form acknowledges without a session", func(t *testing.T) {
				res, body := e.post(linkPath(ackURL), linkForm(ackURL), nil)
				wantStatus(t, res, http.StatusOK)
				wantContains(t, body, fmt.Sprintf("Incident #%d acknowledged.", id), fmt.Sprintf(`href="/login?next=/incidents/%d"`, id))
				if i := status(t, id); i.Status != incident.Acknowledged || i.AcknowledgedBy != "link:acknowledge" {
					t.Errorf("after the link: %s by %q", i.Status, i.AcknowledgedBy)
				}
			})

			t.Run("a used link says there is nothing to do", func(t *testing.T) {
				res, body := e.get(linkPath(ackURL)+"?"+linkForm(ackURL).Encode(), nil)
				wantStatus(t, res, http.StatusOK)
				wantContains(t, body, "There is nothing to do: the incident is already acknowledged.")
				wantNotContains(t, body, "<button type=\"submit\" class=\"primary\">")
				res, body = e.post(linkPath(ackURL), linkForm(ackURL), nil)
				wantStatus(t, res, http.StatusConflict)
				wantContains(t, body, "Nothing was changed: the incident is already acknowledged.")
			})

			t.Run("signed in, the action goes under the user's name", func(t *testing.T) {
				// Posting to the link as it is, query and all, is what
				// ntfy's action buttons do; a viewer's session is enough,
				// since the signature is the credential.
				res, body := e.post(resolveURL, nil, &viewer)
				wantStatus(t, res, http.StatusOK)
				wantContains(t, body, fmt.Sprintf("Incident #%d resolved.", id), fmt.Sprintf(`href="/incidents/%d"`, id))
				if i := status(t, id); i.Status != incident.Resolved || i.ResolvedBy != "link:user:victor" {
					t.Errorf("after the link: %s by %q", i.Status, i.ResolvedBy)
				}
			})
		})
	})
}

// linkedIncidents returns the ids of the incident list's rows, in order.
func linkedIncidents(body string) []int64 {
	var ids []int64
	for _, part := range strings.Split(body, `<th scope="row"><a href="/incidents/`)[1:] {
		n, err := strconv.ParseInt(part[:strings.IndexByte(part, '"')], 10, 64)
		if err == nil {
			ids = append(ids, n)
		}
	}
	return ids
}

// pagerLink returns the address of the pager's link with the given text.
func pagerLink(t *testing.T, body, text string) string {
	t.Helper()
	i := strings.Index(body, `">`+text+`</a>`)
	if i < 0 {
		t.Fatalf("no %q link in page:\n%s", text, body)
	}
	j := strings.LastIndex(body[:i], `href="`)
	href := body[j+len(`href="`) : i]
	if k := strings.Index(href, `" rel=`); k >= 0 {
		href = href[:k]
	}
	return strings.ReplaceAll(href, "&amp;", "&")
}

// TestIncidentPageListsAlerts: a group incident's page lists its alerts a
// page at a time, with their counts.
func TestIncidentPageListsAlerts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.putService(catalog.Service{Name: "payroll", Title: "Payroll"})
		viewer := e.login("victor")
		var alerts []string
		for i := range 120 {
			alerts = append(alerts, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"NodeDown","service":"payroll","zone":"z%d"},"annotations":{"summary":"node %03d is down"},
"startsAt":"2026-11-21T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"fp%03d"}`, i, i, i))
		}
		g, err := incident.DecodeAlertmanager(strings.NewReader(`{"version":"4","groupKey":"g","truncatedAlerts":3,"groupLabels":{"alertname":"NodeDown"},"alerts":[` + strings.Join(alerts, ",") + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		g.Route(&incident.Integration{Name: "am", ServiceLabel: "service"}, nil)
		var id int64
		for _, c := range g.Chunks("am", 0) {
			if err := db.Tx(ctx, func(tx *sql.Tx) error {
				o, _, err := e.engine.ApplyGroup(ctx, tx, c)
				id = max(id, o.IncidentID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		res, body := e.get("/incidents/"+strconv.FormatInt(id, 10), &viewer)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body, "120 firing, 0 resolved; Alertmanager left 3 more out of its last webhook.", "<code>fp000</code>", "node 099 is down",
			"<code>zone=z0</code>", `rel="next">More alerts</a>`)
		if strings.Contains(body, "fp100") {
			t.Fatal("the first page lists more than 100 alerts")
		}
		next := body[strings.Index(body, `<nav class="pager" aria-label="Alert pages"><a href="`)+len(`<nav class="pager" aria-label="Alert pages"><a href="`):]
		next, _, _ = strings.Cut(strings.ReplaceAll(next[:strings.Index(next, `"`)], "&amp;", "&"), "#")
		_, body = e.get(next, &viewer)
		wantContains(t, body, "<code>fp100</code>", "<code>fp119</code>")
		if strings.Contains(body, "<code>fp099</code>") || strings.Contains(body, "More alerts") {
			t.Fatal("the second page repeats the first or offers a third")
		}
	})
}
