package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func approx(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %v, want %.6f", what, got, want)
	}
}

// TestFeedbackReportHandWorked: four tickets on erp resolved in the week
// of 2 November, three surveys answered (5 "good", 4, 2), one not; three
// ratings (5 "great", 3, and 1 "bad" a week later). Worked by hand:
//
//   - ratings: 3, mean (5+3+1)/3 = 3, distribution 1·1 1·3 1·5, 1 of 3 satisfied;
//   - surveys: 4 sent, 3 answered → response rate 0.75; CSAT 2/3 (5 and 4);
//     mean (5+4+2)/3 = 11/3;
//   - sentiment: great 3.1/√(3.1²+15) = 0.6249, bad -2.5/√(2.5²+15) = -0.5423,
//     good 1.9/√(1.9²+15) = 0.4404; mean 0.5230/3 = 0.174333…;
//   - weeks of November from Monday 26 October: six; the week of 2 November
//     has ratings 5 and 3 and the four surveys, that of 9 November rating 1.
func TestFeedbackReportHandWorked(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"erp","objective":{"availability":"99.9%"}}`, 201)
		h.at(time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC))
		var ids []int64
		for i := range 4 {
			tk := ticketOf(t, h.mustDo(auth.Operator, "POST", "/api/v1/tickets",
				fmt.Sprintf(`{"type":"incident","title":"Ticket %d","service":"erp","requester":"ann@example.com","assignee":"olivia"}`, i), 201))
			h.mustDo(auth.Operator, "POST", fmt.Sprintf("/api/v1/tickets/%d/status", tk.ID), `{"status":"resolved","note":"Done."}`, 200)
			ids = append(ids, tk.ID)
		}
		for i, in := range []feedback.Input{{Score: 5, Comment: "good"}, {Score: 4}, {Score: 2}} {
			if _, err := h.feedback.Answer(ctx, ids[i], in); err != nil {
				t.Fatal(err)
			}
		}
		h.mustDo(auth.Viewer, "POST", "/api/v1/services/erp/feedback", `{"score":5,"comment":"great"}`, 201)
		h.mustDo(auth.Viewer, "POST", "/api/v1/services/erp/feedback", `{"score":3}`, 201)
		h.at(time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC))
		rated := h.mustDo(auth.Viewer, "POST", "/api/v1/services/erp/feedback", `{"score":1,"comment":"bad"}`, 201)
		var r feedback.Rating
		if err := json.Unmarshal(rated, &r); err != nil || r.Author != "token:t-viewer" || r.Sentiment == nil || *r.Sentiment != -0.5423 {
			t.Errorf("rating %s (%v)", rated, err)
		}

		// The report's period is the availability report's: this month
		// (testNow is 21 November).
		var rep feedback.Report
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/services/erp/feedback-report?period=current", "", 200), &rep); err != nil {
			t.Fatal(err)
		}
		if !rep.From.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) || !rep.To.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("range %s – %s", rep.From, rep.To)
		}
		if rep.Ratings.Count != 3 || rep.Ratings.Distribution != [5]int{1, 0, 1, 0, 1} {
			t.Errorf("ratings %+v", rep.Ratings)
		}
		approx(t, "rating mean", rep.Ratings.Mean, 3)
		approx(t, "ratings satisfied", rep.Ratings.Satisfied, 1.0/3)
		if rep.Surveys.Sent != 4 || rep.Surveys.Answered != 3 {
			t.Errorf("surveys %+v", rep.Surveys)
		}
		approx(t, "response rate", rep.Surveys.ResponseRate, 0.75)
		approx(t, "csat", rep.CSAT, 2.0/3)
		approx(t, "survey mean", rep.Surveys.Mean, 11.0/3)
		approx(t, "sentiment mean", rep.Sentiment.Mean, (0.6249-0.5423+0.4404)/3)
		if rep.Sentiment.Comments != 3 || rep.Sentiment.Positive != 2 || rep.Sentiment.Negative != 1 {
			t.Errorf("sentiment %+v", rep.Sentiment)
		}
		if len(rep.Weeks) != 6 || !rep.Weeks[0].Start.Equal(time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("weeks %+v", rep.Weeks)
		}
		if w := rep.Weeks[1]; w.Ratings.Count != 2 || w.Surveys.Sent != 4 || w.Surveys.Answered != 3 {
			t.Errorf("week of 2 November %+v", w)
		}
		if w := rep.Weeks[2]; w.Ratings.Count != 1 || w.Surveys.Sent != 0 || w.Sentiment.Negative != 1 {
			t.Errorf("week of 9 November %+v", w)
		}
		// The previous month has nothing.
		var prev feedback.Report
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/services/erp/feedback-report?period=previous", "", 200), &prev); err != nil {
			t.Fatal(err)
		}
		if prev.Ratings.Count != 0 || prev.Surveys.Sent != 0 || prev.CSAT != nil || prev.Ratings.Mean != nil {
			t.Errorf("October %+v", prev)
		}

		// Per agent and queue.
		var sat feedback.Satisfaction
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/satisfaction?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", "", 200), &sat); err != nil {
			t.Fatal(err)
		}
		if len(sat.ByAgent) != 1 || sat.ByAgent[0].Key != "olivia" || len(sat.ByService) != 1 || sat.ByService[0].Key != "erp" {
			t.Fatalf("satisfaction %+v", sat)
		}
		approx(t, "olivia's csat", sat.ByAgent[0].CSAT, 2.0/3)
		approx(t, "first-line's response rate", sat.ByQueue[0].ResponseRate, 0.75)

		var sv feedback.Survey
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", fmt.Sprintf("/api/v1/tickets/%d/survey", ids[0]), "", 200), &sv); err != nil || sv.Score == nil || *sv.Score != 5 {
			t.Errorf("survey %+v (%v)", sv, err)
		}
		// Each survey with a mail address went to the outbox.
		var rows int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE channel = 'survey'`).Scan(&rows); err != nil || rows != 4 {
			t.Errorf("survey mails %d (%v)", rows, err)
		}
	})
}

