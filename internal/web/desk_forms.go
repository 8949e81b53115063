package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/desk"
)

// The desk's forms: opening a ticket, attaching a file and linking a
// ticket. They change tickets through desk.Store as the API does, and a
// refused form is drawn again with each problem at its field.

// newTicketPage is the form that opens a ticket.
type newTicketPage struct {
	formProblems
	In                                          desk.Input
	Types, Services, Queues, Impacts, Urgencies []option
}

func (p *newTicketPage) template() string  { return "desk_new.html" }
func (p *newTicketPage) pageTitle() string { return "Open a ticket" }
func (p *newTicketPage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		p.add(f.Path, capitalise(f.Path), f.Msg, f.Path != "")
	}
}

// options builds a select's choices with value picked; blank, when set, is
// the label of an empty first choice.
func options(values []string, value, blank string) []option {
	var out []option
	if blank != "" {
		out = append(out, option{Value: "", Label: blank, Selected: value == ""})
	}
	for _, v := range values {
		out = append(out, option{Value: v, Label: v, Selected: v == value})
	}
	return out
}

func (u *UI) newTicketForm(r *http.Request, in desk.Input) (*newTicketPage, error) {
	s, err := u.deskStore()
	if err != nil {
		return nil, err
	}
	cat, err := u.deps.Catalog.Load(r.Context())
	if err != nil {
		return nil, err
	}
	var services, queues []string
	for _, svc := range cat.Services {
		services = append(services, svc.Name)
	}
	for _, q := range s.Config().Queues {
		queues = append(queues, q.Name)
	}
	if in.Type == "" {
		in.Type = desk.TypeIncident
	}
	if in.Queue == "" {
		in.Queue = queues[0]
	}
	return &newTicketPage{In: in, Types: options(desk.Types, in.Type, ""), Services: options(services, in.Service, "no service"),
		Queues: options(queues, in.Queue, ""), Impacts: options(desk.Levels, in.Impact, "from the service's tier"),
		Urgencies: options(desk.Levels, in.Urgency, "medium")}, nil
}

func (u *UI) showNewTicket(w http.ResponseWriter, r *http.Request) error {
	p, err := u.newTicketForm(r, desk.Input{Service: r.URL.Query().Get("service")})
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, p.template(), p.pageTitle(), p)
	return nil
}

func (u *UI) createTicket(w http.ResponseWriter, r *http.Request) error {
	in := desk.Input{Type: r.PostFormValue("type"), Title: strings.TrimSpace(r.PostFormValue("title")),
		Description: strings.ReplaceAll(r.PostFormValue("description"), "\r\n", "\n"), Service: r.PostFormValue("service"),
		Requester: strings.TrimSpace(r.PostFormValue("requester")), Queue: r.PostFormValue("queue"),
		Impact: r.PostFormValue("impact"), Urgency: r.PostFormValue("urgency")}
	p, err := u.newTicketForm(r, in)
	if err != nil {
		return err
	}
	t, err := u.deps.Desk.Create(r.Context(), principal(r).Actor(), in)
	if err != nil {
		if isInvalid(err) {
			return &formError{err: err, form: p}
		}
		return err
	}
	http.Redirect(w, r, ticketURL(t.ID)+"?done=created", http.StatusSeeOther)
	return nil
}

// uploadSlack is what a form's fields and multipart framing may add to
// the file it uploads.
const uploadSlack = 1 << 20

// limitUpload refuses, before anything reads it, a request whose body is
// larger than a file of max bytes could make, and caps the body at that;
// a file just over max still reaches the form, which says by how much.
func (u *UI) limitUpload(max int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max+uploadSlack {
			u.fail(w, r, &statusError{status: http.StatusRequestEntityTooLarge,
				msg: fmt.Sprintf("The file is too large: a ticket keeps files of at most %d MiB. Go back and choose a smaller one.", max>>20)})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max+uploadSlack)
		// Parsed here, the form's security token is found by the session
		// check like any form's; what does not fit in memory waits in
		// temporary files, removed when the request ends.
		// A body that is no upload at all is left to the session and role
		// checks, which refuse it as they refuse any form they should.
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
			h.ServeHTTP(w, r)
			return
		}
		if err := r.ParseMultipartForm(uploadSlack); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				u.fail(w, r, &statusError{status: http.StatusRequestEntityTooLarge,
					msg: fmt.Sprintf("The file is too large: a ticket keeps files of at most %d MiB. Go back and choose a smaller one.", max>>20)})
				return
			}
			u.fail(w, r, errBadRequest("The upload could not be read: "+err.Error()))
			return
		}
		defer func() { _ = r.MultipartForm.RemoveAll() }()
		h.ServeHTTP(w, r)
	})
}

// attachTicket keeps an uploaded file with the ticket; its type is sniffed
// from the bytes and it is only ever served as a download.
func (u *UI) attachTicket(w http.ResponseWriter, r *http.Request) error {
	return u.ticketAction(w, r, "attached", func(p *ticketPage, actor string) error {
		f, hdr, err := r.FormFile("file")
		if errors.Is(err, http.ErrMissingFile) {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "file", Msg: "choose a file to attach"}}}
		}
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, desk.MaxAttachment+1))
		if err != nil {
			return err
		}
		_, err = u.deps.Desk.AddAttachment(r.Context(), actor, p.T.ID, hdr.Filename, data)
		var inv *apperr.Invalid
		if errors.As(err, &inv) {
			// The store names the API's request body and file name; the
			// form has one file input.
			for i := range inv.Fields {
				inv.Fields[i].Path = "file"
			}
		}
		return err
	})
}

// linkTicket links the ticket to an incident or another ticket.
func (u *UI) linkTicket(w http.ResponseWriter, r *http.Request) error {
	kind := r.PostFormValue("kind")
	raw := strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("target_id")), "#")
	return u.ticketAction(w, r, "linked", func(p *ticketPage, actor string) error {
		p.LinkKind, p.LinkTarget = kind, raw
		target, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return &apperr.Invalid{Fields: []apperr.Field{{Path: "target_id", Msg: fmt.Sprintf("%q is not a number (write the id, e.g. 42)", raw)}}}
		}
		_, err = u.deps.Desk.AddLink(r.Context(), actor, p.T.ID, desk.LinkInput{Kind: kind, TargetID: target})
		return err
	})
}
