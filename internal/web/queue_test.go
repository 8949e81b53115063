package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestBulkIncidentForm ticks incidents in the list and acknowledges or
// resolves them with one form: the answer counts those changed and names
// those that could not be; an empty choice, a missing CSRF token or a
// viewer changes nothing.
func TestBulkIncidentForm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop"})
		a := e.trigger("shop", "a", "Checkout slow")
		b := e.trigger("shop", "b", "Basket empty")
		c := e.trigger("shop", "c", "Search down")
		if _, err := e.incidents.Resolve(ctx, c, "test"); err != nil {
			t.Fatal(err)
		}
		operator, viewer := e.login("olivia"), e.login("victor")
		statusOf := func(id int64) string {
			t.Helper()
			i, _, err := e.incidents.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return i.Status
		}

		t.Run("the list offers the form to operators only", func(t *testing.T) {
			_, body := e.get("/incidents", &operator)
			wantContains(t, body, `<form method="post" action="/incidents/bulk" id="bulk"`, `name="id" value="`+itoa(a)+`"`, `value="acknowledge"`, `value="resolve"`)
			_, body = e.get("/incidents?status=all", &operator)
			wantNotContains(t, body, `name="id" value="`+itoa(c)+`"`)
			wantContains(t, body, `action="/incidents/bulk?status=all"`)
			_, body = e.get("/incidents", &viewer)
			wantNotContains(t, body, `action="/incidents/bulk`, `type="checkbox"`)
		})

		t.Run("refused", func(t *testing.T) {
			for _, r := range []struct {
				name string
				form url.Values
				s    *session
				code int
				want string
			}{
				{"nothing ticked", url.Values{"action": {"acknowledge"}}, &operator, http.StatusUnprocessableEntity, "Tick the incidents to acknowledge first."},
				{"unknown action", url.Values{"action": {"snooze"}, "id": {itoa(a)}}, &operator, http.StatusUnprocessableEntity, "Choose Acknowledge, Resolve or Merge."},
				{"not a number", url.Values{"action": {"resolve"}, "id": {"x"}}, &operator, http.StatusUnprocessableEntity, "There is no incident &#34;x&#34;."},
				{"no CSRF token", url.Values{"action": {"acknowledge"}, "id": {itoa(a)}, "csrf": {"wrong"}}, &operator, http.StatusForbidden, "security token"},
				{"viewer", url.Values{"action": {"acknowledge"}, "id": {itoa(a)}}, &viewer, http.StatusForbidden, ""},
			} {
				t.Run(r.name, func(t *testing.T) {
					res, body := e.post("/incidents/bulk", r.form, r.s)
					wantStatus(t, res, r.code)
					wantContains(t, body, r.want)
				})
			}
			if statusOf(a) != incident.Triggered || statusOf(b) != incident.Triggered {
				t.Fatal("a refused bulk action changed an incident")
			}
		})

		t.Run("acknowledge", func(t *testing.T) {
			res, body := e.post("/incidents/bulk", url.Values{"action": {"acknowledge"}, "id": {itoa(a), itoa(b), itoa(c)}}, &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "2 incidents acknowledged.", "1 could not be:", `<a href="/incidents/`+itoa(c)+`">#`+itoa(c)+`</a>: incident `+itoa(c)+` is already resolved`)
			for _, id := range []int64{a, b} {
				i, _, _ := e.incidents.Get(ctx, id)
				if i.Status != incident.Acknowledged || i.AcknowledgedBy != "user:olivia" {
					t.Errorf("incident %d: %s by %q", id, i.Status, i.AcknowledgedBy)
				}
			}
		})

		t.Run("resolve keeps the filter", func(t *testing.T) {
			res, body := e.post("/incidents/bulk?status=all", url.Values{"action": {"resolve"}, "id": {itoa(a)}}, &operator)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "1 incident resolved.", `<option value="all" selected>`)
			wantNotContains(t, body, "could not be")
			if statusOf(a) != incident.Resolved || statusOf(b) != incident.Acknowledged {
				t.Errorf("after resolving %d: %s, %s", a, statusOf(a), statusOf(b))
			}
		})
	})
}

