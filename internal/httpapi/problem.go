package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/store"
)

// Problem is an RFC 9457 problem-details answer. Errors lists each bad
// field with a JSON Pointer into the request (or, for a config file, the
// line and column).
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one bad input field.
type ProblemField struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
}

// Error lets a Problem travel as an error from a handler.
func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// StatusClientClosed is the status recorded (in metrics and the request
// log) for a request its client canceled before the answer: not a server
// fault, so it is neither a 5xx nor logged as an error.
const StatusClientClosed = 499

// The problem types Sextant answers with, besides about:blank.
const (
	TypeValidation = "urn:sextant:problem:validation"
	TypeConfig     = "urn:sextant:problem:config"
)

func newProblem(status int, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

// badRequest is a 400 about one field.
func badRequest(pointer, format string, args ...any) *Problem {
	p := newProblem(http.StatusBadRequest, "the request has an invalid field")
	p.Type = TypeValidation
	p.Errors = []ProblemField{{Pointer: pointer, Detail: fmt.Sprintf(format, args...)}}
	return p
}

// badParam is a 400 about one query parameter.
func badParam(name, format string, args ...any) *Problem {
	p := newProblem(http.StatusBadRequest, "the request has an invalid parameter")
	p.Type = TypeValidation
	p.Errors = []ProblemField{{Parameter: name, Detail: fmt.Sprintf(format, args...)}}
	return p
}

// toProblem maps any error a handler returns to the answer the user sees.
// Only errors of the kinds in apperr (and a few known others) carry their
// text to the user; anything else is logged and answered with a bare 500.
func toProblem(err error, log *slog.Logger, r *http.Request) *Problem {
	var p *Problem
	var inv *apperr.Invalid
	var cfg *config.Problems
	var tooBig *http.MaxBytesError
	var body *bodyProblems
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &body):
		p = newProblem(http.StatusBadRequest, "the request has invalid fields")
		if len(body.fields) == 1 {
			p.Detail = "the request has an invalid field"
		}
		p.Type, p.Errors = TypeValidation, body.fields
		return p
	case errors.As(err, &inv):
		p = newProblem(http.StatusBadRequest, "the request has invalid fields")
		p.Type = TypeValidation
		if len(inv.Fields) == 1 {
			p.Detail = "the request has an invalid field"
		}
		for _, f := range inv.Fields {
			p.Errors = append(p.Errors, ProblemField{Pointer: apperr.Pointer(f.Path), Detail: f.Msg})
		}
		return p
	case errors.As(err, &cfg):
		p = newProblem(http.StatusUnprocessableEntity, "the config file has problems; the running config was kept")
		p.Type = TypeConfig
		for _, e := range cfg.Errors {
			p.Errors = append(p.Errors, ProblemField{Pointer: apperr.Pointer(e.Path), Detail: e.Msg, Line: e.Line, Column: e.Column})
		}
		return p
	case errors.As(err, &tooBig):
		return newProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit))
	case errors.Is(err, apperr.ErrNotFound):
		return newProblem(http.StatusNotFound, err.Error())
	case errors.Is(err, apperr.ErrConflict):
		return newProblem(http.StatusConflict, err.Error())
	case errors.Is(err, apperr.ErrForbidden):
		return newProblem(http.StatusForbidden, err.Error())
	case errors.Is(err, store.ErrBadCursor):
		return badParam("cursor", "%v", err)
	case errors.Is(err, auth.ErrUnauthenticated):
		return newProblem(http.StatusUnauthorized, err.Error())
	case errors.Is(err, auth.ErrBadCredentials):
		return newProblem(http.StatusUnauthorized, err.Error())
	case errors.Is(err, auth.ErrRateLimited):
		return newProblem(http.StatusTooManyRequests, err.Error())
	}
	if apperr.ClientGone(r.Context(), err) {
		// The client went away: no server fault, and nobody reads the answer.
		log.DebugContext(r.Context(), "request canceled by the client", "method", r.Method, "path", r.URL.Path)
		return &Problem{Type: "about:blank", Title: "Client Closed Request", Status: StatusClientClosed, Detail: "the request was canceled"}
	}
	log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return newProblem(http.StatusInternalServerError, "an internal error occurred; it has been logged")
}

// writeProblem sends p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sextant"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON sends v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// MaxBody is the largest request body the API reads.
const MaxBody = 1 << 20

// decodeJSON reads a request body strictly into v, reporting every problem
// at once: syntax, unknown fields (at their full pointer), duplicate keys,
// values of the wrong type, strings holding a NUL byte or invalid UTF-8,
// and trailing data. A body with problems is a *bodyProblems holding the
// value as far as it decoded; the route wrapper adds what the body's
// validator finds and answers one 400. A wrong content type is a 415 and a
// body over MaxBody a 413.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasSuffix(strings.SplitN(ct, ";", 2)[0], "+json") {
		return &Problem{Type: "about:blank", Title: http.StatusText(http.StatusUnsupportedMediaType), Status: http.StatusUnsupportedMediaType, Detail: "send the body as application/json"}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return badRequest("", "the body could not be read")
	}
	if problems := decodeValue(data, v); len(problems) > 0 {
		return &bodyProblems{value: v, fields: problems}
	}
	return nil
}

// mergeProblems adds to a body's decoding problems those its validator
// finds in what did decode. A validator's problem at (or under) a pointer
// that already has one is left out: that field was left empty because it
// did not decode, and "is required" beside "expected a number" is noise.
func mergeProblems(decoded []ProblemField, validated error) []ProblemField {
	var inv *apperr.Invalid
	if !errors.As(validated, &inv) {
		return decoded
	}
	out := decoded
	for _, f := range inv.Fields {
		ptr := apperr.Pointer(f.Path)
		covered := false
		for _, d := range decoded {
			if d.Pointer == ptr || strings.HasPrefix(ptr, d.Pointer+"/") {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, ProblemField{Pointer: ptr, Detail: f.Msg})
		}
	}
	return out
}

func typeName(kind string) string {
	switch kind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	}
	return kind
}
