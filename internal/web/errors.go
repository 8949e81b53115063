package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/store"
)

// handlerFunc is a UI handler: it writes a page, or returns an error that
// fail turns into one.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// statusError is an error whose message is meant for the user and whose
// status the error page uses: a refused CSRF token, a wrong role, a bad
// page link.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

func errForbidden(msg string) error {
	return &statusError{status: http.StatusForbidden, msg: msg}
}

func errBadRequest(msg string) error {
	return &statusError{status: http.StatusBadRequest, msg: msg}
}

var errPageNotFound = &statusError{status: http.StatusNotFound, msg: "There is no page at this address."}

// formError carries a form to render again when the store refuses its
// input, so that fail can show each problem next to its field while
// keeping what the user typed.
type formError struct {
	err  error
	form formView
}

func (e *formError) Error() string { return e.err.Error() }
func (e *formError) Unwrap() error { return e.err }

// formView is a form page that can show problems: its template and data.
type formView interface {
	template() string
	setProblems(fields []apperr.Field)
	pageTitle() string
}

// errorPage is the data of the error template.
type errorPage struct {
	Status  int
	Heading string
	Message string
	Fields  []apperr.Field
}

// fail maps an error to a page: not found → 404, conflict → 409 with the
// store's message, invalid input → the form again with the problems (or a
// 400 listing them when there is no form), and anything else → a 500 whose
// text stays in the log.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		inv  *apperr.Invalid
		fe   *formError
		se   *statusError
		page = errorPage{Status: http.StatusInternalServerError, Heading: "Something went wrong",
			Message: "The server could not complete this request. The problem has been logged; try again, and tell your administrator if it persists."}
	)
	switch {
	case errors.As(err, &fe) && errors.As(err, &inv):
		fe.form.setProblems(inv.Fields)
		u.render(w, r, http.StatusUnprocessableEntity, fe.form.template(), fe.form.pageTitle(), fe.form)
		return
	case errors.As(err, &fe) && errors.Is(err, apperr.ErrConflict):
		fe.form.setProblems([]apperr.Field{{Msg: userMessage(err, apperr.ErrConflict)}})
		u.render(w, r, http.StatusConflict, fe.form.template(), fe.form.pageTitle(), fe.form)
		return
	case errors.As(err, &inv):
		page = errorPage{Status: http.StatusBadRequest, Heading: "The input has problems", Fields: inv.Fields}
	case errors.As(err, &se):
		page = errorPage{Status: se.status, Heading: http.StatusText(se.status), Message: se.msg}
		if se.status == http.StatusNotFound {
			page.Heading = "Page not found"
		}
	case errors.Is(err, apperr.ErrNotFound):
		page = errorPage{Status: http.StatusNotFound, Heading: "Not found", Message: capitalise(userMessage(err, apperr.ErrNotFound)) + " does not exist."}
	case errors.Is(err, apperr.ErrConflict):
		page = errorPage{Status: http.StatusConflict, Heading: "That cannot be done now", Message: capitalise(userMessage(err, apperr.ErrConflict)) + "."}
	case errors.Is(err, apperr.ErrForbidden):
		page = errorPage{Status: http.StatusForbidden, Heading: "Not allowed", Message: capitalise(userMessage(err, apperr.ErrForbidden)) + "."}
	case errors.Is(err, store.ErrBadCursor):
		page = errorPage{Status: http.StatusBadRequest, Heading: "Bad page link", Message: "This page link is not valid any more; start again from the first page."}
	case apperr.ClientGone(r.Context(), err):
		// Nobody reads the page; the client's leaving is no server fault.
		u.log.DebugContext(r.Context(), "web request canceled by the client", "method", r.Method, "path", r.URL.Path)
	default:
		u.log.ErrorContext(r.Context(), "web request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	u.render(w, r, page.Status, "error.html", page.Heading, page)
}

// userMessage strips the kind's own word from a domain error: "service
// \"x\": not found" becomes "service \"x\"".
func userMessage(err, kind error) string {
	msg := err.Error()
	msg = strings.TrimSuffix(msg, ": "+kind.Error())
	return msg
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
