package web

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/capacity"
)

// The capacity planner: people × ISO weeks coloured by utilisation, a
// person's page with their working week, time off and allocations, and the
// projects with their people and burn. Every figure comes from
// capacity.Store.Report, the computation the API answers with.

// heatCell is one person-week of the planner.
type heatCell struct {
	Week    string
	Percent string // "83 %", "—" with no capacity
	Level   string // free, low, ok, high, over
	Title   string
}

type heatRow struct {
	Person string
	Team   string
	Cells  []heatCell
}

// CellsHTML draws the row's cells. A planner holds thousands of them, so
// they are written here, each value escaped, rather than by the template's
// per-value machinery (a third of the page's time at 200 × 26).
func (r heatRow) CellsHTML() template.HTML {
	var b strings.Builder
	b.Grow(len(r.Cells) * 180)
	for _, c := range r.Cells {
		b.WriteString(`<td class="cell `)
		b.WriteString(html.EscapeString(c.Level))
		b.WriteString(`" title="`)
		b.WriteString(html.EscapeString(c.Title))
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(c.Percent))
		if c.Level == "over" {
			b.WriteString(` <span class="visually-hidden">over-allocated</span>`)
		}
		b.WriteString(`</td>`)
	}
	return template.HTML(b.String())
}

type plannerPage struct {
	From, Team string
	Weeks      int
	Scenario   bool
	WeekNames  []string
	Rows       []heatRow
	Teams      []heatRow
	Warnings   []warningGroup
	Skills     []capacity.SkillRow
	TeamList   []option
	WeekList   []option
}

func (u *UI) capacity() (*capacity.Deps, capacity.Sources, error) {
	d := u.deps.Capacity
	if d == nil || d.Store == nil || d.Known == nil {
		return nil, capacity.Sources{}, errPageNotFound
	}
	var src capacity.Sources
	if d.Sources != nil {
		src = d.Sources()
	}
	return d, src, nil
}

// level names how loaded a utilisation is, for the heat map's colours.
func level(util *float64, capacityHours, allocated float64) string {
	switch {
	case util == nil:
		return "over"
	case capacityHours == 0 && allocated == 0:
		return "free"
	case *util > 1:
		return "over"
	case *util >= 0.85:
		return "high"
	case *util >= 0.5:
		return "ok"
	}
	return "low"
}

func utilPercent(util *float64) string {
	if util == nil {
		return "∞"
	}
	return fmt.Sprintf("%.0f %%", *util*100)
}

func cell(f capacity.WeekFigures, scenario bool) heatCell {
	util, alloc := f.Utilisation, f.AllocatedHours
	if scenario {
		util, alloc = f.ScenarioUtilise, f.ScenarioHours
	}
	c := heatCell{Week: f.Week, Percent: utilPercent(util), Level: level(util, f.CapacityHours, alloc)}
	if f.CapacityHours == 0 && alloc == 0 {
		c.Percent = "—"
	}
	c.Title = fmt.Sprintf("%s: %s h of %s h capacity — projects %s, on-call %s, incidents %s, desk %s", f.Week, hrs(alloc), hrs(f.CapacityHours),
		hrs(f.ProjectHours), hrs(f.OnCallHours), hrs(f.IncidentHours), hrs(f.DeskHours))
	if f.TentativeHours > 0 {
		c.Title += fmt.Sprintf(", tentative %s", hrs(f.TentativeHours))
	}
	if f.TimeOffHours+f.HolidayHours > 0 {
		c.Title += fmt.Sprintf("; off %s h", hrs(f.TimeOffHours+f.HolidayHours))
	}
	return c
}

func hrs(h float64) string { return strconv.FormatFloat(capacity.Round(h), 'f', -1, 64) }

