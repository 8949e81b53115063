package mailin

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	l := &Limiter{Max: 3, Window: time.Hour}
	// Allowed at 0, 1 and 2 minutes, refused at 3 (a refusal does not
	// count). At 60 the ticket of minute 0 is exactly an hour old and
	// leaves the window; at 61 and 62 those of minutes 1 and 2 do.
	steps := []struct {
		sender string
		at     time.Duration
		want   bool
	}{
		{"loop@example.com", 0, true},
		{"loop@example.com", time.Minute, true},
		{"loop@example.com", 2 * time.Minute, true},
		{"loop@example.com", 3 * time.Minute, false},
		{"ann@example.com", 3 * time.Minute, true}, // another sender has their own count
		{"loop@example.com", 60 * time.Minute, true},
		{"loop@example.com", 60*time.Minute + 30*time.Second, false},
		{"loop@example.com", 61 * time.Minute, true},
		{"loop@example.com", 62 * time.Minute, true},
		{"loop@example.com", 62 * time.Minute, false},
	}
	for i, s := range steps {
		if got := l.Allow(s.sender, t0.Add(s.at)); got != s.want {
			t.Errorf("step %d: Allow(%s, +%v) = %v, want %v", i, s.sender, s.at, got, s.want)
		}
	}
}

func TestLimiterDefaultsAndSweep(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	l := &Limiter{}
	for i := range 20 {
		if !l.Allow("a@example.com", t0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("new ticket %d refused under the default 20 an hour", i+1)
		}
	}
	if l.Allow("a@example.com", t0.Add(time.Minute)) {
		t.Fatal("the 21st new ticket in an hour was allowed")
	}
	l.Allow("b@example.com", t0.Add(time.Minute))
	// Two hours on, the sweep drops both senders.
	l.Allow("c@example.com", t0.Add(3*time.Hour))
	if len(l.seen) != 1 {
		t.Errorf("%d senders remembered after the sweep, want 1", len(l.seen))
	}
}
