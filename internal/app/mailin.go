package app

import (
	"context"
	"fmt"
	"net"

	"github.com/sextant-ops/sextant/internal/desk/mailin"
)

// startMail starts the desk's SMTP listener when an address is set and
// there is a Sink to deliver to, and returns the function that stops it
// and waits for it. Without a Sink the listener is not started (and the
// log says why): mail taken with nowhere to keep it would be lost.
func (a *App) startMail(ctx context.Context) (stop func(), err error) {
	listen := a.opts.SMTPListen
	if listen == "" {
		listen = a.opts.Mail.Listen
	}
	if listen == "" {
		return func() {}, nil
	}
	if a.opts.MailSink == nil {
		a.log.Warn("smtp listener not started: no service desk to deliver the mail to", "listen", listen)
		return func() {}, nil
	}
	cfg := a.opts.Mail
	cfg.Listen = listen
	srv, err := mailin.NewServer(cfg, a.opts.MailSink, mailin.Options{Log: a.log.With("component", "smtp"), Now: a.opts.Now})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("smtp listen on %s: %w", listen, err)
	}
	a.smtpAddr = ln.Addr().String()
	a.log.Info("smtp listening", "addr", a.smtpAddr)
	mailCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(mailCtx, ln); err != nil {
			a.log.Error("smtp listener stopped", "err", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}

// SMTPAddr is the address the desk's SMTP listener answers on, once Ready
// is closed; "" when it is not running.
func (a *App) SMTPAddr() string { return a.smtpAddr }
