package web

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/live"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// liveServer serves env's stores through a UI with an event broker, on a
// real HTTP server so that the stream is read as a browser reads it.
func liveServer(t *testing.T, e *env, b *live.Broker, heartbeat time.Duration) *httptest.Server {
	t.Helper()
	outbox := &notify.Outbox{DB: e.db}
	ui, err := New(Deps{Auth: e.auth, Catalog: e.catalog, Outages: e.outages, Reports: timeline.NewReporter(e.catalog, e.outages, nil),
		Monitor: e.monitor, Checks: e.checks, Incidents: e.incidents, Signer: e.signer, Deliveries: outbox.Deliveries, Version: "test",
		Live: b, Heartbeat: heartbeat})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// openStream starts GET /events/stream as s and returns its status and a
// reader of its lines; the stream closes with the test.
func openStream(t *testing.T, srv *httptest.Server, s *session) (*http.Response, *bufio.Scanner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events/stream", nil)
	if s != nil {
		req.AddCookie(s.cookie)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res, bufio.NewScanner(res.Body)
}

// nextLine reads the stream's next non-empty line, failing after 5 s.
func nextLine(t *testing.T, sc *bufio.Scanner) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if l := sc.Text(); l != "" {
				got <- l
				return
			}
		}
		got <- "(stream ended)"
	}()
	select {
	case l := <-got:
		return l
	case <-time.After(5 * time.Second):
		t.Fatal("no line from the event stream within 5 s")
		return ""
	}
}

func TestEventStream(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		viewer := e.login("victor")
		t.Run("a signed-in viewer reads events as they are published", func(t *testing.T) {
			b := &live.Broker{}
			srv := liveServer(t, e, b, time.Hour)
			res, sc := openStream(t, srv, &viewer)
			wantStatus(t, res, http.StatusOK)
			if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Errorf("Content-Type %q", ct)
			}
			if l := nextLine(t, sc); l != "retry: 3000" {
				t.Errorf("first line %q", l)
			}
			if l := nextLine(t, sc); l != ": connected" {
				t.Errorf("second line %q", l)
			}
			b.Publish(live.Event{Kind: live.Incident, Name: "12"})
			if l := nextLine(t, sc); l != "event: change" {
				t.Errorf("event line %q", l)
			}
			if l := nextLine(t, sc); l != `data: {"kind":"incident","name":"12"}` {
				t.Errorf("data line %q", l)
			}
		})
		t.Run("an idle stream sends heartbeats", func(t *testing.T) {
			srv := liveServer(t, e, &live.Broker{}, 20*time.Millisecond)
			_, sc := openStream(t, srv, &viewer)
			nextLine(t, sc)
			nextLine(t, sc)
			if l := nextLine(t, sc); l != ": heartbeat" {
				t.Errorf("idle stream sent %q, want a heartbeat comment", l)
			}
		})
		t.Run("closing the broker ends the stream", func(t *testing.T) {
			b := &live.Broker{}
			srv := liveServer(t, e, b, time.Hour)
			_, sc := openStream(t, srv, &viewer)
			nextLine(t, sc)
			nextLine(t, sc)
			b.Close()
			if l := nextLine(t, sc); l != "(stream ended)" {
				t.Errorf("after Close the stream sent %q", l)
			}
		})
		t.Run("without a session the stream is refused", func(t *testing.T) {
			srv := liveServer(t, e, &live.Broker{}, time.Hour)
			res, sc := openStream(t, srv, nil)
			wantStatus(t, res, http.StatusUnauthorized)
			if l := nextLine(t, sc); !strings.Contains(l, "session has ended") {
				t.Errorf("401 body %q", l)
			}
		})
		t.Run("without a broker there is no stream", func(t *testing.T) {
			srv := liveServer(t, e, nil, time.Hour)
			res, _ := openStream(t, srv, &viewer)
			wantStatus(t, res, http.StatusNotFound)
		})
	})
}