func (u *UI) showPlanner(w http.ResponseWriter, r *http.Request) error {
	d, src, err := u.capacity()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := plannerPage{Team: q.Get("team"), Scenario: q.Get("scenario") == "1", Weeks: 12}
	if n, err := strconv.Atoi(q.Get("weeks")); err == nil && n >= 1 && n <= 26 {
		p.Weeks = n
	}
	from := capacity.WeekOf(capacity.DayOf(u.deps.Now(), u.zone(r))).Monday
	if v := q.Get("from"); v != "" {
		day, err := capacity.ParseDay(v)
		if err != nil {
			return errBadRequest("from: " + err.Error())
		}
		from = capacity.WeekOf(day).Monday
	}
	p.From = from.String()
	rep, err := d.Store.Report(r.Context(), from, from.AddDays(7*p.Weeks-1), p.Team, src)
	if err != nil {
		return err
	}
	p.WeekNames, p.Warnings, p.Skills = rep.Weeks, groupWarnings(rep.Warnings), rep.Skills
	for _, pr := range rep.People {
		row := heatRow{Person: pr.Person, Team: pr.Team}
		for _, f := range pr.Weeks {
			row.Cells = append(row.Cells, cell(f, p.Scenario))
		}
		p.Rows = append(p.Rows, row)
	}
	for _, t := range rep.Teams {
		row := heatRow{Team: t.Team}
		for _, f := range t.Weeks {
			util, alloc := f.Utilisation, f.AllocatedHours
			c := heatCell{Week: f.Week, Percent: utilPercent(util), Level: level(util, f.CapacityHours, alloc),
				Title: fmt.Sprintf("%s: %s h of %s h, %d over-allocated", f.Week, hrs(alloc), hrs(f.CapacityHours), f.OverAllocatedPeople)}
			row.Cells = append(row.Cells, c)
		}
		p.Teams = append(p.Teams, row)
	}
	teams := map[string]bool{}
	profiles, err := d.Store.Profiles(r.Context())
	if err != nil {
		return err
	}
	p.TeamList = []option{{Value: "", Label: "Everyone", Selected: p.Team == ""}}
	for _, pr := range profiles {
		if pr.Team != "" && !teams[pr.Team] {
			teams[pr.Team] = true
			p.TeamList = append(p.TeamList, option{Value: pr.Team, Label: pr.Team, Selected: pr.Team == p.Team})
		}
	}
	for _, n := range []int{4, 8, 12, 26} {
		p.WeekList = append(p.WeekList, option{Value: strconv.Itoa(n), Label: fmt.Sprintf("%d weeks", n), Selected: n == p.Weeks})
	}
	u.render(w, r, http.StatusOK, "capacity.html", "Capacity", p)
	return nil
}

// warningGroup is one subject's warnings of one kind: the first week's
// message in full, and the other weeks it recurs in.
type warningGroup struct {
	Kind, Message string
	More          []string
}

// groupWarnings folds a subject's weekly warnings into one line, so that a
// person over-allocated for half a year is one item, not twenty-six.
func groupWarnings(ws []capacity.Warning) []warningGroup {
	var out []warningGroup
	at := map[string]int{}
	for _, w := range ws {
		key := w.Kind + "\x00" + w.Subject
		if i, ok := at[key]; ok {
			out[i].More = append(out[i].More, w.Week)
			continue
		}
		at[key] = len(out)
		out = append(out, warningGroup{Kind: w.Kind, Message: w.Message})
	}
	return out
}

// personPage is a person's capacity: their record's form, their weeks,
// their time off and allocations, with forms to add either. Which names
// the form whose problems are shown.
type personPage struct {
	Person  string
	Profile capacity.Profile
	Weeks   []capacity.WeekFigures
	TimeOff []capacity.TimeOffRecord
	Allocs  []capacity.AllocationRecord
	Done    string
	// The three forms.
	ProfileForm profileForm
	OffForm     offForm
	AllocForm   allocForm
	which       string
}

type profileForm struct {
	formProblems
	Team, Zone, Calendar, Skills, Desk string
	Hours                              []field
}

type offForm struct {
	formProblems
	From, To, Hours, Note string
	Approved              bool
}

type allocForm struct {
	formProblems
	Project, From, To, HoursPerDay, Share string
	Tentative                             bool
	Projects                              []option
}

var weekdayKeys = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

