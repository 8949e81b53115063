package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/desk"
)

// ResolveTickets is the body of resolving an incident's tickets.
type ResolveTickets struct {
	// Note is the one public note every resolved ticket gets (and its
	// requester by mail).
	Note string `json:"note"`
}

// ResolvedTickets lists the tickets a resolution resolved.
type ResolvedTickets struct {
	IncidentID int64   `json:"incident_id"`
	Resolved   []int64 `json:"resolved"`
}

// DeskSetup is the desk's configuration as the API shows it.
type DeskSetup struct {
	Queues      []desk.Queue  `json:"queues"`
	SLAPolicies []desk.Policy `json:"sla_policies"`
	// PriorityMatrix maps impact to the priorities for urgency high,
	// medium and low.
	PriorityMatrix map[string][]int `json:"priority_matrix"`
}

// CommentAnswer is a new comment with its ticket after the change.
type CommentAnswer struct {
	Comment desk.Comment `json:"comment"`
	Ticket  desk.Ticket  `json:"ticket"`
}

func (a *API) deskRoutes() []Route {
	tk := Param{Name: "id", In: "path", Type: "integer", Description: "the ticket's id"}
	att := Param{Name: "attachment", In: "path", Type: "integer", Description: "the attachment's id"}
	inc := Param{Name: "id", In: "path", Type: "integer", Description: "the incident's id"}
	return []Route{
		{Method: "POST", Path: "/api/v1/tickets", Summary: "Open a ticket; opened_at (admins only) imports its real opening", Tag: "desk",
			Description: "Priority comes from impact and urgency by the priority matrix; impact defaults to the service tier's. The answer carries the SLA clocks.",
			Role:        auth.Operator, Request: desk.Input{}, Response: desk.Ticket{}, Status: 201, Handle: a.createTicket},
		{Method: "GET", Path: "/api/v1/tickets", Summary: "List tickets, newest first, with their SLA clocks", Tag: "desk", Role: auth.Viewer,
			Query: append([]Param{
				{Name: "queue", In: "query", Description: "only this queue's tickets"},
				{Name: "status", In: "query", Description: "new, open, in_progress, waiting, resolved or closed"},
				{Name: "service", In: "query", Description: "only tickets on this service"},
				{Name: "assignee", In: "query", Description: "only tickets assigned to this user"},
				{Name: "requester", In: "query", Description: "only tickets of this requester"},
				{Name: "priority", In: "query", Type: "integer", Description: "1 to 5"},
				{Name: "breached", In: "query", Type: "boolean", Description: "true: only tickets with a breached clock; false: only those without"},
			}, pageParams...), Response: List[desk.Ticket]{}, Status: 200, Handle: a.listTickets},
		{Method: "GET", Path: "/api/v1/tickets/{id}", Summary: "Get a ticket with its conversation, attachments, links, history, pauses and SLA clocks", Tag: "desk",
			Role: auth.Viewer, Query: []Param{tk}, Response: desk.Detail{}, Status: 200, Handle: a.getTicket},
		{Method: "PATCH", Path: "/api/v1/tickets/{id}", Summary: "Change a ticket's fields; fields left out stay; at (admins only) imports the change's time", Tag: "desk",
			Description: "A new impact or urgency gives a new priority and so perhaps a new target: the elapsed time and the pauses stay.",
			Role:        auth.Operator, Query: []Param{tk}, Request: desk.Patch{}, Response: desk.Ticket{}, Status: 200, Handle: a.patchTicket},
		{Method: "POST", Path: "/api/v1/tickets/{id}/comments", Summary: "Add a public reply (mailed to the requester; the first stops the first-response clock) or an internal note", Tag: "desk",
			Role: auth.Operator, Query: []Param{tk}, Request: desk.CommentInput{}, Response: CommentAnswer{}, Status: 201, Handle: a.addTicketComment},
		{Method: "POST", Path: "/api/v1/tickets/{id}/status", Summary: "Move a ticket: waiting needs reason requester or third_party (with third_party named); resolved tickets reopen to open", Tag: "desk",
			Role: auth.Operator, Query: []Param{tk}, Request: desk.StatusInput{}, Response: desk.Ticket{}, Status: 200, Handle: a.setTicketStatus},
		{Method: "POST", Path: "/api/v1/tickets/{id}/links", Summary: "Link a ticket to a monitoring incident, a parent or child ticket, or the ticket it duplicates", Tag: "desk",
			Role: auth.Operator, Query: []Param{tk}, Request: desk.LinkInput{}, Response: desk.Link{}, Status: 201, Handle: a.addTicketLink},
		{Method: "GET", Path: "/api/v1/tickets/{id}/attachments", Summary: "List a ticket's attachments", Tag: "desk",
			Role: auth.Viewer, Query: []Param{tk}, Response: []desk.Attachment{}, Status: 200, Handle: a.listTicketAttachments},
		{Method: "POST", Path: "/api/v1/tickets/{id}/attachments", Summary: "Attach a file: the body is the file's bytes (at most 10 MiB), its type sniffed", Tag: "desk",
			Role: auth.Operator, Query: []Param{tk, {Name: "filename", In: "query", Description: "the file's name"}}, Response: desk.Attachment{}, Status: 201, Handle: a.addTicketAttachment},
		{Method: "GET", Path: "/api/v1/tickets/{id}/attachments/{attachment}", Summary: "Download an attachment (always as a download, never shown inline)", Tag: "desk",
			Role: auth.Viewer, Query: []Param{tk, att}, Status: 200, Handle: a.getTicketAttachment},
		{Method: "POST", Path: "/api/v1/incidents/{id}/ticket", Summary: "Open a ticket for a monitoring incident, linked to it", Tag: "desk",
			Role: auth.Operator, Query: []Param{inc}, Response: desk.Ticket{}, Status: 201, Handle: a.ticketFromIncident},
		{Method: "POST", Path: "/api/v1/incidents/{id}/resolve-tickets", Summary: "Resolve every open ticket linked to an incident with one public note", Tag: "desk",
			Role: auth.Operator, Query: []Param{inc}, Request: ResolveTickets{}, Response: ResolvedTickets{}, Status: 200, Handle: a.resolveIncidentTickets},
		{Method: "GET", Path: "/api/v1/services/{name}/desk-report", Summary: "A service's desk figures: opened, resolved, within SLA, mean times in business time, backlog and its age", Tag: "desk",
			Role: auth.Viewer, Query: []Param{{Name: "name", In: "path", Description: "the service's name"},
				{Name: "period", In: "query", Description: "month (default), week, quarter or 30d: the current one, in the service's calendar zone"},
				{Name: "from", In: "query", Description: "RFC 3339 start, with to instead of period"},
				{Name: "to", In: "query", Description: "RFC 3339 end"}},
			Response: desk.Report{}, Status: 200, Handle: a.deskReport},
		{Method: "GET", Path: "/api/v1/desk/setup", Summary: "The desk's queues, SLA policies and priority matrix (from the config file)", Tag: "desk",
			Role: auth.Viewer, Response: DeskSetup{}, Status: 200, Handle: a.deskSetup},
	}
}

