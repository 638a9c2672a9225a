package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/pgtest"
	"sentinelle/storage/storagetest"
	"sentinelle/telegram"
)

// testCatalogYAML has a shared ENT (alpha and beta), ENTs of one level, a
// national service, a channel for alpha only, and an académie on La
// Réunion's time.
const testCatalogYAML = `
services:
  - id: ent-alpha
    name: "ENT Alpha"
    url: "https://ent-alpha.example.fr"
    levels: [college, lycee]
  - id: ent-shared
    name: "ENT Partagé"
    url: "https://ent-shared.example.fr"
    levels: [lycee]
  - id: ent-ecoles
    name: "ENT Écoles"
    url: "https://ent-ecoles.example.fr"
    levels: [primaire]
  - id: ent-reunion
    name: "ENT Réunion"
    url: "https://ent-reunion.example.fr"
    levels: [college, lycee]
  - id: cned
    name: "CNED"
    url: "https://cned.example.fr"
    national: true
    levels: [primaire, college, lycee]
academies:
  - slug: alpha
    code: "01"
    name: "Alpha"
    region: "Région Une"
    channel: "@ent_alpha"
    services: [ent-alpha, ent-shared]
  - slug: beta
    code: "02"
    name: "Bêta"
    region: "Région Une"
    services: [ent-shared, ent-ecoles]
  - slug: gamma
    code: "03"
    name: "Gamma"
    region: "Région Deux"
    services: [ent-ecoles]
  - slug: reunion
    code: "28"
    name: "La Réunion"
    region: "La Réunion"
    overseas: true
    timezone: "Indian/Reunion"
    services: [ent-reunion]
`

func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	return loadCatalog(t, "test catalog", func() (*catalog.Catalog, error) { return catalog.Parse([]byte(testCatalogYAML)) })
}

// defaultCatalog is the embedded catalog, for the tests that need real
// académies and services.
func defaultCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	return loadCatalog(t, "default catalog", catalog.Default)
}

// loadCatalog fails the test when load does.
func loadCatalog(t testing.TB, what string, load func() (*catalog.Catalog, error)) *catalog.Catalog {
	t.Helper()
	c, err := load()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return c
}

func openStore(t testing.TB) *storage.Store {
	t.Helper()
	return openStoreAt(t, time.Now)
}

// dbReaders reads an event's deliveries beside each store openStoreAt
// or openPostgresStore opened, for deliveriesOf.
var dbReaders sync.Map // *storage.Store → func(context.Context, int64) ([]storagetest.Delivery, error)

// deliveriesOf lists an event's deliveries then its channel posts, read
// from the database beside the Store (storage has no such query).
func deliveriesOf(ctx context.Context, s *storage.Store, eventID int64) ([]storagetest.Delivery, error) {
	read, ok := dbReaders.Load(s)
	if !ok {
		return nil, fmt.Errorf("store %p not opened by openStoreAt nor openPostgresStore", s)
	}
	return read.(func(context.Context, int64) ([]storagetest.Delivery, error))(ctx, eventID)
}

// openPostgresStore opens a store on the throwaway PostgreSQL server,
// emptied of what an earlier test wrote, and closes it when t ends. Every
// test gets the same database (pgtest's Kept, as storage's tests do):
// emptying it costs less than creating and migrating a fresh one for each
// of TestSupersedesMatchesStorage's trials. Tests on PostgreSQL therefore
// do not run in parallel.
func openPostgresStore(t testing.TB) *storage.Store {
	t.Helper()
	ctx := context.Background()
	dsn := pg.Kept(t, "notify")
	s, err := storage.OpenPostgres(ctx, dsn, time.Now)
	if err != nil {
		t.Fatalf("open PostgreSQL store: %v", err)
	}
	db := pgtest.Open(t, dsn)
	pgtest.Empty(t, db)
	dbReaders.Store(s, func(ctx context.Context, eventID int64) ([]storagetest.Delivery, error) {
		return storagetest.DeliveriesIn(ctx, db, eventID)
	})
	t.Cleanup(func() { s.Close(); dbReaders.Delete(s) })
	return s
}

