package bot

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
	"sentinelle/telegram"
	"sentinelle/telegram/telegramtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// People and chats of the tests.
var (
	parentUser  = telegramtest.User{ID: 101, FirstName: "Camille", LanguageCode: "fr"}
	pupilUser   = telegramtest.User{ID: 102, FirstName: "Léo", LanguageCode: "fr"}
	teacherUser = telegramtest.User{ID: 103, FirstName: "Mme Dupont", LanguageCode: "fr"}
	adminUser   = telegramtest.User{ID: 999, FirstName: "Admin", LanguageCode: "fr"}
	groupAdmin  = telegramtest.User{ID: 201, FirstName: "Directrice", LanguageCode: "fr"}
	groupMember = telegramtest.User{ID: 202, FirstName: "Parent", LanguageCode: "fr"}

	parentChat  = telegramtest.Chat{ID: 101}
	pupilChat   = telegramtest.Chat{ID: 102}
	teacherChat = telegramtest.Chat{ID: 103}
	adminChat   = telegramtest.Chat{ID: 999}
	groupChat   = telegramtest.Chat{ID: -200, Type: "group", Title: "Parents de 6e B"}
	// groupMember2Chat is the private chat of groupMember.
	groupMember2Chat = telegramtest.Chat{ID: 202}
)

// testNow is 6 April 2021, 07:45 in Paris: the morning the ENTs fell.
var testNow = time.Date(2021, 4, 6, 5, 45, 0, 0, time.UTC)

// harness runs a real Bot against the fake Bot API and a real database,
// and plays the dispatcher's part with a small pump, so that a test reads
// what people would read, and keeps a transcript for a golden file.
type harness struct {
	t      testing.TB
	srv    *telegramtest.Server
	store  *storage.Store
	dbPath string // the store's file, for storagetest
	cat    *catalog.Catalog
	bot    *Bot
	client *telegram.Client
	pump   *testPump
	paris  *time.Location

	clk     *telegramtest.Clock // the bot's and the database's clock
	mu      sync.Mutex
	last    int64
	changed chan struct{}
	codes   int
	ids     int
	checks  int
	log     strings.Builder
}

func newHarness(t testing.TB, edit ...func(*Options)) *harness {
	t.Helper()
	return newHarnessIn(t, t.TempDir(), edit...)
}

// newHarnessIn is newHarness with the database in dir.
func newHarnessIn(t testing.TB, dir string, edit ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, clk: telegramtest.NewClock(testNow), last: -1, changed: make(chan struct{})}
	h.paris, _ = time.LoadLocation("Europe/Paris")
	h.srv = telegramtest.NewServer(t, telegramtest.WithoutLimits(), telegramtest.WithBotUsername("sentinelle_bot"),
		telegramtest.WithPollWait(time.Second))
	h.cat = defaultCatalog(t)
	var err error
	h.dbPath = filepath.Join(dir, "bot.db")
	if h.store, err = storage.Open(context.Background(), h.dbPath, h.clock); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	h.client, err = telegram.NewClient(context.Background(), telegram.ClientOptions{Token: h.srv.Token(), APIURL: h.srv.URL(),
		PollTimeout: time.Second, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Client: h.client, Store: h.store, Catalog: h.cat, Now: h.clock, Location: h.paris,
		PublicURL: "https://sentinelle.example.fr", AdminIDs: []int64{adminUser.ID}, ReportInterval: time.Hour,
		Logger:   slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		CheckNow: func(context.Context) error { h.mu.Lock(); h.checks++; h.mu.Unlock(); return nil }}
	for _, e := range edit {
		e(&opt)
	}
	if h.bot, err = New(opt); err != nil {
		t.Fatal(err)
	}
	h.bot.newCode = h.nextCode
	h.bot.newID = h.nextID
	h.bot.afterBatch = h.processed
	h.pump = &testPump{t: t, store: h.store, cat: h.cat, render: h.bot.Renderer(), client: h.client}
	h.start()
	return h
}

