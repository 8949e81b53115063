package feedback

import (
	"testing"
	"time"
)

var benchComment = "The invoices page was very slow this week, but the support team was helpful and quick. Thanks!"

// BenchmarkScore is the sentiment of one comment with the analyser built
// once per server, as the store does.
func BenchmarkScore(b *testing.B) {
	a := NewAnalyser()
	for b.Loop() {
		_ = a.Score(benchComment)
	}
}

// BenchmarkScoreFreshAnalyser is the baseline: the lexicon loaded for
// each comment, which is what the store avoids by keeping one analyser.
func BenchmarkScoreFreshAnalyser(b *testing.B) {
	for b.Loop() {
		_ = NewAnalyser().Score(benchComment)
	}
}

// BenchmarkReportOf is a busy service's month: 10,000 ratings and 2,000
// surveys, figures and six weekly trends.
func BenchmarkReportOf(b *testing.B) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	span := to.Sub(from)
	ratings := make([]Rating, 10000)
	for i := range ratings {
		s := 0.5
		ratings[i] = Rating{Score: i%5 + 1, Sentiment: &s, At: from.Add(span * time.Duration(i) / time.Duration(len(ratings)))}
	}
	surveys := make([]Survey, 2000)
	for i := range surveys {
		surveys[i] = Survey{SentAt: from.Add(span * time.Duration(i) / time.Duration(len(surveys)))}
		if i%3 != 0 {
			n := i%5 + 1
			surveys[i].Score = &n
		}
	}
	for b.Loop() {
		_ = ReportOf("erp", from, to, ratings, surveys)
	}
}
