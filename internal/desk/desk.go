package desk

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// The ticket types.
const (
	TypeIncident = "incident"
	TypeRequest  = "request"
	TypeProblem  = "problem"
)

// Types lists the ticket types in the order forms show them.
var Types = []string{TypeIncident, TypeRequest, TypeProblem}

// The ticket statuses, in the order a ticket usually passes through them.
const (
	StatusNew        = "new"
	StatusOpen       = "open"
	StatusInProgress = "in_progress"
	StatusWaiting    = "waiting"
	StatusResolved   = "resolved"
	StatusClosed     = "closed"
)

// Statuses lists the statuses in their usual order.
var Statuses = []string{StatusNew, StatusOpen, StatusInProgress, StatusWaiting, StatusResolved, StatusClosed}

// The reasons a ticket waits; all pause its SLA clocks. A request waits
// for approval from its opening until its approvers reach their quorum
// (package portal); only that package puts a ticket in it.
const (
	WaitRequester  = "requester"
	WaitThirdParty = "third_party"
	WaitApproval   = "approval"
)

// Levels of impact and urgency.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// Levels lists impact and urgency levels, highest first: the order of a
// matrix row.
var Levels = []string{High, Medium, Low}

// transitions says which statuses each status may move to. A resolved
// ticket may be reopened (to open or in progress) or closed; a closed one
// is final. A waiting ticket may be closed outright: a rejected request is
// closed without having been resolved.
var transitions = map[string][]string{
	StatusNew:        {StatusOpen, StatusInProgress, StatusWaiting, StatusResolved},
	StatusOpen:       {StatusInProgress, StatusWaiting, StatusResolved},
	StatusInProgress: {StatusOpen, StatusWaiting, StatusResolved},
	StatusWaiting:    {StatusOpen, StatusInProgress, StatusResolved, StatusClosed},
	StatusResolved:   {StatusOpen, StatusInProgress, StatusClosed},
	StatusClosed:     nil,
}

// CanMove reports whether a ticket in status from may move to status to.
func CanMove(from, to string) bool { return slices.Contains(transitions[from], to) }

// Done reports whether a status ends the resolution clock.
func Done(status string) bool { return status == StatusResolved || status == StatusClosed }

// Matrix gives a priority (1 highest … 5) for each impact and urgency.
type Matrix map[string]map[string]int

// ITILMatrix is the default: rows impact, columns urgency high, medium, low.
func ITILMatrix() Matrix {
	return Matrix{
		High:   {High: 1, Medium: 2, Low: 3},
		Medium: {High: 2, Medium: 3, Low: 4},
		Low:    {High: 3, Medium: 4, Low: 5},
	}
}

// Priority returns the matrix's priority for impact and urgency.
func (m Matrix) Priority(impact, urgency string) int { return m[impact][urgency] }

// CompileMatrix reads a configured matrix (impact → priorities for urgency
// high, medium, low); empty is ITILMatrix. Every impact must be given, each
// with three priorities from 1 to 5.
func CompileMatrix(rows map[string][]int) (Matrix, []apperr.Field) {
	if len(rows) == 0 {
		return ITILMatrix(), nil
	}
	var inv apperr.Invalid
	m := Matrix{}
	for impact, ps := range rows {
		if !slices.Contains(Levels, impact) {
			inv.Add(impact, "unknown impact %q (use high, medium and low)", impact)
			continue
		}
		if len(ps) != 3 {
			inv.Add(impact, "needs three priorities, for urgency high, medium and low; got %d", len(ps))
			continue
		}
		m[impact] = map[string]int{}
		for i, p := range ps {
			if p < 1 || p > 5 {
				inv.Add(fmt.Sprintf("%s[%d]", impact, i), "a priority is 1 to 5, not %d", p)
			}
			m[impact][Levels[i]] = p
		}
	}
	for _, l := range Levels {
		if _, ok := rows[l]; !ok {
			inv.Add(l, "is missing: the matrix needs rows high, medium and low")
		}
	}
	return m, inv.Fields
}

// TierImpact is the default impact of a ticket on a service of the given
// tier: tiers 1–2 high, 3 medium, 4–5 low; a service with no tier is medium.
func TierImpact(tier int) string {
	switch {
	case tier == 1 || tier == 2:
		return High
	case tier >= 4:
		return Low
	}
	return Medium
}

