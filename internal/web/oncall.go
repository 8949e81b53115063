package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/oncall"
)

// OnCall is the on-call directory the pages read: the people who can be
// paged, the schedules and the escalation policies, as the config file
// declares them. The server's directory (app's onCall) satisfies it.
type OnCall interface {
	People() []escalation.Person
	Person(name string) (escalation.Person, bool)
	Schedules() []oncall.Schedule
	Schedule(name string) (*oncall.Compiled, oncall.Schedule, bool)
	Policies() []incident.EscalationPolicy
}

// noOnCall is the directory of a server without one: nobody, nothing.
type noOnCall struct{}

func (noOnCall) People() []escalation.Person             { return nil }
func (noOnCall) Person(string) (escalation.Person, bool) { return escalation.Person{}, false }
func (noOnCall) Schedules() []oncall.Schedule            { return nil }
func (noOnCall) Policies() []incident.EscalationPolicy   { return nil }
func (noOnCall) Schedule(string) (*oncall.Compiled, oncall.Schedule, bool) {
	return nil, oncall.Schedule{}, false
}

func (u *UI) onCall() OnCall {
	if u.deps.OnCall == nil {
		return noOnCall{}
	}
	return u.deps.OnCall
}

const (
	// lookAhead is how far /oncall looks for the end of the current shift
	// and the next hand-off.
	lookAhead = 30 * 24 * time.Hour
	// scheduleDays is how many days a schedule's page lays out.
	scheduleDays = 28
	// stampLayout is how the on-call pages write an instant in a zone.
	stampLayout = "Mon 2 Jan 15:04 MST"
	// atLayout is the value of a datetime-local input.
	atLayout = "2006-01-02T15:04"
)

// stamp is an instant as the on-call pages show it: written in a zone,
// with the machine-readable instant beside it.
type stamp struct {
	T    time.Time
	Text string
}

func stampIn(t time.Time, loc *time.Location) stamp {
	return stamp{T: t, Text: t.In(loc).Format(stampLayout)}
}

// UTC writes the instant in UTC, the same for every reader.
func (s stamp) UTC() string { return s.T.UTC().Format("Mon 2 Jan 15:04") + " UTC" }

// Datetime is the instant for a <time datetime> attribute.
func (s stamp) Datetime() string { return s.T.UTC().Format(time.RFC3339) }

// scheduleNow is one schedule on the on-call page.
type scheduleNow struct {
	Name, Timezone string
	Now            []string
	// Until is the end of the current shift; Open says the shift runs past
	// the look-ahead, with no hand-off in sight.
	Until *stamp
	Open  bool
	// Next is the next hand-off: who takes over, and when.
	Next     *stamp
	NextUser string
}

// personRow is one person on the on-call page: never their addresses, only
// the kinds of contact they have (webhook URLs are secrets).
type personRow struct {
	Name, DisplayName, Timezone string
	LocalTime                   string
	Contacts                    []string
	OnCallIn                    []string
}

// policyView is an escalation policy for reading.
type policyView struct {
	Name        string
	Levels      []levelView
	Repeat      int
	RepeatDelay string
}

type levelView struct {
	No      int
	Delay   string
	Targets []targetView
}

// targetView is a level's target, linked to its page when it has one.
type targetView struct {
	Kind, Name, Href string
}

func targetOf(t string) targetView {
	kind, name, ok := strings.Cut(t, ":")
	if !ok {
		return targetView{Name: t}
	}
	v := targetView{Kind: kind, Name: name}
	switch kind {
	case "schedule":
		v.Href = "/oncall/schedules/" + url.PathEscape(name)
	case "user":
		v.Href = "#person-" + name
	}
	return v
}

// onCallPage is the data of /oncall.
type onCallPage struct {
	Schedules []scheduleNow
	People    []personRow
	Policies  []policyView
}

