package probe

import (
	"context"
	"net"
	"strconv"
	"time"
)

// TCP checks that a TCP port accepts connections. It sets Connected, IP and
// ResponseTime (the time to connect).
type TCP struct {
	// Host is the name or address to connect to.
	Host string
	// Port is the TCP port, 1–65535.
	Port int
	// Timeout bounds the whole probe; DefaultTimeout when zero.
	Timeout time.Duration
	// Outbound is the outbound policy its connections obey; nil refuses
	// only cloud-metadata and link-local addresses.
	Outbound *Policy
}

// Run connects to the port and closes the connection again.
func (p TCP) Run(ctx context.Context) (res Result) {
	r := begin(ctx, p.Timeout, &res)
	defer r.end()

	if p.Host == "" {
		r.failf("no host to connect to")
		return res
	}
	if p.Port < 1 || p.Port > 65535 {
		r.failf("invalid port %d", p.Port)
		return res
	}
	conn, err := p.Outbound.Dialer(r.timeout).DialContext(r.ctx, "tcp", net.JoinHostPort(p.Host, strconv.Itoa(p.Port)))
	res.Values.ResponseTime = time.Since(res.Start)
	if err != nil {
		r.fail(err)
		return res
	}
	conn.Close()
	res.Values.Connected = true
	res.Values.IP = remoteIP(conn)
	return res
}