func (p *personPage) template() string  { return "capacity_person.html" }
func (p *personPage) pageTitle() string { return "Capacity of " + p.Person }
func (p *personPage) setProblems(fields []apperr.Field) {
	labels := map[string]map[string]string{
		"profile": {"team": "Team", "zone": "Time zone", "calendar": "Holiday calendar", "skills": "Skills", "desk": "Desk duty", "person": "Person",
			"hours.mon": "Monday", "hours.tue": "Tuesday", "hours.wed": "Wednesday", "hours.thu": "Thursday", "hours.fri": "Friday", "hours.sat": "Saturday", "hours.sun": "Sunday"},
		"off":   {"from": "From", "to": "To", "hours": "Hours a day", "note": "Note", "person": "Person"},
		"alloc": {"project": "Project", "from": "From", "to": "To", "hours_per_day": "Hours a day", "share": "Share of capacity", "person": "Person"},
	}[p.which]
	f := map[string]*formProblems{"profile": &p.ProfileForm.formProblems, "off": &p.OffForm.formProblems, "alloc": &p.AllocForm.formProblems}[p.which]
	f.reset()
	for _, fl := range fields {
		path := fl.Path
		// Skills and desk rows are edited as one text box each.
		if i := strings.IndexAny(path, "[."); i > 0 && (path[:i] == "skills" || path[:i] == "desk") {
			path = path[:i]
		}
		label, ok := labels[path]
		if !ok {
			label = "Form"
		}
		f.add(p.which+"."+path, label, fl.Msg, ok)
	}
}

// Field helpers the template calls, each prefixed with its form's name so
// ids stay unique on the page.
func (f *profileForm) F(path, label, value, hint string) field {
	return f.Field("profile."+path, label, value, hint)
}
func (f *offForm) F(path, label, value, hint string) field {
	return f.Field("off."+path, label, value, hint)
}
func (f *allocForm) F(path, label, value, hint string) field {
	return f.Field("alloc."+path, label, value, hint)
}
func (f *allocForm) ProjectSelect() field {
	return f.Select("alloc.project", "Project", f.Project, "", f.Projects)
}

func (u *UI) personPage(r *http.Request, d *capacity.Deps, src capacity.Sources) (*personPage, error) {
	name := r.PathValue("person")
	if k := d.Known(r.Context()); k.Person != nil && !k.Person(name) {
		return nil, apperr.NotFound("person %q", name)
	}
	prof, err := d.Store.Profile(r.Context(), name)
	if err != nil {
		return nil, err
	}
	p := &personPage{Person: name, Profile: prof, Done: r.URL.Query().Get("done")}
	from := capacity.WeekOf(capacity.DayOf(u.deps.Now(), u.zone(r))).Monday
	rep, err := d.Store.Report(r.Context(), from, from.AddDays(8*7-1), prof.Team, src)
	if err != nil {
		return nil, err
	}
	for _, pr := range rep.People {
		if pr.Person == name {
			p.Weeks = pr.Weeks
		}
	}
	if p.TimeOff, err = d.Store.TimeOff(r.Context(), name, from.AddDays(-31), from.AddDays(366)); err != nil {
		return nil, err
	}
	if p.Allocs, _, err = d.Store.Allocations(r.Context(), capacity.AllocationFilter{Person: name, From: from.AddDays(-31)}); err != nil {
		return nil, err
	}
	pf := &p.ProfileForm
	pf.Team, pf.Zone, pf.Calendar = prof.Team, prof.Zone, prof.Calendar
	var skills, desk []string
	for _, s := range prof.Skills {
		skills = append(skills, fmt.Sprintf("%s:%d", s.Name, s.Level))
	}
	for _, dd := range prof.Desk {
		desk = append(desk, fmt.Sprintf("%s:%s", dd.Queue, hrs(dd.HoursPerWeek)))
	}
	pf.Skills, pf.Desk = strings.Join(skills, ", "), strings.Join(desk, ", ")
	hours := []float64{prof.Hours.Mon, prof.Hours.Tue, prof.Hours.Wed, prof.Hours.Thu, prof.Hours.Fri, prof.Hours.Sat, prof.Hours.Sun}
	pf.setHours(func(i int) string { return hrs(hours[i]) })
	projects, err := d.Store.Projects(r.Context())
	if err != nil {
		return nil, err
	}
	for _, pr := range projects {
		if pr.Status != capacity.Done && pr.Status != capacity.Cancelled {
			label := pr.Name
			if pr.Title != "" {
				label = pr.Title + " (" + pr.Name + ")"
			}
			p.AllocForm.Projects = append(p.AllocForm.Projects, option{Value: pr.Name, Label: label})
		}
	}
	return p, nil
}

