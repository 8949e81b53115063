package desk

import (
	"fmt"
	"github.com/sextant-ops/sextant/internal/desk/mailin"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/duration"
)

// Config is the `desk:` section of the config file: the priority matrix,
// the queues tickets are worked in and the SLA policies that set their
// targets.
type Config struct {
	// PriorityMatrix maps impact to the priorities for urgency high,
	// medium and low; empty is the ITIL matrix.
	PriorityMatrix map[string][]int `yaml:"priority_matrix" json:"priority_matrix,omitempty"`
	Queues         []Queue          `yaml:"queues" json:"queues"`
	SLAPolicies    []Policy         `yaml:"sla_policies" json:"sla_policies"`
	// Mail is how mail reaches the desk: the SMTP listener and IMAP
	// polling (package mailin).
	Mail mailin.Config `yaml:"mail" json:"-"`
}

// Queue is where tickets wait to be worked: its members are the agents who
// take them, its calendar the business hours of tickets with no service
// hours of their own, its address the mail address requesters write to.
type Queue struct {
	Name    string   `yaml:"name" json:"name"`
	Members []string `yaml:"members" json:"members,omitempty"`
	// Calendar is a catalog calendar name; "" leaves it to the policy or
	// the service.
	Calendar string `yaml:"calendar" json:"calendar,omitempty"`
	// Address is the queue's incoming mail address; mail to it opens
	// tickets in this queue.
	Address string `yaml:"address" json:"address,omitempty"`
	// Escalation names the escalation policy SLA warnings of this queue's
	// tickets go through; "" sends none.
	Escalation string `yaml:"escalation" json:"escalation,omitempty"`
}

// Policy sets the targets of the tickets it matches. The first policy in
// the file that matches a ticket is its policy.
type Policy struct {
	Name  string `yaml:"name" json:"name"`
	Match Match  `yaml:"match" json:"match"`
	// FirstResponse and Resolution are business durations ("4h", "3d":
	// a day is 24 hours of business time); "" sets no target.
	FirstResponse string `yaml:"first_response" json:"first_response,omitempty"`
	Resolution    string `yaml:"resolution" json:"resolution,omitempty"`
	// Calendar is a catalog calendar name; "" measures on the service's
	// objective hours (else the queue's calendar, else 24x7).
	Calendar string `yaml:"calendar" json:"calendar,omitempty"`
}

// Match picks tickets; an empty field matches every ticket.
type Match struct {
	Type     string `yaml:"type" json:"type,omitempty"`
	Priority []int  `yaml:"priority" json:"priority,omitempty"`
	Service  string `yaml:"service" json:"service,omitempty"`
}

// DefaultQueue is the queue of a desk configured with none.
const DefaultQueue = "service-desk"

// Compiled is a validated desk section, ready for the store.
type Compiled struct {
	Matrix   Matrix
	Queues   []Queue
	Policies []CompiledPolicy
}

// CompiledPolicy is a policy with its durations parsed.
type CompiledPolicy struct {
	Policy
	FirstResponseTarget time.Duration
	ResolutionTarget    time.Duration
}

// Matches reports whether the policy applies to a ticket.
func (p CompiledPolicy) Matches(typ string, priority int, service string) bool {
	return (p.Match.Type == "" || p.Match.Type == typ) &&
		(len(p.Match.Priority) == 0 || slices.Contains(p.Match.Priority, priority)) &&
		(p.Match.Service == "" || p.Match.Service == service)
}

// Queue returns the named queue.
func (c *Compiled) Queue(name string) (Queue, bool) {
	i := slices.IndexFunc(c.Queues, func(q Queue) bool { return q.Name == name })
	if i < 0 {
		return Queue{}, false
	}
	return c.Queues[i], true
}

// QueueFor returns the queue whose address is addr (case-insensitive), else
// the first queue.
func (c *Compiled) QueueFor(addr string) Queue {
	for _, q := range c.Queues {
		if q.Address != "" && strings.EqualFold(q.Address, addr) {
			return q
		}
	}
	return c.Queues[0]
}

// Policy returns the first policy matching a ticket.
func (c *Compiled) Policy(typ string, priority int, service string) (CompiledPolicy, bool) {
	for _, p := range c.Policies {
		if p.Matches(typ, priority, service) {
			return p, true
		}
	}
	return CompiledPolicy{}, false
}