// start runs the bot until the test ends.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.bot.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			h.t.Errorf("Run: %v", err)
		}
	})
}

// defaultCatalog is the embedded catalog, the one the bot runs with.
func defaultCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (h *harness) clock() time.Time { return h.clk.Now() }

// advance moves the clock of the bot and the database.
func (h *harness) advance(d time.Duration) { h.clk.Advance(d) }

// nextCode gives predictable class codes.
func (h *harness) nextCode() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	codes := []string{"ABCD2345", "EFGH6789", "JKMN2345", "PQRS6789", "TUVW2345"}
	c := codes[h.codes%len(codes)]
	h.codes++
	return c, nil
}

func (h *harness) nextID() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ids++
	return fmt.Sprintf("q%d", h.ids), nil
}

func (h *harness) processed(last int64) {
	h.mu.Lock()
	h.last = max(h.last, last)
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
}

// wait blocks until the bot handled the update id (or fails the test).
func (h *harness) wait(id int) {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		done, ch := h.last >= int64(id), h.changed
		h.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			h.t.Fatalf("update %d not handled after 10 s", id)
		}
	}
}

// say makes user type text in chat, waits until the bot handled it and
// its replies were sent, and returns the messages sent meanwhile.
func (h *harness) say(chat telegramtest.Chat, user telegramtest.User, text string) []telegramtest.Message {
	h.t.Helper()
	before := len(h.srv.Sent())
	fmt.Fprintf(&h.log, ">>> %s (chat %d): %s\n", user.FirstName, chat.ID, truncate(text, 120))
	h.wait(h.srv.SendText(chat, user, text))
	return h.settle(before)
}

// sayEach makes user type each text in turn, as say does, and returns
// the messages sent meanwhile.
func (h *harness) sayEach(chat telegramtest.Chat, user telegramtest.User, texts ...string) []telegramtest.Message {
	h.t.Helper()
	var sent []telegramtest.Message
	for _, text := range texts {
		sent = append(sent, h.say(chat, user, text)...)
	}
	return sent
}

// press makes user press a button of message msgID and returns the
// messages sent meanwhile; the edit and the answer go to the transcript.
func (h *harness) press(chat telegramtest.Chat, user telegramtest.User, msgID int64, data string) []telegramtest.Message {
	h.t.Helper()
	before := len(h.srv.Sent())
	old, _ := h.srv.Current(chat.ID, msgID)
	fmt.Fprintf(&h.log, ">>> %s (chat %d) presses %q on message %d\n", user.FirstName, chat.ID, data, msgID)
	cb := h.srv.PressButton(chat, user, msgID, data)
	h.waitIdle()
	for _, r := range h.srv.RequestsFor("answerCallbackQuery") {
		if r.Params.Get("callback_query_id") == cb {
			fmt.Fprintf(&h.log, "··· answer: %q\n", r.Params.Get("text"))
		}
	}
	if cur, ok := h.srv.Current(chat.ID, msgID); ok && (cur.Text != old.Text || cur.ReplyMarkup != old.ReplyMarkup) {
		fmt.Fprintf(&h.log, "~~~ message %d edited:\n%s\n%s", msgID, cur.Text, keyboardText(cur.ReplyMarkup))
	}
	return h.settle(before)
}

// pressEach makes user press each button of message msgID in turn, as
// press does, and returns the messages sent meanwhile.
func (h *harness) pressEach(chat telegramtest.Chat, user telegramtest.User, msgID int64, data ...string) []telegramtest.Message {
	h.t.Helper()
	var sent []telegramtest.Message
	for _, d := range data {
		sent = append(sent, h.press(chat, user, msgID, d)...)
	}
	return sent
}