func (f *profileForm) setHours(value func(i int) string) {
	f.Hours = nil
	for i, k := range weekdayKeys {
		f.Hours = append(f.Hours, f.F("hours."+k, strings.ToUpper(k[:1])+k[1:], value(i), ""))
	}
}

func (u *UI) showCapacityPerson(w http.ResponseWriter, r *http.Request) error {
	d, src, err := u.capacity()
	if err != nil {
		return err
	}
	p, err := u.personPage(r, d, src)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, p.template(), p.pageTitle(), p)
	return nil
}

// number reads a form's decimal input ("" is zero), filing a problem at
// path when it is not a number.
func number(inv *apperr.Invalid, path, v string) float64 {
	v = strings.TrimSpace(strings.ReplaceAll(v, ",", "."))
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		inv.Add(path, "expected a number, got %q", v)
	}
	return f
}

func day(inv *apperr.Invalid, path, v string) capacity.Day {
	if strings.TrimSpace(v) == "" {
		return capacity.Day{}
	}
	d, err := capacity.ParseDay(strings.TrimSpace(v))
	if err != nil {
		inv.Add(path, "%s", err)
	}
	return d
}

// pairs reads "name:value, name:value" into its parts, filing a problem at
// path for an entry that is not one.
func pairs(inv *apperr.Invalid, path, v, what string) [][2]string {
	var out [][2]string
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, ":")
		if !ok || strings.TrimSpace(k) == "" {
			inv.Add(path, "write each as %s, got %q", what, part)
			continue
		}
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(val)})
	}
	return out
}

func (u *UI) saveCapacityPerson(w http.ResponseWriter, r *http.Request) error {
	d, src, err := u.capacity()
	if err != nil {
		return err
	}
	p, err := u.personPage(r, d, src)
	if err != nil {
		return err
	}
	p.which = "profile"
	pf := &p.ProfileForm
	pf.Team, pf.Zone, pf.Calendar = strings.TrimSpace(r.PostFormValue("profile.team")), strings.TrimSpace(r.PostFormValue("profile.zone")), strings.TrimSpace(r.PostFormValue("profile.calendar"))
	pf.Skills, pf.Desk = r.PostFormValue("profile.skills"), r.PostFormValue("profile.desk")
	inv := &apperr.Invalid{}
	prof := capacity.Profile{Person: p.Person, Team: pf.Team, Zone: pf.Zone, Calendar: pf.Calendar, Skills: []capacity.Skill{}, Desk: []capacity.DeskDuty{}}
	var hv [7]float64
	for i, k := range weekdayKeys {
		hv[i] = number(inv, "hours."+k, r.PostFormValue("profile.hours."+k))
	}
	pf.setHours(func(i int) string { return r.PostFormValue("profile.hours." + weekdayKeys[i]) })
	prof.Hours = capacity.WeekHours{Mon: hv[0], Tue: hv[1], Wed: hv[2], Thu: hv[3], Fri: hv[4], Sat: hv[5], Sun: hv[6]}
	for _, kv := range pairs(inv, "skills", pf.Skills, "name:level (1–5)") {
		lv, err := strconv.Atoi(kv[1])
		if err != nil {
			inv.Add("skills", "the level of %s must be a whole number from 1 to 5, got %q", kv[0], kv[1])
		}
		prof.Skills = append(prof.Skills, capacity.Skill{Name: kv[0], Level: lv})
	}
	for _, kv := range pairs(inv, "desk", pf.Desk, "queue:hours per week") {
		prof.Desk = append(prof.Desk, capacity.DeskDuty{Queue: kv[0], HoursPerWeek: number(inv, "desk", kv[1])})
	}
	k := d.Known(r.Context())
	return saveForm(w, r, p, inv, func() error { return capacity.ValidateProfile(prof, k) }, func() error {
		_, err := d.Store.PutProfile(r.Context(), principal(r).Actor(), prof, k)
		return err
	}, "/capacity/people/"+url.PathEscape(p.Person)+"?done=saved")
}

