package monitor

import (
	"testing"
	"time"
)

// TestHeartbeatDeadlineBeyondFiveYears: the cron library gives up five
// years ahead, and from March 2097 the next 29 February is in 2104 (2100 is
// no leap year). The deadline must still be that date, not year 1.
func TestHeartbeatDeadlineBeyondFiveYears(t *testing.T) {
	c, problems := Compile(Check{Name: "leap", Service: "backups", Type: TypeHeartbeat, Cron: "0 0 29 2 *", Grace: "1h"}, map[string]bool{"backups": true})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	tests := []struct {
		name       string
		last, want time.Time
	}{
		{"next leap year", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 2, 29, 1, 0, 0, 0, time.UTC)},
		{"across 2100", time.Date(2097, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2104, 2, 29, 1, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := heartbeatDeadline(c, tt.last); !got.Equal(tt.want) {
				t.Fatalf("deadline after %v = %v, want %v", tt.last, got, tt.want)
			}
		})
	}
}
