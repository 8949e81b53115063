package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/setup"
)

// sparePolicyRows are the empty level rows added to the policy form, so
// that more levels can be entered without JavaScript.
const sparePolicyRows = 2

// policyListPage is the data of the escalation policy list.
type policyListPage struct {
	Policies []setup.PolicyEntry
	Deleted  string
	Saved    string
}

func (u *UI) listPolicies(w http.ResponseWriter, r *http.Request) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	list, err := m.Policies(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	u.render(w, r, http.StatusOK, "policies.html", "Escalation policies", policyListPage{Policies: list, Deleted: q.Get("deleted"), Saved: q.Get("saved")})
	return nil
}

// policyForm is the form of a policy (empty for a new one). A level's
// targets are one input, separated by commas.
func policyForm(p incident.EscalationPolicy, create bool) *setupForm {
	v := map[string]string{"name": p.Name, "repeat_delay": p.RepeatDelay}
	if p.Repeat != 0 {
		v["repeat"] = strconv.Itoa(p.Repeat)
	}
	labels := map[string]string{"name": "Name", "repeat": "Repeats", "repeat_delay": "Repeat delay", "levels": "Levels"}
	f := &setupForm{Create: create, Name: p.Name, V: v, tmpl: "policy_form.html", noun: "escalation policy", labels: labels}
	for i, l := range p.Levels {
		v[fieldPath("levels", i, "delay")] = l.Delay
		v[fieldPath("levels", i, "notify")] = strings.Join(l.Notify, ", ")
	}
	f.setRows(len(p.Levels) + sparePolicyRows)
	if create {
		f.Title, f.Action, f.Cancel = "New escalation policy", "/escalation-policies/new", "/escalation-policies"
	} else {
		f.Title, f.Action, f.Cancel = "Edit escalation policy "+p.Name, "/escalation-policies/"+url.PathEscape(p.Name)+"/edit", "/escalation-policies"
	}
	return f
}

// setRows makes n level rows and their labels.
func (f *setupForm) setRows(n int) {
	f.Rows = nil
	for i := range n {
		f.Rows = append(f.Rows, i)
		f.labels[fieldPath("levels", i, "")] = fmt.Sprintf("Level %d", i+1)
		f.labels[fieldPath("levels", i, "delay")] = fmt.Sprintf("Level %d, delay", i+1)
		f.labels[fieldPath("levels", i, "notify")] = fmt.Sprintf("Level %d, notify", i+1)
	}
}

// parsePolicyForm reads a submitted policy form. Empty level rows are
// dropped and the rows closed up, so that the store's "levels[1]" is the
// form's second row; a repeat count that is not a number is a problem of
// its own.
func parsePolicyForm(r *http.Request, name string, create bool) (*setupForm, incident.EscalationPolicy, []apperr.Field) {
	pf := r.PostForm
	get := func(k string) string { return strings.TrimSpace(pf.Get(k)) }
	p := incident.EscalationPolicy{Name: get("name"), RepeatDelay: get("repeat_delay")}
	if !create {
		p.Name = name
	}
	var parsed []apperr.Field
	if s := get("repeat"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			parsed = append(parsed, apperr.Field{Path: "repeat", Msg: "must be a whole number from 0 to 100"})
		}
		p.Repeat = n
	}
	for i := range maxFormRows {
		if !pf.Has(fieldPath("levels", i, "delay")) && !pf.Has(fieldPath("levels", i, "notify")) {
			break
		}
		l := incident.Level{Delay: get(fieldPath("levels", i, "delay"))}
		for _, t := range strings.Split(get(fieldPath("levels", i, "notify")), ",") {
			if t = strings.TrimSpace(t); t != "" {
				l.Notify = append(l.Notify, t)
			}
		}
		if l.Delay == "" && len(l.Notify) == 0 {
			continue
		}
		p.Levels = append(p.Levels, l)
	}
	f := policyForm(p, create)
	f.V["repeat"] = get("repeat")
	return f, p, parsed
}

func (u *UI) newPolicy(w http.ResponseWriter, r *http.Request) error {
	if _, err := u.setupManager(); err != nil {
		return err
	}
	f := policyForm(incident.EscalationPolicy{Levels: []incident.Level{{Delay: "0m"}}}, true)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) editPolicy(w http.ResponseWriter, r *http.Request) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	p, err := m.GetPolicy(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if p.ReadOnly() {
		return apperr.Conflict("escalation policy %q is declared in %s and read-only here; change it there", p.Name, p.DeclaredIn)
	}
	f := policyForm(p.EscalationPolicy, false)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) createPolicy(w http.ResponseWriter, r *http.Request) error {
	return u.savePolicy(w, r, "", setup.Create)
}

func (u *UI) updatePolicy(w http.ResponseWriter, r *http.Request) error {
	return u.savePolicy(w, r, r.PathValue("name"), setup.Replace)
}

func (u *UI) savePolicy(w http.ResponseWriter, r *http.Request, name string, op setup.Op) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	f, p, parsed := parsePolicyForm(r, name, op == setup.Create)
	return u.saveSetup(w, r, f, parsed,
		func(ctx context.Context) error { return m.ValidatePolicy(ctx, p) },
		func(ctx context.Context) (string, error) {
			_, err := m.PutPolicy(ctx, principal(r).Actor(), p, op)
			return p.Name, err
		}, func(name string) error {
			http.Redirect(w, r, "/escalation-policies?saved="+url.QueryEscape(name), http.StatusSeeOther)
			return nil
		})
}
