package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
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
