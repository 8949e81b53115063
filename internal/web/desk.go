package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/feedback"
)

// The service desk's pages: the agent's queue, the ticket page and the
// desk's setup (read from the config file). Every change goes through
// desk.Store as the API's do.

// queuePageSize is how many tickets the queue shows.
const queuePageSize = 100

// queuePage is the data of the agent's queue.
type queuePage struct {
	formProblems
	Tickets []queueRow
	Total   int
	Filter  desk.Filter
	Queues  []option
	// Done says how many tickets a bulk assignment changed.
	Done string
}

func (p *queuePage) template() string  { return "desk_queue.html" }
func (p *queuePage) pageTitle() string { return "Ticket queue" }
func (p *queuePage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		p.add(f.Path, capitalise(f.Path), f.Msg, f.Path == "assignee")
	}
}

// queueRow is one ticket with the clock the queue shows: the running one
// due first (first response before it is given, else resolution).
type queueRow struct {
	desk.Ticket
	Clock *desk.Figures
	What  string
	// State is "breached", "at-risk" (75 % of the target used) or "".
	State string
}

// nearest picks the clock an agent has to beat next.
func nearest(t desk.Ticket) (*desk.Figures, string) {
	fr, res := t.SLA.FirstResponse, t.SLA.Resolution
	switch {
	case fr != nil && fr.StoppedAt == nil && (res == nil || fr.Breached || res.StoppedAt != nil || fr.RemainingSeconds <= res.RemainingSeconds):
		return fr, "first response"
	case res != nil:
		return res, "resolution"
	}
	return nil, ""
}

func queueRows(ts []desk.Ticket) []queueRow {
	out := make([]queueRow, len(ts))
	for i, t := range ts {
		f, what := nearest(t)
		row := queueRow{Ticket: t, Clock: f, What: what}
		switch {
		case f != nil && f.Breached:
			row.State = "breached"
		case f != nil && f.Fraction() >= 0.75:
			row.State = "at-risk"
		}
		out[i] = row
	}
	return out
}

// TotalText is the count of matching tickets, "more than 10000" beyond
// the count's cap.
func (p *queuePage) TotalText() string {
	if p.Total > desk.QueueCountCap {
		return "more than " + strconv.Itoa(desk.QueueCountCap)
	}
	return strconv.Itoa(p.Total)
}

// Left formats a clock's remaining business time ("2h 30m", "−45m").
func (p *queuePage) Left(f *desk.Figures) string { return formatLeft(f) }

func formatLeft(f *desk.Figures) string {
	if f == nil {
		return "—"
	}
	return businessTime(f.RemainingSeconds)
}

// businessTime formats whole seconds of business time ("7h30m", "−45m").
func businessTime(s int64) string {
	return availability.FormatSeconds(availability.Seconds(time.Duration(s) * time.Second))
}

func (u *UI) deskStore() (*desk.Store, error) {
	if u.deps.Desk == nil {
		return nil, errPageNotFound
	}
	return u.deps.Desk, nil
}

func (u *UI) loadQueue(r *http.Request) (*queuePage, error) {
	s, err := u.deskStore()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	p := &queuePage{Filter: desk.Filter{Queue: q.Get("queue"), Assignee: q.Get("assignee"), Service: q.Get("service"), Status: q.Get("status")}}
	if v := q.Get("priority"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			return nil, errBadRequest("The priority is a number from 1 to 5, not " + strconv.Quote(v) + ".")
		}
		p.Filter.Priority = n
	}
	p.Queues = []option{{Value: "", Label: "Every queue", Selected: p.Filter.Queue == ""}}
	for _, qu := range s.Config().Queues {
		p.Queues = append(p.Queues, option{Value: qu.Name, Label: qu.Name, Selected: qu.Name == p.Filter.Queue})
	}
	ts, total, err := s.Queue(r.Context(), p.Filter, queuePageSize)
	if err != nil {
		if isInvalid(err) {
			return nil, errBadRequest(capitalise(err.Error()) + ".")
		}
		return nil, err
	}
	p.Tickets, p.Total = queueRows(ts), total
	return p, nil
}

