package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// cursor is the list cursor that starts after name.
func cursor(name string) string { return store.Cursor(name) }

// call sends body (JSON, or none) as the admin and returns the status and
// the answer as text.
func (s *server) call(method, path, body string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// setupConfig is a config file with one file channel and one file policy
// (on ops-hook), plus the channels in more.
func setupConfig(t *testing.T, path, hookURL, more string) {
	t.Helper()
	t.Setenv("HOOK_SECRET", hookSecret)
	body := fmt.Sprintf(`services:
  - name: shop
    objective: {availability: 99.9%%}
channels:
  - {name: ops-hook, type: webhook, url: "%s/hook", secret: "${HOOK_SECRET}"}
%sescalation_policies:
  - name: default
    levels:
      - {delay: 0m, notify: [channel:ops-hook]}
`, hookURL, more)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestChannelsIntegrationsAndPoliciesThroughTheAPI walks what an admin
// does with channels, integrations and escalation policies made through
// the API, beside a config file's: every step validated as the file is,
// secrets never shown back, a key shown once and rotated, the running
// server using each change at once, and the file winning.
func TestChannelsIntegrationsAndPoliciesThroughTheAPI(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := &hook{t: t}
			recv := httptest.NewServer(h)
			defer recv.Close()
			refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "receiver in maintenance\nsecond line")
			}))
			defer refusing.Close()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "sextant.yaml")
			setupConfig(t, cfg, recv.URL, "")
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir})

			type step struct {
				name, method, path, body string
				code                     int
				want, refuse             []string
			}
			apiHook := fmt.Sprintf(`{"name": "api-hook", "type": "webhook", "url": "%s/hook", "secret": "%s", "timeout": "5s"}`, recv.URL, hookSecret)
			run := func(steps []step) {
				t.Helper()
				for _, st := range steps {
					code, body := s.call(st.method, st.path, st.body)
					if code != st.code {
						t.Fatalf("%s: %s %s = %d, want %d: %s", st.name, st.method, st.path, code, st.code, body)
					}
					for _, w := range st.want {
						if !strings.Contains(body, w) {
							t.Fatalf("%s: answer lacks %q: %s", st.name, w, body)
						}
					}
					for _, w := range append(st.refuse, hookSecret) {
						if strings.Contains(body, w) {
							t.Fatalf("%s: answer shows %q: %s", st.name, w, body)
						}
					}
				}
			}
			run([]step{
				{name: "create a webhook channel", method: "POST", path: "/api/v1/channels", body: apiHook, code: 201,
					want: []string{`"source": "api"`, `"secret": "[set]"`}},
				{name: "every mistake named", method: "POST", path: "/api/v1/channels", body: `{"name": "bad", "type": "webhook", "url": "ftp://x", "timeout": "2m", "topic": "t"}`, code: 400,
					want: []string{`"pointer":"/url"`, `"pointer":"/timeout"`, `"pointer":"/topic"`}},
				{name: "a name the file declares", method: "POST", path: "/api/v1/channels", body: `{"name": "ops-hook", "type": "slack", "url": "https://hooks.example/x"}`, code: 409,
					want: []string{"declared in " + cfg}},
				{name: "the file's channel is read-only", method: "PUT", path: "/api/v1/channels/ops-hook", body: `{"type": "slack", "url": "https://hooks.example/x"}`, code: 403,
					want: []string{"read-only"}},
				{name: "nor can it be removed", method: "DELETE", path: "/api/v1/channels/ops-hook", code: 403},
				{name: "a person made in the API", method: "PUT", path: "/api/v1/people/zoe", body: `{"display_name": "Zoe", "ntfy": "zoe-pages"}`, code: 201},
				{name: "is in the running directory at once", method: "GET", path: "/api/v1/people", code: 200,
					want: []string{`"name": "zoe"`, `"ntfy"`}},
				{name: "a status page made in the API", method: "PUT", path: "/api/v1/status-pages/live", body: `{"title": "Live status", "groups": [{"title": "Shop", "services": ["shop"]}]}`, code: 201},
				{name: "is public at once", method: "GET", path: "/status/live", code: 200, want: []string{"Live status"}},
				{name: "listed beside the file's", method: "GET", path: "/api/v1/channels", code: 200,
					want: []string{`"name": "api-hook"`, `"declared_in": "` + cfg + `"`}},
				{name: "a policy naming an unknown channel", method: "POST", path: "/api/v1/escalation-policies", body: `{"name": "night", "levels": [{"delay": "5m", "notify": ["channel:nope"]}]}`, code: 400,
					want: []string{`"pointer":"/levels/0/notify/0"`, `unknown channel \"nope\"`}},
				{name: "a policy on the new channel", method: "POST", path: "/api/v1/escalation-policies", body: `{"name": "night", "levels": [{"delay": "0m", "notify": ["channel:api-hook"]}]}`, code: 201},
				{name: "a channel in use cannot go", method: "DELETE", path: "/api/v1/channels/api-hook", code: 409,
					want: []string{`escalation policy \"night\"`}},
				{name: "a key in the body is refused", method: "POST", path: "/api/v1/integrations", body: `{"name": "am2", "kind": "alertmanager", "service": "shop", "key": "my-own-key-0123456789"}`, code: 400,
					want: []string{`"pointer":"/key"`}, refuse: []string{"my-own-key"}},
				{name: "an integration on an unknown policy", method: "POST", path: "/api/v1/integrations", body: `{"name": "am2", "kind": "alertmanager", "service": "shop", "escalation": "nope"}`, code: 400,
					want: []string{`"pointer":"/escalation"`}},
			})

			var created struct {
				Key    string
				Ingest struct {
					URLs         []string
					Alertmanager string
				}
			}
			if code := s.json("POST", "/api/v1/integrations", `{"name": "api-am", "kind": "alertmanager", "service": "shop", "escalation": "night"}`, &created); code != 201 {
				t.Fatalf("create integration: %d", code)
			}
			if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(created.Key) {
				t.Fatalf("key %q: want 32 hexadecimal digits", created.Key)
			}
			amURL := s.base + "/api/v1/integrations/alertmanager/api-am"
			if len(created.Ingest.URLs) != 1 || created.Ingest.URLs[0] != amURL || !strings.Contains(created.Ingest.Alertmanager, "credentials: "+created.Key) ||
				!strings.Contains(created.Ingest.Alertmanager, "url: "+amURL) {
				t.Fatalf("ingest = %+v", created.Ingest)
			}
			run([]step{
				{name: "the key is shown once", method: "GET", path: "/api/v1/integrations/api-am", code: 200,
					want: []string{`"key": "[set]"`, "YOUR_INTEGRATION_KEY", amURL}, refuse: []string{created.Key}},
				{name: "nor in the list", method: "GET", path: "/api/v1/integrations", code: 200, refuse: []string{created.Key}},
				{name: "a policy in use cannot go", method: "DELETE", path: "/api/v1/escalation-policies/night", code: 409,
					want: []string{`integration \"api-am\"`}},
			})

			// The new integration, policy and channel run at once: an
			// alert reaches the receiver through them.
			if code, _, ans := postAM(t, s, "api-am", created.Key, stormBody("g1", 1, 0, "firing", noLabels)); code != 202 {
				t.Fatalf("alert with the new key: %d %v", code, ans)
			}
			waitUntil(t, "the notification through api-hook", 10*time.Second, func() bool { return len(h.events()) == 1 })

			var rotated struct{ Key string }
			if code := s.json("POST", "/api/v1/integrations/api-am/key/rotate", "", &rotated); code != 200 || rotated.Key == "" || rotated.Key == created.Key {
				t.Fatalf("rotate: %d %q", code, rotated.Key)
			}
			if code, _, _ := postAM(t, s, "api-am", created.Key, stormBody("g2", 1, 0, "firing", noLabels)); code != 401 {
				t.Fatalf("the old key after rotation: %d, want 401", code)
			}
			if code, _, _ := postAM(t, s, "api-am", rotated.Key, stormBody("g2", 1, 0, "firing", noLabels)); code != 202 {
				t.Fatalf("the new key: %d", code)
			}

			// Send test: through the real channel, answering what the
			// receiver said.
			var res struct {
				OK            bool
				Status        int
				Answer, Error string
			}
			if code := s.json("POST", "/api/v1/channels/api-hook/test", "", &res); code != 200 || !res.OK || res.Status != 200 {
				t.Fatalf("test api-hook: %d %+v", code, res)
			}
			waitUntil(t, "the test message", 5*time.Second, func() bool {
				return slices.ContainsFunc(h.events(), func(e string) bool { return strings.HasPrefix(e, "test:") })
			})
			if code := s.json("POST", "/api/v1/channels", fmt.Sprintf(`{"name": "down-hook", "type": "webhook", "url": "%s/x"}`, refusing.URL), nil); code != 201 {
				t.Fatalf("create down-hook: %d", code)
			}
			res.OK, res.Status, res.Error = true, 0, ""
			if code := s.json("POST", "/api/v1/channels/down-hook/test", "", &res); code != 200 || res.OK || res.Status != 503 ||
				!strings.Contains(res.Error, "503 Service Unavailable: receiver in maintenance") {
				t.Fatalf("test down-hook: %d %+v", code, res)
			}

			// A Slack URL is a secret too; an events integration answers
			// its PagerDuty URLs and takes events with its key at once.
			slackURL := "https://hooks.slack.example/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
			run([]step{{name: "a Slack channel", method: "POST", path: "/api/v1/channels", body: `{"name": "chat", "type": "slack", "url": "` + slackURL + `"}`, code: 201,
				want: []string{`"url": "[set]"`}, refuse: []string{"XXXXXXXXXXXX"}},
				{name: "listed without its URL", method: "GET", path: "/api/v1/channels?limit=1&cursor=" + cursor("api-hook"), code: 200, want: []string{`"name": "chat"`}, refuse: []string{"XXXXXXXXXXXX"}}})
			var events struct {
				Key    string
				Ingest struct{ URLs []string }
			}
			if code := s.json("POST", "/api/v1/integrations", `{"name": "pd", "kind": "events", "service": "shop"}`, &events); code != 201 ||
				len(events.Ingest.URLs) != 2 || events.Ingest.URLs[0] != s.base+"/v2/enqueue" || events.Ingest.URLs[1] != s.base+"/api/v1/events" {
				t.Fatalf("events integration: %d %+v", code, events.Ingest)
			}
			if code, body := s.call("POST", "/v2/enqueue", `{"routing_key": "`+events.Key+`", "event_action": "trigger", "dedup_key": "x", "payload": {"summary": "disk full", "source": "db1", "severity": "warning"}}`); code != 202 {
				t.Fatalf("event with the new key: %d %s", code, body)
			}

			// An update that sends the secret back as [set] keeps it: the
			// receiver still finds the signature good.
			bad := h.bad.Load()
			run([]step{
				{name: "replace keeping the secret", method: "PUT", path: "/api/v1/channels/api-hook", body: fmt.Sprintf(`{"type": "webhook", "url": "%s/hook", "secret": "[set]", "timeout": "3s"}`, recv.URL), code: 200,
					want: []string{`"timeout": "3s"`, `"secret": "[set]"`}},
				{name: "test again", method: "POST", path: "/api/v1/channels/api-hook/test", code: 200, want: []string{`"ok": true`}},
				{name: "the audit log shows no secret", method: "GET", path: "/api/v1/audit?limit=100", code: 200,
					want: []string{`[set]`, "api-hook"}, refuse: []string{created.Key, rotated.Key}},
			})
			if h.bad.Load() != bad {
				t.Fatal("the signature went bad after an update that kept the secret")
			}

			// A file that would leave a stored policy naming a channel it
			// no longer declares is refused, naming the policy.
			run([]step{{name: "a policy on the file's channel", method: "POST", path: "/api/v1/escalation-policies", body: `{"name": "uses-file", "levels": [{"notify": ["channel:ops-hook"]}]}`, code: 201}})
			if err := os.WriteFile(cfg, []byte("services:\n  - name: other\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			run([]step{
				{name: "a dangling reload", method: "POST", path: "/api/v1/config/reload", code: 409,
					want: []string{`escalation policy \"uses-file\": levels[0].notify[0]: unknown channel \"ops-hook\"`, `integration \"api-am\": service: unknown service \"shop\"`}},
				{name: "the running config was kept", method: "GET", path: "/api/v1/channels/ops-hook", code: 200, want: []string{`"source": "file"`}},
			})

			// The file wins: once it declares api-hook, the file's takes
			// the name and the stored one is gone.
			setupConfig(t, cfg, recv.URL, fmt.Sprintf("  - {name: api-hook, type: webhook, url: \"%s/hook\", secret: \"${HOOK_SECRET}\", timeout: 7s}\n", recv.URL))
			run([]step{
				{name: "the file takes the name", method: "POST", path: "/api/v1/config/reload", code: 200},
				{name: "now the file's", method: "GET", path: "/api/v1/channels/api-hook", code: 200, want: []string{`"source": "file"`, `"timeout": "7s"`}},
			})
			var list struct{ Items []json.RawMessage }
			s.json("GET", "/api/v1/channels", "", &list)
			if len(list.Items) != 4 {
				t.Fatalf("channels after the file took api-hook: %d, want ops-hook, api-hook, down-hook and chat", len(list.Items))
			}
		})
	}
}
