package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sentinelle/internal/logtest"
)

// setClockFile writes the instant a rehearsal's clock must show now, and
// returns the real time just before the write.
func setClockFile(t testing.TB, path string, at time.Time) time.Time {
	t.Helper()
	written := time.Now()
	if err := os.WriteFile(path, []byte(at.Format(time.RFC3339Nano)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return written
}

// shown is what a clock set to set at written must show now.
func shown(set, written time.Time) time.Time { return set.Add(time.Since(written)) }

// near fails unless got is within 200 ms of want.
func near(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d < -200*time.Millisecond || d > 200*time.Millisecond {
		t.Fatalf("%s: clock says %s, want %s", what, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
}

// TestFakeClock: the clock shows the file's instant, runs at real speed,
// goes on across a restart, moves forward when the file is written again
// and refuses to go back.
func TestFakeClock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clock")
	morning := time.Date(2021, 4, 6, 7, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	w0 := setClockFile(t, path, morning)
	c, err := openFakeClock(path)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "at once", c.Now(), shown(morning, w0))
	if strings.Contains(c.Now().String(), "m=") {
		t.Fatal("the fake clock's instants carry a monotonic reading: a move would not show in their differences")
	}
	time.Sleep(300 * time.Millisecond)
	near(t, "300 ms later", c.Now(), shown(morning, w0))

	restarted, err := openFakeClock(path)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "after a restart", restarted.Now(), shown(morning, w0))

	logs := watching(t, c)
	before := c.Now()
	ten := time.Date(2021, 4, 6, 10, 0, 0, 0, morning.Location())
	w1 := setClockFile(t, path, ten)
	waitUntil(t, "the clock to move to 10:00", 5*time.Second, func() bool { return c.Now().After(ten.Add(-time.Second)) })
	near(t, "after the move", c.Now(), shown(ten, w1))
	if jump := c.Now().Sub(before); jump < 2*time.Hour+29*time.Minute {
		t.Fatalf("two instants either side of the move differ by %v, want about 2 h 30", jump)
	}

	setClockFile(t, path, morning)
	waitUntil(t, "the refusal to go back", 5*time.Second, func() bool { return strings.Contains(logs.String(), "backwards is refused") })
	near(t, "after a refused move back", c.Now(), shown(ten, w1))
}

// TestFakeClockFileErrors: what the service says of a clock file it cannot
// use, at start (LoadConfig) as in the middle of a rehearsal.
func TestFakeClockFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("demain matin"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing"), dir} {
		if _, err := openFakeClock(path); err == nil {
			t.Errorf("%s accepted as a clock file", path)
		}
		_, err := LoadConfig(envOf(map[string]string{"SENTINELLE_FAKE_CLOCK_FILE": path}))
		if err == nil || !strings.Contains(err.Error(), "SENTINELLE_FAKE_CLOCK_FILE=") || !strings.Contains(err.Error(), "RFC 3339") {
			t.Errorf("LoadConfig with clock file %s: %v", path, err)
		}
	}

	good := filepath.Join(dir, "good")
	at := time.Date(2021, 4, 6, 7, 30, 0, 0, time.UTC)
	w0 := setClockFile(t, good, at)
	c, err := openFakeClock(good)
	if err != nil {
		t.Fatal(err)
	}
	logs := watching(t, c)
	time.Sleep(20 * time.Millisecond) // a modification time that differs from the first
	if err := os.WriteFile(good, []byte("n'importe quoi"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the warning", 5*time.Second, func() bool { return strings.Contains(logs.String(), "unreadable") })
	near(t, "after a bad rewrite", c.Now(), shown(at, w0))
}

// watching runs c.watch until the test ends and returns its log.
func watching(t *testing.T, c *fakeClock) *logtest.Buffer {
	logs := &logtest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.watch(ctx, slog.New(slog.NewTextHandler(logs, nil)), 5*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return logs
}