// Refs are the names a desk section may refer to.
type Refs struct {
	Services, Calendars, Escalations map[string]bool
}

// Compile validates the section against the names it refers to and
// returns it ready for use, or every problem with its path under "desk".
func (c Config) Compile(refs Refs) (*Compiled, []apperr.Field) {
	var inv apperr.Invalid
	out := &Compiled{}
	m, problems := CompileMatrix(c.PriorityMatrix)
	inv.Fields = append(inv.Fields, apperr.Prefixed("desk.priority_matrix", problems)...)
	out.Matrix = m
	calendar := func(p, name string) {
		if name != "" && name != "24x7" && !refs.Calendars[name] {
			inv.Add(p, "unknown calendar %q", name)
		}
	}
	seen := map[string]int{}
	addrs := map[string]int{}
	for i, q := range c.Queues {
		p := fmt.Sprintf("desk.queues[%d]", i)
		switch {
		case !catalog.ValidName(q.Name):
			inv.Add(p+".name", "%q must be lower-case letters, digits, '-' or '_' (at most 64)", q.Name)
		default:
			if j, dup := seen[q.Name]; dup {
				inv.Add(p+".name", "queue %q is already declared at desk.queues[%d]", q.Name, j)
			}
			seen[q.Name] = i
		}
		calendar(p+".calendar", q.Calendar)
		if q.Address != "" {
			a, err := mail.ParseAddress(q.Address)
			if err != nil || a.Name != "" || a.Address != q.Address {
				inv.Add(p+".address", "%q is not a plain mail address (write queue@example.com)", q.Address)
			} else if j, dup := addrs[strings.ToLower(q.Address)]; dup {
				inv.Add(p+".address", "address %q is already the address of desk.queues[%d]", q.Address, j)
			} else {
				addrs[strings.ToLower(q.Address)] = i
			}
		}
		if q.Escalation != "" && !refs.Escalations[q.Escalation] {
			inv.Add(p+".escalation", "unknown escalation policy %q", q.Escalation)
		}
		for j, m := range q.Members {
			if strings.TrimSpace(m) == "" {
				inv.Add(fmt.Sprintf("%s.members[%d]", p, j), "is empty")
			}
		}
		out.Queues = append(out.Queues, q)
	}
	if len(out.Queues) == 0 {
		out.Queues = []Queue{{Name: DefaultQueue}}
	}
	names := map[string]int{}
	for i, pol := range c.SLAPolicies {
		p := fmt.Sprintf("desk.sla_policies[%d]", i)
		cp := CompiledPolicy{Policy: pol}
		if !catalog.ValidName(pol.Name) {
			inv.Add(p+".name", "%q must be lower-case letters, digits, '-' or '_' (at most 64)", pol.Name)
		} else if j, dup := names[pol.Name]; dup {
			inv.Add(p+".name", "SLA policy %q is already declared at desk.sla_policies[%d]", pol.Name, j)
		} else {
			names[pol.Name] = i
		}
		if pol.Match.Type != "" && !slices.Contains(Types, pol.Match.Type) {
			inv.Add(p+".match.type", "must be one of %s, not %q", strings.Join(Types, ", "), pol.Match.Type)
		}
		for j, pr := range pol.Match.Priority {
			if pr < 1 || pr > 5 {
				inv.Add(fmt.Sprintf("%s.match.priority[%d]", p, j), "a priority is 1 to 5, not %d", pr)
			}
		}
		if pol.Match.Service != "" && !refs.Services[pol.Match.Service] {
			inv.Add(p+".match.service", "unknown service %q", pol.Match.Service)
		}
		calendar(p+".calendar", pol.Calendar)
		target := func(field, s string) time.Duration {
			if s == "" {
				return 0
			}
			d, err := duration.Parse(s)
			switch {
			case err != nil:
				inv.Add(p+"."+field, "%v", err)
			case d < time.Minute:
				inv.Add(p+"."+field, "must be at least 1m, got %q", s)
			}
			return d
		}
		cp.FirstResponseTarget = target("first_response", pol.FirstResponse)
		cp.ResolutionTarget = target("resolution", pol.Resolution)
		if pol.FirstResponse == "" && pol.Resolution == "" {
			inv.Add(p, "sets no target: give first_response, resolution or both")
		}
		out.Policies = append(out.Policies, cp)
	}
	if len(inv.Fields) > 0 {
		return nil, inv.Fields
	}
	return out, nil
}
