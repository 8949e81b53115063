// Package app assembles Sextant's server — store, catalog, auth, API, UI,
// metrics and health checks — into one value with New and Run, so that the
// command and the tests start exactly the same server.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/desk/mailin"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/knownerror"
	"github.com/sextant-ops/sextant/internal/kpi"
	"github.com/sextant-ops/sextant/internal/live"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/override"
	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/postmortem"
	"github.com/sextant-ops/sextant/internal/probe"
	"github.com/sextant-ops/sextant/internal/recovery"
	"github.com/sextant-ops/sextant/internal/replica"
	"github.com/sextant-ops/sextant/internal/setup"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/sso"
	"github.com/sextant-ops/sextant/internal/status"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/subscribe"
	"github.com/sextant-ops/sextant/internal/timeline"
	"github.com/sextant-ops/sextant/internal/web"
)

// Options configure a server.
type Options struct {
	Listen     string // e.g. 127.0.0.1:8080; ":0" picks a free port
	DataDir    string // SQLite file and first-admin password live here
	Database   string // "" for SQLite in DataDir, or a postgres:// URL
	ConfigPath string // the config file; "" for none
	Demo       bool   // with no ConfigPath: serve the embedded demo catalog
	// DemoCycle is how long the demo's HTTP target stays up before it
	// fails for a sixth of that (at least 3 s); zero means 4 minutes up
	// and 40 s down. Tests shorten it to see a whole cycle in seconds.
	DemoCycle time.Duration
	// SecureCookies marks the session cookie Secure, for HTTPS deployments.
	SecureCookies bool
	// PublicURL is how users and jobs reach the server (heartbeat ping
	// URLs); empty means the scheme and host of each request.
	PublicURL string
	// RawRetention is how long raw check results are kept (default 7d).
	RawRetention time.Duration
	// CheckConcurrency bounds the checks run at once (default 1000).
	CheckConcurrency int
	// IngestLoops is the number of event commit loops on PostgreSQL (0:
	// incident.DefaultPostgresLoops); SQLite always runs one.
	IngestLoops int
	// ReplicaID names this server among the replicas sharing a PostgreSQL
	// database ("" for its host name and a random suffix); ReplicaHeartbeat
	// is how often it beats (0: replica.DefaultEvery). A replica is taken
	// for dead after replica.DefaultMisses missed beats.
	ReplicaID        string
	ReplicaHeartbeat time.Duration
	Version          string
	Log              *slog.Logger
	// Out receives the lines a person starting the server reads: the URL
	// and how to sign in.
	Out io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SMTPListen is where the service desk's SMTP listener answers; ""
	// means Mail.Listen, and none when that is empty too.
	SMTPListen string
	// Mail are the desk's incoming mail settings (config desk.mail).
	Mail mailin.Config
	// MailSink receives the mail the listener accepts; when nil the
	// listener is not started.
	MailSink mailin.Sink
}

