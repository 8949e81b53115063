package probe

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
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
// open: its target is a cloud-metadata address, lies in a link-local range
// (where metadata services live), or is refused by the outbound policy.
type RefusedAddressError struct {
	// IP is the address that was refused, IPv4-mapped and NAT64 forms
	// written as the IPv4 address they reach.
	IP netip.Addr
	// Metadata is true for a known metadata endpoint, false for any other
	// link-local address or a refusal by the policy.
	Metadata bool
	// Rule is the outbound policy's reason when the policy refused the
	// address ("deny 10.0.0.0/8", "not in allow"); empty for the built-in
	// metadata refusal.
	Rule string
}

// Error returns the reason users read, e.g.
// "refused: cloud metadata address 169.254.169.254" or "address 10.0.0.7
// refused by the outbound policy (deny 10.0.0.0/8)". It names only the
// address, never anything the target sent.
func (e *RefusedAddressError) Error() string {
	switch {
	case e.Rule != "":
		return fmt.Sprintf("address %s refused by the outbound policy (%s)", e.IP, e.Rule)
	case e.Metadata:
		return "refused: cloud metadata address " + e.IP.String()
	}
	return fmt.Sprintf("refused: link-local address %s (cloud metadata range)", e.IP)
}

// CheckAddress returns a *RefusedAddressError when ip is a cloud-metadata
// address or link-local (169.254.0.0/16, fe80::/10), nil otherwise: the
// judgement of the default policy, under which loopback and private ranges
// are allowed because users monitor internal hosts.
func CheckAddress(ip netip.Addr) error {
	return (*Policy)(nil).Check(ip)
}

// Dialer returns a dialer under the default policy, which refuses only
// cloud-metadata and link-local addresses; see Policy.Dialer.
func Dialer(timeout time.Duration) *net.Dialer {
	return (*Policy)(nil).Dialer(timeout)
}

// Policy is the outbound policy one kind of outgoing call obeys: which
// addresses it may connect to. It is judged on the very address about to
// be connected, after name resolution. In order:
//
//  1. Cloud-metadata and link-local addresses are refused, unless the
//     policy was made with AllowMetadata (a channel's allow_link_local).
//  2. An address in any deny rule (or, with public_only, in any range that
//     is not public) is refused.
//  3. When there are allow rules, an address in none of them is refused.
//  4. Everything else is allowed.
//
// A Policy is immutable, so one may be shared by any number of dials; a
// reload builds a new one. The nil *Policy is the default: only step 1.
type Policy struct {
	deny  []judged
	allow []judged
	// metadata lifts step 1.
	metadata bool
}

// judged is one range of a policy with the words a refusal by it gives.
type judged struct {
	prefix netip.Prefix
	why    string
}

// Rule is one entry of an outbound list as the config file wrote it: a
// CIDR, a single address or the name of a set of ranges.
type Rule struct {
	// Name is the entry as written ("10.0.0.0/8", "private"), for reasons.
	Name string
	// Prefixes are the ranges it covers.
	Prefixes []netip.Prefix
}

// namedSets are the ranges a rule may name instead of spelling them out.
var namedSets = map[string][]netip.Prefix{
	"loopback":    prefixes("127.0.0.0/8", "::1/128"),
	"private":     prefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"),
	"link-local":  prefixes("169.254.0.0/16", "fe80::/10"),
	"unspecified": prefixes("0.0.0.0/8", "::/128"),
	"cgnat":       prefixes("100.64.0.0/10"),
}

// nonPublic is what public_only denies, in the order reasons are looked
// for. "unspecified" is there because a connection to 0.0.0.0 reaches the
// machine itself.
var nonPublic = []string{"loopback", "private", "link-local", "unspecified", "cgnat"}

// RuleSets lists the names a rule may use for a set of ranges, for
// documentation and error messages; public_only denies all of them.
func RuleSets() []string { return slices.Clone(nonPublic) }

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// ParseRule reads one entry of an outbound list: a CIDR ("10.0.0.0/8",
// "fc00::/7"), a single address (taken as /32 or /128) or a named set
// (loopback, private, link-local, unspecified, cgnat). A CIDR with host bits
// set ("10.0.0.7/8") is refused: it is most likely a typo for an address or
// a different range.
func ParseRule(s string) (Rule, error) {
	s = strings.TrimSpace(s)
	if set, ok := namedSets[s]; ok {
		return Rule{Name: s, Prefixes: set}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return Rule{}, fmt.Errorf("%q is not a CIDR, an address or one of %s", s, strings.Join(RuleSets(), ", "))
		}
		if p.Addr().Zone() != "" {
			return Rule{}, fmt.Errorf("%q: a range cannot have a zone", s)
		}
		if p.Masked() != p {
			return Rule{}, fmt.Errorf("%q has bits set beyond its /%d: did you mean %s?", s, p.Bits(), p.Masked())
		}
		if p.Addr().Is4In6() {
			// ::ffff:10.0.0.0/104 is 10.0.0.0/8; addresses are judged
			// unmapped, so the range must be too.
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return Rule{Name: s, Prefixes: []netip.Prefix{p}}, nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return Rule{}, fmt.Errorf("%q is not a CIDR, an address or one of %s", s, strings.Join(RuleSets(), ", "))
	}
	ip = ip.Unmap()
	return Rule{Name: s, Prefixes: []netip.Prefix{netip.PrefixFrom(ip, ip.BitLen())}}, nil
}

