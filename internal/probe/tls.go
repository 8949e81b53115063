package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"
)

// TLS checks a TLS endpoint and measures how long its certificates have
// left. It sets Connected (a TCP connection was made), IP, ResponseTime
// (connect plus handshake) and CertificateExpiration — the latter even when
// verification fails, so "[CERTIFICATE_EXPIRATION] > 72h" reads back the
// real value for an expired certificate.
type TLS struct {
	// Host is the name or address to connect to.
	Host string
	// Port defaults to 443.
	Port int
	// ServerName is sent as SNI and verified against the certificate;
	// it defaults to Host.
	ServerName string
	// Timeout bounds the whole probe; DefaultTimeout when zero.
	Timeout time.Duration
	// InsecureSkipVerify accepts any certificate: only its expiry is
	// measured.
	InsecureSkipVerify bool
	// Outbound is the outbound policy its connections obey; nil refuses
	// only cloud-metadata and link-local addresses.
	Outbound *Policy
}

// Run connects, completes a TLS handshake and reports the certificate's
// remaining validity.
func (p TLS) Run(ctx context.Context) (res Result) {
	r := begin(ctx, p.Timeout, &res)
	defer r.end()

	port := p.Port
	if port == 0 {
		port = 443
	}
	if p.Host == "" {
		r.failf("no host to connect to")
		return res
	}
	if port < 0 || port > 65535 {
		r.failf("invalid port %d", port)
		return res
	}
	serverName := p.ServerName
	if serverName == "" {
		serverName = p.Host
	}

	conn, err := p.Outbound.Dialer(r.timeout).DialContext(r.ctx, "tcp", net.JoinHostPort(p.Host, strconv.Itoa(port)))
	if err != nil {
		r.fail(err)
		return res
	}
	defer conn.Close()
	res.Values.Connected = true
	res.Values.IP = remoteIP(conn)

	var seen peerCerts
	tc, err := handshake(r.ctx, conn, serverName, p.InsecureSkipVerify, &seen, nil)
	res.Values.ResponseTime = time.Since(res.Start)
	res.sawChain(seen.get(), time.Now())
	if err != nil {
		r.fail(err)
		return res
	}
	tc.Close()
	return res
}

// peerCerts remembers the last certificate chain a server presented, for
// CertificateExpiration, including chains that failed verification.
type peerCerts struct {
	mu    sync.Mutex
	chain []*x509.Certificate
}

func (s *peerCerts) set(chain []*x509.Certificate) {
	s.mu.Lock()
	s.chain = chain
	s.mu.Unlock()
}

// get is the chain last presented; nil when none was seen.
func (s *peerCerts) get() []*x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chain
}

// sawChain records a presented chain's earliest NotAfter, and the time
// left until it at now (negative once expired). A nil chain records
// nothing.
func (r *Result) sawChain(chain []*x509.Certificate, now time.Time) {
	if len(chain) == 0 {
		return
	}
	earliest := chain[0].NotAfter
	for _, c := range chain[1:] {
		if c.NotAfter.Before(earliest) {
			earliest = c.NotAfter
		}
	}
	left := earliest.Sub(now)
	r.CertificateNotAfter, r.Values.CertificateExpiration = earliest.UTC(), &left
}

// handshake runs a client TLS handshake on conn. Verification is done by
// hand, exactly as crypto/tls would (system roots, serverName as the name),
// so that the presented chain is recorded in seen before it can be
// rejected. nextProtos is offered by ALPN.
func handshake(ctx context.Context, conn net.Conn, serverName string, insecure bool, seen *peerCerts, nextProtos []string) (*tls.Conn, error) {
	cfg := &tls.Config{
		ServerName: serverName,
		NextProtos: nextProtos,
		// Verification happens in VerifyConnection below.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			seen.set(cs.PeerCertificates)
			if insecure {
				return nil
			}
			return verifyChain(cs.PeerCertificates, serverName, time.Now())
		},
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return tc, nil
}

// verifyChain checks a presented chain against the system roots for name.
func verifyChain(chain []*x509.Certificate, name string, now time.Time) error {
	if len(chain) == 0 {
		return errors.New("server presented no certificate")
	}
	opts := x509.VerifyOptions{
		DNSName:       name,
		Intermediates: x509.NewCertPool(),
		CurrentTime:   now,
	}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := chain[0].Verify(opts); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: chain, Err: err}
	}
	return nil
}

// remoteIP is the IP address at the other end of conn.
func remoteIP(conn net.Conn) string {
	if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(conn.RemoteAddr().String())
	if err != nil {
		return conn.RemoteAddr().String()
	}
	return host
}
