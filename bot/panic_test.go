package bot

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sentinelle/storage"
	"sentinelle/storage/storagetest"
	"sentinelle/telegram"
	"sentinelle/telegram/telegramtest"
)

// bareBot is a Bot on the fake Telegram and a database file that nothing
// runs yet, so that a test can queue a batch, set the test hook, or call
// handleBatch itself. Failed getUpdates and handler errors are retried at
// once, without the backoff's sleep.
type bareBot struct {
	srv    *telegramtest.Server
	store  *storage.Store
	dbPath string
	client *telegram.Client
	bot    *Bot
	pump   *testPump
	panics atomic.Int32 // OnPanic("update") calls
	logs   lockedLog
	clock  *telegramtest.Clock // the bot's and the database's
}

// lockedLog keeps the bot's log lines for assertions and shows them in
// the test's output (t nil: kept only).
type lockedLog struct {
	mu  sync.Mutex
	t   testing.TB
	buf strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.t != nil {
		l.t.Log(strings.TrimSpace(string(p)))
	}
	return l.buf.Write(p)
}

func (l *lockedLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newBareBot(t testing.TB) *bareBot {
	t.Helper()
	bb := &bareBot{srv: telegramtest.NewServer(t, telegramtest.WithoutLimits(),
		telegramtest.WithBotUsername("sentinelle_bot"), telegramtest.WithPollWait(time.Second))}
	bb.logs.t, bb.clock = t, telegramtest.NewClock(testNow)
	cat := defaultCatalog(t)
	path := filepath.Join(t.TempDir(), "bot.db")
	bb.dbPath = path
	var err error
	if bb.store, err = storage.Open(context.Background(), path, bb.clock.Now); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bb.store.Close() })
	bb.client, err = telegram.NewClient(context.Background(), telegram.ClientOptions{Token: bb.srv.Token(), APIURL: bb.srv.URL(),
		PollTimeout: time.Second, RequestTimeout: 5 * time.Second,
		Sleep: func(ctx context.Context, _ time.Duration) bool { return ctx.Err() == nil }})
	if err != nil {
		t.Fatal(err)
	}
	bb.bot = bb.newBot(t)
	bb.pump = &testPump{t: t, store: bb.store, cat: cat, render: bb.bot.Renderer(), client: bb.client}
	return bb
}

