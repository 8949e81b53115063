package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/setup"
)

// setupForm is the editor of a channel, an integration or an escalation
// policy: what the user typed, by input name (the store's paths:
// "smtp.host", "levels[0].delay"), and the problems found with it. The
// three kinds share it, with one template each.
type setupForm struct {
	Create bool
	Action string
	Cancel string
	Title  string
	Name   string
	// V holds every input's value by name.
	V map[string]string
	// Rows are the indexes of the repeated rows (a policy's levels).
	Rows []int
	// Preview is who would be on call under a schedule form, when asked.
	Preview *schedulePreview
	// Services and Policies are suggestions for an integration's inputs.
	Services, Policies []string

	tmpl   string
	noun   string // "channel", for problems of the whole object
	labels map[string]string
	formProblems
}

func (f *setupForm) template() string  { return f.tmpl }
func (f *setupForm) pageTitle() string { return f.Title }

// Checked reports whether the checkbox name is ticked.
func (f *setupForm) Checked(name string) bool { return f.V[name] == "on" }

// Choices are the options of a select named name, the current value
// selected; "" is shown as "(default)".
func (f *setupForm) Choices(name string, values ...string) []option {
	out := make([]option, 0, len(values))
	for _, v := range values {
		label := v
		if v == "" {
			label = "(default)"
		}
		out = append(out, option{Value: v, Label: label, Selected: f.V[name] == v})
	}
	return out
}

var trailingIndex = regexp.MustCompile(`\[\d+\]$`)

// inputFor is the input a problem's path belongs to: the path itself, or
// the nearest input holding it ("to[1]" is the recipients' textarea,
// "levels[0].notify[2]" the level's targets, "layers[0].restrict[1].from"
// the layer's hours).
func (f *setupForm) inputFor(path string) string {
	for p := path; p != ""; p = p[:max(strings.LastIndexAny(p, ".["), 0)] {
		if _, ok := f.labels[p]; ok {
			return p
		}
	}
	return path
}

// setProblems files each problem under its input and builds the summary.
func (f *setupForm) setProblems(fields []apperr.Field) {
	f.reset()
	for _, p := range fields {
		in := f.inputFor(p.Path)
		label, known := f.labels[in]
		if !known {
			label = in
			if label == "" {
				label = "This " + f.noun
			}
		}
		if in == "name" && !f.Create {
			known = false
		}
		f.add(in, label, p.Msg, known)
	}
}

// save is the one path of every setup form: problems found while reading
// the form are shown together with those the store's validator finds in
// the rest; otherwise write stores the object, and done answers (by
// default a redirect to the object's page).
func (u *UI) saveSetup(w http.ResponseWriter, r *http.Request, f *setupForm, parsed []apperr.Field, validate func(ctx context.Context) error,
	write func(ctx context.Context) (string, error), done func(name string) error) error {
	if len(parsed) > 0 {
		return withValidation(&formError{err: &apperr.Invalid{Fields: parsed}, form: f}, func() error { return validate(r.Context()) })
	}
	name, err := write(r.Context())
	if err != nil {
		return &formError{err: err, form: f}
	}
	return done(name)
}

// redirectSaved sends the browser to an object's page with a "Saved" note.
func redirectSaved(w http.ResponseWriter, r *http.Request, base string) func(name string) error {
	return func(name string) error {
		http.Redirect(w, r, base+"/"+url.PathEscape(name)+"?saved=1", http.StatusSeeOther)
		return nil
	}
}

// formValues reads the named inputs of a submitted form, trimmed.
func formValues(r *http.Request, names ...string) map[string]string {
	v := map[string]string{}
	for _, n := range names {
		v[n] = strings.TrimSpace(r.PostForm.Get(n))
	}
	return v
}

// setupKind is what the shared delete pages need of a kind.
type setupKind struct {
	kind, label, plural, base string
	entry                     func(ctx context.Context, m *setup.Manager, name string) (setup.Entry, error)
	remove                    func(ctx context.Context, m *setup.Manager, actor, name string) error
}

var (
	channelKind = setupKind{kind: setup.KindChannel, label: "channel", plural: "Channels", base: "/channels",
		entry: func(ctx context.Context, m *setup.Manager, name string) (setup.Entry, error) {
			e, err := m.GetChannel(ctx, name)
			return e.Entry, err
		},
		remove: func(ctx context.Context, m *setup.Manager, actor, name string) error {
			return m.DeleteChannel(ctx, actor, name)
		}}
	integrationKind = setupKind{kind: setup.KindIntegration, label: "integration", plural: "Integrations", base: "/integrations",
		entry: func(ctx context.Context, m *setup.Manager, name string) (setup.Entry, error) {
			e, err := m.GetIntegration(ctx, name)
			return e.Entry, err
		},
		remove: func(ctx context.Context, m *setup.Manager, actor, name string) error {
			return m.DeleteIntegration(ctx, actor, name)
		}}
	policyKind = setupKind{kind: setup.KindPolicy, label: "escalation policy", plural: "Escalation policies", base: "/escalation-policies",
		entry: func(ctx context.Context, m *setup.Manager, name string) (setup.Entry, error) {
			e, err := m.GetPolicy(ctx, name)
			return e.Entry, err
		},
		remove: func(ctx context.Context, m *setup.Manager, actor, name string) error {
			return m.DeletePolicy(ctx, actor, name)
		}}
)

// setupDeletePage confirms the deletion of a channel, an integration or a
// policy.
type setupDeletePage struct {
	Label, Plural, Name, Base string
	setup.Entry
	// Problem is why the deletion was refused, when it was.
	Problem string
}

// setupManager is the setup manager, or a 404 when the UI runs without.
func (u *UI) setupManager() (*setup.Manager, error) {
	if u.deps.Setup == nil {
		return nil, errPageNotFound
	}
	return u.deps.Setup, nil
}

// confirmDeleteSetup shows the confirmation page of a deletion.
func (u *UI) confirmDeleteSetup(k setupKind) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		m, err := u.setupManager()
		if err != nil {
			return err
		}
		e, err := k.entry(r.Context(), m, r.PathValue("name"))
		if err != nil {
			return err
		}
		p := setupDeletePage{Label: k.label, Plural: k.plural, Name: r.PathValue("name"), Base: k.base, Entry: e}
		u.render(w, r, http.StatusOK, "setup_delete.html", "Delete "+k.label+" "+p.Name, p)
		return nil
	}
}

// deleteSetup deletes, or shows the confirmation page again with why not
// (a channel a policy uses, an object the config file declares).
func (u *UI) deleteSetup(k setupKind) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		m, err := u.setupManager()
		if err != nil {
			return err
		}
		name := r.PathValue("name")
		err = k.remove(r.Context(), m, principal(r).Actor(), name)
		if errors.Is(err, apperr.ErrConflict) {
			e, gerr := k.entry(r.Context(), m, name)
			if gerr != nil {
				return gerr
			}
			p := setupDeletePage{Label: k.label, Plural: k.plural, Name: name, Base: k.base, Entry: e, Problem: capitalise(userMessage(err, apperr.ErrConflict)) + "."}
			u.render(w, r, http.StatusConflict, "setup_delete.html", "Delete "+k.label+" "+name, p)
			return nil
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, k.base+"?deleted="+url.QueryEscape(name), http.StatusSeeOther)
		return nil
	}
}
