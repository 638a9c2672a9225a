package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrBackupExists is returned by BackupFile when the target file exists: a
// backup never overwrites anything, least of all yesterday's backup.
var ErrBackupExists = errors.New("storage: backup target already exists")

// BackupFile writes a consistent copy of the database file at dbPath to
// path, while the service runs on it. The copy is made with VACUUM INTO on
// a connection of its own, so it is one snapshot of the database and the
// checker and the dispatcher go on writing meanwhile. It is written to a
// hidden temporary file beside path, synced, checked with PRAGMA
// quick_check, and only then linked to path, which must not exist
// (ErrBackupExists): an interrupted backup never leaves a truncated file
// under the expected name. The file is readable by its owner only, since
// it holds the subscribers' chat ids.
//
// It does not open the database as a Store: opening would apply this
// binary's migrations, and `sentinelle backup` run with a new binary before
// an upgrade must not change the schema under the old service running on
// it.
func BackupFile(ctx context.Context, dbPath, path string) error {
	if path == "" {
		return errors.New("storage: backup: empty path")
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%w: %s", ErrBackupExists, path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: backup: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return fmt.Errorf("storage: backup: create a file in %s: %w", dir, err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName)

	if err := vacuumInto(ctx, dbPath, tmpName); err != nil {
		return fmt.Errorf("storage: backup: vacuum into: %w", err)
	}
	if err := syncFile(tmpName); err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	if err := quickCheck(ctx, tmpName); err != nil {
		return fmt.Errorf("storage: backup: the copy is damaged: %w", err)
	}
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrBackupExists, path)
		}
		return fmt.Errorf("storage: backup: %w", err)
	}
	if err := syncFile(dir); err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	return nil
}

// vacuumInto copies the database into an empty file. It uses a connection
// of its own: a Store's read pool is query_only, which forbids VACUUM INTO,
// and its writer must stay free for the checker. In WAL mode this
// connection reads one snapshot without blocking the writer. mode=rw: a
// mistyped DATABASE_PATH must fail, not create an empty database to copy.
func vacuumInto(ctx context.Context, dbPath, target string) error {
	db, err := sql.Open("sqlite3", "file:"+escapePath(dbPath)+"?mode=rw&_busy_timeout=5000")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, target)
	return err
}

// syncFile flushes a file, or a directory's entries, to the disk.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// quickCheck opens a database file read-only and runs SQLite's quick
// integrity check on it.
func quickCheck(ctx context.Context, name string) error {
	db, err := sql.Open("sqlite3", "file:"+escapePath(name)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&result); err != nil {
		return err
	}
	if result != "ok" {
		return errors.New(result)
	}
	return nil
}
