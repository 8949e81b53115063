package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// portalEnv is the UI with a desk and the portal, and three requesters:
// rita and rob of organisation acme, and sam of globex.
func portalEnv(t *testing.T, db *store.DB, now time.Time, more ...func(*Deps)) (*env, *portal.Store) {
	t.Helper()
	var ps *portal.Store
	e := newEnv(t, db, func(d *Deps) {
		ds := desk.NewStore(db, d.Catalog, func() time.Time { return now })
		d.Desk = ds
		ps = &portal.Store{DB: db, Desk: ds, Auth: d.Auth, Catalog: d.Catalog, Now: func() time.Time { return now }}
		d.Portal = ps
		d.Links = signed.New([]byte("test key"))
		for _, f := range more {
			f(d)
		}
	})
	cfg, problems := portal.Compile(nil, portal.Settings{}, portal.Refs{Services: map[string]bool{"shop": true}})
	if problems != nil {
		t.Fatal(problems)
	}
	ps.Configure(cfg)
	for _, r := range []struct{ name, org string }{{"rita", "acme"}, {"rob", "acme"}, {"sam", "globex"}} {
		if _, err := e.auth.CreateUser(context.Background(), "test", auth.NewUser{Name: r.name, Password: testPassword, Role: auth.Requester,
			Email: r.name + "@example.com", Organisation: r.org}); err != nil {
			t.Fatal(err)
		}
	}
	e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
	return e, ps
}

// fill puts the test's values into a route pattern's wildcards.
func fill(pattern string, id int64) string {
	return strings.NewReplacer("{id}", strconv.FormatInt(id, 10), "{attachment}", "1", "{name}", "nothing", "{item}", "laptop",
		"{approver}", "olivia", "{decision}", "approve", "{file}", "app.css", "{action}", "acknowledge", "{person}", "nobody",
		"{service}", "shop", "{ref}", "x", "{$}", "", "{item...}", "x").Replace(pattern)
}

// TestEveryPageRefusesARequester walks every route of the UI as a
// requester: every agent page answers 403 (or 404), the home page sends
// it to the portal, and only the portal's pages, the sign-in and account
// pages and the signed links serve it.
func TestEveryPageRefusesARequester(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := time.Now()
		e, _ := portalEnv(t, db, now)
		rita := e.login("rita")
		open := func(p string) bool {
			for _, prefix := range []string{"/portal", "/static/", "/login", "/logout", twoFactorPath} {
				if strings.HasPrefix(p, prefix) {
					return true
				}
			}
			return false
		}
		// Signed links and the sign-in forms need no session; without a
		// valid signature or their own form token they refuse everyone
		// alike.
		signedLink := func(p string) bool {
			return strings.HasPrefix(p, "/approvals/") || strings.HasPrefix(p, "/incidents/{id}/act/")
		}
		// Signing out ends the session the walk uses: it goes last.
		patterns := e.ui.Patterns()
		slices.SortStableFunc(patterns, func(a, b string) int {
			return map[bool]int{true: 1, false: 0}[a == "POST /logout"] - map[bool]int{true: 1, false: 0}[b == "POST /logout"]
		})
		if len(patterns) < 100 {
			t.Fatalf("only %d patterns recorded", len(patterns))
		}
		for _, pat := range patterns {
			method, path, ok := strings.Cut(pat, " ")
			if !ok {
				method, path = "GET", pat
			}
			t.Run(pat, func(t *testing.T) {
				target := fill(path, 1)
				if path == "/" {
					target = "/no-such-page"
				}
				var res *http.Response
				var body string
				if method == http.MethodPost {
					res, body = e.post(target, url.Values{}, &rita)
				} else {
					res, body = e.get(target, &rita)
				}
				switch {
				case path == "/{$}":
					if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/portal" {
						t.Fatalf("home: %d to %q, want 303 to /portal", res.StatusCode, res.Header.Get("Location"))
					}
				case signedLink(path) || (method == http.MethodPost && strings.HasPrefix(path, "/login")):
					if res.StatusCode >= 500 {
						t.Fatalf("%s %s: %d", method, target, res.StatusCode)
					}
				case open(path):
					if res.StatusCode == http.StatusForbidden || res.StatusCode >= 500 {
						t.Fatalf("%s %s as a requester: %d\n%s", method, target, res.StatusCode, body)
					}
				default:
					if res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusNotFound {
						t.Fatalf("%s %s as a requester: %d, want 403 or 404", method, target, res.StatusCode)
					}
				}
			})
		}
	})
}

