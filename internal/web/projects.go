package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/capacity"
)

// projectsPage lists projects with their figures.
type projectsPage struct {
	Projects []capacity.ProjectFigures
	Deleted  string
}

func (u *UI) listProjects(w http.ResponseWriter, r *http.Request) error {
	d, src, err := u.capacity()
	if err != nil {
		return err
	}
	ps, err := d.Store.Projects(r.Context())
	if err != nil {
		return err
	}
	p := projectsPage{Deleted: r.URL.Query().Get("deleted")}
	for _, pr := range ps {
		f, err := d.Store.ProjectReport(r.Context(), pr.Name, src)
		if err != nil {
			return err
		}
		p.Projects = append(p.Projects, f)
	}
	u.render(w, r, http.StatusOK, "projects.html", "Projects", p)
	return nil
}

// projectForm creates or edits a project.
type projectForm struct {
	formProblems
	Editing                                                   bool
	Name, Title, Status, Start, End, BudgetHours, BudgetMoney string
	Owner, Services, Skills                                   string
}

func (f *projectForm) template() string { return "project_form.html" }
func (f *projectForm) pageTitle() string {
	if f.Editing {
		return "Edit project " + f.Name
	}
	return "New project"
}
func (f *projectForm) setProblems(fields []apperr.Field) {
	labels := map[string]string{"name": "Name", "title": "Title", "status": "Status", "start": "Start", "end": "End", "budget_hours": "Budget (hours)",
		"budget_money": "Budget (money)", "owner": "Owner", "services": "Services", "skills": "Skills needed"}
	f.reset()
	for _, fl := range fields {
		path := fl.Path
		if i := strings.IndexAny(path, "[."); i > 0 {
			path = path[:i]
		}
		label, ok := labels[path]
		if !ok {
			label = "Project"
		}
		f.add(path, label, fl.Msg, ok)
	}
}

// StatusSelect is the status choice.
func (f *projectForm) StatusSelect() field {
	var opts []option
	for _, s := range []string{capacity.Tentative, capacity.Confirmed, capacity.Done, capacity.Cancelled} {
		opts = append(opts, option{Value: s, Label: s, Selected: s == f.Status})
	}
	return f.Select("status", "Status", f.Status, "Tentative projects count apart, as a scenario.", opts)
}

