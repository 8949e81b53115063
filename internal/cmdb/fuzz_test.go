package cmdb

import (
	"encoding/json"
	"testing"

	"github.com/sextant-ops/sextant/internal/availability"
)

// FuzzValidate decodes any JSON as a whole CMDB and validates it: no input
// may panic, and a set that validates must build a graph whose impact and
// rests-on questions answer.
func FuzzValidate(f *testing.F) {
	f.Add(`{"items":[{"name":"a","class":"server","attributes":{"cpus":4}},{"name":"b","class":"vm"}],"relations":[{"from":"b","type":"runs_on","to":"a"}]}`)
	f.Add(`{"classes":[{"name":"rack","attributes":[{"name":"site","type":"enum","values":["x"],"required":true}]}],"items":[{"name":"r","class":"rack","attributes":{"site":"x"}}]}`)
	f.Add(`{"items":[{"name":"c","class":"application","min_up":2},{"name":"m","class":"vm"}],"relations":[{"from":"m","type":"member_of","to":"c"},{"from":"c","type":"depends_on","to":"m","kind":"soft"}]}`)
	f.Add(`{"items":[{"name":"x","class":"licence","attributes":{"expires":"2027-02-30","unlimited":true,"seats":"1e3"}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var set Set
		if err := json.Unmarshal([]byte(doc), &set); err != nil {
			return
		}
		if len(Validate(set)) > 0 {
			return
		}
		g := NewGraph(set, map[string][]ServiceDep{"svc": {{CI: firstItem(set)}}})
		for _, it := range set.Items {
			g.Impact(it.Name, availability.Down, nil)
		}
		g.RestsOn("svc")
	})
}

func firstItem(set Set) string {
	if len(set.Items) == 0 {
		return ""
	}
	return set.Items[0].Name
}