func (u *UI) addCapacityTimeOff(w http.ResponseWriter, r *http.Request) error {
	d, src, err := u.capacity()
	if err != nil {
		return err
	}
	p, err := u.personPage(r, d, src)
	if err != nil {
		return err
	}
	p.which = "off"
	f := &p.OffForm
	f.From, f.To, f.Hours, f.Note, f.Approved = r.PostFormValue("off.from"), r.PostFormValue("off.to"), r.PostFormValue("off.hours"), r.PostFormValue("off.note"), r.PostFormValue("approved") != ""
	if strings.TrimSpace(f.To) == "" {
		f.To = f.From
	}
	inv := &apperr.Invalid{}
	in := capacity.TimeOffInput{From: day(inv, "from", f.From), To: day(inv, "to", f.To), Hours: number(inv, "hours", f.Hours), Approved: f.Approved, Note: f.Note}
	return saveForm(w, r, p, inv, func() error { return capacity.ValidateTimeOff(in) }, func() error {
		_, err := d.Store.AddTimeOff(r.Context(), principal(r).Actor(), p.Person, in, d.Known(r.Context()))
		return err
	}, "/capacity/people/"+url.PathEscape(p.Person)+"?done=time-off#time-off")
}

func (u *UI) addCapacityAllocation(w http.ResponseWriter, r *http.Request) error {
	d, src, err := u.capacity()
	if err != nil {
		return err
	}
	p, err := u.personPage(r, d, src)
	if err != nil {
		return err
	}
	p.which = "alloc"
	f := &p.AllocForm
	f.Project, f.From, f.To, f.HoursPerDay, f.Share, f.Tentative = r.PostFormValue("alloc.project"), r.PostFormValue("alloc.from"), r.PostFormValue("alloc.to"),
		r.PostFormValue("alloc.hours_per_day"), r.PostFormValue("alloc.share"), r.PostFormValue("tentative") != ""
	for i := range f.Projects {
		f.Projects[i].Selected = f.Projects[i].Value == f.Project
	}
	inv := &apperr.Invalid{}
	in := capacity.AllocationInput{Project: f.Project, Person: p.Person, From: day(inv, "from", f.From), To: day(inv, "to", f.To),
		HoursPerDay: number(inv, "hours_per_day", f.HoursPerDay), Share: number(inv, "share", f.Share) / 100, Tentative: f.Tentative}
	k := d.Known(r.Context())
	validate := func() error {
		var proj *capacity.Project
		if pr, err := d.Store.Project(r.Context(), in.Project); err == nil {
			proj = &pr
		}
		// An amount that did not parse was given: the check that one of
		// the two is given must not say otherwise.
		v := in
		for _, f := range inv.Fields {
			if f.Path == "share" || f.Path == "hours_per_day" {
				v.HoursPerDay, v.Share = 1, 0
			}
		}
		return capacity.ValidateAllocation(v, proj, k)
	}
	return saveForm(w, r, p, inv, validate, func() error {
		_, err := d.Store.AddAllocation(r.Context(), principal(r).Actor(), in, k)
		return err
	}, "/capacity/people/"+url.PathEscape(p.Person)+"?done=allocated#allocations")
}

// capacityAction runs a one-button change (approve or remove time off,
// remove an allocation) and returns to the page the button was on.
func (u *UI) capacityAction(fn func(d *capacity.Deps, r *http.Request, id int64) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, _, err := u.capacity()
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			return errPageNotFound
		}
		if err := fn(d, r, id); err != nil {
			return err
		}
		back := r.PostFormValue("back")
		if !strings.HasPrefix(back, "/capacity") && !strings.HasPrefix(back, "/projects") || strings.HasPrefix(back, "//") {
			back = "/capacity"
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
}

// zone is the viewer's zone for "this week": their profile's, else UTC.
func (u *UI) zone(r *http.Request) *time.Location {
	if z := viewerZone(r); z != "" {
		if loc, err := time.LoadLocation(z); err == nil {
			return loc
		}
	}
	return time.UTC
}
