package httpapi

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/setup"
)

// OnCall is the on-call directory as the config file declares it.
type OnCall interface {
	People() []escalation.Person
	Person(name string) (escalation.Person, bool)
	Schedules() []oncall.Schedule
	Schedule(name string) (*oncall.Compiled, oncall.Schedule, bool)
	Policies() []incident.EscalationPolicy
}

// PersonAnswer is a person with the kinds of contact they have (never the
// addresses of webhooks, which are secrets) and where they are on call now.
type PersonAnswer struct {
	escalation.Person
	Contacts []string `json:"contacts"`
	OnCall   []string `json:"on_call"`
}

// OnCallAnswer says who is on call in a schedule at an instant.
type OnCallAnswer struct {
	Schedule string    `json:"schedule"`
	At       time.Time `json:"at"`
	Users    []string  `json:"users"`
}

// ScheduleAnswer is a schedule, who is on call now, and its shifts.
type ScheduleAnswer struct {
	oncall.Schedule
	Now    []string       `json:"on_call_now"`
	Shifts []oncall.Shift `json:"shifts"`
}

// FeedSecretAnswer shows a calendar feed's secret URL, once.
type FeedSecretAnswer struct {
	Feed string `json:"feed"`
	URL  string `json:"url"`
}

// Reassign is the body of a reassignment.
type Reassign struct {
	User string `json:"user"`
}

func (a *API) oncallRoutes() []Route {
	name := Param{Name: "name", In: "path", Description: "the schedule's name"}
	person := Param{Name: "name", In: "path", Description: "the person's name"}
	return []Route{
		{Method: "GET", Path: "/api/v1/people", Summary: "People who can be paged, with their contact kinds and current on-call", Tag: "on-call", Role: auth.Viewer, Query: pageParams,
			Response: List[PersonAnswer]{}, Status: 200, Handle: a.listPeople},
		{Method: "GET", Path: "/api/v1/schedules", Summary: "On-call schedules with who is on call now", Tag: "on-call", Role: auth.Viewer, Query: pageParams,
			Response: List[ScheduleAnswer]{}, Status: 200, Handle: a.listSchedules},
		{Method: "GET", Path: "/api/v1/schedules/{name}", Summary: "A schedule with its shifts over the next four weeks (or from/to)", Tag: "on-call", Role: auth.Viewer,
			Query:    []Param{name, {Name: "from", In: "query", Description: "RFC 3339"}, {Name: "to", In: "query", Description: "RFC 3339"}},
			Response: ScheduleAnswer{}, Status: 200, Handle: a.getSchedule},
		{Method: "GET", Path: "/api/v1/schedules/{name}/oncall", Summary: "Who is on call at an instant", Tag: "on-call", Role: auth.Viewer,
			Query: []Param{name, {Name: "at", In: "query", Description: "RFC 3339 (default: now)"}}, Response: OnCallAnswer{}, Status: 200, Handle: a.whoIsOnCall},
		{Method: "GET", Path: "/api/v1/schedules/{name}/calendar.ics", Summary: "iCalendar feed of a schedule's shifts: a bearer token, or ?secret= from calendar-secret", Tag: "on-call",
			KeyAuth: true, Query: []Param{name, {Name: "secret", In: "query", Description: "the feed's secret"}}, Status: 200, Handle: a.scheduleICS},
		{Method: "POST", Path: "/api/v1/schedules/{name}/calendar-secret", Summary: "Create or replace the schedule feed's secret URL (shown once)", Tag: "on-call", Role: auth.Operator,
			Query: []Param{name}, Response: FeedSecretAnswer{}, Status: 201, Handle: a.feedSecret("schedule")},
		{Method: "DELETE", Path: "/api/v1/schedules/{name}/calendar-secret", Summary: "Revoke the schedule feed's secret URL", Tag: "on-call", Role: auth.Operator,
			Query: []Param{name}, Status: 204, Handle: a.revokeFeed("schedule")},
		{Method: "GET", Path: "/api/v1/people/{name}/calendar.ics", Summary: "iCalendar feed of one person's shifts in every schedule", Tag: "on-call",
			KeyAuth: true, Query: []Param{person, {Name: "secret", In: "query", Description: "the feed's secret"}}, Status: 200, Handle: a.personICS},
		{Method: "POST", Path: "/api/v1/people/{name}/calendar-secret", Summary: "Create or replace a person's feed secret URL (shown once)", Tag: "on-call", Role: auth.Operator,
			Query: []Param{person}, Response: FeedSecretAnswer{}, Status: 201, Handle: a.feedSecret("user")},
		{Method: "DELETE", Path: "/api/v1/people/{name}/calendar-secret", Summary: "Revoke a person's feed secret URL", Tag: "on-call", Role: auth.Operator,
			Query: []Param{person}, Status: 204, Handle: a.revokeFeed("user")},
		{Method: "GET", Path: "/api/v1/escalation-policies", Summary: "Escalation policies", Tag: "on-call", Role: auth.Viewer, Query: pageParams,
			Response: List[setup.PolicyEntry]{}, Status: 200, Handle: a.listSetupPolicies},
		{Method: "POST", Path: "/api/v1/incidents/{id}/reassign", Summary: "Hand an incident to a person: they are notified now", Tag: "incidents", Role: auth.Operator,
			Query: []Param{{Name: "id", In: "path", Type: "integer", Description: "the incident's id"}}, Request: Reassign{}, Response: IncidentDetail{}, Status: 200, Handle: a.reassign},
	}
}

