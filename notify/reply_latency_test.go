package notify_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sentinelle/bot"
	"sentinelle/catalog"
	"sentinelle/notify"
	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
	"sentinelle/telegram"
	"sentinelle/telegram/telegramtest"
)

// BenchmarkReplyLatencyDuringFanOut measures how long a family waits for
// the answer to a command while a 10,000-message outage fan-out is being
// sent: the real Bot, the real Dispatcher with the bot's Renderer, and a
// fake Telegram enforcing its limits (30 messages/s overall, 1/s per
// chat) with the default TELEGRAM_RATE_LIMIT of 25/s. The fan-out starts;
// once it is under way, 60 people send /etat, one every 250 ms; each
// latency runs from the update's injection to Telegram accepting the
// reply. Goal: p99 under 2 s.
//
//	go test -run '^$' -bench ReplyLatencyDuringFanOut -benchtime 1x ./notify
func BenchmarkReplyLatencyDuringFanOut(b *testing.B) {
	const crowd, askers = 10000, 60
	cat, err := catalog.Default()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		srv := telegramtest.NewServer(b, telegramtest.WithPollWait(time.Second))
		store, err := storage.Open(context.Background(), filepath.Join(b.TempDir(), "lat.db"), time.Now)
		if err != nil {
			b.Fatal(err)
		}
		err = store.Update(context.Background(), func(tx *storage.Tx) error {
			for c := range crowd {
				ch := storage.NewChat(int64(2_000_000 + c))
				ch.Role, ch.Levels = "parent", status.College.Bit()
				if err := tx.CreateOrUpdateChat(context.Background(), ch); err != nil {
					return err
				}
				if err := tx.Subscribe(context.Background(), ch.ID, "versailles"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		client, err := telegram.NewClient(context.Background(), telegram.ClientOptions{Token: srv.Token(), APIURL: srv.URL(),
			PollTimeout: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		var d *notify.Dispatcher
		bt, err := bot.New(bot.Options{Client: client, Store: store, Catalog: cat, Wake: func() { d.Wake() }})
		if err != nil {
			b.Fatal(err)
		}
		d, err = notify.New(notify.Options{Store: store, Catalog: cat, Sender: client, Renderer: bt.Renderer()})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan error, 2)
		go func() { stopped <- d.Run(ctx) }()
		go func() { stopped <- bt.Run(ctx) }()

		if _, _, err := storagetest.Do2(store.Update, ctx, func(tx *storage.Tx) (int64, bool, error) {
			return tx.InsertEvent(ctx, storage.NewEvent{DedupKey: "bench-outage", Kind: status.KindOutage,
				Priority: storage.PriorityBulk, ServiceID: "enc92", FromState: "up", ToState: "down", Reason: "waiting_room",
				Audience: status.AudienceService("enc92"), Payload: `{"since_ms":1617687120000}`})
		}); err != nil {
			b.Fatal(err)
		}
		d.Wake()
		srv.WaitSent(b, 50, time.Minute) // the fan-out is under way

		b.ResetTimer()
		asked := make([]time.Time, askers)
		for a := range askers {
			id := int64(9_000_000 + a)
			asked[a] = time.Now()
			srv.SendText(telegramtest.Chat{ID: id}, telegramtest.User{ID: id, FirstName: "P"}, "/etat versailles")
			time.Sleep(250 * time.Millisecond)
		}
		var lat []time.Duration
		deadline := time.Now().Add(30 * time.Second)
		for len(lat) < askers && time.Now().Before(deadline) {
			lat = lat[:0]
			for a := range askers {
				if m := srv.SentTo(int64(9_000_000 + a)); len(m) > 0 {
					lat = append(lat, m[0].At.Sub(asked[a]))
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.StopTimer()
		fan := len(srv.Sent()) - len(lat)
		cancel()
		for range 2 {
			if err := <-stopped; err != nil && !errors.Is(err, context.Canceled) {
				b.Fatal(err)
			}
		}
		store.Close()
		if len(lat) < askers {
			b.Fatalf("%d of %d replies arrived", len(lat), askers)
		}
		slices.Sort(lat)
		p := func(q float64) float64 { return lat[min(len(lat)-1, int(q*float64(len(lat))))].Seconds() * 1000 }
		b.ReportMetric(p(0.5), "p50-ms")
		b.ReportMetric(p(0.99), "p99-ms")
		b.ReportMetric(lat[len(lat)-1].Seconds()*1000, "max-ms")
		b.ReportMetric(float64(fan), "fanout-sent")
		b.ReportMetric(float64(srv.Count429()), "429s")
		b.ReportMetric(0, "ns/op")
	}
}
