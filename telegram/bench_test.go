package telegram

import (
	"context"
	"testing"
	"time"

	"sentinelle/telegram/telegramtest"
)

// BenchmarkSendAtTelegramLimit sends b.N messages through the Client to the
// fake with Telegram's limits on, paced at exactly 30 a second over 30 chats
// (so each chat gets exactly 1 a second), on the real clock, and reports the
// 429s: it must stay at 0. Run with e.g. -benchtime=300x (10 s).
func BenchmarkSendAtTelegramLimit(b *testing.B) {
	srv := telegramtest.NewServer(b)
	c, err := NewClient(context.Background(), ClientOptions{Token: srv.Token(), APIURL: srv.URL()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		<-tick.C
		if _, err := c.SendMessage(ctx, int64(1+i%30), "<b>ENT</b> indisponible", nil); err != nil {
			b.Fatalf("send %d: %v", i, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
	b.ReportMetric(float64(srv.Count429()), "429s")
}

// BenchmarkClientSendMessage is the Client's own overhead against the fake
// without limits, from several goroutines as the dispatcher might.
func BenchmarkClientSendMessage(b *testing.B) {
	srv := telegramtest.NewServer(b, telegramtest.WithoutLimits())
	c, err := NewClient(context.Background(), ClientOptions{Token: srv.Token(), APIURL: srv.URL()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.SendMessage(context.Background(), 42, "<b>ENT</b> indisponible", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}
