package httpapi_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// rackClass has every rule an import must keep: a required enum, a ref to
// another class, an int and a unique value.
var rackClass = cmdb.Class{Name: "rack", Attributes: []cmdb.Attribute{
	{Name: "site", Type: cmdb.TypeEnum, Values: []string{"par", "ber"}, Required: true},
	{Name: "pdu", Type: cmdb.TypeRef, Class: "network_device"},
	{Name: "units", Type: cmdb.TypeInt},
	{Name: "asset", Type: cmdb.TypeString, Unique: true},
}}

type importAnswer struct {
	Created, Updated, Unchanged []string
}

type csvProblemAnswer struct {
	Status int
	Detail string
	Errors []struct {
		Detail       string
		Line, Column int
	}
}

// TestCIClassCSVRoundTrip: a class's items are exported with the header
// name, owner, location, lifecycle, then its attributes; the same file
// read back changes nothing, an edited one updates the rows that changed
// (audited as API edits), and a quoted cell may hold commas and lines.
func TestCIClassCSVRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.cmdb.SetClasses([]cmdb.Class{rackClass})
		h.mustDo(auth.Operator, "POST", "/api/v1/cis", `{"name":"pdu-1","class":"network_device"}`, 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/cis", `{"name":"rack-0","class":"rack","attributes":{"site":"ber","asset":"A-0"},"min_up":2}`, 201)
		in := "name,owner,location,lifecycle,site,pdu,units,asset\n" +
			"rack-1,infra,\"Paris, room 1\",live,par,pdu-1,42,A-1\n" +
			"rack-2,,\"Berlin\nhall 2\",planned,ber,,12,A-2\n"
		var res importAnswer
		if err := json.Unmarshal(h.mustDo(auth.Operator, "POST", "/api/v1/ci-classes/rack/csv", in, 200), &res); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res, importAnswer{Created: []string{"rack-1", "rack-2"}, Updated: []string{}, Unchanged: []string{}}) {
			t.Fatalf("first import: %+v", res)
		}
		out := string(h.mustDo(auth.Viewer, "GET", "/api/v1/ci-classes/rack/csv", "", 200))
		want := "name,owner,location,lifecycle,site,pdu,units,asset\n" +
			"rack-0,,,,ber,,,A-0\n" +
			"rack-1,infra,\"Paris, room 1\",live,par,pdu-1,42,A-1\n" +
			"rack-2,,\"Berlin\nhall 2\",planned,ber,,12,A-2\n"
		if out != want {
			t.Fatalf("export:\n%s\nwant:\n%s", out, want)
		}
		// The export read back is no change at all.
		if err := json.Unmarshal(h.mustDo(auth.Operator, "POST", "/api/v1/ci-classes/rack/csv", out, 200), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Created)+len(res.Updated) != 0 || len(res.Unchanged) != 3 {
			t.Fatalf("round trip: %+v", res)
		}
		// Only the columns given are written: rack-0 keeps its min_up and
		// asset, and an empty cell clears units.
		if err := json.Unmarshal(h.mustDo(auth.Operator, "POST", "/api/v1/ci-classes/rack/csv", "name,units,site\nrack-0,8,ber\nrack-2,,ber\n", 200), &res); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Updated, []string{"rack-0", "rack-2"}) {
			t.Fatalf("partial import: %+v", res)
		}
		var rack0, rack2 cmdb.StoredItem
		json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/cis/rack-0", "", 200), &rack0)
		json.Unmarshal(h.mustDo(auth.Viewer, "GET", "/api/v1/cis/rack-2", "", 200), &rack2)
		if rack0.MinUp != 2 || rack0.Attributes["units"] != "8" || rack0.Attributes["asset"] != "A-0" {
			t.Fatalf("rack-0: %+v", rack0)
		}
		if _, has := rack2.Attributes["units"]; has || rack2.Location != "Berlin\nhall 2" {
			t.Fatalf("rack-2: %+v", rack2)
		}
		hist := string(h.mustDo(auth.Viewer, "GET", "/api/v1/cis/rack-2/history", "", 200))
		if strings.Count(hist, `"action": "update"`) != 1 || strings.Count(hist, `"action": "create"`) != 1 || !strings.Contains(hist, `"actor": "token:t-operator"`) {
			t.Fatalf("history: %s", hist)
		}
		// A byte-order mark, as spreadsheets write, is not part of the name.
		h.mustDo(auth.Operator, "POST", "/api/v1/ci-classes/rack/csv", "\ufeffname,site\nrack-3,par\n", 200)
	})
}

