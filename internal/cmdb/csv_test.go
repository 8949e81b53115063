package cmdb_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestCSVFormulaGuardRoundTrip: a value a spreadsheet would run as a
// formula is exported after a single quote, a negative number is not, and
// the file read back changes nothing: the import strips exactly the
// quotes the export added, and keeps a value's own.
func TestCSVFormulaGuardRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := cmdb.NewStore(db, catalog.NewStore(db, nil), nil, nil, nil)
		s.SetClasses([]cmdb.Class{{Name: "box", Attributes: []cmdb.Attribute{
			{Name: "note", Type: cmdb.TypeString},
			{Name: "units", Type: cmdb.TypeInt},
		}}})
		items := []cmdb.Item{
			{Name: "box-a", Class: "box", Owner: `=HYPERLINK("http://x")`, Location: "@SUM(A1)",
				Attributes: map[string]cmdb.Value{"note": "'=its own quote", "units": "-3"}},
			{Name: "box-b", Class: "box", Location: "'plain",
				Attributes: map[string]cmdb.Value{"note": "+cmd|' /C calc'!A0"}},
		}
		for _, it := range items {
			if _, err := s.PutItem(ctx, "test", it, catalog.MustCreate); err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		if err := s.ExportCSV(ctx, "box", &out); err != nil {
			t.Fatal(err)
		}
		want := "name,owner,location,lifecycle,note,units\n" +
			`box-a,"'=HYPERLINK(""http://x"")",'@SUM(A1),,''=its own quote,-3` + "\n" +
			`box-b,,'plain,,'+cmd|' /C calc'!A0,` + "\n"
		if out.String() != want {
			t.Fatalf("export:\n%s\nwant:\n%s", out.String(), want)
		}
		res, err := s.ImportCSV(ctx, "test", "box", strings.NewReader(out.String()))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Created)+len(res.Updated) != 0 || len(res.Unchanged) != 2 {
			t.Fatalf("the export read back changed something: %+v", res)
		}
		for _, it := range items {
			got, err := s.GetItem(ctx, it.Name)
			if err != nil {
				t.Fatal(err)
			}
			if got.Owner != it.Owner || got.Location != it.Location || !reflect.DeepEqual(got.Attributes, it.Attributes) {
				t.Errorf("%s after the round trip: %+v, want %+v", it.Name, got.Item, it)
			}
		}
		// A file written by hand (or by another tool) with a guarded cell
		// stores the value without its guard.
		if _, err := s.ImportCSV(ctx, "test", "box", strings.NewReader("name,note\nbox-c,'=1+1\n")); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetItem(ctx, "box-c"); err != nil || got.Attributes["note"] != "=1+1" {
			t.Errorf("box-c: %+v %v", got.Attributes, err)
		}
	})
}
