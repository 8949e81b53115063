package mailin

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/secret"
)

// IMAPConfig is a mailbox the desk polls, the config file's
// `desk.mail.imap` key, for mail that reaches another server first.
type IMAPConfig struct {
	// Host and Port are the IMAP server (port default 993, or 143 with
	// STARTTLS or none).
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// TLS is "tls" (implicit TLS, the default), "starttls" or "none".
	TLS      string        `yaml:"tls"`
	Username string        `yaml:"username"`
	Password secret.Secret `yaml:"password"`
	// Mailbox is the folder read (default INBOX).
	Mailbox string `yaml:"mailbox"`
	// Address is the recipient the mailbox receives for, the queue's
	// address; default the username when it is an address.
	Address string `yaml:"address"`
	// Interval is the time between polls (default 1m, at least 10s).
	Interval string `yaml:"interval"`
}

// The IMAP TLS modes.
const (
	IMAPTLS      = "tls"
	IMAPStartTLS = "starttls"
	IMAPNoTLS    = "none"
)

// Validate returns every problem with the settings, paths relative to
// `desk.mail.imap`.
func (c IMAPConfig) Validate() []apperr.Field {
	var inv apperr.Invalid
	if c.Host == "" {
		inv.Add("host", "is required")
	} else if strings.ContainsAny(c.Host, "/: ") && !strings.HasPrefix(c.Host, "[") {
		inv.Add("host", "must be a host name or address without a port (set port)")
	}
	if c.Port < 0 || c.Port > 65535 {
		inv.Add("port", "must be between 1 and 65535")
	}
	switch c.TLS {
	case "", IMAPTLS, IMAPStartTLS, IMAPNoTLS:
	default:
		inv.Add("tls", "unknown mode %q: use tls, starttls or none", c.TLS)
	}
	if c.Username == "" {
		inv.Add("username", "is required")
	}
	if c.Password.IsZero() {
		inv.Add("password", "is required")
	}
	if c.address() == "" {
		inv.Add("address", "is required when the username is not an e-mail address")
	}
	if c.Interval != "" {
		if d, err := duration.Parse(c.Interval); err != nil {
			inv.Add("interval", "%v", err)
		} else if d < 10*time.Second {
			inv.Add("interval", "must be at least 10s, got %s", c.Interval)
		}
	}
	return inv.Fields
}

func (c IMAPConfig) address() string {
	if c.Address != "" {
		return strings.ToLower(c.Address)
	}
	if strings.Contains(c.Username, "@") {
		return strings.ToLower(c.Username)
	}
	return ""
}

func (c IMAPConfig) interval() time.Duration {
	if d, err := duration.Parse(c.Interval); err == nil && d >= 10*time.Second {
		return d
	}
	return time.Minute
}

// maxPerPoll bounds the messages one poll reads, so that a full mailbox
// is worked through over several polls rather than in one long session.
const maxPerPoll = 100

// Poller reads the unseen messages of an IMAP mailbox at each interval
// and hands them to the Sink by the same rules as the SMTP listener. A
// message delivered, ignored or refused for good is marked \Seen; one the
// Sink could not keep, or from a sender over the new-ticket rate, stays
// unseen and is read again at the next poll, so nothing is lost. The
// mailbox is only marked, never emptied: the mail server's own retention
// applies.
type Poller struct {
	cfg IMAPConfig
	in  *intake
	log *slog.Logger
	// tlsConfig is for tests that trust their own certificate.
	tlsConfig *tls.Config
}

// NewPoller checks the mailbox settings (with the limits and own
// addresses of cfg) and builds a poller that delivers to sink.
func NewPoller(cfg Config, sink Sink, o Options) (*Poller, error) {
	if cfg.IMAP == nil {
		return nil, errors.New("desk.mail.imap: not set")
	}
	in, err := newIntake(cfg, sink, o)
	if err != nil {
		return nil, err
	}
	return &Poller{cfg: *cfg.IMAP, in: in, log: in.log}, nil
}

// Run polls until ctx ends; a poll that fails is logged and the next one
// tried at the next interval.
func (p *Poller) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.interval())
	defer t.Stop()
	for {
		if err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("imap poll failed", "host", p.cfg.Host, "mailbox", p.mailbox(), "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (p *Poller) mailbox() string {
	if p.cfg.Mailbox == "" {
		return "INBOX"
	}
	return p.cfg.Mailbox
}

func (p *Poller) dial() (*imapclient.Client, error) {
	port := p.cfg.Port
	mode := p.cfg.TLS
	if mode == "" {
		mode = IMAPTLS
	}
	if port == 0 {
		port = 993
		if mode != IMAPTLS {
			port = 143
		}
	}
	addr := net.JoinHostPort(strings.Trim(p.cfg.Host, "[]"), strconv.Itoa(port))
	opts := &imapclient.Options{TLSConfig: p.tlsConfig, Dialer: &net.Dialer{Timeout: 30 * time.Second}}
	if opts.TLSConfig == nil {
		opts.TLSConfig = &tls.Config{ServerName: strings.Trim(p.cfg.Host, "[]"), MinVersion: tls.VersionTLS12}
	}
	switch mode {
	case IMAPStartTLS:
		return imapclient.DialStartTLS(addr, opts)
	case IMAPNoTLS:
		return imapclient.DialInsecure(addr, opts)
	}
	return imapclient.DialTLS(addr, opts)
}

// Poll reads the unseen messages once.
func (p *Poller) Poll(ctx context.Context) error {
	c, err := p.dial()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Close()
	// A poll cancelled mid-way closes the connection, which ends the
	// command under way.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(p.cfg.Username, p.cfg.Password.Reveal()).Wait(); err != nil {
		return fmt.Errorf("login as %s: %w", p.cfg.Username, err)
	}
	if _, err := c.Select(p.mailbox(), nil).Wait(); err != nil {
		return fmt.Errorf("select %s: %w", p.mailbox(), err)
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen, imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	uids := found.AllUIDs()
	if len(uids) > maxPerPoll {
		uids = uids[:maxPerPoll]
	}
	section := &imap.FetchItemBodySection{Peek: true}
	for _, uid := range uids {
		if ctx.Err() != nil {
			return nil
		}
		msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return fmt.Errorf("fetch %d: %w", uid, err)
		}
		if len(msgs) == 0 {
			continue // expunged meanwhile
		}
		var err2 error
		if msgs[0].RFC822Size > p.in.limits.MaxMessageBytes {
			err2 = fmt.Errorf("%w of %d bytes", ErrTooLarge, p.in.limits.MaxMessageBytes)
			p.log.Info("mail refused", "uid", uint32(uid), "err", err2)
		} else {
			err2 = p.in.take(ctx, "-", p.cfg.address(), bytes.NewReader(msgs[0].FindBodySection(section)))
		}
		if errors.Is(err2, errDeferred) || errors.Is(err2, errNotStored) {
			continue // read again at the next poll
		}
		if err2 != nil && !errors.Is(err2, ErrTooLarge) && !errors.Is(err2, ErrMalformed) {
			return err2
		}
		store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
		if err := c.Store(imap.UIDSetNum(uid), store, nil).Close(); err != nil {
			return fmt.Errorf("mark %d seen: %w", uid, err)
		}
	}
	if err := c.Logout().Wait(); err != nil {
		p.log.Debug("imap logout", "err", err)
	}
	return nil
}
