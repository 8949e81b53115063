package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
)

// spareWeeklyRows are the empty rows added to the calendar form's weekly
// windows, so that more can be entered without JavaScript.
const spareWeeklyRows = 3

// commonZones are offered as suggestions for a calendar's time zone; any
// IANA zone name is accepted.
var commonZones = []string{
	"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam", "Europe/Brussels",
	"Europe/Madrid", "Europe/Rome", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm", "Europe/Oslo", "Europe/Copenhagen",
	"Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Budapest", "Europe/Athens", "Europe/Bucharest", "Europe/Istanbul",
	"Europe/Kyiv", "Europe/Moscow", "Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi", "Asia/Dubai",
	"Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore", "Asia/Hong_Kong",
	"Asia/Shanghai", "Asia/Taipei", "Asia/Seoul", "Asia/Tokyo", "Australia/Perth", "Australia/Adelaide", "Australia/Brisbane",
	"Australia/Sydney", "Australia/Melbourne", "Pacific/Auckland", "America/St_Johns", "America/Halifax", "America/New_York",
	"America/Toronto", "America/Chicago", "America/Mexico_City", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Vancouver", "America/Anchorage", "Pacific/Honolulu", "America/Bogota", "America/Lima", "America/Santiago",
	"America/Buenos_Aires", "America/Sao_Paulo",
}

// calendarForm is the calendar editor: what the user typed, as text, and
// the problems found with it. Input names are the store's paths
// ("timezone", "weekly[0].days"); the holidays are one textarea, one date a
// line, whose problems ("holidays[1]") are shown as "line N: …".
type calendarForm struct {
	Create   bool
	Action   string
	Cancel   string
	Name     string
	Source   catalog.Source
	Timezone string
	Weekly   []catalog.WeeklyWindow
	Holidays string
	// holidayLines maps the index of a holiday in the stored list to its
	// line in the textarea (counting from 1), since empty lines are skipped.
	holidayLines []int

	Zones []string

	formProblems
}

func (f *calendarForm) template() string { return "calendar_form.html" }

func (f *calendarForm) pageTitle() string {
	if f.Create {
		return "New calendar"
	}
	return "Edit calendar " + f.Name
}

// setProblems files each problem under its field and builds the summary.
// A holiday's problem goes to the textarea, with its line number.
func (f *calendarForm) setProblems(fields []apperr.Field) {
	f.reset()
	known := map[string]bool{"timezone": true, "weekly": true, "holidays": true, "name": f.Create}
	for i := range f.Weekly {
		for _, n := range []string{"", "days", "from", "to"} {
			known[fieldPath("weekly", i, n)] = true
		}
	}
	for _, p := range fields {
		if i, ok := listIndex(p.Path, "holidays"); ok {
			line := i + 1
			if i < len(f.holidayLines) {
				line = f.holidayLines[i]
			}
			f.add("holidays", "Holidays", fmt.Sprintf("line %d: %s", line, p.Msg), true)
			continue
		}
		f.add(p.Path, calendarPathLabel(p.Path), p.Msg, known[p.Path])
	}
}

// listIndex reads "list[i]" (nothing after the bracket) as i.
func listIndex(path, list string) (int, bool) {
	rest, ok := strings.CutPrefix(path, list+"[")
	if !ok {
		return 0, false
	}
	index, ok := strings.CutSuffix(rest, "]")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(index)
	return i, err == nil && i >= 0
}

// calendarPathLabel names a calendar field for the problem summary.
func calendarPathLabel(path string) string {
	switch path {
	case "":
		return "This calendar"
	case "name":
		return "Name"
	case "timezone":
		return "Time zone"
	case "weekly":
		return "Weekly hours"
	case "holidays":
		return "Holidays"
	}
	if rest, ok := strings.CutPrefix(path, "weekly["); ok {
		index, field, _ := strings.Cut(rest, "]")
		if i, err := strconv.Atoi(index); err == nil {
			label := fmt.Sprintf("Window %d", i+1)
			if field = strings.TrimPrefix(field, "."); field != "" {
				label += ", " + field
			}
			return label
		}
	}
	return path
}

// newCalendarForm returns a form holding a stored calendar (or an empty one).
func newCalendarForm(c catalog.StoredCalendar, create bool) *calendarForm {
	f := &calendarForm{Create: create, Name: c.Name, Source: c.Source, Timezone: c.Timezone, Weekly: append([]catalog.WeeklyWindow(nil), c.Weekly...),
		Holidays: strings.Join(c.Holidays, "\n")}
	if create && f.Timezone == "" {
		f.Timezone = "UTC"
	}
	f.finish()
	return f
}

