package config

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestOutbound(t *testing.T) {
	t.Run("no key: everything but metadata", func(t *testing.T) {
		cfg, err := Parse([]byte("services:\n  - name: shop\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, addr := range []string{"127.0.0.1", "10.0.0.7", "::1", "8.8.8.8"} {
			ip := netip.MustParseAddr(addr)
			if err := cfg.Outbound.Checks.Check(ip); err != nil {
				t.Errorf("checks to %s: %v", addr, err)
			}
			if err := cfg.Outbound.Channels.Check(ip); err != nil {
				t.Errorf("channels to %s: %v", addr, err)
			}
		}
		if err := cfg.Outbound.Checks.Check(netip.MustParseAddr("169.254.169.254")); err == nil {
			t.Error("checks may reach the metadata address")
		}
	})
	t.Run("top-level and per-purpose lists", func(t *testing.T) {
		cfg, err := Parse([]byte(`outbound:
  deny: [192.0.2.0/24]
  checks: {public_only: true}
  channels:
    allow: [10.1.0.0/16, "2001:db8::/32"]
`), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			purpose, addr, want string
		}{
			{"checks", "192.0.2.1", "address 192.0.2.1 refused by the outbound policy (deny 192.0.2.0/24)"},
			{"checks", "10.1.2.3", "address 10.1.2.3 refused by the outbound policy (public_only: private 10.0.0.0/8)"},
			{"checks", "127.0.0.1", "address 127.0.0.1 refused by the outbound policy (public_only: loopback 127.0.0.0/8)"},
			{"checks", "8.8.8.8", ""},
			{"channels", "192.0.2.1", "address 192.0.2.1 refused by the outbound policy (deny 192.0.2.0/24)"},
			{"channels", "10.1.2.3", ""},
			{"channels", "2001:db8::5", ""},
			{"channels", "8.8.8.8", "address 8.8.8.8 refused by the outbound policy (not in allow)"},
		} {
			t.Run(tc.purpose+" "+tc.addr, func(t *testing.T) {
				p := cfg.Outbound.Checks
				if tc.purpose == "channels" {
					p = cfg.Outbound.Channels
				}
				got := ""
				if err := p.Check(netip.MustParseAddr(tc.addr)); err != nil {
					got = err.Error()
				}
				if got != tc.want {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			})
		}
	})
	t.Run("mistakes with line and column", func(t *testing.T) {
		_, err := Parse([]byte(`outbound:
  deny: [10.0.0.0/8, 10.0.0.0/33]
  allow:
    - intranet
  checks:
    deny: ["10.0.0.7/8"]
  channels: {alow: [10.0.0.0/8]}
  public_only: yes please
`), nil)
		var p *Problems
		if !errors.As(err, &p) {
			t.Fatalf("err = %v, want *Problems", err)
		}
		want := []string{
			`2:22: outbound.deny[1]: "10.0.0.0/33" is not a CIDR, an address or one of loopback, private, link-local, unspecified, cgnat`,
			`4:7: outbound.allow[0]: "intranet" is not a CIDR, an address or one of loopback, private, link-local, unspecified, cgnat`,
			`6:12: outbound.checks.deny[0]: "10.0.0.7/8" has bits set beyond its /8: did you mean 10.0.0.0/8?`,
			`7:14: outbound.channels: unknown key "alow"`,
			`8:16: outbound.public_only: `,
		}
		lines := strings.Split(p.Error(), "\n")
		if len(lines) != len(want) {
			t.Fatalf("%d problems, want %d:\n%s", len(lines), len(want), p.Error())
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("problem %d = %q, want %q…", i, lines[i], w)
			}
		}
	})
}
