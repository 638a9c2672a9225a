package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

// TestErrorClasses drives one outage to chat 1 (and chat 2, which always
// works) through each class of Telegram failure.
func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name string
		// fail answers the n-th send to chat 1 (n from 1); nil accepts it.
		fail         func(n int) error
		maxAttempts  int
		wantState    string
		wantAttempts int
		wantSends    int // sends to chat 1 that reached the sender
		wantErr      string
		wantActive   bool
	}{
		{name: "server error then ok", fail: failFirst(2, tgErr{class: "server"}),
			wantState: "sent", wantAttempts: 3, wantSends: 3, wantActive: true},
		{name: "network error then ok", fail: func(n int) error {
			if n == 1 {
				return isNetwork()
			}
			return nil
		}, wantState: "sent", wantAttempts: 2, wantSends: 2, wantActive: true},
		{name: "server error until giving up", fail: failFirst(100, tgErr{class: "server"}), maxAttempts: 3,
			wantState: "failed", wantAttempts: 3, wantSends: 3, wantErr: "server", wantActive: true},
		{name: "rate limited is not an attempt", fail: failFirst(1, tgErr{class: "rate_limited", delay: 150 * time.Millisecond}),
			wantState: "sent", wantAttempts: 1, wantSends: 2, wantActive: true},
		{name: "blocked", fail: failFirst(100, tgErr{class: "blocked"}),
			wantState: "undeliverable", wantAttempts: 1, wantSends: 1, wantErr: "blocked"},
		{name: "chat not found", fail: failFirst(100, tgErr{class: "chat_not_found"}),
			wantState: "undeliverable", wantAttempts: 1, wantSends: 1, wantErr: "chat_not_found"},
		{name: "bad request", fail: failFirst(100, tgErr{class: "bad_request"}),
			wantState: "failed", wantAttempts: 1, wantSends: 1, wantErr: "bad_request", wantActive: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, cat, f := openStore(t), testCatalog(t), newFakeSender()
			addPeople(t, s, parent(1, "alpha"), parent(2, "alpha"))
			var mu sync.Mutex
			n := 0
			f.setFail(func(chat int64, _, _ string) error {
				if chat != 1 {
					return nil
				}
				mu.Lock()
				defer mu.Unlock()
				n++
				return tc.fail(n)
			})
			opt := fastOptions(s, cat, f)
			opt.MaxAttempts = tc.maxAttempts
			d, _ := start(t, opt)
			rows := announce(t, s, d, status.KindOutage, "ent-alpha", "up", "down", april6)
			var r storagetest.Delivery
			for _, row := range rows {
				if row.ChatID == 1 {
					r = row
				}
			}
			if r.State != tc.wantState || r.Attempts != tc.wantAttempts {
				t.Errorf("row of chat 1: state %q attempts %d, want %q %d", r.State, r.Attempts, tc.wantState, tc.wantAttempts)
			}
			if !strings.Contains(r.LastError, tc.wantErr) {
				t.Errorf("last error %q, want it to mention %q", r.LastError, tc.wantErr)
			}
			mu.Lock()
			if n != tc.wantSends {
				t.Errorf("%d sends to chat 1, want %d", n, tc.wantSends)
			}
			mu.Unlock()
			if c, err := storagetest.Do(s.Update, ctx, func(tx *storage.Tx) (storage.Chat, error) { return tx.Chat(ctx, 1) }); err != nil || c.Active != tc.wantActive {
				t.Errorf("chat 1 active = %v (err %v), want %v", c.Active, err, tc.wantActive)
			}
			if st := statesByChat(rows); st[2] != "sent" {
				t.Errorf("chat 2's row is %q: one chat's failure must not touch another's", st[2])
			}
		})
	}
}

func failFirst(k int, err tgErr) func(int) error {
	return func(n int) error {
		if n <= k {
			return wrapped(err)
		}
		return nil
	}
}

// TestRateLimitPausesEverything: after a 429 with retry_after, nothing at
// all is sent before the delay is over.
func TestRateLimitPausesEverything(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parents(20, "alpha")...)
	const retryAfter = 300 * time.Millisecond
	var once sync.Once
	var refusedAt time.Time
	f.setFail(func(chat int64, _, _ string) error {
		var err error
		once.Do(func() {
			refusedAt = time.Now()
			err = wrapped(tgErr{class: "rate_limited", delay: retryAfter})
		})
		return err
	})
	opt := fastOptions(s, cat, f)
	opt.RateLimit, opt.Workers = 50, 1 // one send at a time: none overlaps the 429
	d, _ := start(t, opt)
	announce(t, s, d, status.KindOutage, "ent-alpha", "up", "down", april6)
	var times []time.Time
	f.mu.Lock()
	times = append(times, sendTimes(f)...)
	f.mu.Unlock()
	for _, at := range times {
		if at.After(refusedAt) && at.Before(refusedAt.Add(retryAfter)) {
			t.Errorf("a message was sent %v after the 429, within retry_after %v", at.Sub(refusedAt), retryAfter)
		}
	}
	if st := d.Stats(); st.RateLimited != 1 || st.Sent != 21 {
		t.Errorf("stats %+v, want 1 rate limited and 21 sent (20 chats + channel)", st)
	}
}

// sendTimes lists when the fake accepted each message.
func sendTimes(f *fakeSender) []time.Time {
	out := make([]time.Time, 0, len(f.msgs))
	for _, m := range f.msgs {
		out = append(out, m.at)
	}
	return out
}