// TestRequestersSeeOnlyTheirTickets walks every portal page of a ticket as
// two requesters: sam (another organisation) and rob (rita's organisation,
// the ticket not shared) get 404 on every one — read, reply, attach,
// reopen, download — while rita gets hers, and rob sees it once shared.
func TestRequestersSeeOnlyTheirTickets(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
		e, ps := portalEnv(t, db, now)
		ctx := context.Background()
		ritaWho, err := ps.WhoOf(ctx, auth.Principal{Kind: "user", Name: "rita"})
		if err != nil {
			t.Fatal(err)
		}
		tk, err := ps.Open(ctx, ritaWho, "user:rita", portal.OpenInput{Title: "Checkout fails", Service: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		att, err := ps.Attach(ctx, ritaWho, "user:rita", tk.ID, "trace.txt", []byte("stack trace"))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ps.Desk.AddComment(ctx, "user:olivia", tk.ID, desk.CommentInput{Body: "Internal: the payment provider is flaky"}); err != nil {
			t.Fatal(err)
		}
		rita, rob, sam := e.login("rita"), e.login("rob"), e.login("sam")
		id := strconv.FormatInt(tk.ID, 10)
		base := "/portal/tickets/" + id
		res, body := e.get(base, &rita)
		wantStatus(t, res, 200)
		wantContains(t, body, "Checkout fails", "trace.txt")
		wantNotContains(t, body, "payment provider")
		routes := []struct {
			method, path string
			form         url.Values
		}{
			{"GET", base, nil},
			{"POST", base + "/reply", url.Values{"reply": {"me too"}}},
			{"POST", base + "/reopen", url.Values{"reason": {"still broken"}}},
			{"POST", base + "/attachments", nil},
			{"GET", base + "/attachments/" + strconv.FormatInt(att.ID, 10), nil},
		}
		for _, who := range []struct {
			name string
			s    *session
		}{{"sam", &sam}, {"rob", &rob}} {
			for _, rt := range routes {
				var res *http.Response
				switch {
				case strings.HasSuffix(rt.path, "/attachments"):
					res, _ = e.upload(rt.path, "file", "more.txt", []byte("more"), who.s)
				case rt.method == "POST":
					form := url.Values{}
					for k, v := range rt.form {
						form[k] = v
					}
					res, _ = e.post(rt.path, form, who.s)
				default:
					res, _ = e.get(rt.path, who.s)
				}
				if res.StatusCode != http.StatusNotFound {
					t.Errorf("%s %s as %s: %d, want 404", rt.method, rt.path, who.name, res.StatusCode)
				}
			}
			res, body := e.get("/portal", who.s)
			wantStatus(t, res, 200)
			wantNotContains(t, body, "Checkout fails")
		}
		// Shared with acme, rob sees it; sam still does not.
		if _, err := db.Writer().ExecContext(ctx, `UPDATE ticket_portal SET shared = TRUE WHERE ticket_id = $1`, tk.ID); err != nil {
			t.Fatal(err)
		}
		res, _ = e.get(base, &rob)
		wantStatus(t, res, 200)
		res, _ = e.get(base, &sam)
		wantStatus(t, res, 404)
	})
}

// TestRateThisLink shows the survey's link on a resolved ticket only when
// Deps.SurveyLink is set.
func TestRateThisLink(t *testing.T) {
	for _, withSurvey := range []bool{false, true} {
		t.Run("survey "+strconv.FormatBool(withSurvey), func(t *testing.T) { rateThis(t, withSurvey) })
	}
}

