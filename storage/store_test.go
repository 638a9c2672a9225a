package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// openTest opens a fresh store in a temporary directory.
func openTest(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "test.db"))
}

// openAt opens the store of the file at path, on the fixed clock, and
// closes it when the test ends; a test that reopens the file closes it
// first (closing twice is harmless).
func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, fixedNow)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fixedNow() time.Time { return time.Date(2021, 4, 6, 7, 30, 0, 0, time.UTC) }

func TestOpenFreshAppliesEveryMigration(t *testing.T) {
	s := openTest(t)
	got, err := appliedMigrations(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != schemaVersion() || schemaVersion() == 0 {
		t.Fatalf("applied %v, want 1..%d", got, schemaVersion())
	}
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("applied %v, want consecutive versions from 1", got)
		}
	}
}

func TestOpenTwiceIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "twice.db")
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		s, err := Open(ctx, path, fixedNow)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		if err := s.SetMeta(ctx, "k", "v"); err != nil {
			t.Fatalf("write #%d: %v", i+1, err)
		}
		got, err := appliedMigrations(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != schemaVersion() {
			t.Fatalf("open #%d: %d migrations recorded, want %d", i+1, len(got), schemaVersion())
		}
		if err := s.Close(); err != nil {
			t.Fatalf("close #%d: %v", i+1, err)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	ctx := context.Background()
	s := openAt(t, path)
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 0)`, schemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(ctx, path, fixedNow)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open on a newer schema: got %v, want ErrSchemaTooNew", err)
	}
}

func TestOpenExplainsBadPlaces(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("this is not sqlite\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	aFile := filepath.Join(dir, "file")
	if err := os.WriteFile(aFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"not a database", notDB, "is not a SQLite database"},
		{"missing directory", filepath.Join(dir, "nope", "x.db"), "does not exist"},
		{"parent is a file", filepath.Join(aFile, "x.db"), "not a directory"},
		{"path is a directory", dir, "is a directory"},
		{"empty path", "", "empty database path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.path, fixedNow)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error containing %q", tt.path, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open(%q) = %v, want it to contain %q", tt.path, err, tt.want)
			}
		})
	}
}

func TestPragmasAsPromised(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.checkPragmas(ctx, s.w, true); err != nil {
		t.Fatalf("writer: %v", err)
	}
	if err := s.checkPragmas(ctx, s.r.DB, false); err != nil {
		t.Fatalf("reader: %v", err)
	}
	if _, err := s.r.ExecContext(ctx, `INSERT INTO meta (key, value, updated_at) VALUES ('x', 'y', 0)`); err == nil {
		t.Fatal("the read pool accepted a write")
	}
}

func TestDSNWithOddFileName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd?name#x.db")
	s, err := Open(context.Background(), path, fixedNow)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at the literal path: %v", err)
	}
}

func TestMetaRoundTrip(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.Meta(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Meta(missing) = %v, want ErrNotFound", err)
		}
		for _, v := range []string{"1", "42"} {
			if err := s.SetMeta(ctx, "offset", v); err != nil {
				t.Fatal(err)
			}
			got, err := s.Meta(ctx, "offset")
			if err != nil || got != v {
				t.Fatalf("Meta(offset) = %q, %v; want %q", got, err, v)
			}
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// TestDatabaseFilesOwnerOnly: the database holds chat ids, so it, its WAL,
// its shared memory and its backups are readable by their owner only,
// whatever the umask (0022 outside the systemd unit), and an existing
// database with a looser mode is restricted when opened.
func TestDatabaseFilesOwnerOnly(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022))
	dir := t.TempDir()
	loose := filepath.Join(dir, "loose.db")
	for _, name := range []string{loose, loose + "-wal", loose + "-shm"} {
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{filepath.Join(dir, "fresh.db"), loose} {
		s, err := Open(context.Background(), path, fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetMeta(context.Background(), "k", "v"); err != nil {
			t.Fatal(err)
		}
		backup := path + ".backup"
		if err := BackupFile(context.Background(), s.path, backup); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{path, path + "-wal", path + "-shm", backup} {
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("%s: mode %v, want -rw-------", filepath.Base(name), got)
			}
		}
		s.Close()
	}
}

// TestSecureDelete: what is deleted (a chat after /oublier, a teacher's
// name in a reply) is overwritten in the file, not left in free space
// where a copy of the disk or of the file would still show it.
func TestSecureDelete(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "erase.db")
	s := openAt(t, path)
	for name, db := range map[string]*sql.DB{"writer": s.w, "reader": s.r.DB} {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&got); err != nil || got != "1" {
			t.Errorf("%s: secure_delete = %q, %v; want 1", name, got, err)
		}
	}
	secret := "Mme Dupont, professeure de la 6e B du collège Jean Moulin"
	if err := s.SetMeta(ctx, "secret", secret); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM meta WHERE key = 'secret'`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // checkpoints: the file holds everything
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(secret)) {
		t.Error("the deleted text is still in the database file")
	}
	plain, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := s.checkPragmas(ctx, plain, true); err == nil || !strings.Contains(err.Error(), "secure_delete") {
		t.Errorf("a connection without secure_delete passed the check: %v", err)
	}
}

// TestWriteSurvivesAPanic: a panic inside a write transaction rolls it back,
// so that the single writer connection serves the next write.
func TestWriteSurvivesAPanic(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the panic did not reach the caller")
				}
			}()
			_ = s.write(ctx, func(tx *dbTx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value, updated_at) VALUES ('x', 'half', 0)`); err != nil {
					t.Fatal(err)
				}
				panic("boom")
			})
		}()
		done := make(chan error, 1)
		go func() { done <- s.SetMeta(ctx, "y", "after") }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the writer is still held by the panicked transaction")
		}
		if v, err := s.Meta(ctx, "x"); err == nil {
			t.Fatalf("the panicked transaction was committed: x = %q", v)
		}
	})
}
