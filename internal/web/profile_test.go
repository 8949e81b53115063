package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

func TestAgo(t *testing.T) {
	now := time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		t    time.Time
		want string
	}{
		{"seconds ago", now.Add(-20 * time.Second), "just now"},
		{"minutes ago", now.Add(-3*time.Minute - 10*time.Second), "3 min ago"},
		{"hours ago", now.Add(-5*time.Hour - 59*time.Minute), "5 h ago"},
		{"soon", now.Add(15 * time.Minute), "in 15 min"},
		{"over a day: the date, in UTC and saying so", now.Add(-49 * time.Hour), "30 Nov 2026 15:00 UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ago(tc.t, now); got != tc.want {
				t.Errorf("ago = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestProfileTimezone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		viewer := e.login("victor")
		withZoneCookie := func(path, zone string) string {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.AddCookie(&http.Cookie{Name: zoneCookie, Value: zone})
			_, body := e.do(req, &viewer)
			return body
		}
		t.Run("until anything is known times are in UTC and say so", func(t *testing.T) {
			res, body := e.get("/profile", &viewer)
			wantStatus(t, res, http.StatusOK)
			wantContains(t, body, `<html lang="en">`, `<label for="f-timezone">Time zone</label>`, `href="/profile" aria-current="page">Your profile</a>`)
		})
		t.Run("the browser's zone is used until a profile zone is set", func(t *testing.T) {
			// The page names the browser's zone; the script uses the
			// browser's zone as it is at each page, not the cookie's.
			wantContains(t, withZoneCookie("/profile", "America/New_York"), `<html lang="en">`, "(now America/New_York)")
			wantNotContains(t, withZoneCookie("/profile", "Mars/Olympus"), "Mars/Olympus")
		})
		t.Run("an unknown zone is refused by its field and nothing changes", func(t *testing.T) {
			res, body := e.post("/profile", url.Values{"timezone": {"Europe/Pariss"}}, &viewer)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantContains(t, body, `<a href="#f-timezone">Time zone</a>`, `unknown time zone &#34;Europe/Pariss&#34;: expected an IANA name such as Europe/Berlin`,
				`value="Europe/Pariss"`)
			_, body = e.get("/profile", &viewer)
			wantContains(t, body, `<html lang="en">`)
		})
		t.Run("a chosen zone wins over the browser's", func(t *testing.T) {
			res, _ := e.post("/profile", url.Values{"timezone": {"Europe/Berlin"}}, &viewer)
			if got := location(t, res); got != "/profile?saved=1" {
				t.Errorf("saved to %q", got)
			}
			body := withZoneCookie("/profile?saved=1", "America/New_York")
			wantContains(t, body, `data-zone="Europe/Berlin"`, "Saved. Times are shown in Europe/Berlin.", `value="Europe/Berlin"`)
			res, _ = e.post("/profile", url.Values{"timezone": {""}}, &viewer)
			location(t, res)
			wantNotContains(t, withZoneCookie("/", "America/New_York"), `data-zone=`)
		})
		t.Run("without the token nothing is saved", func(t *testing.T) {
			res, _ := e.post("/profile", url.Values{"timezone": {"Asia/Tokyo"}, "csrf": {"wrong"}}, &viewer)
			wantStatus(t, res, http.StatusForbidden)
			_, body := e.get("/profile", &viewer)
			wantNotContains(t, body, "Asia/Tokyo")
		})
	})
}
