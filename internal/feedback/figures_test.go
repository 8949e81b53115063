package feedback

import (
	"math"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil, want %.6f", what, want)
		return
	}
	if math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %.9f, want %.9f", what, *got, want)
	}
}

func TestTally(t *testing.T) {
	// 5, 4, 4, 2, 1: sum 16 over 5 → mean 3.2; three of five are 4–5 → 0.6.
	got := Tally([]int{5, 4, 4, 2, 1})
	if got.Count != 5 || got.Distribution != [5]int{1, 1, 0, 2, 1} {
		t.Errorf("count %d, distribution %v", got.Count, got.Distribution)
	}
	near(t, "mean", got.Mean, 3.2)
	near(t, "satisfied", got.Satisfied, 0.6)
	if e := Tally(nil); e.Mean != nil || e.Satisfied != nil || e.Count != 0 {
		t.Errorf("no scores: %+v", e)
	}
	if off := Tally([]int{0, 6, 3}); off.Count != 1 {
		t.Errorf("scores off the scale counted: %+v", off)
	}
}

func TestSurveysOf(t *testing.T) {
	// Four surveys sent, three answered (5, 4, 2): response rate 3/4,
	// CSAT 2/3 (5 and 4), mean 11/3.
	ss := []Survey{{Score: ptr(5)}, {Score: ptr(4)}, {Score: ptr(2)}, {}}
	f := SurveysOf(ss)
	if f.Sent != 4 || f.Answered != 3 {
		t.Errorf("sent %d answered %d", f.Sent, f.Answered)
	}
	near(t, "response rate", f.ResponseRate, 0.75)
	near(t, "csat", f.CSAT, 2.0/3)
	near(t, "mean", f.Mean, 11.0/3)
	none := SurveysOf([]Survey{{}, {}})
	if none.CSAT != nil || none.Mean != nil {
		t.Errorf("no answers: %+v", none)
	}
	near(t, "response rate without answers", none.ResponseRate, 0)
}

func TestSatisfactionGroups(t *testing.T) {
	at := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	ss := []Survey{
		{Service: "erp", Queue: "it", Agent: "ana", SentAt: at, Score: ptr(5)},
		{Service: "erp", Queue: "it", Agent: "bo", SentAt: at, Score: ptr(2)},
		{Service: "mail", Queue: "it", Agent: "ana", SentAt: at, Score: ptr(4)},
		{Service: "mail", Queue: "hr", Agent: "ana", SentAt: at},
		// Sent before the range: left out.
		{Service: "erp", Queue: "it", Agent: "ana", SentAt: at.AddDate(0, -1, 0), Score: ptr(1)},
	}
	got := SatisfactionOf(at.AddDate(0, 0, -1), at.AddDate(0, 0, 1), ss)
	if got.Overall.Sent != 4 || got.Overall.Answered != 3 {
		t.Fatalf("overall %+v", got.Overall)
	}
	// ana: 5, 4 and one unanswered → CSAT 1, rate 2/3; bo: 2 → CSAT 0.
	if len(got.ByAgent) != 2 || got.ByAgent[0].Key != "ana" || got.ByAgent[1].Key != "bo" {
		t.Fatalf("by agent %+v", got.ByAgent)
	}
	near(t, "ana csat", got.ByAgent[0].CSAT, 1)
	near(t, "ana rate", got.ByAgent[0].ResponseRate, 2.0/3)
	near(t, "bo csat", got.ByAgent[1].CSAT, 0)
	// erp: 5 and 2 → CSAT 1/2, mean 3.5; mail: 4 of two sent.
	near(t, "erp csat", got.ByService[0].CSAT, 0.5)
	near(t, "erp mean", got.ByService[0].Mean, 3.5)
	near(t, "mail rate", got.ByService[1].ResponseRate, 0.5)
	// hr: one sent, none answered; it: three answered of three.
	if got.ByQueue[0].Key != "hr" || got.ByQueue[0].CSAT != nil {
		t.Errorf("hr %+v", got.ByQueue[0])
	}
	near(t, "it rate", got.ByQueue[1].ResponseRate, 1)
}

func TestSentimentOf(t *testing.T) {
	// 0.6249, -0.5423, 0.4404, 0.0: sum 0.523 over 4 → 0.13075; 0.0 is
	// neutral (within ±0.05).
	got := SentimentOf([]float64{0.6249, -0.5423, 0.4404, 0})
	near(t, "mean", got.Mean, 0.13075)
	if got.Comments != 4 || got.Positive != 2 || got.Negative != 1 || got.Neutral != 1 {
		t.Errorf("%+v", got)
	}
	// The thresholds themselves: 0.05 is positive, -0.05 negative.
	edge := SentimentOf([]float64{0.05, -0.05, 0.0499})
	if edge.Positive != 1 || edge.Negative != 1 || edge.Neutral != 1 {
		t.Errorf("edges %+v", edge)
	}
}

