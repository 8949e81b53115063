package app

import (
	"context"
	"fmt"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/setup"
	"github.com/sextant-ops/sextant/internal/status"
	"github.com/sextant-ops/sextant/internal/store"
)

// running is what a config file and the objects made in the UI and API
// build together: the channels, the on-call directory, the incident setup
// and the status pages that are swapped in whole.
type running struct {
	channels map[string]notify.Channel
	dir      *directory
	incident incident.Setup
	// pages are the status pages, the file's first.
	pages []status.Page
}

// fileObjects are the config file's objects of the kinds also made in the
// UI and API.
func fileObjects(cfg *config.Config) setup.Objects {
	o := setup.Objects{Schedules: cfg.Schedules, Pages: cfg.StatusPages}
	for _, p := range cfg.Users {
		o.People = append(o.People, setup.PersonOf(p))
	}
	for _, c := range cfg.Channels {
		o.Channels = append(o.Channels, setup.ChannelOf(c))
	}
	for _, in := range cfg.Incident.Integrations {
		o.Integrations = append(o.Integrations, setup.IntegrationOf(in))
	}
	o.Policies = cfg.Incident.Policies
	return o
}

// setupEnv is what stored objects are judged against under cfg: its own
// objects, the services of the file and of the catalog, its people and
// schedules, and the checks' policies.
func (a *App) setupEnv(ctx context.Context, cfg *config.Config) (setup.Env, error) {
	env := setup.Env{File: fileObjects(cfg), FilePath: cfg.Path, Services: map[string]bool{}, Mail: cfg.Mail, NtfyURL: cfg.NtfyURL,
		CheckPolicies: map[string][]string{}}
	if cfg.Path == "" && a.opts.Demo {
		env.FilePath = "the demo config"
	}
	for _, s := range cfg.Catalog.Services {
		env.Services[s.Name] = true
	}
	// The file's services and those made in the UI or API: at a reload,
	// a service the new file drops is gone once it is applied, so it is
	// not there to be named.
	for pg := (store.Page{Limit: store.MaxLimit}); ; {
		list, next, err := a.catalog.ListServices(ctx, pg)
		if err != nil {
			return env, err
		}
		for _, s := range list {
			if s.Source != catalog.SourceFile {
				env.Services[s.Name] = true
			}
		}
		if next == "" {
			break
		}
		pg.Cursor = next
	}
	checks, err := a.checks.List(ctx)
	if err != nil {
		return env, err
	}
	for _, c := range checks {
		if c.Escalation != "" {
			env.CheckPolicies[c.Escalation] = append(env.CheckPolicies[c.Escalation], c.Name)
		}
	}
	return env, nil
}

// buildRunning checks the stored objects against cfg (a file that would
// leave one dangling is refused) and builds what cfg and they run
// together: the file wins on a name clash.
func (a *App) buildRunning(ctx context.Context, cfg *config.Config) (*running, error) {
	env, err := a.setupEnv(ctx, cfg)
	if err != nil {
		return nil, err
	}
	api, err := a.setup.Store.Load(ctx)
	if err != nil {
		return nil, err
	}
	if err := setup.CheckFile(env, api); err != nil {
		return nil, err
	}
	merged := setup.Merge(env.File, api)
	eff := *cfg
	eff.Channels = nil
	for _, c := range merged.Channels {
		eff.Channels = append(eff.Channels, c.Config())
	}
	eff.Incident = merged.Setup()
	eff.Users = nil
	for _, p := range merged.People {
		eff.Users = append(eff.Users, p.Config())
	}
	eff.Schedules = merged.Schedules
	channels := map[string]notify.Channel{}
	for _, c := range eff.Channels {
		ch, err := notify.NewWith(c, cfg.Outbound.Channels)
		if err != nil {
			return nil, fmt.Errorf("channel %q: %w", c.Name, err)
		}
		channels[c.Name] = ch
	}
	dir, err := buildDirectory(&eff, channels)
	if err != nil {
		return nil, err
	}
	return &running{channels: channels, dir: dir, incident: eff.Incident, pages: merged.Pages}, nil
}

// install swaps run in: the outbox, the escalation worker and the
// incident engine see it from their next step.
func (a *App) install(ctx context.Context, run *running) error {
	// The schedules are compiled with the overrides stored in the
	// database as well as the file's.
	if err := a.oncall.install(ctx, run.dir, a.overrides, a.opts.Now()); err != nil {
		return err
	}
	a.channels.Store(&run.channels)
	a.statusPages.Store(&run.pages)
	a.engine.Configure(run.incident)
	return nil
}

// applySetup rebuilds what runs after a change made in the UI or API,
// under the running config file (or none), without a restart.
func (a *App) applySetup(ctx context.Context) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	run, err := a.buildRunning(ctx, a.runningFile())
	if err != nil {
		return err
	}
	return a.install(ctx, run)
}

// runningFile is the config applied last, or an empty one.
func (a *App) runningFile() *config.Config {
	if c := a.fileCfg.Load(); c != nil {
		return c
	}
	return &config.Config{}
}

// newSetup builds the manager of channels, integrations and policies made
// in the UI and API.
func (a *App) newSetup() *setup.Manager {
	return &setup.Manager{Store: setup.NewStore(a.db, a.opts.Now), Now: a.opts.Now,
		Env: func(ctx context.Context) (setup.Env, error) { return a.setupEnv(ctx, a.runningFile()) },
		Apply: func(ctx context.Context) error {
			if err := a.applySetup(ctx); err != nil {
				return err
			}
			a.announcer.announce(topicSetup)
			return nil
		},
		Channel: func(name string) (notify.Channel, bool) {
			if m := a.channels.Load(); m != nil {
				ch, ok := (*m)[name]
				return ch, ok
			}
			return nil, false
		}}
}
