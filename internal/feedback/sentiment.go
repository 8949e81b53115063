package feedback

import (
	"math"
	"strings"

	"github.com/jonreiter/govader"
)

// Analyser scores comments' sentiment with VADER (Hutto and Gilbert,
// 2014): a lexicon of about 7,500 words and emoticons rated by people,
// and rules for negation, boosters ("very"), "but", capitals and
// exclamation marks. The lexicon is compiled into the binary (go-bindata
// in github.com/jonreiter/govader), so nothing is downloaded or read from
// disk at run time. It is safe for concurrent use: scoring only reads the
// lexicon.
type Analyser struct {
	sia *govader.SentimentIntensityAnalyzer
}

// NewAnalyser loads the lexicon (a few milliseconds; build one per server).
func NewAnalyser() *Analyser { return &Analyser{sia: govader.NewSentimentIntensityAnalyzer()} }

// Score is text's compound score in [-1, 1], rounded to four places as
// VADER's reference implementation reports it; nil for blank text, which
// says nothing either way.
func (a *Analyser) Score(text string) *float64 {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	c := math.Round(a.sia.PolarityScores(text).Compound*10000) / 10000
	return &c
}