// App is a running (or ready to run) Sextant server.
type App struct {
	opts    Options
	log     *slog.Logger
	db      *store.DB
	auth    *auth.Service
	catalog *catalog.Store
	outages *timeline.Store
	reports *timeline.Reporter
	checks  *monitor.Store
	monitor *monitor.Monitor
	// replicas is this server's registration among the servers sharing the
	// database; nil on SQLite, which one server owns.
	replicas *replica.Registry
	// announcer tells the other replicas what this one changed; nil
	// without replicas.
	announcer *announcer
	cmdb      *cmdb.Store
	// licences reports on the CMDB's licences and warns of their expiry.
	licences *cmdb.Licences
	// recovery keeps backup runs, restore tests, DR plans and drills.
	recovery *recovery.Store

	engine    *incident.Engine
	ingest    *incident.Ingester
	incidents *incident.Store
	signer    *incident.Signer
	// linkSigner signs the links sent in mail other than incidents' (change
	// and request approvals) with the same key.
	linkSigner *signed.Signer
	// changes keeps change events and change requests.
	changes *change.Store
	// portal serves requesters; portalMail mails its approval requests.
	portal     *portal.Store
	portalMail *portal.Sender
	outbox     *notify.Outbox
	channels   atomic.Pointer[map[string]notify.Channel]
	services   catalogCache
	oncall     onCall
	overrides  *override.Store
	// desk keeps the service desk's tickets; its configuration is swapped
	// in with the file's.
	desk *desk.Store
	// feedback keeps satisfaction surveys and service ratings; surveyMail
	// is the outbox channel of survey mails, ratings the status pages'
	// public rating form.
	feedback   *feedback.Store
	surveyMail *feedback.Mail
	ratings    *feedback.Public
	// deskMail is the outbox channel (desk.MailChannel) that sends the
	// desk's mail to requesters.
	deskMail notify.Channel
	// Status page subscribers: their store, the sender of their mail, the
	// running config's mailer and the outbox channels that reach them.
	subscribers *subscribe.Store
	sender      *subscribe.Sender
	mailer      atomic.Pointer[notify.Mailer]
	subChannels atomic.Pointer[map[string]notify.Channel]
	escalate    *escalation.Worker
	// delivery mails the monthly report to its subscribers.
	delivery *kpi.Delivery
	stop     context.CancelFunc
	metrics  *metrics
	handler  http.Handler
	// live carries "something changed" events to the pages' event
	// stream; it is closed on shutdown so that open streams end at once.
	live *live.Broker

	// statusPages are the running config's public status pages, swapped
	// whole on reload like the channels.
	statusPages atomic.Pointer[[]status.Page]
	// outbound is the running config's outbound policy. Channels are built
	// with it on each reload; checks read it at every run.
	outbound atomic.Pointer[config.Policies]
	// sso is the running config's single sign-on provider (nil when off),
	// kept across reloads that do not change it so that its discovery is
	// not repeated.
	sso atomic.Pointer[sso.Provider]

	// setup keeps the channels, integrations and policies made in the UI
	// and API; fileCfg is the config file applied last, which they run
	// beside.
	setup   *setup.Manager
	fileCfg atomic.Pointer[config.Config]
	// currency is the running config's ISO 4217 code ("" for none).
	currency atomic.Pointer[string]

	// demo runs the demo's target and webhook receiver; nil unless the
	// demo catalog is served.
	demo *demoRig

	reloadMu sync.Mutex // one reload at a time
	ready    chan struct{}
	addr     string
	smtpAddr string
}

