// Package cli is the `sextant` command line: it parses arguments and calls
// into the app and the domain packages. main only calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sextant-ops/sextant/internal/app"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/discovery"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/probe"
	"github.com/sextant-ops/sextant/internal/store"
)

// Version is set at build time with -ldflags "-X …/cli.Version=…".
var Version = "dev"

// Env is what a command sees of the world, so tests can run commands
// in-process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

const usage = `Sextant — business-aligned IT operations in one binary.

Usage:
  sextant serve   [--demo] [--config FILE] [--data DIR] [--database URL] [--listen ADDR] [--smtp-listen ADDR]
  sextant check   FILE                 validate a config file; problems with line:column
  sextant migrate [--data DIR] [--database URL]
  sextant backup  --to FILE [--data DIR]    a consistent copy of the SQLite database, also while the server runs
  sextant restore --from FILE [--data DIR]  put a backup into an empty data directory
  sextant report  --service NAME [--from T --to T | --period current|previous] [--format table|json|csv]
  sextant agent   --server URL [--location NAME] [--name ITEM] [--interval 5m] [--once]
                                       report this host's facts as a server item it keeps current, and
                                       with --location run that location's checks (token in SEXTANT_AGENT_TOKEN or --token)
  sextant user    add|passwd|list|reset-2fa ...
                                       manage accounts without a running server
  sextant token   create|list|revoke ... manage API tokens without a running server (an agent token: --role agent --location NAME)
  sextant import  gatus|uptime-kuma|openslo PATH [--out FILE] [--apply --server URL]
                                       write a Sextant config from another tool's; list what could not be mapped
  sextant export  openslo --config FILE [--out FILE]   the services' objectives as OpenSLO v1
  sextant health  [--url URL]          exit 0 when the server on this host answers its /readyz (container and unit health checks)
  sextant version

Run "sextant COMMAND -h" for a command's flags.
`