// NewPolicy builds a policy that refuses metadata addresses, then the deny
// rules (and with publicOnly every range that is not public), then, when
// allow is not empty, whatever none of its rules covers.
func NewPolicy(deny, allow []Rule, publicOnly bool) *Policy {
	p := &Policy{}
	for _, r := range deny {
		p.deny = append(p.deny, judge("deny", r)...)
	}
	if publicOnly {
		for _, name := range nonPublic {
			for _, pre := range namedSets[name] {
				p.deny = append(p.deny, judged{prefix: pre, why: "public_only: " + name + " " + pre.String()})
			}
		}
	}
	for _, r := range allow {
		p.allow = append(p.allow, judge("allow", r)...)
	}
	return p
}

// judge spells the reason of each range of r: "deny 10.0.0.0/8" for a
// CIDR, "deny private 10.0.0.0/8" for a named set.
func judge(verb string, r Rule) []judged {
	_, named := namedSets[r.Name]
	out := make([]judged, 0, len(r.Prefixes))
	for _, pre := range r.Prefixes {
		why := verb + " " + r.Name
		if named {
			why += " " + pre.String()
		}
		out = append(out, judged{prefix: pre, why: why})
	}
	return out
}

// AllowMetadata returns a copy of p that lets calls reach metadata and
// link-local addresses, for a channel that sets allow_link_local; its deny
// and allow rules still apply.
func (p *Policy) AllowMetadata() *Policy {
	out := &Policy{metadata: true}
	if p != nil {
		out.deny, out.allow = p.deny, p.allow
	}
	return out
}

// Check returns a *RefusedAddressError when the policy refuses a
// connection to ip, nil when it allows it.
func (p *Policy) Check(ip netip.Addr) error {
	ip = ip.WithZone("").Unmap()
	if p == nil || !p.metadata {
		if err := checkMetadata(ip); err != nil {
			return err
		}
	}
	return p.checkRules(ip)
}

// checkMetadata is step 1 of the policy.
func checkMetadata(ip netip.Addr) error {
	if nat64.Contains(ip) {
		ip = nat64Target(ip)
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

// checkRules is steps 2 and 3 of the policy. An address written through
// NAT64 is judged both as itself and as the IPv4 address it reaches, so
// that 64:ff9b::a00:7 is refused by a deny of 10.0.0.0/8.
func (p *Policy) checkRules(ip netip.Addr) error {
	if p == nil {
		return nil
	}
	ip = ip.WithZone("").Unmap()
	forms := []netip.Addr{ip}
	if nat64.Contains(ip) {
		forms = append(forms, nat64Target(ip))
	}
	for _, d := range p.deny {
		for _, f := range forms {
			if d.prefix.Contains(f) {
				return &RefusedAddressError{IP: ip, Rule: d.why}
			}
		}
	}
	if len(p.allow) == 0 {
		return nil
	}
	for _, a := range p.allow {
		for _, f := range forms {
			if a.prefix.Contains(f) {
				return nil
			}
		}
	}
	return &RefusedAddressError{IP: ip, Rule: "not in allow"}
}

// nat64Target is the IPv4 address a NAT64 address reaches.
func nat64Target(ip netip.Addr) netip.Addr {
	b := ip.As16()
	return netip.AddrFrom4([4]byte(b[12:]))
}

// Dialer returns the dialer an outgoing connection under p uses: probes,
// webhooks and other notifications, e-mail. Its Control function runs after
// name resolution, on the very address about to be connected, so neither a
// DNS name pointing at a refused address, nor one that changes its answer
// between two lookups (DNS rebinding), nor a redirect to one gets through.
// A refused address fails at once with a *RefusedAddressError; when a name
// has several addresses, the refused ones are skipped and the others tried.
func (p *Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: p.control}
}

// control is the net.Dialer Control hook behind Dialer.
func (p *Policy) control(network, address string, _ syscall.RawConn) error {
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
	return p.Check(ip)
}
