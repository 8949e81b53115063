// Package postmortem keeps post-mortems of resolved incidents: the impact
// measured by the availability engine (counted downtime and its cost for
// the incident's service and for every service that depends on it), the
// incident's timeline as it stood, the written analysis (summary, root
// cause, contributing factors, lessons) and the action items that follow.
// A post-mortem goes draft → in_review → published, may go back from
// in_review to draft, and is final once published. It exports as Markdown.
package postmortem

import (
	"fmt"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
)

// The statuses of a post-mortem.
const (
	Draft     = "draft"
	InReview  = "in_review"
	Published = "published"
)

// Statuses lists the statuses in their order.
var Statuses = []string{Draft, InReview, Published}

// The states of an action item.
const (
	Open   = "open"
	Done   = "done"
	WontDo = "wont_do"
)

// ItemStates lists the states an action item may be in.
var ItemStates = []string{Open, Done, WontDo}

// Limits on what a post-mortem may hold.
const (
	MaxTitle = 200
	MaxText  = 100000
	MaxOwner = 200
)

// Postmortem is one post-mortem as the API and UI show it.
type Postmortem struct {
	ID                  int64      `json:"id"`
	IncidentID          int64      `json:"incident_id"`
	Service             string     `json:"service"`
	Title               string     `json:"title"`
	Status              string     `json:"status"`
	Summary             string     `json:"summary"`
	RootCause           string     `json:"root_cause"`
	ContributingFactors string     `json:"contributing_factors"`
	Lessons             string     `json:"lessons"`
	Impact              Impact     `json:"impact"`
	Timeline            []Entry    `json:"timeline"`
	ActionItems         []Item     `json:"action_items"`
	CreatedBy           string     `json:"created_by"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	PublishedAt         *time.Time `json:"published_at"`
}

// Listed is a post-mortem in a list: without its texts and timeline.
type Listed struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	Service    string    `json:"service"`
	Title      string    `json:"title"`
	Status     string    `json:"status"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// OpenItems counts the action items still open.
	OpenItems int `json:"open_action_items"`
}

// Impact is what the incident cost, as the availability engine counts it
// over the incident's span [From, To): the same figures as an availability
// report over that range.
type Impact struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Service is the incident's service; Downtime and DowntimeCost are its
	// counted downtime over the span and that downtime's cost.
	Service      string               `json:"service"`
	Downtime     availability.Seconds `json:"downtime_seconds"`
	DowntimeCost float64              `json:"downtime_cost"`
	// Affected lists the incident's service first, then every service
	// that depends on it directly or through others.
	Affected   []Affected `json:"affected"`
	ComputedAt time.Time  `json:"computed_at"`
}

// Affected is one service the incident reached.
type Affected struct {
	Service string `json:"service"`
	// Effect is what the incident does to the service: "down",
	// "degraded" or "none" for its own service, as the service's timeline
	// shows it over the incident's span; through dependencies, down along
	// hard ones and degraded once a soft one is on the path.
	Effect string `json:"effect"`
	// Via is the path by which the incident reaches the service: the
	// services it depends on along the way, nearest first, ending with the
	// incident's service (["database"] for a direct dependency); empty for
	// the incident's service itself.
	Via          []string             `json:"via"`
	Downtime     availability.Seconds `json:"downtime_seconds"`
	DowntimeCost float64              `json:"downtime_cost"`
}

// Entry is one line of the incident's timeline, copied when the
// post-mortem was started.
type Entry struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Actor   string    `json:"actor"`
	Message string    `json:"message"`
}

