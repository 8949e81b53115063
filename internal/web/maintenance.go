package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/store"
)

// maintenanceAhead is how far ahead the maintenance page lists windows.
const maintenanceAhead = 30 * duration.Day

// previewCount is how many occurrences the schedule form shows before saving.
const previewCount = 5

// builderDays are the weekdays of the recurring-window builder, in the
// order a week is read, with their RFC 5545 names.
var builderDays = []struct{ Code, Label string }{
	{"MO", "Mon"}, {"TU", "Tue"}, {"WE", "Wed"}, {"TH", "Thu"}, {"FR", "Fri"}, {"SA", "Sat"}, {"SU", "Sun"},
}

// maintenanceInput is what the schedule form asks, as typed. Start and End
// are datetime-local values ("2026-12-05T22:00"), read in Zone.
type maintenanceInput struct {
	Services []string
	Title    string
	Kind     string // "once" or "recurring"
	Start    string
	End      string
	Zone     string // "" means each service's own zone
	Freq     string // "daily", "weekly" or "monthly"
	Days     []string
	MonthDay string
	Time     string // "02:00"
	Duration string // "2h"
}

// buildWindow turns the form's input into the window it stands for: a
// one-off window with its times written with their offset in the chosen
// zone (defaultZone when none is chosen), or a recurring one whose RRULE it
// writes from the builder's frequency, days and time. Every mistake is
// named by its form field.
func buildWindow(in maintenanceInput, defaultZone *time.Location) (catalog.MaintenanceWindow, []apperr.Field) {
	var inv apperr.Invalid
	w := catalog.MaintenanceWindow{Title: strings.TrimSpace(in.Title)}
	loc := defaultZone
	if in.Zone != "" {
		l, err := time.LoadLocation(in.Zone)
		if err != nil || strings.EqualFold(in.Zone, "local") {
			inv.Add("timezone", "unknown time zone %q (use an IANA name such as Europe/Berlin)", in.Zone)
			loc = nil
		} else {
			loc = l
		}
	}
	switch in.Kind {
	case "once":
		start, errS := parseLocalTime(in.Start, loc)
		end, errE := parseLocalTime(in.End, loc)
		if errS != "" {
			inv.Add("start", "%s", errS)
		}
		if errE != "" {
			inv.Add("end", "%s", errE)
		}
		if errS == "" && errE == "" && loc != nil && !end.After(start) {
			inv.Add("end", "must be after the start (%s)", in.Start)
		}
		if loc != nil && errS == "" && errE == "" {
			w.Start, w.End = start.Format(time.RFC3339), end.Format(time.RFC3339)
		}
	case "recurring":
		var parts []string
		switch in.Freq {
		case "daily", "weekly", "monthly":
			parts = append(parts, "FREQ="+strings.ToUpper(in.Freq))
		default:
			inv.Add("freq", "choose daily, weekly or monthly")
		}
		var days []string
		for _, d := range builderDays {
			if slices.Contains(in.Days, d.Code) {
				days = append(days, d.Code)
			}
		}
		for _, d := range in.Days {
			if !slices.ContainsFunc(builderDays, func(b struct{ Code, Label string }) bool { return b.Code == d }) {
				inv.Add("days", "%q is not a day", d)
			}
		}
		switch in.Freq {
		case "weekly":
			if len(days) == 0 {
				inv.Add("days", "choose at least one day for a weekly window")
			}
		case "monthly":
			if len(days) > 0 {
				inv.Add("days", "a monthly window repeats on a day of the month; leave the weekdays empty")
			}
		}
		if len(days) > 0 {
			parts = append(parts, "BYDAY="+strings.Join(days, ","))
		}
		if in.Freq == "monthly" {
			n, err := strconv.Atoi(strings.TrimSpace(in.MonthDay))
			switch {
			case strings.TrimSpace(in.MonthDay) == "":
				inv.Add("monthday", "is required for a monthly window: a day from 1 to 31")
			case err != nil || n < 1 || n > 31:
				inv.Add("monthday", "must be a day from 1 to 31, not %q", in.MonthDay)
			default:
				parts = append(parts, "BYMONTHDAY="+strconv.Itoa(n))
			}
		}
		c, err := availability.ParseClock(strings.TrimSpace(in.Time))
		switch {
		case strings.TrimSpace(in.Time) == "":
			inv.Add("time", "is required: the wall-clock time the window starts, e.g. 02:00")
		case err != nil || c >= 24*60:
			inv.Add("time", "must be a time of day from 00:00 to 23:59, not %q", in.Time)
		default:
			parts = append(parts, fmt.Sprintf("BYHOUR=%d;BYMINUTE=%d", int(c)/60, int(c)%60))
		}
		d, err := duration.Parse(strings.TrimSpace(in.Duration))
		switch {
		case strings.TrimSpace(in.Duration) == "":
			inv.Add("duration", "is required, e.g. 2h or 90m")
		case err != nil:
			inv.Add("duration", "%v", err)
		case d <= 0:
			inv.Add("duration", "must be longer than zero")
		default:
			w.Duration = strings.TrimSpace(in.Duration)
		}
		w.RRule = strings.Join(parts, ";")
		w.Timezone = in.Zone
	default:
		inv.Add("kind", "choose a one-off or a recurring window")
	}
	return w, inv.Fields
}

