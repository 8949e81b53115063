package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestToProblemLogsOnlyServerFaults: a client's mistake or a client that
// went away is never logged as an error; an unexpected error is, once.
func TestToProblemLogsOnlyServerFaults(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name     string
		err      error
		ctx      context.Context
		status   int
		errorLog bool
	}{
		{"a bad field", badRequest("/name", "is required"), context.Background(), 400, false},
		{"a body with problems", &bodyProblems{fields: []ProblemField{{Pointer: "/tier", Detail: "x"}}}, context.Background(), 400, false},
		{"the client went away", fmt.Errorf("list services: %w", context.Canceled), canceled, StatusClientClosed, false},
		{"canceled while the client waits", fmt.Errorf("work: %w", context.Canceled), context.Background(), 500, true},
		{"an internal error", errors.New("disk on fire"), context.Background(), 500, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf strings.Builder
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			r := httptest.NewRequestWithContext(c.ctx, "GET", "/api/v1/services", nil)
			p := toProblem(c.err, log, r)
			if p.Status != c.status {
				t.Fatalf("status %d, want %d", p.Status, c.status)
			}
			if got := strings.Contains(buf.String(), "level=ERROR"); got != c.errorLog {
				t.Fatalf("ERROR logged = %v, want %v: %s", got, c.errorLog, buf.String())
			}
		})
	}
}
