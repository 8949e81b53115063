package feedback

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/notify"
)

// Channel is the outbox channel survey mails go through; KindSurvey
// prefixes its rows' kind, the ticket's id following ("survey:12").
const (
	Channel    = "survey"
	KindSurvey = "survey:"
)

// ScoreWords say what each score means, in the mail and on the page.
var ScoreWords = [MaxScore]string{"Very dissatisfied", "Dissatisfied", "Neither", "Satisfied", "Very satisfied"}

// Mail is the outbox channel that writes survey mails: to the ticket's
// requester, one link per score (each opens the survey page with that
// score chosen, to be confirmed there: mail scanners follow links).
type Mail struct {
	Store *Store
	// Mailer returns the running config's mailer; nil without mail
	// settings, which fails the delivery, said plainly.
	Mailer func() *notify.Mailer
	// BaseURL is how requesters reach the server.
	BaseURL func() string
}

var errNoMail = notify.Permanent(errors.New("no mail settings: add mail.smtp to the config to send satisfaction surveys"))

var errNoAddress = notify.Permanent(errors.New("the requester has no mail address to send the survey to"))

// Send writes the survey of the ticket the row names.
func (m *Mail) Send(ctx context.Context, msg notify.Message) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(msg.Kind, KindSurvey), 10, 64)
	if !strings.HasPrefix(msg.Kind, KindSurvey) || err != nil {
		return notify.Permanent(fmt.Errorf("the survey channel sends surveys only, not %q", msg.Kind))
	}
	sv, err := m.Store.Survey(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return notify.Permanent(errors.New("the ticket and its survey are gone"))
	}
	if err != nil {
		return err
	}
	if sv.Answered() {
		return nil // answered on the portal meanwhile: nothing to ask
	}
	var mailer *notify.Mailer
	if m.Mailer != nil {
		mailer = m.Mailer()
	}
	if mailer == nil {
		return errNoMail
	}
	to := m.Store.mailTo(ctx, sv.Requester)
	if to == "" {
		return errNoAddress
	}
	return mailer.Send(ctx, notify.Letter{To: to, Subject: desk.SubjectTag(id) + " How did we do? " + sv.Title, Body: m.body(sv)})
}

func (m *Mail) body(sv Survey) string {
	link := m.BaseURL() + m.Store.SurveyLink(sv.TicketID)
	var b strings.Builder
	fmt.Fprintf(&b, "Your ticket %d, %q, has been resolved. How satisfied are you with how it was handled?\n\n", sv.TicketID, sv.Title)
	b.WriteString("Choose a score (you confirm it, and may add a comment, on the page that opens):\n\n")
	for score := MaxScore; score >= MinScore; score-- {
		fmt.Fprintf(&b, "  %d  %s\n     %s&score=%d\n\n", score, ScoreWords[score-1], link, score)
	}
	fmt.Fprintf(&b, "You can change your answer for %d days after giving it. The link works until %s.\n",
		int(ChangeFor.Hours()/24), m.Store.Now().Add(LinkLifetime).UTC().Format("2 January 2006"))
	return b.String()
}
