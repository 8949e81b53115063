package portal

import (
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/desk"
)

// The states of a request's approval.
const (
	ApprovalNone     = ""
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
)

// The decisions an approver makes.
const (
	Approve = "approve"
	Reject  = "reject"
)

// Tally says where a request stands from its approvers' decisions
// ("approved", "rejected" or "" for undecided): one rejection rejects it,
// quorum approvals approve it, anything else leaves it pending. A quorum
// below 1 counts as 1.
func Tally(decisions []string, quorum int) string {
	quorum = max(quorum, 1)
	approved := 0
	for _, d := range decisions {
		switch d {
		case ApprovalRejected:
			return ApprovalRejected
		case ApprovalApproved:
			approved++
		}
	}
	if approved >= quorum {
		return ApprovalApproved
	}
	return ApprovalPending
}

// Who is a person using the portal: its name among requesters (a user's
// name, or "token:…" for an API token), its mail address and its
// organisation.
type Who struct {
	Name, Email, Organisation string
}

// Sees reports whether who may see a ticket: its own (requested under its
// name or its mail address), or one shared with its organisation.
func (w Who) Sees(requester, organisation string, shared bool) bool {
	switch {
	case requester == w.Name:
		return true
	case w.Email != "" && strings.EqualFold(requester, w.Email):
		return true
	}
	return shared && w.Organisation != "" && organisation == w.Organisation
}

// CheckReopen says whether a requester may reopen a ticket now: only a
// resolved one, and only within `within` of its resolution.
func CheckReopen(t desk.Ticket, within time.Duration, now time.Time) error {
	switch {
	case t.Status == desk.StatusClosed:
		return apperr.Conflict("ticket %d is closed; open a new ticket instead", t.ID)
	case t.Status != desk.StatusResolved || t.ResolvedAt == nil:
		return apperr.Conflict("ticket %d is %s; only a resolved ticket can be reopened", t.ID, t.Status)
	case within <= 0:
		return apperr.Conflict("resolved tickets cannot be reopened here; open a new ticket instead")
	case now.Sub(*t.ResolvedAt) > within:
		return apperr.Conflict("ticket %d was resolved more than %s ago; open a new ticket instead", t.ID, formatSpan(within))
	}
	return nil
}

// CanReopen is CheckReopen as a yes or no, for the page's button.
func CanReopen(t desk.Ticket, within time.Duration, now time.Time) bool {
	return CheckReopen(t, within, now) == nil
}

func formatSpan(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if n := int(d / (24 * time.Hour)); n != 1 {
			return strconv.Itoa(n) + " days"
		}
		return "1 day"
	}
	return d.String()
}
