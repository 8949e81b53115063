package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWritePDAccepted: the 202 written by hand is byte for byte what
// writeJSON writes for the same answer, whatever the dedup key holds.
func TestWritePDAccepted(t *testing.T) {
	for _, key := range []string{"", "disk-1", `quote " and \ back`, "<b>&amp;</b>", "é\u2028\x01tab\t", "\xff"} {
		ans := PDAnswer{Status: "success", Message: "Event processed", DedupKey: key}
		got, want := httptest.NewRecorder(), httptest.NewRecorder()
		writePD(got, http.StatusAccepted, ans)
		writeJSON(want, http.StatusAccepted, ans)
		if got.Body.String() != want.Body.String() || got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("dedup key %q: got %d %q, want %d %q", key, got.Code, got.Body, want.Code, want.Body)
		}
	}
}
