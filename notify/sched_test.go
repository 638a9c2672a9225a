package notify

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"sentinelle/storage"
)

func testJob(eventID, chat int64, channel string, priority int) *job {
	return &job{del: storage.Delivery{EventID: eventID, ChatID: chat, Channel: channel, Priority: priority},
		key: chatKey{chat: chat, channel: channel}}
}

// TestQueuePick: the most urgent job whose chat may receive a message now,
// oldest first within a lane; otherwise how long to wait.
func TestQueuePick(t *testing.T) {
	t0 := time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC)
	q := newQueue(time.Second, 3*time.Second, 0)
	bulk1, bulk2 := testJob(1, 10, "", 2), testJob(1, 11, "", 2)
	group, channel := testJob(1, -5, "", 2), testJob(1, 0, "@ent_alpha", 2)
	reply := testJob(2, 10, "", 0)
	q.push(bulk1, bulk2, group, channel)
	q.answered(chatKey{chat: 10}, t0)                     // chat 10 had a message just now
	q.answered(chatKey{chat: -5}, t0.Add(-2*time.Second)) // the group 2 s ago: 1 s to go
	q.answered(chatKey{channel: "@ent_alpha"}, t0.Add(-4*time.Second))
	q.push(reply)

	var got []*job
	for {
		j, wait := q.pick(t0)
		if j == nil {
			if wait != time.Second {
				t.Errorf("wait %v, want 1 s (chat 10 and the group)", wait)
			}
			break
		}
		got = append(got, j)
	}
	if len(got) != 2 || got[0] != bulk2 || got[1] != channel {
		t.Errorf("picked %v, want bulk to chat 11 then the channel (chat 10 and the group must wait)", got)
	}
	if j, _ := q.pick(t0.Add(time.Second)); j != reply {
		t.Errorf("after 1 s picked %+v, want the reply before the bulk of the same chat", j)
	}
	q.pauseUntil(t0.Add(10 * time.Second))
	if j, wait := q.pick(t0.Add(2 * time.Second)); j != nil || wait != 8*time.Second {
		t.Errorf("while paused: picked %v, wait %v; want nothing for 8 s", j, wait)
	}
}

// TestQueuePrunesOldChats: the per-chat map forgets chats whose spacing
// is long over, so 100,000 recipients do not stay in memory.
func TestQueuePrunesOldChats(t *testing.T) {
	t0 := time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC)
	q := newQueue(time.Second, 3*time.Second, 0)
	for i := range 100_000 {
		q.answered(chatKey{chat: int64(i)}, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(q.last); n > 20_000 {
		t.Errorf("%d chats remembered after 100,000 sends over 100 s, want only the recent ones", n)
	}
}

// TestPacerKeepsTheWindow: however the reservations come, no window of
// windowPeriod holds more than the rate, and the rate is sustained.
func TestPacerKeepsTheWindow(t *testing.T) {
	const rate = 100
	p := newPacer(rate)
	t0 := time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC)
	var at []time.Time
	now := t0
	for i := range 1000 {
		if i%200 == 0 {
			now = now.Add(300 * time.Millisecond) // a late scheduler catching up
		}
		at = append(at, p.reserve(now))
	}
	for i := rate; i < len(at); i++ {
		if at[i].Sub(at[i-rate]) < windowPeriod {
			t.Fatalf("send %d at %v: %d sends within %v", i, at[i].Sub(t0), rate+1, windowPeriod)
		}
		if at[i].Before(at[i-1]) {
			t.Fatalf("send %d booked before send %d", i, i-1)
		}
	}
	got := float64(len(at)-1) / at[len(at)-1].Sub(at[0]).Seconds()
	if got < 0.95*rate || got > rate {
		t.Errorf("sustained %.1f/s, want between 95 and 100", got)
	}
}

// TestTurnWaitsForItsSlotAndA429 runs in a synctest bubble: time is fake,
// so the test checks exact waits without sleeping.
func TestTurnWaitsForItsSlotAndA429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &Dispatcher{pacer: newPacer(10), queue: newQueue(time.Second, 3*time.Second, 0)}
		ctx := context.Background()
		start := time.Now()
		for i := range 5 {
			if !d.turn(ctx) {
				t.Fatalf("turn %d refused", i)
			}
		}
		if took := time.Since(start); took != 400*time.Millisecond {
			t.Errorf("5 turns at 10/s took %v, want 400 ms", took)
		}
		d.queue.pauseUntil(time.Now().Add(2 * time.Second))
		if d.turn(ctx) {
			t.Error("a turn was given during a 429 pause")
		}
		// The scheduler does not pick anything before the pause ends.
		d.queue.push(testJob(1, 1, "", 2))
		before := time.Now()
		timer := time.NewTimer(time.Hour)
		if j := d.nextJob(ctx, timer); j == nil {
			t.Fatal("no job after the pause")
		}
		if waited := time.Since(before); waited < 1900*time.Millisecond {
			t.Errorf("picked %v after a 2 s pause began", waited)
		}
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if d.turn(ctx) {
			t.Error("a turn was given after Run ended")
		}
	})
}

// TestFlightCountsFromHandoverToAPeriodAfterTheAnswer: with room for 2 a
// second, a third send waits while two are unanswered, then until a
// second after the first answer; a send that did not go frees its room at
// once. Time is fake (synctest).
func TestFlightCountsFromHandoverToAPeriodAfterTheAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlight(2, time.Second)
		ctx := context.Background()
		start := time.Now()
		if !f.enter(ctx) || !f.enter(ctx) {
			t.Fatal("the first two sends did not enter at once")
		}
		entered := make(chan time.Duration, 1)
		go func() {
			f.enter(ctx)
			entered <- time.Since(start)
		}()
		time.Sleep(300 * time.Millisecond)
		f.leave(time.Now()) // answered at 300 ms: counts until 1.3 s
		synctest.Wait()
		select {
		case at := <-entered:
			t.Fatalf("a third send entered at %v, while two counted", at)
		default:
		}
		if got := <-entered; got != 1300*time.Millisecond {
			t.Errorf("the third send entered at %v, want 1.3 s (a second after the first answer)", got)
		}
		go func() {
			f.enter(ctx)
			entered <- time.Since(start)
		}()
		time.Sleep(200 * time.Millisecond)
		f.leave(time.Time{}) // the second never went: its room is free now
		if got := <-entered; got != 1500*time.Millisecond {
			t.Errorf("the fourth send entered at %v, want 1.5 s (when the second was given up)", got)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if f.enter(cctx) {
			t.Error("a send entered a full flight after its context ended")
		}
	})
}
