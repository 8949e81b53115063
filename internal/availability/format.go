package availability

import (
	"strconv"
	"strings"
)

// Percent writes an availability fraction the way every surface shows it:
// a percentage with at most three decimals, cut rather than rounded, so a
// figure is never overstated — 99.8996% shows as 99.899%, not as a 99.9%
// that would seem to meet a 99.9% target — and anything short of 1 never
// shows as 100%. Trailing zeros are dropped: 0.995 is "99.5%".
func Percent(f float64) string {
	if f >= 1 {
		return "100%"
	}
	if f <= 0 {
		return "0%"
	}
	// Six decimals first, to shed float noise (0.99*100 is 98.99999…),
	// then cut to three.
	s := strconv.FormatFloat(f*100, 'f', 6, 64)
	whole, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac[:3], "0")
	if whole == "100" {
		whole, frac = "99", "999"
	}
	if frac == "" {
		return whole + "%"
	}
	return whole + "." + frac + "%"
}
