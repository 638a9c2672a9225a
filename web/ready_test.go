package web

import (
	"context"
	"encoding/binary"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sentinelle/storage"
)

// TestReadyzWritesRarely: /readyz answers anyone, so a flood of probes
// must not become a flood of fsynced commits. Within 10 s the database
// takes at most one write, however many requests, sequential or at once;
// after 10 s it is checked again.
func TestReadyzWritesRarely(t *testing.T) {
	clock := &testClock{start: storyNow(t)}
	// The store shares the moving clock: a ping that writes the same time
	// again changes no page, and SQLite then commits nothing.
	path := filepath.Join(t.TempDir(), "sentinelle.db")
	st, err := storage.Open(context.Background(), path, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := New(Options{Store: st, Catalog: mustCatalog(t, storyCatalog), MaxRoundAge: 3 * time.Minute,
		StartedAt: clock.start, Now: clock.Now})
	ready := func() {
		t.Helper()
		if res, body := get(t, srv.Handler(), "/readyz"); res.StatusCode != http.StatusOK {
			t.Fatalf("/readyz = %d %q, want 200", res.StatusCode, body)
		}
	}
	wal := path + "-wal"
	before := walCommits(t, wal)
	for i := range 50 {
		clock.Set(time.Duration(i) * 190 * time.Millisecond) // 50 requests within 9.5 s
		ready()
	}
	if got := walCommits(t, wal) - before; got > 1 {
		t.Errorf("50 requests within 10 s committed %d times, want at most 1", got)
	}

	clock.Set(20 * time.Second)
	before = walCommits(t, wal)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(ready)
	}
	wg.Wait()
	if got := walCommits(t, wal) - before; got != 1 {
		t.Errorf("20 simultaneous requests 10 s later committed %d times, want 1", got)
	}
}

// walCommits counts the commits recorded in a SQLite WAL file: the frames
// of its current generation (salts equal to the header's) whose header
// gives the database size after a commit. https://sqlite.org/fileformat.html#the_write_ahead_log
func walCommits(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 32 {
		return 0
	}
	pageSize := int(binary.BigEndian.Uint32(b[8:12]))
	salt := b[16:24]
	n := 0
	for off := 32; off+24+pageSize <= len(b); off += 24 + pageSize {
		frame := b[off : off+24]
		if string(frame[8:16]) != string(salt) {
			break
		}
		if binary.BigEndian.Uint32(frame[4:8]) != 0 {
			n++
		}
	}
	return n
}