// onboard makes user send /start and press each button of the welcome
// message in turn; it returns that message as onboarding left it (it is
// edited in place).
func (h *harness) onboard(chat telegramtest.Chat, user telegramtest.User, data ...string) telegramtest.Message {
	h.t.Helper()
	m := lastOf(h.t, h.say(chat, user, "/start"))
	h.pressEach(chat, user, m.MessageID, data...)
	cur, ok := h.srv.Current(chat.ID, m.MessageID)
	if !ok {
		h.t.Fatalf("the welcome message %d is gone", m.MessageID)
	}
	return cur
}

// member delivers a my_chat_member update.
func (h *harness) member(chat telegramtest.Chat, user telegramtest.User, status string) []telegramtest.Message {
	h.t.Helper()
	before := len(h.srv.Sent())
	fmt.Fprintf(&h.log, ">>> %s (chat %d) sets the bot's status to %s\n", user.FirstName, chat.ID, status)
	h.srv.ChatMemberUpdate(chat, user, status)
	h.waitIdle()
	return h.settle(before)
}

// waitIdle blocks until the bot confirmed every injected update: the fake
// drops an update when the next getUpdates asks past it, which the bot
// does only after handling it.
func (h *harness) waitIdle() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.srv.Pending() > 0 {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d updates not handled after 10 s", h.srv.Pending())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// settle sends what the outbox holds and logs the sends after before.
func (h *harness) settle(before int) []telegramtest.Message {
	h.t.Helper()
	h.pump.drain()
	sent := h.srv.Sent()[before:]
	for _, m := range sent {
		fmt.Fprintf(&h.log, "<<< to %d (message %d):\n", m.ChatID, m.MessageID)
		if m.Method == "sendPhoto" {
			fmt.Fprintf(&h.log, "[photo: PNG, %s]\n", photoCheck(m))
		}
		fmt.Fprintf(&h.log, "%s\n%s", m.Text, keyboardText(m.ReplyMarkup))
	}
	return sent
}

// note writes a line of context into the transcript.
func (h *harness) note(format string, args ...any) {
	fmt.Fprintf(&h.log, "--- "+format+"\n", args...)
}

// golden compares the transcript with testdata/<name>.golden.
func (h *harness) golden(name string) {
	h.t.Helper()
	golden(h.t, name, h.log.String())
}

func golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(go test -update rewrites it)", path, i+1, g, w)
			}
		}
	}
}

// last returns the last message of sends, failing when there is none.
func lastOf(t testing.TB, sent []telegramtest.Message) telegramtest.Message {
	t.Helper()
	if len(sent) == 0 {
		t.Fatal("the bot sent nothing")
	}
	return sent[len(sent)-1]
}

// wantText fails unless the visible text of m contains every part.
func wantText(t testing.TB, m telegramtest.Message, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(spaced(m.Visible), spaced(p)) {
			t.Errorf("message %d to %d lacks %q:\n%s", m.MessageID, m.ChatID, p, m.Visible)
		}
	}
}

// spaced reads no-break spaces as spaces, so that assertions on wording
// are written plainly; typography is the golden lint's business.
func spaced(s string) string { return strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s) }

// readTx reads with a method of storage.Tx, such as (*storage.Tx).Chat,
// in a transaction of h's store; an error fails the test.
func readTx[A, T any](t *testing.T, h *harness, read func(*storage.Tx, context.Context, A) (T, error), arg A) T {
	t.Helper()
	ctx := context.Background()
	v, err := storagetest.Do(h.store.Update, ctx, func(tx *storage.Tx) (T, error) { return read(tx, ctx, arg) })
	if err != nil {
		t.Fatalf("read %T of %v: %v", v, arg, err)
	}
	return v
}

// repliesTo lists the reply events written for a chat, oldest first.
func repliesTo(ctx context.Context, s *storage.Store, dbPath string, chatID int64) ([]storage.Event, error) {
	ids, err := storagetest.ReplyIDs(ctx, dbPath, chatID)
	out := make([]storage.Event, 0, len(ids))
	for _, id := range ids {
		ev, err := s.Event(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, err
}
