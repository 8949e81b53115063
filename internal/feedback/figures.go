package feedback

import (
	"sort"
	"time"
)

// Scores are the figures of a set of 1–5 scores.
type Scores struct {
	Count int `json:"count"`
	// Mean is the mean score; nil without scores.
	Mean *float64 `json:"mean"`
	// Satisfied is the share of scores of SatisfiedFrom or more (for survey
	// answers, the CSAT); nil without scores.
	Satisfied *float64 `json:"satisfied"`
	// Distribution counts the scores 1 to 5 (index 0 is score 1).
	Distribution [MaxScore]int `json:"distribution"`
}

// Tally gives the figures of scores; a score off the scale is left out
// (the store never keeps one).
func Tally(scores []int) Scores {
	var out Scores
	sum, happy := 0, 0
	for _, s := range scores {
		if s < MinScore || s > MaxScore {
			continue
		}
		out.Count++
		out.Distribution[s-1]++
		sum += s
		if s >= SatisfiedFrom {
			happy++
		}
	}
	out.Mean = share(sum, out.Count)
	out.Satisfied = share(happy, out.Count)
	return out
}

// share is n ÷ of, nil when of is 0.
func share(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	v := float64(n) / float64(of)
	return &v
}

// SurveyFigures are the satisfaction figures of a set of surveys: CSAT =
// the share of answers scoring 4–5, the mean score, response rate =
// answers ÷ surveys sent.
type SurveyFigures struct {
	Sent     int `json:"sent"`
	Answered int `json:"answered"`
	// ResponseRate is Answered ÷ Sent; nil when none were sent.
	ResponseRate *float64 `json:"response_rate"`
	// CSAT is the share of answers scoring 4 or 5; nil without answers.
	CSAT         *float64      `json:"csat"`
	Mean         *float64      `json:"mean"`
	Distribution [MaxScore]int `json:"distribution"`
}

// SurveysOf gives the figures of surveys.
func SurveysOf(surveys []Survey) SurveyFigures {
	var scores []int
	for _, s := range surveys {
		if s.Score != nil {
			scores = append(scores, *s.Score)
		}
	}
	t := Tally(scores)
	return SurveyFigures{Sent: len(surveys), Answered: t.Count, ResponseRate: share(t.Count, len(surveys)),
		CSAT: t.Satisfied, Mean: t.Mean, Distribution: t.Distribution}
}

// Group is the survey figures of the surveys sharing one key (a service,
// a queue, an agent); Key is "" for those without one (a ticket on no
// service, resolved unassigned).
type Group struct {
	Key string `json:"key"`
	SurveyFigures
}

