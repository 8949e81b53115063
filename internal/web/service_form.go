package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
)

// Empty rows added to the form's lists, so that a few more dependencies or
// maintenance windows can be entered without JavaScript.
const (
	spareDependencyRows  = 3
	spareMaintenanceRows = 2
	maxFormRows          = 200
)

// serviceForm is the service editor: what the user typed, as text, and the
// problems found with it. Input names are the field paths the store uses in
// its problems ("objective.availability", "depends_on[0].service"), so a
// problem finds its field by name.
type serviceForm struct {
	Create      bool
	Action      string
	Cancel      string
	Name        string
	Title       string
	Description string
	Owner       string
	Tier        string
	Deps        []depRow
	Obj         objectiveForm
	Maint       []catalog.MaintenanceWindow

	// Choices for the selects.
	ServiceNames []string
	Calendars    []string

	formProblems
}

type depRow struct {
	Service string
	Kind    string
}

// objectiveForm holds the objective's fields as typed.
type objectiveForm struct {
	Hours, Period, Availability, MaxOutage, MaxOutages, Degraded, Unknown, MergeGap, MinOutage, DowntimeCost, Budget string
}

// problemItem is one line of the summary at the top of a form.
type problemItem struct {
	Label string
	Msg   string
	Href  string // "#field-id", or "" when the field is not on the form
}

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// field is what a template needs to draw one input with its label, hint
// and problems.
type field struct {
	Name, ID, Label, Value, Hint string
	Problems                     []string
	Options                      []option
}

// HintID is the id of the field's hint.
func (f field) HintID() string { return f.ID + "-hint" }

// ErrID is the id of the field's problem list.
func (f field) ErrID() string { return f.ID + "-error" }

// DescribedBy lists the ids that describe the field, for aria-describedby.
func (f field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.HintID())
	}
	if len(f.Problems) > 0 {
		ids = append(ids, f.ErrID())
	}
	return strings.Join(ids, " ")
}

func (f *serviceForm) template() string { return "service_form.html" }

func (f *serviceForm) pageTitle() string {
	if f.Create {
		return "New service"
	}
	return "Edit " + f.Name
}

// HoursOptions are the calendars an objective may use.
func (f *serviceForm) HoursOptions() []option {
	base := []option{{Value: "", Label: "Not set (24x7)"}, {Value: catalog.AlwaysOn, Label: "24x7 (every hour)"}}
	for _, c := range f.Calendars {
		base = append(base, option{Value: c, Label: c})
	}
	return choose(base, f.Obj.Hours)
}

// PeriodOptions are the report periods.
func (f *serviceForm) PeriodOptions() []option {
	return choose([]option{{Value: "", Label: "Not set (month)"}, {Value: "month", Label: "Calendar month"},
		{Value: "week", Label: "Week"}, {Value: "quarter", Label: "Quarter"}, {Value: "30d", Label: "Rolling 30 days"}}, f.Obj.Period)
}

// UnknownOptions say how gaps in data count.
func (f *serviceForm) UnknownOptions() []option {
	return choose([]option{{Value: "", Label: "Not set (up)"}, {Value: "up", Label: "Up"}, {Value: "down", Label: "Down"}}, f.Obj.Unknown)
}

// ServiceOptions are the services a dependency may name; the service
// itself is left out.
func (f *serviceForm) ServiceOptions(current string) []option {
	opts := []option{{Value: "", Label: "— none —"}}
	for _, n := range f.ServiceNames {
		if n != f.Name || f.Create {
			opts = append(opts, option{Value: n, Label: n})
		}
	}
	return choose(opts, current)
}

// KindOptions are the dependency kinds.
func (f *serviceForm) KindOptions(current string) []option {
	opts := []option{{Value: catalog.Hard, Label: "hard (takes it down)"}, {Value: catalog.Soft, Label: "soft (degrades it)"}}
	if current == "" {
		current = catalog.Hard
	}
	return choose(opts, current)
}

// choose marks the option with value current as selected, adding it when
// it is not among them so that an unusual stored value survives an edit.
func choose(opts []option, current string) []option {
	found := false
	for i := range opts {
		if opts[i].Value == current {
			opts[i].Selected, found = true, true
		}
	}
	if !found {
		opts = append(opts, option{Value: current, Label: current, Selected: true})
	}
	return opts
}

// setProblems files each problem under its field and builds the summary.
func (f *serviceForm) setProblems(fields []apperr.Field) {
	f.reset()
	known := f.knownPaths()
	for _, p := range fields {
		f.add(p.Path, pathLabel(p.Path), p.Msg, known[p.Path])
	}
}

// knownPaths lists the paths that have an element on the form.
func (f *serviceForm) knownPaths() map[string]bool {
	k := map[string]bool{"title": true, "description": true, "owner": true, "tier": true,
		"depends_on": true, "maintenance": true, "objective": true}
	if f.Create {
		k["name"] = true
	}
	for _, n := range objectiveFields {
		k["objective."+n] = true
	}
	for i := range f.Deps {
		for _, n := range []string{"", "service", "kind"} {
			k[fieldPath("depends_on", i, n)] = true
		}
	}
	for i := range f.Maint {
		for _, n := range []string{"", "title", "start", "end", "rrule", "duration", "timezone"} {
			k[fieldPath("maintenance", i, n)] = true
		}
	}
	return k
}