func rateThis(t *testing.T, withSurvey bool) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
		var ps *portal.Store
		e := newEnv(t, db, func(d *Deps) {
			ds := desk.NewStore(db, d.Catalog, func() time.Time { return now })
			ps = &portal.Store{DB: db, Desk: ds, Auth: d.Auth, Catalog: d.Catalog, Now: func() time.Time { return now }}
			d.Desk, d.Portal = ds, ps
			if withSurvey {
				d.SurveyLink = func(id int64) string { return "/survey/" + strconv.FormatInt(id, 10) + "?sig=x" }
			}
		})
		ctx := context.Background()
		name := "req" + strconv.FormatBool(withSurvey)
		if _, err := e.auth.CreateUser(ctx, "test", auth.NewUser{Name: name, Password: testPassword, Role: auth.Requester}); err != nil {
			t.Fatal(err)
		}
		tk, err := ps.Open(ctx, portal.Who{Name: name}, "user:"+name, portal.OpenInput{Title: "Mouse broken"})
		if err != nil {
			t.Fatal(err)
		}
		s := e.login(name)
		path := "/portal/tickets/" + strconv.FormatInt(tk.ID, 10)
		_, body := e.get(path, &s)
		wantNotContains(t, body, "Rate this")
		if _, err := ps.Desk.SetStatus(ctx, "user:olivia", tk.ID, desk.StatusInput{Status: desk.StatusResolved, Note: "New mouse on your desk."}); err != nil {
			t.Fatal(err)
		}
		_, body = e.get(path, &s)
		if withSurvey {
			wantContains(t, body, `href="/survey/`+strconv.FormatInt(tk.ID, 10)+`?sig=x"`, "Rate this", "Not solved?")
		} else {
			wantNotContains(t, body, "Rate this")
		}
	})
}

// TestPortalRatesAService: a requester rates a service they use from the
// portal (a bad score shows the form again with the problem and records
// nothing; a good one is recorded with its sentiment and thanked), and a
// service they do not use, or one that does not exist, is not found.
func TestPortalRatesAService(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := time.Now()
		var fb *feedback.Store
		e, ps := portalEnv(t, db, now, func(d *Deps) {
			fb = feedback.NewStore(db, d.Catalog, signed.New([]byte("web test key")), nil, nil)
			d.Feedback = fb
		})
		e.putService(catalog.Service{Name: "erp", Title: "ERP"})
		ctx := context.Background()
		ritaWho, err := ps.WhoOf(ctx, auth.Principal{Kind: "user", Name: "rita"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ps.Open(ctx, ritaWho, "user:rita", portal.OpenInput{Title: "Checkout fails", Service: "shop"}); err != nil {
			t.Fatal(err)
		}
		rita, sam := e.login("rita"), e.login("sam")
		res, body := e.get("/portal", &rita)
		wantStatus(t, res, 200)
		wantContains(t, body, `id="rate-shop"`, "Rate Web shop")

		res, body = e.post("/portal/services/shop/feedback", url.Values{"comment": {"no score"}}, &rita)
		wantStatus(t, res, 422)
		wantContains(t, body, "The rating was not recorded", "choose a score", "no score")
		res, _ = e.post("/portal/services/shop/feedback", url.Values{"score": {"5"}, "comment": {"Quick and friendly, thank you"}}, &rita)
		wantStatus(t, res, 303)
		if loc := res.Header.Get("Location"); loc != "/portal?rated=shop#status" {
			t.Errorf("redirect to %q", loc)
		}
		_, body = e.get("/portal?rated=shop", &rita)
		wantContains(t, body, "your rating of Web shop is recorded")
		rs, err := fb.Ratings(ctx, "shop", time.Time{}, time.Now().Add(time.Hour), 0)
		if err != nil || len(rs) != 1 || rs[0].Score != 5 || rs[0].Author != "user:rita" || rs[0].Sentiment == nil || *rs[0].Sentiment <= 0 {
			t.Fatalf("ratings %+v (%v)", rs, err)
		}
		// erp is no service of rita's; sam has no ticket on shop; nothing
		// does not exist: all alike not found, and nothing recorded.
		for _, c := range []struct {
			who     *session
			service string
		}{{&rita, "erp"}, {&sam, "shop"}, {&rita, "nothing"}} {
			res, _ := e.post("/portal/services/"+c.service+"/feedback", url.Values{"score": {"1"}}, c.who)
			wantStatus(t, res, 404)
		}
		if rs, _ := fb.Ratings(ctx, "erp", time.Time{}, time.Now().Add(time.Hour), 0); len(rs) != 0 {
			t.Errorf("erp rated: %+v", rs)
		}
		if rs, _ := fb.Ratings(ctx, "shop", time.Time{}, time.Now().Add(time.Hour), 0); len(rs) != 1 {
			t.Errorf("shop rated %d times", len(rs))
		}
	})
}
