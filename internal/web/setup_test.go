package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/setup"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// testSetup is a setup manager with no config file: objects are judged
// against the catalog's services, and a test send builds the stored
// channel afresh (the whole server's swap is tested in internal/app).
func testSetup(db *store.DB, cat *catalog.Store) *setup.Manager {
	st := setup.NewStore(db, nil)
	return &setup.Manager{Store: st,
		Env: func(ctx context.Context) (setup.Env, error) {
			env := setup.Env{Services: map[string]bool{}}
			c, err := cat.Load(ctx)
			for _, s := range c.Services {
				env.Services[s.Name] = true
			}
			return env, err
		},
		Apply: func(context.Context) error { return nil },
		Channel: func(name string) (notify.Channel, bool) {
			o, err := st.Load(context.Background())
			if err != nil {
				return nil, false
			}
			for _, c := range o.Channels {
				if c.Name == name {
					ch, err := notify.New(c.Config())
					return ch, err == nil
				}
			}
			return nil, false
		}}
}

// receiver is an httptest webhook receiver that keeps the events it got.
type receiver struct {
	mu     sync.Mutex
	events []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var doc struct{ Event string }
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &doc)
	rc.mu.Lock()
	rc.events = append(rc.events, doc.Event)
	rc.mu.Unlock()
	io.WriteString(w, "thanks, got it")
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.events...)
}

// TestSetupPages walks the channel, policy and integration pages: forms
// re-rendered with every field's message, Send test reaching an httptest
// receiver and showing its answer, a channel in use refused deletion
// naming the policy, a key shown once and rotated, and the roles.
func TestSetupPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.putService(catalog.Service{Name: "shop"})
		rc := &receiver{}
		recv := httptest.NewServer(rc)
		defer recv.Close()
		ada, olivia, victor := e.login("ada"), e.login("olivia"), e.login("victor")
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
			{"a form with every mistake", &ada, "POST", "/channels/new", url.Values{"name": {"hook"}, "type": {"webhook"}, "url": {"ftp://x"}, "timeout": {"2m"}, "smtp.port": {"abc"}}, 422,
				[]string{"must start with http:// or https://", "must be at most 1m0s", "must be a whole number, e.g. 587"}, nil},
			{"an operator cannot create", &olivia, "GET", "/channels/new", nil, 403, nil, nil},
			{"create a channel", &ada, "POST", "/channels/new", url.Values{"name": {"hook"}, "type": {"webhook"}, "url": {recv.URL + "/in"}, "secret": {"signing-secret-123456"}}, 303, nil, nil},
			{"its page hides the secret", &victor, "GET", "/channels/hook", nil, 200, []string{"[set]", "Send test"}, []string{"signing-secret-123456", "Delete this channel"}},
			{"a viewer cannot send a test", &victor, "POST", "/channels/hook/test", url.Values{}, 403, nil, nil},
			{"send test", &olivia, "POST", "/channels/hook/test", url.Values{}, 200, []string{"The receiver accepted the test message.", "<code>200</code>", "thanks, got it"}, nil},
			{"a policy on an unknown channel", &ada, "POST", "/escalation-policies/new", url.Values{"name": {"night"}, "repeat": {"x"}, "levels[0].delay": {"5m"}, "levels[0].notify": {"channel:nope"}}, 422,
				[]string{`unknown channel &#34;nope&#34;`, "must be a whole number from 0 to 100"}, nil},
			{"a policy on the channel", &ada, "POST", "/escalation-policies/new", url.Values{"name": {"night"}, "levels[0].delay": {"0m"}, "levels[0].notify": {"channel:hook"}}, 303, nil, nil},
			{"the policy is listed", &victor, "GET", "/escalation-policies", nil, 200, []string{"night", "channel:hook"}, nil},
			{"a channel in use", &ada, "POST", "/channels/hook/delete", url.Values{}, 409, []string{"The channel was not deleted.", "used by escalation policy &#34;night&#34;"}, nil},
			{"an integration's mistakes", &ada, "POST", "/integrations/new", url.Values{"name": {"am"}, "kind": {"alertmanager"}, "service": {"nope"}, "escalation": {"nope"}, "rate_limit": {"lots"}, "auto_resolve": {"on"}}, 422,
				[]string{`unknown service &#34;nope&#34;`, `unknown escalation policy &#34;nope&#34;`, "expected events per time"}, nil},
			{"integrations are for admins", &olivia, "GET", "/integrations", nil, 403, nil, nil},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				var res *http.Response
				var body string
				if st.method == "GET" {
					res, body = e.get(st.path, st.who)
				} else {
					res, body = e.post(st.path, st.form, st.who)
				}
				wantStatus(t, res, st.status)
				wantContains(t, body, st.want...)
				wantNotContains(t, body, st.refuse...)
			})
		}
		if got := rc.got(); len(got) != 1 || got[0] != notify.KindTest {
			t.Fatalf("the receiver got %v, want one test message", got)
		}

		// A new integration's key is shown once, with the snippet.
		res, body := e.post("/integrations/new", url.Values{"name": {"am"}, "kind": {"alertmanager"}, "service": {"shop"}, "escalation": {"night"}, "auto_resolve": {"on"}}, &ada)
		wantStatus(t, res, http.StatusCreated)
		key := regexp.MustCompile(`<code id="integration-key">([0-9a-f]{32})</code>`).FindStringSubmatch(body)
		if key == nil {
			t.Fatalf("no key on the created page: %s", body)
		}
		wantContains(t, body, "credentials: "+key[1], "/api/v1/integrations/alertmanager/am")
		res, body = e.get("/integrations/am", &ada)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body, "YOUR_INTEGRATION_KEY", "Rotate key")
		wantNotContains(t, body, key[1])
		res, body = e.post("/integrations/am/rotate", url.Values{}, &ada)
		wantStatus(t, res, http.StatusOK)
		wantContains(t, body, "The key was rotated")
		wantNotContains(t, body, key[1])
		stored, err := setup.NewStore(db, nil).Load(context.Background())
		if err != nil || len(stored.Integrations) != 1 || !strings.Contains(body, stored.Integrations[0].Key) {
			t.Fatalf("the rotated key shown is not the stored one: %v %+v", err, stored.Integrations)
		}

		// Removing in order: the integration, the policy, the channel.
		for _, p := range []string{"/integrations/am/delete", "/escalation-policies/night/delete", "/channels/hook/delete"} {
			res, _ := e.post(p, url.Values{}, &ada)
			wantStatus(t, res, http.StatusSeeOther)
		}
		if o, _ := setup.NewStore(db, nil).Load(context.Background()); len(o.Channels)+len(o.Integrations)+len(o.Policies) != 0 {
			t.Fatalf("left after deleting everything: %+v", o)
		}
	})
}
