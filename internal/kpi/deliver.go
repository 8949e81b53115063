package kpi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
)

// KindMonthly prefixes the outbox kind of a monthly report's mail; the
// month follows ("monthly_report:2026-11").
const KindMonthly = "monthly_report:"

// Channel is the outbox channel that mails the report to one subscriber.
func Channel(address string) string { return "report:" + address }

// Delivery mails the overall monthly report, its PDF attached, to the
// configured subscribers once a month has closed (and SendAfter has
// passed): the report is frozen, then one outbox row per subscriber is
// written in the transaction that marks the month sent, so every replica
// sends each month once and a crash loses no mail. The outbox sends them
// with its retries.
type Delivery struct {
	DB      *store.DB
	Monthly func() *Monthly
	Config  func() ReportConfig
	// Mailer is the running config's mailer; nil while there is none (the
	// rows wait and fail with that reason, as subscribers' mail does).
	Mailer func() *notify.Mailer
	// BaseURL is how readers reach the server, for the link in the mail.
	BaseURL   func() string
	OnEnqueue func()
	Log       *slog.Logger
	Now       func() time.Time
}

func (d *Delivery) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

// Due is the month whose report should have been sent by now, and whether
// any is (the previous month, once SendAfter has passed since its end).
func Due(now time.Time, c ReportConfig) (Month, bool) {
	m := MonthOf(now, c.Zone()).Add(-1)
	_, end := m.Bounds(c.Zone())
	return m, !now.Before(end.Add(c.After()))
}

// Tick enqueues the due month's mails when they have not been: it answers
// how many it enqueued.
func (d *Delivery) Tick(ctx context.Context) (int, error) {
	c := d.Config()
	if len(c.Subscribers) == 0 {
		return 0, nil
	}
	now := d.now()
	m, ok := Due(now, c)
	if !ok {
		return 0, nil
	}
	var done int
	err := d.DB.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM kpi_deliveries WHERE month = $1`, m.String()).Scan(&done)
	if err != nil || done > 0 {
		return 0, err
	}
	// Freeze first: what is mailed is the frozen report.
	if _, err := d.Monthly().Report(ctx, m, ""); err != nil {
		return 0, fmt.Errorf("kpi: build the report of %s: %w", m, err)
	}
	n := 0
	err = d.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO kpi_deliveries (month, recipients, enqueued_at) VALUES ($1, $2, $3) ON CONFLICT (month) DO NOTHING`,
			m.String(), len(c.Subscribers), store.Millis(now))
		if err != nil {
			return err
		}
		if rows, err := res.RowsAffected(); err != nil || rows == 0 {
			return err // another replica enqueued them
		}
		for _, to := range c.Subscribers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
				VALUES (NULL, $1, $2, 'pending', 0, $3, 0, '', $3)`, Channel(to), KindMonthly+m.String(), store.Millis(now)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("kpi: enqueue the report of %s: %w", m, err)
	}
	if n > 0 {
		if d.Log != nil {
			d.Log.InfoContext(ctx, "monthly report enqueued", "month", m.String(), "recipients", n)
		}
		if d.OnEnqueue != nil {
			d.OnEnqueue()
		}
	}
	return n, nil
}

// Run ticks every interval until ctx ends.
func (d *Delivery) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := d.Tick(ctx); err != nil && ctx.Err() == nil && d.Log != nil {
			d.Log.ErrorContext(ctx, "monthly report delivery", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Channels are the outbox channels of the configured subscribers.
func (d *Delivery) Channels() map[string]notify.Channel {
	out := map[string]notify.Channel{}
	for _, to := range d.Config().Subscribers {
		out[Channel(to)] = &mailChannel{d: d, to: to}
	}
	return out
}

type mailChannel struct {
	d  *Delivery
	to string
}

// Send mails the frozen report of the row's month, the PDF attached.
func (c *mailChannel) Send(ctx context.Context, m notify.Message) error {
	month, ok := strings.CutPrefix(m.Kind, KindMonthly)
	mm, err := ParseMonth(month)
	if !ok || err != nil {
		return notify.Permanent(fmt.Errorf("a report subscriber is sent monthly reports only, not %q", m.Kind))
	}
	mailer := c.d.Mailer()
	if mailer == nil {
		return errors.New("no mail settings: the config file has no mail section")
	}
	rep, err := c.d.Monthly().Report(ctx, mm, "")
	if err != nil {
		return err
	}
	pdf, err := PDF(rep)
	if err != nil {
		return notify.Permanent(err)
	}
	base := ""
	if c.d.BaseURL != nil {
		base = c.d.BaseURL()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The monthly report for %s is attached (PDF).\n\n", rep.Month)
	fmt.Fprintf(&b, "Objectives met: %d of %d\nCounted downtime: %s\nDowntime cost: %s\n", rep.ObjectivesMet, rep.ObjectivesTotal, DurationDisplay(rep.DowntimeSeconds), rep.MoneyDisplay(rep.DowntimeCost))
	for _, od := range rep.OverDelivery {
		fmt.Fprintf(&b, "Far above target: %s\n", od.Service)
	}
	if rep.Correction != nil {
		fmt.Fprintf(&b, "\nThe history behind this report changed after it was frozen: %d figures differ (see the correction in the PDF).\n", len(rep.Correction.Changes))
	}
	if base != "" {
		fmt.Fprintf(&b, "\nEvery figure with the rows behind it: %s/reports/monthly/%s\n", base, rep.Month)
	}
	return mailer.Send(ctx, notify.Letter{To: c.to, Subject: "Monthly report " + rep.Month, Body: b.String(),
		Attachments: []notify.Attachment{{Name: FileName(rep, FormatPDF), ContentType: ContentType(FormatPDF), Data: pdf}}})
}