func (u *UI) showOnCall(w http.ResponseWriter, r *http.Request) error {
	oc := u.onCall()
	now := u.deps.Now().UTC()
	p := onCallPage{}
	onCallIn := map[string][]string{}
	for _, s := range oc.Schedules() {
		c, _, ok := oc.Schedule(s.Name)
		if !ok {
			continue
		}
		loc := c.Location()
		sn := scheduleNow{Name: s.Name, Timezone: loc.String(), Now: c.OnCall(now)}
		for _, user := range sn.Now {
			onCallIn[user] = append(onCallIn[user], s.Name)
		}
		to := now.Add(lookAhead)
		shifts := c.Shifts(now, to)
		rest := shifts
		if len(shifts) > 0 && !shifts[0].Start.After(now) {
			if shifts[0].End.Before(to) {
				st := stampIn(shifts[0].End, loc)
				sn.Until = &st
			} else {
				sn.Open = true
			}
			rest = shifts[1:]
		}
		if len(rest) > 0 {
			st := stampIn(rest[0].Start, loc)
			sn.Next, sn.NextUser = &st, rest[0].User
		}
		p.Schedules = append(p.Schedules, sn)
	}
	slices.SortFunc(p.Schedules, func(a, b scheduleNow) int { return strings.Compare(a.Name, b.Name) })
	for _, person := range oc.People() {
		row := personRow{Name: person.Name, DisplayName: person.DisplayName, Timezone: person.Timezone, Contacts: person.Contacts(), OnCallIn: onCallIn[person.Name]}
		if person.Timezone != "" {
			if loc, err := time.LoadLocation(person.Timezone); err == nil {
				row.LocalTime = now.In(loc).Format("Mon 15:04")
			}
		}
		p.People = append(p.People, row)
	}
	for _, pol := range oc.Policies() {
		pv := policyView{Name: pol.Name, Repeat: pol.Repeat, RepeatDelay: pol.RepeatDelay}
		if pv.RepeatDelay == "" {
			pv.RepeatDelay = fmtDuration(escalation.DefaultRepeatDelay)
		}
		for i, l := range pol.Levels {
			lv := levelView{No: i + 1, Delay: l.Delay}
			for _, t := range l.Notify {
				lv.Targets = append(lv.Targets, targetOf(t))
			}
			pv.Levels = append(pv.Levels, lv)
		}
		p.Policies = append(p.Policies, pv)
	}
	slices.SortFunc(p.Policies, func(a, b policyView) int { return strings.Compare(a.Name, b.Name) })
	u.render(w, r, http.StatusOK, "oncall.html", "On-call", p)
	return nil
}

// shiftRow is one line of a schedule's shift table.
type shiftRow struct {
	User       string
	Start, End stamp
	Duration   string
	Override   bool
	// Current marks the shift running now; Continues one that runs past
	// the end of the table.
	Current, Continues bool
}

// shiftDay is one day of a schedule's timeline: the shifts that cover it,
// laid out in a 1000-wide SVG.
type shiftDay struct {
	Label string
	Date  string // YYYY-MM-DD, for the time element
	Segs  []segment
	// Now is where the current instant falls (x), or -1 when not today.
	Now float64
	// Ticks are where 06:00, 12:00 and 18:00 fall.
	Ticks []float64
	// Spoken is the day in words, for screen readers.
	Spoken string
}

type segment struct {
	X, W     float64
	User     string
	Colour   int
	Override bool
	Title    string
}

// atAnswer answers "who is on call at…".
type atAnswer struct {
	At    stamp
	Users []string
	// Note explains a wall-clock time that a daylight-saving change
	// skips or repeats.
	Note string
}

