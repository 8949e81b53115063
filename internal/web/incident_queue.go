package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/incident"
)

// snoozeChoice is one of the snooze form's buttons.
type snoozeChoice struct {
	Minutes int
	Label   string
}

// queueForms adds the snooze and merge forms to an incident's page where
// they apply: snoozing needs an acknowledged incident with a policy (the
// policy pages again at the end), merging an open incident that is not an
// Alertmanager group's.
func (u *UI) queueForms(dp *incidentDetailPage) {
	if dp.Status == incident.Acknowledged && dp.Escalation != "" {
		dp.SnoozeForm = &field{Name: "custom", ID: "snooze-minutes", Label: "Or snooze for (minutes)",
			Hint: fmt.Sprintf("From 1 to %d. When the snooze ends with the incident still open, it is triggered again and %s pages from its first level.", incident.MaxSnooze, dp.Escalation)}
		for _, m := range incident.SnoozeChoices {
			dp.Snoozes = append(dp.Snoozes, snoozeChoice{Minutes: m, Label: incident.SnoozeWords(m)})
		}
	}
	if dp.Status != incident.Resolved && dp.AlertTotal() == 0 {
		dp.MergeForm = &field{Name: "sources", ID: "merge-sources", Label: "Incidents to merge into this one",
			Hint: "Their numbers, such as 12, 15. Each is resolved as merged into this incident; its events and notes are listed here, and later events with its dedup key come here."}
	}
}

// snoozeIncident snoozes the incident for a button's length or the one
// typed; a bad length brings the page back with the reason by the form.
func (u *UI) snoozeIncident(w http.ResponseWriter, r *http.Request) error {
	raw := r.PostFormValue("minutes")
	if raw == "custom" {
		raw = strings.TrimSpace(r.PostFormValue("custom"))
	}
	return u.actOnIncident(w, r, "snoozed", func(id int64, actor string) error {
		minutes, err := strconv.Atoi(raw)
		if err != nil {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "minutes", Msg: fmt.Sprintf("must be a whole number of minutes from 1 to %d (a week), not %q", incident.MaxSnooze, raw)}}}
		}
		_, err = u.deps.Incidents.Snooze(r.Context(), id, minutes, actor)
		return err
	})
}

// mergeIncident merges the incidents named in the form into this one.
func (u *UI) mergeIncident(w http.ResponseWriter, r *http.Request) error {
	raw := r.PostFormValue("sources")
	return u.actOnIncident(w, r, "merged", func(id int64, actor string) error {
		sources, err := incidentNumbers(raw)
		if err != nil {
			return err
		}
		_, err = u.deps.Incidents.Merge(r.Context(), id, sources, actor)
		return err
	})
}

// bulkMerge is the bulk bar's merge: the ticked incidents go into the
// oldest of them (the lowest number); to choose another, merge from the
// incident's own page. The answer is the merged incident's page.
func (u *UI) bulkMerge(w http.ResponseWriter, r *http.Request, lp *incidentListPage, ids []int64) error {
	if len(ids) < 2 {
		return &formError{err: &apperr.Invalid{Fields: []apperr.Field{{Path: "id", Msg: "tick two incidents or more to merge them into the oldest"}}}, form: incidentListForm{lp}}
	}
	target := slices.Min(ids)
	sources := slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return id == target })
	if _, err := u.deps.Incidents.Merge(r.Context(), target, sources, principal(r).Actor()); err != nil {
		return &formError{err: err, form: incidentListForm{lp}}
	}
	http.Redirect(w, r, "/incidents/"+strconv.FormatInt(target, 10)+"?done=merged", http.StatusSeeOther)
	return nil
}

// bulkMerge is the bulk bar's merge action.
const bulkMerge = "merge"

// incidentNumbers reads a list of incident numbers as people type them:
// "12, 15", "#12 #15".
func incidentNumbers(raw string) ([]int64, error) {
	words := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\t' || r == '\n' || r == '\r' })
	if len(words) == 0 {
		return nil, &apperr.Invalid{Fields: []apperr.Field{{Path: "sources", Msg: "name at least one incident to merge, such as 12"}}}
	}
	var out []int64
	for _, w := range words {
		n, err := strconv.ParseInt(strings.TrimPrefix(w, "#"), 10, 64)
		if err != nil {
			return nil, &apperr.Invalid{Fields: []apperr.Field{{Path: "sources", Msg: fmt.Sprintf("%q is not an incident number: write numbers such as 12, 15", w)}}}
		}
		out = append(out, n)
	}
	return out, nil
}
