package web

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// feedbackEnv is the UI with a desk whose resolutions make surveys due,
// and one resolved ticket on service erp for ann@example.com.
func feedbackEnv(t *testing.T, db *store.DB) (*env, *feedback.Store, int64) {
	t.Helper()
	var fb *feedback.Store
	var dk *desk.Store
	e := newEnv(t, db, func(d *Deps) {
		fb = feedback.NewStore(db, d.Catalog, signed.New([]byte("web test key")), nil, nil)
		dk = desk.NewStore(db, d.Catalog, nil)
		dk.OnResolved = fb.OnResolved
		d.Feedback, d.Desk = fb, dk
	})
	e.putService(catalog.Service{Name: "erp", Title: "ERP", Objective: &catalog.Objective{Availability: "99.9%"}})
	ctx := context.Background()
	tk, err := dk.Create(ctx, "user:olivia", desk.Input{Type: desk.TypeIncident, Title: "Invoices fail", Service: "erp", Requester: "ann@example.com", Assignee: "olivia"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dk.SetStatus(ctx, "user:olivia", tk.ID, desk.StatusInput{Status: desk.StatusResolved}); err != nil {
		t.Fatal(err)
	}
	return e, fb, tk.ID
}

// The survey page works without signing in: a GET with a score only
// shows it chosen, the POST records it; a bad signature is refused alike;
// a bad score names the field and records nothing.
func TestSurveyPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e, fb, id := feedbackEnv(t, db)
		link := fb.SurveyLink(id)
		res, body := e.get(link+"&score=4", nil)
		wantStatus(t, res, 200)
		wantContains(t, body, "Invoices fail", `id="score-4" checked`, "Send my answer")
		if res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Error("the survey page hands its signed address on")
		}
		if sv, _ := fb.Survey(context.Background(), id); sv.Answered() {
			t.Fatal("a GET recorded an answer")
		}
		_, q, _ := strings.Cut(link, "?")
		vals, _ := url.ParseQuery(q)
		path := "/survey/" + strconv.FormatInt(id, 10)

		bad := url.Values{"exp": vals["exp"], "sig": {"0" + vals.Get("sig")[1:]}, "score": {"4"}}
		res, _ = e.post(path, bad, nil)
		wantStatus(t, res, 403)
		res, _ = e.get(path+"?exp="+vals.Get("exp")+"&sig=nope", nil)
		wantStatus(t, res, 403)
		// Another ticket's link does not open this one.
		res, _ = e.get("/survey/"+strconv.FormatInt(id+1, 10)+"?"+q, nil)
		wantStatus(t, res, 403)

		res, body = e.post(path, url.Values{"exp": vals["exp"], "sig": vals["sig"], "score": {"9"}}, nil)
		wantStatus(t, res, 422)
		wantContains(t, body, "The answer was not recorded", "score")
		res, body = e.post(path, url.Values{"exp": vals["exp"], "sig": vals["sig"], "comment": {"no score"}}, nil)
		wantStatus(t, res, 422)
		wantContains(t, body, "choose a score")
		if sv, _ := fb.Survey(context.Background(), id); sv.Answered() {
			t.Fatal("a refused answer was recorded")
		}

		res, body = e.post(path, url.Values{"exp": vals["exp"], "sig": vals["sig"], "score": {"4"}, "comment": {"good and quick"}}, nil)
		wantStatus(t, res, 200)
		wantContains(t, body, `id="survey-thanks"`, "4 of 5", "Change my answer")
		sv, err := fb.Survey(context.Background(), id)
		if err != nil || sv.Score == nil || *sv.Score != 4 || sv.Comment != "good and quick" || sv.Sentiment == nil || *sv.Sentiment <= 0 {
			t.Fatalf("recorded %+v (%v)", sv, err)
		}
	})
}

// The service page shows what users say beside availability, and anyone
// signed in rates the service there.
func TestServicePageFeedback(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e, fb, id := feedbackEnv(t, db)
		if _, err := fb.Answer(context.Background(), id, feedback.Input{Score: 5}); err != nil {
			t.Fatal(err)
		}
		viewer := e.login("victor")
		res, body := e.get("/services/erp", &viewer)
		wantStatus(t, res, 200)
		wantContains(t, body, "What users say", `id="fb-csat">100%`, "1 of 1", `id="rate-service"`)

		res, body = e.post("/services/erp/feedback", url.Values{"score": {"0"}}, &viewer)
		wantStatus(t, res, 422)
		wantContains(t, body, "The rating was not recorded", "score")
		res, _ = e.post("/services/erp/feedback", url.Values{"score": {"2"}, "comment": {"slow and bad"}}, &viewer)
		wantStatus(t, res, 303)
		if loc := res.Header.Get("Location"); loc != "/services/erp?saved=feedback#feedback" {
			t.Errorf("redirect to %q", loc)
		}
		_, body = e.get("/services/erp?saved=feedback", &viewer)
		wantContains(t, body, "your rating is recorded", "2/5", "slow and bad", "user:victor")
		rs, err := fb.Ratings(context.Background(), "erp", time.Time{}, time.Now().Add(time.Hour), 0)
		if err != nil || len(rs) != 1 || rs[0].Score != 2 || rs[0].Sentiment == nil || *rs[0].Sentiment >= 0 {
			t.Errorf("ratings %+v (%v)", rs, err)
		}
	})
}

// The satisfaction page lists the surveys per service, queue and agent
// with the latest comments; a bad day is named.
func TestSatisfactionPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e, fb, id := feedbackEnv(t, db)
		if _, err := fb.Answer(context.Background(), id, feedback.Input{Score: 2, Comment: "slow"}); err != nil {
			t.Fatal(err)
		}
		viewer := e.login("victor")
		res, body := e.get("/desk/satisfaction", &viewer)
		wantStatus(t, res, 200)
		wantContains(t, body, `id="sat-csat">0%`, "1 of 1", `id="table-agent"`, "olivia", `href="/services/erp#feedback"`, "“slow”", "Invoices fail")
		// The ticket's page shows its survey.
		_, body = e.get("/desk/tickets/"+strconv.FormatInt(id, 10), &viewer)
		wantContains(t, body, `id="ticket-survey"`, "2 of 5", "“slow”", "Credited to olivia")
		res, body = e.get("/desk/satisfaction?from=2026-13-01", &viewer)
		wantStatus(t, res, 400)
		wantContains(t, body, "from")
	})
}
