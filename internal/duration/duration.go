// Package duration parses and formats the durations users write in Sextant's
// configuration and API: Go's syntax ("90s", "1h30m") plus days ("7d") and
// weeks ("2w"), which operations people use for periods, grace times and
// retention but which time.ParseDuration does not accept.
package duration

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Day and Week are the fixed-length units accepted besides Go's own.
// They are exact multiples of hours: a duration is elapsed time, not
// calendar time, so a "1d" spanning a daylight-saving change is still 24h.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// ErrEmpty is returned for an empty string.
var ErrEmpty = errors.New("empty duration")

// Parse reads a non-negative duration such as "30m", "1h30m", "7d" or "2w3d".
// Units are w, d, h, m, s, ms, us and ns; a bare "0" is zero. Negative values
// are refused: no duration in Sextant's model may run backwards.
func Parse(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrEmpty
	}
	if s == "0" {
		return 0, nil
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%q: must not be negative", s)
	}
	var total time.Duration
	rest := s
	for rest != "" {
		// Split off the number.
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q: expected a number before %q", s, rest)
		}
		num := rest[:i]
		rest = rest[i:]
		j := 0
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') && rest[j] != '.' {
			j++
		}
		unit := rest[:j]
		rest = rest[j:]
		var mult time.Duration
		switch unit {
		case "w":
			mult = Week
		case "d":
			mult = Day
		case "h", "m", "s", "ms", "us", "µs", "ns":
			d, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, fmt.Errorf("%q: %w", s, err)
			}
			total += d
			continue
		case "":
			return 0, fmt.Errorf("%q: missing unit after %s (use s, m, h, d or w)", s, num)
		default:
			return 0, fmt.Errorf("%q: unknown unit %q (use s, m, h, d or w)", s, unit)
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("%q: bad number %q", s, num)
		}
		if f*float64(mult) > float64(1<<62) {
			return 0, fmt.Errorf("%q: too long", s)
		}
		total += time.Duration(f * float64(mult))
		if total < 0 {
			return 0, fmt.Errorf("%q: too long", s)
		}
	}
	return total, nil
}

// Format writes d the way a person would: "30m" rather than "30m0s",
// "1d" rather than "24h0m0s", "1h30m", "2w". Parse(Format(d)) == d.
func Format(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	for _, u := range []struct {
		unit string
		size time.Duration
	}{{"w", Week}, {"d", Day}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.unit)
			d -= n * u.size
		}
	}
	if d > 0 {
		b.WriteString(d.String())
	}
	return b.String()
}
