package duration

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a parsed rate limit: at most Events in any span of Per. Alert
// integrations and notification channels spell their rate_limit this way.
type Rate struct {
	Events int
	Per    time.Duration
}

// ParseRate reads "100/s", "6000/m", "50/10s": a whole number of events, a
// slash, and a unit (s, m, h) or a duration.
func ParseRate(s string) (Rate, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("expected events per time, e.g. 100/s, got %q", s)
	}
	events, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || events < 1 {
		return Rate{}, fmt.Errorf("expected a whole number of events before the slash, got %q", n)
	}
	per = strings.TrimSpace(per)
	if per == "s" || per == "m" || per == "h" {
		per = "1" + per
	}
	d, err := Parse(per)
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("expected a time after the slash (s, m, h or a duration), got %q", per)
	}
	return Rate{Events: events, Per: d}, nil
}
