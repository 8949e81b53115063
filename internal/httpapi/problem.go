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
	switch {
	case errors.As(err, &p):
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

// decodeJSON reads a request body strictly into v: an unknown field, a
// wrong type, bad syntax or trailing data is a 400 naming the field.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasSuffix(strings.SplitN(ct, ";", 2)[0], "+json") {
		return &Problem{Type: "about:blank", Title: http.StatusText(http.StatusUnsupportedMediaType), Status: http.StatusUnsupportedMediaType, Detail: "send the body as application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return badRequest("", "the body must hold a single JSON value")
	}
	return nil
}

func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.Is(err, io.EOF):
		return badRequest("", "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "the body ends in the middle of a JSON value")
	case errors.As(err, &syn):
		return badRequest("", "invalid JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest("", "expected a JSON %s, got %s", typeName(typ.Type.Kind().String()), typ.Value)
		}
		return badRequest(apperr.Pointer(field), "expected %s, got %s", typeName(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest("/"+name, "unknown field %q", name)
	}
	return badRequest("", "invalid JSON: %v", err)
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
