package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sentinelle/internal/logtest"
)

// TestWarnIgnoredPath: with DATABASE_URL, a DATABASE_PATH that names a
// file (a SQLite database left behind, the quick start's at the default
// path too) is said to be ignored, once, naming the path; not when there
// is no such file (the image and the unit set DATABASE_PATH everywhere),
// nor on SQLite.
func TestWarnIgnoredPath(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "sentinelle.db")
	if err := os.WriteFile(old, []byte("SQLite format 3\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // the default path, sentinelle.db, names a file too
	const pgURL = "postgres://sentinelle@db/sentinelle"
	tests := []struct {
		name     string
		cfg      Config
		wantWarn bool
	}{
		{"database left behind", Config{DatabaseURL: pgURL, DatabasePath: old}, true},
		{"no file there", Config{DatabaseURL: pgURL, DatabasePath: filepath.Join(dir, "absent.db")}, false},
		{"a directory", Config{DatabaseURL: pgURL, DatabasePath: dir}, false},
		{"default path", Config{DatabaseURL: pgURL, DatabasePath: defaults["DATABASE_PATH"]}, true},
		{"SQLite", Config{DatabasePath: old}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf logtest.Buffer
			warnIgnoredPath(slog.New(slog.NewTextHandler(&buf, nil)), tt.cfg)
			got := buf.String()
			if !tt.wantWarn {
				if got != "" {
					t.Fatalf("logged %q, want nothing", got)
				}
				return
			}
			if strings.Count(got, "\n") != 1 || !strings.Contains(got, "level=WARN") ||
				!strings.Contains(got, "DATABASE_PATH is ignored") || !strings.Contains(got, "path="+tt.cfg.DatabasePath) {
				t.Fatalf("logged %q, want one warning that DATABASE_PATH (path=%s) is ignored", got, tt.cfg.DatabasePath)
			}
		})
	}
}

// TestServeWarnsIgnoredPath: the service started on PostgreSQL with a
// SQLite database left at DATABASE_PATH logs the warning, and leaves that
// file as it was.
func TestServeWarnsIgnoredPath(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	content := []byte("SQLite format 3\x00")
	if err := os.WriteFile(old, content, 0o600); err != nil {
		t.Fatal(err)
	}
	_, cancel, done, logs := startService(t, map[string]string{
		"DATABASE_URL": pg.Database(t), "DATABASE_PATH": old, "HTTP_ADDR": "127.0.0.1:0",
		"CATALOG_FILE":   writeAlphaCatalog(t, dir, newSwitchableENT(t).srv.URL),
		"CHECK_SCHEDULE": "@every 1h", "CANARY_URLS": "", "QUIET_HOURS": "",
	})
	defer cancel()
	stopService(t, cancel, done, 20*time.Second, logs)
	if got := strings.Count(logs.String(), "DATABASE_PATH is ignored"); got != 1 {
		t.Errorf("%d warnings that DATABASE_PATH is ignored, want 1:\n%s", got, logs)
	}
	if b, err := os.ReadFile(old); err != nil || string(b) != string(content) {
		t.Errorf("%s changed: %q, %v", old, b, err)
	}
}