// parseLocalTime reads a datetime-local value in loc; the message says what is
// wrong, "" when nothing is.
func parseLocalTime(v string, loc *time.Location) (time.Time, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, "is required: a date and time such as 2026-12-05T22:00"
	}
	if loc == nil {
		loc = time.UTC // the zone's own problem is named by its field
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, ""
		}
	}
	return time.Time{}, fmt.Sprintf("expected a date and time such as 2026-12-05T22:00, not %q", v)
}

// maintenanceForm is the "Schedule maintenance" form.
type maintenanceForm struct {
	maintenanceInput
	Choices []serviceChoice
	Days    []dayChoice
	Zones   []string
	// Rule and Preview are shown once the window builds: the RRULE the
	// builder wrote and its next occurrences.
	Rule     string
	Preview  []catalog.Occurrence
	PreviewZ string
	formProblems
}

// serviceChoice is one service the form offers.
type serviceChoice struct {
	Name, Title, Zone string
	ReadOnly          bool
	Chosen            bool
}

// dayChoice is one weekday box of the builder.
type dayChoice struct {
	Code, Label string
	Chosen      bool
}

func (f *maintenanceForm) template() string { return "maintenance_form.html" }

// FreqOptions are the builder's frequencies.
func (f *maintenanceForm) FreqOptions() []option {
	var out []option
	for _, v := range []string{"daily", "weekly", "monthly"} {
		out = append(out, option{Value: v, Label: capitalise(v), Selected: f.Freq == v})
	}
	return out
}
func (f *maintenanceForm) pageTitle() string { return "Schedule maintenance" }

// maintenanceLabels name the form's fields in the problem summary.
var maintenanceLabels = map[string]string{
	"services": "Services", "title": "Title", "kind": "Kind", "start": "Start", "end": "End", "timezone": "Time zone",
	"freq": "Repeats", "days": "Days", "monthday": "Day of the month", "time": "Starts at", "duration": "Lasts", "rrule": "Rule",
}

func (f *maintenanceForm) setProblems(fields []apperr.Field) {
	f.reset()
	for _, p := range fields {
		path := p.Path
		if strings.HasPrefix(path, "services[") {
			path = "services"
		}
		label, ok := maintenanceLabels[path]
		if !ok {
			label = "This window"
		}
		// The rule is written by the builder and has no input of its own.
		f.add(path, label, p.Msg, ok && path != "rrule")
	}
}

// maintenanceFormFor fills the form's choices from the catalog.
func (u *UI) maintenanceFormFor(r *http.Request, in maintenanceInput) (*maintenanceForm, catalog.Catalog, error) {
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return nil, cat, err
	}
	stored, _, err := u.deps.Catalog.ListServices(r.Context(), store.Page{Limit: 10000})
	if err != nil {
		return nil, cat, err
	}
	f := &maintenanceForm{maintenanceInput: in, Zones: commonZones}
	for _, s := range stored {
		f.Choices = append(f.Choices, serviceChoice{Name: s.Name, Title: s.Title, Zone: cat.Zone(s.Name).String(),
			ReadOnly: s.Source == catalog.SourceFile, Chosen: slices.Contains(in.Services, s.Name)})
	}
	for _, d := range builderDays {
		f.Days = append(f.Days, dayChoice{Code: d.Code, Label: d.Label, Chosen: slices.Contains(in.Days, d.Code)})
	}
	return f, cat, nil
}

