package telegram

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/telegram/telegramtest"
)

// TestPollLeadingDropsBatchFetchedAfterLoss: leadership ends while a
// getUpdates is under way; the batch it brings back is not handed over
// nor confirmed, so the next poller (the next leader) gets it, once.
func TestPollLeadingDropsBatchFetchedAfterLoss(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newTestClient(t, srv)
	id := srv.SendText(famille, parent, "/aide")
	var asked atomic.Int32
	// Leading at the start and before the getUpdates, not once it returns.
	leading := func() bool { return asked.Add(1) <= 2 }
	var handed [][]int
	collect := func(_ context.Context, ups []tgbotapi.Update) error {
		ids := make([]int, len(ups))
		for i, u := range ups {
			ids[i] = u.UpdateID
		}
		handed = append(handed, ids)
		return nil
	}
	if err := c.PollLeading(context.Background(), 0, leading, collect); !errors.Is(err, ErrNotLeading) {
		t.Fatalf("PollLeading returned %v, want ErrNotLeading", err)
	}
	if n := len(srv.RequestsFor("getUpdates")); n != 1 || len(handed) != 0 || srv.Pending() != 1 {
		t.Fatalf("%d getUpdates, batches handed over %v, %d updates unconfirmed; want 1, none, 1", n, handed, srv.Pending())
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.PollLeading(ctx, 0, nil, collect) }()
	eventually(t, "confirmation by the next leader", func() bool { return srv.Pending() == 0 })
	cancel()
	<-done
	if len(handed) != 1 || len(handed[0]) != 1 || handed[0][0] != id {
		t.Fatalf("handed over %v, want [[%d]] once", handed, id)
	}
}
