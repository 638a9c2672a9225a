package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/telegram/telegramtest"
)

// The crash test re-runs this test binary as a child process that runs a
// Dispatcher against a fake Bot API served by the parent; these variables
// tell the child what to do.
const (
	crashChildEnv = "NOTIFY_CRASH_CHILD" // set: TestCrashChild runs
	crashDBEnv    = "NOTIFY_CRASH_DB"
	crashAPIEnv   = "NOTIFY_CRASH_API"
	crashTokenEnv = "NOTIFY_CRASH_TOKEN"
	crashBatchEnv = "NOTIFY_CRASH_BATCH"
)

// TestCrashMidFanOut kills the dispatcher's process with SIGKILL in the
// middle of a 2,000-recipient outage, starts it again, and counts what the
// fake Telegram received: nobody missed, at most one batch sent twice.
func TestCrashMidFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const recipients, batch, killAfter = 2000, 50, 700
	srv := telegramtest.NewServer(t, telegramtest.WithoutLimits())
	db := filepath.Join(t.TempDir(), "crash.db")
	s, err := storage.Open(context.Background(), db, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	people := make([]person, recipients)
	for i := range people {
		people[i] = parent(int64(i+1), "alpha")
	}
	addPeople(t, s, people...)
	serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	s.Close()

	first, firstLog := startChild(t, db, srv, batch)
	srv.WaitSent(t, killAfter, 60*time.Second)
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	killedAt := len(srv.Sent())
	if killedAt >= recipients {
		t.Fatalf("the child sent everything (%d) before it was killed; the test proves nothing", killedAt)
	}
	second, secondLog := startChild(t, db, srv, batch)
	done := make(chan error, 1)
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("restarted dispatcher: %v\nfirst run:\n%s\nsecond run:\n%s", err, firstLog, secondLog)
		}
	case <-time.After(120 * time.Second):
		_ = second.Process.Kill()
		t.Fatalf("restarted dispatcher did not finish\n%s", secondLog)
	}

	got := map[int64]int{}
	posts := 0
	for _, m := range srv.Sent() {
		if m.ChatUsername != "" {
			posts++
			continue
		}
		got[m.ChatID]++
	}
	missed, dups := 0, 0
	for i := int64(1); i <= recipients; i++ {
		switch n := got[i]; {
		case n == 0:
			missed++
		case n > 1:
			dups += n - 1
		}
	}
	t.Logf("killed after %d of %d messages; after the restart: %d missed, %d duplicates, %d channel posts",
		killedAt, recipients, missed, dups, posts)
	if missed != 0 || len(got) != recipients {
		t.Errorf("%d recipients missed, %d distinct chats reached; want all %d", missed, len(got), recipients)
	}
	if dups+max(posts-1, 0) > batch {
		t.Errorf("%d duplicates, want at most one batch (%d)", dups, batch)
	}
}

// startChild runs TestCrashChild in a new process.
func startChild(t *testing.T, db string, srv *telegramtest.Server, batch int) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashDBEnv+"="+db, crashAPIEnv+"="+srv.URL(),
		crashTokenEnv+"="+srv.Token(), crashBatchEnv+"="+strconv.Itoa(batch))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// TestCrashChild is the child side of TestCrashMidFanOut: it delivers the
// outbox of the database it is given and returns once nothing is left.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("run by TestCrashMidFanOut in a child process")
	}
	ctx := context.Background()
	s, err := storage.Open(ctx, os.Getenv(crashDBEnv), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client, err := newChildClient(os.Getenv(crashAPIEnv), os.Getenv(crashTokenEnv))
	if err != nil {
		t.Fatal(err)
	}
	batch, _ := strconv.Atoi(os.Getenv(crashBatchEnv))
	opt := fastOptions(s, testCatalog(t), client)
	opt.BatchSize, opt.ExpandChunk = batch, 300
	opt.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- d.Run(runCtx) }()
	for !drained(ctx, s, d) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
}

func newChildClient(api, token string) (tgSender, error) {
	c, err := newBotClient(api, token, false)
	if err != nil {
		return tgSender{}, fmt.Errorf("bot client: %w", err)
	}
	return tgSender{c}, nil
}

// drained tells whether every event is expanded and nothing waits.
func drained(ctx context.Context, s *storage.Store, d *Dispatcher) bool {
	evs, err := s.NewEvents(ctx, 1)
	if err != nil || len(evs) > 0 {
		return false
	}
	depth, err := s.OutboxDepth(ctx)
	return err == nil && depth == [3]int{} && d.Stats().Inflight == 0
}
