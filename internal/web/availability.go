package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// standing is a service's current-period report as the service page shows
// it: the same report the API serves, plus a bar per day.
type standing struct {
	Report timeline.ServiceReport
	Target float64 // 0 when the service has no objective
	Days   []dayBar
	Width  int
	// Burn is the error budget burn-down; nil without a budget.
	Burn *burnChart
}

// countedRow is one counted interval as the service page lists it: the
// engine's interval, its cause in words and where the cause can be seen.
type countedRow struct {
	availability.CountedInterval
	Cause string // "check web", "through database", "recorded outage"
	Href  string // the page of the cause; empty when it has none
	// Shown is Counted in whole seconds, apportioned so that the rows
	// shown add up to the counted downtime shown (WholeSeconds).
	Shown availability.Seconds
}

// Weight writes the interval's weight as the objective does: "1", "0.5".
func (c countedRow) Weight() string {
	return strconv.FormatFloat(c.CountedInterval.Weight, 'f', -1, 64)
}

// CountedRows lists every interval that counted towards the period's
// downtime, so that the page shows where each second of it came from and
// the rows add up to the counted-downtime figure.
func (st *standing) CountedRows() []countedRow {
	parts := make([]availability.Seconds, len(st.Report.CountedIntervals))
	for i, c := range st.Report.CountedIntervals {
		parts[i] = c.Counted
	}
	shown := availability.WholeSeconds(parts)
	rows := make([]countedRow, 0, len(parts))
	for i, c := range st.Report.CountedIntervals {
		rows = append(rows, countedRow{CountedInterval: c, Cause: sourceWords(c.Source), Href: sourceHref(c.Source), Shown: shown[i]})
	}
	return rows
}

// sourceHref is the page that shows the input a timeline source names:
// the check, the dependency, the incident or the recorded outages.
func sourceHref(src string) string {
	kind, name, _ := strings.Cut(src, ":")
	switch kind {
	case "check":
		check, _, _ := strings.Cut(name, ": ")
		return "/checks/" + url.PathEscape(check)
	case "dependency":
		// A dependency's own cause may follow its name, as in
		// "dependency:database"; the name is what has a page.
		dep, _, _ := strings.Cut(name, ":")
		return "/services/" + url.PathEscape(dep)
	case "incident":
		if _, err := strconv.ParseInt(name, 10, 64); err == nil {
			return "/incidents/" + name
		}
	case "outage":
		return "#outages"
	}
	return ""
}

// incidentEffect says what the incident's service went through while the
// incident was open (from its creation to its resolution, or to now), as
// the service's timeline shows it: down, degraded or none. The incident's
// own requested state would be wrong here: an incident opened by a failing
// check asks for none, because the check itself marks the service down.
func (u *UI) incidentEffect(ctx context.Context, i incident.Incident) (string, error) {
	snap, err := u.deps.Reports.Snapshot(ctx)
	if err != nil {
		return "", err
	}
	to := snap.Now
	if i.ResolvedAt != nil {
		to = *i.ResolvedAt
	}
	return snap.Effect(i.Service, i.CreatedAt, to), nil
}

// dayBar is one day of the current period, coloured by its in-hours
// availability.
type dayBar struct {
	X     int
	Class string // none (no service hours), future, ok, warn (downtime within target), bad (below target)
	Label string
}

const barWidth, barGap = 10, 2

// buildStanding reports on the current period and on each of its days.
func buildStanding(snap *timeline.Snapshot, name string) (*standing, error) {
	rep, err := snap.Report(name, timeline.Range{})
	if err != nil {
		return nil, err
	}
	st := &standing{Report: rep}
	if o := snap.Objective(name); o != nil {
		st.Target = o.Target
	}
	zone := snap.Zone(name)
	// The per-day reports feed the burn-down too: downtime spent by the
	// end of each elapsed day.
	var spent []burnPoint
	for day, i := rep.From.In(zone), 0; day.Before(rep.To) && i < 100; i++ {
		y, m, d := day.Date()
		next := time.Date(y, m, d+1, 0, 0, 0, 0, zone)
		if next.After(rep.To) {
			next = rep.To
		}
		bar := dayBar{X: i * (barWidth + barGap)}
		label := day.Format("Mon 2 Jan")
		switch {
		case !day.Before(snap.Now):
			bar.Class, bar.Label = "future", label+": still to come"
		default:
			dr, err := snap.Report(name, timeline.Range{From: day, To: next})
			if err != nil {
				return nil, err
			}
			end := next
			if end.After(snap.Now) {
				end = snap.Now
			}
			spent = append(spent, burnPoint{At: end, Label: label, Down: dr.Downtime})
			switch {
			case dr.Availability == nil:
				bar.Class, bar.Label = "none", label+": no service hours"
			case dr.Downtime == 0:
				bar.Class, bar.Label = "ok", label+": 100%"
			case st.Target > 0 && *dr.Availability < st.Target:
				bar.Class, bar.Label = "bad", fmt.Sprintf("%s: %s (%s down)", label, percent(*dr.Availability), seconds(dr.Downtime))
			default:
				bar.Class, bar.Label = "warn", fmt.Sprintf("%s: %s (%s down)", label, percent(*dr.Availability), seconds(dr.Downtime))
			}
		}
		st.Days = append(st.Days, bar)
		day = next
	}
	st.Width = len(st.Days) * (barWidth + barGap)
	st.Burn = newBurnChart(rep.Report, snap.Now, spent, zone)
	return st, nil
}

// percent shows a ratio with enough digits to tell 99.95% from 99.9%.
// It rounds down, so that a service just short of 100% never shows 100%.
func percent(f float64) string { return availability.Percent(f) }

// seconds shows a duration in whole seconds the way people write it.
func seconds(s availability.Seconds) string { return availability.FormatSeconds(s) }

// outageForm is the "record an outage" form on a service's page.
type outageForm struct {
	Start, End, State, Note string
	Problems                []apperr.Field
}

// Problem returns the message for one field, for the template.
func (f outageForm) Problem(field string) string { return problemOf(f.Problems, field) }

// servicePageForm lets fail re-render the service page with the outage
// form's problems.
type servicePageForm struct{ *serviceDetailPage }

func (p servicePageForm) template() string  { return "service.html" }
func (p servicePageForm) pageTitle() string { return serviceTitle(p.Service) }
func (p servicePageForm) setProblems(fields []apperr.Field) {
	p.OutageForm.Problems = fields
}

func (u *UI) recordOutage(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	form := outageForm{Start: r.PostFormValue("start"), End: r.PostFormValue("end"), State: r.PostFormValue("state"), Note: r.PostFormValue("note")}
	n := timeline.NewOutage{Start: &form.Start, End: &form.End, State: &form.State, Note: form.Note}
	if _, err := u.deps.Outages.Record(r.Context(), principal(r).Actor(), name, n); err != nil {
		page, perr := u.servicePage(r, name)
		if perr != nil {
			return perr
		}
		page.OutageForm = form
		return &formError{err: err, form: servicePageForm{page}}
	}
	http.Redirect(w, r, "/services/"+name+"?saved=outage#outages", http.StatusSeeOther)
	return nil
}

func (u *UI) deleteOutage(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errPageNotFound
	}
	if err := u.deps.Outages.Delete(r.Context(), principal(r).Actor(), name, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/services/"+name+"#outages", http.StatusSeeOther)
	return nil
}
