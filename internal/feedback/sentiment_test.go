package feedback

import (
	"math"
	"testing"
)

// VADER's compound score for text with words of valences v1…vn (after its
// rules) is x / √(x² + 15), x = Σ v. The cases are worked from the
// lexicon's valences: good 1.9, great 3.1, bad -2.5, terrible -2.1,
// helpful 1.8.
func TestAnalyser(t *testing.T) {
	a := NewAnalyser()
	norm := func(x float64) float64 { return math.Round(x/math.Sqrt(x*x+15)*10000) / 10000 }
	for _, c := range []struct {
		text string
		want float64
	}{
		// One word: 1.9 / √(3.61 + 15) = 0.4404.
		{"good", norm(1.9)},
		// 3.1 / √(9.61 + 15) = 0.6249.
		{"great", norm(3.1)},
		// -2.5 / √(6.25 + 15) = -0.5423.
		{"bad", norm(-2.5)},
		// Two words add: 1.9 + 1.8 = 3.7 → 3.7 / √(13.69 + 15) = 0.6908.
		{"good and helpful", norm(3.7)},
		// Negation ("not" within three words before) multiplies by -0.74:
		// 1.9 × -0.74 = -1.406 → -0.3412.
		{"not good", norm(1.9 * -0.74)},
		// "terrible" alone: -2.1 / √(4.41 + 15) = -0.4767.
		{"the wait was terrible", norm(-2.1)},
	} {
		got := a.Score(c.text)
		if got == nil || math.Abs(*got-c.want) > 1e-4 {
			t.Errorf("Score(%q) = %v, want %.4f", c.text, got, c.want)
		}
	}
	if a.Score("   ") != nil {
		t.Error("blank text has no sentiment")
	}
	if got := a.Score("the printer"); got == nil || *got != 0 {
		t.Errorf("neutral words score %v, want 0", got)
	}
}
