package oncall

import (
	"bytes"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

// parsedEvent is what a calendar application would see of one VEVENT.
type parsedEvent struct {
	uid, summary      string
	start, end, stamp time.Time
}

// parseICal reads a feed with a second, independent iCalendar library, so
// that the test checks the standard rather than our writer's own idea of it.
func parseICal(t *testing.T, data []byte) (*goical.Calendar, []parsedEvent) {
	t.Helper()
	cal, err := goical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, data)
	}
	// Re-encoding runs go-ical's checks of required properties.
	if err := goical.NewEncoder(&bytes.Buffer{}).Encode(cal); err != nil {
		t.Fatalf("go-ical refuses to re-encode the feed: %v\n%s", err, data)
	}
	var out []parsedEvent
	for _, ev := range cal.Events() {
		var p parsedEvent
		if p.uid, err = ev.Props.Text(goical.PropUID); err != nil || p.uid == "" {
			t.Fatalf("UID: %q %v", p.uid, err)
		}
		if p.summary, err = ev.Props.Text(goical.PropSummary); err != nil {
			t.Fatalf("SUMMARY: %v", err)
		}
		if p.start, err = ev.DateTimeStart(nil); err != nil {
			t.Fatalf("DTSTART: %v", err)
		}
		if p.end, err = ev.DateTimeEnd(nil); err != nil {
			t.Fatalf("DTEND: %v", err)
		}
		if p.stamp, err = ev.Props.DateTime(goical.PropDateTimeStamp, nil); err != nil || p.stamp.IsZero() {
			t.Fatalf("event %s has no DTSTAMP: %v", p.uid, err)
		}
		out = append(out, p)
	}
	return cal, out
}

func TestICal(t *testing.T) {
	ber := zone(t, "Europe/Berlin")
	// From and to are weekly hand-offs, so no shift sticks out of the range
	// and the feed must hold exactly what Shifts returns.
	from, to := wall(t, ber, "2026-03-16 09:00"), wall(t, ber, "2026-04-13 09:00")
	// The feed is made a week into its range, at a time no shift starts.
	now := wall(t, ber, "2026-03-23 14:27").Add(13 * time.Second)
	tests := []struct {
		name, schedule, calName, only, wantCalName string
	}{
		{"whole schedule", "primary", "Primary on call", "", "Primary on call"},
		{"one user's feed", "primary", "", "carol", "On call: primary (carol)"},
		{"name needing escapes", "ops, EU; night", "", "", "On call: ops, EU; night"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := example
			s.Name = tt.schedule
			c := mustCompile(t, s)
			data, err := c.ICal(tt.calName, "-//Sextant//On-call//EN", from, to, now, tt.only)
			if err != nil {
				t.Fatal(err)
			}
			cal, events := parseICal(t, data)
			if got, _ := cal.Props.Text("X-WR-CALNAME"); got != tt.wantCalName {
				t.Errorf("X-WR-CALNAME = %q, want %q", got, tt.wantCalName)
			}
			if got, _ := cal.Props.Text(goical.PropProductID); got != "-//Sextant//On-call//EN" {
				t.Errorf("PRODID = %q", got)
			}
			var want []Shift
			for _, s := range c.Shifts(from, to) {
				if tt.only == "" || s.User == tt.only {
					want = append(want, s)
				}
			}
			if len(want) < 2 {
				t.Fatalf("bad case: only %d shifts", len(want))
			}
			if len(events) != len(want) {
				t.Fatalf("%d events, want %d", len(events), len(want))
			}
			uids := map[string]bool{}
			for i, ev := range events {
				w := want[i]
				summary := "On call: " + tt.schedule + " (" + w.User + ")"
				if !ev.start.Equal(w.Start) || !ev.end.Equal(w.End) || ev.summary != summary {
					t.Errorf("event %d = %q %v–%v, want %q %v–%v", i, ev.summary, ev.start, ev.end, summary, w.Start, w.End)
				}
				if !ev.stamp.Equal(now) {
					t.Errorf("event %d: DTSTAMP %v, want the time the feed was made, %v", i, ev.stamp, now)
				}
				if uids[ev.uid] {
					t.Errorf("UID %s repeated", ev.uid)
				}
				uids[ev.uid] = true
			}
			if n, m := strings.Count(string(data), "\n"), strings.Count(string(data), "\r\n"); n != m || !strings.HasSuffix(string(data), "\r\n") {
				t.Fatalf("%d of %d line ends are not CRLF", n-m, n)
			}
			for _, line := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
				if len(line) > 75 {
					t.Errorf("line longer than 75 octets: %q", line)
				}
				if strings.HasPrefix(line, "DTSTART") || strings.HasPrefix(line, "DTEND") {
					if !strings.HasSuffix(line, "Z") || strings.Contains(line, "TZID") {
						t.Errorf("not UTC: %q", line)
					}
				}
			}
		})
	}
}

// TestICalStableUIDs fetches the feed on two days: a shift present in both
// must keep its UID, start and end, even where the range cuts it.
func TestICalStableUIDs(t *testing.T) {
	c := mustCompile(t, example)
	ber := zone(t, "Europe/Berlin")
	from := wall(t, ber, "2026-03-18 10:17") // in the middle of shifts
	_, day1 := parseICal(t, must(c.ICal("", "-//x//y//EN", from, from.AddDate(0, 0, 28), from, "")))
	_, day2 := parseICal(t, must(c.ICal("", "-//x//y//EN", from.AddDate(0, 0, 1), from.AddDate(0, 0, 29), from.AddDate(0, 0, 1), "")))
	byUID := map[string]parsedEvent{}
	for _, ev := range day1 {
		byUID[ev.uid] = ev
	}
	common := 0
	for _, ev := range day2 {
		if old, ok := byUID[ev.uid]; ok {
			common++
			if !old.start.Equal(ev.start) || !old.end.Equal(ev.end) {
				t.Errorf("UID %s moved: %v–%v then %v–%v", ev.uid, old.start, old.end, ev.start, ev.end)
			}
		}
	}
	if common < len(day2)-3 {
		t.Errorf("only %d of %d events kept their UID", common, len(day2))
	}
	// The first event is the whole shift holding from, not a piece of it.
	if first := day1[0]; !first.start.Before(from) {
		t.Errorf("first event starts at %v, not before %v", first.start, from)
	}
	if who(c, from) != strings.TrimSuffix(strings.TrimPrefix(day1[0].summary, "On call: primary ("), ")") {
		t.Errorf("first event %q is not who is on call at from", day1[0].summary)
	}
}

func TestICalEmptyRange(t *testing.T) {
	c := mustCompile(t, example)
	at := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	if _, err := c.ICal("", "-//x//y//EN", at, at, at, ""); err == nil {
		t.Error("want an error for an empty range")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
