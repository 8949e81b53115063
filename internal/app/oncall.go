package app

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/override"
	"github.com/sextant-ops/sextant/internal/store"
)

// directory is the on-call configuration in force: people, compiled
// schedules and escalation policies. A reload swaps it whole.
type directory struct {
	people    map[string]escalation.Person
	schedules map[string]*oncall.Compiled
	raw       []oncall.Schedule
	// stored are the overrides made in the UI and the API, by schedule,
	// laid after the file's own so that the newest decision wins.
	stored   map[string][]oncall.Override
	policies []incident.EscalationPolicy
	channels map[string]bool // configured channel names
	// working counts, per person, the contact channels that could be
	// built (an e-mail address without mail settings builds none).
	working map[string]int
}

// onCall serves the directory to the API, the UI and the escalation worker.
type onCall struct {
	cur atomic.Pointer[directory]
	// mu orders the swaps of a reload and of an override's write, so
	// that neither undoes the other.
	mu sync.Mutex
}

// storedSince is how far back stored overrides are loaded: as far as the
// schedule page looks for the start of the shift running now.
const storedSince = 35 * 24 * time.Hour

// install makes d the directory in force, with the stored overrides
// loaded afresh (nil overrides leave d's as they are).
func (o *onCall) install(ctx context.Context, d *directory, overrides *override.Store, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if overrides != nil {
		stored, err := overrides.BySchedule(ctx, now.Add(-storedSince))
		if err != nil {
			return err
		}
		if err := d.compile(stored); err != nil {
			return err
		}
	}
	o.cur.Store(d)
	return nil
}

// refresh recompiles the running directory's schedules with the stored
// overrides, after one was made or removed.
func (o *onCall) refresh(ctx context.Context, overrides *override.Store, now time.Time) error {
	d := o.dir()
	next := *d
	next.schedules = map[string]*oncall.Compiled{}
	return o.install(ctx, &next, overrides, now)
}

// compile builds each schedule with the file's overrides followed by the
// stored ones.
func (d *directory) compile(stored map[string][]oncall.Override) error {
	d.stored = stored
	d.schedules = map[string]*oncall.Compiled{}
	for _, s := range d.raw {
		merged := s
		merged.Overrides = append(append([]oncall.Override(nil), s.Overrides...), stored[s.Name]...)
		c, err := oncall.Compile(merged)
		if err != nil {
			return fmt.Errorf("schedule %q: %w", s.Name, err)
		}
		d.schedules[s.Name] = c
	}
	return nil
}

func (o *onCall) dir() *directory {
	if d := o.cur.Load(); d != nil {
		return d
	}
	return &directory{}
}

// build compiles the on-call part of a config and the channels that reach
// each person.
func buildDirectory(cfg *config.Config, channels map[string]notify.Channel) (*directory, error) {
	d := &directory{people: map[string]escalation.Person{}, schedules: map[string]*oncall.Compiled{}, raw: cfg.Schedules,
		policies: cfg.Incident.Policies, channels: map[string]bool{}, working: map[string]int{}}
	for name := range channels {
		d.channels[name] = true
	}
	for _, p := range cfg.Users {
		d.people[p.Name] = p
		for name, c := range p.Channels(cfg.Mail, cfg.NtfyURL) {
			ch, err := notify.NewWith(c, cfg.Outbound.Channels)
			if err != nil {
				return nil, err
			}
			channels[name] = ch
			d.working[p.Name]++
		}
	}
	if err := d.compile(nil); err != nil {
		return nil, err
	}
	return d, nil
}

// People lists everyone who can be paged, by name.
func (o *onCall) People() []escalation.Person {
	d := o.dir()
	out := make([]escalation.Person, 0, len(d.people))
	for _, p := range d.people {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Person finds one person.
func (o *onCall) Person(name string) (escalation.Person, bool) {
	p, ok := o.dir().people[name]
	return p, ok
}

// Reachable says whether a person has at least one working contact
// method, for the dashboard's warning.
func (o *onCall) Reachable(user string) bool { return o.dir().working[user] > 0 }

// Schedules lists the schedules as declared.
func (o *onCall) Schedules() []oncall.Schedule { return o.dir().raw }

// Schedule finds one schedule.
func (o *onCall) Schedule(name string) (*oncall.Compiled, oncall.Schedule, bool) {
	d := o.dir()
	c, ok := d.schedules[name]
	if !ok {
		return nil, oncall.Schedule{}, false
	}
	for _, s := range d.raw {
		if s.Name == name {
			return c, s, true
		}
	}
	return c, oncall.Schedule{Name: name}, true
}

// Policies lists the escalation policies.
func (o *onCall) Policies() []incident.EscalationPolicy {
	return append([]incident.EscalationPolicy(nil), o.dir().policies...)
}

// Policy finds one policy.
func (o *onCall) Policy(name string) (incident.EscalationPolicy, bool) {
	for _, p := range o.dir().policies {
		if p.Name == name {
			return p, true
		}
	}
	return incident.EscalationPolicy{}, false
}

// Resolve turns an escalation target into outbox channel names at t.
func (o *onCall) Resolve(target string, at time.Time) ([]string, []string) {
	d := o.dir()
	kind, name, _ := cut(target)
	switch kind {
	case "channel":
		if !d.channels[name] {
			return nil, []string{"channel " + name + " is not configured"}
		}
		return []string{name}, nil
	case "user":
		return d.reach(name)
	case "schedule":
		c, ok := d.schedules[name]
		if !ok {
			return nil, []string{"schedule " + name + " is not configured"}
		}
		users := c.OnCall(at)
		if len(users) == 0 {
			return nil, []string{"nobody is on call in " + name}
		}
		var chans, notes []string
		for _, u := range users {
			c, n := d.reach(u)
			chans, notes = append(chans, c...), append(notes, n...)
			notes = append(notes, "on call in "+name+": "+u)
		}
		return chans, notes
	}
	return nil, []string{"unknown target " + target}
}

func (d *directory) reach(user string) ([]string, []string) {
	p, ok := d.people[user]
	if !ok {
		return nil, []string{"unknown person " + user}
	}
	var out []string
	for _, kind := range p.Contacts() {
		out = append(out, escalation.Contact(user, kind))
	}
	if len(out) == 0 {
		return nil, []string{user + " has no contact method"}
	}
	return out, nil
}

func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// startEscalation begins paging for a new incident, now or — for a service
// paged in its hours only — when its hours begin.
func (a *App) startEscalation(ctx context.Context, tx store.Querier, id int64, policy, service, severity string, now time.Time) error {
	startAt, reason := a.services.pageAt(service, severity, now)
	if err := a.escalate.StartNow(ctx, tx, id, policy, now, startAt, reason); err != nil {
		return err
	}
	if reason != "" {
		_, err := tx.ExecContext(ctx, `INSERT INTO incident_log (incident_id, at, kind, actor, message) VALUES ($1, $2, 'escalation', 'escalation', $3)`,
			id, store.Millis(now), "not paging yet: "+reason)
		return err
	}
	return nil
}
