package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestPostmortemShowsOutsideTextAsText: an incident whose summary, source
// and notes carry markup gets a post-mortem; its page shows that text
// escaped, and its Markdown export keeps it plain text.
func TestPostmortemShowsOutsideTextAsText(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newPMEnv(t, db)
		e.putService(testService("payroll"))
		op := e.login("olivia")
		id := e.triggerWith(incident.Event{Integration: "x", Action: incident.ActionTrigger, DedupKey: "xss",
			Service: "payroll", Summary: "<script>alert(1)</script> down", Source: "<img src=x onerror=alert(1)>", Severity: "critical", Body: []byte("{}")})
		if _, err := e.incidents.Note(ctx, id, "alice", "see [x](javascript:alert(1)) | cell\n## heading"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.incidents.Resolve(ctx, id, "alice"); err != nil {
			t.Fatal(err)
		}
		pm, err := e.postmortems.Create(ctx, "user:olivia", id)
		if err != nil {
			t.Fatal(err)
		}
		path := "/postmortems/" + strconv.FormatInt(pm.ID, 10)

		t.Run("page", func(t *testing.T) {
			res, body := e.get(path, &op)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt; down", "see [x](javascript:alert(1)) | cell")
			wantNotContains(t, body, "<script>alert", `href="javascript:`)
		})
		t.Run("markdown", func(t *testing.T) {
			res, body := e.get(path+"/markdown", &op)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, "# Post-mortem: &lt;script&gt;alert(1)&lt;/script&gt; down", `see \[x\](javascript:alert(1)) \| cell \#\# heading |`)
			wantNotContains(t, body, "<script", "<img", "\n## heading")
			if strings.Count(body, "\n# ") != 0 || !strings.HasPrefix(body, "# Post-mortem:") {
				t.Errorf("more than one title:\n%s", body)
			}
		})
	})
}
