package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sentinelle/storage"
)

// TestBackupCommand copies a database, refuses to overwrite the copy, and
// reports a bad command line or a missing database.
func TestBackupCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "sentinelle.db")
	st, err := storage.Open(ctx, dbPath, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetMeta(ctx, "marker", "6 avril"); err != nil {
		t.Fatal(err)
	}
	defer st.Close() // the service keeps running during the backup
	env := envOf(map[string]string{"DATABASE_PATH": dbPath})
	target := filepath.Join(dir, "backup.db")

	tests := []struct {
		name     string
		args     []string
		env      func(string) (string, bool)
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"backup", []string{"backup", target}, env, 0, "Sauvegarde de " + dbPath + " écrite dans " + target, ""},
		{"again", []string{"backup", target}, env, 1, "", "existe déjà"},
		{"no file", []string{"backup"}, env, 2, "", "backup attend un argument"},
		{"two files", []string{"backup", "a", "b"}, env, 2, "", "backup attend un argument"},
		{"flag", []string{"backup", "--force"}, env, 2, "", "option inconnue : --force"},
		{"no database", []string{"backup", filepath.Join(dir, "other.db")},
			envOf(map[string]string{"DATABASE_PATH": filepath.Join(dir, "missing.db")}), 1, "", "pas de base de données"},
		{"postgresql", []string{"backup", filepath.Join(dir, "pg.db")},
			envOf(map[string]string{"DATABASE_PATH": dbPath, "DATABASE_URL": "postgres://u:s3cr3t@127.0.0.1:1/s"}), 2, "",
			"avec PostgreSQL (DATABASE_URL), sauvegardez avec pg_dump"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(ctx, append([]string{"sentinelle"}, tt.args...), tt.env, &out, &errb)
			if code != tt.wantCode || !strings.Contains(out.String(), tt.wantOut) || !strings.Contains(errb.String(), tt.wantErr) {
				t.Fatalf("exit %d stdout %q stderr %q; want %d, %q, %q", code, out.String(), errb.String(), tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}

	cp, err := storage.Open(ctx, target, time.Now)
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	defer cp.Close()
	if v, err := cp.Meta(ctx, "marker"); err != nil || v != "6 avril" {
		t.Errorf("backup marker = %q, %v; want 6 avril", v, err)
	}
}
