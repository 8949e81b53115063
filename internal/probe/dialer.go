package probe

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// metadataAddrs are the instance-metadata endpoints of the big clouds. A
// request to one of them from inside a cloud VM hands out the machine's
// credentials, so a check (or a webhook) pointed there by a careless or
// hostile user must never reach them.
var metadataAddrs = [...]netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, Oracle, OpenStack, DigitalOcean
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// nat64 is the well-known NAT64 prefix (RFC 6052): 64:ff9b::a9fe:a9fe is
// 169.254.169.254 reached through a NAT64 gateway.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// RefusedAddressError reports an outgoing connection that Sextant refused to
// open because its target is a cloud-metadata address or lies in a
// link-local range, where metadata services live.
type RefusedAddressError struct {
	// IP is the address that was refused.
	IP netip.Addr
	// Metadata is true for a known metadata endpoint, false for any other
	// link-local address.
	Metadata bool
}

// Error returns the reason users read, e.g.
// "refused: cloud metadata address 169.254.169.254".
func (e *RefusedAddressError) Error() string {
	if e.Metadata {
		return "refused: cloud metadata address " + e.IP.String()
	}
	return fmt.Sprintf("refused: link-local address %s (cloud metadata range)", e.IP)
}

// CheckAddress returns a *RefusedAddressError when ip is a cloud-metadata
// address or link-local (169.254.0.0/16, fe80::/10), nil otherwise.
// Loopback and private ranges are allowed: users monitor internal hosts.
func CheckAddress(ip netip.Addr) error {
	ip = ip.WithZone("").Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, m := range metadataAddrs {
		if ip == m {
			return &RefusedAddressError{IP: ip, Metadata: true}
		}
	}
	if ip.IsLinkLocalUnicast() {
		return &RefusedAddressError{IP: ip}
	}
	return nil
}

// Dialer returns the dialer every outgoing connection of Sextant should use:
// probes, and later webhooks and other notifications. Its Control function
// runs after name resolution, on the very address about to be connected, so
// neither a DNS name pointing at a metadata address nor a redirect to one
// gets through. A refused dial fails at once with a *RefusedAddressError.
func Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: refuseMetadata}
}

// refuseMetadata is the net.Dialer Control hook behind Dialer.
func refuseMetadata(network, address string, _ syscall.RawConn) error {
	if !strings.HasPrefix(network, "tcp") && !strings.HasPrefix(network, "udp") {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		// Control only ever sees resolved addresses; anything else is not
		// an IP connection we could judge.
		return nil
	}
	return CheckAddress(ip)
}
