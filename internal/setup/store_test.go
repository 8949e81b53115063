package setup_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/setup"
	"github.com/sextant-ops/sextant/internal/status"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

const hookSecret = "very-secret-signing-key-42"

// manager is a Manager over db with a file declaring channel file-hook,
// policy file-policy, person ann, schedule file-rota and status page main,
// and services shop and payroll.
func manager(db *store.DB) *setup.Manager {
	file := setup.Objects{
		Channels:  []setup.Channel{{Name: "file-hook", Type: notify.TypeWebhook, URL: "https://hooks.example/file"}},
		Policies:  []incident.EscalationPolicy{{Name: "file-policy", Levels: []incident.Level{{Notify: []string{"channel:file-hook"}}}}},
		People:    []setup.Person{{Name: "ann", Email: "ann@example.com"}},
		Schedules: []oncall.Schedule{{Name: "file-rota", Layers: []oncall.Layer{{Rotation: "weekly", Members: []string{"ann"}}}}},
		Pages:     []status.Page{{Name: "main", Title: "Status", Groups: []status.Group{{Title: "All", Services: []string{"shop"}}}}},
	}
	return &setup.Manager{Store: setup.NewStore(db, nil),
		Env: func(context.Context) (setup.Env, error) {
			return setup.Env{File: file, FilePath: "sextant.yaml", Services: map[string]bool{"shop": true, "payroll": true},
				CheckPolicies: map[string][]string{"night": {"shop-web"}}}, nil
		},
		Apply:   func(context.Context) error { return nil },
		Channel: func(string) (notify.Channel, bool) { return nil, false }}
}

// TestStoreWrites: every write is validated over the merged whole and
// changes nothing when refused; secrets survive an update that sends
// [set] and never reach the audit log.
func TestStoreWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := manager(db)
		hook := setup.Channel{Name: "api-hook", Type: notify.TypeWebhook, URL: "https://hooks.example/api", Secret: hookSecret}
		night := incident.EscalationPolicy{Name: "night", Levels: []incident.Level{{Delay: "5m", Notify: []string{"channel:api-hook", "user:ann"}}}}
		steps := []struct {
			name string
			do   func() error
			// want is "" for success, else a word of the error; kind is
			// the error's kind.
			want string
			kind error
		}{
			{"create a channel", func() error { _, err := m.PutChannel(ctx, "ann", hook, setup.Create); return err }, "", nil},
			{"twice", func() error { _, err := m.PutChannel(ctx, "ann", hook, setup.Create); return err }, "already exists", apperr.ErrConflict},
			{"a file name", func() error {
				_, err := m.PutChannel(ctx, "ann", setup.Channel{Name: "file-hook", Type: notify.TypeSlack, URL: "https://x.example/y"}, setup.Create)
				return err
			}, "declared in sextant.yaml", apperr.ErrConflict},
			{"the file's channel is read-only", func() error {
				_, err := m.PutChannel(ctx, "ann", setup.Channel{Name: "file-hook", Type: notify.TypeSlack, URL: "https://x.example/y"}, setup.Replace)
				return err
			}, "read-only here", apperr.ErrForbidden},
			{"a bad channel", func() error {
				_, err := m.PutChannel(ctx, "ann", setup.Channel{Name: "bad", Type: notify.TypeNtfy, Topic: "a b"}, setup.Create)
				return err
			}, "topic: must be 1 to 64", nil},
			{"replace a missing one", func() error {
				_, err := m.PutChannel(ctx, "ann", setup.Channel{Name: "nope", Type: notify.TypeWebhook, URL: "https://x.example"}, setup.Replace)
				return err
			}, "not found", apperr.ErrNotFound},
			{"a policy on an unknown target", func() error {
				_, err := m.PutPolicy(ctx, "ann", incident.EscalationPolicy{Name: "night", Levels: []incident.Level{{Notify: []string{"schedule:nobody"}}}}, setup.Create)
				return err
			}, `levels[0].notify[0]: unknown schedule "nobody"`, nil},
			{"a policy", func() error { _, err := m.PutPolicy(ctx, "ann", night, setup.Create); return err }, "", nil},
			{"a channel in use", func() error { return m.DeleteChannel(ctx, "ann", "api-hook") }, `used by escalation policy "night"`, apperr.ErrConflict},
			{"a policy a check uses", func() error { return m.DeletePolicy(ctx, "ann", "night") }, `used by check "shop-web"`, apperr.ErrConflict},
			{"keep the secret", func() error {
				c := hook
				c.Secret, c.Timeout = setup.SetMarker, "3s"
				_, err := m.PutChannel(ctx, "bob", c, setup.Replace)
				return err
			}, "", nil},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				err := st.do()
				switch {
				case st.want == "" && err != nil:
					t.Fatalf("unexpected error: %v", err)
				case st.want != "" && (err == nil || !strings.Contains(err.Error(), st.want)):
					t.Fatalf("error = %v, want one saying %q", err, st.want)
				case st.kind != nil && !errors.Is(err, st.kind):
					t.Fatalf("error %v is not %v", err, st.kind)
				}
			})
		}
		stored, err := m.Store.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored.Channels) != 1 || stored.Channels[0].Secret != hookSecret || stored.Channels[0].Timeout != "3s" || len(stored.Policies) != 1 {
			t.Fatalf("stored = %+v", stored)
		}
		list, err := m.Channels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "api-hook" || list[0].Secret != setup.SetMarker || list[1].Source != setup.SourceFile || list[1].DeclaredIn != "sextant.yaml" {
			t.Fatalf("merged list = %+v", list)
		}
		entries, _, err := audit.List(ctx, db, audit.Filter{}, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 3 {
			t.Fatalf("audit has %d entries, want 3 (two creates, one update): refused writes must change nothing", len(entries))
		}
		for _, e := range entries {
			if strings.Contains(string(e.Before)+string(e.After), hookSecret) {
				t.Fatalf("audit shows the secret: %s %s", e.Before, e.After)
			}
		}

		// The file wins: a name it now declares drops the stored object.
		n, err := m.Store.DropShadowed(ctx, "config", setup.Objects{Policies: []incident.EscalationPolicy{{Name: "night"}}})
		if err != nil || n != 1 {
			t.Fatalf("DropShadowed = %d, %v", n, err)
		}
		if stored, _ := m.Store.Load(ctx); len(stored.Policies) != 0 || len(stored.Channels) != 1 {
			t.Fatalf("after DropShadowed: %+v", stored)
		}
	})
}

// TestCheckFile: a config file that would leave a stored object dangling
// is refused, naming the object; the file's own objects are not judged.
func TestCheckFile(t *testing.T) {
	api := setup.Objects{Policies: []incident.EscalationPolicy{{Name: "night", Levels: []incident.Level{{Notify: []string{"channel:file-hook"}}}}},
		Integrations: []setup.Integration{{Name: "am", Kind: incident.KindAlertmanager, Key: "0123456789abcdef0123456789abcdef", Service: "shop", Escalation: "night"}}}
	cases := []struct {
		name string
		file setup.Objects
		want string
	}{
		{"the channel stays", setup.Objects{Channels: []setup.Channel{{Name: "file-hook", Type: notify.TypeWebhook, URL: "https://x.example"}}}, ""},
		{"the channel goes", setup.Objects{}, `escalation policy "night": levels[0].notify[0]: unknown channel "file-hook"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := setup.CheckFile(setup.Env{File: c.file, Services: map[string]bool{"shop": true}}, api)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, apperr.ErrConflict)) {
				t.Fatalf("CheckFile = %v, want %q", err, c.want)
			}
		})
	}
}
