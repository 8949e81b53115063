package app

import (
	"os"
	"testing"

	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/notify"
)

// TestReachable: a contact counts as working only when its channel could
// be built, so an e-mail address without mail settings reaches nobody.
func TestReachable(t *testing.T) {
	cfg, err := config.Parse([]byte(`users:
  - {name: alice, webhook: "https://hooks.example/alice"}
  - {name: erin, email: erin@example.com}
  - {name: dave}
schedules:
  - name: primary
    layers: [{rotation: weekly, members: [alice, erin, dave]}]
`), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := buildDirectory(cfg, map[string]notify.Channel{})
	if err != nil {
		t.Fatal(err)
	}
	var o onCall
	o.cur.Store(d)
	for _, c := range []struct {
		user string
		want bool
	}{{"alice", true}, {"erin", false}, {"dave", false}, {"nobody", false}} {
		t.Run(c.user, func(t *testing.T) {
			if got := o.Reachable(c.user); got != c.want {
				t.Errorf("Reachable(%s) = %v, want %v", c.user, got, c.want)
			}
		})
	}
}
