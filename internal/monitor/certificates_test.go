package monitor_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestCertificateKept: the expiry a TLS probe saw is stored with the
// result that first saw it, costs no statement while it stays the same,
// follows a renewal, survives a restart, and is listed with the check's
// service; a check turned to plain HTTP no longer shows it.
func TestCertificateKept(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			db, counter := storetest.OpenCounting(t, e)
			ctx := context.Background()
			f := newFixture(t, db, t0, "shop")
			f.addCheck(monitor.Check{Name: "shop-tls", Service: "shop", Type: "tls", Host: "shop.example", Port: 443, Interval: "1m"})
			f.addCheck(monitor.Check{Name: "shop-web", Service: "shop", Type: "http", URL: "https://shop.example/", Interval: "1m"})
			first := time.Date(2026, 12, 20, 23, 59, 59, 0, time.UTC)
			record := func(at time.Time, notAfter time.Time) {
				t.Helper()
				f.clock.set(at)
				err := f.mon.Record(ctx, []monitor.Result{
					{Check: "shop-tls", Location: "local", At: at, Outcome: availability.Up, Reason: "ok", CertNotAfter: notAfter},
					{Check: "shop-web", Location: "local", At: at, Outcome: availability.Up, Reason: "ok"},
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			record(t0, first)
			// The same chain again: the certificate costs no statement.
			before := counter.Read()
			record(t0.Add(time.Minute), first)
			plain := counter.Read().Sub(before)
			before = counter.Read()
			record(t0.Add(2*time.Minute), first)
			if again := counter.Read().Sub(before); again.Statements != plain.Statements {
				t.Errorf("an unchanged certificate cost %d statements, a batch without one %d", again.Statements, plain.Statements)
			}
			if s, _ := f.mon.StatusOf("shop-tls", ""); !s.CertificateNotAfter.Equal(first) {
				t.Errorf("status: certificate not after %s, want %s", s.CertificateNotAfter, first)
			}
			if s, _ := f.mon.StatusOf("shop-web", ""); !s.CertificateNotAfter.IsZero() {
				t.Errorf("status of a check that saw no chain: %s", s.CertificateNotAfter)
			}

			renewed := first.Add(90 * 24 * time.Hour)
			renewedAt := t0.Add(3 * time.Minute)
			record(renewedAt, renewed)
			restarted := monitor.New(monitor.Options{DB: db, Checks: f.checks, Timeline: f.tl, Now: f.clock.now})
			if err := restarted.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if s, _ := restarted.StatusOf("shop-tls", ""); !s.CertificateNotAfter.Equal(renewed) {
				t.Errorf("after renewal and restart: not after %s, want %s", s.CertificateNotAfter, renewed)
			}
			got, err := restarted.Certificates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := monitor.Certificate{Check: "shop-tls", Service: "shop", NotAfter: renewed, Location: "local", FirstSeen: renewedAt}
			if len(got) != 1 || got[0] != want {
				t.Fatalf("certificates = %+v, want [%+v]", got, want)
			}

			// Turned into a plain HTTP check, it no longer watches one.
			if _, err := f.checks.Put(ctx, "test", monitor.Check{Name: "shop-tls", Service: "shop", Type: "http", URL: "http://shop.example/", Interval: "1m"}, catalog.MustExist); err != nil {
				t.Fatal(err)
			}
			if err := restarted.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if got, _ := restarted.Certificates(ctx); len(got) != 0 {
				t.Errorf("a plain HTTP check still lists %+v", got)
			}
			if s, _ := restarted.StatusOf("shop-tls", ""); !s.CertificateNotAfter.IsZero() {
				t.Errorf("a plain HTTP check still shows a certificate: %s", s.CertificateNotAfter)
			}
		})
	}
}

// TestRunSeesCertificate: a TLS check and an HTTPS check run against a
// real TLS server carry its certificate's expiry into their results.
func TestRunSeesCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	want := srv.Certificate().NotAfter.UTC()
	for _, c := range []monitor.Check{
		{Name: "tls", Service: "shop", Type: "tls", Host: host, Port: p, InsecureSkipVerify: true, Interval: "1m"},
		{Name: "web", Service: "shop", Type: "http", URL: srv.URL, InsecureSkipVerify: true, Interval: "1m"},
	} {
		compiled, problems := monitor.Compile(c, nil)
		if len(problems) > 0 {
			t.Fatalf("%s: %v", c.Name, problems)
		}
		r := monitor.RunWith(context.Background(), compiled, "local", nil)
		if r.Outcome != availability.Up || !r.CertNotAfter.Equal(want) {
			t.Errorf("%s: %s (%s), certificate not after %s, want %s", c.Name, r.Outcome, r.Reason, r.CertNotAfter, want)
		}
	}
}
