// Package apperr holds the few kinds of error every domain package returns
// and the HTTP layer turns into answers: not found, conflict, forbidden and
// invalid input that names its fields. Domain packages wrap the kinds with
// their own words ("service \"payroll\": not found"); those words are meant
// for the user. Any other error is internal and its text stays in the log.
package apperr

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// The kinds of error a user may be told about.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("forbidden")
)

// NotFound says that the named object does not exist.
func NotFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNotFound)
}

// Conflict says that the request clashes with the stored state, e.g. a name
// already taken or an object still in use.
func Conflict(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrConflict)
}

// Field is one problem with one input field. Path uses dots and [i]
// ("objective.availability", "depends_on[0].service"), the way the YAML
// config and the JSON body both spell it.
type Field struct {
	Path string
	Msg  string
}

// Invalid is bad input: one or more fields and why each is wrong.
type Invalid struct {
	Fields []Field
}

// Error lists every field problem on its own line.
func (e *Invalid) Error() string {
	var b strings.Builder
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		if f.Path != "" {
			b.WriteString(f.Path)
			b.WriteString(": ")
		}
		b.WriteString(f.Msg)
	}
	return b.String()
}

// Add records a problem at path.
func (e *Invalid) Add(path, format string, args ...any) {
	e.Fields = append(e.Fields, Field{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Err returns e when it holds any problem, and nil otherwise, so that a
// validator can collect into an Invalid and return inv.Err().
func (e *Invalid) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Merge adds to the problems found while parsing an input those its
// validator found in the parts that did parse, and returns them together.
// A validator's problem at (or under) a path that already has one is left
// out: that field was left empty because it did not parse, and "is
// required" beside "must be a number" is noise. An error from the
// validator that is not an Invalid (the store could not be read) leaves
// the parsing problems alone.
func Merge(parsed []Field, validated error) *Invalid {
	out := &Invalid{Fields: slices.Clone(parsed)}
	var inv *Invalid
	if !errors.As(validated, &inv) {
		return out
	}
	for _, f := range inv.Fields {
		if !slices.ContainsFunc(parsed, func(p Field) bool { return covers(p.Path, f.Path) }) {
			out.Fields = append(out.Fields, f)
		}
	}
	return out
}

// covers says whether path lies at or under prefix ("objective" covers
// "objective.hours"; "depends_on[1]" covers "depends_on[1].kind").
func covers(prefix, path string) bool {
	if prefix == "" || path == prefix {
		return path == prefix
	}
	rest, ok := strings.CutPrefix(path, prefix)
	return ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "["))
}

// Prefixed returns the problems with prefix joined before each path, for a
// validator that checks a part of a larger document.
func Prefixed(prefix string, fields []Field) []Field {
	out := make([]Field, len(fields))
	for i, f := range fields {
		out[i] = Field{Path: Join(prefix, f.Path), Msg: f.Msg}
	}
	return out
}

// Join appends a path element: Join("services[0]", "name") is
// "services[0].name", Join("a", "[2]") is "a[2]".
func Join(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	default:
		return prefix + "." + path
	}
}

// Pointer turns a path such as "depends_on[0].service" into the JSON Pointer
// "/depends_on/0/service" used in problem details.
func Pointer(path string) string {
	if path == "" {
		return ""
	}
	var b strings.Builder
	for _, part := range strings.Split(strings.ReplaceAll(path, "[", ".["), ".") {
		if part == "" {
			continue
		}
		part = strings.TrimSuffix(strings.TrimPrefix(part, "["), "]")
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~", "~0"), "/", "~1")
		b.WriteByte('/')
		b.WriteString(part)
	}
	return b.String()
}

// BadText says what makes s unfit to be stored as text, or "" when nothing
// does. PostgreSQL text cannot hold a NUL byte and both engines expect
// UTF-8, so input that breaks either rule is refused at the edge, naming
// the field, rather than failing in the database as an internal error.
func BadText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return "holds a NUL byte"
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	return ""
}

// ClientGone says whether err only reports that ctx, a request's context,
// was canceled: its client went away, which is no fault of the server's
// and so is not logged as an error.
func ClientGone(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) && ctx.Err() != nil
}
