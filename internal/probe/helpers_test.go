package probe

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
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

// cert is a generated certificate with its key, ready to serve.
type cert struct {
	x509 *x509.Certificate
	tls  tls.Certificate
}

// newCert makes a certificate for 127.0.0.1 and "localhost", valid between
// notBefore and notAfter, signed by parent (self-signed when nil).
func newCert(t *testing.T, notBefore, notAfter time.Time, isCA bool, parent *cert) cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "sextant test"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	signer, signerKey := tmpl, any(key)
	if parent != nil {
		signer, signerKey = parent.x509, parent.tls.PrivateKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	chain := [][]byte{der}
	if parent != nil {
		chain = append(chain, parent.tls.Certificate...)
	}
	return cert{x509: parsed, tls: tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: parsed}}
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
