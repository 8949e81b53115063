package availability

import (
	"fmt"
	"strconv"
	"strings"
)

// ruleBounds is the range RFC 5545 (section 3.3.10) allows for each numeric
// BYxxx part; signed parts also accept the same range negated, counting
// from the end of the month, year or set.
var ruleBounds = map[string]struct {
	lo, hi int
	signed bool
}{
	"BYSECOND":   {0, 59, false}, // RFC 5545 allows 60 for a leap second, which no wall clock here shows.
	"BYMINUTE":   {0, 59, false},
	"BYHOUR":     {0, 23, false},
	"BYMONTHDAY": {1, 31, true},
	"BYYEARDAY":  {1, 366, true},
	"BYWEEKNO":   {1, 53, true},
	"BYMONTH":    {1, 12, false},
	"BYSETPOS":   {1, 366, true},
}

// weekdays are the two-letter day names of RFC 5545.
var weekdays = map[string]bool{"MO": true, "TU": true, "WE": true, "TH": true, "FR": true, "SA": true, "SU": true}

// checkRule checks the parts of one upper-case RRULE value (without its
// "RRULE:" prefix) against RFC 5545, which the RRULE library does not: it
// takes INTERVAL=0 as 1, lets a repeated part overwrite the first, and
// accepts combinations the standard forbids and whose meaning is therefore
// anybody's guess. The error names the part at fault.
func checkRule(rr string) error {
	parts := map[string]string{}
	var order []string // names as given, so the first fault is reported
	for _, p := range strings.Split(rr, ";") {
		name, value, ok := strings.Cut(p, "=")
		switch {
		case p == "":
			return fmt.Errorf("empty part (parts are separated by one ';')")
		case !ok:
			return fmt.Errorf("part %q has no value (write NAME=VALUE)", p)
		case value == "":
			return fmt.Errorf("%s has no value", name)
		}
		if _, dup := parts[name]; dup {
			return fmt.Errorf("%s is given twice (each part may appear once)", name)
		}
		parts[name] = value
		order = append(order, name)
	}
	freq, ok := parts["FREQ"]
	if !ok {
		return fmt.Errorf("FREQ is required (e.g. FREQ=WEEKLY)")
	}
	for _, name := range order {
		value := parts[name]
		var err error
		switch name {
		case "FREQ":
			switch value {
			case "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY":
			default:
				err = fmt.Errorf("must be DAILY, WEEKLY, MONTHLY or YEARLY, not %q", value)
			}
		case "INTERVAL", "COUNT":
			if n, e := strconv.Atoi(value); e != nil || n < 1 || !isDigits(value) {
				err = fmt.Errorf("must be a whole number of at least 1, not %q", value)
			}
		case "UNTIL":
			// Its date or date-time form is read by the library.
		case "WKST":
			if !weekdays[value] {
				err = fmt.Errorf("must be a day: MO, TU, WE, TH, FR, SA or SU, not %q", value)
			}
		case "BYDAY":
			err = checkByDay(value, freq, parts)
		default:
			b, known := ruleBounds[name]
			if !known {
				return fmt.Errorf("unknown part %s (RFC 5545 has FREQ, UNTIL, COUNT, INTERVAL, BYSECOND, BYMINUTE, BYHOUR, BYDAY, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYMONTH, BYSETPOS and WKST)", name)
			}
			err = checkNumbers(value, b.lo, b.hi, b.signed)
		}
		if err != nil {
			return fmt.Errorf("%s %w", name, err)
		}
	}
	has := func(name string) bool { _, ok := parts[name]; return ok }
	switch {
	case has("COUNT") && has("UNTIL"):
		return fmt.Errorf("COUNT and UNTIL cannot both be given: the rule ends either after a number of occurrences or at a time")
	case has("BYWEEKNO") && freq != "YEARLY":
		return fmt.Errorf("BYWEEKNO applies only with FREQ=YEARLY")
	case has("BYYEARDAY") && (freq == "DAILY" || freq == "WEEKLY" || freq == "MONTHLY"):
		return fmt.Errorf("BYYEARDAY does not apply with FREQ=%s", freq)
	case has("BYMONTHDAY") && freq == "WEEKLY":
		return fmt.Errorf("BYMONTHDAY does not apply with FREQ=WEEKLY (use BYDAY, or FREQ=MONTHLY)")
	case has("BYSETPOS") && !hasOtherBy(parts):
		return fmt.Errorf("BYSETPOS needs another BYxxx part to choose from (e.g. FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1)")
	}
	return nil
}

// checkByDay checks a BYDAY list: days, each optionally with a week number
// (1SU, -1FR), which is allowed only in MONTHLY and YEARLY rules and not
// beside BYWEEKNO.
func checkByDay(value, freq string, parts map[string]string) error {
	for _, d := range strings.Split(value, ",") {
		if len(d) < 2 || !weekdays[d[len(d)-2:]] {
			return fmt.Errorf("%q is not a day (MO, TU, WE, TH, FR, SA, SU, optionally with a week number such as 1SU or -1FR)", d)
		}
		num := d[:len(d)-2]
		if num == "" {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || !isDigits(strings.TrimLeft(num, "+-")) || len(num) > 3 || n == 0 || n < -53 || n > 53 {
			return fmt.Errorf("%q: the week number must be between 1 and 53 or -1 and -53", d)
		}
		if freq != "MONTHLY" && freq != "YEARLY" {
			return fmt.Errorf("%q: a numbered day applies only with FREQ=MONTHLY or FREQ=YEARLY", d)
		}
		if _, ok := parts["BYWEEKNO"]; ok {
			return fmt.Errorf("%q: a numbered day does not apply beside BYWEEKNO", d)
		}
	}
	return nil
}

// checkNumbers checks a comma-separated list of whole numbers in [lo, hi],
// or in [-hi, -lo] too when signed.
func checkNumbers(value string, lo, hi int, signed bool) error {
	for _, s := range strings.Split(value, ",") {
		digits := s
		if signed {
			digits = strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-")
		}
		n, err := strconv.Atoi(digits)
		if err != nil || !isDigits(digits) || n < lo || n > hi {
			if signed {
				return fmt.Errorf("value %q must be between %d and %d, or -%d and -%d", s, lo, hi, lo, hi)
			}
			return fmt.Errorf("value %q must be between %d and %d", s, lo, hi)
		}
	}
	return nil
}

// hasOtherBy reports whether a rule has a BYxxx part besides BYSETPOS.
func hasOtherBy(parts map[string]string) bool {
	for name := range parts {
		if strings.HasPrefix(name, "BY") && name != "BYSETPOS" {
			return true
		}
	}
	return false
}

// isDigits reports whether s is a non-empty run of ASCII digits of a
// sensible length, so that "1e3", " 5" and a thousand zeros are refused.
func isDigits(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
