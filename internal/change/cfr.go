package change

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/sextant-ops/sextant/internal/duration"
)

// IncidentRef is what the change-failure rate knows of an incident: its
// service, the configuration items that service depends on, and when it
// opened.
type IncidentRef struct {
	ID       int64
	Service  string
	Items    []string
	OpenedAt time.Time
}

// FailureReport is the change-failure rate over a period.
type FailureReport struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Service   string    `json:"service,omitempty"`
	Completed int       `json:"completed"`
	Failed    int       `json:"failed"`
	// Rate is Failed ÷ Completed, in [0, 1]; 0 when nothing completed.
	Rate          float64  `json:"rate"`
	FailureWindow string   `json:"failure_window"`
	Changes       []Judged `json:"changes"`
}

// Judged is one completed change with the verdict and its reason.
type Judged struct {
	ID      int64     `json:"id"`
	Title   string    `json:"title"`
	EndedAt time.Time `json:"ended_at"`
	Failed  bool      `json:"failed"`
	// Reason names why a failed change counts as failed: "ended failed",
	// "rolled back", "incident #N linked by NAME", or "incident #N
	// within 24h on SERVICE" (or "on item ITEM").
	Reason   string `json:"reason,omitempty"`
	Incident int64  `json:"incident,omitempty"`
}

// FailureRate judges the completed changes as PRODUCT.md defines it: a
// change fails when it ended failed or rolled back, when a person linked
// an incident to it, or when an incident opened on one of its services or
// items within window after it ended. Changes that have not ended are left
// out; each change counts once, with the first reason in that order (the
// earliest incident among several). It is a pure function of its inputs.
func FailureRate(changes []Request, incidents []IncidentRef, window time.Duration) FailureReport {
	rep := FailureReport{FailureWindow: windowText(window), Changes: []Judged{}}
	byTime := slices.Clone(incidents)
	sort.SliceStable(byTime, func(i, j int) bool { return byTime[i].OpenedAt.Before(byTime[j].OpenedAt) })
	for _, c := range changes {
		if c.EndedAt == nil || c.Outcome == "" {
			continue
		}
		j := Judged{ID: c.ID, Title: c.Title, EndedAt: *c.EndedAt}
		switch {
		case c.Outcome == Failed:
			j.Failed, j.Reason = true, "ended failed"
		case c.Outcome == RolledBack:
			j.Failed, j.Reason = true, "rolled back"
		case len(c.Incidents) > 0:
			l := c.Incidents[0]
			j.Failed, j.Incident, j.Reason = true, l.Incident, fmt.Sprintf("incident #%d linked by %s", l.Incident, l.By)
		default:
			end := c.EndedAt.Add(window)
			for _, in := range byTime {
				if in.OpenedAt.Before(*c.EndedAt) || !in.OpenedAt.Before(end) {
					continue
				}
				if where := touches(c, in); where != "" {
					j.Failed, j.Incident = true, in.ID
					j.Reason = fmt.Sprintf("incident #%d within %s on %s", in.ID, rep.FailureWindow, where)
					break
				}
			}
		}
		rep.Completed++
		if j.Failed {
			rep.Failed++
		}
		rep.Changes = append(rep.Changes, j)
	}
	if rep.Completed > 0 {
		rep.Rate = float64(rep.Failed) / float64(rep.Completed)
	}
	return rep
}

// touches names where incident in meets change c: "SERVICE" when it is on
// one of the change's services, "item ITEM" when its service depends on
// one of the change's items; "" when neither.
func touches(c Request, in IncidentRef) string {
	if slices.Contains(c.Services, in.Service) {
		return in.Service
	}
	for _, it := range c.Items {
		if slices.Contains(in.Items, it) {
			return "item " + it
		}
	}
	return ""
}

// windowText writes the failure window as people say it: whole hours in
// hours ("24h", "72h"), anything else as durations are written.
func windowText(d time.Duration) string {
	if d > 0 && d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return duration.Format(d)
}