func TestWeekStart(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2026-12-03T15:04:05Z", "2026-11-30T00:00:00Z"}, // Thursday
		{"2026-11-30T00:00:00Z", "2026-11-30T00:00:00Z"}, // Monday itself
		{"2026-12-06T23:59:59Z", "2026-11-30T00:00:00Z"}, // Sunday
		{"2027-01-01T08:00:00Z", "2026-12-28T00:00:00Z"}, // across the year
	} {
		in, _ := time.Parse(time.RFC3339, c.in)
		if got := WeekStart(in).Format(time.RFC3339); got != c.want {
			t.Errorf("WeekStart(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestReportOf(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) // a Sunday
	to := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	d := func(day int) time.Time { return time.Date(2026, 11, day, 10, 0, 0, 0, time.UTC) }
	ratings := []Rating{
		{Score: 5, Sentiment: ptr(0.6249), At: d(3)},
		{Score: 3, At: d(4)},
		{Score: 1, Sentiment: ptr(-0.5423), At: d(10)},
		{Score: 2, At: d(20)}, // after the range
	}
	surveys := []Survey{
		{SentAt: d(2), Score: ptr(4), Sentiment: ptr(0.4404)},
		{SentAt: d(9), Score: ptr(5)},
		{SentAt: d(11)},
	}
	r := ReportOf("erp", from, to, ratings, surveys)
	// Ratings 5, 3, 1: mean 3, one satisfied of three.
	if r.Ratings.Count != 3 || r.Ratings.Distribution != [5]int{1, 0, 1, 0, 1} {
		t.Errorf("ratings %+v", r.Ratings)
	}
	near(t, "rating mean", r.Ratings.Mean, 3)
	near(t, "rating satisfied", r.Ratings.Satisfied, 1.0/3)
	// Surveys: 2 answered (4, 5) of 3 → CSAT 1, rate 2/3.
	near(t, "csat", r.CSAT, 1)
	near(t, "rate", r.Surveys.ResponseRate, 2.0/3)
	// Sentiment: (0.6249 − 0.5423 + 0.4404) / 3 = 0.174333…
	near(t, "sentiment", r.Sentiment.Mean, (0.6249-0.5423+0.4404)/3)
	// Weeks from the Monday before 1 November (a Sunday): 26 October
	// (only 1 November is in range, and nothing happened then), 2 and 9
	// November.
	if len(r.Weeks) != 3 {
		t.Fatalf("weeks %d: %+v", len(r.Weeks), r.Weeks)
	}
	w0, w1, w2 := r.Weeks[0], r.Weeks[1], r.Weeks[2]
	if !w0.Start.Equal(time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)) || w0.Ratings.Count != 0 || w0.Surveys.Sent != 0 {
		t.Errorf("week 0 %+v", w0)
	}
	// 2–8 Nov: ratings 5 and 3, the survey of the 2nd (4, "good").
	if w1.Ratings.Count != 2 || w1.Surveys.Answered != 1 || w1.Sentiment.Comments != 2 {
		t.Errorf("week 1 %+v", w1)
	}
	near(t, "week 1 sentiment", w1.Sentiment.Mean, (0.6249+0.4404)/2)
	// 9–15 Nov: rating 1, surveys of the 9th (5) and 11th (none).
	near(t, "week 2 rate", w2.Surveys.ResponseRate, 0.5)
	near(t, "week 2 mean", w2.Ratings.Mean, 1)
}

func TestChangeable(t *testing.T) {
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	s := Survey{}
	if !s.Changeable(at) {
		t.Error("an unanswered survey is answerable")
	}
	s.AnsweredAt = &at
	if !s.Changeable(at.Add(ChangeFor - time.Second)) {
		t.Error("an answer is changeable for 7 days")
	}
	if s.Changeable(at.Add(ChangeFor)) {
		t.Error("after 7 days the answer stands")
	}
}

func TestInputValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		in   Input
		ok   bool
	}{
		{"lowest", Input{Score: 1}, true},
		{"highest with comment", Input{Score: 5, Comment: "thanks"}, true},
		{"zero", Input{Score: 0}, false},
		{"six", Input{Score: 6}, false},
		{"NUL in comment", Input{Score: 3, Comment: "a\x00b"}, false},
		{"long comment", Input{Score: 3, Comment: string(make([]byte, MaxComment+1))}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.in.Validate(); (err == nil) != c.ok {
				t.Errorf("Validate(%+v) = %v", c.in, err)
			}
		})
	}
}
