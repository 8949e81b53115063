package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/importer"
	"github.com/sextant-ops/sextant/internal/importer/gatus"
	"github.com/sextant-ops/sextant/internal/importer/kuma"
	"github.com/sextant-ops/sextant/internal/importer/openslo"
)

// importers are the formats `sextant import` reads.
var importers = map[string]struct {
	title string
	read  func(path string) (*importer.Result, error)
}{
	"gatus":       {"Gatus", gatus.ImportPath},
	"uptime-kuma": {"Uptime Kuma", kuma.ImportPath},
	"openslo":     {"OpenSLO", openslo.ImportPath},
}

// importCmd writes a Sextant config from another tool's and, with --apply,
// creates its services and checks on a running server.
func importCmd(args []string, env Env) error {
	if len(args) == 0 || importers[args[0]].read == nil {
		return usageError{"import: say which format: sextant import gatus|uptime-kuma|openslo PATH [--out FILE] [--apply --server URL]"}
	}
	format := importers[args[0]]
	fs := flag.NewFlagSet("import "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("out", "", "write the Sextant config to FILE (default: standard output)")
	apply := fs.Bool("apply", false, "also create the services and checks on the server at --server")
	server := fs.String("server", env.Getenv("SEXTANT_SERVER"), "the server to apply to, e.g. http://localhost:8080 (env SEXTANT_SERVER)")
	token := fs.String("token", "", "an operator API token (default: env SEXTANT_TOKEN)")
	if err := fs.Parse(flagsFirst(fs, args[1:])); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Sprintf("import %s: give one PATH to read", args[0])}
	}
	res, err := format.read(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	doc, err := res.Config.YAML(fmt.Sprintf("Imported from %s (%s) by sextant import on %s.\nReview the services' objectives: the source had none.",
		format.title, fs.Arg(0), time.Now().UTC().Format("2006-01-02")))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	// What is written must be a config the server accepts; ${VAR}
	// references are resolved when the server reads the file, so any value
	// stands in for them here.
	if _, err := config.Parse(doc, func(name string) (string, bool) {
		if strings.HasSuffix(name, "URL") {
			return "https://placeholder.invalid/", true
		}
		return "placeholder-secret-0123456789", true
	}); err != nil {
		return fmt.Errorf("import: the config made is not valid (please report this):\n%w", err)
	}
	if *out == "" {
		if _, err := env.Stdout.Write(doc); err != nil {
			return err
		}
	} else if err := os.WriteFile(*out, doc, 0o600); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprint(env.Stderr, res.Report())
	if vars := envRefs(doc); len(vars) > 0 {
		fmt.Fprintf(env.Stderr, "the config reads these environment variables; set them where the server runs: %s\n", strings.Join(vars, ", "))
	}
	if *out != "" {
		fmt.Fprintf(env.Stderr, "wrote %s; check it with: sextant check %s\n", *out, *out)
	}
	if !*apply {
		return nil
	}
	if *token == "" {
		*token = env.Getenv("SEXTANT_TOKEN")
	}
	if *server == "" || *token == "" {
		return usageError{"import: --apply needs --server URL and an operator token (--token or SEXTANT_TOKEN)"}
	}
	return applyImport(context.Background(), env, strings.TrimRight(*server, "/"), *token, res.Config)
}

// applyImport creates (or replaces) each service, then each check, through
// the API. Channels and escalation policies live in the config file only,
// so they are left to the file written above.
func applyImport(ctx context.Context, env Env, server, token string, cfg importer.Config) error {
	client := &http.Client{Timeout: 30 * time.Second}
	send := func(method, path string, body any) (int, string, error) {
		b, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, method, server+path, bytes.NewReader(b))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, string(msg), nil
	}
	put := func(kind, collection, name string, v any) error {
		code, msg, err := send("POST", collection, v)
		if err == nil && code == http.StatusConflict {
			code, msg, err = send("PUT", collection+"/"+url.PathEscape(name), v)
		}
		if err != nil {
			return fmt.Errorf("import: apply %s %s: %w", kind, name, err)
		}
		if code >= 300 {
			return fmt.Errorf("import: apply %s %s: %d %s", kind, name, code, strings.TrimSpace(msg))
		}
		fmt.Fprintf(env.Stderr, "applied %s %s\n", kind, name)
		return nil
	}
	for _, s := range cfg.Services {
		if err := put("service", "/api/v1/services", s.Name, s); err != nil {
			return err
		}
	}
	for _, c := range cfg.Checks {
		if c.Escalation != "" {
			// The policy is in the written file, not yet on the server.
			c.Escalation = ""
		}
		if err := put("check", "/api/v1/checks", c.Name, c); err != nil {
			return err
		}
	}
	if len(cfg.Channels)+len(cfg.EscalationPolicies) > 0 {
		fmt.Fprintf(env.Stderr, "not applied: %d channels and %d escalation policies — they are declared in the config file only; add them to the server's file and reload\n",
			len(cfg.Channels), len(cfg.EscalationPolicies))
	}
	return nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

// envRefs lists the ${VAR} references in a config, sorted and once each.
func envRefs(doc []byte) []string {
	var out []string
	for _, m := range envRef.FindAllSubmatch(doc, -1) {
		if v := string(m[1]); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// flagsFirst moves flags before the positional arguments, so that
// "import gatus PATH --out FILE" reads as users write it.
func flagsFirst(fs *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(flags, rest...)
}