// Item is one action item.
type Item struct {
	ID           int64  `json:"id"`
	PostmortemID int64  `json:"postmortem_id"`
	Title        string `json:"title"`
	// Owner is whoever does it: a user name or free text.
	Owner string `json:"owner"`
	// Due is a date, YYYY-MM-DD, or "".
	Due       string    `json:"due"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Edit changes a post-mortem: only the fields given change.
type Edit struct {
	Title               *string `json:"title,omitempty"`
	Status              *string `json:"status,omitempty"`
	Summary             *string `json:"summary,omitempty"`
	RootCause           *string `json:"root_cause,omitempty"`
	ContributingFactors *string `json:"contributing_factors,omitempty"`
	Lessons             *string `json:"lessons,omitempty"`
}

// ItemInput creates or replaces an action item. State defaults to open.
type ItemInput struct {
	Title string `json:"title"`
	Owner string `json:"owner"`
	Due   string `json:"due"`
	State string `json:"state"`
}

// Transition says whether a post-mortem may go from one status to another:
// draft → in_review → published, in_review → draft, and staying put.
func Transition(from, to string) bool {
	switch {
	case from == to:
		return true
	case from == Draft:
		return to == InReview
	case from == InReview:
		return to == Draft || to == Published
	}
	return false
}

// apply validates e against p and returns p changed.
func (e Edit) apply(p Postmortem) (Postmortem, error) {
	var inv apperr.Invalid
	if e.Title != nil {
		p.Title = strings.TrimSpace(*e.Title)
		switch {
		case p.Title == "":
			inv.Add("title", "is required")
		case len(p.Title) > MaxTitle:
			inv.Add("title", "is longer than %d characters", MaxTitle)
		}
	}
	for _, f := range []struct {
		path string
		in   *string
		dst  *string
	}{
		{"summary", e.Summary, &p.Summary},
		{"root_cause", e.RootCause, &p.RootCause},
		{"contributing_factors", e.ContributingFactors, &p.ContributingFactors},
		{"lessons", e.Lessons, &p.Lessons},
	} {
		if f.in == nil {
			continue
		}
		if len(*f.in) > MaxText {
			inv.Add(f.path, "is longer than %d characters", MaxText)
			continue
		}
		*f.dst = strings.ReplaceAll(*f.in, "\r\n", "\n")
	}
	if e.Status != nil {
		to := *e.Status
		switch {
		case !validStatus(to):
			inv.Add("status", "must be draft, in_review or published, not %q", to)
		case !Transition(p.Status, to):
			inv.Add("status", "cannot go from %s to %s (%s)", p.Status, to, allowedFrom(p.Status))
		default:
			p.Status = to
		}
	}
	return p, inv.Err()
}

func validStatus(s string) bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// allowedFrom says where a post-mortem may go from status.
func allowedFrom(status string) string {
	switch status {
	case Draft:
		return "a draft goes to in_review first"
	case InReview:
		return "from in_review it goes to draft or published"
	}
	return "a published post-mortem is final"
}

// Validate checks an action item, naming each bad field, and fills in its
// default state.
func (in *ItemInput) Validate() error {
	var inv apperr.Invalid
	in.Title = strings.TrimSpace(in.Title)
	in.Owner = strings.TrimSpace(in.Owner)
	in.Due = strings.TrimSpace(in.Due)
	switch {
	case in.Title == "":
		inv.Add("title", "is required")
	case len(in.Title) > MaxTitle:
		inv.Add("title", "is longer than %d characters", MaxTitle)
	}
	if len(in.Owner) > MaxOwner {
		inv.Add("owner", "is longer than %d characters", MaxOwner)
	}
	if in.Due != "" {
		if _, err := time.Parse(time.DateOnly, in.Due); err != nil {
			inv.Add("due", "expected a date such as 2026-12-31, got %q", in.Due)
		}
	}
	switch in.State {
	case "":
		in.State = Open
	case Open, Done, WontDo:
	default:
		inv.Add("state", "must be open, done or wont_do, not %q", in.State)
	}
	return inv.Err()
}

// StatusLabel names a status for people.
func StatusLabel(s string) string {
	switch s {
	case Draft:
		return "Draft"
	case InReview:
		return "In review"
	case Published:
		return "Published"
	}
	return s
}

// ItemStateLabel names an action item's state for people.
func ItemStateLabel(s string) string {
	switch s {
	case Open:
		return "Open"
	case Done:
		return "Done"
	case WontDo:
		return "Won't do"
	}
	return s
}

// FormatDuration writes a downtime as people read it: "30m", "1h 5m 3s",
// "0s".
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "0s"
	}
	var parts []string
	if h := d / time.Hour; h > 0 {
		parts = append(parts, fmt.Sprintf("%dh", h))
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		parts = append(parts, fmt.Sprintf("%dm", m))
		d -= m * time.Minute
	}
	if s := d / time.Second; s > 0 {
		parts = append(parts, fmt.Sprintf("%ds", s))
	}
	return strings.Join(parts, " ")
}