// schedulePage is the data of a schedule's page.
type schedulePage struct {
	Name, Timezone string
	Layers         []oncall.Layer
	Overrides      []oncall.Override
	Now            []string
	Shifts         []shiftRow
	Days           []shiftDay
	Users          []legendEntry
	HasOverrides   bool
	From, To       stamp
	// The "who is on call at…" form.
	AtValue   string
	AtProblem string
	Answer    *atAnswer
	// The calendar feed.
	FeedPath, FeedURL string
	SecretURL         string // shown once, right after it was made
	Done              string
	// Overrides made here: CanOverride says the server keeps them, Me is
	// the signed-in person's name in the directory ("" when the account
	// is no person, who then cannot take a shift), Stored lists those not
	// ended, and Cover is the "cover from … to …" form.
	CanOverride bool
	Me          string
	Stored      []storedOverride
	Cover       coverForm
}

type legendEntry struct {
	User   string
	Colour int
}

// palette is how many colours the timeline cycles through.
const palette = 6

func (u *UI) schedulePage(r *http.Request) (*schedulePage, error) {
	name := r.PathValue("name")
	c, s, ok := u.onCall().Schedule(name)
	if !ok {
		return nil, apperr.NotFound("schedule %q", name)
	}
	loc := c.Location()
	now := u.deps.Now().UTC()
	p := &schedulePage{Name: name, Timezone: loc.String(), Layers: s.Layers, Overrides: s.Overrides, Now: c.OnCall(now),
		FeedPath: "/api/v1/schedules/" + url.PathEscape(name) + "/calendar.ics"}
	p.FeedURL = monitor.BaseURL(u.deps.PublicURL, r) + p.FeedPath

	// The days of the timeline, midnight to midnight in the schedule's
	// zone (23 or 25 hours long across a daylight-saving change).
	y, m, d := now.In(loc).Date()
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, loc)
	end := time.Date(y, m, d+scheduleDays, 0, 0, 0, 0, loc)
	p.From, p.To = stampIn(now, loc), stampIn(end, loc)

	// The table starts with the shift running now, whole: look back far
	// enough to find its real start.
	colours := map[string]int{}
	colourOf := func(user string) int {
		if c, ok := colours[user]; ok {
			return c
		}
		colours[user] = len(colours) % palette
		p.Users = append(p.Users, legendEntry{User: user, Colour: colours[user]})
		return colours[user]
	}
	for _, sh := range c.Shifts(now.Add(-35*24*time.Hour), end) {
		if !sh.End.After(now) {
			continue
		}
		row := shiftRow{User: sh.User, Start: stampIn(sh.Start, loc), End: stampIn(sh.End, loc), Duration: fmtDuration(sh.End.Sub(sh.Start)),
			Override: sh.Layer == oncall.OverrideLayer, Current: !sh.Start.After(now), Continues: !sh.End.Before(end)}
		p.HasOverrides = p.HasOverrides || row.Override
		colourOf(sh.User)
		p.Shifts = append(p.Shifts, row)
	}
	all := c.Shifts(dayStart, end)
	for day := dayStart; day.Before(end); {
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		span := float64(next.Sub(day))
		bar := shiftDay{Label: day.Format("Mon 2 Jan"), Date: day.Format("2006-01-02"), Now: -1}
		if !now.Before(day) && now.Before(next) {
			bar.Now = 1000 * float64(now.Sub(day)) / span
		}
		for _, h := range []int{6, 12, 18} {
			t := time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, loc)
			bar.Ticks = append(bar.Ticks, 1000*float64(t.Sub(day))/span)
		}
		var words []string
		for _, sh := range all {
			if !sh.End.After(day) || !sh.Start.Before(next) {
				continue
			}
			from, to := maxTime(sh.Start, day), minTime(sh.End, next)
			seg := segment{X: 1000 * float64(from.Sub(day)) / span, W: 1000 * float64(to.Sub(from)) / span, User: sh.User,
				Colour: colourOf(sh.User), Override: sh.Layer == oncall.OverrideLayer}
			until := to.In(loc).Format("15:04")
			if to.Equal(next) {
				until = "24:00"
			}
			seg.Title = sh.User + " " + from.In(loc).Format("15:04") + "–" + until
			if seg.Override {
				seg.Title += " (override)"
			}
			words = append(words, seg.Title)
			bar.Segs = append(bar.Segs, seg)
		}
		if len(words) == 0 {
			words = []string{"nobody on call"}
		}
		bar.Spoken = bar.Label + ": " + strings.Join(words, ", ")
		p.Days = append(p.Days, bar)
		day = next
	}

	// "Who is on call at…", read in the schedule's zone.
	if v := strings.TrimSpace(r.URL.Query().Get("at")); v != "" {
		p.AtValue = v
		at, note, err := parseLocal(v, loc)
		if err != nil {
			p.AtProblem = err.Error()
		} else {
			p.Answer = &atAnswer{At: stampIn(at, loc), Users: c.OnCall(at), Note: note}
		}
	}
	if p.AtValue == "" {
		p.AtValue = now.In(loc).Format(atLayout)
	}
	return p, nil
}

