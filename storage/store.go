// Package storage keeps everything Sentinelle must not forget in one SQLite
// file: subscribers, the judged state of each service, check results,
// incidents and the outbox of messages to send.
//
// It opens the file twice: a single writer connection whose transactions
// start with BEGIN IMMEDIATE and commit with synchronous=FULL, so a queued
// message survives a power cut, and a small read-only pool so that the status
// page never waits behind a fan-out. It imports no other project package but
// the shared vocabulary (package status), whose values it stores as they are.
//
// PostgreSQL (OpenPostgres) runs beside SQLite, for more than one instance
// sharing one database. Each statement is written once and said for the
// engine in dialect.go; the conformance suite (engines in the tests) runs
// the package's tests on both engines. SQLite-only: backups (VACUUM INTO;
// pg_dump for PostgreSQL, outside the service), the file's places, modes
// and pragmas, and the query-plan tests and benchmarks.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver "sqlite3"
)

// ErrNotFound is returned when the row asked for does not exist.
var ErrNotFound = errors.New("storage: not found")

// ErrSchemaTooNew is returned by Open when the database was written by a
// newer Sentinelle: running an older binary on it could corrupt it.
var ErrSchemaTooNew = errors.New("storage: database schema is newer than this program")

// Store is the one door to the database. Its exported methods each run in
// their own transaction; it is safe for concurrent use.
type Store struct {
	w      *sql.DB // SQLite: one connection, BEGIN IMMEDIATE, the only writer; PostgreSQL: the pool
	r      *dbPool // SQLite: a read-only pool; PostgreSQL: the same pool as w
	engine Engine
	path   string // the SQLite file; "" on PostgreSQL
	now    func() time.Time
}

// Open opens (creating if needed) the database at path, checks that every
// pragma is what the store's guarantees rely on, and applies the embedded
// migrations. now is the clock used for timestamps the store writes itself.
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if path == "" {
		return nil, errors.New("storage: empty database path")
	}
	if now == nil {
		now = time.Now
	}
	if err := checkPlace(path); err != nil {
		return nil, err
	}
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("storage: open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := &Store{w: w, path: path, now: now}
	if err := s.checkPragmas(ctx, w, true); err != nil {
		w.Close()
		return nil, explainOpenError(path, err)
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("storage: open reader: %w", err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s.r = &dbPool{DB: r, engine: SQLite}
	if err := s.checkPragmas(ctx, r, false); err != nil {
		s.Close()
		return nil, explainOpenError(path, err)
	}
	return s, nil
}

// dsn builds the connection string. Parameter order matters to go-sqlite3:
// _journal_mode=WAL sets synchronous=NORMAL, so _synchronous=FULL comes after.
// The writer keeps its prepared statements (_stmt_cache_size): re-preparing
// each statement made a batch of 100 bot updates three times slower.
// _secure_delete overwrites what is deleted (a chat after /oublier, a
// teacher's name) instead of leaving it in the file's free space.
func dsn(path string, writer bool) string {
	v := url.Values{}
	v.Set("_busy_timeout", "5000")
	v.Set("_foreign_keys", "on")
	v.Set("_secure_delete", "on")
	if writer {
		return "file:" + escapePath(path) + "?_journal_mode=WAL&_synchronous=FULL&" + v.Encode() + "&_txlock=immediate&_stmt_cache_size=64"
	}
	return "file:" + escapePath(path) + "?" + v.Encode() + "&_query_only=1"
}

// escapePath keeps a file name with '?' or '#' from being read as DSN options.
func escapePath(path string) string {
	u := url.URL{Path: path}
	return u.EscapedPath()
}

// checkPlace gives a clear error when the database cannot live at path,
// rather than SQLite's terse "unable to open database file".
func checkPlace(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("storage: directory %q of DATABASE_PATH does not exist: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("storage: %q is not a directory", dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("storage: %q is a directory, not a database file", path)
	}
	probe, err := os.CreateTemp(dir, ".sentinelle-write-test-*")
	if err != nil {
		return fmt.Errorf("storage: directory %q is not writable (SQLite needs it for its journal): %w", dir, err)
	}
	name := probe.Name()
	probe.Close()
	os.Remove(name)
	return nil
}

// ownerOnly creates the database file readable and writable by its owner
// only, before SQLite would create it with the umask's mode; SQLite gives
// the -wal and -shm files it creates the main file's mode. A database, WAL
// or shared memory left with a looser mode (an older Sentinelle, a copy)
// is restricted: they hold chat ids.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("storage: create %q: %w", path, err)
	}
	f.Close()
	for _, name := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(name, perm&^0o077); err != nil {
				return fmt.Errorf("storage: %q is open to other users (mode %v) and cannot be restricted to its owner: %w", name, perm, err)
			}
		}
	}
	return nil
}

func explainOpenError(path string, err error) error {
	if strings.Contains(err.Error(), "is not a database") {
		return fmt.Errorf("storage: %q is not a SQLite database (wrong DATABASE_PATH?): %w", path, err)
	}
	return fmt.Errorf("storage: open %q: %w", path, err)
}

// checkPragmas reads back the settings the store's promises depend on and
// refuses to go on when the driver did not apply one of them.
func (s *Store) checkPragmas(ctx context.Context, db *sql.DB, writer bool) error {
	want := map[string]string{
		"journal_mode":  "wal",
		"foreign_keys":  "1",
		"busy_timeout":  "5000",
		"secure_delete": "1",
	}
	if writer {
		want["synchronous"] = "2" // FULL
		want["query_only"] = "0"
	} else {
		want["query_only"] = "1"
	}
	for name, w := range want {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil {
			return fmt.Errorf("read pragma %s: %w", name, err)
		}
		if got != w {
			return fmt.Errorf("pragma %s is %q, want %q", name, got, w)
		}
	}
	return nil
}

// Close closes both pools. It checkpoints the WAL first so the file is
// self-contained when the service is stopped.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil && s.engine == SQLite {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil && s.engine == PostgreSQL {
		errs = append(errs, s.w.Close())
	} else if s.w != nil {
		_, _ = s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		_, _ = s.w.Exec("PRAGMA optimize")
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// Now is the store's clock, in milliseconds since the epoch, UTC.
func (s *Store) nowMS() int64 { return s.now().UnixMilli() }

// write runs fn in one write transaction, the only one running: on
// SQLite an immediate transaction on the one writer connection, on
// PostgreSQL a transaction that first takes the writers' advisory lock
// (see OpenPostgres). Only exported Store methods call it; fn must not
// call exported methods.
func (s *Store) write(ctx context.Context, fn func(tx *dbTx) error) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	tx := &dbTx{Tx: sqlTx, engine: s.engine}
	if s.engine == PostgreSQL {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('idle_in_transaction_session_timeout', ?, true), pg_advisory_xact_lock(?)`,
			postgresIdleInTransaction, postgresWriteLock); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("storage: begin: take the writers' lock: %w", err)
		}
	}
	defer func() {
		// A panic in fn must not leave the one writer connection inside
		// its transaction: whoever recovers it can write again.
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return nil
}

// Ping tells whether the database is writable now: /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	return s.write(ctx, func(tx *dbTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value, updated_at) VALUES ('ping', '', ?)
			ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at`, s.nowMS())
		return err
	})
}

// ms converts a time to the stored form; the zero time is stored as 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
