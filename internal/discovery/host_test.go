package discovery

import (
	"net/netip"
	"reflect"
	"testing"
	"testing/fstest"
)

func TestParsers(t *testing.T) {
	t.Run("os-release", func(t *testing.T) {
		for _, tc := range []struct{ name, text, want string }{
			{"pretty name", "NAME=\"Debian GNU/Linux\"\nVERSION=\"12 (bookworm)\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n", "Debian GNU/Linux 12 (bookworm)"},
			{"name and version", "# comment\nNAME=Alpine\nVERSION='3.20'\n", "Alpine 3.20"},
			{"escaped quote", `PRETTY_NAME="Say \"hi\" OS"`, `Say "hi" OS`},
			{"nothing", "ID=x\n", ""},
		} {
			if got := ParseOSRelease(tc.text); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}
	})
	t.Run("meminfo", func(t *testing.T) {
		// 24,683,568 kB / 1024 = 24,105.04 MiB.
		if got := ParseMemTotalMB("MemTotal:       24683568 kB\nMemFree: 1 kB\n"); got != 24105 {
			t.Errorf("MemTotal: %d MiB, want 24105", got)
		}
		for _, bad := range []string{"", "MemFree: 1 kB\n", "MemTotal: lots kB\n", "MemTotal:\n"} {
			if got := ParseMemTotalMB(bad); got != 0 {
				t.Errorf("%q: %d, want 0 (unknown)", bad, got)
			}
		}
	})
	t.Run("cpu list", func(t *testing.T) {
		for text, want := range map[string]int{"0-1\n": 2, "0": 1, "0-3,8,10-11": 7, "": 0} {
			if got, err := ParseCPUList(text); err != nil || got != want {
				t.Errorf("%q: %d, %v; want %d", text, got, err, want)
			}
		}
		for _, bad := range []string{"3-1", "a-b", "-1"} {
			if _, err := ParseCPUList(bad); err == nil {
				t.Errorf("%q: no error", bad)
			}
		}
	})
	t.Run("cpuinfo", func(t *testing.T) {
		if got := CountProcessors("processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\nmodel name\t: x\n"); got != 2 {
			t.Errorf("%d processors, want 2", got)
		}
	})
}

func TestAddresses(t *testing.T) {
	ps := []netip.Prefix{
		netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("fe80::1/64"),
		netip.MustParsePrefix("2001:db8::5/64"), netip.MustParsePrefix("10.0.0.5/24"),
		netip.MustParsePrefix("192.168.1.9/24"), netip.MustParsePrefix("10.0.0.5/24"),
	}
	if got, want := Addresses(ps, netip.Addr{}), []string{"10.0.0.5", "192.168.1.9", "2001:db8::5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("no preference: %v, want %v", got, want)
	}
	// The address the server is reached from goes first.
	if got, want := Addresses(ps, netip.MustParseAddr("192.168.1.9")), []string{"192.168.1.9", "10.0.0.5", "2001:db8::5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("preferring 192.168.1.9: %v, want %v", got, want)
	}
	// A preference the host does not have is ignored.
	if got := Addresses(ps, netip.MustParseAddr("172.16.0.1")); got[0] != "10.0.0.5" {
		t.Errorf("foreign preference: %v", got)
	}
}

// TestGather reads a host made of files, as the agent does from /.
func TestGather(t *testing.T) {
	h := Host{
		FS: fstest.MapFS{
			"etc/os-release":                {Data: []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n")},
			"proc/sys/kernel/ostype":        {Data: []byte("Linux\n")},
			"proc/sys/kernel/osrelease":     {Data: []byte("6.1.0-18-amd64\n")},
			"sys/devices/system/cpu/online": {Data: []byte("0-7\n")},
			"proc/meminfo":                  {Data: []byte("MemTotal: 16384000 kB\n")},
		},
		Hostname: func() (string, error) { return "web-01\n", nil },
		Addrs: func() ([]netip.Prefix, error) {
			return []netip.Prefix{netip.MustParsePrefix("10.1.2.3/16")}, nil
		},
	}
	f, err := h.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if f.Hostname != "web-01" || f.OS != "Debian GNU/Linux 12 (bookworm)" || f.Kernel != "Linux 6.1.0-18-amd64" ||
		f.CPUs != 8 || f.MemoryMB != 16000 || !reflect.DeepEqual(f.Addresses, []string{"10.1.2.3"}) {
		t.Fatalf("facts: %+v", f)
	}
	// Without the sysfs list, /proc/cpuinfo counts.
	delete(h.FS.(fstest.MapFS), "sys/devices/system/cpu/online")
	h.FS.(fstest.MapFS)["proc/cpuinfo"] = &fstest.MapFile{Data: []byte("processor : 0\nprocessor : 1\nprocessor : 2\n")}
	if f, _ := h.Gather(); f.CPUs != 3 {
		t.Fatalf("cpus from cpuinfo: %d, want 3", f.CPUs)
	}
}