// newBot is another Bot on the same database and fake Telegram, as after
// a restart of the process.
func (bb *bareBot) newBot(t testing.TB) *Bot {
	t.Helper()
	cat := defaultCatalog(t)
	b, err := New(Options{Client: bb.client, Store: bb.store, Catalog: cat, Now: bb.clock.Now,
		Location: time.UTC, ReportInterval: time.Hour, AdminIDs: []int64{adminUser.ID},
		Logger: slog.New(slog.NewTextHandler(&bb.logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnPanic: func(where string) {
			if where == "update" {
				bb.panics.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run runs the bot until the test ends; the test fails if Run returns
// anything but the cancellation.
func (bb *bareBot) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bb.bot.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
}

// runPoisoned runs the bot with p as its test hook until every update is
// confirmed and the replies are sent.
func (bb *bareBot) runPoisoned(t *testing.T, p *poison) {
	t.Helper()
	bb.bot.testHook = p.hook
	bb.run(t)
	bb.idle(t)
	bb.pump.drain()
}

// idle waits until the fake has no update left that the bot did not
// confirm.
func (bb *bareBot) idle(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); bb.srv.Pending() > 0; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for every update confirmed")
		}
	}
}

// poison makes the handling of update id panic in phase, the first n
// attempts (n < 0: always), and counts the attempts.
type poison struct {
	mu       sync.Mutex
	phase    string
	id       int64
	n        int
	attempts int
}

func (p *poison) hook(phase string, r *request) {
	if phase != p.phase || r.id != p.id {
		return
	}
	p.mu.Lock()
	p.attempts++
	boom := p.n < 0 || p.attempts <= p.n
	p.mu.Unlock()
	if boom {
		var m map[string]int
		m["boom"]++ // a real runtime panic: assignment to entry in nil map
	}
}

func (p *poison) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attempts
}

// TestPanicInOneUpdate: the handling of one update of a batch panics, in
// prepare or in its handler, every time. The process lives on, the other
// updates of the batch are answered once, the poisoned update is tried
// three times, then confirmed with an apology, and the offset moves on.
func TestPanicInOneUpdate(t *testing.T) {
	for _, phase := range []string{"prepare", "apply"} {
		t.Run(phase, func(t *testing.T) {
			bb := newBareBot(t)
			bb.srv.SendText(parentChat, parentUser, "/aide")
			bad := bb.srv.SendText(pupilChat, pupilUser, "/abonner lyon")
			last := bb.srv.SendText(teacherChat, teacherUser, "/aide")
			p := &poison{phase: phase, id: int64(bad), n: -1}
			bb.runPoisoned(t, p) // the three updates come in one batch

			if got := p.count(); got != maxUpdateAttempts {
				t.Errorf("the poisoned update was tried %d times, want %d", got, maxUpdateAttempts)
			}
			if got := bb.panics.Load(); got != maxUpdateAttempts {
				t.Errorf("OnPanic was called %d times, want %d", got, maxUpdateAttempts)
			}
			if got, err := bb.store.LastUpdateID(context.Background()); err != nil || got != int64(last) {
				t.Errorf("stored offset: last update %d (%v), want %d", got, err, last)
			}
			for _, c := range []telegramtest.Chat{parentChat, teacherChat} {
				sent := bb.srv.SentTo(c.ID)
				if len(sent) != 1 || !strings.Contains(sent[0].Visible, "/abonner") {
					t.Errorf("chat %d got %d messages, want the one answer to /aide", c.ID, len(sent))
				}
			}
			sent := bb.srv.SentTo(pupilChat.ID)
			if len(sent) != 1 || sent[0].Visible != msgSorry {
				t.Errorf("the poisoned update's chat got %d messages, want the apology only: %v", len(sent), sent)
			}
			if subs, _ := storagetest.Do(bb.store.Update, context.Background(), func(tx *storage.Tx) ([]string, error) {
				_, f, err := tx.ChatFollowing(context.Background(), pupilChat.ID)
				return f.Academies, err
			}); len(subs) != 0 {
				t.Errorf("the poisoned update's effects stayed: subscriptions %v", subs)
			}
		})
	}
}

// TestPanicOnceIsRetried: a fault that passes (one panic) costs a retry of
// the batch, not the update: it is then applied as usual, and the other
// updates of the batch are applied and answered once.
func TestPanicOnceIsRetried(t *testing.T) {
	bb := newBareBot(t)
	bb.srv.SendText(parentChat, parentUser, "/abonner lille")
	bad := bb.srv.SendText(pupilChat, pupilUser, "/abonner lyon")
	p := &poison{phase: "apply", id: int64(bad), n: 1}
	bb.runPoisoned(t, p)
	if got := p.count(); got != 2 {
		t.Errorf("the update was tried %d times, want 2", got)
	}
	for _, c := range []struct {
		chat telegramtest.Chat
		want string
	}{{parentChat, "lille"}, {pupilChat, "lyon"}} {
		if subs, _ := storagetest.Do(bb.store.Update, context.Background(), func(tx *storage.Tx) ([]string, error) {
			_, f, err := tx.ChatFollowing(context.Background(), c.chat.ID)
			return f.Academies, err
		}); len(subs) != 1 || subs[0] != c.want {
			t.Errorf("chat %d follows %v, want [%s]", c.chat.ID, subs, c.want)
		}
		if sent := bb.srv.SentTo(c.chat.ID); len(sent) != 1 || sent[0].Visible == msgSorry {
			t.Errorf("chat %d got %d messages, want one answer (not the apology)", c.chat.ID, len(sent))
		}
	}
	if v, err := bb.store.Meta(context.Background(), panicsMetaKey); err != nil || v != "{}" {
		t.Errorf("attempts left in meta: %q, %v; want {} once the update is confirmed", v, err)
	}
}

// TestPanicAttemptsSurviveRestart: a process that restarts between two
// attempts (a deploy, a crash elsewhere) goes on counting from the meta
// table, so that the third attempt, in a third process, skips the update.
func TestPanicAttemptsSurviveRestart(t *testing.T) {
	bb := newBareBot(t)
	const id = 700
	batch := append(fakeUpdate(id, pupilChat.ID, pupilUser.ID, "/abonner lyon"),
		fakeUpdate(id+1, parentChat.ID, parentUser.ID, "/abonner lille")...)
	p := &poison{phase: "apply", id: id, n: -1}
	for attempt := 1; attempt <= maxUpdateAttempts; attempt++ {
		b := bb.newBot(t) // a new process each time
		b.testHook = p.hook
		err := b.handleBatch(context.Background(), batch)
		if last, _ := bb.store.LastUpdateID(context.Background()); attempt < maxUpdateAttempts {
			if !errors.Is(err, errPanicked) || last >= id {
				t.Fatalf("attempt %d: handleBatch = %v, last update %d; want errPanicked, nothing confirmed", attempt, err, last)
			}
		} else if err != nil || last != id+1 {
			t.Fatalf("attempt %d: handleBatch = %v, last update %d; want nil, %d", attempt, err, last, id+1)
		}
	}
	if subs, _ := storagetest.Do(bb.store.Update, context.Background(), func(tx *storage.Tx) ([]string, error) {
		_, f, err := tx.ChatFollowing(context.Background(), parentChat.ID)
		return f.Academies, err
	}); len(subs) != 1 {
		t.Errorf("the other update of the batch was not applied: %v", subs)
	}
	if subs, _ := storagetest.Do(bb.store.Update, context.Background(), func(tx *storage.Tx) ([]string, error) {
		_, f, err := tx.ChatFollowing(context.Background(), pupilChat.ID)
		return f.Academies, err
	}); len(subs) != 0 {
		t.Errorf("the skipped update's effects stayed: %v", subs)
	}
	replies, _ := repliesTo(context.Background(), bb.store, bb.dbPath, pupilChat.ID)
	if len(replies) != 1 || !strings.Contains(replies[0].Payload, "Désolé") {
		t.Errorf("the skipped update's chat has %d replies, want the apology", len(replies))
	}
}

// TestPanicInFinish: a panic after the commit (answering a button, editing
// a menu) cannot be undone nor tried again; it is logged, token redacted,
// counted, and the other updates are still finished.
func TestPanicInFinish(t *testing.T) {
	bb := newBareBot(t)
	bb.srv.SendText(parentChat, parentUser, "/aide")
	bad := bb.srv.SendText(pupilChat, pupilUser, "/aide")
	bb.bot.testHook = func(phase string, r *request) {
		if phase == "finish" && r.id == int64(bad) {
			panic("cannot reach https://api.telegram.org/bot" + bb.srv.Token() + "/sendMessage")
		}
	}
	bb.run(t)
	bb.idle(t)
	bb.pump.drain()
	if got := bb.panics.Load(); got != 1 {
		t.Errorf("OnPanic was called %d times, want 1", got)
	}
	for _, c := range []telegramtest.Chat{parentChat, pupilChat} {
		if sent := bb.srv.SentTo(c.ID); len(sent) != 1 {
			t.Errorf("chat %d got %d messages, want its answer", c.ID, len(sent))
		}
	}
	logs := bb.logs.String()
	if !strings.Contains(logs, "panic while handling an update") || !strings.Contains(logs, "panic.go") {
		t.Errorf("the panic was not logged with its stack:\n%s", logs)
	}
	if strings.Contains(logs, bb.srv.Token()) || !strings.Contains(logs, "<redacted>") {
		t.Errorf("the token was not redacted from the log:\n%s", logs)
	}
}

// TestPanicOutsideUpdates: a panic in the batch's own code, outside the
// phases of one update, fails the batch instead of the process; the batch
// comes back and is handled.
func TestPanicOutsideUpdates(t *testing.T) {
	bb := newBareBot(t)
	first := bb.srv.SendText(parentChat, parentUser, "/aide")
	p := &poison{phase: "batch", id: int64(first), n: 1}
	bb.runPoisoned(t, p)
	if got := p.count(); got != 2 {
		t.Errorf("the batch was tried %d times, want 2", got)
	}
	if got := bb.panics.Load(); got != 1 {
		t.Errorf("OnPanic was called %d times, want 1", got)
	}
	if sent := bb.srv.SentTo(parentChat.ID); len(sent) != 1 {
		t.Errorf("%d answers, want 1", len(sent))
	}
}
