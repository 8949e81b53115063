package httpapi_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

type factsAnswer struct {
	Item struct {
		Name       string         `json:"name"`
		Class      string         `json:"class"`
		Source     string         `json:"source"`
		Attributes map[string]any `json:"attributes"`
	} `json:"item"`
	Created   bool     `json:"created"`
	Changed   []string `json:"changed"`
	Discovery struct {
		ReportedBy string            `json:"reported_by"`
		FirstSeen  string            `json:"first_seen"`
		LastSeen   string            `json:"last_seen"`
		Overridden map[string]string `json:"overridden"`
	} `json:"discovery"`
}

// TestCMDBFacts: an agent's first report creates the server item with its
// facts as attributes; a report of the same facts changes nothing but the
// last-seen time; a changed fact is written, audited; an attribute a
// person set is left alone and shown beside what the agent found; bad
// reports are refused naming each field; only agent tokens may report.
func TestCMDBFacts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		report := func(body string) factsAnswer {
			t.Helper()
			var a factsAnswer
			if err := json.Unmarshal(h.mustDo(auth.Agent, "PUT", "/api/v1/cis/web-01/facts", body, 200), &a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		const facts = `{"hostname":"web-01","os":"Debian GNU/Linux 12 (bookworm)","kernel":"Linux 6.1.0-18-amd64","cpus":8,"memory_mb":16000,"addresses":["10.1.2.3","2001:db8::3"]}`
		a := report(facts)
		want := map[string]any{"hostname": "web-01", "os": "Debian GNU/Linux 12 (bookworm)", "kernel": "Linux 6.1.0-18-amd64",
			"cpus": float64(8), "memory_mb": float64(16000), "ip": "10.1.2.3", "addresses": "10.1.2.3,2001:db8::3"}
		if !a.Created || a.Item.Class != "server" || a.Item.Source != "agent" || !reflect.DeepEqual(a.Item.Attributes, want) {
			t.Fatalf("first report: %+v", a)
		}
		if a.Discovery.ReportedBy != "token:t-agent" || a.Discovery.FirstSeen != a.Discovery.LastSeen {
			t.Fatalf("first report's discovery: %+v", a.Discovery)
		}
		// The same facts again: nothing written, no new history.
		if a := report(facts); a.Created || len(a.Changed) != 0 {
			t.Fatalf("same facts: %+v", a)
		}
		history := func() []string {
			t.Helper()
			var hs struct {
				Items []struct {
					Actor  string `json:"actor"`
					Action string `json:"action"`
				} `json:"items"`
			}
			if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/cis/web-01/history", "", 200), &hs); err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range hs.Items {
				out = append(out, e.Action+" by "+e.Actor)
			}
			return out
		}
		if got := history(); !reflect.DeepEqual(got, []string{"create by token:t-agent"}) {
			t.Fatalf("history after two reports: %v", got)
		}
		// A person names the owner and sets the OS as they call it.
		h.mustDo(auth.Operator, "PUT", "/api/v1/cis/web-01", `{"class":"server","owner":"web-team","attributes":{"hostname":"web-01","os":"Debian 12 (golden image)","kernel":"Linux 6.1.0-18-amd64","cpus":8,"memory_mb":16000,"ip":"10.1.2.3","addresses":"10.1.2.3,2001:db8::3"}}`, 200)
		// The host gets more memory and a new kernel.
		a = report(strings.NewReplacer("16000", "32000", "6.1.0-18", "6.1.0-21").Replace(facts))
		if !reflect.DeepEqual(a.Changed, []string{"kernel", "memory_mb"}) {
			t.Fatalf("changed: %v, want kernel and memory_mb", a.Changed)
		}
		if a.Item.Attributes["os"] != "Debian 12 (golden image)" || a.Item.Attributes["memory_mb"] != float64(32000) {
			t.Fatalf("attributes after the upgrade: %v", a.Item.Attributes)
		}
		if a.Discovery.Overridden["os"] != "Debian GNU/Linux 12 (bookworm)" || len(a.Discovery.Overridden) != 1 {
			t.Fatalf("overridden: %v", a.Discovery.Overridden)
		}
		if got := history(); len(got) != 3 || got[0] != "update by token:t-agent" || got[1] != "update by token:t-operator" {
			t.Fatalf("history: %v", got)
		}
		var d struct {
			LastSeen string `json:"last_seen"`
		}
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/cis/web-01/facts", "", 200), &d); err != nil || d.LastSeen == "" {
			t.Fatalf("facts: %v %+v", err, d)
		}
		// One item, however often it reports.
		var list struct {
			Items []struct{ Name string } `json:"items"`
		}
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/cis?class=server", "", 200), &list); err != nil || len(list.Items) != 1 {
			t.Fatalf("servers: %v %+v", err, list)
		}

		// Mistakes, each named; nothing written.
		code, body := h.do(auth.Agent, "PUT", "/api/v1/cis/web-01/facts", `{"hostname":"","cpus":-1,"memory_mb":-5,"addresses":["10.0.0.1","not-an-ip"]}`)
		if code != 400 {
			t.Fatalf("bad facts: %d %s", code, body)
		}
		for _, w := range []string{`"/hostname"`, `"/cpus"`, `"/memory_mb"`, `"/addresses/1"`, `not-an-ip`} {
			if !strings.Contains(string(body), w) {
				t.Errorf("bad facts: the answer does not name %s: %s", w, body)
			}
		}
		if code, body := h.do(auth.Agent, "PUT", "/api/v1/cis/Web_01!/facts", facts); code != 400 || !strings.Contains(string(body), "name") {
			t.Errorf("bad item name: %d %s", code, body)
		}
		for _, r := range []auth.Role{auth.Viewer, auth.Operator, auth.Admin} {
			if code, _ := h.do(r, "PUT", "/api/v1/cis/web-01/facts", facts); code != 403 {
				t.Errorf("%s reporting facts: %d, want 403", r, code)
			}
		}
		if code, _ := h.do("", "PUT", "/api/v1/cis/web-01/facts", facts); code != 401 {
			t.Errorf("anonymous: %d, want 401", code)
		}
		if got := history(); len(got) != 3 {
			t.Fatalf("history after refused reports: %v", got)
		}
		// An item of the config file: the agent fills in what the file
		// leaves out, and applying the file again keeps it, with no new
		// history; what the file says wins.
		file := cmdb.Set{Items: []cmdb.Item{{Name: "web-02", Class: "server", Owner: "web-team", Attributes: map[string]cmdb.Value{"os": "Golden 7"}}}}
		apply := func() {
			t.Helper()
			if _, err := h.cat.ApplyFile(context.Background(), "config", catalog.Catalog{}, h.cmdb.FileHook("config", file)); err != nil {
				t.Fatal(err)
			}
		}
		apply()
		h.mustDo(auth.Agent, "PUT", "/api/v1/cis/web-02/facts", `{"hostname":"web-02","os":"Debian 12","cpus":4}`, 200)
		apply()
		var it struct {
			Source     string         `json:"source"`
			Owner      string         `json:"owner"`
			Attributes map[string]any `json:"attributes"`
		}
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/cis/web-02", "", 200), &it); err != nil {
			t.Fatal(err)
		}
		if it.Source != "file" || it.Owner != "web-team" || it.Attributes["os"] != "Golden 7" || it.Attributes["cpus"] != float64(4) || it.Attributes["hostname"] != "web-02" {
			t.Fatalf("file item after a report and a second apply: %+v", it)
		}
		var hs struct{ Items []struct{ Actor string } }
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/cis/web-02/history", "", 200), &hs); err != nil || len(hs.Items) != 2 {
			t.Fatalf("file item's history (create by the file, update by the agent): %v %+v", err, hs)
		}

		// An item no agent reports has no facts.
		h.mustDo(auth.Operator, "POST", "/api/v1/cis", `{"name":"db-01","class":"database"}`, 201)
		h.mustDo(auth.Viewer, "GET", "/api/v1/cis/db-01/facts", "", 404)
	})
}
