package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/pgtest"
	"sentinelle/storage/storagetest"
)

// instances are two instances sharing one database, each with its store
// and its fake Telegram, and the database itself for the leases and for
// reading rows: what two Sentinelle processes share.
type instances struct {
	engine storage.Engine
	db     *sql.DB
	stores [2]*storage.Store
	fakes  [2]*fakeSender
}

// twoInstances opens two stores on one database of the engine: a SQLite
// file opened twice, or a fresh PostgreSQL database.
func twoInstances(t *testing.T, engine storage.Engine) *instances {
	t.Helper()
	ctx := context.Background()
	in := &instances{engine: engine, fakes: [2]*fakeSender{newFakeSender(), newFakeSender()}}
	open := func() (*storage.Store, error) { return nil, nil }
	switch engine {
	case storage.SQLite:
		path := filepath.Join(t.TempDir(), "shared.db")
		open = func() (*storage.Store, error) { return storage.Open(ctx, path, time.Now) }
		db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		in.db = db
	case storage.PostgreSQL:
		dsn := pg.Database(t)
		open = func() (*storage.Store, error) { return storage.OpenPostgres(ctx, dsn, time.Now) }
		in.db = pgtest.Open(t, dsn)
	}
	for i := range in.stores {
		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		in.stores[i] = s
	}
	return in
}

// options are instance i's dispatcher options, fenced by the lease
// "leader" and told whether it leads by leading.
func (in *instances) options(t *testing.T, i int, leading func() (int64, bool)) Options {
	opt := fastOptions(in.stores[i], testCatalog(t), in.fakes[i])
	opt.Lease, opt.Leading, opt.BatchSize = "leader", leading, 20
	return opt
}

// acquire takes the lease "leader" for holder; it fails the test unless
// holder gets it.
func (in *instances) acquire(t *testing.T, holder string) int64 {
	t.Helper()
	st, err := storage.Lease{DB: in.db, Engine: in.engine}.Acquire(context.Background(), "leader", holder, time.Minute)
	if err != nil || !st.Held {
		t.Fatalf("acquire the lease for %s: %+v, %v", holder, st, err)
	}
	return st.Fence
}

// handOver ends a's lease and gives it to b, as when a stops renewing
// (paused, cut off) and b's elector takes over; a is not told.
func (in *instances) handOver(t *testing.T, bFence *atomic.Int64, b *Dispatcher) {
	t.Helper()
	if _, err := (storage.Lease{DB: in.db, Engine: in.engine}).Release(context.Background(), "leader", "a"); err != nil {
		t.Error(err)
	}
	bFence.Store(in.acquire(t, "b"))
	b.Wake()
}

// refusals counts the claims the database refused to a dispatcher.
type refusals struct {
	*storage.Store
	n atomic.Int64
}

func (r *refusals) SettleAndClaim(ctx context.Context, results []storage.DeliveryResult, want int, f storage.ClaimFilter, lease time.Duration) (storage.Claimed, error) {
	got, err := r.Store.SettleAndClaim(ctx, results, want, f, lease)
	if errors.Is(err, storage.ErrNotLeader) {
		r.n.Add(1)
	}
	return got, err
}

// bothEngines runs test on SQLite (one file, two stores) and PostgreSQL.
func bothEngines(t *testing.T, test func(t *testing.T, in *instances)) {
	for _, e := range []storage.Engine{storage.SQLite, storage.PostgreSQL} {
		t.Run(e.String(), func(t *testing.T) { test(t, twoInstances(t, e)) })
	}
}

// TestHandoverMidFanOut: leadership moves from instance a to instance b in
// the middle of a fan-out, and a is not told (its Leading still says yes,
// as after a long pause): every recipient gets the outage, duplicates
// stay within one batch, a sends at most what it held when the database
// refused its fence, and a claims nothing afterwards.
func TestHandoverMidFanOut(t *testing.T) { bothEngines(t, testHandoverMidFanOut) }