// TestMigratedGroupMovesAndResends: a group that became a supergroup gets
// its message at the new id, and keeps its subscriptions there.
func TestMigratedGroupMovesAndResends(t *testing.T) {
	for _, newKnown := range []bool{false, true} {
		name := "new id unknown"
		if newKnown {
			name = "new id already subscribed"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, cat, f := openStore(t), testCatalog(t), newFakeSender()
			const oldID, newID = -100, -1001234
			addPeople(t, s, person{id: oldID, role: "enseignant", outage: true, recovery: true, academies: []string{"alpha"}})
			if newKnown {
				addPeople(t, s, person{id: newID, role: "enseignant", outage: true, recovery: true, academies: []string{"alpha", "beta"}})
			}
			f.setFail(func(chat int64, _, _ string) error {
				if chat == oldID {
					return wrapped(tgErr{class: "migrated", newChat: newID})
				}
				return nil
			})
			d, _ := start(t, fastOptions(s, cat, f))
			rows := announce(t, s, d, status.KindOutage, "ent-alpha", "up", "down", april6)
			if got := f.chats(); len(got) != 1 || got[0] != newID {
				t.Errorf("sent to %v, want once to the supergroup %d", got, newID)
			}
			if st := statesByChat(rows); len(st) != 1 || st[newID] != "sent" {
				t.Errorf("rows %v, want one sent row under the new id", st)
			}
			if _, err := storagetest.Do(s.Update, ctx, func(tx *storage.Tx) (storage.Chat, error) { return tx.Chat(ctx, oldID) }); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("old chat still there (err %v)", err)
			}
			if subs, err := storagetest.Do(s.Update, ctx, func(tx *storage.Tx) ([]string, error) {
				_, f, err := tx.ChatFollowing(ctx, newID)
				return f.Academies, err
			}); err != nil || len(subs) == 0 || subs[0] != "alpha" {
				t.Errorf("subscriptions of the new chat %v (err %v), want alpha kept", subs, err)
			}
		})
	}
}

// TestParseErrorOfASharedTextKillsTheEvent: an announcement's text is the
// same for everybody, so once Telegram refused it the event dies at the
// first refusal instead of being refused for each recipient.
func TestParseErrorOfASharedTextKillsTheEvent(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parents(50, "alpha")...)
	f.setFail(func(int64, string, string) error { return wrapped(tgErr{class: "parse_error"}) })
	opt := fastOptions(s, cat, f)
	opt.BatchSize = 10
	d, _ := start(t, opt)
	ev := insertEvent(t, s, storage.NewEvent{DedupKey: "annonce", Kind: status.KindAnnouncement,
		Priority: storage.PriorityNotice, Audience: status.AudienceAcademie("alpha"), Payload: `{"text":"Bonjour <b"}`})
	d.Wake()
	wantDead(t, s, ev, "parse_error")
	f.mu.Lock()
	calls := f.calls
	f.mu.Unlock()
	if calls > opt.BatchSize {
		t.Errorf("%d sends tried, want at most one batch (%d)", calls, opt.BatchSize)
	}
}

// TestBlockedChatLosesItsOtherMessages: once a chat has blocked the bot,
// its other pending messages are not tried.
func TestBlockedChatLosesItsOtherMessages(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parent(1, "alpha"))
	f.setFail(func(chat int64, _, _ string) error {
		if chat == 1 {
			return wrapped(tgErr{class: "blocked"})
		}
		return nil
	})
	e1 := serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	e2 := serviceEvent(t, s, status.KindOutage, "ent-shared", "up", "down", april6)
	start(t, fastOptions(s, cat, f))
	r1, r2 := statesByChat(waitSettled(t, s, e1)), statesByChat(waitSettled(t, s, e2))
	states := []string{r1[1], r2[1]}
	if !(states[0] == "undeliverable" && states[1] == "cancelled") && !(states[0] == "cancelled" && states[1] == "undeliverable") {
		t.Errorf("rows of the blocked chat %v, want one undeliverable and one cancelled", states)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls != 3 { // chat 1 once, the alpha channel for each outage
		t.Errorf("%d sends, want 3", f.calls)
	}
}

// TestUnauthorizedPausesWithoutSpendingAttempts: a revoked token stops all
// sending for a while; the message waits, its attempts untouched.
func TestUnauthorizedPausesWithoutSpendingAttempts(t *testing.T) {
	ctx := context.Background()
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parent(1, "gamma"), parent(2, "gamma"))
	f.setFail(func(int64, string, string) error { return wrapped(tgErr{class: "unauthorized"}) })
	opt := fastOptions(s, cat, f)
	opt.Workers = 1
	d, stop := start(t, opt)
	ev := serviceEvent(t, s, status.KindOutage, "ent-ecoles", "up", "down", april6)
	d.Wake()
	deadline := time.Now().Add(5 * time.Second)
	for d.Stats().PausedUntil.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("no pause after an unauthorized answer")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if left := time.Until(d.Stats().PausedUntil); left < 50*time.Second {
		t.Errorf("paused for %v, want about a minute", left)
	}
	time.Sleep(100 * time.Millisecond)
	f.mu.Lock()
	calls := f.calls
	f.mu.Unlock()
	if calls != 1 {
		t.Errorf("%d sends tried, want 1: nothing is sent during the pause", calls)
	}
	stop()
	rows, err := deliveriesOf(ctx, s, ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.State != "pending" || r.Attempts != 0 {
			t.Errorf("row %+v, want pending with no attempt spent", r)
		}
	}
}
