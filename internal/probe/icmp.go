package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

// icmpNotAllowed is the reason given when the system lets Sextant send
// neither unprivileged ("UDP") pings nor raw ICMP, with the two ways to
// allow it.
const icmpNotAllowed = `ICMP needs unprivileged ping: sysctl net.ipv4.ping_group_range="0 2147483647", or run with CAP_NET_RAW`

// ICMP pings a host. It sets Connected (at least one echo reply came
// back), IP (the address pinged) and ResponseTime (the average round trip
// of the replies; the time spent waiting when none came).
//
// It sends unprivileged pings (ICMP datagram sockets, which Linux allows to
// the groups in net.ipv4.ping_group_range) and falls back to raw sockets,
// which need root or CAP_NET_RAW. Losing some of Count pings is not a
// failure; getting no reply at all is.
//
// Unlike connections, pings are not checked against cloud-metadata
// addresses: an echo reply hands out nothing. The outbound policy's deny
// and allow rules do apply, so that a policy limiting checks to public
// addresses also keeps pings from mapping the internal network.
type ICMP struct {
	// Host is the name or address to ping; a name resolving to both
	// families is pinged over IPv4.
	Host string
	// Timeout bounds the whole probe; DefaultTimeout when zero.
	Timeout time.Duration
	// Count is how many echo requests to send; 1 when zero.
	Count int
	// Outbound is the outbound policy whose deny and allow rules the
	// pinged address must pass; nil allows every address.
	Outbound *Policy
}

// Run pings the host and waits for the replies.
func (p ICMP) Run(ctx context.Context) (res Result) {
	r := begin(ctx, p.Timeout, &res)
	defer r.end()

	count := max(p.Count, 1)
	if p.Host == "" {
		r.failf("no host to ping")
		return res
	}
	ip, err := pingAddr(r.ctx, p.Host, p.Outbound)
	if err != nil {
		r.fail(err)
		return res
	}
	res.Values.IP = ip.String()

	// Space the pings so that all of them are sent well within the
	// timeout, at most one a second like ping(8).
	interval := min(time.Second, r.timeout/time.Duration(count+1))
	rtts, err := ping(r.ctx, ip, count, interval, false)
	if errors.Is(err, os.ErrPermission) {
		rtts, err = ping(r.ctx, ip, count, interval, true)
	}
	if len(rtts) > 0 {
		var sum time.Duration
		for _, d := range rtts {
			sum += d
		}
		res.Values.Connected = true
		res.Values.ResponseTime = sum / time.Duration(len(rtts))
		return res
	}
	res.Values.ResponseTime = time.Since(res.Start)
	switch {
	case errors.Is(err, os.ErrPermission):
		r.res.Err = &Failure{Reason: icmpNotAllowed, Cause: err}
	case err == nil || isTimeout(err):
		r.res.Err = &Failure{Reason: "no echo reply within " + formatDuration(r.timeout), Cause: err}
	default:
		r.fail(err)
	}
	return res
}

// pingAddr resolves host and picks the address to ping: the first the
// outbound policy allows, IPv4 first like ping(8). When the policy refuses
// every address, the refusal of the first is the error.
func pingAddr(ctx context.Context, host string, outbound *Policy) (netip.Addr, error) {
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return netip.Addr{}, err
		}
		if len(ips) == 0 {
			return netip.Addr{}, &net.DNSError{Err: "no address", Name: host, IsNotFound: true}
		}
		// IPv4 first, keeping the resolver's order within each family.
		slices.SortStableFunc(ips, func(a, b netip.Addr) int {
			a4, b4 := a.Unmap().Is4(), b.Unmap().Is4()
			switch {
			case a4 && !b4:
				return -1
			case b4 && !a4:
				return 1
			}
			return 0
		})
	}
	var refused error
	for _, ip := range ips {
		err := outbound.checkRules(ip)
		if err == nil {
			if ip.Unmap().Is4() {
				return ip.Unmap(), nil
			}
			return ip, nil
		}
		if refused == nil {
			refused = err
		}
	}
	return netip.Addr{}, refused
}

// ping sends count echo requests to ip and returns the round trips of the
// replies that came back before ctx ended. It returns as soon as ctx ends,
// even if pro-bing takes a moment longer to wind down.
func ping(ctx context.Context, ip netip.Addr, count int, interval time.Duration, privileged bool) ([]time.Duration, error) {
	pinger := probing.New(ip.String())
	pinger.SetIPAddr(&net.IPAddr{IP: ip.AsSlice(), Zone: ip.Zone()})
	pinger.SetPrivileged(privileged)
	pinger.SetLogger(probing.NoopLogger{})
	pinger.Count = count
	pinger.Interval = max(interval, time.Millisecond)
	pinger.RecordRtts = false
	pinger.RecordTTLs = false

	var (
		mu   sync.Mutex
		rtts []time.Duration
	)
	pinger.OnRecv = func(pkt *probing.Packet) {
		mu.Lock()
		rtts = append(rtts, pkt.Rtt)
		mu.Unlock()
	}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("ping panicked: %v", v)
			}
		}()
		done <- pinger.RunWithContext(ctx)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		pinger.Stop()
		err = ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(rtts), err
}