// Ticket is one ticket with its SLA figures as of the read.
type Ticket struct {
	ID          int64  `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Service     string `json:"service,omitempty"`
	// Requester is a user's name or a mail address.
	Requester string `json:"requester"`
	Queue     string `json:"queue"`
	Assignee  string `json:"assignee,omitempty"`
	Impact    string `json:"impact"`
	Urgency   string `json:"urgency"`
	Priority  int    `json:"priority"`
	Status    string `json:"status"`
	// WaitingOn is "requester" or "third_party" while the ticket waits;
	// ThirdParty names the party.
	WaitingOn       string     `json:"waiting_on,omitempty"`
	ThirdParty      string     `json:"third_party,omitempty"`
	OpenedAt        time.Time  `json:"opened_at"`
	FirstResponseAt *time.Time `json:"first_response_at"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	CreatedBy       string     `json:"created_by"`
	SLA             SLA        `json:"sla"`
}

// SLA is a ticket's policy and its two clocks; a clock is null when the
// policy sets no target for it (or no policy matches).
type SLA struct {
	Policy        string   `json:"policy"`
	Calendar      string   `json:"calendar"`
	FirstResponse *Figures `json:"first_response"`
	Resolution    *Figures `json:"resolution"`
}

// Comment is one entry of a ticket's conversation; an internal one (Public
// false) is for agents only.
type Comment struct {
	ID       int64     `json:"id"`
	TicketID int64     `json:"ticket_id"`
	Author   string    `json:"author"`
	Public   bool      `json:"public"`
	Body     string    `json:"body"`
	At       time.Time `json:"at"`
	// FromRequester marks a reply by the requester (from the mail or the
	// requester's own account), which does not count as a response.
	FromRequester bool `json:"from_requester"`
}

// Attachment is a file kept with a ticket; its content is read apart.
type Attachment struct {
	ID          int64     `json:"id"`
	TicketID    int64     `json:"ticket_id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Author      string    `json:"author"`
	At          time.Time `json:"at"`
	// Data is the content, filled only when it is read for download or
	// handed in with a mail.
	Data []byte `json:"-"`
}

// The link kinds: a monitoring incident, a parent or child ticket, and a
// duplicate of another ticket.
const (
	LinkIncident  = "incident"
	LinkParent    = "parent"
	LinkChild     = "child"
	LinkDuplicate = "duplicate_of"
)

// LinkKinds lists the link kinds.
var LinkKinds = []string{LinkIncident, LinkParent, LinkChild, LinkDuplicate}

// Link ties a ticket to a monitoring incident or another ticket.
type Link struct {
	ID       int64     `json:"id"`
	TicketID int64     `json:"ticket_id"`
	Kind     string    `json:"kind"`
	TargetID int64     `json:"target_id"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
}

// Change is one row of a ticket's history: what changed, by whom, when,
// with the values before and after.
type Change struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Field  string    `json:"field"`
	Before string    `json:"before"`
	After  string    `json:"after"`
}

// Pause is one stretch a ticket waited (reason requester or third_party)
// or stood resolved (reason resolved); End is null while it lasts.
type Pause struct {
	Reason     string     `json:"reason"`
	ThirdParty string     `json:"third_party,omitempty"`
	Start      time.Time  `json:"start"`
	End        *time.Time `json:"end"`
}

// pauseResolved is the reason of a stop of the resolution clock.
const pauseResolved = "resolved"

// Detail is a ticket with its conversation, attachments, links, history
// and pauses, as its page and GET /api/v1/tickets/{id} show it.
type Detail struct {
	Ticket
	Comments    []Comment    `json:"comments"`
	Attachments []Attachment `json:"attachments"`
	Links       []Link       `json:"links"`
	History     []Change     `json:"history"`
	Pauses      []Pause      `json:"pauses"`
	// Mails are the mails written to the requester, with their delivery.
	Mails []SentMail `json:"mails"`
}

// trimmed reports whether s has leading or trailing space.
func trimmed(s string) bool { return strings.TrimSpace(s) == s }
