package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestCheckAddress(t *testing.T) {
	refused := map[string]string{
		"169.254.169.254":        "refused: cloud metadata address 169.254.169.254",
		"::ffff:169.254.169.254": "refused: cloud metadata address 169.254.169.254",
		"64:ff9b::a9fe:a9fe":     "refused: cloud metadata address 169.254.169.254",
		"fd00:ec2::254":          "refused: cloud metadata address fd00:ec2::254",
		"100.100.100.200":        "refused: cloud metadata address 100.100.100.200",
		"169.254.0.23":           "refused: link-local address 169.254.0.23 (cloud metadata range)",
		"169.254.169.253":        "refused: link-local address 169.254.169.253 (cloud metadata range)",
		"fe80::1":                "refused: link-local address fe80::1 (cloud metadata range)",
		"fe80::1%eth0":           "refused: link-local address fe80::1 (cloud metadata range)",
	}
	for addr, want := range refused {
		t.Run(addr, func(t *testing.T) {
			err := CheckAddress(netip.MustParseAddr(addr))
			var r *RefusedAddressError
			if !errors.As(err, &r) || err.Error() != want {
				t.Fatalf("CheckAddress(%s) = %v, want %q", addr, err, want)
			}
		})
	}
	for _, addr := range []string{"127.0.0.1", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "100.100.100.201", "fd00::1", "8.8.8.8", "2001:db8::1"} {
		t.Run(addr, func(t *testing.T) {
			if err := CheckAddress(netip.MustParseAddr(addr)); err != nil {
				t.Fatalf("CheckAddress(%s) = %v, want allowed", addr, err)
			}
		})
	}
}

func TestDialerRefusesMetadataAtOnce(t *testing.T) {
	for _, tc := range []struct{ network, addr, want string }{
		{"tcp", "169.254.169.254:80", "refused: cloud metadata address 169.254.169.254"},
		{"tcp", "[fd00:ec2::254]:80", "refused: cloud metadata address fd00:ec2::254"},
		{"tcp", "100.100.100.200:80", "refused: cloud metadata address 100.100.100.200"},
		{"udp", "169.254.169.254:53", "refused: cloud metadata address 169.254.169.254"},
	} {
		t.Run(tc.network+" "+tc.addr, func(t *testing.T) {
			start := time.Now()
			conn, err := Dialer(5*time.Second).DialContext(context.Background(), tc.network, tc.addr)
			if err == nil {
				conn.Close()
				t.Fatal("dial succeeded")
			}
			bounded(t, start, 100*time.Millisecond)
			if got := describe(err, 5*time.Second); got != tc.want {
				t.Fatalf("reason = %q, want %q (%v)", got, tc.want, err)
			}
		})
	}
}

func TestDialerAllowsLoopback(t *testing.T) {
	addr := listen(t, func(net.Conn) {})
	conn, err := Dialer(time.Second).DialContext(context.Background(), "tcp", addr.String())
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	conn.Close()
}

// rules parses outbound entries for a test.
func rules(t *testing.T, entries ...string) []Rule {
	t.Helper()
	var out []Rule
	for _, s := range entries {
		r, err := ParseRule(s)
		if err != nil {
			t.Fatalf("ParseRule(%q): %v", s, err)
		}
		out = append(out, r)
	}
	return out
}

