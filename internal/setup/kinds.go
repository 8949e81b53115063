package setup

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/secret"
	"github.com/sextant-ops/sextant/internal/status"
)

// Person is someone who can be paged, as the API and the UI read and write
// them: escalation.Person with its incoming-webhook URLs as plain strings,
// so that a read can show them as SetMarker.
type Person struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	Timezone    string `json:"timezone,omitempty"`
	Email       string `json:"email,omitempty"`
	Slack       string `json:"slack,omitempty"`
	Teams       string `json:"teams,omitempty"`
	Webhook     string `json:"webhook,omitempty"`
	Ntfy        string `json:"ntfy,omitempty"`
}

// Config is the person as the on-call directory builds them.
func (p Person) Config() escalation.Person {
	return escalation.Person{Name: p.Name, DisplayName: p.DisplayName, Timezone: p.Timezone, Email: p.Email,
		Slack: secret.New(p.Slack), Teams: secret.New(p.Teams), Webhook: secret.New(p.Webhook), Ntfy: p.Ntfy}
}

// PersonOf is the API form of a person, secrets included: call Redacted
// before showing it.
func PersonOf(p escalation.Person) Person {
	return Person{Name: p.Name, DisplayName: p.DisplayName, Timezone: p.Timezone, Email: p.Email,
		Slack: p.Slack.Reveal(), Teams: p.Teams.Reveal(), Webhook: p.Webhook.Reveal(), Ntfy: p.Ntfy}
}

// secrets are the person's secret contact methods, for Redacted and keep.
func (p *Person) secrets() []*string { return []*string{&p.Slack, &p.Teams, &p.Webhook} }

// Redacted is p with each webhook URL that is set shown as SetMarker.
func (p Person) Redacted() Person {
	for _, s := range p.secrets() {
		if *s != "" {
			*s = SetMarker
		}
	}
	return p
}

// keep completes an update from the stored person: a URL sent as
// SetMarker keeps its stored value.
func (p Person) keep(old Person) Person {
	olds := old.secrets()
	for i, s := range p.secrets() {
		if *s == SetMarker {
			*s = *olds[i]
		}
	}
	return p
}

// The kinds kept through the generic paths below.
const (
	KindPerson     = "person"
	KindSchedule   = "schedule"
	KindStatusPage = "status_page"
)

// kind describes one kind of object for the generic paths: where its list
// sits in Objects, the config file's key of that list, its name, and how
// its secrets are shown and kept.
type kind[T any] struct {
	id, key string
	list    func(o *Objects) *[]T
	name    func(T) string
	// redact and keep are nil for a kind without secrets.
	redact func(T) T
	keep   func(x, old T) T
}

var (
	personKind = kind[Person]{id: KindPerson, key: "users",
		list: func(o *Objects) *[]Person { return &o.People }, name: func(p Person) string { return p.Name },
		redact: Person.Redacted, keep: Person.keep}
	scheduleKind = kind[oncall.Schedule]{id: KindSchedule, key: "schedules",
		list: func(o *Objects) *[]oncall.Schedule { return &o.Schedules }, name: func(s oncall.Schedule) string { return s.Name }}
	statusPageKind = kind[status.Page]{id: KindStatusPage, key: "status_pages",
		list: func(o *Objects) *[]status.Page { return &o.Pages }, name: func(p status.Page) string { return p.Name }}
)

// anyKind is a kind with its object type hidden, for the store's loops
// over every kind.
type anyKind interface {
	kindID() string
	listKey() string
	has(o Objects, name string) bool
	spec(o Objects, name string) (stored, shown any, ok bool)
	names(o Objects) []string
	decode(o *Objects, spec []byte) error
	merge(out *Objects, file, api Objects)
}

// genericKinds are the kinds kept through the generic paths, in the
// order the store walks them.
var genericKinds = []anyKind{personKind, scheduleKind, statusPageKind}

// genericKind finds a generic kind by its id.
func genericKind(id string) (anyKind, bool) {
	i := slices.IndexFunc(genericKinds, func(k anyKind) bool { return k.kindID() == id })
	if i < 0 {
		return nil, false
	}
	return genericKinds[i], true
}

func (k kind[T]) kindID() string  { return k.id }
func (k kind[T]) listKey() string { return k.key }

// find is the object of o named name and its index, -1 when o has none.
func (k kind[T]) find(o Objects, name string) (T, int) {
	l := *k.list(&o)
	if i := slices.IndexFunc(l, func(x T) bool { return k.name(x) == name }); i >= 0 {
		return l[i], i
	}
	var zero T
	return zero, -1
}

