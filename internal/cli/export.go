package cli

import (
	"flag"
	"fmt"
	"os"

	"github.com/sextant-ops/sextant/internal/config"
	"github.com/sextant-ops/sextant/internal/importer/openslo"
)

// exportCmd writes the catalog's objectives in another tool's format.
func exportCmd(args []string, env Env) error {
	if len(args) == 0 || args[0] != "openslo" {
		return usageError{"export: say which format: sextant export openslo --config FILE [--out FILE]"}
	}
	fs := flag.NewFlagSet("export openslo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgPath := fs.String("config", env.Getenv("SEXTANT_CONFIG"), "the Sextant config file whose services to export (env SEXTANT_CONFIG)")
	out := fs.String("out", "", "write to FILE (default: standard output)")
	if err := fs.Parse(flagsFirst(fs, args[1:])); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageError{"export openslo: --config FILE is required"}
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	doc, err := openslo.Export(cfg.Catalog.Services)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if *out == "" {
		_, err = env.Stdout.Write(doc)
		return err
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(env.Stderr, "wrote %s\n", *out)
	return nil
}
