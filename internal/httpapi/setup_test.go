package httpapi_test

import (
	"context"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/setup"
	"github.com/sextant-ops/sextant/internal/store"
)

// testSetup is a setup manager whose config file declares one person,
// "filed" (read-only here): objects are judged against the catalog's
// services, and a test send builds the stored
// channel afresh (the whole server's swap is tested in internal/app).
func testSetup(db *store.DB, cat *catalog.Store) *setup.Manager {
	st := setup.NewStore(db, nil)
	return &setup.Manager{Store: st,
		Env: func(ctx context.Context) (setup.Env, error) {
			env := setup.Env{Services: map[string]bool{}, FilePath: "sextant.yaml",
				File: setup.Objects{People: []setup.Person{{Name: "filed", Email: "filed@example.com"}}}}
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
