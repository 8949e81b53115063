package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/setup"
	"github.com/sextant-ops/sextant/internal/status"
)

// StatusPageAnswer is a status page with the URL the public reads it at.
type StatusPageAnswer struct {
	setup.StatusPageEntry
	URL string `json:"url"`
}

// PreviewAnswer is who would be on call under a schedule not yet saved.
type PreviewAnswer struct {
	From   time.Time      `json:"from"`
	To     time.Time      `json:"to"`
	Shifts []oncall.Shift `json:"shifts"`
}

// What the people, schedule and status page routes say of writes.
const (
	objectPut = `Creates the object (201) or replaces the one of that name made in the UI or API (200). ` + setupWrite +
		` An object the config file declares is read-only: 403.`
	personPut    = objectPut + ` A Slack, Teams or webhook URL is a secret: it reads "[set]", and "[set]" sent back keeps it. E-mail needs the file's mail settings to be a working contact method.`
	personRemove = `A person a schedule or an escalation policy names is refused (409, naming them); one the config file declares, 403.`
	schedRemove  = `A schedule an escalation policy pages is refused (409, naming it); one the config file declares, 403.`
	pageRemove   = `A status page the config file declares is refused (403).`
)

// objectKind is what the generic handlers need of one kind kept by setup:
// its objects' name, and the manager's methods for it.
type objectKind[T, E any] struct {
	base     string
	name     func(*T) *string
	get      func(ctx context.Context, name string) (E, error)
	put      func(ctx context.Context, actor string, x T, op setup.Op) (E, error)
	validate func(ctx context.Context, x T) error
}

// putObject is the one path of a PUT: decode (the URL's name settling the
// body's), create or replace through the manager (which validates over the
// merged whole, stores, audits and applies), and answer the object as a
// read shows it, through answer.
func putObject[T, E, A any](k objectKind[T, E], answer func(r *http.Request, e E) A) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var x T
		name := k.name(&x)
		if err := decodeNamed(w, r, &x, name); err != nil {
			return err
		}
		op := setup.Replace
		if _, err := k.get(r.Context(), *name); errors.Is(err, apperr.ErrNotFound) {
			op = setup.Create
		} else if err != nil {
			return err
		}
		out, err := k.put(r.Context(), actor(r), x, op)
		if err != nil {
			return err
		}
		if op == setup.Create {
			created(w, k.base+"/"+*name, answer(r, out))
			return nil
		}
		writeJSON(w, http.StatusOK, answer(r, out))
		return nil
	}
}

// getObject answers one object.
func getObject[T, E, A any](k objectKind[T, E], answer func(r *http.Request, e E) A) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		e, err := k.get(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, answer(r, e))
		return nil
	}
}

// bodyValidator is the store's validator of a body of kind k that did not
// decode whole, named from the URL when the body has no name.
func bodyValidator[T, E any](k objectKind[T, E]) func(r *http.Request, body any) error {
	return func(r *http.Request, body any) error {
		x := *body.(*T)
		n := k.name(&x)
		*n = nameFromPath(r, *n)
		return k.validate(r.Context(), x)
	}
}

// same answers an entry as it is.
func same[E any](_ *http.Request, e E) E { return e }

func (a *API) personKind() objectKind[setup.Person, setup.PersonEntry] {
	m := a.deps.Setup
	return objectKind[setup.Person, setup.PersonEntry]{base: "/api/v1/people", name: func(p *setup.Person) *string { return &p.Name },
		get: m.GetPerson, put: m.PutPerson, validate: m.ValidatePerson}
}

func (a *API) scheduleKind() objectKind[oncall.Schedule, setup.ScheduleEntry] {
	m := a.deps.Setup
	return objectKind[oncall.Schedule, setup.ScheduleEntry]{base: "/api/v1/schedules", name: func(s *oncall.Schedule) *string { return &s.Name },
		get: m.GetSchedule, put: m.PutSchedule, validate: m.ValidateSchedule}
}

func (a *API) statusPageKind() objectKind[status.Page, setup.StatusPageEntry] {
	m := a.deps.Setup
	return objectKind[status.Page, setup.StatusPageEntry]{base: "/api/v1/status-pages", name: func(p *status.Page) *string { return &p.Name },
		get: m.GetStatusPage, put: m.PutStatusPage, validate: m.ValidateStatusPage}
}

// statusPageAnswer adds the page's public URL.
func (a *API) statusPageAnswer(r *http.Request, e setup.StatusPageEntry) StatusPageAnswer {
	return StatusPageAnswer{StatusPageEntry: e, URL: monitor.BaseURL(a.deps.PublicURL, r) + "/status/" + e.Name}
}

