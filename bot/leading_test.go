package bot

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestFollowerDoesNotPoll: a bot that stops leading stops calling
// getUpdates (the long poll in flight ends, and what it brought back is
// left unconfirmed); the updates that arrive meanwhile wait at Telegram,
// and once the bot leads again it handles each of them once.
func TestFollowerDoesNotPoll(t *testing.T) {
	var leading atomic.Bool
	leading.Store(true)
	h := newHarness(t, func(o *Options) { o.Leading = leading.Load })
	h.say(parentChat, parentUser, "/aide")
	ctx := context.Background()
	before, err := repliesTo(ctx, h.store, h.dbPath, parentChat.ID)
	if err != nil {
		t.Fatal(err)
	}

	leading.Store(false)
	lost := time.Now()
	// The long poll in flight (1 s) returns this one: it must be dropped.
	first := h.srv.SendText(parentChat, parentUser, "/aide")
	time.Sleep(2 * time.Second)
	parked := time.Now() // any getUpdates begun while leading is over by now
	h.srv.SendText(parentChat, parentUser, "/etat")
	cb := h.srv.PressButton(parentChat, parentUser, 1, "noop")
	last := h.srv.SendText(parentChat, parentUser, "/aide")
	time.Sleep(2 * time.Second)
	for _, r := range h.srv.RequestsFor("getUpdates") {
		if r.At.After(parked) {
			t.Errorf("getUpdates at %v while following (since %v)", r.At.Sub(lost).Round(time.Millisecond), parked.Sub(lost).Round(time.Millisecond))
		}
	}
	h.mu.Lock()
	handled := h.last
	h.mu.Unlock()
	if handled >= int64(first) {
		t.Errorf("update %d handled while following (last handled %d)", first, handled)
	}
	if got := h.srv.Pending(); got != 4 {
		t.Errorf("%d updates waiting at Telegram, want the 4 sent while following", got)
	}

	leading.Store(true)
	h.wait(last)
	h.waitIdle()
	after, err := repliesTo(ctx, h.store, h.dbPath, parentChat.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(after)-len(before), 3; got != want {
		t.Errorf("%d replies to the commands sent while following, want %d (one each)", got, want)
	}
	answers := 0
	for _, r := range h.srv.RequestsFor("answerCallbackQuery") {
		if r.Params.Get("callback_query_id") == cb {
			answers++
		}
	}
	if answers != 1 {
		t.Errorf("the press made while following was answered %d times, want once", answers)
	}
}
