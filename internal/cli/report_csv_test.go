package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/timeline"
)

// TestReportCSVFormulaGuard: `sextant report --format csv` guards its
// cells like every CSV Sextant writes.
func TestReportCSVFormulaGuard(t *testing.T) {
	var r timeline.ServiceReport
	r.Service = `=HYPERLINK("http://x")`
	r.DowntimeCost = -12.5
	var b bytes.Buffer
	if err := writeReportCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], `"'=HYPERLINK(""http://x"")",`) || !strings.Contains(lines[1], ",-12.5,") {
		t.Fatalf("csv:\n%s", b.String())
	}
}
