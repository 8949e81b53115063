// Package feedback measures what the people a service serves say of it:
// a satisfaction survey for each resolved ticket (one click, 1 to 5, and
// a comment, answered through a signed link in a mail or on the portal)
// and ratings of services given at any time by people signed in or, where
// a status page allows it, by its visitors. Comments get a sentiment score
// from VADER, a lexicon-and-rules analyser compiled into the binary.
//
// The figures — CSAT (the share of answers scoring 4 or 5), the mean
// score, the response rate (answers ÷ surveys sent), sentiment and weekly
// trends — are pure functions of the stored answers (figures.go); the
// store reads and writes them (store.go) and the survey mail is an outbox
// channel (mail.go).
package feedback

import (
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// The scale of a score, a survey answer or a rating alike.
const (
	MinScore = 1
	MaxScore = 5
	// SatisfiedFrom is the lowest score that counts as satisfied for CSAT.
	SatisfiedFrom = 4
)

// MaxComment is the longest comment kept, in bytes.
const MaxComment = 4000

// ChangeFor is how long after it was first given an answer to a survey
// may still be changed; after that it stands.
const ChangeFor = 7 * 24 * time.Hour

// LinkLifetime is how long a survey link in a mail works: long enough for
// a requester back from holiday, and for the week of changes after that.
const LinkLifetime = 30 * 24 * time.Hour

// PurposeSurvey is the purpose survey links are signed for (internal/signed),
// with the subject Subject(ticket).
const PurposeSurvey = "survey"

// Subject is the signed-link subject of a ticket's survey: "ticket:ID".
func Subject(ticket int64) string { return "ticket:" + strconv.FormatInt(ticket, 10) }

// Survey is one resolved ticket's survey: who it credits (the ticket's
// service, queue and assignee at resolution), when it was sent, and the
// requester's answer once given (Score nil until then).
type Survey struct {
	TicketID  int64     `json:"ticket_id"`
	Title     string    `json:"title,omitempty"`
	Service   string    `json:"service,omitempty"`
	Queue     string    `json:"queue"`
	Agent     string    `json:"agent,omitempty"`
	Requester string    `json:"requester"`
	SentAt    time.Time `json:"sent_at"`
	Score     *int      `json:"score"`
	Comment   string    `json:"comment,omitempty"`
	// Sentiment is the comment's VADER compound score in [-1, 1]; nil
	// without a comment.
	Sentiment  *float64   `json:"sentiment"`
	AnsweredAt *time.Time `json:"answered_at"`
	UpdatedAt  *time.Time `json:"updated_at"`
}

// Answered says the requester has given a score.
func (s Survey) Answered() bool { return s.Score != nil }

// Changeable says whether an answer may be given or changed at now: until
// ChangeFor after the first answer.
func (s Survey) Changeable(now time.Time) bool {
	return s.AnsweredAt == nil || now.Before(s.AnsweredAt.Add(ChangeFor))
}

// ChangeableUntil is when the answer stops being changeable; zero while
// there is no answer.
func (s Survey) ChangeableUntil() time.Time {
	if s.AnsweredAt == nil {
		return time.Time{}
	}
	return s.AnsweredAt.Add(ChangeFor)
}

// Rating is one piece of feedback on a service.
type Rating struct {
	ID        int64    `json:"id"`
	Service   string   `json:"service"`
	Score     int      `json:"score"`
	Comment   string   `json:"comment,omitempty"`
	Sentiment *float64 `json:"sentiment"`
	// Author is "user:NAME" for someone signed in, "public" for a visitor
	// of a status page (Page names it).
	Author string    `json:"author"`
	Page   string    `json:"page,omitempty"`
	At     time.Time `json:"at"`
}

// Input is a score with an optional comment: a survey answer or a rating.
type Input struct {
	Score   int    `json:"score"`
	Comment string `json:"comment,omitempty"`
}

// Validate names every problem with an answer or a rating.
func (in Input) Validate() error {
	var inv apperr.Invalid
	if in.Score < MinScore || in.Score > MaxScore {
		inv.Add("score", "must be a whole number from %d to %d, not %d", MinScore, MaxScore, in.Score)
	}
	if len(in.Comment) > MaxComment {
		inv.Add("comment", "is %d bytes long; at most %d are kept", len(in.Comment), MaxComment)
	}
	if why := apperr.BadText(in.Comment); why != "" {
		inv.Add("comment", "%s", why)
	}
	return inv.Err()
}

// normal trims a comment.
func (in Input) normal() Input {
	in.Comment = strings.TrimSpace(in.Comment)
	return in
}
