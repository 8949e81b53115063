package probe

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// resolvConf is where the system's resolver is configured.
const resolvConf = "/etc/resolv.conf"

// fallbackResolver is used when resolv.conf names no nameserver.
const fallbackResolver = "127.0.0.1:53"

// dnsTypes are the record types a DNS probe can ask for.
var dnsTypes = map[string]uint16{
	"A":     dns.TypeA,
	"AAAA":  dns.TypeAAAA,
	"CNAME": dns.TypeCNAME,
	"MX":    dns.TypeMX,
	"TXT":   dns.TypeTXT,
	"NS":    dns.TypeNS,
	"SRV":   dns.TypeSRV,
	"PTR":   dns.TypePTR,
	"SOA":   dns.TypeSOA,
}

// DNSRecordTypes lists the record types DNS.Record accepts, for validating
// configuration.
func DNSRecordTypes() []string {
	return []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "PTR", "SOA"}
}

// DNS asks one resolver for one record. It sets Connected (an answer
// message came back), DNSRcode (NOERROR, NXDOMAIN, SERVFAIL …), IP (the
// answers of the asked type, joined by commas) and ResponseTime.
//
// Answers are written without the trailing dot: A and AAAA as addresses;
// CNAME, NS and PTR as names; MX as the mail host; TXT as its strings
// joined; SRV as "target:port"; SOA as the primary nameserver.
//
// A negative answer is not a failure: "[DNS_RCODE] == NOERROR" judges it.
// The probe fails only when no answer arrives.
type DNS struct {
	// Host is the name to look up; for PTR it may be an IP address.
	Host string
	// Record is the type asked for; A when empty.
	Record string
	// Resolver is "host:port" (":53" is assumed without a port); the
	// first nameserver of /etc/resolv.conf when empty, else 127.0.0.1:53.
	Resolver string
	// Timeout bounds the whole probe; DefaultTimeout when zero.
	Timeout time.Duration
	// Outbound is the outbound policy a resolver the check names must
	// pass; nil refuses only cloud-metadata and link-local addresses.
	Outbound *Policy
}

// Run sends the query (over UDP, again over TCP if the answer was
// truncated) and reports the answer.
func (p DNS) Run(ctx context.Context) (res Result) {
	r := begin(ctx, p.Timeout, &res)
	defer r.end()

	record := strings.ToUpper(strings.TrimSpace(p.Record))
	if record == "" {
		record = "A"
	}
	qtype, ok := dnsTypes[record]
	if !ok {
		r.failf("unsupported DNS record type %q (use one of %s)", p.Record, strings.Join(DNSRecordTypes(), ", "))
		return res
	}
	name := strings.TrimSpace(p.Host)
	if name == "" {
		r.failf("no name to look up")
		return res
	}
	if qtype == dns.TypePTR {
		if ip, err := netip.ParseAddr(name); err == nil {
			name, _ = dns.ReverseAddr(ip.String())
		}
	}
	if _, ok := dns.IsDomainName(name); !ok {
		r.failf("invalid DNS name %q", p.Host)
		return res
	}

	resolver, dialer := p.resolver(r.timeout)
	msg := new(dns.Msg)
	msg.SetQuestion(dns.Fqdn(name), qtype)
	msg.RecursionDesired = true

	client := &dns.Client{Net: "udp", Dialer: dialer, Timeout: r.timeout}
	answer, _, err := client.ExchangeContext(r.ctx, msg, resolver)
	if err == nil && answer.Truncated {
		client.Net = "tcp"
		answer, _, err = client.ExchangeContext(r.ctx, msg, resolver)
	}
	res.Values.ResponseTime = time.Since(res.Start)
	if err != nil {
		r.fail(err)
		return res
	}
	res.Values.Connected = true
	res.Values.DNSRcode = dns.RcodeToString[answer.Rcode]
	if res.Values.DNSRcode == "" {
		res.Values.DNSRcode = strconv.Itoa(answer.Rcode)
	}
	res.Values.IP = strings.Join(answers(answer.Answer, qtype), ",")
	return res
}

// resolver picks the address to ask and the dialer to reach it. A resolver
// the check names goes through the outbound policy like every other
// outgoing connection. The system's own resolver does not: the
// administrator chose it, it is often on loopback (127.0.0.53) where a
// policy for checks may well refuse to go, and on AWS it is
// 169.254.169.253, inside the link-local range always refused.
func (p DNS) resolver(timeout time.Duration) (string, *net.Dialer) {
	if p.Resolver != "" {
		addr := p.Resolver
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(strings.Trim(addr, "[]"), "53")
		}
		return addr, p.Outbound.Dialer(timeout)
	}
	plain := &net.Dialer{Timeout: timeout}
	conf, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil || len(conf.Servers) == 0 {
		return fallbackResolver, plain
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port), plain
}

// answers renders the records of type qtype (a CNAME chain leading to
// them is left out).
func answers(rrs []dns.RR, qtype uint16) []string {
	var out []string
	for _, rr := range rrs {
		if rr.Header().Rrtype != qtype {
			continue
		}
		var s string
		switch rr := rr.(type) {
		case *dns.A:
			s = rr.A.String()
		case *dns.AAAA:
			s = rr.AAAA.String()
		case *dns.CNAME:
			s = trimDot(rr.Target)
		case *dns.MX:
			s = trimDot(rr.Mx)
		case *dns.TXT:
			s = strings.Join(rr.Txt, "")
		case *dns.NS:
			s = trimDot(rr.Ns)
		case *dns.SRV:
			s = net.JoinHostPort(trimDot(rr.Target), strconv.Itoa(int(rr.Port)))
		case *dns.PTR:
			s = trimDot(rr.Ptr)
		case *dns.SOA:
			s = trimDot(rr.Ns)
		default:
			continue
		}
		out = append(out, s)
	}
	return out
}

func trimDot(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}
