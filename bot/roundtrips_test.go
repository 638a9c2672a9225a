package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"sentinelle/storage"
	"sentinelle/telegram"
	"sentinelle/telegram/telegramtest"
)

// statementLog is a pgx tracer that records the statements the store
// sends: on PostgreSQL each one is a round trip to the server (a
// statement's first preparation on a connection is one more, not
// recorded: it happens once).
type statementLog struct {
	mu  sync.Mutex
	sql []string
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, strings.Join(strings.Fields(d.SQL), " "))
	return ctx
}

func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements recorded since the last take.
func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.sql
	l.sql = nil
	return out
}

// TestAbonnerRoundTrips pins the statements, hence the round trips on
// PostgreSQL, that a batch of /abonner costs: a batch's own (begin, the
// writers' lock, its last update id read and written, commit) and each
// update's, measured as the difference between a batch of eleven and a
// batch of one. Round trips are what limits the bot on PostgreSQL
// (BenchmarkAbonner10k): a new one in the update path must be a choice.
func TestAbonnerRoundTrips(t *testing.T) {
	const perBatch = 5
	for _, c := range []struct {
		name   string
		before string // sent first by the same chats, not counted; "" for new chats
		text   string
		want   int
	}{
		// SAVEPOINT (and the release of the one before), the chat with
		// what it follows, INSERT chat, INSERT subscription, INSERT reply.
		{"a new chat", "", "/abonner versailles", 5},
		// No chat written, no subscription.
		{"a chat following the académie", "/abonner versailles", "/abonner versailles", 3},
		{"a chat adding an académie", "/abonner versailles", "/abonner paris", 4},
		// The narrowing replaced: DELETE, then INSERT per département.
		{"a chat narrowing to a département", "/abonner versailles", "/abonner 78", 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			bt, log := roundTripBot(t)
			next := 0
			batch := func(text string, chats ...int64) []string {
				t.Helper()
				var ups []tgbotapi.Update
				for _, id := range chats {
					next++
					ups = append(ups, fakeUpdate(next, id, id, text)...)
				}
				log.take()
				if err := bt.handleBatch(context.Background(), ups); err != nil {
					t.Fatal(err)
				}
				return log.take()
			}
			chats := func(from int64, n int) []int64 {
				var ids []int64
				for i := range n {
					ids = append(ids, from+int64(i))
				}
				return ids
			}
			batch("/start", 1) // the statements' preparations, the panic counters' read
			one, eleven := chats(100, 1), chats(200, 11)
			if c.before != "" {
				batch(c.before, append(one, eleven...)...)
			}
			got1, got11 := batch(c.text, one...), batch(c.text, eleven...)
			if per := (len(got11) - len(got1)) / 10; per != c.want || len(got11)-len(got1) != 10*c.want {
				t.Errorf("%q costs %d statements per update (%d for 11, %d for 1), want %d; one update's batch:\n%s",
					c.text, per, len(got11), len(got1), c.want, strings.Join(got1, "\n"))
			}
			if n := len(got1) - c.want; n != perBatch {
				t.Errorf("a batch costs %d statements besides its updates, want %d:\n%s", n, perBatch, strings.Join(got1, "\n"))
			}
		})
	}
}

// roundTripBot is a bot on a fresh PostgreSQL database whose statements
// the log records, without a command limit; its batches are handed to
// handleBatch by the test.
func roundTripBot(t *testing.T) (*Bot, *statementLog) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	log := &statementLog{}
	cfg.Tracer = log
	dsn := stdlib.RegisterConnConfig(cfg)
	t.Cleanup(func() { stdlib.UnregisterConnConfig(dsn) })
	store, err := storage.OpenPostgres(ctx, dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := telegramtest.NewServer(t, telegramtest.WithoutLimits())
	client, err := telegram.NewClient(ctx, telegram.ClientOptions{Token: srv.Token(), APIURL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	bt, err := New(Options{Client: client, Store: store, Catalog: defaultCatalog(t)})
	if err != nil {
		t.Fatal(err)
	}
	bt.cmdLimit = newWindowLimiter(1<<30, time.Minute)
	bt.userLimit = newWindowLimiter(1<<30, time.Minute)
	return bt, log
}
