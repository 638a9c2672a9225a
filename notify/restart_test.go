package notify

import (
	"context"
	"testing"
	"time"

	"sentinelle/storage"
)

// TestRestartKeepsPerChatSpacing: a dispatcher started right after another
// one sent to a chat waits the per-chat interval before sending to it
// again, as the first one would have; without the database's memory a
// quick restart after a crash draws a 429 from Telegram.
func TestRestartKeepsPerChatSpacing(t *testing.T) {
	ctx := context.Background()
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parent(1, "alpha"))
	opt := fastOptions(s, cat, f)
	opt.PrivateInterval = time.Second
	reply := func(key string) {
		t.Helper()
		ev, err := storage.NewReply(key, 1, storage.OutMessage{Text: key})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.InsertEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	first, stop := start(t, opt)
	reply("premier")
	first.Wake()
	f.waitCount(t, 1)
	waitSettledAll(t, s)
	stop()

	second, _ := start(t, opt)
	reply("second")
	second.Wake()
	msgs := f.waitCount(t, 2)
	if gap := msgs[1].at.Sub(msgs[0].at); gap < opt.PrivateInterval-50*time.Millisecond {
		t.Fatalf("the restarted dispatcher sent to the same chat %v after the previous run, want ≥ %v", gap, opt.PrivateInterval)
	}
}

// waitSettledAll waits until no delivery is pending or in flight.
func waitSettledAll(t *testing.T, s *storage.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		depth, err := s.OutboxDepth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if depth == [3]int{} {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained: %v", depth)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