func TestPolicyCheck(t *testing.T) {
	type policy struct {
		deny, allow []string
		publicOnly  bool
		metadata    bool
	}
	for _, tc := range []struct {
		name   string
		policy policy
		addr   string
		want   string // "" for allowed
	}{
		{"default allows loopback", policy{}, "127.0.0.1", ""},
		{"default allows private", policy{}, "10.0.0.7", ""},
		{"default refuses metadata", policy{}, "169.254.169.254", "refused: cloud metadata address 169.254.169.254"},
		{"deny CIDR", policy{deny: []string{"10.0.0.0/8"}}, "10.0.0.7", "address 10.0.0.7 refused by the outbound policy (deny 10.0.0.0/8)"},
		{"deny CIDR leaves others", policy{deny: []string{"10.0.0.0/8"}}, "192.168.1.1", ""},
		{"deny single address", policy{deny: []string{"192.0.2.9"}}, "192.0.2.9", "address 192.0.2.9 refused by the outbound policy (deny 192.0.2.9)"},
		{"deny named set", policy{deny: []string{"private"}}, "172.16.5.4", "address 172.16.5.4 refused by the outbound policy (deny private 172.16.0.0/12)"},
		{"deny IPv6 loopback", policy{deny: []string{"::1/128"}}, "::1", "address ::1 refused by the outbound policy (deny ::1/128)"},
		{"deny IPv6 ULA", policy{deny: []string{"fc00::/7"}}, "fd12:3456::1", "address fd12:3456::1 refused by the outbound policy (deny fc00::/7)"},
		{"IPv4-mapped IPv6 judged as IPv4", policy{deny: []string{"10.0.0.0/8"}}, "::ffff:10.0.0.1", "address 10.0.0.1 refused by the outbound policy (deny 10.0.0.0/8)"},
		{"IPv4-mapped rule judged as IPv4", policy{deny: []string{"::ffff:10.0.0.0/104"}}, "10.0.0.1", "address 10.0.0.1 refused by the outbound policy (deny ::ffff:10.0.0.0/104)"},
		{"NAT64 judged as the IPv4 it reaches", policy{deny: []string{"10.0.0.0/8"}}, "64:ff9b::a00:7", "address 64:ff9b::a00:7 refused by the outbound policy (deny 10.0.0.0/8)"},
		{"zone ignored", policy{deny: []string{"fd00::/8"}}, "fd00::1%eth0", "address fd00::1 refused by the outbound policy (deny fd00::/8)"},
		{"allow set: inside", policy{allow: []string{"192.0.2.0/24"}}, "192.0.2.10", ""},
		{"allow set: outside", policy{allow: []string{"192.0.2.0/24"}}, "198.51.100.1", "address 198.51.100.1 refused by the outbound policy (not in allow)"},
		{"deny wins over allow", policy{deny: []string{"192.0.2.10"}, allow: []string{"192.0.2.0/24"}}, "192.0.2.10", "address 192.0.2.10 refused by the outbound policy (deny 192.0.2.10)"},
		{"allow cannot lift metadata", policy{allow: []string{"169.254.0.0/16"}}, "169.254.169.254", "refused: cloud metadata address 169.254.169.254"},
		{"public_only refuses loopback", policy{publicOnly: true}, "127.0.0.1", "address 127.0.0.1 refused by the outbound policy (public_only: loopback 127.0.0.0/8)"},
		{"public_only refuses private IPv6", policy{publicOnly: true}, "fd00::1", "address fd00::1 refused by the outbound policy (public_only: private fc00::/7)"},
		{"public_only refuses 0.0.0.0", policy{publicOnly: true}, "0.0.0.0", "address 0.0.0.0 refused by the outbound policy (public_only: unspecified 0.0.0.0/8)"},
		{"public_only refuses carrier-grade NAT", policy{publicOnly: true}, "100.64.0.1", "address 100.64.0.1 refused by the outbound policy (public_only: cgnat 100.64.0.0/10)"},
		{"public_only allows public IPv4", policy{publicOnly: true}, "8.8.8.8", ""},
		{"public_only allows public IPv6", policy{publicOnly: true}, "2606:4700::1111", ""},
		{"allow_link_local lifts metadata", policy{metadata: true}, "169.254.169.254", ""},
		{"allow_link_local keeps deny", policy{deny: []string{"link-local"}, metadata: true}, "169.254.169.254", "address 169.254.169.254 refused by the outbound policy (deny link-local 169.254.0.0/16)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPolicy(rules(t, tc.policy.deny...), rules(t, tc.policy.allow...), tc.policy.publicOnly)
			if tc.policy.metadata {
				p = p.AllowMetadata()
			}
			err := p.Check(netip.MustParseAddr(tc.addr))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want allowed", tc.addr, err)
				}
				return
			}
			var refused *RefusedAddressError
			if !errors.As(err, &refused) || err.Error() != tc.want {
				t.Fatalf("Check(%s) = %v, want %q", tc.addr, err, tc.want)
			}
		})
	}
}

