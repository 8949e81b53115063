// Package discovery is the agent's side of CMDB discovery: it reads the
// host's facts (host name, OS and kernel, CPUs, memory, addresses) from
// /proc, /etc/os-release and the network interfaces, and reports them to a
// Sextant server, which keeps the host's server item current (see
// cmdb.Store.ReportFacts). The parsers are pure functions of the files'
// text, so they are tested on hand-written inputs.
package discovery

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/cmdb"
)

// Host reads one host's facts.
type Host struct {
	// FS is the host's file system from its root; nil means os.DirFS("/").
	FS fs.FS
	// Hostname names the host; nil means os.Hostname.
	Hostname func() (string, error)
	// Addrs lists the host's interface addresses; nil means the net
	// package's interfaces that are up.
	Addrs func() ([]netip.Prefix, error)
	// Toward, when set, is the address (host:port) the agent reports to:
	// the local address used to reach it is listed first, as the one to
	// reach the host by.
	Toward string
}

// Gather reads the facts. A fact that cannot be read is left out (zero)
// rather than failing the report; only the host name is required.
func (h Host) Gather() (cmdb.Facts, error) {
	fsys := h.FS
	if fsys == nil {
		fsys = os.DirFS("/")
	}
	hostname := h.Hostname
	if hostname == nil {
		hostname = os.Hostname
	}
	var f cmdb.Facts
	name, err := hostname()
	if err != nil {
		return f, fmt.Errorf("discovery: host name: %w", err)
	}
	if strings.TrimSpace(name) == "" {
		return f, errors.New("discovery: the host has no name")
	}
	f.Hostname = strings.TrimSpace(name)
	if b, err := readFirst(fsys, "etc/os-release", "usr/lib/os-release"); err == nil {
		f.OS = ParseOSRelease(string(b))
	}
	ostype, _ := fs.ReadFile(fsys, "proc/sys/kernel/ostype")
	release, _ := fs.ReadFile(fsys, "proc/sys/kernel/osrelease")
	f.Kernel = strings.TrimSpace(strings.TrimSpace(string(ostype)) + " " + strings.TrimSpace(string(release)))
	if f.Kernel == "" {
		f.Kernel = runtime.GOOS
	}
	if b, err := fs.ReadFile(fsys, "sys/devices/system/cpu/online"); err == nil {
		f.CPUs, _ = ParseCPUList(string(b))
	}
	if f.CPUs == 0 {
		if b, err := fs.ReadFile(fsys, "proc/cpuinfo"); err == nil {
			f.CPUs = CountProcessors(string(b))
		}
	}
	if f.CPUs == 0 {
		f.CPUs = runtime.NumCPU()
	}
	if b, err := fs.ReadFile(fsys, "proc/meminfo"); err == nil {
		f.MemoryMB = ParseMemTotalMB(string(b))
	}
	addrs := h.Addrs
	if addrs == nil {
		addrs = interfaceAddrs
	}
	if ps, err := addrs(); err == nil {
		f.Addresses = Addresses(ps, h.preferred())
	}
	return f, nil
}

func readFirst(fsys fs.FS, names ...string) ([]byte, error) {
	var errs []error
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err == nil {
			return b, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// preferred is the local address the host reaches Toward from: a UDP
// "connection" sends nothing, it only picks the route.
func (h Host) preferred() netip.Addr {
	if h.Toward == "" {
		return netip.Addr{}
	}
	c, err := net.Dial("udp", h.Toward)
	if err != nil {
		return netip.Addr{}
	}
	defer c.Close()
	if ua, ok := c.LocalAddr().(*net.UDPAddr); ok {
		a, _ := netip.AddrFromSlice(ua.IP)
		return a.Unmap()
	}
	return netip.Addr{}
}

func interfaceAddrs() ([]netip.Prefix, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		as, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range as {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// Addresses lists the unicast addresses worth reaching a host by:
// loopback, link-local and multicast ones left out, each once; preferred
// (when valid and present) first, then IPv4 before IPv6, each in the order
// given.
func Addresses(ps []netip.Prefix, preferred netip.Addr) []string {
	var v4, v6 []netip.Addr
	for _, p := range ps {
		a := p.Addr().Unmap()
		if !a.IsValid() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() || a == preferred {
			continue
		}
		if a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	all := slices.Concat(v4, v6)
	if preferred.IsValid() && slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Addr().Unmap() == preferred }) {
		all = append([]netip.Addr{preferred}, all...)
	}
	out := make([]string, 0, len(all))
	for _, a := range all {
		if s := a.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ParseOSRelease returns the distribution's name from an os-release file:
// PRETTY_NAME, else NAME and VERSION; "" when neither is there.
func ParseOSRelease(text string) string {
	vals := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		} else {
			v = strings.Trim(v, `'"`)
		}
		vals[k] = v
	}
	if v := vals["PRETTY_NAME"]; v != "" {
		return v
	}
	return strings.TrimSpace(vals["NAME"] + " " + vals["VERSION"])
}

// ParseMemTotalMB returns MemTotal from /proc/meminfo in MiB (0 when it is
// missing or unreadable).
func ParseMemTotalMB(text string) int {
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || n < 0 {
			return 0
		}
		unit := int64(1024) // kB, as the kernel always writes
		if len(fields) > 1 && strings.EqualFold(fields[1], "mB") {
			unit = 1 << 20
		}
		return int(n * unit >> 20)
	}
	return 0
}

// ParseCPUList counts the CPUs of a kernel CPU list
// (/sys/devices/system/cpu/online: "0-3,8,10-11" is 7).
func ParseCPUList(text string) (int, error) {
	n := 0
	for part := range strings.SplitSeq(strings.TrimSpace(text), ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return 0, fmt.Errorf("discovery: CPU list %q: %q is not a CPU number", text, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, fmt.Errorf("discovery: CPU list %q: %q is not a range", text, part)
			}
		}
		n += b - a + 1
	}
	return n, nil
}

// CountProcessors counts the "processor" entries of /proc/cpuinfo.
func CountProcessors(text string) int {
	n := 0
	for line := range strings.Lines(text) {
		if k, _, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "processor" {
			n++
		}
	}
	return n
}
