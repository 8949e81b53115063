package oncall

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
)

// maxExtent bounds how far ICal looks beyond [from, to) for the true start
// and end of the shifts at the edges. Past it a shift is cut, which only
// happens to a layer with one member and no restriction: a shift that
// never ends.
const maxExtent = 512 * 24 * time.Hour

// ICal writes the schedule over [from, to) as an iCalendar feed
// (RFC 5545): one VEVENT per shift, whole even where it sticks out of the
// range, so that a shift keeps the same start, end and UID whichever day
// the feed is fetched. only, when not empty, keeps the shifts of that user,
// for a personal feed.
//
// name is the calendar's display name (X-WR-CALNAME; empty means "On call:
// <schedule>") and prodID the PRODID. Times are written in UTC, which every
// calendar application reads without a VTIMEZONE. The UID is a hash of
// schedule, user and start, so a calendar application updates a changed
// shift in place rather than duplicating it. DTSTAMP, when the feed was
// made (RFC 5545 section 3.8.7.2), is now: the package has no clock of its
// own.
func (c *Compiled) ICal(name, prodID string, from, to, now time.Time, only string) ([]byte, error) {
	if !from.Before(to) {
		return nil, errors.New("calendar range is empty: from must be before to")
	}
	if name == "" {
		name = "On call: " + c.name
		if only != "" {
			name += " (" + only + ")"
		}
	}
	cal := ics.NewCalendar()
	cal.SetProductId(prodID)
	cal.SetMethod(ics.MethodPublish)
	cal.SetCalscale("GREGORIAN")
	cal.SetXWRCalName(name)
	for _, s := range c.wholeShifts(from, to) {
		if only != "" && s.User != only {
			continue
		}
		ev := cal.AddEvent(c.uid(s))
		ev.SetDtStampTime(now)
		ev.SetStartAt(s.Start)
		ev.SetEndAt(s.End)
		ev.SetSummary("On call: " + c.name + " (" + s.User + ")")
		ev.SetTimeTransparency(ics.TransparencyTransparent)
	}
	var b strings.Builder
	// RFC 5545 lines end in CRLF; the library's default is a bare LF.
	if err := cal.SerializeTo(&b, ics.WithNewLine("\r\n")); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// uid names a shift by what identifies it to the people on call.
func (c *Compiled) uid(s Shift) string {
	h := sha256.New()
	for _, part := range []string{c.name, s.User, s.Start.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16]) + "@sextant"
}

// wholeShifts returns the shifts that overlap [from, to), not clipped to
// it: it widens the range until the first and last shifts start and end
// inside it, up to maxExtent either side.
func (c *Compiled) wholeShifts(from, to time.Time) []Shift {
	for pad := 24 * time.Hour; ; pad *= 2 {
		lo, hi := from.Add(-pad), to.Add(pad)
		all := c.Shifts(lo, hi)
		var in []Shift
		for _, s := range all {
			if s.Start.Before(to) && s.End.After(from) {
				in = append(in, s)
			}
		}
		if len(in) == 0 {
			return nil
		}
		if (in[0].Start.After(lo) && in[len(in)-1].End.Before(hi)) || pad >= maxExtent {
			return in
		}
	}
}