func testHandoverMidFanOut(t *testing.T, in *instances) {
	ctx := context.Background()
	const n = 300
	addPeople(t, in.stores[0], parents(n, "gamma")...)
	aFence := in.acquire(t, "a")
	var bFence atomic.Int64
	optA := in.options(t, 0, func() (int64, bool) { return aFence, true }) // lies once deposed
	optB := in.options(t, 1, func() (int64, bool) { f := bFence.Load(); return f, f != 0 })
	optA.RateLimit, optB.RateLimit = 200, 200
	refused := &refusals{Store: in.stores[0]}
	optA.Store = refused
	b, _ := start(t, optB)
	var calls, atHandover atomic.Int64
	in.fakes[0].setFail(func(int64, string, string) error {
		if calls.Add(1) == 100 {
			in.handOver(t, &bFence, b)
			atHandover.Store(calls.Load())
		}
		return nil
	})
	a, _ := start(t, optA)
	ev := serviceEvent(t, in.stores[0], status.KindOutage, "ent-ecoles", "up", "down", april6)
	a.Wake()

	got := map[int64]int{}
	eventually(t, 30*time.Second, func() (bool, string) {
		clear(got)
		for _, f := range in.fakes {
			for _, m := range f.all() {
				got[m.chat]++
			}
		}
		return len(got) == n, fmt.Sprintf("%d of %d recipients reached", len(got), n)
	})
	eventually(t, 10*time.Second, func() (bool, string) {
		rows, err := storagetest.DeliveriesIn(ctx, in.db, ev)
		if err != nil {
			t.Fatal(err)
		}
		sent, pending, other := sentAndPending(t, rows)
		return sent == n, fmt.Sprintf("%d rows sent, %d pending, others %+v", sent, pending, other)
	})
	byA, byB := len(in.fakes[0].all()), len(in.fakes[1].all())
	if dup := byA + byB - n; dup > optA.BatchSize {
		t.Errorf("%d duplicates (a sent %d, b %d), want at most one batch (%d)", dup, byA, byB, optA.BatchSize)
	}
	if after := int64(byA) - atHandover.Load(); atHandover.Load() == 0 || after > int64(optA.BatchSize) {
		t.Errorf("a sent %d messages after it was deposed at its send %d, want at most one batch (%d)",
			after, atHandover.Load(), optA.BatchSize)
	}
	if byB == 0 {
		t.Error("b sent nothing: the handover came after the fan-out")
	}

	// a still believes it leads; the database refuses its claims: the
	// reply goes out through b alone.
	reply(t, in.stores[0], "reply:after-handover", 7, "Bonjour")
	a.Wake()
	b.Wake()
	in.fakes[1].waitCount(t, byB+1)
	time.Sleep(200 * time.Millisecond)
	if now := len(in.fakes[0].all()); now != byA {
		t.Errorf("a, deposed, sent %d more messages, want none", now-byA)
	}
	// Once refused, a's term is over: it does not ask again and again.
	if got := refused.n.Load(); got != 1 {
		t.Errorf("a's claims refused %d times, want once", got)
	}
}

// TestHandoverKeepsTelegramPause: Telegram asks instance a to wait (429)
// and a loses the lease right after: b, taking over, waits out the pause
// as well instead of sending at once.
func TestHandoverKeepsTelegramPause(t *testing.T) { bothEngines(t, testHandoverKeepsTelegramPause) }

func testHandoverKeepsTelegramPause(t *testing.T, in *instances) {
	const n, pause = 30, 2 * time.Second
	addPeople(t, in.stores[0], parents(n, "gamma")...)
	aFence := in.acquire(t, "a")
	var bFence atomic.Int64
	optA := in.options(t, 0, func() (int64, bool) { return aFence, true })
	optB := in.options(t, 1, func() (int64, bool) { f := bFence.Load(); return f, f != 0 })
	b, _ := start(t, optB)
	var calls atomic.Int64
	var limited atomic.Pointer[time.Time]
	in.fakes[0].setFail(func(int64, string, string) error {
		if calls.Add(1) != 10 {
			return nil
		}
		at := time.Now()
		limited.Store(&at)
		go func() {
			// The handover comes once a recorded its pause, or half-way
			// through it should a never record it.
			for deadline := time.Now().Add(pause / 2); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if left, err := in.stores[0].SendsPaused(context.Background()); err == nil && left > 0 {
					break
				}
			}
			in.handOver(t, &bFence, b)
		}()
		return wrapped(tgErr{class: "rate_limited", delay: pause})
	})
	a, _ := start(t, optA)
	serviceEvent(t, in.stores[0], status.KindOutage, "ent-ecoles", "up", "down", april6)
	a.Wake()
	first := in.fakes[1].waitCount(t, 1)[0]
	at := limited.Load()
	if at == nil {
		t.Fatal("b sent before a's 429")
	}
	if first.at.Before(at.Add(pause)) {
		t.Errorf("b sent its first message %v after a's 429, want after the pause of %v", first.at.Sub(*at), pause)
	}
}

// TestHandoverKeepsChatSpacing: a chat that instance a just sent to gets
// b's next message one PrivateInterval later, not at once.
func TestHandoverKeepsChatSpacing(t *testing.T) { bothEngines(t, testHandoverKeepsChatSpacing) }

func testHandoverKeepsChatSpacing(t *testing.T, in *instances) {
	const spacing = 2 * time.Second
	addPeople(t, in.stores[0], parents(1, "gamma")...)
	aFence := in.acquire(t, "a")
	var bFence atomic.Int64
	optA := in.options(t, 0, func() (int64, bool) { return aFence, true })
	optB := in.options(t, 1, func() (int64, bool) { f := bFence.Load(); return f, f != 0 })
	optA.PrivateInterval, optB.PrivateInterval = spacing, spacing
	b, _ := start(t, optB)
	a, _ := start(t, optA)
	ev := reply(t, in.stores[0], "reply:1", 1, "Un")
	a.Wake()
	firstSend := in.fakes[0].waitCount(t, 1)[0].at
	eventually(t, 5*time.Second, func() (bool, string) {
		rows, err := storagetest.DeliveriesIn(context.Background(), in.db, ev)
		return err == nil && len(rows) == 1 && rows[0].State == "sent", fmt.Sprintf("reply rows %+v (%v)", rows, err)
	})
	in.handOver(t, &bFence, b)
	reply(t, in.stores[0], "reply:2", 1, "Deux")
	b.Wake()
	second := in.fakes[1].waitCount(t, 1)[0].at
	if second.Before(firstSend.Add(spacing - 50*time.Millisecond)) {
		t.Errorf("b sent to the chat %v after a did, want at least %v", second.Sub(firstSend), spacing)
	}
}
