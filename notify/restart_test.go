package notify

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

// serviceClocks are the clocks a service may run on: the real one, and a
// rehearsal's (SENTINELLE_FAKE_CLOCK_FILE) years behind or ahead of it. The
// database dates rows by that clock; Telegram's limits and the
// dispatcher's timers run on the real one.
func serviceClocks() []struct {
	name string
	now  func() time.Time
} {
	offset := func(d time.Duration) func() time.Time {
		return func() time.Time { return time.Now().Round(0).Add(d) }
	}
	return []struct {
		name string
		now  func() time.Time
	}{
		{"real clock", time.Now},
		{"rehearsal on 6 April 2021", offset(time.Until(time.Date(2021, 4, 6, 7, 30, 0, 0, time.UTC)))},
		{"clock a year ahead", offset(365 * 24 * time.Hour)},
	}
}

// openStoreAt is openStore on the given clock.
func openStoreAt(t testing.TB, now func() time.Time) *storage.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.db")
	s, err := storage.Open(context.Background(), path, now)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	dbReaders.Store(s, func(ctx context.Context, eventID int64) ([]storagetest.Delivery, error) {
		return storagetest.Deliveries(ctx, path, eventID)
	})
	t.Cleanup(func() { s.Close(); dbReaders.Delete(s) })
	return s
}

// TestRestartKeepsPerChatSpacing: a dispatcher started right after another
// one sent to a chat waits the per-chat interval before sending to it
// again, as the first one would have; without the database's memory a
// quick restart after a crash draws a 429 from Telegram. It holds whatever
// the service's clock says.
func TestRestartKeepsPerChatSpacing(t *testing.T) {
	for _, clock := range serviceClocks() {
		t.Run(clock.name, func(t *testing.T) {
			s, cat, f := openStoreAt(t, clock.now), testCatalog(t), newFakeSender()
			addPeople(t, s, parent(1, "alpha"))
			opt := fastOptions(s, cat, f)
			opt.PrivateInterval, opt.Now = time.Second, clock.now
			first, stop := start(t, opt)
			reply(t, s, "premier", 1, "premier")
			first.Wake()
			f.waitCount(t, 1)
			waitSettledAll(t, s)
			stop()

			second, _ := start(t, opt)
			reply(t, s, "second", 1, "second")
			second.Wake()
			msgs := f.waitCount(t, 2)
			if gap := msgs[1].at.Sub(msgs[0].at); gap < opt.PrivateInterval-50*time.Millisecond {
				t.Fatalf("the restarted dispatcher sent to the same chat %v after the previous run, want ≥ %v", gap, opt.PrivateInterval)
			}
		})
	}
}

// TestRetryDueWhateverTheClock: a send that failed with a server error is
// retried after its backoff, not at the next safety poll (an hour here),
// whether the service's clock is real, in the past or ahead.
func TestRetryDueWhateverTheClock(t *testing.T) {
	for _, clock := range serviceClocks() {
		t.Run(clock.name, func(t *testing.T) {
			s, cat, f := openStoreAt(t, clock.now), testCatalog(t), newFakeSender()
			addPeople(t, s, parent(1, "alpha"))
			failures := 0
			f.setFail(func(chat int64, _, _ string) error {
				if chat == 1 && failures < 1 {
					failures++
					return wrapped(tgErr{class: "server"})
				}
				return nil
			})
			opt := fastOptions(s, cat, f)
			opt.Now, opt.PollInterval = clock.now, time.Hour
			opt.BackoffBase, opt.BackoffMax = 50*time.Millisecond, 50*time.Millisecond
			d, _ := start(t, opt)
			ev := serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", clock.now())
			d.Wake()
			// 10 s at most, far less than the hour of the poll.
			f.waitFor(t, "the retry to chat 1", func(m []sent) bool { return slices.ContainsFunc(m, func(m sent) bool { return m.chat == 1 }) })
			for _, r := range waitSettled(t, s, ev) {
				if r.ChatID == 1 && (r.State != "sent" || r.Attempts != 2) {
					t.Fatalf("row of chat 1 %+v, want sent at the second attempt", r)
				}
			}
		})
	}
}

// waitSettledAll waits until no delivery is pending or in flight.
func waitSettledAll(t *testing.T, s *storage.Store) {
	t.Helper()
	eventually(t, 10*time.Second, func() (bool, string) {
		depth, err := s.OutboxDepth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return depth == [3]int{}, fmt.Sprintf("outbox not drained: %v", depth)
	})
}