// Main runs the command in args (without the program name) and returns the
// process exit code.
func Main(args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], env)
	case "check":
		return check(args[1:], env)
	case "migrate":
		err = migrate(args[1:], env)
	case "backup":
		err = backupCmd(args[1:], env)
	case "restore":
		err = restoreCmd(args[1:], env)
	case "report":
		err = report(args[1:], env)
	case "agent":
		err = agent(args[1:], env)
	case "user":
		err = userCmd(args[1:], env)
	case "token":
		err = tokenCmd(args[1:], env)
	case "import":
		err = importCmd(args[1:], env)
	case "export":
		err = exportCmd(args[1:], env)
	case "health":
		err = healthCmd(args[1:], env)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "sextant", Version)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
	default:
		fmt.Fprintf(env.Stderr, "sextant: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		var ue usageError
		fmt.Fprintln(env.Stderr, "sextant:", err)
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// dbFlags are the flags that say where the data lives.
type dbFlags struct {
	data     string
	database string
}

func (d *dbFlags) register(fs *flag.FlagSet, env Env) {
	dataDefault := env.Getenv("SEXTANT_DATA")
	if dataDefault == "" {
		dataDefault = "sextant-data"
	}
	fs.StringVar(&d.data, "data", dataDefault, "data directory for the embedded SQLite database (env SEXTANT_DATA)")
	fs.StringVar(&d.database, "database", env.Getenv("SEXTANT_DATABASE"), "PostgreSQL URL, e.g. postgres://user@host/db; empty for SQLite in --data (env SEXTANT_DATABASE)")
}

func (d *dbFlags) open(ctx context.Context, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, d.database, d.data, log)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// accounts opens the database for the account commands.
func (d *dbFlags) accounts(ctx context.Context) (*auth.Service, func(), error) {
	db, err := d.open(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	return auth.NewService(db, nil), func() { db.Close() }, nil
}

func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("sextant "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func serve(args []string, env Env) error {
	fs := newFlagSet("serve", env)
	var db dbFlags
	db.register(fs, env)
	cfgPath := fs.String("config", env.Getenv("SEXTANT_CONFIG"), "config file declaring services, calendars and objectives (env SEXTANT_CONFIG)")
	demo := fs.Bool("demo", false, "serve the embedded demo catalog when no --config is given")
	listen := fs.String("listen", envOr(env, "SEXTANT_LISTEN", "127.0.0.1:8080"), "address to listen on (env SEXTANT_LISTEN)")
	smtpListen := fs.String("smtp-listen", env.Getenv("SEXTANT_SMTP_LISTEN"), "address of the service desk's SMTP listener for incoming mail, e.g. 0.0.0.0:25; overrides desk.mail.listen (env SEXTANT_SMTP_LISTEN)")
	secure := fs.Bool("secure-cookies", false, "mark session cookies Secure (serve behind HTTPS)")
	publicURL := fs.String("public-url", env.Getenv("SEXTANT_PUBLIC_URL"), "how users and jobs reach this server, for heartbeat ping URLs (env SEXTANT_PUBLIC_URL)")
	retention := fs.String("raw-retention", envOr(env, "SEXTANT_RAW_RETENTION", "7d"), "how long raw check results are kept, at least 2d (env SEXTANT_RAW_RETENTION)")
	concurrency := fs.Int("check-concurrency", 1000, "checks run at once from this server")
	loopsFlag := fs.String("ingest-loops", envOr(env, "SEXTANT_INGEST_LOOPS", "0"), fmt.Sprintf("event commit loops on PostgreSQL, 1 to %d (0: %d); SQLite always runs one (env SEXTANT_INGEST_LOOPS)", incident.MaxLoops, incident.DefaultPostgresLoops))
	replicaID := fs.String("replica-id", env.Getenv("SEXTANT_REPLICA_ID"), "this server's name among the replicas on one PostgreSQL database; empty for the host name and a random suffix (env SEXTANT_REPLICA_ID)")
	replicaBeat := fs.String("replica-heartbeat", envOr(env, "SEXTANT_REPLICA_HEARTBEAT", "2s"), "how often a replica on PostgreSQL beats, 100ms to 1m; it is taken for dead after 3 missed beats (env SEXTANT_REPLICA_HEARTBEAT)")
	logLevel := fs.String("log-level", envOr(env, "SEXTANT_LOG_LEVEL", "info"), "debug, info, warn or error (env SEXTANT_LOG_LEVEL)")
	logFormat := fs.String("log-format", envOr(env, "SEXTANT_LOG_FORMAT", "text"), "text or json (env SEXTANT_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"serve takes no arguments; did you mean --config " + fs.Arg(0) + "?"}
	}
	log, err := newLogger(env.Stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	keep, err := duration.Parse(*retention)
	if err != nil {
		return usageError{"--raw-retention: " + err.Error()}
	}
	if *concurrency < 1 {
		return usageError{"--check-concurrency: must be at least 1"}
	}
	loops, err := strconv.Atoi(*loopsFlag)
	if err != nil || loops < 0 || loops > incident.MaxLoops {
		return usageError{fmt.Sprintf("--ingest-loops: must be a number from 1 to %d (or 0 for the default), got %q", incident.MaxLoops, *loopsFlag)}
	}
	beat, err := time.ParseDuration(*replicaBeat)
	if err != nil || beat < 100*time.Millisecond || beat > time.Minute {
		return usageError{fmt.Sprintf("--replica-heartbeat: must be a duration from 100ms to 1m, got %q", *replicaBeat)}
	}
	if *publicURL != "" {
		if u, err := url.Parse(*publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{fmt.Sprintf("--public-url: expected an http:// or https:// URL, got %q", *publicURL)}
		}
	}
	if *smtpListen != "" {
		if _, _, err := net.SplitHostPort(*smtpListen); err != nil {
			return usageError{fmt.Sprintf("--smtp-listen: expected host:port, got %q", *smtpListen)}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, app.Options{
		Listen: *listen, DataDir: db.data, Database: db.database, ConfigPath: *cfgPath, Demo: *demo,
		SecureCookies: *secure, PublicURL: strings.TrimSuffix(*publicURL, "/"), RawRetention: keep, CheckConcurrency: *concurrency,
		IngestLoops: loops, ReplicaID: *replicaID, ReplicaHeartbeat: beat, Version: Version, Log: log, Out: env.Stdout, SMTPListen: *smtpListen,
	})
	if err != nil {
		return err
	}
	defer a.Close()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				// Reload logs its own outcome; a bad file keeps the old config.
				_, _ = a.Reload(ctx, "signal:SIGHUP")
			}
		}
	}()
	return a.Run(ctx)
}

func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level: %q is not debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("--log-format: %q is not text or json", format)}
}

