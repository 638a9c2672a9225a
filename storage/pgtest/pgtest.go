// Package pgtest is test support for PostgreSQL, as storagetest is for
// SQLite: it runs one throwaway PostgreSQL server per test binary, on
// 127.0.0.1, in a temporary directory, and gives each test a fresh, empty
// database. Nothing needs setting up beforehand and nothing shared is
// touched: the server is made by initdb for the binary and removed when the
// binary ends. It imports no project package.
//
// A test package declares one Server and stops it from TestMain:
//
//	var pg pgtest.Server
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		if err := pg.Close(); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//		}
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		dsn := pg.Database(t) // postgres://postgres@127.0.0.1:<port>/<fresh>?sslmode=disable
//		…
//	}
//
// A benchmark that compares the engines runs its two halves through
// CompareEngines, which reports PostgreSQL's figure as a ratio to SQLite's
// from the same run.
//
// The server starts with the first Database call, so a binary whose tests
// never ask for PostgreSQL never starts it. When no PostgreSQL is installed
// Database skips the test, naming the Debian package; any other problem
// fails it.
//
// The server is fast and unsafe by design (fsync, synchronous_commit and
// full_page_writes off) and trusts every connection from 127.0.0.1: a
// test's data, never anything else's. When running as root, initdb and
// postgres run as the "postgres" user through setpriv (PostgreSQL refuses
// to run as root); otherwise as the current user.
//
// A test binary that dies without Close (SIGKILL, a crash, a test timeout)
// leaves no server running: postgres is the binary's own child, started
// with a parent-death signal (SIGQUIT, PostgreSQL's immediate shutdown), so
// the kernel stops it with the binary. Its directory stays behind; the next
// Server to start removes the directories named sentinelle-pgtest-* whose
// owning binary is gone, first stopping a postgres still running in one.
package pgtest

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
)

// ErrNotInstalled is why Database skips: no PostgreSQL server binaries on
// this machine.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL is not installed (no initdb in PATH nor in /usr/lib/postgresql/*/bin); " +
	"on Debian: apt-get install --no-install-recommends postgresql-15")

// Server is one throwaway PostgreSQL server, started by the first Database
// call and stopped by Close. Its zero value is ready to use; it is safe for
// concurrent use by parallel tests. Declare one per test binary.
type Server struct {
	mu      sync.Mutex
	started bool
	err     error // why it could not start; every later Database fails with it
	proc    *process
	admin   *sql.DB           // the "postgres" database, where databases are created
	n       int               // databases created, for their names
	kept    map[string]string // Kept's databases by name: their DSNs
	glob    string            // where to look for initdb outside PATH; empty: debianInitdb

	// StartTime is how long the start took (initdb and postgres accepting
	// connections), for tests that report it.
	StartTime time.Duration
}

// Database returns the DSN of a new, empty database on the server, starting
// the server if needed; the database is dropped when t ends. It skips t
// when PostgreSQL is not installed and fails it on any other error.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	admin, port := s.running(t)
	name := s.nextName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE: a test that left connections open still gets its
		// database dropped.
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return dsn(port, strings.Trim(name, `"`))
}

// Kept returns the DSN of the database kept under name for the whole test
// binary: created empty by the first call for name, handed as it was left
// to every later one, gone with the server. It is for tests that empty
// it themselves, faster than creating a database (and filling its
// schema) for each: such tests share it, so they must not run in
// parallel. It skips t when PostgreSQL is not installed and fails it on
// any other error.
func (s *Server) Kept(t testing.TB, name string) string {
	t.Helper()
	admin, port := s.running(t)
	s.mu.Lock()
	u, ok := s.kept[name]
	s.mu.Unlock()
	if ok {
		return u
	}
	db := s.nextName("kept_" + name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatalf("pgtest: create database %s: %v", db, err)
	}
	u = dsn(port, strings.Trim(db, `"`))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kept == nil {
		s.kept = map[string]string{}
	}
	s.kept[name] = u
	return u
}

// RunTests is a test binary's TestMain body: it runs the tests, then
// stops the server; the exit code is the tests' own, or 1 when they passed
// but the server would not stop. Use: os.Exit(pg.RunTests(m)).
func (s *Server) RunTests(m *testing.M) int {
	code := m.Run()
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Open opens a pool of its own on dsn through database/sql's "pgx"
// driver, as another instance of the service would; it is closed when t
// ends.
func Open(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Empty empties every table of db's public schema but schema_migrations,
// restarting their sequences: a Kept database, migrated once, as a fresh
// one for the next test.
func Empty(t testing.TB, db *sql.DB) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), `DO $$ BEGIN
		EXECUTE (SELECT 'TRUNCATE ' || string_agg(quote_ident(tablename), ', ') || ' RESTART IDENTITY CASCADE'
			FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations');
		END $$`); err != nil {
		t.Fatalf("pgtest: empty the database: %v", err)
	}
}

// Close stops the server (fast shutdown: open sessions are ended) and
// removes its directory. A Server that never started has nothing to do.
// Database fails after Close.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started, s.err = true, errors.New("pgtest: Database called after Close")
	var errs []error
	if s.admin != nil {
		errs = append(errs, s.admin.Close())
		s.admin = nil
	}
	if s.proc != nil {
		errs = append(errs, s.proc.stop())
		s.proc = nil
	}
	return errors.Join(errs...)
}

// running starts the server once and returns its admin pool and port; it
// skips t when PostgreSQL is not installed and fails it on any other error.
func (s *Server) running(t testing.TB) (*sql.DB, int) {
	t.Helper()
	admin, port, err := s.start()
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return admin, port
}

// start starts the server once and returns its admin pool and port, or why
// it could not start.
func (s *Server) start() (*sql.DB, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.started = true
		began := time.Now()
		s.proc, s.admin, s.err = boot(cmp.Or(s.glob, debianInitdb))
		s.StartTime = time.Since(began)
	}
	if s.err != nil {
		return nil, 0, s.err
	}
	return s.admin, s.proc.port, nil
}

// nextName is a new database name, quoted: a counter, for uniqueness, and
// the test's name, for whoever looks at the server while a test runs.
func (s *Server) nextName(test string) string {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "t%d_", n)
	for _, r := range strings.ToLower(test) {
		if b.Len() >= 63 { // PostgreSQL's identifier limit
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return pgx.Identifier{b.String()}.Sanitize()
}

// boot makes and starts a server, with the initdb of PATH or of glob, and
// opens its admin pool.
func boot(glob string) (*process, *sql.DB, error) {
	bin, err := findBinDir(glob)
	if err != nil {
		return nil, nil, err
	}
	p, err := startProcess(bin)
	if err != nil {
		return nil, nil, err
	}
	admin, err := sql.Open("pgx", dsn(p.port, "postgres"))
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("pgtest: open admin pool: %w", err), p.stop())
	}
	return p, admin, nil
}

// dsn is the URL of database name on the server at port.
func dsn(port int, name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, name)
}