var objectiveFields = []string{"hours", "period", "availability", "max_outage", "max_outages", "degraded", "unknown", "merge_gap", "min_outage", "downtime_cost", "budget"}

// pathLabel names a field for the problem summary.
func pathLabel(path string) string {
	labels := map[string]string{
		"": "This service", "name": "Name", "title": "Title", "description": "Description", "owner": "Owner", "tier": "Tier",
		"depends_on": "Dependencies", "maintenance": "Maintenance windows", "objective": "Objective",
		"objective.hours": "Service hours", "objective.period": "Period", "objective.availability": "Availability target",
		"objective.max_outage": "Longest tolerable outage", "objective.max_outages": "Most outages per period", "objective.degraded": "Degraded counts as",
		"objective.unknown": "Missing data counts as", "objective.merge_gap": "Merge gap", "objective.min_outage": "Shortest outage",
		"objective.downtime_cost": "Downtime cost", "objective.budget": "Budget",
	}
	if l, ok := labels[path]; ok {
		return l
	}
	list, rest, ok := strings.Cut(path, "[")
	index, rest, ok2 := strings.Cut(rest, "]")
	i, err := strconv.Atoi(index)
	if !ok || !ok2 || err != nil {
		return path
	}
	name := map[string]string{"depends_on": "Dependency", "maintenance": "Maintenance window"}[list]
	if name == "" {
		return path
	}
	label := fmt.Sprintf("%s %d", name, i+1)
	if rest = strings.TrimPrefix(rest, "."); rest != "" {
		label += ", " + strings.ReplaceAll(rest, "_", " ")
	}
	return label
}

// newServiceForm returns a form holding a stored service (or an empty one).
func newServiceForm(s catalog.Service, create bool, cat catalog.Catalog) *serviceForm {
	f := &serviceForm{Create: create, Name: s.Name, Title: s.Title, Description: s.Description, Owner: s.Owner}
	if s.Tier != 0 {
		f.Tier = strconv.Itoa(s.Tier)
	}
	for _, d := range s.DependsOn {
		if d.CI == "" {
			f.Deps = append(f.Deps, depRow{Service: d.Service, Kind: d.Kind})
		}
	}
	if o := s.Objective; o != nil {
		f.Obj = objectiveForm{Hours: o.Hours, Period: o.Period, Availability: string(o.Availability), MaxOutage: o.MaxOutage,
			Degraded: string(o.Degraded), Unknown: o.Unknown, MergeGap: o.MergeGap, MinOutage: o.MinOutage}
		if o.MaxOutages != nil {
			f.Obj.MaxOutages = strconv.Itoa(*o.MaxOutages)
		}
		if o.DowntimeCost != nil {
			f.Obj.DowntimeCost = strconv.FormatFloat(*o.DowntimeCost, 'f', -1, 64)
		}
		if o.Budget != nil {
			f.Obj.Budget = strconv.FormatFloat(*o.Budget, 'f', -1, 64)
		}
	}
	f.Maint = slices.Clone(s.Maintenance)
	f.finish(cat)
	return f
}

// finish adds the spare rows and the choices.
func (f *serviceForm) finish(cat catalog.Catalog) {
	for range spareDependencyRows {
		f.Deps = append(f.Deps, depRow{})
	}
	for range spareMaintenanceRows {
		f.Maint = append(f.Maint, catalog.MaintenanceWindow{})
	}
	for _, s := range cat.Services {
		f.ServiceNames = append(f.ServiceNames, s.Name)
	}
	slices.Sort(f.ServiceNames)
	for _, c := range cat.Calendars {
		f.Calendars = append(f.Calendars, c.Name)
	}
	slices.Sort(f.Calendars)
	if f.Create {
		f.Action, f.Cancel = "/services/new", "/services"
	} else {
		f.Action, f.Cancel = "/services/"+url.PathEscape(f.Name)+"/edit", "/services/"+url.PathEscape(f.Name)
	}
}

