package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	listen := strings.TrimPrefix(srv.URL, "http://")
	if code, out, errs := run(t, "", map[string]string{"SEXTANT_LISTEN": listen}, "health"); code != 0 || strings.TrimSpace(out) != "ok" {
		t.Fatalf("ready server: exit %d, %q %q", code, out, errs)
	}
	ready = false
	if code, _, errs := run(t, "", nil, "health", "--url", srv.URL+"/readyz"); code != 1 || !strings.Contains(errs, "503") {
		t.Fatalf("unready server: exit %d, %q", code, errs)
	}
	srv.Close()
	if code, _, errs := run(t, "", nil, "health", "--url", srv.URL+"/readyz"); code != 1 || !strings.Contains(errs, "health:") {
		t.Fatalf("no server: exit %d, %q", code, errs)
	}
}

func TestServeRefusesABadReplicaHeartbeat(t *testing.T) {
	for _, v := range []string{"soon", "10ms", "2m"} {
		code, _, errs := run(t, "", nil, "serve", "--data", t.TempDir(), "--replica-heartbeat", v)
		if code != 2 || !strings.Contains(errs, "--replica-heartbeat") {
			t.Errorf("--replica-heartbeat %s: exit %d, %q", v, code, errs)
		}
	}
}
