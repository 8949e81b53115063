package mailin

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is the desk's SMTP listener. It takes mail only for the
// configured domains and addresses, parses each message, drops what the
// verdict ignores with a 250 (the sending machine must not retry or bounce
// an auto-reply) and hands the rest to the Sink, answering 250 only once
// the Sink has kept the message and 451 when it could not, so that nothing
// accepted is lost.
type Server struct {
	cfg  Config
	in   *intake
	log  *slog.Logger
	smtp *smtp.Server

	mu     sync.Mutex
	ln     net.Listener
	closed bool
}

// Options are the parts of a Server that are not configuration.
type Options struct {
	Log *slog.Logger
	// Now is the clock of the rate limit; nil means time.Now.
	Now func() time.Time
	// ReadTimeout and WriteTimeout bound each command and reply (default
	// 5 minutes and 1 minute, RFC 5321 section 4.5.3.2 allows longer);
	// DeliverTimeout bounds one call of the Sink (default 30 s).
	ReadTimeout, WriteTimeout, DeliverTimeout time.Duration
}

// NewServer checks the settings and builds a server that delivers to sink.
func NewServer(cfg Config, sink Sink, o Options) (*Server, error) {
	in, err := newIntake(cfg, sink, o)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: in.log, in: in}
	srv := smtp.NewServer(backend{s})
	srv.Domain = cfg.Hostname
	if srv.Domain == "" {
		srv.Domain = "sextant"
	}
	srv.MaxMessageBytes = cfg.limits().MaxMessageBytes
	srv.MaxRecipients = 50
	srv.ReadTimeout, srv.WriteTimeout = o.ReadTimeout, o.WriteTimeout
	if srv.ReadTimeout <= 0 {
		srv.ReadTimeout = 5 * time.Minute
	}
	if srv.WriteTimeout <= 0 {
		srv.WriteTimeout = time.Minute
	}
	srv.ErrorLog = slogPrinter{in.log}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("desk.mail.tls_cert: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.smtp = srv
	return s, nil
}

// Serve answers SMTP on ln until ctx ends or Close is called; then it
// stops taking connections and lets those open finish their command.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	max := s.cfg.MaxConnections
	if max <= 0 {
		max = 20
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.ln = ln
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	defer stop()
	err := s.smtp.Serve(&limitListener{Listener: ln, max: int64(max), log: s.log})
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close stops the listener, waiting up to 10 s for the sessions under
// way; a session still open then ends at its read timeout.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return nil
	}
	// Closing the listener here as well ends a Serve that had not yet
	// handed it to go-smtp when Shutdown ran.
	_ = ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.smtp.Shutdown(ctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("smtp shutdown: %w", err)
	}
	return nil
}

// receive parses and delivers one message, returning the SMTP answer:
// nil for 250.
func (s *Server) receive(envFrom, rcpt string, r io.Reader) error {
	err := s.in.take(context.Background(), envFrom, rcpt, r)
	var se *smtp.SMTPError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		// go-smtp's own answer from the reader: the message was over the
		// size limit, or the connection broke.
		return se
	case errors.Is(err, ErrTooLarge):
		return smtp.ErrDataTooLarge
	case errors.Is(err, ErrMalformed):
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	case errors.Is(err, errDeferred):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "too many new tickets from this sender, try again later"}
	case errors.Is(err, errNotStored):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "message not stored, try again later"}
	}
	s.log.Warn("mail not read", "from", envFrom, "to", rcpt, "err", err)
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "message not read, try again later"}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	sess := &session{s: b.s}
	if b.s.cfg.Username != "" {
		return &authSession{session: sess}, nil
	}
	return sess, nil
}

// session is one SMTP conversation. A message is delivered once, for the
// first accepted recipient: a mail to two of the desk's addresses opens one
// ticket, not two.
type session struct {
	s      *Server
	from   string
	rcpt   string
	authed bool
}

func (x *session) Reset() { x.from, x.rcpt = "", "" }

func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.cfg.Username != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !x.s.cfg.accepts(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such recipient here"}
	}
	if x.rcpt == "" {
		x.rcpt = to
	}
	return nil
}

func (x *session) Data(r io.Reader) error {
	err := x.s.receive(x.from, x.rcpt, r)
	// Whatever the answer, the reader must be consumed.
	_, _ = io.Copy(io.Discard, r)
	return err
}

// authSession offers AUTH PLAIN when a username is configured.
type authSession struct{ *session }

func (x *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *authSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		want := x.s.cfg.Password.Reveal()
		okUser := subtle.ConstantTimeCompare([]byte(username), []byte(x.s.cfg.Username)) == 1
		okPass := subtle.ConstantTimeCompare([]byte(password), []byte(want)) == 1
		if !okUser || !okPass || (identity != "" && identity != username) {
			return smtp.ErrAuthFailed
		}
		x.authed = true
		return nil
	}), nil
}

// limitListener answers 421 to connections over the limit and closes
// them, before go-smtp sees them.
type limitListener struct {
	net.Listener
	max  int64
	open atomic.Int64
	log  *slog.Logger
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			l.log.Warn("smtp connection refused: too many open", "remote", c.RemoteAddr().String(), "max", l.max)
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.WriteString(c, "421 4.7.0 Too many connections, try again later\r\n")
			_ = c.Close()
			continue
		}
		return &countedConn{Conn: c, release: func() { l.open.Add(-1) }}, nil
	}
}

type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// slogPrinter gives go-smtp's error log to slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.log.Warn("smtp", "msg", fmt.Sprintf(format, v...))
}

func (p slogPrinter) Println(v ...any) { p.log.Warn("smtp", "msg", fmt.Sprint(v...)) }