// TestCIClassCSVBadFile: every bad cell is named with its line and
// column, and a file with any is not written at all, its good rows
// included.
func TestCIClassCSVBadFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.cmdb.SetClasses([]cmdb.Class{rackClass})
		h.mustDo(auth.Operator, "POST", "/api/v1/cis", `{"name":"pdu-1","class":"network_device"}`, 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/cis", `{"name":"rack-0","class":"rack","attributes":{"site":"ber","asset":"A-0"}}`, 201)
		before := string(h.mustDo(auth.Viewer, "GET", "/api/v1/ci-classes/rack/csv", "", 200))
		in := "name,owner,location,lifecycle,site,pdu,units,asset\n" +
			"rack-1,infra,paris,live,par,pdu-1,42,A-1\n" + // 2: good
			"rack-2,,,,par,,ten,A-2\n" + // 3: units not a number
			"rack-3,,,,,,,A-3\n" + // 4: site missing
			"rack-4,,,,lon,,,A-4\n" + // 5: site not an allowed value
			"rack-5,,,,par,,,A-0\n" + // 6: asset already rack-0's
			"rack-6,,,,par,nope,,A-6\n" + // 7: unknown pdu
			"rack-7,,,someday,par,,,A-7\n" + // 8: bad lifecycle
			"rack-1,,,,par,,,A-8\n" + // 9: rack-1 again
			"pdu-1,,,,par,,,A-9\n" + // 10: pdu-1 is a network device
			"rack-8,,par\n" // 11: too few cells
		code, body := h.do(auth.Operator, "POST", "/api/v1/ci-classes/rack/csv", in)
		var p csvProblemAnswer
		if err := json.Unmarshal(body, &p); err != nil || code != 400 {
			t.Fatalf("%d %s", code, body)
		}
		var got []string
		for _, e := range p.Errors {
			got = append(got, strings.Join([]string{itoa(e.Line), itoa(e.Column), e.Detail}, " "))
		}
		want := []string{
			`3 7 units: expected a whole number, got "ten"`,
			`4 5 site: is required for class rack`,
			`5 5 site: must be one of par, ber, not "lon"`,
			`6 8 asset: "A-0" is already the asset of rack-0 (it must be unique)`,
			`7 6 pdu: unknown item "nope"`,
			`8 4 lifecycle: must be planned, live or retired, not "someday"`,
			`9 1 name: item "rack-1" is already on line 2`,
			`10 1 name: "pdu-1" is a network_device; this file writes items of class rack`,
			`11 4 the row has 3 cells, the header 8`,
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if p.Detail != "the file has problems; nothing was written" {
			t.Errorf("detail %q", p.Detail)
		}
		if after := string(h.mustDo(auth.Viewer, "GET", "/api/v1/ci-classes/rack/csv", "", 200)); after != before {
			t.Fatalf("written despite the problems:\n%s", after)
		}
		for _, tc := range []struct {
			role      auth.Role
			path, in  string
			want      int
			mentioned string
		}{
			{auth.Operator, "/api/v1/ci-classes/rack/csv", "name,colour\nrack-9,red\n", 400, `class rack has no attribute \"colour\"`},
			{auth.Operator, "/api/v1/ci-classes/rack/csv", "site\npar\n", 400, "no name column"},
			{auth.Operator, "/api/v1/ci-classes/rack/csv", "name,site\n\"rack-9,par\n", 400, "the CSV cannot be read"},
			{auth.Operator, "/api/v1/ci-classes/rack/csv", "", 400, "the file is empty"},
			{auth.Operator, "/api/v1/ci-classes/boat/csv", "name\nx\n", 404, `class \"boat\"`},
			{auth.Viewer, "/api/v1/ci-classes/rack/csv", "name,site\nrack-9,par\n", 403, ""},
		} {
			code, body := h.do(tc.role, "POST", tc.path, tc.in)
			if code != tc.want || !strings.Contains(string(body), tc.mentioned) {
				t.Errorf("%q as %s: %d %s, want %d with %s", tc.in, tc.role, code, body, tc.want, tc.mentioned)
			}
		}
		if code, _ := h.do(auth.Viewer, "GET", "/api/v1/ci-classes/boat/csv", ""); code != 404 {
			t.Errorf("export of an unknown class: %d", code)
		}
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestCIClassCSVFormulaGuard: the served export writes a value a
// spreadsheet would run as a formula after a single quote, and the same
// file posted back changes nothing.
func TestCIClassCSVFormulaGuard(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.cmdb.SetClasses([]cmdb.Class{rackClass})
		h.mustDo(auth.Operator, "POST", "/api/v1/cis", `{"name":"rack-1","class":"rack","owner":"=HYPERLINK(\"http://x\")","attributes":{"site":"par","units":"-4","asset":"@SUM(A1)"}}`, 201)
		out := string(h.mustDo(auth.Viewer, "GET", "/api/v1/ci-classes/rack/csv", "", 200))
		want := "name,owner,location,lifecycle,site,pdu,units,asset\n" +
			`rack-1,"'=HYPERLINK(""http://x"")",,,par,,-4,'@SUM(A1)` + "\n"
		if out != want {
			t.Fatalf("export:\n%s\nwant:\n%s", out, want)
		}
		var res importAnswer
		if err := json.Unmarshal(h.mustDo(auth.Operator, "POST", "/api/v1/ci-classes/rack/csv", out, 200), &res); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res, importAnswer{Created: []string{}, Updated: []string{}, Unchanged: []string{"rack-1"}}) {
			t.Fatalf("round trip: %+v", res)
		}
	})
}
