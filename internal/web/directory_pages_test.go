package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestDirectoryPages walks the people, schedule and status page editors:
// every mistake shown by its field with what was typed kept, a schedule
// previewed (two weeks of turns, nothing saved) then saved, removals
// refused naming the referrer, a webhook URL never shown, and the roles.
func TestDirectoryPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop", Title: "Web shop"})
		ada, olivia, victor := e.login("ada"), e.login("olivia"), e.login("victor")
		rota := url.Values{"name": {"primary"}, "timezone": {"Europe/Berlin"}, "layers[0].rotation": {"weekly"}, "layers[0].handoff": {"mon 09:00"},
			"layers[0].members": {"bob, cleo"}, "layers[0].start": {"2026-01-05"}, "layers[0].restrict": {""},
			"layers[1].rotation": {""}, "layers[1].handoff": {""}, "layers[1].members": {""}, "layers[1].start": {""}, "layers[1].restrict": {""}}
		with := func(v url.Values, kv ...string) url.Values {
			out := url.Values{}
			for k, x := range v {
				out[k] = x
			}
			for i := 0; i < len(kv); i += 2 {
				out.Set(kv[i], kv[i+1])
			}
			return out
		}
		steps := []struct {
			name   string
			who    *session
			method string
			path   string
			form   url.Values
			status int
			want   []string
			refuse []string
		}{
			{"an operator cannot add people", &olivia, "GET", "/people/new", nil, 403, nil, nil},
			{"a person with mistakes", &ada, "POST", "/people/new", url.Values{"name": {"Bob"}, "timezone": {"Mars/Olympus"}, "email": {"nope"}}, 422,
				[]string{"must be lower-case letters", `unknown time zone &#34;Mars/Olympus&#34;`, `&#34;nope&#34; is not an e-mail address`, `value="Mars/Olympus"`}, nil},
			{"bob", &ada, "POST", "/people/new", url.Values{"name": {"bob"}, "display_name": {"Bob"}, "slack": {"https://hooks.slack.example/services/T/B/very-secret"}}, 303, nil, nil},
			{"cleo, with no contact method", &ada, "POST", "/people/new", url.Values{"name": {"cleo"}}, 303, nil, nil},
			{"people are listed", &victor, "GET", "/people", nil, 200, []string{"person-bob", "Slack", "none: they cannot be reached"}, []string{"very-secret", "/people/bob/edit"}},
			{"the edit form hides the URL", &ada, "GET", "/people/bob/edit", nil, 200, []string{`value="[set]"`}, []string{"very-secret"}},
			{"a schedule naming a stranger", &ada, "POST", "/schedules/new", with(rota, "layers[0].members", "bob, dora", "layers[0].restrict", "weekdays"), 422,
				[]string{`unknown user &#34;dora&#34;`, "write each window as DAYS FROM-TO", `value="weekdays"`}, nil},
			{"a preview", &ada, "POST", "/schedules/new", with(rota, "preview", "1"), 200,
				[]string{"Who would be on call over the next 14 days", "<th scope=\"row\">bob</th>", "<th scope=\"row\">cleo</th>", "09:00 CET"}, nil},
			{"nothing was saved", &victor, "GET", "/schedules", nil, 200, []string{"There are no schedules yet"}, nil},
			{"save it", &ada, "POST", "/schedules/new", rota, 303, nil, nil},
			{"schedules are listed", &victor, "GET", "/schedules", nil, 200, []string{"schedule-primary", "weekly at mon 09:00: bob, cleo"}, nil},
			{"a person in a schedule", &ada, "POST", "/people/cleo/delete", url.Values{}, 409, []string{"The person was not deleted.", `used by schedule &#34;primary&#34;`}, nil},
			{"a page on an unknown service", &ada, "POST", "/status-pages/new", url.Values{"name": {"public"}, "title": {"Example"}, "groups[0].title": {"Shop"}, "groups[0].services": {"shop, nope"},
				"display_names": {"no colon here"}}, 422, []string{`unknown service &#34;nope&#34;`, "write one SERVICE: name per line"}, nil},
			{"a page", &ada, "POST", "/status-pages/new", url.Values{"name": {"public"}, "title": {"Example status"}, "groups[0].title": {"Shop"}, "groups[0].services": {"shop"},
				"display_names": {"shop: The shop"}, "feedback": {"public"}}, 303, nil, nil},
			{"pages are listed with their URL", &victor, "GET", "/status-pages", nil, 200, []string{"status-page-public", "/status/public</a>", "Shop: shop"}, nil},
			{"the edit form round-trips", &ada, "GET", "/status-pages/public/edit", nil, 200, []string{"shop: The shop", `value="Shop"`, `value="public" selected`}, nil},
			{"a viewer cannot delete", &victor, "POST", "/status-pages/public/delete", url.Values{}, 403, nil, nil},
			{"delete the page", &ada, "POST", "/status-pages/public/delete", url.Values{}, 303, nil, nil},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if st.method == "GET" {
					res, body := e.get(st.path, st.who)
					wantStatus(t, res, st.status)
					wantContains(t, body, st.want...)
					wantNotContains(t, body, st.refuse...)
					return
				}
				res, body := e.post(st.path, st.form, st.who)
				wantStatus(t, res, st.status)
				wantContains(t, body, st.want...)
				wantNotContains(t, body, st.refuse...)
			})
		}
	})
}

// FuzzParseWindows: the hours input never panics, and what it reads is
// written back so that it reads the same again.
func FuzzParseWindows(f *testing.F) {
	for _, s := range []string{"mon-fri 09:00-17:00; sat 10:00-14:00", "22:00-06:00", "", ";", "mon 9:00 - 17:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws, msg := parseWindows(s)
		if msg != "" {
			return
		}
		again, msg := parseWindows(formatWindows(ws))
		if msg != "" || len(again) != len(ws) {
			t.Fatalf("%q read as %+v, written %q, read again as %+v (%s)", s, ws, formatWindows(ws), again, msg)
		}
		for i := range ws {
			if again[i] != ws[i] {
				t.Fatalf("%q: %+v != %+v", s, again[i], ws[i])
			}
		}
	})
}

// FuzzParseDisplayNames: the names input never panics and round-trips.
func FuzzParseDisplayNames(f *testing.F) {
	for _, s := range []string{"shop: Web shop\npay: Payments", "shop:", ": x", "a: b: c", "\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, msg := parseDisplayNames(s)
		if msg != "" {
			return
		}
		again, msg := parseDisplayNames(formatDisplayNames(m))
		if msg != "" || len(again) != len(m) {
			t.Fatalf("%q read as %v, read again as %v (%s)", s, m, again, msg)
		}
		for k, v := range m {
			if again[k] != v {
				t.Fatalf("%q: %q read back as %q", s, v, again[k])
			}
		}
	})
}

// TestParseWindows works cases by hand.
func TestParseWindows(t *testing.T) {
	got, msg := parseWindows(" mon-fri 09:00-17:00 ;sat 10:00 - 14:00; 22:00-06:00 ")
	want := []oncall.Window{{Days: "mon-fri", From: "09:00", To: "17:00"}, {Days: "sat", From: "10:00", To: "14:00"}, {From: "22:00", To: "06:00"}}
	if msg != "" || len(got) != len(want) {
		t.Fatalf("got %+v, %q", got, msg)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("window %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, msg := parseWindows("mon-fri nine to five"); !strings.Contains(msg, "DAYS FROM-TO") {
		t.Fatalf("a bad window says %q", msg)
	}
}