// check validates a config file and prints every problem as
// FILE:LINE:COL: path: message. Exit 0 when valid, 1 with problems, 2 on
// misuse.
func check(args []string, env Env) int {
	fs := newFlagSet("check", env)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "usage: sextant check FILE")
		return 2
	}
	cfg, err := config.Load(fs.Arg(0))
	if err != nil {
		var p *config.Problems
		if errors.As(err, &p) {
			fmt.Fprintln(env.Stdout, p.Error())
			fmt.Fprintf(env.Stderr, "%s: %d problem(s)\n", fs.Arg(0), len(p.Errors))
			return 1
		}
		fmt.Fprintln(env.Stderr, "sextant:", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "%s: valid (%d calendars, %d services)\n", fs.Arg(0), len(cfg.Catalog.Calendars), len(cfg.Catalog.Services))
	return 0
}

func migrate(args []string, env Env) error {
	fs := newFlagSet("migrate", env)
	var d dbFlags
	d.register(fs, env)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := store.Open(ctx, d.database, d.data, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	for _, m := range applied {
		fmt.Fprintln(env.Stdout, "applied", m)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(env.Stdout, "the database is up to date")
	}
	return nil
}

// cliActor names the person at the terminal in the audit log.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

func userCmd(args []string, env Env) error {
	if len(args) == 0 {
		return usageError{"usage: sextant user add|passwd|list|reset-2fa [flags]"}
	}
	fs := newFlagSet("user "+args[0], env)
	var d dbFlags
	d.register(fs, env)
	ctx := context.Background()
	switch args[0] {
	case "add":
		name := fs.String("name", "", "user name (lower-case letters, digits, - and _)")
		role := fs.String("role", "viewer", "viewer, operator, admin or agent")
		email := fs.String("email", "", "e-mail address")
		display := fs.String("display-name", "", "name shown in the UI")
		stdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *name == "" && fs.NArg() == 1 {
			*name = fs.Arg(0)
		}
		if *name == "" {
			return usageError{"user add: --name is required"}
		}
		password, generated, err := readPassword(env, *stdin)
		if err != nil {
			return err
		}
		accounts, closeDB, err := d.accounts(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		u, err := accounts.CreateUser(ctx, cliActor(), auth.NewUser{Name: *name, Password: password, Role: auth.Role(*role), Email: *email, DisplayName: *display})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created user %q with role %s\n", u.Name, u.Role)
		if generated {
			fmt.Fprintf(env.Stdout, "password: %s\n", password)
		}
		return nil
	case "passwd":
		stdin := fs.Bool("password-stdin", false, "read the new password from standard input instead of generating one")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError{"usage: sextant user passwd [--password-stdin] NAME"}
		}
		password, generated, err := readPassword(env, *stdin)
		if err != nil {
			return err
		}
		accounts, closeDB, err := d.accounts(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		if err := accounts.SetPassword(ctx, cliActor(), fs.Arg(0), password); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "password of %q changed; their sessions were ended\n", fs.Arg(0))
		if generated {
			fmt.Fprintf(env.Stdout, "password: %s\n", password)
		}
		return nil
	case "reset-2fa":
		// The break-glass for a user (often the only admin) who lost both
		// their phone and their recovery codes: whoever can run this on the
		// server's machine already holds its database.
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError{"usage: sextant user reset-2fa NAME"}
		}
		accounts, closeDB, err := d.accounts(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		if err := accounts.ResetTOTP(ctx, cliActor(), fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "two-factor sign-in of %q was reset; they sign in with their password alone until they set it up again\n", fs.Arg(0))
		return nil
	case "list":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		accounts, closeDB, err := d.accounts(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		users, _, err := accounts.ListUsers(ctx, store.Page{Limit: store.MaxLimit})
		if err != nil {
			return err
		}
		for _, u := range users {
			fmt.Fprintf(env.Stdout, "%-24s %-9s %s\n", u.Name, u.Role, u.Email)
		}
		return nil
	}
	return usageError{fmt.Sprintf("user: unknown subcommand %q (add, passwd, list, reset-2fa)", args[0])}
}

func readPassword(env Env, fromStdin bool) (password string, generated bool, err error) {
	if !fromStdin {
		return auth.GeneratePassword(), true, nil
	}
	b, err := io.ReadAll(io.LimitReader(env.Stdin, 4096))
	if err != nil {
		return "", false, err
	}
	return strings.TrimRight(string(b), "\r\n"), false, nil
}

func tokenCmd(args []string, env Env) error {
	if len(args) == 0 {
		return usageError{"usage: sextant token create|list|revoke [flags]"}
	}
	fs := newFlagSet("token "+args[0], env)
	var d dbFlags
	d.register(fs, env)
	ctx := context.Background()
	switch args[0] {
	case "create":
		name := fs.String("name", "", "token name (lower-case letters, digits, - and _)")
		role := fs.String("role", "viewer", "viewer, operator, admin or agent")
		location := fs.String("location", "", "for an agent token (required): the check location it runs; it gets only that location's checks")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *name == "" {
			return usageError{"token create: --name is required"}
		}
		accounts, closeDB, err := d.accounts(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		secret, t, err := accounts.IssueToken(ctx, cliActor(), auth.NewToken{Name: *name, Role: auth.Role(*role), Location: *location})
		if err != nil {
			return err
		}
		bound := ""
		if t.Location != "" {
			bound = " for location " + t.Location
		}
		fmt.Fprintf(env.Stderr, "created token %q with role %s%s; it is shown only now:\n", t.Name, t.Role, bound)
		// The token alone on the last line, so scripts can take it with tail -n1.
		fmt.Fprintln(env.Stdout, secret)
		return nil
	case "list":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		accounts, closeDB, err := d.accounts(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		tokens, err := accounts.ListTokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range tokens {
			state := "active"
			if !t.RevokedAt.IsZero() {
				state = "revoked"
			}
			loc := t.Location
			if loc == "" {
				loc = "-"
			}
			fmt.Fprintf(env.Stdout, "%-24s %-9s %-16s %-12s %s…\n", t.Name, t.Role, loc, state, t.Prefix)
		}
		return nil
	case "revoke":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError{"usage: sextant token revoke NAME"}
		}
		accounts, closeDB, err := d.accounts(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		if err := accounts.RevokeToken(ctx, cliActor(), fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "token %q revoked\n", fs.Arg(0))
		return nil
	}
	return usageError{fmt.Sprintf("token: unknown subcommand %q (create, list, revoke)", args[0])}
}

// agent reports its host's facts to the CMDB and, given a location, runs
// that remote location's checks.
func agent(args []string, env Env) error {
	fs := newFlagSet("agent", env)
	server := fs.String("server", env.Getenv("SEXTANT_SERVER"), "the Sextant server's URL (env SEXTANT_SERVER)")
	fs.StringVar(server, "url", *server, "the same as --server")
	host, _ := os.Hostname()
	name := fs.String("name", envOr(env, "SEXTANT_AGENT_NAME", strings.ToLower(host)), "the server item this host is reported as, by default its host name in lower case (env SEXTANT_AGENT_NAME)")
	interval := fs.Duration("interval", discovery.DefaultInterval, "how often the host's facts are reported")
	once := fs.Bool("once", false, "report the host's facts once, print what changed, and exit (no checks run)")
	facts := fs.Bool("facts", true, "report the host's facts (--facts=false: only run the location's checks)")
	token := fs.String("token", "", "an agent token bound to this location (sextant token create --role agent --location NAME); prefer env SEXTANT_AGENT_TOKEN, which stays out of the process list")
	location := fs.String("location", env.Getenv("SEXTANT_LOCATION"), "this agent's location name (env SEXTANT_LOCATION)")
	limit := fs.Int("concurrency", 1000, "checks run at once")
	logLevel := fs.String("log-level", envOr(env, "SEXTANT_LOG_LEVEL", "info"), "debug, info, warn or error")
	deny := fs.String("outbound-deny", env.Getenv("SEXTANT_OUTBOUND_DENY"), "addresses checks may not reach: CIDRs, addresses or sets ("+strings.Join(probe.RuleSets(), ", ")+"), comma-separated (env SEXTANT_OUTBOUND_DENY)")
	allow := fs.String("outbound-allow", env.Getenv("SEXTANT_OUTBOUND_ALLOW"), "if set, the only addresses checks may reach (after the denied ones), comma-separated (env SEXTANT_OUTBOUND_ALLOW)")
	publicOnly := fs.Bool("outbound-public-only", false, "checks may reach public addresses only (env SEXTANT_OUTBOUND_PUBLIC_ONLY=true)")
	if v := env.Getenv("SEXTANT_OUTBOUND_PUBLIC_ONLY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return usageError{fmt.Sprintf("agent: SEXTANT_OUTBOUND_PUBLIC_ONLY=%q: use true or false", v)}
		}
		*publicOnly = b
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" {
		*token = env.Getenv("SEXTANT_AGENT_TOKEN")
	}
	denyRules, err := ruleFlag("outbound-deny", *deny)
	if err != nil {
		return err
	}
	allowRules, err := ruleFlag("outbound-allow", *allow)
	if err != nil {
		return err
	}
	switch {
	case *server == "":
		return usageError{"agent: --server is required"}
	case *token == "":
		return usageError{"agent: a token is required (SEXTANT_AGENT_TOKEN or --token)"}
	case *location == monitor.LocationLocal:
		return usageError{"agent: \"local\" is the server's own location; name this agent's"}
	case *location == "" && !*facts:
		return usageError{"agent: nothing to do: give --location to run checks, or leave --facts on"}
	case *once && !*facts:
		return usageError{"agent: --once reports the facts, which --facts=false turns off"}
	case *interval < time.Second:
		return usageError{fmt.Sprintf("agent: --interval %s: at least 1s", *interval)}
	case *facts && !cmdb.ValidName(*name):
		return usageError{fmt.Sprintf("agent: --name %q: lower-case letters, digits, '-', '_' or '.' (the host name is used by default)", *name)}
	}
	log, err := newLogger(env.Stderr, *logLevel, "text")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reporter := &discovery.Reporter{Server: *server, Token: *token, Name: *name, Log: log, Host: discovery.Host{Toward: hostPort(*server)}}
	if *once {
		out, err := reporter.Report(ctx)
		if err != nil {
			return err
		}
		verb := "unchanged"
		switch {
		case out.Created:
			verb = "created"
		case len(out.Changed) > 0:
			verb = "updated (" + strings.Join(out.Changed, ", ") + ")"
		}
		fmt.Fprintf(env.Stdout, "server item %q %s\n", out.Item.Name, verb)
		return nil
	}
	if *location == "" {
		return reporter.Run(ctx, *interval)
	}
	outbound := probe.NewPolicy(denyRules, allowRules, *publicOnly)
	checks := &monitor.Agent{Server: *server, Token: *token, Location: *location, Limit: *limit, Log: log, Outbound: outbound}
	if !*facts {
		return checks.Run(ctx)
	}
	// Both until stopped; the first to fail for good stops the other.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- reporter.Run(ctx, *interval) }()
	go func() { errs <- checks.Run(ctx) }()
	first := <-errs
	cancel()
	return errors.Join(first, <-errs)
}

// hostPort is the server's host:port from its URL, for picking the
// address the host reaches it by ("" when the URL has none).
func hostPort(server string) string {
	u, err := url.Parse(server)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// ruleFlag reads a comma-separated list of outbound rules from the flag
// called name.
func ruleFlag(name, list string) ([]probe.Rule, error) {
	var rules []probe.Rule
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		r, err := probe.ParseRule(s)
		if err != nil {
			return nil, usageError{fmt.Sprintf("agent: --%s: %s", name, err)}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// healthCmd asks the server's readiness endpoint, for health checks of a
// container image without a shell or curl: exit 0 on 200, 1 otherwise.
func healthCmd(args []string, env Env) error {
	fs := newFlagSet("health", env)
	listen := envOr(env, "SEXTANT_LISTEN", "127.0.0.1:8080")
	if strings.HasPrefix(listen, ":") || strings.HasPrefix(listen, "0.0.0.0:") {
		listen = "127.0.0.1:" + listen[strings.LastIndex(listen, ":")+1:]
	}
	target := fs.String("url", "http://"+listen+"/readyz", "the endpoint to ask (default from SEXTANT_LISTEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"health takes no arguments"}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(*target)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", *target, resp.Status)
	}
	fmt.Fprintln(env.Stdout, "ok")
	return nil
}
