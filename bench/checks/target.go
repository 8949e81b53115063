package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// serveTarget is the child process: an HTTP server on 127.0.0.1 that
// answers 200 "ok" at once. It prints its address, serves until its stdin
// is closed (so it never outlives the harness), then prints the socket
// counts it saw. It runs in its own process so that its CPU time is not
// counted in the monitor's.
func serveTarget() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "ok")
		}),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          log.New(os.Stderr, "target: ", 0),
	}
	fmt.Println(ln.Addr().String())
	go func() { _ = srv.Serve(ln) }()

	// Sockets are counted here rather than in the harness: reading
	// /proc/net/tcp with tens of thousands of entries costs CPU, and that
	// must not be charged to the monitor.
	var peak sockets
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				peak.max(countSockets(port))
			}
		}
	}()
	_, _ = io.Copy(io.Discard, os.Stdin)
	close(stop)
	<-done
	fmt.Printf("sockets %d %d %d\n", peak.serverTimeWait, peak.clientTimeWait, peak.established)
	return nil
}

// sockets counts TCP sockets to or from the target's port.
type sockets struct {
	// serverTimeWait are TIME_WAIT sockets whose local port is the
	// target's: the target closed first. clientTimeWait have the target
	// as remote port: the prober closed first and holds an ephemeral port
	// for the TIME_WAIT period.
	serverTimeWait, clientTimeWait, established int
}

func (s *sockets) max(o sockets) {
	s.serverTimeWait = max(s.serverTimeWait, o.serverTimeWait)
	s.clientTimeWait = max(s.clientTimeWait, o.clientTimeWait)
	s.established = max(s.established, o.established)
}

// countSockets reads /proc/net/tcp; the harness and the target share the
// network namespace, so both ends of every probe connection are listed.
func countSockets(port int) sockets {
	var s sockets
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return s
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		local, remote, state := hexPort(fields[1]), hexPort(fields[2]), fields[3]
		switch {
		case state == "06" && local == port:
			s.serverTimeWait++
		case state == "06" && remote == port:
			s.clientTimeWait++
		case state == "01" && (local == port || remote == port):
			s.established++
		}
	}
	return s
}

func hexPort(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return -1
	}
	p, err := strconv.ParseUint(addr[i+1:], 16, 16)
	if err != nil {
		return -1
	}
	return int(p)
}

// target is the running child process, seen from the harness.
type target struct {
	addr  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startTarget re-executes this binary with -target and reads the address
// it listens on.
func startTarget() (*target, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-target")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start target: %w", err)
	}
	t := &target{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := t.out.ReadString('\n')
	if err != nil {
		_ = stdin.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("target did not report its address: %w", err)
	}
	t.addr = strings.TrimSpace(line)
	return t, nil
}

// cpu is the target's CPU time so far, from /proc/PID/stat.
func (t *target) cpu() time.Duration {
	return procCPU(t.cmd.Process.Pid)
}

// stop ends the target and returns the socket peaks it saw.
func (t *target) stop() (sockets, error) {
	_ = t.stdin.Close()
	var s sockets
	var err error
	for {
		line, rerr := t.out.ReadString('\n')
		if strings.HasPrefix(line, "sockets ") {
			_, err = fmt.Sscanf(line, "sockets %d %d %d", &s.serverTimeWait, &s.clientTimeWait, &s.established)
		}
		if rerr != nil {
			break
		}
	}
	waited := make(chan error, 1)
	go func() { waited <- t.cmd.Wait() }()
	select {
	case werr := <-waited:
		return s, errors.Join(err, werr)
	case <-time.After(10 * time.Second):
		_ = t.cmd.Process.Kill()
		return s, errors.Join(err, errors.New("target did not stop within 10s; killed"))
	}
}

// procCPU reads user+system time of a process from /proc/PID/stat
// (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// counter is a peak tracker safe for concurrent use.
type counter struct{ v atomic.Int64 }

func (c *counter) observe(n int64) {
	for {
		old := c.v.Load()
		if n <= old || c.v.CompareAndSwap(old, n) {
			return
		}
	}
}