// engines runs test on SQLite then on PostgreSQL, as subtests named
// after them; open opens a store of the subtest's engine.
func engines(t *testing.T, test func(t *testing.T, open func(testing.TB) *storage.Store)) {
	t.Run("SQLite", func(t *testing.T) { test(t, openStore) })
	t.Run("PostgreSQL", func(t *testing.T) { test(t, openPostgresStore) })
}

// sent is one message the fake sender accepted.
type sent struct {
	chat    int64
	channel string
	text    string
	params  map[string]string
	photo   bool
	at      time.Time
}

// fakeSender records what it is asked to send. fail, when set, may refuse
// a send; it is called with the chat id (0 for a channel) and the text.
type fakeSender struct {
	mu      sync.Mutex
	msgs    []sent
	calls   int
	fail    func(chat int64, channel, text string) error
	changed chan struct{}
}

func newFakeSender() *fakeSender { return &fakeSender{changed: make(chan struct{}, 1)} }

func (f *fakeSender) record(m sent) (int64, error) {
	f.mu.Lock()
	f.calls++
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		if err := fail(m.chat, m.channel, m.text); err != nil {
			return 0, err
		}
	}
	m.at = time.Now()
	f.mu.Lock()
	f.msgs = append(f.msgs, m)
	id := int64(len(f.msgs))
	f.mu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default:
	}
	return id, nil
}

func (f *fakeSender) SendMessage(_ context.Context, chatID int64, text string, params map[string]string) (int64, error) {
	return f.record(sent{chat: chatID, text: text, params: params})
}

func (f *fakeSender) SendPhoto(_ context.Context, chatID int64, _ []byte, caption string, params map[string]string) (int64, error) {
	return f.record(sent{chat: chatID, text: caption, params: params, photo: true})
}

func (f *fakeSender) SendToChannel(_ context.Context, channel, text string, params map[string]string) (int64, error) {
	return f.record(sent{channel: channel, text: text, params: params})
}

func (f *fakeSender) setFail(fn func(chat int64, channel, text string) error) {
	f.mu.Lock()
	f.fail = fn
	f.mu.Unlock()
}

func (f *fakeSender) all() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.msgs)
}

// chats lists the chat ids sent to, sorted, channels as 0.
func (f *fakeSender) chats() []int64 {
	var ids []int64
	for _, m := range f.all() {
		if m.channel == "" {
			ids = append(ids, m.chat)
		}
	}
	slices.Sort(ids)
	return ids
}

// waitFor waits until cond holds on what was sent, or fails the test.
func (f *fakeSender) waitFor(t testing.TB, what string, cond func([]sent) bool) []sent {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		msgs := f.all()
		if cond(msgs) {
			return msgs
		}
		select {
		case <-f.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s; sent so far: %+v", what, msgs)
		}
	}
}

func (f *fakeSender) waitCount(t testing.TB, n int) []sent {
	t.Helper()
	return f.waitFor(t, fmt.Sprintf("%d messages", n), func(m []sent) bool { return len(m) >= n })
}

// tgErr is a Telegram failure of one class; the dispatcher reads it
// through the *telegram.Error it unwraps to, as it reads the real client's.
type tgErr struct {
	class   string
	delay   time.Duration
	newChat int64
}

func (e tgErr) Error() string { return "fake telegram error: " + e.class }
func (e tgErr) Unwrap() error {
	return &telegram.Error{Method: "sendMessage", Class: e.class, RetryAfter: e.delay, MigrateToChatID: e.newChat}
}
func wrapped(e tgErr) error                { return fmt.Errorf("telegram: sendMessage: %w", e) }
func isNetwork() error                     { return errors.New("dial tcp 127.0.0.1:1: connection refused") }
func testLogger(t testing.TB) *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fastOptions are options for tests: high rate, no per-chat spacing, short
// backoff, and no age limit, since the tests' events are dated 6 April 2021.
func fastOptions(store *storage.Store, cat *catalog.Catalog, s Sender) Options {
	return Options{
		Store: store, Catalog: cat, Sender: s, Renderer: testRenderer{cat}, RateLimit: 1000, PrivateInterval: time.Nanosecond,
		GroupInterval: time.Nanosecond, BackoffBase: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
		FlushInterval: 5 * time.Millisecond, SendTimeout: 5 * time.Second, MaxEventAge: noAgeLimit,
	}
}

