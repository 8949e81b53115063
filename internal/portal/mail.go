package portal

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/store"
)

// ApprovalSubject is the subject an approval link is signed for: one
// approver of one request.
func ApprovalSubject(ticketID int64, approver string) string {
	return "request:" + strconv.FormatInt(ticketID, 10) + ":" + approver
}

// ApprovalPath is the path of an approver's signed link for a decision
// (approve or reject); the signature's query follows it.
func ApprovalPath(ticketID int64, approver, decision string) string {
	return "/approvals/" + strconv.FormatInt(ticketID, 10) + "/" + url.PathEscape(approver) + "/" + decision
}

// MaxMailAttempts is how often an approval request is tried before it is
// left for the approver to find on the approvals page.
const MaxMailAttempts = 12

// Sender mails approval requests. The approval rows are the durable
// state: a row not yet mailed is mailed at the next wake (after each
// request, every minute, and at start), so a restart loses none. Mail goes
// through the running config's mailer, as the status page's confirmation
// mail does.
type Sender struct {
	Store *Store
	// Mailer returns the running config's mailer; nil when the config
	// has no mail settings (the rows wait until it has).
	Mailer func() *notify.Mailer
	// BaseURL is how approvers reach the server.
	BaseURL func() string
	Signer  *signed.Signer
	Log     *slog.Logger
	// Every is how often unsent rows are retried (a minute when zero).
	Every time.Duration

	once sync.Once
	kick chan struct{}
}

func (s *Sender) kicks() chan struct{} {
	s.once.Do(func() { s.kick = make(chan struct{}, 1) })
	return s.kick
}

// Kick wakes the sender.
func (s *Sender) Kick() {
	select {
	case s.kicks() <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("approval requests not sent", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kicks():
		}
	}
}

// SendDue mails every approval request not yet mailed whose request still
// waits for approval.
func (s *Sender) SendDue(ctx context.Context) error {
	m := s.Mailer()
	if m == nil {
		return nil
	}
	st := s.Store
	due, err := st.approvalsWhere(ctx, st.DB.Reader(), `mailed_at IS NULL AND decision = '' AND email <> '' AND mail_attempts < $1
		AND ticket_id IN (SELECT ticket_id FROM ticket_portal WHERE approval = 'pending') ORDER BY id LIMIT 100`, MaxMailAttempts)
	if err != nil {
		return err
	}
	for _, a := range due {
		letter, err := s.letter(ctx, a)
		if err != nil {
			return err
		}
		sendErr := m.Send(ctx, letter)
		now := store.Millis(st.now())
		if sendErr == nil {
			_, err = st.DB.Writer().ExecContext(ctx, `UPDATE ticket_approvals SET mailed_at = $2, mail_attempts = mail_attempts + 1, mail_error = '' WHERE id = $1`, a.ID, now)
		} else {
			attempts := "mail_attempts + 1"
			if notify.IsPermanent(sendErr) {
				attempts = strconv.Itoa(MaxMailAttempts)
			}
			s.Log.Warn("approval request not sent", "ticket", a.TicketID, "approver", a.Approver, "err", sendErr)
			_, err = st.DB.Writer().ExecContext(ctx, `UPDATE ticket_approvals SET mail_attempts = `+attempts+`, mail_error = $2 WHERE id = $1`, a.ID, truncate(sendErr.Error(), 500))
		}
		if err != nil {
			return fmt.Errorf("portal: record approval mail: %w", err)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// letter writes an approver's mail: what is asked, by whom, and the two
// signed links.
func (s *Sender) letter(ctx context.Context, a Approval) (notify.Letter, error) {
	st := s.Store
	d, err := st.Desk.Get(ctx, a.TicketID)
	if err != nil {
		return notify.Letter{}, err
	}
	now := st.now()
	life := st.Config().ApprovalLinks
	base := strings.TrimSuffix(s.BaseURL(), "/")
	link := func(decision string) string {
		return base + ApprovalPath(a.TicketID, a.Approver, decision) + "?" + s.Signer.Query(ApprovalSubject(a.TicketID, a.Approver), decision, now, life)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s asks for: %s (ticket %d)\n\n", d.Requester, d.Title, d.ID)
	if d.Description != "" {
		b.WriteString(d.Description + "\n\n")
	}
	fmt.Fprintf(&b, "Approve:\n%s\n\nReject:\n%s\n\n", link(Approve), link(Reject))
	fmt.Fprintf(&b, "The links work until %s. You can also decide at %s/desk/approvals after signing in.\n",
		now.Add(life).UTC().Format("2006-01-02 15:04 MST"), base)
	return notify.Letter{To: a.Email, Subject: fmt.Sprintf("Approval needed: %s [#%d]", d.Title, d.ID), Body: b.String()}, nil
}
