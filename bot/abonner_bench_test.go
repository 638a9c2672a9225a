package bot

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"sentinelle/storage"
	"sentinelle/storage/pgtest"
	"sentinelle/telegram"
	"sentinelle/telegram/telegramtest"
)

// BenchmarkAbonner10k measures the bot end to end: 10,000 /abonner from
// 10,000 chats wait on the fake Bot API; the bot long-polls them in
// batches of 100, applies each batch in one transaction (chat, subscription,
// reply in the outbox, offset) and confirms it. The goal is 1,000 updates/s;
// replies are counted in the database, not sent (that is the dispatcher's
// work). It runs on SQLite (engine=sqlite), then on PostgreSQL
// (engine=postgresql), whose rate is also given as a ratio to SQLite's
// (pg/sqlite).
//
//	go test -run XXX -bench Abonner10k -benchtime 3x ./bot/
func BenchmarkAbonner10k(b *testing.B) {
	pgtest.CompareEngines(b,
		func(b *testing.B) float64 {
			return abonner10k(b, func() (*storage.Store, error) {
				return storage.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), time.Now)
			})
		},
		func(b *testing.B) float64 {
			return abonner10k(b, func() (*storage.Store, error) {
				return storage.OpenPostgres(context.Background(), pg.Database(b), time.Now)
			})
		})
}

// abonner10k is BenchmarkAbonner10k on the stores open opens, a fresh one
// for each iteration; it returns the rate, in updates/s.
func abonner10k(b *testing.B, open func() (*storage.Store, error)) float64 {
	const n = 10000
	cat := defaultCatalog(b)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := telegramtest.NewServer(b, telegramtest.WithoutLimits(), telegramtest.WithPollWait(100*time.Millisecond))
		var last int
		for c := range n {
			last = srv.SendText(telegramtest.Chat{ID: int64(1_000_000 + c)},
				telegramtest.User{ID: int64(1_000_000 + c), FirstName: "P"}, "/abonner versailles")
		}
		store, err := open()
		if err != nil {
			b.Fatal(err)
		}
		client, err := telegram.NewClient(context.Background(), telegram.ClientOptions{Token: srv.Token(), APIURL: srv.URL(), PollTimeout: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		bt, err := New(Options{Client: client, Store: store, Catalog: cat})
		if err != nil {
			b.Fatal(err)
		}
		bt.cmdLimit = newWindowLimiter(1<<30, time.Minute)
		done := make(chan struct{})
		bt.afterBatch = func(id int64) {
			if id == int64(last) {
				close(done)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		b.StartTimer()
		start := time.Now()
		go func() { ran <- bt.Run(ctx) }()
		<-done
		total += time.Since(start)
		b.StopTimer()
		cancel()
		if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
			b.Fatal(err)
		}
		evs, err := store.NewEvents(context.Background(), 2*n)
		if err != nil || len(evs) != n {
			b.Fatalf("%d replies in the outbox (%v), want %d", len(evs), err, n)
		}
		store.Close()
		srv.Close()
	}
	rate := float64(n*b.N) / total.Seconds()
	b.ReportMetric(rate, "updates/s")
	b.ReportMetric(0, "ns/op")
	return rate
}
