package change

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
)

// Step says whether a change may move to state to by a person's request
// (POST …/status), and why not. Approval and rejection are not steps:
// approvers decide them (Decide). The machine:
//
//   - draft → submitted;
//   - approved → scheduled (a change is scheduled only once its approvals
//     are complete; Decide schedules it at once);
//   - scheduled → in_progress; an emergency change goes from submitted to
//     in_progress at once — it is done first and approved after;
//   - in_progress → completed, with an outcome;
//   - completed → closed; an emergency change is closed only once its
//     emergency approvers have decided.
//
// It is a pure function of the change, its tally and the request.
func Step(c Request, t Tally, to State, outcome Outcome) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("change #%d is %s: %s", c.ID, c.State, fmt.Sprintf(format, args...))
	}
	if outcome != "" && to != Completed {
		return bad("an outcome is given only with the status completed")
	}
	switch to {
	case Submitted:
		if c.State != Draft {
			return bad("only a draft is submitted")
		}
	case Approved, Rejected:
		return bad("approvers decide this: POST /api/v1/changes/%d/approvals", c.ID)
	case Scheduled:
		switch {
		case c.State == Submitted && c.Type != Emergency:
			return bad("it awaits its approvals (%s)", t.Waiting())
		case c.State != Approved:
			return bad("only an approved change is scheduled")
		case t.Status != Approved:
			return bad("it lacks approvals (%s)", t.Waiting())
		}
	case InProgress:
		if c.State != Scheduled && !(c.Type == Emergency && c.State == Submitted) {
			if c.State == Submitted || c.State == Approved {
				return bad("it is not scheduled yet")
			}
			return bad("only a scheduled change is started")
		}
	case Completed:
		if c.State != InProgress {
			return bad("only a change in progress is completed")
		}
		if !slices.Contains([]Outcome{Successful, Failed, RolledBack}, outcome) {
			return bad("say how it ended: outcome successful, failed or rolled_back")
		}
	case Closed:
		switch {
		case c.State == Rejected:
		case c.State != Completed:
			return bad("only a completed or rejected change is closed")
		case c.Type == Emergency && t.Status == Submitted:
			return bad("an emergency change is closed once its emergency approvers have decided (%s)", t.Waiting())
		}
	case Draft:
		return bad("a change never returns to draft")
	default:
		return fmt.Errorf("unknown status %q: use submitted, scheduled, in_progress, completed or closed", to)
	}
	return nil
}

// Tally is where a change's approvals stand: Status is submitted while
// some group lacks its quorum, approved when every group has it, rejected
// when a member of a group rejected.
type Tally struct {
	Status State        `json:"status"`
	Groups []GroupTally `json:"groups"`
}

// GroupTally is one approver group's count.
type GroupTally struct {
	Name     string   `json:"name"`
	Quorum   int      `json:"quorum"`
	Approved []string `json:"approved"`
	Rejected []string `json:"rejected"`
}

// Waiting says which groups lack approvals, for messages.
func (t Tally) Waiting() string {
	var parts []string
	for _, g := range t.Groups {
		if len(g.Approved) < g.Quorum {
			parts = append(parts, fmt.Sprintf("%s: %d of %d", g.Name, len(g.Approved), g.Quorum))
		}
	}
	if len(parts) == 0 {
		return "none missing"
	}
	return strings.Join(parts, "; ")
}

// DefaultGroup approves normal and emergency changes no configured group
// covers: one admin.
var DefaultGroup = ApproverGroup{Name: "admins", Role: string(auth.Admin), Quorum: 1}

// Required lists the approver groups a change of type t at risk level l
// needs: the configured groups naming its type (or none, which then mean
// normal changes) and its level (or none: every level). A standard change
// needs none; a change no group covers needs DefaultGroup.
func Required(groups []ApproverGroup, t Type, l Level) []ApproverGroup {
	if t == Standard {
		return nil
	}
	var out []ApproverGroup
	for _, g := range groups {
		types := g.Types
		if len(types) == 0 {
			types = []Type{Normal}
		}
		if slices.Contains(types, t) && (len(g.Risks) == 0 || slices.Contains(g.Risks, l)) {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		out = []ApproverGroup{DefaultGroup}
	}
	return out
}

// Member says whether a person with the given role (empty when not a
// user) belongs to group g: named in it, or holding at least its role.
func Member(g ApproverGroup, name string, role auth.Role) bool {
	if slices.Contains(g.People, name) {
		return true
	}
	return g.Role != "" && role != "" && role != auth.Agent && role.Allows(auth.Role(g.Role))
}

// Count tallies the decisions against the groups. A decision counts for
// every group its approver was a member of when deciding (Approval.Groups).
func Count(groups []ApproverGroup, decisions []Approval) Tally {
	t := Tally{Status: Approved, Groups: []GroupTally{}}
	for _, g := range groups {
		gt := GroupTally{Name: g.Name, Quorum: max(g.Quorum, 1), Approved: []string{}, Rejected: []string{}}
		for _, d := range decisions {
			if !slices.Contains(d.Groups, g.Name) {
				continue
			}
			if d.Decision == Approve {
				gt.Approved = append(gt.Approved, d.Approver)
			} else {
				gt.Rejected = append(gt.Rejected, d.Approver)
			}
		}
		switch {
		case len(gt.Rejected) > 0:
			t.Status = Rejected
		case len(gt.Approved) < gt.Quorum && t.Status != Rejected:
			t.Status = Submitted
		}
		t.Groups = append(t.Groups, gt)
	}
	return t
}

// InFreeze returns the first freeze period that [start, end) overlaps on
// one of services (a freeze without services covers every service).
func InFreeze(freezes []Freeze, services []string, start, end time.Time) (Freeze, bool) {
	for _, f := range freezes {
		if !start.Before(f.End) || !end.After(f.Start) {
			continue
		}
		if len(f.Services) == 0 || slices.ContainsFunc(services, func(s string) bool { return slices.Contains(f.Services, s) }) {
			return f, true
		}
	}
	return Freeze{}, false
}

// Overlaps flags the other changes that touch one of c's items in an
// overlapping planned window; finished and refused changes are left out.
func Overlaps(c Request, others []Request) []string {
	out := []string{}
	for _, o := range others {
		if o.ID == c.ID || o.State == Rejected || o.State == Closed || o.State == Completed || o.State == Draft {
			continue
		}
		if !c.PlannedStart.Before(o.PlannedEnd) || !c.PlannedEnd.After(o.PlannedStart) {
			continue
		}
		for _, it := range c.Items {
			if slices.Contains(o.Items, it) {
				out = append(out, fmt.Sprintf("change #%d (%s) also touches %s from %s to %s", o.ID, o.Title, it,
					o.PlannedStart.UTC().Format(time.RFC3339), o.PlannedEnd.UTC().Format(time.RFC3339)))
				break
			}
		}
	}
	return out
}
