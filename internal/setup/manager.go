package setup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/notify"
)

// Manager is what the API and the UI use: the merged view of the file's
// objects and the stored ones, and the writes that validate, store, audit
// and apply them.
type Manager struct {
	Store *Store
	// Env describes the running config file and the names objects may
	// refer to.
	Env func(ctx context.Context) (Env, error)
	// Apply makes the running server use the stored objects, as a reload
	// does: channels rebuilt, the engine and the escalation worker
	// reconfigured. It is called after every write.
	Apply func(ctx context.Context) error
	// Channel returns a running channel by name, for a test send.
	Channel func(name string) (notify.Channel, bool)
	Now     func() time.Time
}

// Entry is what the list and detail views show beside an object: where it
// comes from and, for a stored one, when it last changed.
type Entry struct {
	Source string `json:"source"`
	// DeclaredIn names the config file of a file object, which is
	// read-only in the UI and API.
	DeclaredIn string     `json:"declared_in,omitempty"`
	UpdatedAt  *time.Time `json:"updated_at,omitempty"`
}

// ReadOnly reports whether the object comes from the config file.
func (e Entry) ReadOnly() bool { return e.Source == SourceFile }

// ChannelEntry is a channel, its secrets shown as SetMarker.
type ChannelEntry struct {
	Channel
	Entry
}

// IntegrationEntry is an integration, its key shown as SetMarker.
type IntegrationEntry struct {
	Integration
	Entry
}

// PolicyEntry is an escalation policy.
type PolicyEntry struct {
	incident.EscalationPolicy
	Entry
}

// view loads the running file's objects and the stored ones.
func (m *Manager) view(ctx context.Context) (Env, Objects, error) {
	env, err := m.Env(ctx)
	if err != nil {
		return env, Objects{}, err
	}
	api, err := m.Store.Load(ctx)
	return env, api, err
}

// entry says where the object of kind named name comes from.
func entry(env Env, api Objects, kind, name string) Entry {
	if env.File.has(kind, name) {
		return Entry{Source: SourceFile, DeclaredIn: env.filePath()}
	}
	e := Entry{Source: SourceAPI}
	if at, ok := api.Updated[Key(kind, name)]; ok {
		e.UpdatedAt = &at
	}
	return e
}

