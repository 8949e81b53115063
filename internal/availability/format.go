package availability

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/duration"
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

// FormatSeconds writes a duration the way every surface shows it to
// people: rounded to the second and spelt as configuration spells it
// ("1h30m", "43m12s", "0s"), with a minus sign (−) once overspent, as an
// error budget can be.
func FormatSeconds(s Seconds) string {
	d := s.Duration().Round(time.Second)
	if d < 0 {
		return "−" + duration.Format(-d)
	}
	return duration.Format(d)
}

// FormatMoney writes an amount rounded to the cent without trailing zeros
// and with thousands separators (600, 12.5, 1,234,567.89), as downtime cost
// is shown where no currency is configured.
func FormatMoney(f float64) string {
	return groupThousands(strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64))
}

// FormatMoneyIn writes an amount in a currency as people read money: with
// thousands separators, always two decimals, and the ISO 4217 code after
// it ("1,234,567.89 EUR"). An empty currency is FormatMoney.
func FormatMoneyIn(f float64, currency string) string {
	if currency == "" {
		return FormatMoney(f)
	}
	return groupThousands(strconv.FormatFloat(math.Round(f*100)/100, 'f', 2, 64)) + " " + currency
}

// groupThousands puts a comma between each group of three digits of the
// whole part of a formatted number ("-1234.5" becomes "-1,234.5").
func groupThousands(n string) string {
	sign := ""
	if strings.HasPrefix(n, "-") {
		sign, n = "-", n[1:]
	}
	whole, frac, dot := strings.Cut(n, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if dot {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

// FormatRate writes a burn rate with two decimals and a times sign
// ("1.25×"): the budget spent at 1.25 times the even pace.
func FormatRate(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) + "×" }

// WholeSeconds rounds parts of a total to whole seconds so that the rounded
// parts add up to the total rounded as FormatSeconds rounds it: each part is
// cut to the second, and the seconds still missing go to the parts that lost
// the most (the earlier one between equals). A list of counted intervals
// shown in whole seconds then adds up, on the page, to the counted downtime
// shown beside it. Parts are expected to be non-negative.
func WholeSeconds(parts []Seconds) []Seconds {
	out := make([]Seconds, len(parts))
	var total, cut time.Duration
	for i, p := range parts {
		d := p.Duration()
		total += d
		out[i] = Seconds(d.Truncate(time.Second))
		cut += out[i].Duration()
	}
	missing := int((total.Round(time.Second) - cut) / time.Second)
	if missing <= 0 {
		return out
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	rest := func(i int) time.Duration { return parts[i].Duration() - out[i].Duration() }
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rest(b), rest(a)) })
	for _, i := range order[:min(missing, len(order))] {
		out[i] += Seconds(time.Second)
	}
	return out
}
