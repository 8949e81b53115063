package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// sameSchema is an engine whose every DSN is one PostgreSQL schema, so that
// several servers of a test share it as replicas do.
func sameSchema(t *testing.T) storetest.Engine {
	dsn := storetest.PostgresDSN(t)
	return storetest.Engine{Name: "postgres", DSN: func(t testing.TB) (string, string) { return dsn, t.TempDir() }}
}

// Two servers on one PostgreSQL schema: a check made through one is shown
// by the other within a second or two (the bus, not the 30-s refresh), it
// runs on one of them only, and both show the same state.
func TestReplicasShareChecksAndCaches(t *testing.T) {
	e := sameSchema(t)
	var mu sync.Mutex
	var hitsAt []time.Time
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hitsAt = append(hitsAt, time.Now())
		mu.Unlock()
	}))
	defer target.Close()
	cfg := filepath.Join(t.TempDir(), "sextant.yaml")
	if err := os.WriteFile(cfg, []byte("services:\n  - name: shop\n    objective: {availability: 99.9%}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := start(t, e, app.Options{ConfigPath: cfg, ReplicaID: "a", ReplicaHeartbeat: 200 * time.Millisecond})
	b := start(t, e, app.Options{ConfigPath: cfg, ReplicaID: "b", ReplicaHeartbeat: 200 * time.Millisecond})
	body := fmt.Sprintf(`{"name":"shop-web","service":"shop","type":"http","url":%q,"interval":"2s","timeout":"1s"}`, target.URL)
	if code := a.json("POST", "/api/v1/checks", body, nil); code != 201 {
		t.Fatalf("create through a: %d", code)
	}
	made := time.Now()
	waitUntil(t, "b to show the check made through a", 5*time.Second, func() bool {
		return b.json("GET", "/api/v1/checks/shop-web", "", nil) == 200
	})
	t.Logf("the check made through a was shown by b after %s", time.Since(made).Round(time.Millisecond))
	// Both show it up once it ran, whichever server ran it.
	var sa, sb struct{ State string }
	waitUntil(t, "both servers to show the check up", 15*time.Second, func() bool {
		a.json("GET", "/api/v1/checks/shop-web", "", &sa)
		b.json("GET", "/api/v1/checks/shop-web", "", &sb)
		return sa.State == "up" && sb.State == "up"
	})
	// Four intervals: one run per 2-s instant, never two.
	time.Sleep(8 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(hitsAt) < 3 {
		t.Fatalf("%d runs in about 10 s at a 2-s interval", len(hitsAt))
	}
	for i := 1; i < len(hitsAt); i++ {
		if gap := hitsAt[i].Sub(hitsAt[i-1]); gap < time.Second {
			t.Fatalf("runs %s apart at a 2-s interval: the check ran on both servers", gap)
		}
	}
	// A deleted check goes from both.
	if code := b.json("DELETE", "/api/v1/checks/shop-web", "", nil); code != 204 {
		t.Fatalf("delete through b: %d", code)
	}
	waitUntil(t, "a to drop the check deleted through b", 5*time.Second, func() bool {
		return a.json("GET", "/api/v1/checks/shop-web", "", nil) == 404
	})
}