// parseLocal reads a datetime-local value as a wall-clock time in loc. A
// time the clocks skip, or pass twice, comes with a note saying which
// instant was taken.
func parseLocal(v string, loc *time.Location) (time.Time, string, error) {
	var t time.Time
	var err error
	for _, layout := range []string{atLayout, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err = time.ParseInLocation(layout, v, loc); err == nil {
			break
		}
	}
	if err != nil {
		return time.Time{}, "", fmt.Errorf("Expected a date and time such as %s, got %q.", time.Date(2026, 3, 29, 9, 30, 0, 0, time.UTC).Format(atLayout), v)
	}
	wall := t.Format("15:04")
	var note string
	switch {
	case !strings.HasPrefix(v[11:], wall):
		note = fmt.Sprintf("%s does not exist on %s in %s (the clocks skip it); read as %s.", v[11:16], t.Format("2 Jan"), loc, t.Format("15:04 MST"))
	case t.Add(-time.Hour).Format("15:04") == wall || t.Add(time.Hour).Format("15:04") == wall:
		note = fmt.Sprintf("%s happens twice on %s in %s (the clocks go back); read as the %s one.", wall, t.Format("2 Jan"), loc, t.Format("MST"))
	}
	return t, note, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (u *UI) showSchedule(w http.ResponseWriter, r *http.Request) error {
	p, err := u.schedulePage(r)
	if err != nil {
		return err
	}
	if d := r.URL.Query().Get("done"); d == "revoked" || d == "none" || d == "override" || d == "removed" {
		p.Done = d
	}
	if err := u.overrideParts(r, p); err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "schedule.html", "Schedule "+p.Name, p)
	return nil
}

// createScheduleFeedSecret makes (or replaces) the schedule feed's secret
// URL and shows it on the page, once: it is stored only as a digest.
func (u *UI) createScheduleFeedSecret(w http.ResponseWriter, r *http.Request) error {
	p, err := u.schedulePage(r)
	if err != nil {
		return err
	}
	secret, err := u.deps.Auth.FeedSecret(r.Context(), principal(r).Actor(), "schedule:"+p.Name)
	if err != nil {
		return err
	}
	p.SecretURL = p.FeedURL + "?secret=" + url.QueryEscape(secret)
	u.render(w, r, http.StatusOK, "schedule.html", "Schedule "+p.Name, p)
	return nil
}

func (u *UI) revokeScheduleFeedSecret(w http.ResponseWriter, r *http.Request) error {
	p, err := u.schedulePage(r)
	if err != nil {
		return err
	}
	done := "revoked"
	if err := u.deps.Auth.RevokeFeedSecret(r.Context(), principal(r).Actor(), "schedule:"+p.Name); err != nil {
		if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		done = "none"
	}
	http.Redirect(w, r, "/oncall/schedules/"+url.PathEscape(p.Name)+"?done="+done+"#feed", http.StatusSeeOther)
	return nil
}