func (u *UI) showQueue(w http.ResponseWriter, r *http.Request) error {
	p, err := u.loadQueue(r)
	if err != nil {
		return err
	}
	if d := r.URL.Query().Get("assigned"); d != "" {
		if _, err := strconv.Atoi(d); err == nil {
			p.Done = d
		}
	}
	u.render(w, r, http.StatusOK, "desk_queue.html", "Ticket queue", p)
	return nil
}

// bulkAssign assigns the ticked tickets to one person, each in its own
// change, and comes back to the queue with its filters.
func (u *UI) bulkAssign(w http.ResponseWriter, r *http.Request) error {
	p, err := u.loadQueue(r)
	if err != nil {
		return err
	}
	assignee := strings.TrimSpace(r.PostFormValue("assignee"))
	var ids []int64
	for _, v := range r.PostForm["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			return &formError{err: &apperr.Invalid{Fields: []apperr.Field{{Path: "id", Msg: "there is no ticket " + strconv.Quote(v)}}}, form: p}
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return &formError{err: &apperr.Invalid{Fields: []apperr.Field{{Path: "id", Msg: "tick the tickets to assign first"}}}, form: p}
	}
	for _, id := range ids {
		if _, err := u.deps.Desk.Update(r.Context(), principal(r).Actor(), id, desk.Patch{Assignee: &assignee}); err != nil {
			return &formError{err: err, form: p}
		}
	}
	v := r.URL.Query()
	v.Set("assigned", strconv.Itoa(len(ids)))
	http.Redirect(w, r, "/desk?"+v.Encode(), http.StatusSeeOther)
	return nil
}

// ticketPage is the data of a ticket's page.
type ticketPage struct {
	formProblems
	T        desk.Detail
	Statuses []option
	Done     string
	// Body and Public keep a refused comment; MoveTo, Reason, ThirdParty
	// and Note a refused move; LinkKind and LinkTarget a refused link.
	Body                             string
	Public                           bool
	MoveTo, Reason, ThirdParty, Note string
	LinkKind, LinkTarget             string
	// Survey is the ticket's satisfaction survey once it is resolved.
	Survey *feedback.Survey
}

func (p *ticketPage) template() string  { return "desk_ticket.html" }
func (p *ticketPage) pageTitle() string { return ticketTitle(p.T.Ticket) }
func (p *ticketPage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		p.add(f.Path, capitalise(strings.ReplaceAll(f.Path, "_", " ")), f.Msg, ticketFields[f.Path])
	}
}

// ticketFields are the inputs of the ticket page's forms, which its
// problems link to.
var ticketFields = map[string]bool{"body": true, "status": true, "reason": true, "third_party": true, "note": true,
	"assignee": true, "file": true, "kind": true, "target_id": true}

// MoveOptions are the statuses the ticket may move to, the refused one
// picked.
func (p *ticketPage) MoveOptions() []option { return options(p.Moves(), p.MoveTo, "") }

// ReasonOptions are the reasons a ticket waits.
func (p *ticketPage) ReasonOptions() []option {
	return []option{{Value: desk.WaitRequester, Label: "the requester", Selected: p.Reason != desk.WaitThirdParty},
		{Value: desk.WaitThirdParty, Label: "a third party", Selected: p.Reason == desk.WaitThirdParty}}
}

// LinkOptions are the kinds of link, an incident first.
func (p *ticketPage) LinkOptions() []option {
	labels := map[string]string{desk.LinkIncident: "to incident", desk.LinkParent: "child of ticket (its parent)", desk.LinkChild: "parent of ticket (its child)", desk.LinkDuplicate: "duplicate of ticket"}
	var out []option
	for _, k := range desk.LinkKinds {
		out = append(out, option{Value: k, Label: labels[k], Selected: k == p.LinkKind})
	}
	return out
}