// setupObjectRoutes are the writes of people, schedules and status pages;
// the lists of people and schedules, as the running server has them, are
// the on-call routes.
func (a *API) setupObjectRoutes() []Route {
	person := []Param{{Name: "name", In: "path", Description: "the person's name"}}
	sched := []Param{{Name: "name", In: "path", Description: "the schedule's name"}}
	page := []Param{{Name: "name", In: "path", Description: "the status page's name (its URL, /status/NAME)"}}
	m := a.deps.Setup
	people, schedules, pages := a.personKind(), a.scheduleKind(), a.statusPageKind()
	return []Route{
		{Method: "GET", Path: "/api/v1/people/{name}", Summary: "Get a person as declared, with where they come from", Description: setupRead, Tag: "on-call", Role: auth.Viewer,
			Query: person, Response: setup.PersonEntry{}, Status: 200, Handle: getObject(people, same)},
		{Method: "PUT", Path: "/api/v1/people/{name}", Summary: "Create or replace a person and their contact methods", Description: personPut, Tag: "on-call", Role: auth.Admin,
			Query: person, Request: setup.Person{}, Response: setup.PersonEntry{}, Status: 200, Handle: putObject(people, same)},
		{Method: "DELETE", Path: "/api/v1/people/{name}", Summary: "Delete a person made in the UI or API", Description: personRemove, Tag: "on-call", Role: auth.Admin,
			Query: person, Status: 204, Handle: a.deleteSetup(m.DeletePerson)},
		{Method: "PUT", Path: "/api/v1/schedules/{name}", Summary: "Create or replace an on-call schedule", Description: objectPut, Tag: "on-call", Role: auth.Admin,
			Query: sched, Request: oncall.Schedule{}, Response: setup.ScheduleEntry{}, Status: 200, Handle: putObject(schedules, same)},
		{Method: "DELETE", Path: "/api/v1/schedules/{name}", Summary: "Delete an on-call schedule made in the UI or API", Description: schedRemove, Tag: "on-call", Role: auth.Admin,
			Query: sched, Status: 204, Handle: a.deleteSetup(m.DeleteSchedule)},
		{Method: "POST", Path: "/api/v1/schedules/{name}/preview", Summary: "Who would be on call under a schedule over the next 14 days, without saving it", Tag: "on-call", Role: auth.Admin,
			Description: "Validated as a PUT would be; the body is the schedule. Overrides stored for the schedule are not laid over it.",
			Query:       sched, Request: oncall.Schedule{}, Response: PreviewAnswer{}, Status: 200, Handle: a.previewSchedule},
		{Method: "GET", Path: "/api/v1/status-pages", Summary: "List status pages, the file's and those made here, with their public URLs", Description: setupRead, Tag: "status pages", Role: auth.Viewer,
			Query: pageParams, Response: List[StatusPageAnswer]{}, Status: 200, Handle: a.listStatusPages},
		{Method: "GET", Path: "/api/v1/status-pages/{name}", Summary: "Get a status page", Description: setupRead, Tag: "status pages", Role: auth.Viewer,
			Query: page, Response: StatusPageAnswer{}, Status: 200, Handle: getObject(pages, a.statusPageAnswer)},
		{Method: "PUT", Path: "/api/v1/status-pages/{name}", Summary: "Create or replace a status page: its groups of services and their names", Description: objectPut, Tag: "status pages", Role: auth.Admin,
			Query: page, Request: status.Page{}, Response: StatusPageAnswer{}, Status: 200, Handle: putObject(pages, a.statusPageAnswer)},
		{Method: "DELETE", Path: "/api/v1/status-pages/{name}", Summary: "Delete a status page made in the UI or API", Description: pageRemove, Tag: "status pages", Role: auth.Admin,
			Query: page, Status: 204, Handle: a.deleteSetup(m.DeleteStatusPage)},
	}
}

func (a *API) listStatusPages(w http.ResponseWriter, r *http.Request) error {
	list, err := a.deps.Setup.StatusPages(r.Context())
	if err != nil {
		return err
	}
	out := make([]StatusPageAnswer, 0, len(list))
	for _, e := range list {
		out = append(out, a.statusPageAnswer(r, e))
	}
	return writePaged(w, r, out, func(p StatusPageAnswer) string { return p.Name })
}

func (a *API) previewSchedule(w http.ResponseWriter, r *http.Request) error {
	var s oncall.Schedule
	if err := decodeNamed(w, r, &s, &s.Name); err != nil {
		return err
	}
	from := time.Now()
	shifts, err := a.deps.Setup.PreviewSchedule(r.Context(), s, from)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, PreviewAnswer{From: from, To: from.AddDate(0, 0, setup.PreviewDays), Shifts: nonNil(shifts)})
	return nil
}
