package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/feedback"
)

// errBadSurveyLink answers a survey link that does not verify, telling
// no reason apart.
var errBadSurveyLink = errForbidden("This survey link is invalid or has expired. Survey links work for " +
	strconv.Itoa(int(feedback.LinkLifetime/(24*time.Hour))) + " days after the ticket was resolved.")

// scoreChoice is one of the five score buttons.
type scoreChoice struct {
	N    int
	Word string
}

func scoreChoices() []scoreChoice {
	out := make([]scoreChoice, 0, feedback.MaxScore)
	for n := feedback.MaxScore; n >= feedback.MinScore; n-- {
		out = append(out, scoreChoice{N: n, Word: feedback.ScoreWords[n-1]})
	}
	return out
}

// surveyPage is the data of /survey/{ticket}: the survey with the score
// chosen (from the mail's link or the form) waiting for its confirmation,
// or the answer recorded.
type surveyPage struct {
	Survey   feedback.Survey
	Exp, Sig string
	Choices  []scoreChoice
	Score    int
	Comment  string
	// Done is set once the answer is recorded; Locked when it can no
	// longer change.
	Done, Locked bool
	Until        time.Time
	Problems     []apperr.Field
}

func (p *surveyPage) template() string                  { return "survey.html" }
func (p *surveyPage) pageTitle() string                 { return "How did we do?" }
func (p *surveyPage) setProblems(fields []apperr.Field) { p.Problems = fields }

// Problem returns the message for one field, for the template.
func (p *surveyPage) Problem(field string) string { return problemOf(p.Problems, field) }

// problemOf is the message of fields for one field ("" for none), which
// the forms' Problem methods show beside it.
func problemOf(fields []apperr.Field, field string) string {
	for _, f := range fields {
		if f.Path == field {
			return f.Msg
		}
	}
	return ""
}

// surveyLink reads and checks a survey link; the signature is the
// credential, so anything wrong with it is the same refusal.
func (u *UI) surveyLink(r *http.Request) (*surveyPage, error) {
	fb := u.deps.Feedback
	if fb == nil {
		return nil, errPageNotFound
	}
	id, err := strconv.ParseInt(r.PathValue("ticket"), 10, 64)
	if err != nil || id < 1 {
		return nil, errBadSurveyLink
	}
	p := &surveyPage{Exp: r.FormValue("exp"), Sig: r.FormValue("sig"), Choices: scoreChoices()}
	if err := fb.CheckLink(url.Values{"exp": {p.Exp}, "sig": {p.Sig}}, id); err != nil {
		return nil, errBadSurveyLink
	}
	if p.Survey, err = fb.Survey(r.Context(), id); err != nil {
		return nil, err
	}
	p.Score, p.Comment = 0, p.Survey.Comment
	if p.Survey.Score != nil {
		p.Score = *p.Survey.Score
	}
	p.Locked = !p.Survey.Changeable(fb.Now())
	p.Until = p.Survey.ChangeableUntil()
	return p, nil
}

// showSurvey answers GET /survey/{ticket}?exp&sig[&score]: the score a
// mail's link chose is shown selected, to be confirmed with the button;
// nothing is recorded on GET, since mail scanners and link previews
// follow links.
func (u *UI) showSurvey(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	p, err := u.surveyLink(r)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("score")); err == nil && n >= feedback.MinScore && n <= feedback.MaxScore && !p.Locked {
		p.Score = n
	}
	u.render(w, r, http.StatusOK, "survey.html", p.pageTitle(), p)
	return nil
}

// answerSurvey answers POST /survey/{ticket}: the answer is recorded, or
// changed within seven days of the first. There is no CSRF token: the
// signature is the credential, and cross-site posts are refused before.
func (u *UI) answerSurvey(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	p, err := u.surveyLink(r)
	if err != nil {
		return err
	}
	p.Comment = r.PostFormValue("comment")
	raw := strings.TrimSpace(r.PostFormValue("score"))
	if p.Score, err = strconv.Atoi(raw); err != nil {
		p.Score = 0
		return &formError{err: &apperr.Invalid{Fields: []apperr.Field{{Path: "score", Msg: "choose a score from 1 (very dissatisfied) to 5 (very satisfied)"}}}, form: p}
	}
	sv, err := u.deps.Feedback.Answer(r.Context(), p.Survey.TicketID, feedback.Input{Score: p.Score, Comment: p.Comment})
	if err != nil {
		if errors.Is(err, apperr.ErrConflict) {
			p.Locked = true
		}
		return &formError{err: err, form: p}
	}
	p.Survey, p.Done, p.Until = sv, true, sv.ChangeableUntil()
	p.Comment = sv.Comment
	u.render(w, r, http.StatusOK, "survey.html", "Thank you", p)
	return nil
}

// serviceFeedback is the service page's "What users say" section: the
// feedback report over the same period as the availability figures, the
// newest comments and the rating form.
type serviceFeedback struct {
	Report  feedback.Report
	Recent  []feedback.Rating
	Choices []scoreChoice
	Form    ratingForm
}

// ratingForm is the service page's rating form as submitted.
type ratingForm struct {
	Score    int
	Comment  string
	Problems []apperr.Field
}