// TestSearchPage finds each kind from the box every page carries, takes
// wildcards literally and says what is wrong with a bad query.
func TestSearchPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(d *Deps) {
			d.OnCall = peopleOnly{people: []escalation.Person{{Name: "alice", DisplayName: "Alice Liddell", Email: "alice@example.com"}}}
		})
		e.putService(catalog.Service{Name: "billing", Title: "Billing", Owner: "finance"})
		id := e.trigger("billing", "invoice_run", "Invoices 100% late")
		viewer := e.login("victor")

		t.Run("the box is on every page", func(t *testing.T) {
			for _, p := range []string{"/", "/incidents", "/services", "/incidents/" + itoa(id)} {
				_, body := e.get(p, &viewer)
				wantContains(t, body, `<form method="get" action="/search" class="search" role="search">`, `id="site-search" name="q"`)
			}
		})

		for _, c := range []struct {
			name, query string
			code        int
			want        []string
			not         []string
		}{
			{"empty page", "", 200, []string{`id="search-q"`}, []string{"Nothing matches", "Type what"}},
			{"each kind", "?q=ALI", 200, []string{`<h2 id="found-people">People</h2>`, `<a href="/oncall#person-alice">Alice Liddell (alice)</a>`, "alice@example.com"}, []string{"found-services"}},
			{"service", "?q=billing", 200, []string{`<a href="/services/billing">billing</a>`, "Billing · owner finance"}, []string{"found-incidents"}},
			{"incident", "?q=invoices", 200, []string{`<a href="/incidents/` + itoa(id) + `">#` + itoa(id) + ` Invoices 100% late</a>`, "triggered · billing"}, nil},
			{"incident by dedup key", "?q=invoice_", 200, []string{`found-incidents`}, nil},
			{"wildcards are literal", "?q=" + url.QueryEscape("%"), 200, []string{`found-incidents`}, []string{`found-services`}},
			{"nothing found", "?q=" + url.QueryEscape("in_voice"), 200, []string{"Nothing matches “in_voice”."}, nil},
			{"blank", "?q=+", 400, []string{"Type what to look for."}, nil},
			{"too long", "?q=" + strings.Repeat("x", 201), 400, []string{"The search is longer than 200 characters."}, nil},
			{"unknown kind", "?q=x&kind=tickets", 400, []string{"The kind must be one of services, checks, incidents, people"}, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				res, body := e.get("/search"+c.query, &viewer)
				wantStatus(t, res, c.code)
				wantContains(t, body, c.want...)
				wantNotContains(t, body, c.not...)
			})
		}
		t.Run("signed out", func(t *testing.T) {
			res, _ := e.get("/search?q=x", nil)
			wantStatus(t, res, http.StatusSeeOther)
		})
	})
}

// peopleOnly is an on-call directory of people and nothing else.
type peopleOnly struct {
	noOnCall
	people []escalation.Person
}

func (p peopleOnly) People() []escalation.Person { return p.people }
func (p peopleOnly) Person(name string) (escalation.Person, bool) {
	for _, x := range p.people {
		if x.Name == name {
			return x, true
		}
	}
	return escalation.Person{}, false
}

// TestAssignForm assigns an incident to the signed-in person and to
// someone of the directory from its page, shows the assignee in the list,
// filters the list by "me", and refuses an unknown name with the reason
// beside the form.
func TestAssignForm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, func(d *Deps) {
			d.OnCall = peopleOnly{people: []escalation.Person{{Name: "alice", DisplayName: "Alice Liddell"}}}
		})
		e.incidents.IsPerson = func(name string) bool { return name == "alice" }
		e.putService(catalog.Service{Name: "shop"})
		a := e.trigger("shop", "a", "Checkout slow")
		b := e.trigger("shop", "b", "Basket empty")
		operator, viewer := e.login("olivia"), e.login("victor")
		page := "/incidents/" + itoa(a)

		_, body := e.get(page, &operator)
		wantContains(t, body, "Nobody works this incident yet.", `<button type="submit">Assign to me</button>`, `<option value="alice">Alice Liddell (alice)</option>`)
		_, body = e.get(page, &viewer)
		wantNotContains(t, body, "Assign to me")

		res, _ := e.post(page+"/assign", url.Values{"assignee": {"me"}}, &operator)
		wantStatus(t, res, http.StatusSeeOther)
		if l := res.Header.Get("Location"); l != page+"?done=assigned#assignee" {
			t.Errorf("sent to %s", l)
		}
		_, body = e.get(page+"?done=assigned", &operator)
		wantContains(t, body, "Incident assigned to olivia.", "Worked by <strong>olivia</strong>.", "assigned to olivia")
		wantNotContains(t, body, "Assign to me</button>")
		if _, body = e.get("/incidents?assignee=me", &operator); true {
			wantContains(t, body, `<a href="/incidents/`+itoa(a)+`">`, `<option value="me" selected>Me</option>`)
			wantNotContains(t, body, `<a href="/incidents/`+itoa(b)+`">`)
		}

		res, body = e.post(page+"/assign", url.Values{"assignee": {"mallory"}}, &operator)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, `There is no person or user &#34;mallory&#34;.`)
		res, _ = e.post("/incidents/"+itoa(b)+"/assign", url.Values{"assignee": {"alice"}}, &operator)
		wantStatus(t, res, http.StatusSeeOther)
		res, _ = e.post("/incidents/"+itoa(b)+"/assign", url.Values{"assignee": {"me"}}, &viewer)
		wantStatus(t, res, http.StatusForbidden)
		_, body = e.get("/incidents", &operator)
		wantContains(t, body, `<td data-label="Assignee" class="assignee">alice</td>`, `<td data-label="Assignee" class="assignee">olivia</td>`)
		if i, _, _ := e.incidents.Get(ctx, a); i.Assignee != "olivia" {
			t.Errorf("incident %d assigned to %q after a refused assignment", a, i.Assignee)
		}
	})
}

// TestSeverityForm changes an incident's severity from its page and
// refuses an unknown one beside the form.
func TestSeverityForm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop"})
		a := e.trigger("shop", "a", "Checkout slow")
		operator := e.login("olivia")
		page := "/incidents/" + itoa(a)
		_, body := e.get(page, &operator)
		wantContains(t, body, `action="`+page+`/severity"`, `<option value="critical" selected>critical</option>`)
		res, body := e.post(page+"/severity", url.Values{"severity": {"urgent"}}, &operator)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "The severity must be one of critical, error, warning, info")
		res, _ = e.post(page+"/severity", url.Values{"severity": {"warning"}}, &operator)
		wantStatus(t, res, http.StatusSeeOther)
		_, body = e.get(page+"?done=severity", &operator)
		wantContains(t, body, "Severity set to warning.", "severity changed from critical to warning")
	})
}
