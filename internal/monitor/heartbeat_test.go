package monitor_test

import (
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/monitor"
)

// TestHeartbeatCronThatNeverFires: a cron expression whose fields are each
// valid but name no date is refused, rather than making the heartbeat due
// at once in year 1.
func TestHeartbeatCronThatNeverFires(t *testing.T) {
	services := map[string]bool{"backups": true}
	cases := []struct {
		name, cron, zone string
		want             string // "" means accepted
	}{
		{"30 February", "0 0 30 2 *", "", `"0 0 30 2 *" never fires`},
		{"31 April and June", "15 3 31 4,6 *", "Europe/Berlin", "never fires"},
		{"31 November, named", "0 0 31 nov *", "", "never fires"},
		{"29 February fires in leap years", "0 0 29 2 *", "", ""},
		{"30 February or any Monday", "0 0 30 2 mon", "", ""},
		{"nightly", "0 2 * * *", "America/New_York", ""},
		{"descriptor", "@monthly", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, problems := monitor.Compile(monitor.Check{Name: "nightly", Service: "backups", Type: "heartbeat", Cron: c.cron, Timezone: c.zone}, services)
			if c.want == "" {
				if len(problems) > 0 {
					t.Fatalf("refused: %+v", problems)
				}
				return
			}
			if len(problems) != 1 || problems[0].Path != "cron" || !strings.Contains(problems[0].Msg, c.want) {
				t.Fatalf("problems = %+v, want one at cron saying %q", problems, c.want)
			}
		})
	}
}