// GroupBy splits surveys by key and gives each group's figures, by key.
func GroupBy(surveys []Survey, key func(Survey) string) []Group {
	parts := map[string][]Survey{}
	for _, s := range surveys {
		k := key(s)
		parts[k] = append(parts[k], s)
	}
	out := make([]Group, 0, len(parts))
	for k, ss := range parts {
		out = append(out, Group{Key: k, SurveyFigures: SurveysOf(ss)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Satisfaction is the survey figures over a range, overall and per
// service, queue and agent (the ticket's assignee at resolution).
type Satisfaction struct {
	From      time.Time     `json:"from"`
	To        time.Time     `json:"to"`
	Overall   SurveyFigures `json:"overall"`
	ByService []Group       `json:"by_service"`
	ByQueue   []Group       `json:"by_queue"`
	ByAgent   []Group       `json:"by_agent"`
}

// SatisfactionOf gives the figures of the surveys sent in [from, to).
func SatisfactionOf(from, to time.Time, surveys []Survey) Satisfaction {
	in := sentIn(surveys, from, to)
	return Satisfaction{From: from, To: to, Overall: SurveysOf(in),
		ByService: GroupBy(in, func(s Survey) string { return s.Service }),
		ByQueue:   GroupBy(in, func(s Survey) string { return s.Queue }),
		ByAgent:   GroupBy(in, func(s Survey) string { return s.Agent })}
}

func sentIn(surveys []Survey, from, to time.Time) []Survey {
	return within(surveys, func(s Survey) time.Time { return s.SentAt }, from, to)
}

// within keeps the xs whose instant lies in [from, to).
func within[T any](xs []T, at func(T) time.Time, from, to time.Time) []T {
	var out []T
	for _, x := range xs {
		if t := at(x); !t.Before(from) && t.Before(to) {
			out = append(out, x)
		}
	}
	return out
}

// VADER's own thresholds on the compound score: at least 0.05 is
// positive, at most -0.05 negative, between them neutral.
const (
	PositiveFrom = 0.05
	NegativeTo   = -0.05
)

// SentimentFigures are the sentiment of a set of comments.
type SentimentFigures struct {
	Comments int `json:"comments"`
	// Mean is the mean compound score in [-1, 1]; nil without comments.
	Mean     *float64 `json:"mean"`
	Positive int      `json:"positive"`
	Neutral  int      `json:"neutral"`
	Negative int      `json:"negative"`
}

// SentimentOf gives the figures of comments' compound scores.
func SentimentOf(scores []float64) SentimentFigures {
	var out SentimentFigures
	sum := 0.0
	for _, c := range scores {
		out.Comments++
		sum += c
		switch {
		case c >= PositiveFrom:
			out.Positive++
		case c <= NegativeTo:
			out.Negative++
		default:
			out.Neutral++
		}
	}
	if out.Comments > 0 {
		m := sum / float64(out.Comments)
		out.Mean = &m
	}
	return out
}

// Week is one ISO week's figures in a report: the ratings given in it,
// the surveys sent in it, and the sentiment of both's comments.
type Week struct {
	// Start is the week's Monday, 00:00 UTC.
	Start     time.Time        `json:"start"`
	Ratings   Scores           `json:"ratings"`
	Surveys   SurveyFigures    `json:"surveys"`
	Sentiment SentimentFigures `json:"sentiment"`
}

// Report is a service's feedback over [From, To): the ratings given in
// it, the surveys of its tickets sent in it (CSAT and response rate), the
// sentiment of the comments of both, and the same per week.
type Report struct {
	Service   string           `json:"service"`
	From      time.Time        `json:"from"`
	To        time.Time        `json:"to"`
	Ratings   Scores           `json:"ratings"`
	Surveys   SurveyFigures    `json:"surveys"`
	CSAT      *float64         `json:"csat"`
	Sentiment SentimentFigures `json:"sentiment"`
	Weeks     []Week           `json:"weeks"`
}

// MaxWeeks bounds the weeks of a report's trend (two years).
const MaxWeeks = 106

// ReportOf builds a service's report over [from, to) from its ratings and
// its tickets' surveys (those outside the range are left out).
func ReportOf(service string, from, to time.Time, ratings []Rating, surveys []Survey) Report {
	rs := ratedIn(ratings, from, to)
	ss := sentIn(surveys, from, to)
	r := Report{Service: service, From: from, To: to, Ratings: Tally(scoresOf(rs)), Surveys: SurveysOf(ss),
		Sentiment: SentimentOf(sentiments(rs, ss)), Weeks: []Week{}}
	r.CSAT = r.Surveys.CSAT
	// Each rating and survey goes to its week in one pass (weeks are
	// whole UTC days, so a week's index is its offset in 7-day steps).
	first := WeekStart(from)
	var starts []time.Time
	for start := first; start.Before(to) && len(starts) < MaxWeeks; start = start.AddDate(0, 0, 7) {
		starts = append(starts, start)
	}
	week := func(t time.Time) int { return int(t.Sub(first) / (7 * 24 * time.Hour)) }
	wr, ws := make([][]Rating, len(starts)), make([][]Survey, len(starts))
	for _, x := range rs {
		if i := week(x.At); i < len(starts) {
			wr[i] = append(wr[i], x)
		}
	}
	for _, x := range ss {
		if i := week(x.SentAt); i < len(starts) {
			ws[i] = append(ws[i], x)
		}
	}
	for i, start := range starts {
		r.Weeks = append(r.Weeks, Week{Start: start, Ratings: Tally(scoresOf(wr[i])), Surveys: SurveysOf(ws[i]), Sentiment: SentimentOf(sentiments(wr[i], ws[i]))})
	}
	return r
}

// WeekStart is the Monday 00:00 UTC of t's ISO week.
func WeekStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(day.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return day.AddDate(0, 0, -back)
}

func ratedIn(ratings []Rating, from, to time.Time) []Rating {
	return within(ratings, func(r Rating) time.Time { return r.At }, from, to)
}

func scoresOf(rs []Rating) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Score
	}
	return out
}

// sentiments lists the compound scores of the comments of ratings and of
// answered surveys.
func sentiments(rs []Rating, ss []Survey) []float64 {
	var out []float64
	for _, r := range rs {
		if r.Sentiment != nil {
			out = append(out, *r.Sentiment)
		}
	}
	for _, s := range ss {
		if s.Sentiment != nil {
			out = append(out, *s.Sentiment)
		}
	}
	return out
}
