package signed

import (
	"net/url"
	"testing"
	"time"
)

func TestLinks(t *testing.T) {
	s := New([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	q, err := url.ParseQuery(s.Query("ticket:7", "approve", now, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(q, "ticket:7", "approve", now.Add(59*time.Minute)); err != nil {
		t.Fatalf("a fresh link is refused: %v", err)
	}
	for _, c := range []struct {
		name, subject, purpose string
		at                     time.Time
	}{
		{"expired", "ticket:7", "approve", now.Add(time.Hour)},
		{"another subject", "ticket:8", "approve", now},
		{"another purpose", "ticket:7", "reject", now},
	} {
		if err := s.Check(q, c.subject, c.purpose, c.at); err != ErrInvalid {
			t.Errorf("%s: got %v, want ErrInvalid", c.name, err)
		}
	}
	other := New([]byte("another key"))
	if err := other.Check(q, "ticket:7", "approve", now); err != ErrInvalid {
		t.Errorf("another key accepted the link: %v", err)
	}
	q.Set("exp", "soon")
	if err := s.Check(q, "ticket:7", "approve", now); err != ErrInvalid {
		t.Errorf("a malformed expiry was accepted: %v", err)
	}
}