// New opens the database, applies migrations and the config file, creates a
// first admin when there is no user, and builds the HTTP handler. A config
// file with problems stops New: a server never starts on a config it cannot
// honour.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	db, err := store.Open(ctx, o.Database, o.DataDir, o.Log)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a := &App{
		opts:    o,
		log:     o.Log,
		db:      db,
		auth:    auth.NewService(db, o.Now),
		catalog: catalog.NewStore(db, o.Now),
		outages: timeline.NewStore(db, o.Now),
		ready:   make(chan struct{}),
		live:    &live.Broker{},
	}
	// TOTP secrets are sealed with a key kept in the data directory, out
	// of the database; without a data directory they are stored as they
	// are, the database being the trust boundary as for sessions.
	if o.DataDir != "" {
		key, err := auth.LoadKey(o.DataDir)
		if err != nil {
			db.Close()
			return nil, err
		}
		a.auth.UseKey(key)
	}
	a.reports = timeline.NewReporter(a.catalog, a.outages, o.Now)
	a.desk = desk.NewStore(db, a.catalog, o.Now)
	a.desk.IsUser = func(ctx context.Context, name string) bool {
		_, err := a.auth.GetUser(ctx, name)
		return err == nil
	}
	a.metrics = newMetrics(o.Version, db, a.reports, o.Log)
	a.checks = monitor.NewStore(db, o.Now)
	// Services' timelines follow the configuration items they depend on.
	a.cmdb = cmdb.NewStore(db, a.catalog, a.checks, a.reports, o.Now)
	a.reports.SetItems(a.cmdb)
	a.recovery = a.newRecovery()
	if a.signer, err = incident.LoadSigner(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.newPortal(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.services.catalog, a.services.now = a.catalog, o.Now
	a.outbox = &notify.Outbox{DB: db, Log: o.Log, Now: o.Now, Links: a.links, SoleWorker: db.Engine() == store.SQLite, Metrics: a.metrics.outbox(), Channels: a.outboxChannels}
	// Requester mail is stored with the ticket's change and sent by the
	// same outbox, over the config's mail settings.
	a.desk.Outbox = desk.MailOutbox{Enabled: func() bool { return a.mailer.Load() != nil }, Now: o.Now, Kick: a.outbox.Kick}
	a.deskMail = a.desk.MailSender(a.mailer.Load)
	a.licences = a.newLicences()
	// Outbox rows about no incident — a ticket's SLA warning, a licence's
	// expiry — are described from what they are about when they are sent.
	a.outbox.Describe = func(ctx context.Context, kind string) (notify.Message, bool, error) {
		if m, ok, err := a.desk.DescribeWarning(ctx, kind, a.baseURL()); ok || err != nil {
			return m, ok, err
		}
		return a.notices(ctx, kind)
	}
	if a.subscribers, err = subscribe.Open(ctx, db, o.Now); err != nil {
		db.Close()
		return nil, err
	}
	a.sender = &subscribe.Sender{Store: a.subscribers, Mailer: a.mailer.Load, Log: o.Log, BaseURL: a.baseURL, Outbound: a.channelPolicy, Pages: func() []status.Page {
		if p := a.statusPages.Load(); p != nil {
			return *p
		}
		return nil
	}}
	// Housekeeping tells subscribers of one-off maintenance on their pages'
	// services, through the outbox.
	a.sender.OnEnqueue = func() { a.outbox.Kick() }
	a.delivery = a.newDelivery()
	a.sender.Maintenance = func(ctx context.Context, from, to, now time.Time) ([]catalog.Occurrence, error) {
		cat, err := a.catalog.Load(ctx)
		if err != nil {
			return nil, err
		}
		return cat.Occurrences(from, to, now), nil
	}
	a.subscribers.OnChange = func(ctx context.Context) {
		if err := a.refreshSubscribers(ctx); err != nil {
			a.log.Error("subscribers not loaded for the outbox", "err", err)
		}
	}
	if err := a.refreshSubscribers(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.newFeedback(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.changes = a.newChanges()
	a.overrides = &override.Store{DB: db, Now: o.Now, OnChange: func(ctx context.Context) {
		if err := a.oncall.refresh(ctx, a.overrides, o.Now()); err != nil {
			a.log.Error("overrides not applied to the schedules", "err", err)
		}
		a.announcer.announce(topicOverrides)
	}}
	a.escalate = &escalation.Worker{DB: db, Log: o.Log, Now: o.Now, Policies: a.oncall.Policy, Resolve: a.oncall.Resolve, OnEnqueue: a.outbox.Kick}
	a.engine = &incident.Engine{Timeline: a.outages, Log: o.Log, Now: o.Now, InMaintenance: a.services.inMaintenance,
		OnEnqueue: func() { a.outbox.Kick(); a.escalate.Kick() }, StartEscalation: a.startEscalation, StopEscalation: escalation.Stop,
		SnoozeEscalation: escalation.Snooze, WakeEscalation: escalation.Wake,
		Changed: func() { a.live.Publish(live.Event{Kind: live.Incident}) }}
	a.engine.Configure(incident.Setup{})
	a.ingest = &incident.Ingester{DB: db, Engine: a.engine, Loops: o.IngestLoops}
	a.incidents = &incident.Store{DB: db, Engine: a.engine, OnNote: a.sender.OnNote}
	a.incidents.IsPerson = func(name string) bool { _, ok := a.oncall.Person(name); return ok }
	bg, stop := context.WithCancel(context.Background())
	a.stop = stop
	a.ingest.Start(bg)
	monOpts := monitor.Options{DB: db, Checks: a.checks, Timeline: a.outages, Log: o.Log, Now: o.Now,
		RawRetention: o.RawRetention, Limit: o.CheckConcurrency, Registry: a.metrics.reg, OnChange: a.engine.OnCheckChange,
		Outbound: a.checkPolicy, Covered: a.incidents.CoveredChecks, Committed: a.publishChecks}
	if db.Engine() == store.Postgres {
		// Every server on PostgreSQL is a replica: alone it owns every
		// check; beside others it runs its share.
		a.replicas = &replica.Registry{DB: db, ID: o.ReplicaID, Every: o.ReplicaHeartbeat, Log: o.Log}
		if err := a.replicas.Register(ctx); err != nil {
			stop()
			db.Close()
			return nil, err
		}
		monOpts.Shared = a.replicas
		a.auth.ShareLimits()
		monOpts.ChecksChanged = func() { a.announcer.announce(topicChecks) }
		a.startBus(bg)
	}
	a.monitor = monitor.New(monOpts)
	a.incidents.Checks = a.monitor
	a.setup = a.newSetup()
	started := false
	if o.Demo && o.ConfigPath == "" {
		if a.demo, err = startDemoRig(o.DemoCycle, o.Log); err != nil {
			db.Close()
			return nil, err
		}
		defer func() {
			if !started {
				a.demo.stop()
			}
		}()
	}
	// At start nothing runs yet, so a rejected file is no reload to keep
	// the running config through: the server does not start, and says why.
	if _, err := a.applyConfig(ctx, "config"); err != nil && !errors.Is(err, errNoConfig) {
		db.Close()
		return nil, fmt.Errorf("config rejected, so the server did not start; fix the file and start again:\n%w", err)
	} else if err != nil {
		// No file: what was made in the UI and API runs alone.
		if err := a.applySetup(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := a.monitor.Load(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if o.Demo && o.ConfigPath == "" {
		if err := a.seedDemo(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := a.firstAdmin(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.buildHandler(); err != nil {
		db.Close()
		return nil, err
	}
	started = true
	return a, nil
}

var errNoConfig = errors.New("no config file")

// loadConfig reads the config file, or the demo catalog.
func (a *App) loadConfig() (*config.Config, error) {
	switch {
	case a.opts.ConfigPath != "":
		return config.Load(a.opts.ConfigPath)
	case a.opts.Demo:
		cfg, err := config.Parse(config.Demo, os.LookupEnv)
		if err == nil && a.demo != nil {
			a.demo.extend(cfg)
		}
		return cfg, err
	}
	return nil, errNoConfig
}

// Reload reads the config file again and makes the catalog match it. On any
// problem the running config and the stored catalog stay as they were and
// the error says why (a *config.Problems with line and column).
func (a *App) Reload(ctx context.Context, actor string) (catalog.Changes, error) {
	ch, err := a.applyConfig(ctx, actor)
	if err != nil && !errors.Is(err, errNoConfig) {
		a.log.Error("config rejected; keeping the running config", "path", a.opts.ConfigPath, "err", err)
		a.metrics.reloadFailures.Inc()
	}
	if err == nil {
		a.announcer.announce(topicConfig)
	}
	return ch, err
}

// applyConfig reads the config file and applies it whole, or nothing of it:
// at start (New) and on each reload, which differ in what a rejection
// means.
func (a *App) applyConfig(ctx context.Context, actor string) (catalog.Changes, error) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cfg, err := a.loadConfig()
	if err != nil {
		return catalog.Changes{}, err
	}
	// The file's channels, integrations and policies run beside those
	// made in the UI and API; a file that would leave one of those
	// dangling is refused.
	run, err := a.buildRunning(ctx, cfg)
	if err != nil {
		return catalog.Changes{}, err
	}
	var mailer *notify.Mailer
	if cfg.Mail != nil && cfg.Mail.SMTP.Host != "" {
		if mailer, err = notify.NewMailer(cfg.Mail.From, cfg.Mail.SMTP, cfg.Outbound.Channels); err != nil {
			return catalog.Changes{}, err
		}
	}
	ch, err := a.catalog.ApplyFile(ctx, actor, cfg.Catalog, a.checks.FileHook(actor, cfg.Checks), a.cmdb.FileHook(actor, cfg.CMDB))
	if err == nil {
		a.cmdb.SetClasses(cfg.CMDB.Classes)
		err = a.recovery.ApplyFile(ctx, actor, cfg.Plans)
	}
	if err == nil {
		a.outbound.Store(&cfg.Outbound)
		a.auth.RequireSecondFactor(cfg.RequireSecondFactor)
		currency := cfg.Currency
		a.currency.Store(&currency)
		a.configureSSO(cfg.OIDC)
		a.mailer.Store(mailer)
		a.fileCfg.Store(cfg)
		if cfg.Desk != nil {
			a.desk.Configure(cfg.Desk)
		}
		if cfg.Portal != nil {
			a.portal.Configure(cfg.Portal)
		}
		err = a.install(ctx, run)
	}
	if err == nil {
		a.services.invalidate()
		a.licences.Kick()
		err = a.monitor.Load(ctx)
	}
	if err == nil {
		// The file wins: a stored object whose name it now declares
		// gives way to the file's.
		_, err = a.setup.Store.DropShadowed(ctx, actor, fileObjects(cfg))
	}
	if err != nil {
		return ch, err
	}
	a.log.Info("config applied", "path", a.opts.ConfigPath, "demo", a.opts.ConfigPath == "" && a.opts.Demo,
		"created", ch.Created, "updated", ch.Updated, "deleted", ch.Deleted, "unchanged", ch.Unchanged)
	a.metrics.reloads.Inc()
	return ch, nil
}

// channelPolicy is the outbound policy of channels in the running config.
func (a *App) channelPolicy() *probe.Policy {
	if p := a.outbound.Load(); p != nil {
		return p.Channels
	}
	return nil
}

// checkPolicy is the outbound policy for the next check run: the running
// config's, or the default before any config is applied.
func (a *App) checkPolicy() *probe.Policy {
	if p := a.outbound.Load(); p != nil {
		return p.Checks
	}
	return nil
}

// configureSSO swaps in the single sign-on provider of a new config, or
// none; an unchanged config keeps the running provider.
func (a *App) configureSSO(c *sso.Config) {
	if c == nil {
		a.sso.Store(nil)
		return
	}
	if cur := a.sso.Load(); cur != nil && reflect.DeepEqual(cur.Config(), *c) {
		return
	}
	a.sso.Store(sso.New(*c, nil, a.opts.Now))
}

// firstAdmin creates the "admin" account when there is no user at all, and
// tells the person starting the server how to sign in.
func (a *App) firstAdmin(ctx context.Context) error {
	n, err := a.auth.CountUsers(ctx)
	if err != nil {
		return err
	}
	pwFile := ""
	if a.opts.DataDir != "" && a.opts.Database == "" {
		pwFile = filepath.Join(a.opts.DataDir, "initial-admin-password")
	}
	if n > 0 {
		if pwFile != "" {
			if _, err := os.Stat(pwFile); err == nil {
				fmt.Fprintf(a.opts.Out, "Sign in as \"admin\" with the password in %s (change it with `sextant user passwd admin`).\n", pwFile)
			}
		}
		return nil
	}
	password := auth.GeneratePassword()
	if _, err := a.auth.CreateUser(ctx, "system", auth.NewUser{Name: "admin", Password: password, Role: auth.Admin, DisplayName: "Administrator"}); err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	fmt.Fprintf(a.opts.Out, "Created the first user: sign in as \"admin\" with the password %s\n", password)
	if pwFile != "" {
		if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
			return fmt.Errorf("save first admin password: %w", err)
		}
		fmt.Fprintf(a.opts.Out, "(The password is also saved in %s; delete that file once you have changed it.)\n", pwFile)
	}
	return nil
}

func (a *App) buildHandler() error {
	mux := http.NewServeMux()
	// Known errors match new incidents from a cache the store refreshes
	// on its writes; post-mortems measure impact with the same reporter
	// as every availability figure.
	knownErrors := knownerror.NewStore(a.db, a.opts.Now, a.log)
	a.engine.KnownError = knownErrors.Match
	a.portal.KnownErrors = knownErrors
	postmortems := postmortem.NewStore(a.db, a.reports, a.opts.Now)
	api := httpapi.New(httpapi.Deps{Log: a.log, Auth: a.auth, Catalog: a.catalog, DB: a.db, Outages: a.outages, Reporter: a.reports,
		Checks: a.checks, Monitor: a.monitor, PublicURL: a.opts.PublicURL, Config: a, Version: a.opts.Version,
		Engine: a.engine, Ingest: a.ingest, Incidents: a.incidents, KnownService: a.services.known, IngestMetrics: a.metrics.ingest,
		Postmortems: postmortems, KnownErrors: knownErrors, Changes: a.changes, CMDB: a.cmdb, Licences: a.licences, Desk: a.desk, Portal: a.portal,
		Setup: a.setup, Capacity: a.capacityDeps(), Recovery: a.recovery, Feedback: a.feedback, Monthly: a.Monthly,
		Deliveries: func(ctx context.Context, id int64) (any, error) { return a.outbox.Deliveries(ctx, id) },
		OnCall:     &a.oncall, Reassigner: a.escalate, Overrides: a.overrides, Subscribers: a.subscribers,
		StatusPage: func(name string) bool {
			if p := a.statusPages.Load(); p != nil {
				for _, pg := range *p {
					if pg.Name == name {
						return true
					}
				}
			}
			return false
		},
		Escalation: func(ctx context.Context, id int64) (any, error) {
			st, ok, err := escalation.Get(ctx, a.db.Reader(), id)
			if !ok || err != nil {
				return nil, err
			}
			return st, nil
		}})
	api.Register(mux)
	ui, err := web.New(web.Deps{Log: a.log, Auth: a.auth, Catalog: a.catalog, Outages: a.outages, Reports: a.reports, Monitor: a.monitor, Checks: a.checks, PublicURL: a.opts.PublicURL,
		Incidents: a.incidents, Signer: a.signer, Changes: a.changes, Deliveries: a.outbox.Deliveries, Postmortems: postmortems, KnownErrors: knownErrors, CMDB: a.cmdb, Licences: a.licences, Desk: a.desk,
		Portal: a.portal, Links: a.linkSigner, SurveyLink: a.feedback.SurveyLink,
		OnCall: &a.oncall, Reassign: a.escalate.Reassign, Overrides: a.overrides, Reachable: a.oncall.Reachable,
		Setup: a.setup, Capacity: a.capacityDeps(), Recovery: a.recovery, Feedback: a.feedback, Monthly: a.Monthly,
		Escalation: func(ctx context.Context, id int64) (escalation.State, bool, error) {
			return escalation.Get(ctx, a.db.Reader(), id)
		},
		Audit: func(ctx context.Context, f audit.Filter, p store.Page) ([]audit.Entry, string, error) {
			return audit.List(ctx, a.db, f, p)
		},
		StatusPage: func() string {
			if p := a.statusPages.Load(); p != nil && len(*p) > 0 {
				return "/status"
			}
			return ""
		},
		SSO: a.sso.Load,
		Now: a.opts.Now, Version: a.opts.Version, SecureCookies: a.opts.SecureCookies, Live: a.live,
		Currency: func() string {
			if c := a.currency.Load(); c != nil {
				return *c
			}
			return ""
		}})
	if err != nil {
		return err
	}
	ui.Register(mux)
	// The status pages, their feeds and badges are public by design: they
	// show only the services a status page lists.
	pub, err := status.New(status.Options{Reporter: a.reports, Incidents: a.incidents, PublicURL: a.opts.PublicURL, Log: a.log, Now: a.opts.Now,
		Subscriptions: &subscribe.Public{Store: a.subscribers, Sender: a.sender}, Ratings: a.ratings,
		Pages: func() []status.Page {
			if p := a.statusPages.Load(); p != nil {
				return *p
			}
			return nil
		}})
	if err != nil {
		return err
	}
	pub.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.db.Ping(ctx); err != nil {
			a.log.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "database unreachable")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	// Metrics name services, which are not public: scrapers authenticate
	// with a viewer token like any API client.
	mux.Handle("GET /metrics", api.Require(auth.Viewer, a.metrics.handler()))
	a.handler = a.metrics.instrument(a.logRequests(securityHeaders(mux)))
	return nil
}

// Handler is the whole HTTP surface, for tests that use httptest.
func (a *App) Handler() http.Handler { return a.handler }

// Auth returns the account service, for the CLI and tests.
func (a *App) Auth() *auth.Service { return a.auth }

// Catalog returns the catalog store.
func (a *App) Catalog() *catalog.Store { return a.catalog }

// Run serves until ctx is cancelled, then shuts down gracefully, letting
// requests in flight finish for up to ten seconds.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.opts.Listen, err)
	}
	a.addr = ln.Addr().String()
	stopMail, err := a.startMail(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMail()
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	// Open event streams would hold Shutdown for its whole timeout:
	// closing the broker ends them as shutdown begins.
	srv.RegisterOnShutdown(a.live.Close)
	a.log.Info("listening", "addr", a.addr, "engine", a.db.Engine())
	fmt.Fprintf(a.opts.Out, "Sextant is running at http://%s/\n", displayAddr(a.addr))
	if a.demo != nil {
		base := a.opts.PublicURL
		if base == "" {
			base = "http://" + displayAddr(a.addr)
		}
		a.demo.announce(a.opts.Out, strings.TrimSuffix(base, "/")+"/")
	}
	close(a.ready)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	monCtx, stopMonitor := context.WithCancel(context.WithoutCancel(ctx))
	monDone := make(chan struct{})
	go func() {
		defer close(monDone)
		_ = a.monitor.Run(monCtx)
	}()
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		_ = a.outbox.Run(monCtx)
	}()
	escDone := make(chan struct{})
	go func() {
		defer close(escDone)
		_ = a.escalate.Run(monCtx)
	}()
	pruneDone := make(chan struct{})
	go func() {
		defer close(pruneDone)
		a.sender.RunHousekeeping(monCtx)
	}()
	// The registration outlives the monitor, so no check is disowned while
	// this server still runs it; it is removed last, and the others take
	// the checks at their next beat.
	regCtx, stopReplica := context.WithCancel(context.WithoutCancel(ctx))
	regDone := make(chan struct{})
	go func() {
		defer close(regDone)
		if a.replicas != nil {
			a.replicas.Run(regCtx)
		}
	}()
	// The portal's approval requests are mailed, and retried until sent.
	approvalsDone := make(chan struct{})
	go func() {
		defer close(approvalsDone)
		a.portalMail.Run(monCtx)
	}()
	// SLA warnings are recorded in each ticket's history and go through
	// the queue's escalation policy to its channels, by the outbox.
	warnDone := make(chan struct{})
	go func() {
		defer close(warnDone)
		esc := &desk.Escalator{Policies: a.oncall.Policy, Resolve: a.oncall.Resolve, Kick: a.outbox.Kick}
		w := &desk.Warner{Store: a.desk, Log: a.log, Notify: esc.Notify}
		w.Run(monCtx, 5*time.Second)
	}()
	reportDone := make(chan struct{})
	go func() {
		defer close(reportDone)
		a.delivery.Run(monCtx, time.Minute)
	}()
	// Licence expiry warnings are looked for hourly: they are days ahead,
	// and each is sent once whatever the restarts (see cmdb.Licences.Warn).
	licenceDone := make(chan struct{})
	go func() {
		defer close(licenceDone)
		a.licences.RunWarnings(monCtx, time.Hour)
	}()
	serverStopped := false
	select {
	case err = <-errc:
		serverStopped = true
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.log.Info("shutting down")
	if serr := srv.Shutdown(shutdown); !serverStopped {
		err = serr
		<-errc
	}
	// The monitor stops after the server: results taken are written.
	stopMonitor()
	<-monDone
	<-outDone
	<-escDone
	<-pruneDone
	stopReplica()
	<-regDone
	<-warnDone
	<-reportDone
	<-approvalsDone
	<-licenceDone
	// Confirmation mails under way finish (each within its timeout).
	a.sender.Wait()
	return err
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// Ready is closed once Run listens.
func (a *App) Ready() <-chan struct{} { return a.ready }

// Addr is the address Run listens on, once Ready is closed.
func (a *App) Addr() string { return a.addr }

// Close stops the ingest loop and releases the database.
func (a *App) Close() error {
	a.stop()
	if a.replicas != nil {
		// A server built but never run (or run and stopped) holds no
		// checks: the others take them at once.
		bye, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.replicas.Deregister(bye); err != nil {
			a.log.Error("leave the replicas", "err", err)
		}
	}
	if a.demo != nil {
		a.demo.stop()
	}
	return a.db.Close()
}

// publishChecks tells the pages that checks changed state, and with them
// their services and the incidents they open or resolve.
func (a *App) publishChecks(changes []monitor.Change) {
	services := map[string]bool{}
	for _, c := range changes {
		a.live.Publish(live.Event{Kind: live.Check, Name: c.Check})
		if !services[c.Service] {
			services[c.Service] = true
			a.live.Publish(live.Event{Kind: live.Service, Name: c.Service})
		}
	}
	a.live.Publish(live.Event{Kind: live.Incident})
}

// links builds an incident's page and signed action links for messages.
func (a *App) links(id int64) (view, ack, resolve string) {
	return a.signer.Links(a.baseURL(), id, a.opts.Now())
}

// baseURL is how readers reach the server, for links sent out: the
// public URL, or else the address it listens on.
func (a *App) baseURL() string {
	if a.opts.PublicURL != "" {
		return strings.TrimSuffix(a.opts.PublicURL, "/")
	}
	return "http://" + displayAddr(a.addr)
}

// outboxChannels is the outbox's channel table: the config's channels and
// people's contacts, the desk's mail to requesters, one channel per
// confirmed status page subscriber, the survey mails' channel, the
// monthly reports' and the channel of change approval mail.
func (a *App) outboxChannels() map[string]notify.Channel {
	m := a.channels.Load()
	if m == nil {
		return nil
	}
	subs := a.subChannels.Load()
	reports := a.delivery.Channels()
	n := len(*m) + 3 + len(reports)
	if subs != nil {
		n += len(*subs)
	}
	out := make(map[string]notify.Channel, n)
	for k, v := range *m {
		out[k] = v
	}
	out[desk.MailChannel] = a.deskMail
	if subs != nil {
		for k, v := range *subs {
			out[k] = v
		}
	}
	for k, v := range reports {
		out[k] = v
	}
	out[feedback.Channel] = a.surveyMail
	// Approval mail of change requests goes through the outbox too.
	out[change.MailChannel] = &changeMail{a: a}
	return out
}

// refreshSubscribers rebuilds the subscribers' outbox channels.
func (a *App) refreshSubscribers(ctx context.Context) error {
	ids, err := a.subscribers.ConfirmedIDs(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]notify.Channel, len(ids))
	for _, id := range ids {
		m[subscribe.Channel(id)] = a.sender.Channel(id)
	}
	a.subChannels.Store(&m)
	return nil
}

// Signer signs and checks incident action links, for the UI.
func (a *App) Signer() *incident.Signer { return a.signer }

// catalogCache answers the hot questions of event ingest — does this
// service exist, is it in maintenance — from a compiled catalog kept for a
// few seconds, instead of reading the catalog per event.
type catalogCache struct {
	catalog *catalog.Store
	now     func() time.Time
	mu      sync.Mutex
	at      time.Time
	names   map[string]bool
	maint   map[string][]availability.Maintenance
	paging  map[string]paging
}

// paging is what decides when a service's incidents page.
type paging struct {
	page, alwaysFrom string
	hours            *availability.Calendar
}

func (c *catalogCache) load() {
	if !c.at.IsZero() && c.now().Sub(c.at) < 2*time.Second {
		return
	}
	cat, err := c.catalog.Load(context.Background())
	if err != nil {
		return // keep what we had; the next call retries
	}
	names := map[string]bool{}
	maint := map[string][]availability.Maintenance{}
	pg := map[string]paging{}
	compiled, _ := catalog.Compile(cat)
	for _, s := range cat.Services {
		names[s.Name] = true
		if s.Objective != nil && compiled != nil {
			var hours *availability.Calendar
			if o := compiled.Objectives[s.Name]; o != nil {
				hours = o.Hours
			}
			pg[s.Name] = paging{page: s.Objective.Page, alwaysFrom: s.Objective.PageAlwaysFrom, hours: hours}
		}
		zone := time.UTC
		if compiled != nil {
			if o := compiled.Objectives[s.Name]; o != nil && o.Hours != nil {
				zone = o.Hours.Location()
			}
		}
		maint[s.Name] = catalog.Maintenance(s, zone)
	}
	c.names, c.maint, c.paging, c.at = names, maint, pg, c.now()
}

// pageAt says when a new incident of service starts paging, and why it
// waits when it does.
func (c *catalogCache) pageAt(service, severity string, now time.Time) (time.Time, string) {
	c.mu.Lock()
	c.load()
	p := c.paging[service]
	c.mu.Unlock()
	return escalation.PageAt(now, severity, p.page, p.alwaysFrom, p.hours)
}

func (c *catalogCache) invalidate() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

func (c *catalogCache) known(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	if c.names[name] {
		return true
	}
	// A service created a moment ago: look again before refusing.
	c.at = time.Time{}
	c.load()
	return c.names[name]
}

func (c *catalogCache) inMaintenance(service string, t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	for _, m := range c.maint[service] {
		if len(m.Intervals(t, t.Add(time.Nanosecond))) > 0 {
			return true
		}
	}
	return false
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		a.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	})
}