func (a *API) desk() (*desk.Store, error) {
	if a.deps.Desk == nil {
		return nil, newProblem(http.StatusNotFound, "the service desk is not available on this server")
	}
	return a.deps.Desk, nil
}

// adminOnly refuses an import field to callers below admin.
func adminOnly(r *http.Request, field string, set bool) error {
	if !set {
		return nil
	}
	if p, ok := PrincipalFrom(r.Context()); ok && p.Role.Allows(auth.Admin) {
		return nil
	}
	return fmt.Errorf("%s: only an admin may set the time of an imported change: %w", field, apperr.ErrForbidden)
}

func (a *API) ticketTarget(r *http.Request) (*desk.Store, int64, error) {
	s, err := a.desk()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r, "id")
	return s, id, err
}

func (a *API) createTicket(w http.ResponseWriter, r *http.Request) error {
	return writeStep(whole(a.desk), http.StatusCreated, func(t desk.Ticket) string { return "/api/v1/tickets/" + strconv.FormatInt(t.ID, 10) },
		func(r *http.Request, s *desk.Store, in desk.Input) (desk.Ticket, error) {
			if err := adminOnly(r, "opened_at", in.OpenedAt != nil); err != nil {
				return desk.Ticket{}, err
			}
			return s.Create(r.Context(), actor(r), in)
		})(w, r)
}

func (a *API) listTickets(w http.ResponseWriter, r *http.Request) error {
	s, err := a.desk()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := desk.Filter{Queue: q.Get("queue"), Status: q.Get("status"), Service: q.Get("service"), Assignee: q.Get("assignee"), Requester: q.Get("requester")}
	if v := q.Get("priority"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			return badParam("priority", "must be a whole number from 1 to 5, got %q", v)
		}
		f.Priority = n
	}
	if v := q.Get("breached"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badParam("breached", "must be true or false, got %q", v)
		}
		f.Breached = &b
	}
	items, next, err := s.List(r.Context(), f, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(items, next))
	return nil
}

