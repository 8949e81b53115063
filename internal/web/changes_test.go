package web

import (
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/change"
)

// TestChangedBefore words how long before an incident a change was made.
func TestChangedBefore(t *testing.T) {
	opened := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ended := func(d time.Duration) change.Request {
		e := opened.Add(-d)
		return change.Request{EndedAt: &e}
	}
	for _, c := range []struct {
		c    change.Request
		want string
	}{
		{change.Request{}, "change under way"},
		{ended(-time.Minute), "change under way"},
		{ended(14*time.Minute + 20*time.Second), "changed 14 min before"},
		{ended(89 * time.Minute), "changed 89 min before"},
		{ended(5 * time.Hour), "changed 5 h before"},
		{ended(72 * time.Hour), "changed 3 days before"},
	} {
		if got := ChangedBefore(c.c, opened); got != c.want {
			t.Errorf("%v: %q, want %q", c.c.EndedAt, got, c.want)
		}
	}
}