// sortedBy sorts entries by name.
func sortedBy[T any](items []T, name func(T) string) []T {
	slices.SortFunc(items, func(a, b T) int {
		switch x, y := name(a), name(b); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return items
}

// Channels lists every channel, the file's and the stored ones, by name.
func (m *Manager) Channels(ctx context.Context) ([]ChannelEntry, error) {
	env, api, err := m.view(ctx)
	if err != nil {
		return nil, err
	}
	var out []ChannelEntry
	for _, c := range Merge(env.File, api).Channels {
		out = append(out, ChannelEntry{Channel: c.Redacted(), Entry: entry(env, api, KindChannel, c.Name)})
	}
	return sortedBy(out, func(c ChannelEntry) string { return c.Name }), nil
}

// GetChannel finds one channel.
func (m *Manager) GetChannel(ctx context.Context, name string) (ChannelEntry, error) {
	list, err := m.Channels(ctx)
	if err != nil {
		return ChannelEntry{}, err
	}
	if i := slices.IndexFunc(list, func(c ChannelEntry) bool { return c.Name == name }); i >= 0 {
		return list[i], nil
	}
	return ChannelEntry{}, apperr.NotFound("channel %q", name)
}

// Integrations lists every integration by name.
func (m *Manager) Integrations(ctx context.Context) ([]IntegrationEntry, error) {
	env, api, err := m.view(ctx)
	if err != nil {
		return nil, err
	}
	var out []IntegrationEntry
	for _, in := range Merge(env.File, api).Integrations {
		out = append(out, IntegrationEntry{Integration: in.Redacted(), Entry: entry(env, api, KindIntegration, in.Name)})
	}
	return sortedBy(out, func(i IntegrationEntry) string { return i.Name }), nil
}

// GetIntegration finds one integration.
func (m *Manager) GetIntegration(ctx context.Context, name string) (IntegrationEntry, error) {
	list, err := m.Integrations(ctx)
	if err != nil {
		return IntegrationEntry{}, err
	}
	if i := slices.IndexFunc(list, func(x IntegrationEntry) bool { return x.Name == name }); i >= 0 {
		return list[i], nil
	}
	return IntegrationEntry{}, apperr.NotFound("integration %q", name)
}

// Policies lists every escalation policy by name.
func (m *Manager) Policies(ctx context.Context) ([]PolicyEntry, error) {
	env, api, err := m.view(ctx)
	if err != nil {
		return nil, err
	}
	var out []PolicyEntry
	for _, p := range Merge(env.File, api).Policies {
		out = append(out, PolicyEntry{EscalationPolicy: p, Entry: entry(env, api, KindPolicy, p.Name)})
	}
	return sortedBy(out, func(p PolicyEntry) string { return p.Name }), nil
}

// GetPolicy finds one escalation policy.
func (m *Manager) GetPolicy(ctx context.Context, name string) (PolicyEntry, error) {
	list, err := m.Policies(ctx)
	if err != nil {
		return PolicyEntry{}, err
	}
	if i := slices.IndexFunc(list, func(x PolicyEntry) bool { return x.Name == name }); i >= 0 {
		return list[i], nil
	}
	return PolicyEntry{}, apperr.NotFound("escalation policy %q", name)
}

// Op is what a write does to its object.
type Op int

// The write operations: create a new object, replace an existing one,
// remove one.
const (
	Create Op = iota
	Replace
	Remove
)

// write is the one path of every change: the file's objects are
// read-only, create needs a free name and replace and remove an existing
// object, remove refuses an object still referred to, and the result is
// validated as a whole, stored, audited and applied.
func (m *Manager) write(ctx context.Context, actor, kind, name string, op Op, edit func(o *Objects) error) error {
	env, err := m.Env(ctx)
	if err != nil {
		return err
	}
	if env.File.has(kind, name) {
		if op == Create {
			return apperr.Conflict("%s %q is declared in %s; change it there", kindWord(kind), name, env.filePath())
		}
		return fmt.Errorf("%s %q is declared in %s and read-only here; change it there: %w", kindWord(kind), name, env.filePath(), apperr.ErrForbidden)
	}
	err = m.Store.Change(ctx, actor, kind, name, func(o *Objects) error {
		switch exists := o.has(kind, name); {
		case op == Create && exists:
			return apperr.Conflict("%s %q already exists", kindWord(kind), name)
		case op != Create && !exists:
			return apperr.NotFound("%s %q", kindWord(kind), name)
		}
		return edit(o)
	}, func(o Objects) error {
		if op == Remove {
			if users := usedBy(env, Merge(env.File, o), kind, name); len(users) > 0 {
				return apperr.Conflict("%s %q is used by %s; change or remove those first", kindWord(kind), name, joinNames(users))
			}
		}
		return judge(env, o, kind, name)
	})
	if err != nil {
		return err
	}
	return m.Apply(ctx)
}

// joinNames lists names for a message: "a", "a and b", "a, b and c".
func joinNames(names []string) string {
	switch len(names) {
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	out := ""
	for i, n := range names[:len(names)-1] {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out + " and " + names[len(names)-1]
}

// requireName refuses an object without a name before anything is read.
func requireName(name string) error {
	if name == "" {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "name", Msg: "is required"}}}
	}
	return nil
}

// replaceOrAdd puts x in list in place of the item named name, or at its
// end.
func replaceOrAdd[T any](list []T, x T, name func(T) string) []T {
	if i := slices.IndexFunc(list, func(y T) bool { return name(y) == name(x) }); i >= 0 {
		list[i] = x
		return list
	}
	return append(list, x)
}

// PutChannel creates or replaces a stored channel. A secret sent as
// SetMarker keeps its stored value.
func (m *Manager) PutChannel(ctx context.Context, actor string, c Channel, op Op) (ChannelEntry, error) {
	if err := requireName(c.Name); err != nil {
		return ChannelEntry{}, err
	}
	err := m.write(ctx, actor, KindChannel, c.Name, op, func(o *Objects) error {
		if i := slices.IndexFunc(o.Channels, func(x Channel) bool { return x.Name == c.Name }); i >= 0 {
			c = c.keep(o.Channels[i])
		}
		o.Channels = replaceOrAdd(o.Channels, c, func(x Channel) string { return x.Name })
		return nil
	})
	if err != nil {
		return ChannelEntry{}, err
	}
	return m.GetChannel(ctx, c.Name)
}

// ValidateChannel reports the problems PutChannel would find with c,
// without writing: the API and the UI ask it about the fields that did
// parse when others did not.
func (m *Manager) ValidateChannel(ctx context.Context, c Channel) error {
	if err := requireName(c.Name); err != nil {
		return err
	}
	env, api, err := m.view(ctx)
	if err != nil {
		return err
	}
	if i := slices.IndexFunc(api.Channels, func(x Channel) bool { return x.Name == c.Name }); i >= 0 {
		c = c.keep(api.Channels[i])
	}
	api.Channels = replaceOrAdd(api.Channels, c, func(x Channel) string { return x.Name })
	return judge(env, api, KindChannel, c.Name)
}

// DeleteChannel removes a stored channel no policy uses.
func (m *Manager) DeleteChannel(ctx context.Context, actor, name string) error {
	return m.write(ctx, actor, KindChannel, name, Remove, func(o *Objects) error {
		o.Channels = slices.DeleteFunc(o.Channels, func(x Channel) bool { return x.Name == name })
		return nil
	})
}

// TestResult is the receiver's answer to a test send.
type TestResult struct {
	Channel string `json:"channel"`
	// OK is true when the receiver accepted the message.
	OK bool `json:"ok"`
	// Status and Answer are the receiver's HTTP status and the start of
	// its answer (HTTP channels); Error says why the send failed.
	Status int    `json:"status,omitempty"`
	Answer string `json:"answer,omitempty"`
	Error  string `json:"error,omitempty"`
}

// TestChannel sends a test message through the running channel, under
// the outbound policy it was built with, and reports what the receiver
// answered. A failed send is a result, not an error: the person sending
// the test wants the reason.
func (m *Manager) TestChannel(ctx context.Context, actor, name, url string) (TestResult, error) {
	// Only declared channels: the running set also holds the channels
	// that reach each person, which are not this page's to test.
	if _, err := m.GetChannel(ctx, name); err != nil {
		return TestResult{}, err
	}
	ch, ok := m.Channel(name)
	if !ok {
		return TestResult{}, apperr.NotFound("channel %q is not running yet", name)
	}
	now := time.Now()
	if m.Now != nil {
		now = m.Now()
	}
	var rc notify.Receipt
	err := ch.Send(notify.WithReceipt(ctx, &rc), notify.TestMessage(actor, url, now))
	res := TestResult{Channel: name, OK: err == nil, Status: rc.Status, Answer: rc.Answer}
	if err != nil {
		res.Error = err.Error()
	}
	if res.OK && res.Answer == "" && res.Status == 0 {
		res.Answer = "accepted"
	}
	return res, nil
}

// newKey generates an integration key: 32 hexadecimal digits (128 random
// bits), the shape of a PagerDuty routing key, which some PagerDuty client
// libraries check before sending.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// keyRefused is the problem of a key sent in a body.
var keyRefused = apperr.Field{Path: "key", Msg: "is generated by Sextant: leave it out (or send " + SetMarker + "), and rotate the key to replace it"}

// checkKey refuses an integration body that carries a key of its own.
func checkKey(in Integration) error {
	if in.Key != "" && in.Key != SetMarker {
		return &apperr.Invalid{Fields: []apperr.Field{keyRefused}}
	}
	return nil
}

// CreateIntegration stores a new integration with a generated key, and
// returns the key: it is shown this once.
func (m *Manager) CreateIntegration(ctx context.Context, actor string, in Integration) (IntegrationEntry, string, error) {
	if err := errors.Join(requireName(in.Name), checkKey(in)); err != nil {
		return IntegrationEntry{}, "", mergeInvalid(err)
	}
	in.Key = newKey()
	err := m.write(ctx, actor, KindIntegration, in.Name, Create, func(o *Objects) error {
		o.Integrations = append(o.Integrations, in)
		return nil
	})
	if err != nil {
		return IntegrationEntry{}, "", err
	}
	e, err := m.GetIntegration(ctx, in.Name)
	return e, in.Key, err
}

// ReplaceIntegration changes a stored integration, keeping its key.
func (m *Manager) ReplaceIntegration(ctx context.Context, actor string, in Integration) (IntegrationEntry, error) {
	if err := errors.Join(requireName(in.Name), checkKey(in)); err != nil {
		return IntegrationEntry{}, mergeInvalid(err)
	}
	err := m.write(ctx, actor, KindIntegration, in.Name, Replace, func(o *Objects) error {
		i := slices.IndexFunc(o.Integrations, func(x Integration) bool { return x.Name == in.Name })
		in.Key = o.Integrations[i].Key
		o.Integrations[i] = in
		return nil
	})
	if err != nil {
		return IntegrationEntry{}, err
	}
	return m.GetIntegration(ctx, in.Name)
}

// ValidateIntegration reports the problems a write of in would find,
// without writing.
func (m *Manager) ValidateIntegration(ctx context.Context, in Integration) error {
	if err := errors.Join(requireName(in.Name), checkKey(in)); err != nil {
		return mergeInvalid(err)
	}
	env, api, err := m.view(ctx)
	if err != nil {
		return err
	}
	// A placeholder key of the generated shape, so that only the fields
	// the person wrote are judged.
	in.Key = newKey()
	api.Integrations = replaceOrAdd(api.Integrations, in, func(x Integration) string { return x.Name })
	return judge(env, api, KindIntegration, in.Name)
}

// RotateKey gives a stored integration a new key and returns it (shown
// once); the old key stops working as soon as the change is applied.
func (m *Manager) RotateKey(ctx context.Context, actor, name string) (string, error) {
	key := newKey()
	err := m.write(ctx, actor, KindIntegration, name, Replace, func(o *Objects) error {
		i := slices.IndexFunc(o.Integrations, func(x Integration) bool { return x.Name == name })
		o.Integrations[i].Key = key
		return nil
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

// DeleteIntegration removes a stored integration; its key stops working.
func (m *Manager) DeleteIntegration(ctx context.Context, actor, name string) error {
	return m.write(ctx, actor, KindIntegration, name, Remove, func(o *Objects) error {
		o.Integrations = slices.DeleteFunc(o.Integrations, func(x Integration) bool { return x.Name == name })
		return nil
	})
}

// PutPolicy creates or replaces a stored escalation policy.
func (m *Manager) PutPolicy(ctx context.Context, actor string, p incident.EscalationPolicy, op Op) (PolicyEntry, error) {
	if err := requireName(p.Name); err != nil {
		return PolicyEntry{}, err
	}
	err := m.write(ctx, actor, KindPolicy, p.Name, op, func(o *Objects) error {
		o.Policies = replaceOrAdd(o.Policies, p, func(x incident.EscalationPolicy) string { return x.Name })
		return nil
	})
	if err != nil {
		return PolicyEntry{}, err
	}
	return m.GetPolicy(ctx, p.Name)
}

// ValidatePolicy reports the problems PutPolicy would find, without
// writing.
func (m *Manager) ValidatePolicy(ctx context.Context, p incident.EscalationPolicy) error {
	if err := requireName(p.Name); err != nil {
		return err
	}
	env, api, err := m.view(ctx)
	if err != nil {
		return err
	}
	api.Policies = replaceOrAdd(api.Policies, p, func(x incident.EscalationPolicy) string { return x.Name })
	return judge(env, api, KindPolicy, p.Name)
}

// DeletePolicy removes a stored policy no integration or check uses.
func (m *Manager) DeletePolicy(ctx context.Context, actor, name string) error {
	return m.write(ctx, actor, KindPolicy, name, Remove, func(o *Objects) error {
		o.Policies = slices.DeleteFunc(o.Policies, func(x incident.EscalationPolicy) bool { return x.Name == name })
		return nil
	})
}

// mergeInvalid joins the fields of several Invalid errors into one.
func mergeInvalid(err error) error {
	out := &apperr.Invalid{}
	var walk func(error)
	walk = func(e error) {
		var inv *apperr.Invalid
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		} else if errors.As(e, &inv) {
			out.Fields = append(out.Fields, inv.Fields...)
		}
	}
	walk(err)
	if len(out.Fields) == 0 {
		return fmt.Errorf("setup: %w", err)
	}
	return out
}