func (k kind[T]) has(o Objects, name string) bool {
	_, i := k.find(o, name)
	return i >= 0
}

// shown is x fit to be shown to anyone.
func (k kind[T]) shown(x T) T {
	if k.redact == nil {
		return x
	}
	return k.redact(x)
}

func (k kind[T]) spec(o Objects, name string) (stored, shown any, ok bool) {
	x, i := k.find(o, name)
	if i < 0 {
		return nil, nil, false
	}
	return x, k.shown(x), true
}

func (k kind[T]) names(o Objects) []string {
	var out []string
	for _, x := range *k.list(&o) {
		out = append(out, k.name(x))
	}
	return out
}

func (k kind[T]) decode(o *Objects, spec []byte) error {
	var x T
	if err := json.Unmarshal(spec, &x); err != nil {
		return err
	}
	l := k.list(o)
	*l = append(*l, x)
	return nil
}

// merge sets out's list to the file's objects followed by the stored ones
// whose names the file does not declare.
func (k kind[T]) merge(out *Objects, file, api Objects) {
	l := k.list(out)
	*l = slices.Clone(*k.list(&file))
	for _, x := range *k.list(&api) {
		if !k.has(file, k.name(x)) {
			*l = append(*l, x)
		}
	}
}

// completed is x with the secrets it sends as SetMarker taken from the
// stored object of its name in o.
func (k kind[T]) completed(o Objects, x T) T {
	if old, i := k.find(o, k.name(x)); i >= 0 && k.keep != nil {
		return k.keep(x, old)
	}
	return x
}

// entries lists every object of kind k, the file's and the stored ones,
// by name, each wrapped with where it comes from.
func entries[T, E any](ctx context.Context, m *Manager, k kind[T], wrap func(T, Entry) E) ([]E, error) {
	env, api, err := m.view(ctx)
	if err != nil {
		return nil, err
	}
	merged := Merge(env.File, api)
	list := sortedBy(slices.Clone(*k.list(&merged)), k.name)
	out := make([]E, 0, len(list))
	for _, x := range list {
		out = append(out, wrap(k.shown(x), entry(env, api, k.id, k.name(x))))
	}
	return out, nil
}

// lookup finds one object of kind k.
func lookup[T, E any](ctx context.Context, m *Manager, k kind[T], wrap func(T, Entry) E, name string) (E, error) {
	env, api, err := m.view(ctx)
	var zero E
	if err != nil {
		return zero, err
	}
	x, i := k.find(Merge(env.File, api), name)
	if i < 0 {
		return zero, apperr.NotFound("%s %q", kindWord(k.id), name)
	}
	return wrap(k.shown(x), entry(env, api, k.id, name)), nil
}

// put creates or replaces a stored object of kind k through the one write
// path, and answers it as a read shows it.
func put[T, E any](ctx context.Context, m *Manager, k kind[T], wrap func(T, Entry) E, actor string, x T, op Op) (E, error) {
	var zero E
	name := k.name(x)
	if err := requireName(name); err != nil {
		return zero, err
	}
	err := m.write(ctx, actor, k.id, name, op, func(o *Objects) error {
		l := k.list(o)
		*l = replaceOrAdd(*l, k.completed(*o, x), k.name)
		return nil
	})
	if err != nil {
		return zero, err
	}
	return lookup(ctx, m, k, wrap, name)
}

// check reports the problems put would find with x, without writing.
func check[T any](ctx context.Context, m *Manager, k kind[T], x T) error {
	name := k.name(x)
	if err := requireName(name); err != nil {
		return err
	}
	env, api, err := m.view(ctx)
	if err != nil {
		return err
	}
	l := k.list(&api)
	*l = replaceOrAdd(*l, k.completed(api, x), k.name)
	return judge(env, api, k.id, name)
}

// remove deletes a stored object of kind k that nothing refers to.
func remove[T any](ctx context.Context, m *Manager, k kind[T], actor, name string) error {
	return m.write(ctx, actor, k.id, name, Remove, func(o *Objects) error {
		l := k.list(o)
		*l = slices.DeleteFunc(*l, func(x T) bool { return k.name(x) == name })
		return nil
	})
}

// PersonEntry is a person, their webhook URLs shown as SetMarker.
type PersonEntry struct {
	Person
	Entry
}

// ScheduleEntry is an on-call schedule.
type ScheduleEntry struct {
	oncall.Schedule
	Entry
}

