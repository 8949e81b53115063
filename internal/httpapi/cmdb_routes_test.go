package httpapi_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
	"github.com/sextant-ops/sextant/internal/timeline"
)

type impactAnswer struct {
	Item   string `json:"item"`
	State  string `json:"state"`
	WhatIf bool   `json:"what_if"`
	Items  []struct {
		Service   string   `json:"service"`
		Effect    string   `json:"effect"`
		Path      []string `json:"path"`
		Cost      float64  `json:"downtime_cost_per_hour"`
		Remaining float64  `json:"error_budget_remaining_seconds"`
	} `json:"items"`
}

// TestCMDBImpactHandWorked builds the hand-worked case through the API:
// vm-1 on srv-a and vm-2 on srv-b, both members of web-cluster (min_up
// 1); the shop rests hard on the cluster and soft on reports-db; the
// intranet rests hard on the shop. Checks watch the two VMs; their
// transitions are written where the monitor writes them.
func TestCMDBImpactHandWorked(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		op := func(method, path, body string, want int) []byte {
			return h.mustDo(auth.Operator, method, path, body, want)
		}
		for _, it := range []string{
			`{"name":"srv-a","class":"server","attributes":{"cpus":16,"ip":"10.0.0.1","serial":"SN-1"},"owner":"infra","location":"paris-1"}`,
			`{"name":"srv-b","class":"server","attributes":{"cpus":16,"serial":"SN-2"}}`,
			`{"name":"vm-1","class":"vm"}`, `{"name":"vm-2","class":"vm"}`,
			`{"name":"web-cluster","class":"application","min_up":1}`,
			`{"name":"reports-db","class":"database","lifecycle":"live"}`,
		} {
			op("POST", "/api/v1/cis", it, 201)
		}
		for _, r := range []string{
			`{"from":"vm-1","type":"runs_on","to":"srv-a"}`, `{"from":"vm-2","type":"runs_on","to":"srv-b"}`,
			`{"from":"vm-1","type":"member_of","to":"web-cluster"}`, `{"from":"vm-2","type":"member_of","to":"web-cluster"}`,
		} {
			op("POST", "/api/v1/ci-relations", r, 201)
		}
		op("POST", "/api/v1/services", `{"name":"infra"}`, 201)
		op("POST", "/api/v1/services", `{"name":"shop","depends_on":[{"ci":"web-cluster","kind":"hard"},{"ci":"reports-db","kind":"soft"}],
			"objective":{"availability":"99.9%","downtime_cost":6000}}`, 201)
		op("POST", "/api/v1/services", `{"name":"intranet","depends_on":[{"service":"shop"}],"objective":{"availability":"99%","downtime_cost":100}}`, 201)
		for _, vm := range []string{"vm-1", "vm-2"} {
			op("POST", "/api/v1/checks", `{"name":"`+vm+`-ping","service":"infra","ci":"`+vm+`","type":"tcp","host":"127.0.0.1","port":1,"interval":"30s"}`, 201)
		}
		impact := func(item, query string) impactAnswer {
			t.Helper()
			var a impactAnswer
			if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/cis/"+item+"/impact"+query, "", 200), &a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		report := func(svc string) reportAnswer {
			t.Helper()
			var r reportAnswer
			if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/services/"+svc+"/report", "", 200), &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		services := func(a impactAnswer) string {
			var out []string
			for _, it := range a.Items {
				out = append(out, it.Service+":"+it.Effect+":"+strings.Join(it.Path, ">"))
			}
			return strings.Join(out, " ")
		}
		// One VM failing while the other lives takes nothing down.
		if a := impact("vm-1", "?what_if=down"); len(a.Items) != 0 || a.State != "down" {
			t.Fatalf("one VM of two: %+v", a)
		}
		if a := impact("srv-a", "?what_if=down"); len(a.Items) != 0 {
			t.Fatalf("one server of two: %+v", a)
		}
		// Without what_if an item that is up takes nothing down.
		if a := impact("vm-1", ""); len(a.Items) != 0 || a.State != "up" {
			t.Fatalf("an item that is up: %+v", a)
		}
		// A soft dependency degrades the shop, and the intranet (hard on
		// the shop) is untouched.
		if got := services(impact("reports-db", "?what_if=down")); got != "shop:degraded:ci:reports-db>service:shop" {
			t.Fatalf("soft: %s", got)
		}
		// vm-2's check has been down for two hours: vm-1 is now the last
		// member up, and its failure would take both services down.
		tl := timeline.NewStore(db, nil)
		appendState := func(check string, at time.Time, st availability.State) {
			t.Helper()
			if err := tl.Append(ctx, nil, timeline.Transition{Service: "infra", Input: "check:" + check, At: at, State: st, Source: "check:" + check + ": connection refused"}); err != nil {
				t.Fatal(err)
			}
		}
		appendState("vm-2-ping", testNow.Add(-2*time.Hour), availability.Down)
		a := impact("vm-1", "?what_if=down")
		if got, want := services(a), "intranet:down:ci:vm-1>ci:web-cluster>service:shop>service:intranet shop:down:ci:vm-1>ci:web-cluster>service:shop"; got != want {
			t.Fatalf("second VM:\n got %s\nwant %s", got, want)
		}
		// The shop is not down yet: min_up holds with vm-1.
		if r := report("shop"); r.Downtime != 0 {
			t.Fatalf("shop downtime with one VM down: %v", r.Downtime)
		}
		// Now vm-1's check fails too, 30 minutes before now.
		appendState("vm-1-ping", testNow.Add(-30*time.Minute), availability.Down)
		a = impact("vm-1", "")
		if a.State != "down" || len(a.Items) != 2 {
			t.Fatalf("both VMs down: %+v", a)
		}
		for _, it := range a.Items {
			r := report(it.Service)
			// The figures are the service report's own.
			if r.Remaining != it.Remaining {
				t.Errorf("%s: error budget remaining %v, report says %v", it.Service, it.Remaining, r.Remaining)
			}
			if r.Downtime != 1800 {
				t.Errorf("%s: downtime %v, want 1800 s (30 min, both VMs down)", it.Service, r.Downtime)
			}
		}
		// Worked by hand: November has 30 days, so the shop's budget is
		// 0.1 % of 2,592,000 s = 2,592 s, minus 1,800 s of downtime.
		if it := a.Items[1]; it.Service != "shop" || it.Cost != 6000 || it.Remaining != 792 {
			t.Errorf("shop: %+v, want cost 6000/h and 792 s left", it)
		}
		// intranet: 1 % of 2,592,000 s = 25,920 s, minus 1,800 s.
		if it := a.Items[0]; it.Service != "intranet" || it.Cost != 100 || it.Remaining != 24120 {
			t.Errorf("intranet: %+v, want cost 100/h and 24120 s left", it)
		}
		// The shop's timeline names the item, and the check that saw it.
		var tlAns struct {
			Segments []struct {
				State  string `json:"state"`
				Source string `json:"source"`
				Start  string `json:"start"`
			} `json:"segments"`
		}
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/services/shop/timeline", "", 200), &tlAns); err != nil {
			t.Fatal(err)
		}
		last := tlAns.Segments[len(tlAns.Segments)-1]
		if last.State != "down" || !strings.HasPrefix(last.Source, "dependency:ci:web-cluster via 0 of 2 members up (min_up 1), ci:vm-1 via check:vm-1-ping") {
			t.Fatalf("shop's last interval: %+v", last)
		}
		// The reverse question.
		var rests struct {
			Items []struct {
				Node string   `json:"node"`
				Kind string   `json:"kind"`
				Path []string `json:"path"`
			} `json:"items"`
		}
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/services/shop/rests-on", "", 200), &rests); err != nil {
			t.Fatal(err)
		}
		var nodes []string
		for _, r := range rests.Items {
			nodes = append(nodes, r.Node+"="+r.Kind)
		}
		if want := []string{"ci:web-cluster=hard", "ci:reports-db=soft", "ci:vm-1=redundant", "ci:vm-2=redundant", "ci:srv-a=redundant", "ci:srv-b=redundant"}; !reflect.DeepEqual(nodes, want) {
			t.Fatalf("rests-on: %v, want %v", nodes, want)
		}
	})
}