func (a *API) getTicket(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.ticketTarget(r)
	if err != nil {
		return err
	}
	d, err := s.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) patchTicket(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.ticketTarget(r)
	if err != nil {
		return err
	}
	var p desk.Patch
	if err := decodeJSON(w, r, &p); err != nil {
		return err
	}
	if err := adminOnly(r, "at", p.At != nil); err != nil {
		return err
	}
	t, err := s.Update(r.Context(), actor(r), id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) addTicketComment(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.ticketTarget(r)
	if err != nil {
		return err
	}
	var in desk.CommentInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := adminOnly(r, "at", in.At != nil); err != nil {
		return err
	}
	c, t, err := s.AddComment(r.Context(), actor(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, CommentAnswer{Comment: c, Ticket: t})
	return nil
}

func (a *API) setTicketStatus(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.ticketTarget(r)
	if err != nil {
		return err
	}
	var in desk.StatusInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := adminOnly(r, "at", in.At != nil); err != nil {
		return err
	}
	t, err := s.SetStatus(r.Context(), actor(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) addTicketLink(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.ticketTarget(r)
	if err != nil {
		return err
	}
	var in desk.LinkInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.AddLink(r.Context(), actor(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (a *API) listTicketAttachments(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.ticketTarget(r)
	if err != nil {
		return err
	}
	d, err := s.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d.Attachments)
	return nil
}

func (a *API) addTicketAttachment(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.ticketTarget(r)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, desk.MaxAttachment+1))
	if err != nil {
		return err
	}
	at, err := s.AddAttachment(r.Context(), actor(r), id, r.URL.Query().Get("filename"), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, at)
	return nil
}

func (a *API) getTicketAttachment(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.ticketTarget(r)
	if err != nil {
		return err
	}
	aid, err := pathID(r, "attachment")
	if err != nil {
		return err
	}
	at, err := s.Attachment(r.Context(), id, aid)
	if err != nil {
		return err
	}
	desk.ServeAttachment(w, at)
	return nil
}

func (a *API) ticketFromIncident(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.ticketTarget(r)
	if err != nil {
		return err
	}
	t, err := s.FromIncident(r.Context(), actor(r), id, r.URL.Query().Get("queue"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (a *API) resolveIncidentTickets(w http.ResponseWriter, r *http.Request) error {
	s, id, err := a.ticketTarget(r)
	if err != nil {
		return err
	}
	var in ResolveTickets
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Note == "" {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "note", Msg: "is required: it is the public note every ticket gets"}}}
	}
	done, err := s.ResolveLinked(r.Context(), actor(r), id, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ResolvedTickets{IncidentID: id, Resolved: done})
	return nil
}

func (a *API) deskReport(w http.ResponseWriter, r *http.Request) error {
	s, err := a.desk()
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	svc, err := a.deps.Catalog.GetService(r.Context(), name)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var from, to time.Time
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return badParam(p.name, "expected an RFC 3339 time such as 2026-11-01T00:00:00Z, got %q", v)
			}
			*p.dst = t
		}
	}
	switch {
	case q.Get("period") != "" && (!from.IsZero() || !to.IsZero()):
		return badParam("period", "give either period or from and to, not both")
	case from.IsZero() != to.IsZero():
		return badParam("to", "give both from and to, or neither")
	case !from.IsZero() && !to.After(from):
		return badParam("to", "must be after from")
	case from.IsZero():
		period, err := availability.ParsePeriod(q.Get("period"))
		if err != nil {
			return badParam("period", "%v", err)
		}
		loc := time.UTC
		if svc.Objective != nil && svc.Objective.Hours != "" {
			if c, err := a.deps.Catalog.GetCalendar(r.Context(), svc.Objective.Hours); err == nil {
				if l, err := time.LoadLocation(c.Timezone); err == nil {
					loc = l
				}
			}
		}
		from, to = period.Bounds(s.Now(), loc)
	}
	rep, err := s.Report(r.Context(), name, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (a *API) deskSetup(w http.ResponseWriter, r *http.Request) error {
	s, err := a.desk()
	if err != nil {
		return err
	}
	cfg := s.Config()
	out := DeskSetup{Queues: cfg.Queues, SLAPolicies: []desk.Policy{}, PriorityMatrix: map[string][]int{}}
	for _, p := range cfg.Policies {
		out.SLAPolicies = append(out.SLAPolicies, p.Policy)
	}
	for _, impact := range desk.Levels {
		for _, urgency := range desk.Levels {
			out.PriorityMatrix[impact] = append(out.PriorityMatrix[impact], cfg.Matrix.Priority(impact, urgency))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
