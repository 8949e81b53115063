package change

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/duration"
)

// Type is the kind of a change request, as ITIL names them.
type Type string

// The types of change. A standard change follows a pre-approved template
// and needs no approval; a normal change is assessed and approved before
// it is scheduled; an emergency change is done first and approved after,
// by an emergency approver.
const (
	Standard  Type = "standard"
	Normal    Type = "normal"
	Emergency Type = "emergency"
)

// Types lists the types in the order forms offer them.
var Types = []Type{Normal, Standard, Emergency}

// State is where a change request stands.
type State string

// The states of a change request: draft → submitted → approved | rejected
// → scheduled → in_progress → completed → closed.
const (
	Draft      State = "draft"
	Submitted  State = "submitted"
	Approved   State = "approved"
	Rejected   State = "rejected"
	Scheduled  State = "scheduled"
	InProgress State = "in_progress"
	Completed  State = "completed"
	Closed     State = "closed"
)

// States lists every state in order, for filters.
var States = []State{Draft, Submitted, Approved, Rejected, Scheduled, InProgress, Completed, Closed}

// Outcome is how a completed change ended.
type Outcome string

// The outcomes of a change.
const (
	Successful Outcome = "successful"
	Failed     Outcome = "failed"
	RolledBack Outcome = "rolled_back"
)

// Request is one change request with everything said about it.
type Request struct {
	ID       int64  `json:"id"`
	Type     Type   `json:"type"`
	Template string `json:"template,omitempty"`
	Title    string `json:"title"`
	// Description says what changes and why.
	Description string   `json:"description,omitempty"`
	Services    []string `json:"services"`
	Items       []string `json:"items"`
	// Implementation and Backout are the plans: how the change is made,
	// and how it is undone when it goes wrong.
	Implementation string    `json:"implementation_plan,omitempty"`
	Backout        string    `json:"backout_plan,omitempty"`
	PlannedStart   time.Time `json:"planned_start"`
	PlannedEnd     time.Time `json:"planned_end"`
	// Outage says the change takes its services down: once approved, its
	// planned window is a maintenance window on them.
	Outage    bool       `json:"outage_expected"`
	State     State      `json:"state"`
	Outcome   Outcome    `json:"outcome,omitempty"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	Risk      Risk       `json:"risk"`
	Requester string     `json:"requester"`
	// Override is the reason an admin gave for letting the change through
	// a freeze or a spent error budget; empty when none was needed.
	Override string `json:"override,omitempty"`
	// Maintenance is the reference of the maintenance window the change
	// became (as the maintenance listing names it), "" when none.
	Maintenance string `json:"maintenance_window,omitempty"`
	// Event is the PagerDuty change event this change was recorded from.
	Event     int64     `json:"event_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	Approvals []Approval   `json:"approvals"`
	History   []Transition `json:"history"`
	Incidents []Link       `json:"linked_incidents"`
	// Approval is where the approvals stand against the groups the change
	// needs; Flags warn of overlapping changes on the same items.
	Approval Tally    `json:"approval"`
	Flags    []string `json:"flags"`
}

// Transition is one step of a change's history.
type Transition struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	From  State     `json:"from"`
	To    State     `json:"to"`
	Note  string    `json:"note,omitempty"`
}

// Approval is one approver's decision.
type Approval struct {
	Approver string    `json:"approver"`
	Groups   []string  `json:"groups"`
	Decision string    `json:"decision"`
	Comment  string    `json:"comment,omitempty"`
	Via      string    `json:"via"`
	At       time.Time `json:"at"`
}

// The decisions an approver takes, and how they reach the server.
const (
	Approve = "approve"
	Reject  = "reject"

	ViaAPI  = "api"
	ViaUI   = "ui"
	ViaMail = "mail"
)

// Link is an incident a person tied to a change: the change failed.
type Link struct {
	Incident int64     `json:"incident"`
	By       string    `json:"linked_by"`
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
}

// Input is the body that creates a change request.
type Input struct {
	Type           Type       `json:"type"`
	Template       string     `json:"template,omitempty"`
	Title          string     `json:"title"`
	Description    string     `json:"description,omitempty"`
	Services       []string   `json:"services"`
	Items          []string   `json:"items,omitempty"`
	Implementation string     `json:"implementation_plan,omitempty"`
	Backout        string     `json:"backout_plan,omitempty"`
	PlannedStart   time.Time  `json:"planned_start"`
	PlannedEnd     time.Time  `json:"planned_end"`
	Outage         bool       `json:"outage_expected"`
	Submit         bool       `json:"submit,omitempty"`
	Override       string     `json:"override,omitempty"`
	At             *time.Time `json:"at,omitempty"`
}

