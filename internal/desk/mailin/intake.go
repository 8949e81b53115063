package mailin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// intake is the path every incoming message takes, whether it came over
// SMTP or from an IMAP mailbox: parse, verdict, the per-sender rate, the
// Sink. Each way in turns its errors into its own answer.
type intake struct {
	limits  Limits
	filter  Filter
	limiter *Limiter
	sink    Sink
	log     *slog.Logger
	now     func() time.Time
	timeout time.Duration
}

// The outcomes of take that are not a delivery. ErrTooLarge and
// ErrMalformed (from Parse) are final: the message will never be taken.
// errDeferred and errNotStored are temporary: the same message may be
// taken later.
var (
	errDeferred  = errors.New("sender over the new-ticket rate")
	errNotStored = errors.New("message not stored")
)

// newIntake checks the settings and builds the intake of a listener or
// poller.
func newIntake(cfg Config, sink Sink, o Options) (*intake, error) {
	if fields := cfg.Validate(); len(fields) > 0 {
		return nil, fmt.Errorf("desk.mail: %w", &apperr.Invalid{Fields: fields})
	}
	if sink == nil {
		return nil, errors.New("desk.mail: no sink to deliver to")
	}
	in := &intake{limits: cfg.limits(), filter: cfg.filter(), limiter: &Limiter{Max: cfg.NewTicketsPerHour, Window: time.Hour},
		sink: sink, log: o.Log, now: o.Now, timeout: o.DeliverTimeout}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	if in.now == nil {
		in.now = time.Now
	}
	if in.timeout <= 0 {
		in.timeout = 30 * time.Second
	}
	return in, nil
}

// take reads one message that came for rcpt from envFrom ("-" when the
// envelope sender is unknown) and delivers it unless it is ignored. It
// returns nil when the message was delivered or ignored.
func (in *intake) take(ctx context.Context, envFrom, rcpt string, r io.Reader) error {
	m, v, err := Parse(r, in.limits)
	if err != nil {
		if errors.Is(err, ErrMalformed) {
			in.log.Info("mail refused", "from", envFrom, "to", rcpt, "err", err)
		}
		return err
	}
	if rcpt != "" {
		m.To = strings.ToLower(rcpt)
	}
	if !v.Ignored() {
		v = in.filter.Check(m, envFrom)
	}
	if v.Ignored() {
		in.log.Info("mail ignored", "from", m.From, "to", m.To, "message_id", m.MessageID, "reason", v.Reason)
		return nil
	}
	opensTicket := m.TicketID == 0 && m.InReplyTo == "" && len(m.References) == 0
	if opensTicket && !in.limiter.Allow(m.From, in.now()) {
		in.log.Warn("mail deferred: sender over the new-ticket rate", "from", m.From, "to", m.To, "message_id", m.MessageID)
		return errDeferred
	}
	ctx, cancel := context.WithTimeout(ctx, in.timeout)
	defer cancel()
	if err := in.sink.Deliver(ctx, m); err != nil {
		in.log.Error("mail not delivered to the desk", "from", m.From, "to", m.To, "message_id", m.MessageID, "err", err)
		return fmt.Errorf("%w: %w", errNotStored, err)
	}
	in.log.Info("mail delivered", "from", m.From, "to", m.To, "message_id", m.MessageID, "ticket", m.TicketID)
	return nil
}