func (u *UI) newProject(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := u.capacity(); err != nil {
		return err
	}
	f := &projectForm{Status: capacity.Tentative}
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) editProject(w http.ResponseWriter, r *http.Request) error {
	d, _, err := u.capacity()
	if err != nil {
		return err
	}
	pr, err := d.Store.Project(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	var skills []string
	for _, s := range pr.Skills {
		skills = append(skills, s.Name+":"+strconv.Itoa(s.Level)+":"+hrs(s.HoursPerWeek))
	}
	f := &projectForm{Editing: true, Name: pr.Name, Title: pr.Title, Status: pr.Status, Start: pr.Start.String(), End: pr.End.String(),
		BudgetHours: hrs(pr.BudgetHours), BudgetMoney: hrs(pr.BudgetMoney), Owner: pr.Owner, Services: strings.Join(pr.Services, ", "), Skills: strings.Join(skills, ", ")}
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) saveProject(w http.ResponseWriter, r *http.Request) error {
	d, _, err := u.capacity()
	if err != nil {
		return err
	}
	f := &projectForm{Editing: r.PathValue("name") != "", Name: strings.TrimSpace(r.PostFormValue("name")), Title: r.PostFormValue("title"),
		Status: r.PostFormValue("status"), Start: r.PostFormValue("start"), End: r.PostFormValue("end"), BudgetHours: r.PostFormValue("budget_hours"),
		BudgetMoney: r.PostFormValue("budget_money"), Owner: strings.TrimSpace(r.PostFormValue("owner")), Services: r.PostFormValue("services"), Skills: r.PostFormValue("skills")}
	if f.Editing {
		f.Name = r.PathValue("name")
	}
	inv := &apperr.Invalid{}
	in := capacity.ProjectInput{Name: f.Name, Title: f.Title, Status: f.Status, Start: day(inv, "start", f.Start), End: day(inv, "end", f.End),
		BudgetHours: number(inv, "budget_hours", f.BudgetHours), BudgetMoney: number(inv, "budget_money", f.BudgetMoney), Owner: f.Owner}
	for _, s := range strings.FieldsFunc(f.Services, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		in.Services = append(in.Services, s)
	}
	for _, part := range strings.FieldsFunc(f.Skills, func(r rune) bool { return r == ',' || r == '\n' }) {
		bits := strings.Split(strings.TrimSpace(part), ":")
		if len(bits) != 3 {
			inv.Add("skills", "write each as name:level:hours per week (postgres:3:10), got %q", strings.TrimSpace(part))
			continue
		}
		in.Skills = append(in.Skills, capacity.SkillNeed{Name: bits[0], Level: atoiOr(bits[1]), HoursPerWeek: number(inv, "skills", bits[2])})
	}
	k := d.Known(r.Context())
	if len(inv.Fields) > 0 {
		return withValidation(&formError{err: inv, form: f}, func() error { return capacity.ValidateProject(in, k) })
	}
	if !f.Editing && f.Name != "" {
		if _, err := d.Store.Project(r.Context(), f.Name); err == nil {
			return &formError{err: &apperr.Invalid{Fields: []apperr.Field{{Path: "name", Msg: "a project with this name exists"}}}, form: f}
		}
	}
	if _, _, err := d.Store.PutProject(r.Context(), principal(r).Actor(), in, k); err != nil {
		if !isInvalid(err) {
			return err
		}
		return &formError{err: err, form: f}
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(f.Name)+"?done=saved", http.StatusSeeOther)
	return nil
}

// projectPage shows a project's people, burn and logged hours.
type projectPage struct {
	capacity.ProjectFigures
	Done string
	Log  logForm
}

type logForm struct {
	formProblems
	Person, Day, Hours, Note string
}

func (p *projectPage) template() string  { return "project.html" }
func (p *projectPage) pageTitle() string { return "Project " + p.Project.Name }
func (p *projectPage) setProblems(fields []apperr.Field) {
	labels := map[string]string{"person": "Person", "day": "Day", "hours": "Hours", "note": "Note"}
	p.Log.reset()
	for _, f := range fields {
		label, ok := labels[f.Path]
		if !ok {
			label = "Hours"
		}
		p.Log.add(f.Path, label, f.Msg, ok)
	}
}

func (u *UI) showProject(w http.ResponseWriter, r *http.Request) error {
	d, src, err := u.capacity()
	if err != nil {
		return err
	}
	f, err := d.Store.ProjectReport(r.Context(), r.PathValue("name"), src)
	if err != nil {
		return err
	}
	p := &projectPage{ProjectFigures: f, Done: r.URL.Query().Get("done")}
	if pr := principal(r); pr.Kind == "user" {
		p.Log.Person = pr.Name
	}
	u.render(w, r, http.StatusOK, p.template(), p.pageTitle(), p)
	return nil
}

func (u *UI) logProjectTime(w http.ResponseWriter, r *http.Request) error {
	d, src, err := u.capacity()
	if err != nil {
		return err
	}
	f, err := d.Store.ProjectReport(r.Context(), r.PathValue("name"), src)
	if err != nil {
		return err
	}
	p := &projectPage{ProjectFigures: f}
	p.Log.Person, p.Log.Day, p.Log.Hours, p.Log.Note = strings.TrimSpace(r.PostFormValue("person")), r.PostFormValue("day"), r.PostFormValue("hours"), r.PostFormValue("note")
	inv := &apperr.Invalid{}
	in := capacity.TimeEntryInput{Person: p.Log.Person, Day: day(inv, "day", p.Log.Day), Hours: number(inv, "hours", p.Log.Hours), Note: p.Log.Note}
	if len(inv.Fields) > 0 {
		return &formError{err: inv, form: p}
	}
	if _, err := d.Store.LogTime(r.Context(), principal(r).Actor(), f.Project.Name, in, d.Known(r.Context())); err != nil {
		if !isInvalid(err) {
			return err
		}
		return &formError{err: err, form: p}
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(f.Project.Name)+"?done=logged#time", http.StatusSeeOther)
	return nil
}

func (u *UI) deleteProject(w http.ResponseWriter, r *http.Request) error {
	d, _, err := u.capacity()
	if err != nil {
		return err
	}
	if err := d.Store.DeleteProject(r.Context(), principal(r).Actor(), r.PathValue("name")); err != nil {
		return err
	}
	http.Redirect(w, r, "/projects?deleted="+url.QueryEscape(r.PathValue("name")), http.StatusSeeOther)
	return nil
}

// atoiOr reads a whole number, 0 when it is not one (validation names it).
func atoiOr(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}
