package httpapi

import (
	"net/http"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/feedback"
)

func (a *API) feedbackRoutes() []Route {
	svc := Param{Name: "name", In: "path", Description: "the service's name"}
	ticket := Param{Name: "id", In: "path", Type: "integer", Description: "the ticket's id"}
	from := Param{Name: "from", In: "query", Description: "start of the range, RFC 3339 (with to)"}
	to := Param{Name: "to", In: "query", Description: "end of the range, RFC 3339, exclusive (with from)"}
	period := Param{Name: "period", In: "query", Description: "current (default) or previous objective period, when from and to are not given"}
	return []Route{
		{Method: "GET", Path: "/api/v1/services/{name}/feedback-report", Summary: "Ratings, CSAT, sentiment, survey responses and weekly trends of a service over a period", Tag: "feedback",
			Description: "The same range as the availability report (period, or from and to). Ratings are those given in the range; surveys those of the service's tickets sent in it: CSAT = share of answers scoring 4–5, response rate = answers ÷ surveys sent. Sentiment is VADER's compound score of the comments of both, in [-1, 1] (positive ≥ 0.05, negative ≤ -0.05). Weeks start on Monday 00:00 UTC.",
			Role:        auth.Viewer, Query: []Param{svc, from, to, period}, Response: feedback.Report{}, Status: 200, Handle: a.feedbackReport},
		{Method: "GET", Path: "/api/v1/services/{name}/feedback", Summary: "The newest ratings of a service (at most 100), oldest first", Tag: "feedback",
			Role: auth.Viewer, Query: []Param{svc}, Response: []feedback.Rating{}, Status: 200, Handle: a.listFeedback},
		{Method: "POST", Path: "/api/v1/services/{name}/feedback", Summary: "Rate a service 1–5 with an optional comment (scored for sentiment)", Tag: "feedback",
			Role: auth.Viewer, Query: []Param{svc}, Request: feedback.Input{}, Response: feedback.Rating{}, Status: 201, Handle: a.rateService},
		{Method: "GET", Path: "/api/v1/satisfaction", Summary: "CSAT, mean score and response rate of the surveys sent in a range, overall and per service, queue and agent", Tag: "feedback",
			Description: "The agent is the ticket's assignee when it was resolved. Without from and to: the last 30 days.",
			Role:        auth.Viewer, Query: []Param{from, to}, Response: feedback.Satisfaction{}, Status: 200, Handle: a.satisfaction},
		{Method: "GET", Path: "/api/v1/tickets/{id}/survey", Summary: "A resolved ticket's satisfaction survey and its answer", Tag: "feedback",
			Role: auth.Viewer, Query: []Param{ticket}, Response: feedback.Survey{}, Status: 200, Handle: a.ticketSurvey},
	}
}

// feedbackRead answers with what fn reads from the feedback store.
func feedbackRead[Out any](a *API, fn func(r *http.Request, s *feedback.Store) (Out, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if a.deps.Feedback == nil {
			return newProblem(http.StatusNotFound, "feedback is not available on this server")
		}
		out, err := fn(r, a.deps.Feedback)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

func (a *API) feedbackReport(w http.ResponseWriter, r *http.Request) error {
	return feedbackRead(a, func(r *http.Request, s *feedback.Store) (feedback.Report, error) {
		rg, err := reportRange(r)
		if err != nil {
			return feedback.Report{}, err
		}
		name := r.PathValue("name")
		if _, err := a.deps.Catalog.GetService(r.Context(), name); err != nil {
			return feedback.Report{}, err
		}
		snap, err := a.deps.Reporter.Snapshot(r.Context())
		if err != nil {
			return feedback.Report{}, err
		}
		from, to, err := snap.Bounds(name, rg)
		if err != nil {
			return feedback.Report{}, err
		}
		if to.Sub(from) > feedback.MaxWeeks*7*24*time.Hour {
			return feedback.Report{}, badParam("to", "a feedback report covers at most %d weeks", feedback.MaxWeeks)
		}
		return s.Report(r.Context(), name, from, to)
	})(w, r)
}

func (a *API) listFeedback(w http.ResponseWriter, r *http.Request) error {
	return feedbackRead(a, func(r *http.Request, s *feedback.Store) ([]feedback.Rating, error) {
		name := r.PathValue("name")
		if _, err := a.deps.Catalog.GetService(r.Context(), name); err != nil {
			return nil, err
		}
		return s.Ratings(r.Context(), name, time.Time{}, s.Now().Add(time.Millisecond), 100)
	})(w, r)
}

func (a *API) rateService(w http.ResponseWriter, r *http.Request) error {
	if a.deps.Feedback == nil {
		return newProblem(http.StatusNotFound, "feedback is not available on this server")
	}
	var in feedback.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := a.deps.Feedback.Rate(r.Context(), actor(r), "", r.PathValue("name"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) satisfaction(w http.ResponseWriter, r *http.Request) error {
	return feedbackRead(a, func(r *http.Request, s *feedback.Store) (feedback.Satisfaction, error) {
		rg, err := reportRange(r)
		if err != nil {
			return feedback.Satisfaction{}, err
		}
		if rg.Period != "" {
			return feedback.Satisfaction{}, badParam("period", "the satisfaction figures take from and to, not a period")
		}
		from, to := rg.From, rg.To
		if from.IsZero() {
			to = s.Now().UTC()
			from = to.AddDate(0, 0, -30)
		}
		return s.Satisfaction(r.Context(), from, to)
	})(w, r)
}

func (a *API) ticketSurvey(w http.ResponseWriter, r *http.Request) error {
	return feedbackRead(a, func(r *http.Request, s *feedback.Store) (feedback.Survey, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return feedback.Survey{}, err
		}
		return s.Survey(r.Context(), id)
	})(w, r)
}
