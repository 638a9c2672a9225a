package notify

import (
	"sync"
	"testing"

	"sentinelle/status"
)

// TestOnSendReportsResults checks the /metrics hook: one "ok" per message
// Telegram accepted (two parents and the académie's channel post) and
// "undeliverable" for a chat that blocked the bot.
func TestOnSendReportsResults(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parent(1, "alpha"), parent(2, "alpha"), parent(3, "alpha"))
	f.setFail(func(chat int64, _, _ string) error {
		if chat == 3 {
			return wrapped(tgErr{class: "blocked"})
		}
		return nil
	})
	var mu sync.Mutex
	got := map[string]int{}
	opt := fastOptions(s, cat, f)
	opt.OnSend = func(r string) { mu.Lock(); got[r]++; mu.Unlock() }
	d, _ := start(t, opt)
	announce(t, s, d, status.KindOutage, "ent-alpha", "up", "down", april6)
	mu.Lock()
	defer mu.Unlock()
	if got["ok"] != 3 || got["undeliverable"] != 1 {
		t.Fatalf("OnSend saw %v, want ok:3 undeliverable:1", got)
	}
}