// Bad input names the field and changes nothing.
func TestFeedbackBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"erp","objective":{"availability":"99.9%"}}`, 201)
		for _, c := range []struct {
			method, path, body string
			code               int
			field              string
		}{
			{"POST", "/api/v1/services/erp/feedback", `{"score":7}`, 400, `"/score"`},
			{"POST", "/api/v1/services/erp/feedback", `{"score":"five"}`, 400, `"/score"`},
			{"POST", "/api/v1/services/erp/feedback", `{"score":3,"comment":"` + strings.Repeat("x", feedback.MaxComment+1) + `"}`, 400, `"/comment"`},
			{"POST", "/api/v1/services/nope/feedback", `{"score":3}`, 404, ""},
			{"GET", "/api/v1/services/nope/feedback-report", "", 404, ""},
			{"GET", "/api/v1/services/erp/feedback-report?period=lately", "", 400, `"period"`},
			{"GET", "/api/v1/services/erp/feedback-report?from=2026-11-01T00:00:00Z", "", 400, `"to"`},
			{"GET", "/api/v1/satisfaction?period=current", "", 400, `"period"`},
			{"GET", "/api/v1/tickets/0/survey", "", 400, `"id"`},
			{"GET", "/api/v1/tickets/99/survey", "", 404, ""},
		} {
			code, b := h.do(auth.Viewer, c.method, c.path, c.body)
			if code != c.code || (c.field != "" && !strings.Contains(string(b), c.field)) {
				t.Errorf("%s %s %.40s = %d %s, want %d naming %q", c.method, c.path, c.body, code, b, c.code, c.field)
			}
		}
		var n int
		if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM service_feedback`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d ratings stored (%v)", n, err)
		}
	})
}
