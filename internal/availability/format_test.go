package availability

import (
	"slices"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	cases := map[float64]string{
		1: "100%", 0: "0%", 0.995: "99.5%", 0.99: "99%", 0.999: "99.9%", 0.998996: "99.899%",
		23.0 / 24: "95.833%", 22.0 / 24: "91.666%", 0.9999999: "99.999%", 0.5: "50%", 0.00001: "0.001%",
	}
	for f, want := range cases {
		if got := Percent(f); got != want {
			t.Errorf("Percent(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestWholeSeconds(t *testing.T) {
	s := func(d time.Duration) Seconds { return Seconds(d) }
	ms := time.Millisecond
	for _, c := range []struct {
		name  string
		parts []Seconds
		want  []Seconds
	}{
		{"whole seconds stay", []Seconds{s(time.Minute), s(30 * time.Second)}, []Seconds{s(time.Minute), s(30 * time.Second)}},
		// 3 × 20.4 s = 61.2 s shows as 1m1s: one row gets the second.
		{"cut parts get the missing second", []Seconds{s(20400 * ms), s(20400 * ms), s(20400 * ms)}, []Seconds{s(21 * time.Second), s(20 * time.Second), s(20 * time.Second)}},
		// 0.6 + 0.6 + 0.3 = 1.5 s rounds to 2 s: the two 0.6 s parts get it.
		{"largest remainders first", []Seconds{s(300 * ms), s(600 * ms), s(600 * ms)}, []Seconds{0, s(time.Second), s(time.Second)}},
		{"rounding down takes nothing", []Seconds{s(1200 * ms), s(1200 * ms)}, []Seconds{s(time.Second), s(time.Second)}},
		{"empty", nil, []Seconds{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := WholeSeconds(c.parts)
			if !slices.Equal(got, c.want) {
				t.Errorf("WholeSeconds(%v) = %v, want %v", c.parts, got, c.want)
			}
			var sum, total time.Duration
			for i, g := range got {
				sum += g.Duration()
				total += c.parts[i].Duration()
			}
			if sum != total.Round(time.Second) {
				t.Errorf("parts add up to %v, the total shows as %v", sum, total.Round(time.Second))
			}
		})
	}
}

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		name     string
		amount   float64
		currency string
		want     string
	}{
		{"small, no currency", 600, "", "600"},
		{"cents kept, zeros cut", 12.5, "", "12.5"},
		{"thousands grouped", 1234567.891, "", "1,234,567.89"},
		{"exactly a thousand", 1000, "", "1,000"},
		{"negative", -4321.5, "", "-4,321.5"},
		{"zero", 0, "", "0"},
		{"with a currency, two decimals", 1234567.891, "EUR", "1,234,567.89 EUR"},
		{"with a currency, whole", 600, "USD", "600.00 USD"},
		{"with a currency, under a thousand", 999.999, "CHF", "1,000.00 CHF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatMoneyIn(tc.amount, tc.currency); got != tc.want {
				t.Errorf("FormatMoneyIn(%v, %q) = %q, want %q", tc.amount, tc.currency, got, tc.want)
			}
		})
	}
}
