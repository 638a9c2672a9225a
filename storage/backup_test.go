package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBackupWhileWriting copies the database while another goroutine keeps
// writing, and checks that the copy opens and holds a consistent state.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openAt(t, filepath.Join(dir, "live.db"))
	for i := range 50 {
		if err := st.SetMeta(ctx, fmt.Sprintf("k%03d", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := st.SetMeta(ctx, fmt.Sprintf("w%05d", i), "during"); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	target := filepath.Join(dir, "backup.db")
	err := BackupFile(ctx, st.path, target)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}

	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("backup mode %v, want readable by its owner only", perm)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".partial-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	copyDB, err := Open(ctx, target, time.Now)
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	defer copyDB.Close()
	for i := range 50 {
		if v, err := copyDB.Meta(ctx, fmt.Sprintf("k%03d", i)); err != nil || v != "v" {
			t.Fatalf("backup meta k%03d = %q, %v; want v", i, v, err)
		}
	}
}

// TestBackupRefusesToOverwrite leaves an existing file untouched.
func TestBackupRefusesToOverwrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openAt(t, filepath.Join(dir, "live.db"))
	target := filepath.Join(dir, "yesterday.db")
	if err := os.WriteFile(target, []byte("yesterday's backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := BackupFile(ctx, st.path, target)
	if !errors.Is(err, ErrBackupExists) {
		t.Errorf("Backup over a file: %v, want ErrBackupExists", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "yesterday's backup" {
		t.Errorf("existing file changed to %q", b)
	}
	tests := map[string]string{
		"empty path":     "",
		"missing folder": filepath.Join(dir, "nope", "b.db"),
	}
	if err := BackupFile(ctx, filepath.Join(dir, "typo.db"), filepath.Join(dir, "b.db")); err == nil {
		t.Error("BackupFile of a missing database succeeded, want an error")
	}
	if _, err := os.Stat(filepath.Join(dir, "typo.db")); err == nil {
		t.Error("BackupFile created the missing database")
	}
	for name, path := range tests {
		if err := BackupFile(ctx, st.path, path); err == nil {
			t.Errorf("%s: BackupFile(%q) succeeded, want an error", name, path)
		}
	}
}