func (a *API) onCallNow(now time.Time) map[string][]string {
	out := map[string][]string{}
	for _, s := range a.deps.OnCall.Schedules() {
		if c, _, ok := a.deps.OnCall.Schedule(s.Name); ok {
			for _, u := range c.OnCall(now) {
				out[u] = append(out[u], s.Name)
			}
		}
	}
	return out
}

func (a *API) listPeople(w http.ResponseWriter, r *http.Request) error {
	now := time.Now()
	on := a.onCallNow(now)
	var out []PersonAnswer
	for _, p := range a.deps.OnCall.People() {
		out = append(out, PersonAnswer{Person: p, Contacts: p.Contacts(), OnCall: append([]string{}, on[p.Name]...)})
	}
	return writePaged(w, r, out, func(p PersonAnswer) string { return p.Name })
}

func (a *API) schedule(name string) (*oncall.Compiled, oncall.Schedule, error) {
	c, s, ok := a.deps.OnCall.Schedule(name)
	if !ok {
		return nil, s, apperr.NotFound("schedule %q", name)
	}
	return c, s, nil
}

func (a *API) listSchedules(w http.ResponseWriter, r *http.Request) error {
	now := time.Now()
	var out []ScheduleAnswer
	for _, s := range a.deps.OnCall.Schedules() {
		c, _, ok := a.deps.OnCall.Schedule(s.Name)
		if !ok {
			continue
		}
		out = append(out, ScheduleAnswer{Schedule: s, Now: nonNil(c.OnCall(now)), Shifts: []oncall.Shift{}})
	}
	return writePaged(w, r, out, func(s ScheduleAnswer) string { return s.Name })
}

// nonNil answers an empty list as [], not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *API) getSchedule(w http.ResponseWriter, r *http.Request) error {
	c, s, err := a.schedule(r.PathValue("name"))
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	from, to := now, now.Add(28*24*time.Hour)
	if r.URL.Query().Get("from") != "" || r.URL.Query().Get("to") != "" {
		if from, to, err = timeRange(r); err != nil {
			return err
		}
		if to.Sub(from) > 366*24*time.Hour {
			return badParam("to", "a range of at most a year")
		}
	}
	shifts := c.Shifts(from, to)
	if shifts == nil {
		shifts = []oncall.Shift{}
	}
	writeJSON(w, http.StatusOK, ScheduleAnswer{Schedule: s, Now: nonNil(c.OnCall(now)), Shifts: shifts})
	return nil
}

func (a *API) whoIsOnCall(w http.ResponseWriter, r *http.Request) error {
	c, s, err := a.schedule(r.PathValue("name"))
	if err != nil {
		return err
	}
	at := time.Now().UTC()
	if v := r.URL.Query().Get("at"); v != "" {
		if at, err = time.Parse(time.RFC3339, v); err != nil {
			return badParam("at", "expected an RFC 3339 time, got %q", v)
		}
	}
	writeJSON(w, http.StatusOK, OnCallAnswer{Schedule: s.Name, At: at, Users: nonNil(c.OnCall(at))})
	return nil
}