// Problem returns the message for one field, for the template.
func (f ratingForm) Problem(field string) string { return problemOf(f.Problems, field) }

// recentComments is how many of the newest ratings the service page lists.
const recentComments = 5

// serviceFeedbackOf gathers the section over [from, to); nil without the
// feedback store.
func (u *UI) serviceFeedbackOf(r *http.Request, name string, from, to time.Time) (*serviceFeedback, error) {
	fb := u.deps.Feedback
	if fb == nil {
		return nil, nil
	}
	rep, err := fb.Report(r.Context(), name, from, to)
	if err != nil {
		return nil, err
	}
	recent, err := fb.Ratings(r.Context(), name, time.Time{}, fb.Now().Add(time.Millisecond), recentComments)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(recent)-1; i < j; i, j = i+1, j-1 {
		recent[i], recent[j] = recent[j], recent[i] // newest first
	}
	return &serviceFeedback{Report: rep, Recent: recent, Choices: scoreChoices()}, nil
}

// ratingPageForm lets fail show the service page again with the rating
// form's problems.
type ratingPageForm struct{ *serviceDetailPage }

func (p ratingPageForm) template() string  { return "service.html" }
func (p ratingPageForm) pageTitle() string { return serviceTitle(p.Service) }
func (p ratingPageForm) setProblems(fields []apperr.Field) {
	if p.Feedback != nil {
		p.Feedback.Form.Problems = fields
	}
}

// rateService answers POST /services/{name}/feedback: anyone signed in
// rates the service.
func (u *UI) rateService(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Feedback == nil {
		return errPageNotFound
	}
	name := r.PathValue("name")
	form, err := u.rateFromForm(r, name)
	var inv *apperr.Invalid
	if errors.As(err, &inv) {
		page, perr := u.servicePage(r, name)
		if perr != nil {
			return perr
		}
		if page.Feedback != nil {
			page.Feedback.Form = form
		}
		return &formError{err: err, form: ratingPageForm{page}}
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/services/"+url.PathEscape(name)+"?saved=feedback#feedback", http.StatusSeeOther)
	return nil
}

// rateFromForm records the rating of service that the form of r gives,
// as the signed-in person; the form comes back to show again.
func (u *UI) rateFromForm(r *http.Request, service string) (ratingForm, error) {
	form := ratingForm{Comment: r.PostFormValue("comment")}
	var err error
	if form.Score, err = strconv.Atoi(strings.TrimSpace(r.PostFormValue("score"))); err != nil {
		return form, &apperr.Invalid{Fields: []apperr.Field{{Path: "score", Msg: "choose a score from 1 (very dissatisfied) to 5 (very satisfied)"}}}
	}
	_, err = u.deps.Feedback.Rate(r.Context(), principal(r).Actor(), "", service, feedback.Input{Score: form.Score, Comment: form.Comment})
	return form, err
}

// satisfactionPage is /desk/satisfaction: the surveys sent over a range of
// days, overall and per service, queue and agent, with the latest
// comments.
type satisfactionPage struct {
	From, To string // the form's days, YYYY-MM-DD, both included
	Figures  feedback.Satisfaction
	Comments []feedback.Survey
}

// satisfactionComments is how many answers with comments the page lists.
const satisfactionComments = 20

func (u *UI) showSatisfaction(w http.ResponseWriter, r *http.Request) error {
	fb := u.deps.Feedback
	if fb == nil {
		return errPageNotFound
	}
	today := fb.Now().UTC().Truncate(24 * time.Hour)
	p := &satisfactionPage{From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to")}
	if p.From == "" {
		p.From = today.AddDate(0, 0, -29).Format(time.DateOnly)
	}
	if p.To == "" {
		p.To = today.Format(time.DateOnly)
	}
	var inv apperr.Invalid
	from, err := time.Parse(time.DateOnly, p.From)
	if err != nil {
		inv.Add("from", "%q is not a day such as 2026-11-01", p.From)
	}
	to, err := time.Parse(time.DateOnly, p.To)
	if err != nil {
		inv.Add("to", "%q is not a day such as 2026-11-30", p.To)
	} else if to.Before(from) {
		inv.Add("to", "must not be before from (%s)", p.From)
	}
	if err := inv.Err(); err != nil {
		return err
	}
	end := to.AddDate(0, 0, 1)
	surveys, err := fb.Surveys(r.Context(), "", from, end)
	if err != nil {
		return err
	}
	p.Figures = feedback.SatisfactionOf(from, end, surveys)
	for i := len(surveys) - 1; i >= 0 && len(p.Comments) < satisfactionComments; i-- {
		if surveys[i].Answered() && surveys[i].Comment != "" {
			p.Comments = append(p.Comments, surveys[i])
		}
	}
	u.render(w, r, http.StatusOK, "desk_satisfaction.html", "Satisfaction", p)
	return nil
}

// surveyOf is a ticket's survey, nil before its resolution or on a server
// without feedback.
func (u *UI) surveyOf(r *http.Request, ticket int64) (*feedback.Survey, error) {
	if u.deps.Feedback == nil {
		return nil, nil
	}
	sv, err := u.deps.Feedback.Survey(r.Context(), ticket)
	if errors.Is(err, feedback.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &sv, nil
}