// StatusInput moves a change: to submitted, scheduled, in_progress,
// completed (with its outcome) or closed. Override is an admin's reason
// for passing a guard rail; At is for imports (admins only).
type StatusInput struct {
	Status   State      `json:"status"`
	Outcome  Outcome    `json:"outcome,omitempty"`
	Note     string     `json:"note,omitempty"`
	Override string     `json:"override,omitempty"`
	At       *time.Time `json:"at,omitempty"`
}

// Decision is an approver's answer, from the API or the UI.
type Decision struct {
	Decision string     `json:"decision"`
	Comment  string     `json:"comment,omitempty"`
	At       *time.Time `json:"at,omitempty"`
}

// LinkInput ties an incident to a change.
type LinkInput struct {
	Incident int64  `json:"incident"`
	Note     string `json:"note,omitempty"`
}

// Actor is who acts on a change: a user's or token's name and role, and
// how the audit log names them ("user:ana"; the name when empty).
type Actor struct {
	Name  string
	Role  auth.Role
	Audit string
}

func (a Actor) label() string { return cmpOr(a.Audit, a.Name) }

// Admin says whether the actor may override guard rails and set times.
func (a Actor) Admin() bool { return a.Role.Allows(auth.Admin) }

// Config is the `change:` section of the config file.
type Config struct {
	// FailureWindow is how long after a change ends an incident on one of
	// its services or items counts against it (default 24h).
	FailureWindow string `yaml:"failure_window" json:"failure_window,omitempty"`
	// LinkLifetime is how long an approval link sent by e-mail works
	// (default 72h).
	LinkLifetime string          `yaml:"link_lifetime" json:"link_lifetime,omitempty"`
	Templates    []Template      `yaml:"templates" json:"templates"`
	Approvers    []ApproverGroup `yaml:"approvers" json:"approvers"`
	Freezes      []FreezeSpec    `yaml:"freezes" json:"freezes"`
}

// Template is a pre-approved standard change.
type Template struct {
	Name           string   `yaml:"name" json:"name"`
	Title          string   `yaml:"title" json:"title"`
	Description    string   `yaml:"description" json:"description,omitempty"`
	Services       []string `yaml:"services" json:"services,omitempty"`
	Items          []string `yaml:"items" json:"items,omitempty"`
	Implementation string   `yaml:"implementation_plan" json:"implementation_plan,omitempty"`
	Backout        string   `yaml:"backout_plan" json:"backout_plan,omitempty"`
	Outage         bool     `yaml:"outage_expected" json:"outage_expected"`
}

// ApproverGroup is who approves changes of some types and risks: everyone
// holding at least Role, and the named People; Quorum of them must
// approve (default 1).
type ApproverGroup struct {
	Name   string   `yaml:"name" json:"name"`
	Types  []Type   `yaml:"types" json:"types,omitempty"`
	Risks  []Level  `yaml:"risks" json:"risks,omitempty"`
	Role   string   `yaml:"role" json:"role,omitempty"`
	People []string `yaml:"people" json:"people,omitempty"`
	Quorum int      `yaml:"quorum" json:"quorum"`
}

// FreezeSpec is a freeze period as the config file writes it.
type FreezeSpec struct {
	Name     string   `yaml:"name" json:"name"`
	Start    string   `yaml:"start" json:"start"`
	End      string   `yaml:"end" json:"end"`
	Services []string `yaml:"services" json:"services,omitempty"`
	Reason   string   `yaml:"reason" json:"reason,omitempty"`
}

