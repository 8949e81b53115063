package probe

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// dnsServer answers the test zone on a loopback address, over UDP and TCP
// on the same port. "big.test." is truncated over UDP and complete over
// TCP, as a real server does with answers too large for a datagram.
func dnsServer(t *testing.T) string {
	t.Helper()
	zone := map[string][]string{
		"a.test. A":                   {"a.test. 60 IN A 192.0.2.1", "a.test. 60 IN A 192.0.2.2"},
		"v6.test. AAAA":               {"v6.test. 60 IN AAAA 2001:db8::1"},
		"txt.test. TXT":               {`txt.test. 60 IN TXT "v=spf1 " "-all"`},
		"mx.test. MX":                 {"mx.test. 60 IN MX 10 mail.test.", "mx.test. 60 IN MX 20 backup.test."},
		"alias.test. A":               {"alias.test. 60 IN CNAME a.test.", "a.test. 60 IN A 192.0.2.1"},
		"alias.test. CNAME":           {"alias.test. 60 IN CNAME a.test."},
		"test. NS":                    {"test. 60 IN NS ns1.test."},
		"_db._tcp.test. SRV":          {"_db._tcp.test. 60 IN SRV 10 5 5432 db.test."},
		"1.2.0.192.in-addr.arpa. PTR": {"1.2.0.192.in-addr.arpa. 60 IN PTR a.test."},
		"test. SOA":                   {"test. 60 IN SOA ns1.test. admin.test. 2026010101 3600 600 86400 60"},
		"big.test. TXT":               {`big.test. 60 IN TXT "` + strings.Repeat("x", 200) + `"`},
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		key := q.Name + " " + dns.TypeToString[q.Qtype]
		switch {
		case q.Name == "fail.test.":
			m.Rcode = dns.RcodeServerFailure
		case key == "big.test. TXT" && w.LocalAddr().Network() == "udp":
			m.Truncated = true
		case zone[key] != nil:
			for _, s := range zone[key] {
				rr, err := dns.NewRR(s)
				if err != nil {
					t.Errorf("bad test record %q: %v", s, err)
				}
				m.Answer = append(m.Answer, rr)
			}
		case strings.HasSuffix(q.Name, ".test."):
			// The name exists with other types: NOERROR, no answers.
			if _, ok := zone[q.Name+" A"]; !ok {
				m.Rcode = dns.RcodeNameError
			}
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})

	// The server answers on UDP and TCP at one port: a free UDP port may
	// be taken for TCP by another test, so another is tried then.
	var pc net.PacketConn
	var l net.Listener
	for try := 0; ; try++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			t.Fatalf("TCP on the DNS test port: %v", err)
		}
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: handler}, {Listener: l, Handler: handler}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return pc.LocalAddr().String()
}

func TestDNS(t *testing.T) {
	resolver := dnsServer(t)
	for _, tc := range []struct {
		name, host, record string
		wantRcode, wantIP  string
	}{
		{"A", "a.test", "A", "NOERROR", "192.0.2.1,192.0.2.2"},
		{"A by default", "a.test.", "", "NOERROR", "192.0.2.1,192.0.2.2"},
		{"AAAA", "v6.test", "AAAA", "NOERROR", "2001:db8::1"},
		{"TXT", "txt.test", "TXT", "NOERROR", "v=spf1 -all"},
		{"MX", "mx.test", "mx", "NOERROR", "mail.test,backup.test"},
		{"A through a CNAME", "alias.test", "A", "NOERROR", "192.0.2.1"},
		{"CNAME", "alias.test", "CNAME", "NOERROR", "a.test"},
		{"NS", "test", "NS", "NOERROR", "ns1.test"},
		{"SRV", "_db._tcp.test", "SRV", "NOERROR", "db.test:5432"},
		{"PTR of an address", "192.0.2.1", "PTR", "NOERROR", "a.test"},
		{"SOA", "test", "SOA", "NOERROR", "ns1.test"},
		{"no such type", "a.test", "MX", "NOERROR", ""},
		{"NXDOMAIN is an answer", "missing.test", "A", "NXDOMAIN", ""},
		{"SERVFAIL is an answer", "fail.test", "A", "SERVFAIL", ""},
		{"truncated over UDP, asked again over TCP", "big.test", "TXT", "NOERROR", strings.Repeat("x", 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := DNS{Host: tc.host, Record: tc.record, Resolver: resolver, Timeout: 5 * time.Second}.Run(context.Background())
			bounded(t, start, 5*time.Second)
			wantOK(t, res)
			v := res.Values
			if !v.Connected || v.DNSRcode != tc.wantRcode || v.IP != tc.wantIP {
				t.Fatalf("connected, rcode, IP = %v, %q, %q, want true, %q, %q", v.Connected, v.DNSRcode, v.IP, tc.wantRcode, tc.wantIP)
			}
			if v.ResponseTime <= 0 {
				t.Errorf("response time = %s", v.ResponseTime)
			}
		})
	}
}

func TestDNSFailures(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })

	for _, tc := range []struct {
		name       string
		probe      DNS
		wantReason string
		limit      time.Duration
	}{
		{name: "resolver never answers", probe: DNS{Host: "a.test", Resolver: silent.LocalAddr().String(), Timeout: 300 * time.Millisecond},
			wantReason: "timed out after 300ms", limit: 500 * time.Millisecond},
		{name: "resolver at the metadata address", probe: DNS{Host: "a.test", Resolver: "169.254.169.254"},
			wantReason: "refused: cloud metadata address 169.254.169.254", limit: 100 * time.Millisecond},
		{name: "unknown record type", probe: DNS{Host: "a.test", Record: "XYZ", Resolver: "127.0.0.1:1"},
			wantReason: `unsupported DNS record type "XYZ" (use one of A, AAAA, CNAME, MX, TXT, NS, SRV, PTR, SOA)`},
		{name: "no name", probe: DNS{Resolver: "127.0.0.1:1"}, wantReason: "no name to look up"},
		{name: "invalid name", probe: DNS{Host: "a..test", Resolver: "127.0.0.1:1"}, wantReason: `invalid DNS name "a..test"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = 5 * time.Second
			}
			if tc.probe.Timeout == 0 {
				tc.probe.Timeout = 5 * time.Second
			}
			start := time.Now()
			res := tc.probe.Run(context.Background())
			bounded(t, start, limit)
			wantReason(t, res, tc.wantReason)
			if res.Values.Connected || res.Values.DNSRcode != "" {
				t.Errorf("connected, rcode = %v, %q after a failure", res.Values.Connected, res.Values.DNSRcode)
			}
		})
	}
}

func TestDNSResolverAddress(t *testing.T) {
	for given, want := range map[string]string{
		"127.0.0.1":      "127.0.0.1:53",
		"127.0.0.1:5353": "127.0.0.1:5353",
		"::1":            "[::1]:53",
		"[::1]":          "[::1]:53",
		"[::1]:5353":     "[::1]:5353",
		"ns.example":     "ns.example:53",
	} {
		if got, _ := (DNS{Resolver: given}).resolver(time.Second); got != want {
			t.Errorf("resolver %q → %q, want %q", given, got, want)
		}
	}
	got, _ := DNS{}.resolver(time.Second)
	if _, _, err := net.SplitHostPort(got); err != nil {
		t.Errorf("system resolver %q is not host:port", got)
	}
}