// MaxAttachmentMiB is the attachment size limit as the form says it.
func (p *ticketPage) MaxAttachmentMiB() int { return desk.MaxAttachment >> 20 }

func ticketTitle(t desk.Ticket) string { return "#" + strconv.FormatInt(t.ID, 10) + " " + t.Title }

// Left formats a clock's remaining business time.
func (p *ticketPage) Left(f *desk.Figures) string { return formatLeft(f) }

// Seconds formats business seconds.
func (p *ticketPage) Seconds(s int64) string {
	return availability.FormatSeconds(availability.Seconds(s))
}

// namedClock is one SLA clock with its name, for the page's table.
type namedClock struct {
	Name string
	F    *desk.Figures
}

// Clocks lists the ticket's clocks that have a target.
func (p *ticketPage) Clocks() []namedClock {
	return []namedClock{{"First response", p.T.SLA.FirstResponse}, {"Resolution", p.T.SLA.Resolution}}
}

// Moves lists the statuses the ticket may move to.
func (p *ticketPage) Moves() []string {
	var out []string
	for _, s := range desk.Statuses {
		if desk.CanMove(p.T.Status, s) {
			out = append(out, s)
		}
	}
	return out
}

// AttachmentURL is where an attachment downloads.
func (p *ticketPage) AttachmentURL(a desk.Attachment) string {
	return "/desk/tickets/" + strconv.FormatInt(p.T.ID, 10) + "/attachments/" + strconv.FormatInt(a.ID, 10)
}

func (u *UI) loadTicket(r *http.Request) (*ticketPage, error) {
	s, err := u.deskStore()
	if err != nil {
		return nil, err
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return nil, err
	}
	d, err := s.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return &ticketPage{T: d}, nil
}

func ticketURL(id int64) string { return "/desk/tickets/" + strconv.FormatInt(id, 10) }

func (u *UI) showTicket(w http.ResponseWriter, r *http.Request) error {
	p, err := u.loadTicket(r)
	if err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "comment", "status", "assigned", "opened", "created", "attached", "linked":
		p.Done = d
	}
	if p.Survey, err = u.surveyOf(r, p.T.ID); err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "desk_ticket.html", p.pageTitle(), p)
	return nil
}

// ticketAction runs a change and goes back to the ticket; a refused change
// draws the page again with the reason.
func (u *UI) ticketAction(w http.ResponseWriter, r *http.Request, done string, act func(p *ticketPage, actor string) error) error {
	p, err := u.loadTicket(r)
	if err != nil {
		return err
	}
	if err := act(p, principal(r).Actor()); err != nil {
		if !isInvalid(err) && !errors.Is(err, apperr.ErrConflict) {
			return err
		}
		return &formError{err: err, form: p}
	}
	http.Redirect(w, r, ticketURL(p.T.ID)+"?done="+done, http.StatusSeeOther)
	return nil
}

func (u *UI) commentTicket(w http.ResponseWriter, r *http.Request) error {
	body := strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n")
	public := r.PostFormValue("public") == "on"
	return u.ticketAction(w, r, "comment", func(p *ticketPage, actor string) error {
		p.Body, p.Public = body, public
		_, _, err := u.deps.Desk.AddComment(r.Context(), actor, p.T.ID, desk.CommentInput{Body: body, Public: public})
		return err
	})
}

