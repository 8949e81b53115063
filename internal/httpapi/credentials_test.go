package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// The credentials of the check these tests write: none of them may ever be
// shown back.
const (
	bearerSecret = "s3cr3t"
	apiKeySecret = "k3y-0f-the-api"
	basicSecret  = "pa55w0rd-basic"
)

// recordingTarget is an HTTP server that keeps the headers of the last
// request it answered.
type recordingTarget struct {
	*httptest.Server
	mu   sync.Mutex
	last http.Header
}

func newRecordingTarget(t *testing.T) *recordingTarget {
	rt := &recordingTarget{}
	rt.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.mu.Lock()
		rt.last = r.Header.Clone()
		rt.mu.Unlock()
	}))
	t.Cleanup(rt.Close)
	return rt
}

// probe runs the stored check once, as the scheduler would, and returns the
// headers the target received.
func (rt *recordingTarget) probe(t *testing.T, h *harness, name string) http.Header {
	t.Helper()
	sc, err := h.checks.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	c, problems := monitor.Compile(sc.Check, nil)
	if len(problems) > 0 {
		t.Fatalf("stored check does not compile: %v", problems)
	}
	if res := monitor.Run(context.Background(), c, monitor.LocationLocal); res.Outcome.String() != "up" {
		t.Fatalf("probe: %s, %s", res.Outcome, res.Reason)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.last
}

// wantNoSecret fails when any of the check's credentials is in b.
func wantNoSecret(t *testing.T, where string, b []byte) {
	t.Helper()
	for _, s := range []string{bearerSecret, apiKeySecret, basicSecret, base64.StdEncoding.EncodeToString([]byte("probe:" + basicSecret))} {
		if strings.Contains(string(b), s) {
			t.Errorf("%s shows a credential (%q): %s", where, s, b)
		}
	}
}

// TestCheckCredentialsAreWriteOnly: the values of sensitive headers and the
// basic-auth password are stored and sent by the probe, but the API shows
// only that they are set — in a check, the list, the answer to a write, the
// audit log and the OpenAPI document — and updates keep, replace or remove
// them as the convention says.
func TestCheckCredentialsAreWriteOnly(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		target := newRecordingTarget(t)
		h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"shop","objective":{"availability":"99%"}}`, 201)
		body := fmt.Sprintf(`{"name":"shop-web","service":"shop","type":"http","url":%q,
			"headers":{"Authorization":"Bearer %s","X-Api-Key":%q,"Accept":"application/json"},
			"basic_auth":{"username":"probe","password":%q}}`, target.URL+"/health", bearerSecret, apiKeySecret, basicSecret)
		// basic_auth and an Authorization header at once are refused.
		b := h.mustDo(auth.Operator, "POST", "/api/v1/checks", body, 400)
		wantNoSecret(t, "the problem answer", b)
		if !strings.Contains(string(b), "basic_auth") {
			t.Fatalf("problem does not name basic_auth: %s", b)
		}
		body = fmt.Sprintf(`{"name":"shop-web","service":"shop","type":"http","url":%q,
			"headers":{"X-Auth-Token":"Bearer %s","X-Api-Key":%q,"Accept":"application/json"},
			"basic_auth":{"username":"probe","password":%q}}`, target.URL+"/health", bearerSecret, apiKeySecret, basicSecret)
		b = h.mustDo(auth.Operator, "POST", "/api/v1/checks", body, 201)
		wantNoSecret(t, "the answer to POST", b)

		var got monitor.Status
		for _, role := range []auth.Role{auth.Viewer, auth.Admin} {
			b = h.mustDo(role, "GET", "/api/v1/checks/shop-web", "", 200)
			wantNoSecret(t, "GET as "+string(role), b)
			b = h.mustDo(role, "GET", "/api/v1/checks", "", 200)
			wantNoSecret(t, "the list as "+string(role), b)
		}
		b = h.mustDo(auth.Viewer, "GET", "/api/v1/checks/shop-web", "", 200)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Headers["X-Auth-Token"] != monitor.SetMarker || got.Headers["X-Api-Key"] != monitor.SetMarker || got.Headers["Accept"] != "application/json" ||
			got.BasicAuth == nil || got.BasicAuth.Username != "probe" || got.BasicAuth.Password == nil || *got.BasicAuth.Password != monitor.SetMarker {
			t.Fatalf("shown as %+v, %+v; want the credentials as %q and the rest as they are", got.Headers, got.BasicAuth, monitor.SetMarker)
		}
		sent := target.probe(t, h, "shop-web")
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("probe:"+basicSecret))
		if sent.Get("X-Auth-Token") != "Bearer "+bearerSecret || sent.Get("X-Api-Key") != apiKeySecret || sent.Get("Authorization") != basic {
			t.Fatalf("the probe sent %v", sent)
		}

		for _, c := range []struct {
			name, headers, basic string
			want                 http.Header // what the probe then sends; "" means absent
		}{
			{"what was read, written back, keeps every credential",
				`{"X-Auth-Token":"[set]","X-Api-Key":"[set]","Accept":"application/json"}`, `{"username":"probe","password":"[set]"}`,
				http.Header{"X-Auth-Token": {"Bearer " + bearerSecret}, "X-Api-Key": {apiKeySecret}, "Authorization": {basic}, "Accept": {"application/json"}}},
			{"an update that leaves credentials out keeps them",
				`{"Accept":"text/plain"}`, ``,
				http.Header{"X-Auth-Token": {"Bearer " + bearerSecret}, "X-Api-Key": {apiKeySecret}, "Authorization": {basic}, "Accept": {"text/plain"}}},
			{"a new value replaces the stored one",
				`{"X-Api-Key":"rotated-key"}`, `{"username":"probe2"}`,
				http.Header{"X-Auth-Token": {"Bearer " + bearerSecret}, "X-Api-Key": {"rotated-key"}, "Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("probe2:"+basicSecret))}, "Accept": {""}}},
			{"an empty value or null removes it",
				`{"X-Api-Key":"","X-Auth-Token":null}`, `{"username":""}`,
				http.Header{"X-Auth-Token": {""}, "X-Api-Key": {""}, "Authorization": {""}}},
		} {
			t.Run(c.name, func(t *testing.T) {
				body := fmt.Sprintf(`{"service":"shop","type":"http","url":%q,"headers":%s`, target.URL+"/health", c.headers)
				if c.basic != "" {
					body += `,"basic_auth":` + c.basic
				}
				b := h.mustDo(auth.Operator, "PUT", "/api/v1/checks/shop-web", body+"}", 200)
				wantNoSecret(t, "the answer to PUT", b)
				sent := target.probe(t, h, "shop-web")
				for k, v := range c.want {
					if sent.Get(k) != v[0] {
						t.Errorf("%s: sent %q, want %q", k, sent.Get(k), v[0])
					}
				}
			})
		}

		// "[set]" where nothing is stored is a mistake, named by its field.
		b = h.mustDo(auth.Operator, "PUT", "/api/v1/checks/shop-web", fmt.Sprintf(`{"service":"shop","type":"http","url":%q,"headers":{"X-Api-Key":"[set]"}}`, target.URL), 400)
		if !strings.Contains(string(b), "X-Api-Key") {
			t.Errorf("problem does not name the header: %s", b)
		}
		// A password in the URL would be shown back with the URL: refused.
		b = h.mustDo(auth.Operator, "POST", "/api/v1/checks", fmt.Sprintf(`{"name":"shop-userinfo","service":"shop","type":"http","url":"http://probe:%s@%s/"}`, basicSecret, strings.TrimPrefix(target.URL, "http://")), 400)
		wantNoSecret(t, "the problem about a URL password", b)
		if !strings.Contains(string(b), "basic_auth") {
			t.Errorf("problem does not point to basic_auth: %s", b)
		}

		b = h.mustDo(auth.Admin, "GET", "/api/v1/audit?object_type=check", "", 200)
		wantNoSecret(t, "the audit log", b)
		if strings.Contains(string(b), "rotated-key") {
			t.Errorf("the audit log shows a replaced value: %s", b)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"X-Api-Key":"[set]"`, `"X-Api-Key":"[changed]"`, `"password":"[set]"`} {
			if !strings.Contains(compact.String(), want) {
				t.Errorf("the audit log does not show %s: %s", want, compact.String())
			}
		}
		b = h.mustDo(auth.Viewer, "GET", "/api/v1/openapi.json", "", 200)
		wantNoSecret(t, "the OpenAPI document", b)
		if !strings.Contains(string(b), `\"[set]\"`) {
			t.Errorf("the OpenAPI document does not explain the write-only convention")
		}
	})
}