// finish adds the spare rows, the zone suggestions and the links.
func (f *calendarForm) finish() {
	for range spareWeeklyRows {
		f.Weekly = append(f.Weekly, catalog.WeeklyWindow{})
	}
	f.Zones = commonZones
	if f.Create {
		f.Action, f.Cancel = "/calendars/new", "/calendars"
	} else {
		f.Action, f.Cancel = "/calendars/"+url.PathEscape(f.Name)+"/edit", "/calendars/"+url.PathEscape(f.Name)
	}
}

// parseCalendarForm reads a submitted form into a calendar. Empty weekly
// rows and empty holiday lines are dropped; the rows are closed up so that
// the store's "weekly[1]" is the form's second row.
func parseCalendarForm(r *http.Request, name string, create bool) (*calendarForm, catalog.Calendar) {
	pf := r.PostForm
	get := func(k string) string { return strings.TrimSpace(pf.Get(k)) }
	f := &calendarForm{Create: create, Name: name, Timezone: get("timezone"),
		Holidays: strings.TrimRight(strings.ReplaceAll(pf.Get("holidays"), "\r\n", "\n"), "\n ")}
	if create {
		f.Name = get("name")
	}
	c := catalog.Calendar{Name: f.Name, CalendarSpec: catalog.CalendarSpec{Timezone: f.Timezone}}
	for i := range maxFormRows {
		w := catalog.WeeklyWindow{Days: get(fieldPath("weekly", i, "days")), From: get(fieldPath("weekly", i, "from")), To: get(fieldPath("weekly", i, "to"))}
		if !pf.Has(fieldPath("weekly", i, "days")) && !pf.Has(fieldPath("weekly", i, "from")) {
			break
		}
		if w == (catalog.WeeklyWindow{}) {
			continue
		}
		f.Weekly = append(f.Weekly, w)
		c.Weekly = append(c.Weekly, w)
	}
	for n, line := range strings.Split(f.Holidays, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			c.Holidays = append(c.Holidays, line)
			f.holidayLines = append(f.holidayLines, n+1)
		}
	}
	f.finish()
	return f, c
}

func (u *UI) newCalendar(w http.ResponseWriter, r *http.Request) error {
	f := newCalendarForm(catalog.StoredCalendar{}, true)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) editCalendar(w http.ResponseWriter, r *http.Request) error {
	c, err := u.deps.Catalog.GetCalendar(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	f := newCalendarForm(c, false)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) createCalendar(w http.ResponseWriter, r *http.Request) error {
	return u.saveCalendar(w, r, "", catalog.MustCreate, "")
}

func (u *UI) updateCalendar(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	// The form needs the stored source for its note, and an edit of a
	// calendar that is gone is a 404 rather than a form.
	old, err := u.deps.Catalog.GetCalendar(r.Context(), name)
	if err != nil {
		return err
	}
	return u.saveCalendar(w, r, name, catalog.MustExist, old.Source)
}

// saveCalendar stores a submitted calendar form, or shows it again with
// the problems the store found.
func (u *UI) saveCalendar(w http.ResponseWriter, r *http.Request, name string, mode catalog.Mode, source catalog.Source) error {
	f, c := parseCalendarForm(r, name, mode == catalog.MustCreate)
	f.Source = source
	saved, err := u.deps.Catalog.PutCalendar(r.Context(), principal(r).Actor(), c, mode)
	if err != nil {
		return &formError{err: err, form: f}
	}
	http.Redirect(w, r, "/calendars/"+url.PathEscape(saved.Name)+"?saved=1", http.StatusSeeOther)
	return nil
}

// calendarDeletePage is the data of the page that confirms a deletion.
type calendarDeletePage struct {
	calendarRow
	// Problem is why the deletion was refused, when it was.
	Problem string
}

func (u *UI) confirmDeleteCalendar(w http.ResponseWriter, r *http.Request) error {
	p, err := u.calendarDeletePage(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "calendar_delete.html", "Delete calendar "+p.Name, p)
	return nil
}

func (u *UI) calendarDeletePage(r *http.Request) (*calendarDeletePage, error) {
	c, err := u.deps.Catalog.GetCalendar(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return nil, err
	}
	return &calendarDeletePage{calendarRow: calendarRow{StoredCalendar: c, UsedBy: usersOf(cat, c.Name)}}, nil
}

func (u *UI) deleteCalendar(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	err := u.deps.Catalog.DeleteCalendar(r.Context(), principal(r).Actor(), name)
	if errors.Is(err, apperr.ErrConflict) {
		p, perr := u.calendarDeletePage(r)
		if perr != nil {
			return perr
		}
		p.Problem = capitalise(userMessage(err, apperr.ErrConflict)) + "."
		u.render(w, r, http.StatusConflict, "calendar_delete.html", "Delete calendar "+p.Name, p)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/calendars?deleted="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}