func (u *UI) moveTicket(w http.ResponseWriter, r *http.Request) error {
	in := desk.StatusInput{Status: r.PostFormValue("status"), Reason: r.PostFormValue("reason"), ThirdParty: r.PostFormValue("third_party"),
		Note: strings.ReplaceAll(r.PostFormValue("note"), "\r\n", "\n")}
	kept := in
	if in.Status != desk.StatusWaiting {
		in.Reason, in.ThirdParty = "", ""
	} else if in.Reason != desk.WaitThirdParty {
		in.ThirdParty = ""
	}
	return u.ticketAction(w, r, "status", func(p *ticketPage, actor string) error {
		p.MoveTo, p.Reason, p.ThirdParty, p.Note = kept.Status, kept.Reason, kept.ThirdParty, kept.Note
		_, err := u.deps.Desk.SetStatus(r.Context(), actor, p.T.ID, in)
		return err
	})
}

func (u *UI) assignTicket(w http.ResponseWriter, r *http.Request) error {
	assignee := strings.TrimSpace(r.PostFormValue("assignee"))
	return u.ticketAction(w, r, "assigned", func(p *ticketPage, actor string) error {
		_, err := u.deps.Desk.Update(r.Context(), actor, p.T.ID, desk.Patch{Assignee: &assignee})
		return err
	})
}

func (u *UI) downloadTicketAttachment(w http.ResponseWriter, r *http.Request) error {
	s, err := u.deskStore()
	if err != nil {
		return err
	}
	id, err := postmortemID(r, "id")
	if err != nil {
		return err
	}
	aid, err := postmortemID(r, "attachment")
	if err != nil {
		return err
	}
	a, err := s.Attachment(r.Context(), id, aid)
	if err != nil {
		return err
	}
	desk.ServeAttachment(w, a)
	return nil
}

// ticketFromIncident opens (or finds) the ticket of a monitoring incident.
func (u *UI) ticketFromIncident(w http.ResponseWriter, r *http.Request) error {
	s, err := u.deskStore()
	if err != nil {
		return err
	}
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	if ids, err := s.TicketsOfIncident(r.Context(), id); err == nil && len(ids) > 0 {
		http.Redirect(w, r, ticketURL(ids[0]), http.StatusSeeOther)
		return nil
	}
	t, err := s.FromIncident(r.Context(), principal(r).Actor(), id, "")
	if err != nil {
		return err
	}
	http.Redirect(w, r, ticketURL(t.ID)+"?done=opened", http.StatusSeeOther)
	return nil
}

// deskSetupPage shows the queues, SLA policies and priority matrix.
type deskSetupPage struct {
	Queues   []desk.Queue
	Policies []desk.CompiledPolicy
	Matrix   [][]int
	Levels   []string
}

func (u *UI) showDeskSetup(w http.ResponseWriter, r *http.Request) error {
	s, err := u.deskStore()
	if err != nil {
		return err
	}
	cfg := s.Config()
	p := deskSetupPage{Queues: cfg.Queues, Policies: cfg.Policies, Levels: desk.Levels}
	for _, impact := range desk.Levels {
		var row []int
		for _, urgency := range desk.Levels {
			row = append(row, cfg.Matrix.Priority(impact, urgency))
		}
		p.Matrix = append(p.Matrix, row)
	}
	u.render(w, r, http.StatusOK, "desk_setup.html", "Queues and SLA policies", p)
	return nil
}

// deskTiles are the dashboard's desk figures.
type deskTiles struct {
	Open, Breached, Unassigned int
}

// loadDeskTiles counts the active tickets, the breached ones and those
// nobody has taken; nil without a desk.
func (u *UI) loadDeskTiles(r *http.Request) *deskTiles {
	if u.deps.Desk == nil {
		return nil
	}
	var t deskTiles
	yes := true
	var err error
	count := func(f desk.Filter) int {
		if err != nil {
			return 0
		}
		var n int
		_, n, err = u.deps.Desk.Queue(r.Context(), f, 0)
		return n
	}
	t.Open = count(desk.Filter{})
	t.Breached = count(desk.Filter{Breached: &yes})
	t.Unassigned = count(desk.Filter{Unassigned: true})
	if err != nil {
		u.log.ErrorContext(r.Context(), "web: desk tiles", "err", err)
		return nil
	}
	return &t
}
