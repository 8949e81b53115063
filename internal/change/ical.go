package change

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
)

// Calendar writes change requests as an iCalendar feed (RFC 5545): one
// VEVENT per change over its planned window (its actual one once it ran),
// titled with its id, type, state and title, linking to its page under
// base. Refused changes are left out. Times are UTC; now is DTSTAMP.
func Calendar(cs []Request, base string, now time.Time) string {
	cal := ics.NewCalendar()
	cal.SetProductId("-//Sextant//Change calendar//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetCalscale("GREGORIAN")
	cal.SetXWRCalName("Changes")
	for _, c := range cs {
		if c.State == Rejected {
			continue
		}
		start, end := Span(c)
		ev := cal.AddEvent("change-" + strconv.FormatInt(c.ID, 10) + "@sextant")
		ev.SetDtStampTime(now)
		ev.SetStartAt(start)
		ev.SetEndAt(end)
		ev.SetSummary(fmt.Sprintf("Change #%d (%s, %s): %s", c.ID, c.Type, strings.ReplaceAll(string(c.State), "_", " "), c.Title))
		desc := "Services: " + strings.Join(c.Services, ", ")
		if len(c.Items) > 0 {
			desc += "\nItems: " + strings.Join(c.Items, ", ")
		}
		if c.Outage {
			desc += "\nAn outage is expected."
		}
		desc += "\nRisk: " + string(c.Risk.Level)
		ev.SetDescription(desc)
		ev.SetURL(strings.TrimSuffix(base, "/") + "/changes/" + strconv.FormatInt(c.ID, 10))
		if c.Outage {
			ev.SetTimeTransparency(ics.TransparencyOpaque)
		} else {
			ev.SetTimeTransparency(ics.TransparencyTransparent)
		}
	}
	var b strings.Builder
	// RFC 5545 lines end in CRLF; the library's default is a bare LF.
	_ = cal.SerializeTo(&b, ics.WithNewLine("\r\n"))
	return b.String()
}

// Span is the stretch a change occupies on a calendar: its actual start
// and end once known, its planned ones otherwise; a change still running
// past its planned end reaches now only in the feed's next fetch, so it
// shows its planned end until it ends.
func Span(c Request) (time.Time, time.Time) {
	start, end := c.PlannedStart, c.PlannedEnd
	if c.StartedAt != nil {
		start = *c.StartedAt
	}
	if c.EndedAt != nil {
		end = *c.EndedAt
	}
	if !end.After(start) {
		end = start.Add(time.Minute)
	}
	return start, end
}
