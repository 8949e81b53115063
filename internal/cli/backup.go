package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store"
)

// onPostgres is what backup and restore say on PostgreSQL, where the
// database's own tools are the right ones.
const onPostgres = `sextant %s works on the embedded SQLite database; this deployment uses PostgreSQL, whose own tools do it:
  back up:  pg_dump --format=custom --file=sextant.dump "$SEXTANT_DATABASE"
  restore:  pg_restore --clean --if-exists --no-owner --dbname="$SEXTANT_DATABASE" sextant.dump
pg_dump takes a consistent snapshot while the servers run; stop them before pg_restore, and start them after (they migrate at start).`

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// backupCmd copies the SQLite database to a new file, consistently, while
// the server may be running.
func backupCmd(args []string, env Env) error {
	fs := newFlagSet("backup", env)
	var d dbFlags
	d.register(fs, env)
	to := fs.String("to", "", "the file to write the backup to (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if isPostgres(d.database) {
		return fmt.Errorf(onPostgres, "backup")
	}
	if *to == "" {
		return usageError{"backup: --to FILE is required"}
	}
	ctx := context.Background()
	if !fileExists(filepath.Join(d.data, store.DatabaseFile)) && d.database == "" {
		return fmt.Errorf("backup: no database in %s (give --data DIR, or set SEXTANT_DATA)", d.data)
	}
	// The database is opened as it is, without migrating: a backup copies
	// what the running server has.
	db, err := store.Open(ctx, d.database, d.data, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, *to); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s\n", filepath.Join(d.data, store.DatabaseFile), *to)
	return nil
}

// restoreCmd puts a backup into an empty data directory.
func restoreCmd(args []string, env Env) error {
	fs := newFlagSet("restore", env)
	var d dbFlags
	d.register(fs, env)
	from := fs.String("from", "", "the backup file to restore")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if isPostgres(d.database) {
		return fmt.Errorf(onPostgres, "restore")
	}
	if d.database != "" {
		return usageError{"restore: --database is for PostgreSQL; restore into a data directory with --data DIR"}
	}
	if *from == "" {
		return usageError{"restore: --from FILE is required"}
	}
	n, err := store.Restore(context.Background(), *from, d.data, auth.KeyFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %s into %s (%d migrations applied in the backup; any newer ones are applied when the server starts)\n", *from, d.data, n)
	if !fileExists(filepath.Join(d.data, auth.KeyFile)) {
		fmt.Fprintf(env.Stdout, "copy %s from the old data directory into %s before starting, or two-factor sign-in must be set up again\n", auth.KeyFile, d.data)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
