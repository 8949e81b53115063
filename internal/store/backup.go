package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"modernc.org/sqlite"
)

// ErrNotSQLite is returned by Backup on PostgreSQL, whose own tools do it
// better.
var ErrNotSQLite = errors.New("backup and restore work on the embedded SQLite database; on PostgreSQL use pg_dump and pg_restore")

// DatabaseFile is the SQLite database's name inside a data directory.
const DatabaseFile = "sextant.db"

// Backup writes a consistent copy of the SQLite database to path, which
// must not exist, while the server may go on writing: VACUUM INTO reads
// one snapshot (a read transaction in WAL mode holds back no writer), so
// the copy holds every transaction committed before it began and none of
// those after. The copy is written beside path and renamed into place
// once whole, so a copy cut short leaves no file that looks complete.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.engine != SQLite {
		return ErrNotSQLite
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: backup: %s already exists; give a new file", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: backup: %w", err)
	}
	tmp := path + ".partial"
	_ = os.Remove(tmp)
	if _, err := db.read.ExecContext(ctx, `VACUUM INTO $1`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: backup: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// Restore puts the backup at from into dataDir, which must be empty or
// missing, or hold only files named in allowed (the key that seals
// secrets, copied there from the old directory): restoring over a live
// database would lose what it holds. The
// backup must pass SQLite's integrity check and hold only migrations this
// binary knows (a backup from a newer Sextant is refused); migrations it
// lacks are applied when the server starts.
func Restore(ctx context.Context, from, dataDir string, allowed ...string) (versions int, err error) {
	entries, err := os.ReadDir(dataDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("store: restore: %w", err)
	}
	for _, e := range entries {
		if !slices.Contains(allowed, e.Name()) {
			return 0, fmt.Errorf("store: restore: data directory %s is not empty (it holds %s); restore into an empty one (nothing was changed)", dataDir, e.Name())
		}
	}
	if versions, err = checkBackup(ctx, from); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return 0, fmt.Errorf("store: restore: %w", err)
	}
	dst := filepath.Join(dataDir, DatabaseFile)
	if err := copyFile(from, dst+".partial"); err != nil {
		os.Remove(dst + ".partial")
		return 0, err
	}
	if err := os.Rename(dst+".partial", dst); err != nil {
		return 0, fmt.Errorf("store: restore: %w", err)
	}
	return versions, syncDir(dataDir)
}

// checkBackup opens a backup read-only and judges it: integrity_check
// says ok, and its applied migrations are all known here.
func checkBackup(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("store: restore: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, fmt.Errorf("store: restore: %w", err)
	}
	defer db.Close()
	var verdict string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&verdict); err != nil {
		return 0, fmt.Errorf("store: restore: %s is not a readable SQLite database: %w", path, sqliteReason(err))
	}
	if verdict != "ok" {
		return 0, fmt.Errorf("store: restore: %s fails SQLite's integrity check: %s", path, verdict)
	}
	rows, err := db.QueryContext(ctx, `SELECT version_id FROM goose_db_version WHERE is_applied AND version_id > 0`)
	if err != nil {
		return 0, fmt.Errorf("store: restore: %s is not a Sextant database (no migration history): %w", path, sqliteReason(err))
	}
	defer rows.Close()
	known, err := knownVersions()
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return 0, err
		}
		if !known[v] {
			return 0, fmt.Errorf("store: restore: %s holds migration %05d, which this Sextant does not know: it comes from a newer version; restore it with that one", path, v)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("store: restore: %s is not a Sextant database (no migration applied)", path)
	}
	return n, nil
}

func sqliteReason(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return errors.New(sqlite.ErrorCodeString[se.Code()])
	}
	return err
}

// knownVersions are the migration numbers embedded for SQLite.
func knownVersions() (map[int64]bool, error) {
	entries, err := fs.ReadDir(migrations, "migrations/sqlite")
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if v, err := strconv.ParseInt(num, 10, 64); ok && err == nil {
			out[v] = true
		}
	}
	return out, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("store: restore: %w", err)
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil // some systems cannot open a directory; the rename stands
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}
