package app_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/cli"
	"github.com/sextant-ops/sextant/internal/discovery"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestAgentReportsHostFacts runs `sextant agent --once` in-process against
// a real server, with an agent token in SEXTANT_AGENT_TOKEN as a host
// would: the server item appears named after the host, with this host's
// facts read as the agent reads them; a second run changes nothing and
// makes no second item; after a person sets the OS by hand, a run leaves
// it alone.
func TestAgentReportsHostFacts(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e, app.Options{})
			secret, _, err := s.app.Auth().IssueToken(context.Background(), "test", auth.NewToken{Name: "agent-dc1", Role: auth.Agent, Location: "dc1"})
			if err != nil {
				t.Fatal(err)
			}
			agent := func(args ...string) string {
				t.Helper()
				var out, errb bytes.Buffer
				env := map[string]string{"SEXTANT_AGENT_TOKEN": secret}
				rc := cli.Main(append([]string{"agent", "--url", s.base, "--once"}, args...),
					cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
				if rc != 0 {
					t.Fatalf("sextant agent: %d %s", rc, errb.String())
				}
				return strings.TrimSpace(out.String())
			}
			host, err := os.Hostname()
			if err != nil {
				t.Fatal(err)
			}
			name := strings.ToLower(host)
			if got, want := agent(), `server item "`+name+`" created`; got != want {
				t.Fatalf("first run: %q, want %q", got, want)
			}
			want, err := discovery.Host{}.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var it struct {
				Class      string         `json:"class"`
				Source     string         `json:"source"`
				Attributes map[string]any `json:"attributes"`
			}
			if code := s.json("GET", "/api/v1/cis/"+name, "", &it); code != 200 {
				t.Fatalf("item: %d", code)
			}
			if it.Class != "server" || it.Source != "agent" || it.Attributes["hostname"] != host ||
				it.Attributes["cpus"] != float64(want.CPUs) || it.Attributes["memory_mb"] != float64(want.MemoryMB) ||
				it.Attributes["kernel"] != want.Kernel || it.Attributes["os"] != want.OS {
				t.Fatalf("item: %+v, want this host's facts %+v", it, want)
			}
			if want.CPUs == 0 || want.MemoryMB == 0 || want.Kernel == "" {
				t.Fatalf("this host's facts were not read: %+v", want)
			}
			if len(want.Addresses) > 0 && it.Attributes["addresses"] != strings.Join(want.Addresses, ",") {
				t.Fatalf("addresses: %v, want %v", it.Attributes["addresses"], want.Addresses)
			}
			if got := agent(); got != `server item "`+name+`" unchanged` {
				t.Fatalf("second run: %q", got)
			}
			var list struct {
				Items []struct{ Name string } `json:"items"`
			}
			if code := s.json("GET", "/api/v1/cis?class=server", "", &list); code != 200 || len(list.Items) != 1 {
				t.Fatalf("servers after two runs: %d %+v", code, list)
			}
			body := `{"class":"server","attributes":{"hostname":` + strconv.Quote(host) + `,"os":"Golden image 7","cpus":` + strconv.Itoa(want.CPUs) + `}}`
			if code := s.json("PUT", "/api/v1/cis/"+name, body, nil); code != 200 {
				t.Fatalf("a person's edit: %d", code)
			}
			// The person's PUT left out what they did not name: the agent
			// writes those back, and keeps off the OS.
			restored := "kernel, memory_mb"
			if len(want.Addresses) > 0 {
				restored = "addresses, ip, " + restored
			}
			if got, wantOut := agent(), `server item "`+name+`" updated (`+restored+`)`; got != wantOut {
				t.Fatalf("run after the edit: %q, want %q", got, wantOut)
			}
			if code := s.json("GET", "/api/v1/cis/"+name, "", &it); code != 200 || it.Attributes["os"] != "Golden image 7" || it.Attributes["kernel"] != want.Kernel {
				t.Fatalf("after the edit and a run: %+v", it.Attributes)
			}
			var d struct {
				LastSeen   string            `json:"last_seen"`
				Overridden map[string]string `json:"overridden"`
			}
			if code := s.json("GET", "/api/v1/cis/"+name+"/facts", "", &d); code != 200 || d.LastSeen == "" || d.Overridden["os"] != want.OS {
				t.Fatalf("facts: %d %+v", code, d)
			}
			// A token without the agent role is refused, and says so.
			var out, errb bytes.Buffer
			rc := cli.Main([]string{"agent", "--url", s.base, "--once", "--token", s.token},
				cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			if rc == 0 || !strings.Contains(errb.String(), "403") {
				t.Fatalf("an admin token: %d %s", rc, errb.String())
			}
		})
	}
}