// feedAllowed lets a calendar app in with the feed's secret, and anyone
// else with a viewer token or session.
func (a *API) feedAllowed(r *http.Request, feed string) error {
	if sec := r.URL.Query().Get("secret"); sec != "" {
		if a.deps.Auth.CheckFeedSecret(r.Context(), feed, sec) {
			return nil
		}
		return newProblem(http.StatusUnauthorized, "the feed's secret is wrong or was revoked")
	}
	p, err := a.authenticate(r)
	if err != nil {
		return err
	}
	if !p.Role.Allows(auth.Viewer) {
		return newProblem(http.StatusForbidden, "this needs the viewer role")
	}
	return nil
}

func writeICS(w http.ResponseWriter, name string, body []byte) {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`.ics"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// icsWindow is the span a feed covers, a week back and twelve weeks ahead,
// and now, when the feed is made.
func icsWindow() (from, to, now time.Time) {
	now = time.Now().UTC()
	return now.Add(-7 * 24 * time.Hour), now.Add(84 * 24 * time.Hour), now
}

func (a *API) scheduleICS(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	c, _, err := a.schedule(name)
	if err != nil {
		return err
	}
	if err := a.feedAllowed(r, "schedule:"+name); err != nil {
		return err
	}
	from, to, now := icsWindow()
	body, err := c.ICal(name, "-//Sextant//On-call//EN", from, to, now, "")
	if err != nil {
		return err
	}
	writeICS(w, name, body)
	return nil
}

func (a *API) personICS(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if _, ok := a.deps.OnCall.Person(name); !ok {
		return apperr.NotFound("person %q", name)
	}
	if err := a.feedAllowed(r, "user:"+name); err != nil {
		return err
	}
	from, to, now := icsWindow()
	var all []byte
	// One calendar per schedule, merged into one VCALENDAR: the person's
	// shifts in every schedule they are part of.
	var parts [][]byte
	for _, s := range a.deps.OnCall.Schedules() {
		c, _, ok := a.deps.OnCall.Schedule(s.Name)
		if !ok {
			continue
		}
		b, err := c.ICal(s.Name, "-//Sextant//On-call//EN", from, to, now, name)
		if err != nil {
			return err
		}
		parts = append(parts, b)
	}
	all = mergeICS(name, parts)
	writeICS(w, name, all)
	return nil
}

func (a *API) feedSecret(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := r.PathValue("name")
		path := "/api/v1/schedules/"
		if kind == "user" {
			if _, ok := a.deps.OnCall.Person(name); !ok {
				return apperr.NotFound("person %q", name)
			}
			path = "/api/v1/people/"
		} else if _, _, err := a.schedule(name); err != nil {
			return err
		}
		secret, err := a.deps.Auth.FeedSecret(r.Context(), actor(r), kind+":"+name)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, FeedSecretAnswer{Feed: kind + ":" + name, URL: a.baseURL(r) + path + name + "/calendar.ics?secret=" + secret})
		return nil
	}
}

func (a *API) revokeFeed(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := a.deps.Auth.RevokeFeedSecret(r.Context(), actor(r), kind+":"+r.PathValue("name")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (a *API) listPolicies(w http.ResponseWriter, r *http.Request) error {
	ps := a.deps.OnCall.Policies()
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return writePaged(w, r, ps, func(p incident.EscalationPolicy) string { return p.Name })
}

// Reassigner hands an incident to a person.
type Reassigner interface {
	Reassign(ctx context.Context, incidentID int64, user, actor string) error
}

func (a *API) reassign(w http.ResponseWriter, r *http.Request) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var body Reassign
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if _, ok := a.deps.OnCall.Person(body.User); !ok {
		return badRequest("/user", "unknown person %q", body.User)
	}
	if err := a.deps.Reassigner.Reassign(r.Context(), id, body.User, actor(r)); err != nil {
		return err
	}
	return a.getIncident(w, r)
}
