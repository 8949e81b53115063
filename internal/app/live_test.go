package app_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestLiveEvents follows a change from the incident engine to a signed-in
// page's event stream, and checks that an open stream does not hold up
// the server's shutdown.
func TestLiveEvents(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dsn, dir := e.DSN(t)
			a, err := app.New(context.Background(), app.Options{Demo: true, DataDir: dir, Database: dsn, Listen: "127.0.0.1:0", Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			<-a.Ready()
			base := "http://" + a.Addr()
			bg := context.Background()
			if _, err := a.Auth().CreateUser(bg, "test", auth.NewUser{Name: "olivia", Password: "correct horse battery", Role: auth.Operator}); err != nil {
				t.Fatal(err)
			}
			sid, _, err := a.Auth().Login(bg, "olivia", "correct horse battery", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			token, _, err := a.Auth().CreateToken(bg, "test", "ops", "operator")
			if err != nil {
				t.Fatal(err)
			}
			streamCtx, stopStream := context.WithCancel(bg)
			defer stopStream()
			req, _ := http.NewRequestWithContext(streamCtx, http.MethodGet, base+"/events/stream", nil)
			req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: sid})
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("stream status %d", res.StatusCode)
			}
			lines := make(chan string, 64)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			waitFor := func(want string) {
				t.Helper()
				deadline := time.After(5 * time.Second)
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							t.Fatalf("the stream ended before %q", want)
						}
						if l == want {
							return
						}
					case <-deadline:
						t.Fatalf("no %q on the stream within 5 s", want)
					}
				}
			}
			waitFor(": connected")

			// Resolving the demo's open incident through the API reaches
			// the page's stream.
			var id int64 = 1
			rq, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/incidents/%d/resolve", base, id), strings.NewReader("{}"))
			rq.Header.Set("Authorization", "Bearer "+token)
			rq.Header.Set("Content-Type", "application/json")
			rr, err := http.DefaultClient.Do(rq)
			if err != nil {
				t.Fatal(err)
			}
			rr.Body.Close()
			if rr.StatusCode != http.StatusOK {
				t.Fatalf("resolve: status %d", rr.StatusCode)
			}
			waitFor(`data: {"kind":"incident"}`)

			// Shutting down ends the stream at once instead of waiting out
			// the ten seconds given to requests in flight.
			began := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the server took more than 5 s to stop with a stream open")
			}
			if took := time.Since(began); took > 2*time.Second {
				t.Errorf("shutdown took %v with a stream open", took)
			}
			for range lines {
			}
		})
	}
}