// TestCMDBWritesAndMistakes: bad items and relations are refused naming
// each field, a cycle is refused naming its path, nothing is written, and
// every change is in the item's history with its before and after.
func TestCMDBWritesAndMistakes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		op := func(method, path, body string, want int) []byte {
			return h.mustDo(auth.Operator, method, path, body, want)
		}
		op("POST", "/api/v1/cis", `{"name":"srv-a","class":"server","attributes":{"serial":"SN-1"}}`, 201)
		op("POST", "/api/v1/cis", `{"name":"vm-1","class":"vm"}`, 201)
		problem := func(b []byte) string {
			var p struct {
				Errors []struct {
					Pointer string `json:"pointer"`
					Detail  string `json:"detail"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range p.Errors {
				out = append(out, e.Pointer+" "+e.Detail)
			}
			return strings.Join(out, "\n")
		}
		b := op("POST", "/api/v1/cis", `{"name":"srv-b","class":"server","attributes":{"serial":"SN-1","cpus":"many","colour":"red"},"lifecycle":"gone"}`, 400)
		for _, want := range []string{`/attributes/serial "SN-1" is already the serial of srv-a`, `/attributes/cpus expected a whole number, got "many"`,
			`/attributes/colour class server has no attribute "colour"`, `/lifecycle must be planned, live or retired, not "gone"`} {
			if !strings.Contains(problem(b), want) {
				t.Errorf("missing %q in:\n%s", want, problem(b))
			}
		}
		op("GET", "/api/v1/cis/srv-b", "", 404)
		op("POST", "/api/v1/cis", `{"name":"srv-a","class":"server"}`, 409)
		op("POST", "/api/v1/ci-relations", `{"from":"vm-1","type":"runs_on","to":"srv-a"}`, 201)
		op("POST", "/api/v1/ci-relations", `{"from":"vm-1","type":"runs_on","to":"srv-a"}`, 409)
		b = op("POST", "/api/v1/ci-relations", `{"from":"srv-a","type":"depends_on","to":"vm-1"}`, 400)
		if got := problem(b); !strings.Contains(got, "an item would rest on itself: srv-a → vm-1 → srv-a") {
			t.Fatalf("cycle: %s", got)
		}
		b = op("POST", "/api/v1/ci-relations", `{"from":"vm-1","type":"hosts","to":"ghost"}`, 400)
		if got := problem(b); !strings.Contains(got, `/type must be one of`) || !strings.Contains(got, `/to unknown item "ghost"`) {
			t.Fatalf("bad relation: %s", got)
		}
		var rels struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		if err := json.Unmarshal(op("GET", "/api/v1/ci-relations?item=vm-1", "", 200), &rels); err != nil || len(rels.Items) != 1 {
			t.Fatalf("relations of vm-1: %+v %v", rels, err)
		}
		op("PUT", "/api/v1/cis/srv-a", `{"class":"server","attributes":{"serial":"SN-9"},"owner":"infra"}`, 200)
		op("POST", "/api/v1/services", `{"name":"shop","depends_on":[{"ci":"srv-a"}]}`, 201)
		op("DELETE", "/api/v1/cis/srv-a", "", 409)
		op("PUT", "/api/v1/services/shop", `{"name":"shop"}`, 200)
		op("DELETE", "/api/v1/cis/srv-a", "", 204)
		var hist struct {
			Items []struct {
				Action string          `json:"action"`
				Before json.RawMessage `json:"before"`
				After  json.RawMessage `json:"after"`
			} `json:"items"`
		}
		if err := json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/cis/srv-a/history", "", 200), &hist); err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range hist.Items {
			actions = append(actions, e.Action)
		}
		if !reflect.DeepEqual(actions, []string{"delete", "update", "create"}) {
			t.Fatalf("history: %v", actions)
		}
		if !strings.Contains(string(hist.Items[1].Before), `"SN-1"`) || !strings.Contains(string(hist.Items[1].After), `"SN-9"`) {
			t.Fatalf("update entry: before %s after %s", hist.Items[1].Before, hist.Items[1].After)
		}
		// The relation went with the item.
		if err := json.Unmarshal(op("GET", "/api/v1/ci-relations", "", 200), &rels); err != nil || len(rels.Items) != 0 {
			t.Fatalf("relations after delete: %+v %v", rels, err)
		}
		op("GET", "/api/v1/cis/never/history", "", 404)
		op("GET", "/api/v1/cis/vm-1/impact?what_if=up", "", 400)
	})
}
