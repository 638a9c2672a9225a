package notify

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"sentinelle/status"
)

// TestFollowerSendsNothing: a follower neither expands nor claims; a
// leader that stops leading in the middle of a fan-out sends nothing more,
// and what it had claimed is pending again, no attempt counted; when it
// leads again (a new term) every message goes out, each once.
func TestFollowerSendsNothing(t *testing.T) {
	ctx := context.Background()
	s, f, opt := setup(t, parents(40, "alpha")...)
	opt.RateLimit, opt.BatchSize = 20, 10
	var fence atomic.Int64 // 0: following
	opt.Leading = func() (int64, bool) { n := fence.Load(); return n, n != 0 }
	var whileFollowing atomic.Int64
	f.setFail(func(int64, string, string) error {
		if fence.Load() == 0 {
			whileFollowing.Add(1)
		}
		return nil
	})
	d, _ := start(t, opt)
	ev := serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	d.Wake()
	time.Sleep(300 * time.Millisecond)
	if got, err := s.Event(ctx, ev); err != nil || got.State != "new" {
		t.Fatalf("event %d is %q (%v) while following, want new (not expanded)", ev, got.State, err)
	}
	if n := len(f.all()); n != 0 {
		t.Fatalf("%d messages sent while following, want none", n)
	}

	// Lead, and stop leading from within the fifth send: the sends are
	// paced 50 ms apart, so none is between its check and its request.
	var sends atomic.Int64
	f.setFail(func(int64, string, string) error {
		if fence.Load() == 0 {
			whileFollowing.Add(1)
		}
		if sends.Add(1) == 5 {
			fence.Store(0)
		}
		return nil
	})
	fence.Store(1)
	d.Wake()
	f.waitCount(t, 5)
	var sentRows, pending int
	eventually(t, 10*time.Second, func() (bool, string) {
		rows, err := deliveriesOf(ctx, s, ev)
		if err != nil {
			t.Fatal(err)
		}
		sentRows, pending, _ = sentAndPending(t, rows)
		return len(rows) == 41 && sentRows+pending == len(rows), fmt.Sprintf("rows after the term ended: %+v", rows)
	})
	time.Sleep(300 * time.Millisecond)
	if n := whileFollowing.Load(); n != 0 {
		t.Errorf("%d sends while following, want none", n)
	}
	if sentRows != 5 || len(f.all()) != 5 || pending != 36 {
		t.Errorf("%d rows sent, %d messages, %d pending; want 5, 5 and the other 36 pending", sentRows, len(f.all()), pending)
	}

	fence.Store(2)
	d.Wake()
	waitSettled(t, s, ev)
	got := map[string]int{}
	for _, m := range f.all() {
		got[fmt.Sprint(m.chat, m.channel)]++
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("%s got %d messages, want 1", k, n)
		}
	}
	if len(got) != 41 || whileFollowing.Load() != 0 {
		t.Errorf("%d recipients, %d sends while following; want 41 (40 parents and the channel) and none", len(got), whileFollowing.Load())
	}
}
