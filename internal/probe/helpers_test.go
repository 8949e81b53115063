package probe

import (
	"net"
	"testing"
	"time"
)

// reason returns the text of a result's failure, "" when it succeeded.
func reason(res Result) string {
	if res.Err == nil {
		return ""
	}
	return res.Err.Error()
}

// wantReason fails the test unless res failed with exactly want.
func wantReason(t *testing.T, res Result, want string) {
	t.Helper()
	if got := reason(res); got != want {
		t.Fatalf("reason = %q, want %q (cause: %v)", got, want, cause(res))
	}
}

// wantOK fails the test unless res succeeded.
func wantOK(t *testing.T, res Result) {
	t.Helper()
	if res.Err != nil {
		t.Fatalf("unexpected failure %q (cause: %v)", res.Err, cause(res))
	}
}

func cause(res Result) error {
	if f, ok := res.Err.(*Failure); ok {
		return f.Cause
	}
	return res.Err
}

// freePort returns a loopback port nothing listens on: it binds one and
// lets it go again.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// listen starts a TCP listener on loopback whose connections are handed to
// serve, one goroutine each, until the test ends.
func listen(t *testing.T, serve func(net.Conn)) *net.TCPAddr {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr)
}

// junkServer answers whatever it is sent with bytes that are not TLS.
func junkServer(t *testing.T) *net.TCPAddr {
	return listen(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 1024)
		c.Read(buf)
		c.Write([]byte("\x00\x01garbage, not a TLS record\r\n"))
	})
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) *net.TCPAddr {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return listen(t, func(net.Conn) {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
}

// near fails the test unless got is within tolerance of want.
func near(t *testing.T, what string, got *time.Duration, want, tolerance time.Duration) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s not measured, want about %s", what, want)
	}
	if d := *got - want; d < -tolerance || d > tolerance {
		t.Fatalf("%s = %s, want %s ± %s", what, *got, want, tolerance)
	}
}

// bounded fails the test if a probe ran longer than limit.
func bounded(t *testing.T, start time.Time, limit time.Duration) {
	t.Helper()
	if took := time.Since(start); took > limit {
		t.Fatalf("probe took %s, longer than %s", took, limit)
	}
}
