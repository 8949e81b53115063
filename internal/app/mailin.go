package app

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"

	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/desk/mailin"
)

// startMail starts the desk's incoming mail — the SMTP listener when an
// address is set, the IMAP poller when a mailbox is — if there is a Sink to
// deliver to, and returns the function that stops them and waits for them.
// Without a Sink neither is started (and the log says why): mail taken
// with nowhere to keep it would be lost.
func (a *App) startMail(ctx context.Context) (stop func(), err error) {
	cfg := a.opts.Mail
	if cfg.Listen == "" && cfg.IMAP == nil && len(cfg.Domains) == 0 && len(cfg.Addresses) == 0 {
		if c := a.fileCfg.Load(); c != nil {
			cfg = c.DeskMail
		}
	}
	if a.opts.SMTPListen != "" {
		cfg.Listen = a.opts.SMTPListen
	}
	if cfg.Listen == "" && cfg.IMAP == nil {
		return func() {}, nil
	}
	// The queues' addresses are where the desk writes from: mail from
	// them is the desk's own come back, never a requester's.
	if a.desk != nil {
		cfg.OwnAddresses = append(slices.Clone(cfg.OwnAddresses), queueAddresses(a.desk.Config())...)
	}
	if a.opts.MailSink == nil && a.desk != nil {
		a.opts.MailSink = deskSink(a.desk)
	}
	if a.opts.MailSink == nil {
		a.log.Warn("incoming mail not started: no service desk to deliver the mail to", "smtp_listen", cfg.Listen, "imap", cfg.IMAP != nil)
		return func() {}, nil
	}
	log := a.log.With("component", "mail")
	o := mailin.Options{Log: log, Now: a.opts.Now}
	var (
		srv    *mailin.Server
		poller *mailin.Poller
		ln     net.Listener
	)
	if cfg.Listen != "" {
		if srv, err = mailin.NewServer(cfg, a.opts.MailSink, o); err != nil {
			return nil, err
		}
	}
	if cfg.IMAP != nil {
		if poller, err = mailin.NewPoller(cfg, a.opts.MailSink, o); err != nil {
			return nil, err
		}
	}
	if srv != nil {
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return nil, fmt.Errorf("smtp listen on %s: %w", cfg.Listen, err)
		}
		a.smtpAddr = ln.Addr().String()
		log.Info("smtp listening", "addr", a.smtpAddr)
	}
	mailCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if srv != nil {
		wg.Go(func() {
			if err := srv.Serve(mailCtx, ln); err != nil {
				log.Error("smtp listener stopped", "err", err)
			}
		})
	}
	if poller != nil {
		log.Info("imap polling", "host", cfg.IMAP.Host, "mailbox", cfg.IMAP.Mailbox)
		wg.Go(func() { _ = poller.Run(mailCtx) })
	}
	return func() { cancel(); wg.Wait() }, nil
}

// queueAddresses lists the desk's queue addresses.
func queueAddresses(c *desk.Compiled) []string {
	var out []string
	for _, q := range c.Queues {
		if q.Address != "" {
			out = append(out, q.Address)
		}
	}
	return out
}

// SMTPAddr is the address the desk's SMTP listener answers on, once Ready
// is closed; "" when it is not running.
func (a *App) SMTPAddr() string { return a.smtpAddr }

// deskSink delivers accepted mail to the service desk: a new ticket in the
// queue of the address it came to, or a comment on the ticket it answers.
func deskSink(d *desk.Store) mailin.Sink {
	return mailin.SinkFunc(func(ctx context.Context, m mailin.Message) error {
		in := desk.InboundMail{From: m.From, To: m.To, Subject: m.Subject, MessageID: m.MessageID, InReplyTo: m.InReplyTo,
			References: m.References, TicketID: m.TicketID, Text: m.Text}
		if m.FromName != "" {
			in.From = m.FromName + " <" + m.From + ">"
		}
		for _, at := range m.Attachments {
			in.Attachments = append(in.Attachments, desk.Attachment{Filename: at.Name, ContentType: at.ContentType, Data: at.Data})
		}
		_, _, err := d.FromMail(ctx, in)
		return err
	})
}