// Freeze is a span in which normal changes are refused, on the listed
// services or on every service when none is listed.
type Freeze struct {
	ID       int64     `json:"id,omitempty"`
	Name     string    `json:"name"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Services []string  `json:"services"`
	Reason   string    `json:"reason,omitempty"`
	// Source is "file" or "api".
	Source string `json:"source"`
}

// Rules is the validated change configuration.
type Rules struct {
	FailureWindow time.Duration
	LinkLifetime  time.Duration
	Templates     []Template
	Approvers     []ApproverGroup
	Freezes       []Freeze
}

// The defaults of the change configuration.
const (
	DefaultFailureWindow = 24 * time.Hour
	DefaultLinkLifetime  = 72 * time.Hour
)

// Template returns the named template.
func (r Rules) Template(name string) (Template, bool) {
	i := slices.IndexFunc(r.Templates, func(t Template) bool { return t.Name == name })
	if i < 0 {
		return Template{}, false
	}
	return r.Templates[i], true
}

// Compile validates the section and returns its rules; every problem is
// named by its path under "change".
func (c Config) Compile() (Rules, []apperr.Field) {
	var inv apperr.Invalid
	r := Rules{FailureWindow: DefaultFailureWindow, LinkLifetime: DefaultLinkLifetime}
	parse := func(path, v string, dst *time.Duration) {
		if v == "" {
			return
		}
		d, err := duration.Parse(v)
		switch {
		case err != nil:
			inv.Add(path, "%v", err)
		case d <= 0:
			inv.Add(path, "must be longer than zero")
		default:
			*dst = d
		}
	}
	parse("change.failure_window", c.FailureWindow, &r.FailureWindow)
	parse("change.link_lifetime", c.LinkLifetime, &r.LinkLifetime)
	names := map[string]bool{}
	for i, t := range c.Templates {
		p := fmt.Sprintf("change.templates[%d]", i)
		switch {
		case strings.TrimSpace(t.Name) == "":
			inv.Add(p+".name", "is required")
		case names[t.Name]:
			inv.Add(p+".name", "template %q is declared twice", t.Name)
		}
		names[t.Name] = true
		if strings.TrimSpace(t.Title) == "" {
			inv.Add(p+".title", "is required")
		}
	}
	r.Templates = c.Templates
	groups := map[string]bool{}
	for i, g := range c.Approvers {
		p := fmt.Sprintf("change.approvers[%d]", i)
		switch {
		case strings.TrimSpace(g.Name) == "":
			inv.Add(p+".name", "is required")
		case groups[g.Name]:
			inv.Add(p+".name", "approver group %q is declared twice", g.Name)
		}
		groups[g.Name] = true
		for j, t := range g.Types {
			if !slices.Contains(Types, t) {
				inv.Add(fmt.Sprintf("%s.types[%d]", p, j), "must be standard, normal or emergency, not %q", t)
			}
		}
		for j, l := range g.Risks {
			if !slices.Contains(Levels, l) {
				inv.Add(fmt.Sprintf("%s.risks[%d]", p, j), "must be low, medium or high, not %q", l)
			}
		}
		if g.Role != "" && !slices.Contains(auth.Roles, auth.Role(g.Role)) {
			inv.Add(p+".role", "unknown role %q", g.Role)
		}
		if g.Role == "" && len(g.People) == 0 {
			inv.Add(p, "name a role or people who approve")
		}
		switch {
		case g.Quorum < 0:
			inv.Add(p+".quorum", "must not be negative")
		case g.Quorum == 0:
			g.Quorum = 1
		case g.Role == "" && g.Quorum > len(g.People):
			inv.Add(p+".quorum", "asks for %d approvals of %d people", g.Quorum, len(g.People))
		}
		r.Approvers = append(r.Approvers, g)
	}
	for i, f := range c.Freezes {
		p := fmt.Sprintf("change.freezes[%d]", i)
		fr, fields := FreezeFromSpec(f)
		inv.Fields = append(inv.Fields, apperr.Prefixed(p, fields)...)
		r.Freezes = append(r.Freezes, fr)
	}
	return r, inv.Fields
}

// FreezeFromSpec reads a freeze period written with RFC 3339 times.
func FreezeFromSpec(f FreezeSpec) (Freeze, []apperr.Field) {
	var inv apperr.Invalid
	out := Freeze{Name: f.Name, Services: f.Services, Reason: f.Reason, Source: "file"}
	if out.Services == nil {
		out.Services = []string{}
	}
	if strings.TrimSpace(f.Name) == "" {
		inv.Add("name", "is required")
	}
	var err error
	if out.Start, err = time.Parse(time.RFC3339, f.Start); err != nil {
		inv.Add("start", "expected an RFC 3339 time such as 2026-12-20T00:00:00Z, got %q", f.Start)
	}
	if out.End, err = time.Parse(time.RFC3339, f.End); err != nil {
		inv.Add("end", "expected an RFC 3339 time such as 2027-01-04T00:00:00Z, got %q", f.End)
	} else if !out.End.After(out.Start) {
		inv.Add("end", "must be after the start")
	}
	return out, inv.Fields
}