// setup opens what most dispatcher tests start from: a store holding
// people, a fake sender, and fast options over them and the test catalog.
func setup(t testing.TB, people ...person) (*storage.Store, *fakeSender, Options) {
	t.Helper()
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, people...)
	return s, f, fastOptions(s, cat, f)
}

// noAgeLimit lets the tests' old events through MaxEventAge.
const noAgeLimit = 100 * 365 * 24 * time.Hour

// start runs a dispatcher until the test ends (or stop is called) and
// checks that Run returned.
func start(t testing.TB, opt Options) (d *Dispatcher, stop func()) {
	t.Helper()
	if opt.Logger == nil {
		opt.Logger = testLogger(t)
	}
	d, err := New(opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return d, stop
}

// person is a subscriber for a test.
type person struct {
	id        int64
	role      string
	levels    status.LevelMask
	outage    bool
	recovery  bool
	degraded  bool
	inactive  bool
	academies []string
}

func addPeople(t testing.TB, s *storage.Store, people ...person) {
	t.Helper()
	subs := make([]subscriber, 0, len(people))
	for _, p := range people {
		c := storage.NewChat(p.id)
		c.Role, c.Levels = p.role, p.levels
		c.AlertOutage, c.AlertRecovery, c.AlertDegraded, c.Active = p.outage, p.recovery, p.degraded, !p.inactive
		if p.id < 0 {
			c.Kind = "group"
		}
		subs = append(subs, subscriber{chat: c, academies: p.academies})
	}
	importSubscribers(t, s, subs)
}

// subscriber is a chat with the académies it follows.
type subscriber struct {
	chat      storage.Chat
	academies []string
}

// importSubscribers saves chats and their subscriptions in one
// transaction: 100,000 of them take seconds, not minutes.
func importSubscribers(t testing.TB, s *storage.Store, subs []subscriber) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx *storage.Tx) error {
		for _, sub := range subs {
			if err := tx.CreateOrUpdateChat(ctx, sub.chat); err != nil {
				return err
			}
			for _, a := range sub.academies {
				if err := tx.Subscribe(ctx, sub.chat.ID, a); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("import subscribers: %v", err)
	}
}

// parent follows académies with default preferences (outage and recovery).
func parent(id int64, academies ...string) person {
	return person{id: id, role: "parent", outage: true, recovery: true, academies: academies}
}

// parents are n parents, chats 1 to n, who follow academy (see parent).
func parents(n int, academy string) []person {
	people := make([]person, n)
	for i := range people {
		people[i] = parent(int64(i+1), academy)
	}
	return people
}

// serviceEvent writes a change of state as the checker does.
func serviceEvent(t testing.TB, s *storage.Store, kind status.Kind, service string, from, to status.State, at time.Time) int64 {
	t.Helper()
	id, ok, err := storagetest.Do2(s.Update, context.Background(), func(tx *storage.Tx) (int64, bool, error) {
		return tx.InsertEvent(context.Background(), storage.NewEvent{
			DedupKey: fmt.Sprintf("state:%s:%s:%d", service, to, at.UnixMilli()), Kind: kind,
			Priority: storage.PriorityBulk, ServiceID: service, FromState: from, ToState: to, Reason: "HTTP 502",
			Audience: status.AudienceService(service), Payload: fmt.Sprintf(`{"since_ms":%d}`, at.UnixMilli()), At: at,
		})
	})
	if err != nil || !ok {
		t.Fatalf("insert %s event: inserted=%v err=%v", kind, ok, err)
	}
	return id
}

// insertEvent writes e into the outbox and returns its id.
func insertEvent(t testing.TB, s *storage.Store, e storage.NewEvent) int64 {
	t.Helper()
	ctx := context.Background()
	id, _, err := storagetest.Do2(s.Update, ctx, func(tx *storage.Tx) (int64, bool, error) { return tx.InsertEvent(ctx, e) })
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// reply writes a reply event to chat and returns its id.
func reply(t testing.TB, s *storage.Store, key string, chat int64, text string) int64 {
	t.Helper()
	e, err := storage.NewReply(key, chat, storage.OutMessage{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return insertEvent(t, s, e)
}

// announce inserts a service event (serviceEvent) while d runs, wakes d
// and waits until the event is settled; it returns the event's rows.
func announce(t testing.TB, s *storage.Store, d *Dispatcher, kind status.Kind, service string, from, to status.State, at time.Time) []storagetest.Delivery {
	t.Helper()
	ev := serviceEvent(t, s, kind, service, from, to, at)
	d.Wake()
	return waitSettled(t, s, ev)
}

// waitSettled waits until no delivery of the event is pending or inflight.
func waitSettled(t testing.TB, s *storage.Store, eventID int64) []storagetest.Delivery {
	t.Helper()
	var rows []storagetest.Delivery
	eventually(t, 10*time.Second, func() (bool, string) {
		// The event first: its rows are committed with its state.
		ev, err := s.Event(context.Background(), eventID)
		if err != nil {
			t.Fatal(err)
		}
		if rows, err = deliveriesOf(context.Background(), s, eventID); err != nil {
			t.Fatal(err)
		}
		open := ev.State == "new"
		for _, r := range rows {
			open = open || r.State == "pending" || r.State == "inflight"
		}
		return !open, fmt.Sprintf("event %d not settled: state %s, rows %+v", eventID, ev.State, rows)
	})
	return rows
}

// waitEventState waits until the event reaches state, and returns it.
func waitEventState(t testing.TB, s *storage.Store, id int64, state string) storage.Event {
	t.Helper()
	var ev storage.Event
	eventually(t, 10*time.Second, func() (bool, string) {
		var err error
		if ev, err = s.Event(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		return ev.State == state, fmt.Sprintf("event %d is %q, want %q", id, ev.State, state)
	})
	return ev
}

// eventually calls check every few milliseconds until it reports done;
// once timeout has passed it fails the test with what check last saw.
func eventually(t testing.TB, timeout time.Duration, check func() (done bool, saw string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, saw := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(saw)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func statesByChat(rows []storagetest.Delivery) map[int64]string {
	m := map[int64]string{}
	for _, r := range rows {
		if r.Channel == "" {
			m[r.ChatID] = r.State
		}
	}
	return m
}

// specOf is what d expands for the event id.
func specOf(t testing.TB, s *storage.Store, d *Dispatcher, id int64) storage.ExpandSpec {
	t.Helper()
	ev, err := s.Event(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := d.specFor(ev)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// wantDead waits until the event id is settled and fails unless every
// delivery of it is dead, and the event too, for a reason that mentions
// reason.
func wantDead(t testing.TB, s *storage.Store, id int64, reason string) {
	t.Helper()
	for _, r := range waitSettled(t, s, id) {
		if r.State != "dead" {
			t.Errorf("row %+v, want dead", r)
		}
	}
	if e, _ := s.Event(t.Context(), id); e.State != "dead" || !strings.Contains(e.DeadReason, reason) {
		t.Errorf("event %d: state %q, reason %q; want dead for %q", id, e.State, e.DeadReason, reason)
	}
}

// sentAndPending counts an event's rows sent and pending, fails t for a
// pending row that counts an attempt (a row put back untried must not),
// and returns the rows in any other state.
func sentAndPending(t *testing.T, rows []storagetest.Delivery) (sent, pending int, other []storagetest.Delivery) {
	t.Helper()
	for _, r := range rows {
		switch r.State {
		case "sent":
			sent++
		case "pending":
			pending++
			if r.Attempts != 0 {
				t.Errorf("pending row %+v counts an attempt it never made", r)
			}
		default:
			other = append(other, r)
		}
	}
	return sent, pending, other
}