func TestParseRule(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{" fc00::/7 ", "fc00::/7"},
		{"10.0.0.7", "10.0.0.7/32"},
		{"::1", "::1/128"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"loopback", "127.0.0.0/8 ::1/128"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := ParseRule(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range r.Prefixes {
				got = append(got, p.String())
			}
			if strings.Join(got, " ") != tc.want {
				t.Fatalf("prefixes = %v, want %s", got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ in, want string }{
		{"10.0.0.0/33", `"10.0.0.0/33" is not a CIDR, an address or one of loopback, private, link-local, unspecified, cgnat`},
		{"10.0.0.7/8", `"10.0.0.7/8" has bits set beyond its /8: did you mean 10.0.0.0/8?`},
		{"intranet", `"intranet" is not a CIDR, an address or one of loopback, private, link-local, unspecified, cgnat`},
		{"", `"" is not a CIDR, an address or one of loopback, private, link-local, unspecified, cgnat`},
		{"fe80::1%eth0", `"fe80::1%eth0" is not a CIDR, an address or one of loopback, private, link-local, unspecified, cgnat`},
	} {
		t.Run("bad "+tc.in, func(t *testing.T) {
			_, err := ParseRule(tc.in)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("ParseRule(%q) = %v, want %q", tc.in, err, tc.want)
			}
		})
	}
}

// namesServer starts a DNS server on loopback that answers A queries from
// answer, asked with the question's name and how many times that name was
// asked before, and returns a resolver that asks only it.
func namesServer(t *testing.T, answer func(name string, n int) []string) *net.Resolver {
	t.Helper()
	var (
		mu    sync.Mutex
		asked = map[string]int{}
	)
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		if q.Qtype == dns.TypeA {
			mu.Lock()
			n := asked[q.Name]
			asked[q.Name]++
			mu.Unlock()
			for _, ip := range answer(q.Name, n) {
				rr, _ := dns.NewRR(q.Name + " 0 IN A " + ip)
				m.Answer = append(m.Answer, rr)
			}
		}
		w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: handler}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

// TestPolicyDialerJudgesResolvedAddresses shows that the policy is applied
// to each address a name resolves to, at the moment of connecting.
func TestPolicyDialerJudgesResolvedAddresses(t *testing.T) {
	// The target listens on 127.0.0.2; 127.0.0.1 has nothing on its port.
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	resolver := namesServer(t, func(name string, n int) []string {
		switch name {
		case "several.test.":
			return []string{"127.0.0.1", "127.0.0.2"}
		case "rebind.test.":
			// Allowed at the first lookup, denied from the second on.
			if n == 0 {
				return []string{"127.0.0.2"}
			}
			return []string{"127.0.0.1"}
		}
		return nil
	})
	// dial connects under p through the test resolver and reports every
	// address the dialer tried, with what the policy said.
	dial := func(p *Policy, host string) (net.Conn, []string, error) {
		var tried []string
		d := p.Dialer(2 * time.Second)
		d.Resolver = resolver
		judge := d.Control
		d.Control = func(network, address string, c syscall.RawConn) error {
			err := judge(network, address, c)
			tried = append(tried, fmt.Sprintf("%s %v", address, err != nil))
			return err
		}
		conn, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(host, port))
		return conn, tried, err
	}
	t.Run("several addresses, one denied: the others are tried", func(t *testing.T) {
		conn, tried, err := dial(NewPolicy(rules(t, "127.0.0.1"), nil, false), "several.test.")
		if err != nil {
			t.Fatalf("dial: %v (tried %v)", err, tried)
		}
		defer conn.Close()
		want := []string{"127.0.0.1:" + port + " true", "127.0.0.2:" + port + " false"}
		if !slices.Equal(tried, want) || remoteIP(conn) != "127.0.0.2" {
			t.Fatalf("tried %v and connected to %s; want %v, then 127.0.0.2", tried, remoteIP(conn), want)
		}
	})
	t.Run("several addresses, all denied", func(t *testing.T) {
		_, tried, err := dial(NewPolicy(rules(t, "127.0.0.1", "127.0.0.2"), nil, false), "several.test.")
		want := "address 127.0.0.1 refused by the outbound policy (deny 127.0.0.1)"
		if got := describe(err, time.Second); got != want || len(tried) != 2 {
			t.Fatalf("reason = %q after trying %v, want %q after both (%v)", got, tried, want, err)
		}
	})
	t.Run("DNS rebinding: each connection is judged on its own lookup", func(t *testing.T) {
		p := NewPolicy(rules(t, "127.0.0.1"), nil, false)
		conn, _, err := dial(p, "rebind.test.")
		if err != nil {
			t.Fatalf("first dial: %v", err)
		}
		conn.Close()
		_, _, err = dial(p, "rebind.test.")
		want := "address 127.0.0.1 refused by the outbound policy (deny 127.0.0.1)"
		if got := describe(err, time.Second); got != want {
			t.Fatalf("second dial: reason = %q, want %q (%v)", got, want, err)
		}
	})
}

// FuzzParseRule: any input is either refused with an error or gives ranges
// that are valid, masked and unmapped, so that matching them is sound.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "::1", "::ffff:10.0.0.0/104", "private", "10.0.0.7/8", "fe80::1%eth0", "", "::ffff:0.0.0.0/95"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		if len(r.Prefixes) == 0 {
			t.Fatalf("ParseRule(%q) gave no ranges", s)
		}
		for _, p := range r.Prefixes {
			if !p.IsValid() || p.Masked() != p || p.Addr().Is4In6() || p.Addr().Zone() != "" {
				t.Fatalf("ParseRule(%q) gave %v", s, p)
			}
		}
	})
}