// parseServiceForm reads a submitted form into a service. Empty rows are
// dropped and the rest closed up, in the service and in the form alike, so
// that the store's "depends_on[1]" is the form's second row. Numbers that
// do not parse are returned as problems, in the store's form.
func parseServiceForm(r *http.Request, name string, create bool, cat catalog.Catalog) (*serviceForm, catalog.Service, error) {
	pf := r.PostForm
	get := func(k string) string { return strings.TrimSpace(pf.Get(k)) }
	f := &serviceForm{Create: create, Name: name, Title: get("title"), Description: strings.TrimSpace(strings.ReplaceAll(pf.Get("description"), "\r\n", "\n")),
		Owner: get("owner"), Tier: get("tier")}
	if create {
		f.Name = get("name")
	}
	var inv apperr.Invalid
	s := catalog.Service{Name: f.Name, Title: f.Title, Description: f.Description, Owner: f.Owner}
	if f.Tier != "" {
		n, err := strconv.Atoi(f.Tier)
		if err != nil {
			inv.Add("tier", "must be a whole number from 1 (most critical) to 5, not %q", f.Tier)
		}
		s.Tier = n
	}
	for i := range maxFormRows {
		svc, kind := get(fieldPath("depends_on", i, "service")), get(fieldPath("depends_on", i, "kind"))
		if !pf.Has(fieldPath("depends_on", i, "service")) && !pf.Has(fieldPath("depends_on", i, "kind")) {
			break
		}
		if svc == "" {
			continue
		}
		f.Deps = append(f.Deps, depRow{Service: svc, Kind: kind})
		s.DependsOn = append(s.DependsOn, catalog.Dependency{Service: svc, Kind: kind})
	}
	for i := range maxFormRows {
		m := catalog.MaintenanceWindow{
			Title: get(fieldPath("maintenance", i, "title")), Start: get(fieldPath("maintenance", i, "start")), End: get(fieldPath("maintenance", i, "end")),
			RRule: get(fieldPath("maintenance", i, "rrule")), Duration: get(fieldPath("maintenance", i, "duration")), Timezone: get(fieldPath("maintenance", i, "timezone")),
		}
		if !pf.Has(fieldPath("maintenance", i, "start")) && !pf.Has(fieldPath("maintenance", i, "rrule")) {
			break
		}
		if m == (catalog.MaintenanceWindow{}) {
			continue
		}
		f.Maint = append(f.Maint, m)
		s.Maintenance = append(s.Maintenance, m)
	}
	o := objectiveForm{Hours: get("objective.hours"), Period: get("objective.period"), Availability: get("objective.availability"),
		MaxOutage: get("objective.max_outage"), MaxOutages: get("objective.max_outages"), Degraded: get("objective.degraded"),
		Unknown: get("objective.unknown"), MergeGap: get("objective.merge_gap"), MinOutage: get("objective.min_outage"),
		DowntimeCost: get("objective.downtime_cost"), Budget: get("objective.budget")}
	f.Obj = o
	if o != (objectiveForm{}) {
		obj := &catalog.Objective{Hours: o.Hours, Period: o.Period, Availability: catalog.Scalar(o.Availability), MaxOutage: o.MaxOutage,
			Degraded: catalog.Scalar(o.Degraded), Unknown: o.Unknown, MergeGap: o.MergeGap, MinOutage: o.MinOutage}
		if o.MaxOutages != "" {
			n, err := strconv.Atoi(o.MaxOutages)
			if err != nil {
				inv.Add("objective.max_outages", "must be a whole number such as 3, not %q", o.MaxOutages)
			}
			obj.MaxOutages = &n
		}
		money := func(path, text string) *float64 {
			if text == "" {
				return nil
			}
			v, err := strconv.ParseFloat(text, 64)
			if err != nil {
				inv.Add(path, "must be a number such as 250 or 1200.50, not %q", text)
			}
			return &v
		}
		obj.DowntimeCost = money("objective.downtime_cost", o.DowntimeCost)
		obj.Budget = money("objective.budget", o.Budget)
		s.Objective = obj
	}
	f.finish(cat)
	if err := inv.Err(); err != nil {
		return f, s, &formError{err: err, form: f}
	}
	return f, s, nil
}

func (u *UI) newService(w http.ResponseWriter, r *http.Request) error {
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return err
	}
	f := newServiceForm(catalog.Service{}, true, cat)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) editService(w http.ResponseWriter, r *http.Request) error {
	s, err := u.deps.Catalog.GetService(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return err
	}
	f := newServiceForm(s.Service, false, cat)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) createService(w http.ResponseWriter, r *http.Request) error {
	return u.saveService(w, r, "", catalog.MustCreate)
}

func (u *UI) updateService(w http.ResponseWriter, r *http.Request) error {
	return u.saveService(w, r, r.PathValue("name"), catalog.MustExist)
}

// saveService stores a submitted service form, or shows it again with the
// problems the store found.
func (u *UI) saveService(w http.ResponseWriter, r *http.Request, name string, mode catalog.Mode) error {
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return err
	}
	f, s, err := parseServiceForm(r, name, mode == catalog.MustCreate, cat)
	if err != nil {
		return withValidation(err, func() error { return u.deps.Catalog.ValidateService(r.Context(), s) })
	}
	// The form edits dependencies on services; those on configuration
	// items (made in the file or the API) are kept as they are.
	if mode == catalog.MustExist {
		for _, old := range cat.Services {
			if old.Name != s.Name {
				continue
			}
			for _, d := range old.DependsOn {
				if d.CI != "" {
					s.DependsOn = append(s.DependsOn, d)
				}
			}
		}
	}
	saved, err := u.deps.Catalog.PutService(r.Context(), principal(r).Actor(), s, mode)
	if err != nil {
		return &formError{err: err, form: f}
	}
	http.Redirect(w, r, "/services/"+url.PathEscape(saved.Name)+"?saved=1", http.StatusSeeOther)
	return nil
}
