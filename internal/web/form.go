package web

import (
	"errors"
	"net/http"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// withValidation completes the problems of a form that did not parse
// whole — a number that is not one — with those validate finds in the
// fields that did parse, so that the form shows every mistake at once,
// each by its input. validate must only check, never write. Any other
// error passes through.
func withValidation(parsed error, validate func() error) error {
	var fe *formError
	var inv *apperr.Invalid
	if !errors.As(parsed, &fe) || !errors.As(parsed, &inv) {
		return parsed
	}
	return &formError{err: apperr.Merge(inv.Fields, validate()), form: fe.form}
}

// saveForm finishes a form whose fields have been read: when any did not
// parse (inv holds why), the page again with those problems and what
// validate finds in the rest; otherwise save, a refusal shown on the page
// with its problems, and on success a redirect to next.
func saveForm(w http.ResponseWriter, r *http.Request, page formView, inv *apperr.Invalid, validate, save func() error, next string) error {
	if len(inv.Fields) > 0 {
		return withValidation(&formError{err: inv, form: page}, validate)
	}
	if err := save(); err != nil {
		if !isInvalid(err) {
			return err
		}
		return &formError{err: err, form: page}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// formProblems is what every form page carries besides its values: the
// problems filed under each input, and the summary listed above the form
// with links to the inputs.
type formProblems struct {
	problems map[string][]string
	Summary  []problemItem
}

// reset forgets earlier problems.
func (f *formProblems) reset() {
	f.problems = map[string][]string{}
	f.Summary = nil
}

// add files a problem under the input at path and in the summary; linked
// says the form has an element for path to link to.
func (f *formProblems) add(path, label, msg string, linked bool) {
	if f.problems == nil {
		f.problems = map[string][]string{}
	}
	f.problems[path] = append(f.problems[path], msg)
	item := problemItem{Label: label, Msg: msg}
	if linked {
		item.Href = "#" + fieldID(path)
	}
	f.Summary = append(f.Summary, item)
}

// Problems returns the problems at path (a row or a list as a whole).
func (f *formProblems) Problems(path string) []string { return f.problems[path] }

// Field describes the input at path for the template.
func (f *formProblems) Field(path, label, value, hint string) field {
	return field{Name: path, ID: fieldID(path), Label: label, Value: value, Hint: hint, Problems: f.problems[path]}
}

// Select describes a select at path with the given choices.
func (f *formProblems) Select(path, label, value, hint string, opts []option) field {
	fl := f.Field(path, label, value, hint)
	fl.Options = opts
	return fl
}
