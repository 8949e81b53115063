package availability

import (
	"testing"
	"time"
)

// loc loads an IANA zone or stops the test.
func loc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return l
}

// at reads "2006-01-02 15:04" as a wall-clock time in l.
func at(t testing.TB, l *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, l)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

// office is the mon-fri 09:00-17:00 calendar in l with the given holidays.
func office(t testing.TB, l *time.Location, holidays ...Date) *Calendar {
	t.Helper()
	c, err := NewCalendar(l, []Window{{Days: 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday, From: 9 * 60, To: 17 * 60}}, holidays)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hours(n float64) time.Duration { return time.Duration(n * float64(time.Hour)) }
