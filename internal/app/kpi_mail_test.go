package app_test

import (
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestMonthlyReportMailed: an hour after November closes, the frozen
// report goes through the outbox to each subscriber of report.subscribers
// with its PDF attached.
func TestMonthlyReportMailed(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			box, port := startInbox(t)
			dir := t.TempDir()
			cfg := filepath.Join(dir, "sextant.yaml")
			if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`services:
  - {name: shop, objective: {availability: 99.9%%}}
mail: {from: reports@example.com, smtp: {host: 127.0.0.1, port: %d, tls: none}}
report:
  subscribers: [cio@example.com, cfo@example.com]
  send_after: 1h
`, port)), 0o600); err != nil {
				t.Fatal(err)
			}
			clock := &testClock{}
			clock.Set("2026-12-01T01:05:00Z")
			s := start(t, e, app.Options{ConfigPath: cfg, DataDir: dir, Now: clock.Now})
			waitUntil(t, "two report mails", 15*time.Second, func() bool { return len(box.all()) >= 2 })
			var to []string
			for _, raw := range box.all() {
				msg, err := mail.ReadMessage(strings.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				to = append(to, msg.Header.Get("To"))
				if msg.Header.Get("Subject") != "Monthly report 2026-11" {
					t.Errorf("subject %q", msg.Header.Get("Subject"))
				}
				_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
				if err != nil {
					t.Fatal(err)
				}
				mr := multipart.NewReader(msg.Body, params["boundary"])
				var text string
				var pdf []byte
				for {
					part, err := mr.NextPart()
					if err != nil {
						break
					}
					body := readAll(part)
					if strings.HasPrefix(part.Header.Get("Content-Type"), "application/pdf") {
						if !strings.Contains(part.Header.Get("Content-Disposition"), "sextant-report-2026-11.pdf") {
							t.Errorf("attachment %q", part.Header.Get("Content-Disposition"))
						}
						pdf, _ = base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\r\n", ""))
					} else {
						text = body
					}
				}
				if !strings.HasPrefix(string(pdf), "%PDF-") {
					t.Errorf("no PDF attached (%d bytes)", len(pdf))
				}
				if !strings.Contains(unfold(text), "Objectives met: 1 of 1") {
					t.Errorf("body: %q", text)
				}
			}
			if strings.Join(to, " ") != "<cio@example.com> <cfo@example.com>" && strings.Join(to, " ") != "<cfo@example.com> <cio@example.com>" {
				t.Errorf("sent to %v", to)
			}
			var rep kpi.Report
			if code := s.json("GET", "/api/v1/reports/monthly/2026-11", "", &rep); code != 200 || rep.Snapshot == nil || !rep.Snapshot.FrozenAt.Equal(clock.Now()) {
				t.Fatalf("the mailed report is not the frozen one: %d %+v", code, rep.Snapshot)
			}
		})
	}
}

func readAll(p *multipart.Part) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := p.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// TestReportDue: the previous month is due once send_after has passed
// since its end, in the report's zone (November ends in Berlin at
// 2026-11-30T23:00Z).
func TestReportDue(t *testing.T) {
	c := kpi.ReportConfig{Timezone: "Europe/Berlin", SendAfter: "2h"}
	for _, tc := range []struct {
		now, month string
		due        bool
	}{
		{"2026-11-30T22:30:00Z", "2026-10", true},
		{"2026-11-30T23:30:00Z", "2026-11", false},
		{"2026-12-01T00:59:59Z", "2026-11", false},
		{"2026-12-01T01:00:00Z", "2026-11", true},
	} {
		now, _ := time.Parse(time.RFC3339, tc.now)
		if m, due := kpi.Due(now, c); m.String() != tc.month || due != tc.due {
			t.Errorf("%s: %s due=%v, want %s due=%v", tc.now, m, due, tc.month, tc.due)
		}
	}
}