func (u *UI) newMaintenance(w http.ResponseWriter, r *http.Request) error {
	in := maintenanceInput{Kind: "once", Freq: "weekly", Time: "02:00", Duration: "2h"}
	if s := r.URL.Query().Get("service"); s != "" {
		in.Services = []string{s}
	}
	f, _, err := u.maintenanceFormFor(r, in)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

// scheduleMaintenance previews the window (action "preview") or adds it
// to every chosen service.
func (u *UI) scheduleMaintenance(w http.ResponseWriter, r *http.Request) error {
	in := maintenanceInput{Services: r.PostForm["services"], Title: r.PostFormValue("title"), Kind: r.PostFormValue("kind"),
		Start: r.PostFormValue("start"), End: r.PostFormValue("end"), Zone: strings.TrimSpace(r.PostFormValue("timezone")),
		Freq: r.PostFormValue("freq"), Days: r.PostForm["days"], MonthDay: r.PostFormValue("monthday"),
		Time: r.PostFormValue("time"), Duration: r.PostFormValue("duration")}
	f, cat, err := u.maintenanceFormFor(r, in)
	if err != nil {
		return err
	}
	// A window without a zone of its own is read in the first chosen
	// service's zone, as saving reads it in each service's.
	zone := time.UTC
	if len(in.Services) > 0 {
		zone = cat.Zone(in.Services[0])
	}
	f.PreviewZ = zone.String()
	if in.Zone != "" {
		f.PreviewZ = in.Zone
	}
	win, problems := buildWindow(in, zone)
	if len(in.Services) == 0 {
		problems = append([]apperr.Field{{Path: "services", Msg: "choose at least one service"}}, problems...)
	}
	if len(problems) == 0 {
		if err := catalog.CheckMaintenance(win, zone); err != nil {
			return &formError{err: err, form: f}
		}
	}
	if len(problems) > 0 {
		return &formError{err: &apperr.Invalid{Fields: problems}, form: f}
	}
	f.Rule = win.RRule
	if r.PostFormValue("action") == "preview" {
		now := u.deps.Now()
		one := catalog.Catalog{Calendars: cat.Calendars, Services: []catalog.Service{{Name: in.Services[0], Maintenance: []catalog.MaintenanceWindow{win}}}}
		if i := slices.IndexFunc(cat.Services, func(s catalog.Service) bool { return s.Name == in.Services[0] }); i >= 0 {
			one.Services[0].Objective = cat.Services[i].Objective
		}
		occ := one.Occurrences(now, now.AddDate(2, 0, 0), now)
		f.Preview = occ[:min(len(occ), previewCount)]
		u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
		return nil
	}
	if err := u.deps.Catalog.AddMaintenance(r.Context(), principal(r).Actor(), in.Services, win); err != nil {
		return &formError{err: err, form: f}
	}
	http.Redirect(w, r, "/maintenance?scheduled="+strconv.Itoa(len(in.Services)), http.StatusSeeOther)
	return nil
}

// maintenancePage is the list of current and upcoming maintenance.
type maintenancePage struct {
	Now        time.Time
	Upcoming   []occurrenceRow
	Windows    []windowRow
	Scheduled  string
	Removed    bool
	AheadLabel string
}

// occurrenceRow is one occurrence, with its times in the window's zone.
type occurrenceRow struct {
	catalog.Occurrence
	Local string
}

// windowRow is one declared window of one service.
type windowRow struct {
	Service  string
	Ref      string
	Window   catalog.MaintenanceWindow
	Zone     string
	ReadOnly bool
}

func (u *UI) listMaintenance(w http.ResponseWriter, r *http.Request) error {
	stored, _, err := u.deps.Catalog.ListServices(r.Context(), store.Page{Limit: 10000})
	if err != nil {
		return err
	}
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return err
	}
	now := u.deps.Now().UTC()
	p := maintenancePage{Now: now, Scheduled: r.URL.Query().Get("scheduled"), Removed: r.URL.Query().Get("removed") != "", AheadLabel: "30 days"}
	for _, o := range cat.Occurrences(now, now.Add(maintenanceAhead), now) {
		p.Upcoming = append(p.Upcoming, occurrenceRow{Occurrence: o, Local: localSpan(o.Start, o.End, o.Timezone)})
	}
	for _, s := range stored {
		for _, win := range s.Maintenance {
			zone := win.Timezone
			if zone == "" {
				zone = cat.Zone(s.Name).String()
			}
			p.Windows = append(p.Windows, windowRow{Service: s.Name, Ref: catalog.WindowRef(win), Window: win, Zone: zone, ReadOnly: s.Source == catalog.SourceFile})
		}
	}
	u.render(w, r, http.StatusOK, "maintenance.html", "Maintenance", p)
	return nil
}

// utcSpan writes an occurrence in UTC, for people elsewhere.
func utcSpan(a, b time.Time) string { return localSpan(a, b, "UTC") }

// localSpan writes an occurrence in its zone's wall-clock time.
func localSpan(a, b time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	a, b = a.In(loc), b.In(loc)
	if a.Format(time.DateOnly) == b.Format(time.DateOnly) {
		return fmt.Sprintf("%s–%s %s", a.Format("Mon 2 Jan 2006, 15:04"), b.Format("15:04"), zone)
	}
	return fmt.Sprintf("%s – %s %s", a.Format("Mon 2 Jan 2006, 15:04"), b.Format("Mon 2 Jan 2006, 15:04"), zone)
}

func (u *UI) removeMaintenance(w http.ResponseWriter, r *http.Request) error {
	if err := u.deps.Catalog.RemoveMaintenance(r.Context(), principal(r).Actor(), r.PathValue("service"), r.PathValue("ref")); err != nil {
		return err
	}
	http.Redirect(w, r, "/maintenance?removed=1", http.StatusSeeOther)
	return nil
}