// StatusPageEntry is a public status page.
type StatusPageEntry struct {
	status.Page
	Entry
}

func personEntry(p Person, e Entry) PersonEntry              { return PersonEntry{p, e} }
func scheduleEntry(s oncall.Schedule, e Entry) ScheduleEntry { return ScheduleEntry{s, e} }
func statusPageEntry(p status.Page, e Entry) StatusPageEntry { return StatusPageEntry{p, e} }

// People lists everyone who can be paged, the file's and those made here,
// by name.
func (m *Manager) People(ctx context.Context) ([]PersonEntry, error) {
	return entries(ctx, m, personKind, personEntry)
}

// GetPerson finds one person.
func (m *Manager) GetPerson(ctx context.Context, name string) (PersonEntry, error) {
	return lookup(ctx, m, personKind, personEntry, name)
}

// PutPerson creates or replaces a stored person; a webhook URL sent as
// SetMarker keeps its stored value.
func (m *Manager) PutPerson(ctx context.Context, actor string, p Person, op Op) (PersonEntry, error) {
	return put(ctx, m, personKind, personEntry, actor, p, op)
}

// ValidatePerson reports the problems PutPerson would find.
func (m *Manager) ValidatePerson(ctx context.Context, p Person) error {
	return check(ctx, m, personKind, p)
}

// DeletePerson removes a stored person no schedule or policy names.
func (m *Manager) DeletePerson(ctx context.Context, actor, name string) error {
	return remove(ctx, m, personKind, actor, name)
}

// Schedules lists every on-call schedule by name.
func (m *Manager) Schedules(ctx context.Context) ([]ScheduleEntry, error) {
	return entries(ctx, m, scheduleKind, scheduleEntry)
}

// GetSchedule finds one schedule.
func (m *Manager) GetSchedule(ctx context.Context, name string) (ScheduleEntry, error) {
	return lookup(ctx, m, scheduleKind, scheduleEntry, name)
}

// PutSchedule creates or replaces a stored schedule.
func (m *Manager) PutSchedule(ctx context.Context, actor string, s oncall.Schedule, op Op) (ScheduleEntry, error) {
	return put(ctx, m, scheduleKind, scheduleEntry, actor, s, op)
}

// ValidateSchedule reports the problems PutSchedule would find.
func (m *Manager) ValidateSchedule(ctx context.Context, s oncall.Schedule) error {
	return check(ctx, m, scheduleKind, s)
}

// DeleteSchedule removes a stored schedule no policy names.
func (m *Manager) DeleteSchedule(ctx context.Context, actor, name string) error {
	return remove(ctx, m, scheduleKind, actor, name)
}

// StatusPages lists every status page by name.
func (m *Manager) StatusPages(ctx context.Context) ([]StatusPageEntry, error) {
	return entries(ctx, m, statusPageKind, statusPageEntry)
}

// GetStatusPage finds one status page.
func (m *Manager) GetStatusPage(ctx context.Context, name string) (StatusPageEntry, error) {
	return lookup(ctx, m, statusPageKind, statusPageEntry, name)
}

// PutStatusPage creates or replaces a stored status page.
func (m *Manager) PutStatusPage(ctx context.Context, actor string, p status.Page, op Op) (StatusPageEntry, error) {
	return put(ctx, m, statusPageKind, statusPageEntry, actor, p, op)
}

// ValidateStatusPage reports the problems PutStatusPage would find.
func (m *Manager) ValidateStatusPage(ctx context.Context, p status.Page) error {
	return check(ctx, m, statusPageKind, p)
}

// DeleteStatusPage removes a stored status page.
func (m *Manager) DeleteStatusPage(ctx context.Context, actor, name string) error {
	return remove(ctx, m, statusPageKind, actor, name)
}

// PreviewDays is how far ahead a schedule's preview looks.
const PreviewDays = 14

// PreviewSchedule is who would be on call under s over the PreviewDays
// from from, judged as PutSchedule would judge it but not written: the
// stored overrides of the schedule are not laid over it.
func (m *Manager) PreviewSchedule(ctx context.Context, s oncall.Schedule, from time.Time) ([]oncall.Shift, error) {
	if err := m.ValidateSchedule(ctx, s); err != nil {
		return nil, err
	}
	c, err := oncall.Compile(s)
	if err != nil {
		return nil, err
	}
	return c.Shifts(from, from.AddDate(0, 0, PreviewDays)), nil
}
