package leader

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sentinelle/storage"
	"sentinelle/storage/pgtest"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
)

// testLease is the lease of the PostgreSQL tests: short, so that they
// last seconds, and long enough for a loaded machine's scheduling. An
// elector attempts every quarter of it (testEvery, 375 ms), a lease
// granted lasts the rest (testHeld, 1125 ms) on the database's clock, and
// its leader stops a fifth of that sooner (testMargin, 225 ms).
const (
	testLease  = 1500 * time.Millisecond
	testEvery  = testLease / 4
	testHeld   = testLease - testEvery
	testMargin = testHeld / 5
)

// slack is what the bounds of the PostgreSQL tests allow for scheduling
// and the database on a shared machine (the exact timings are checked on
// a simulated clock: TestReplacedWithinLease, TestStopsBeforeTheDatabase).
const slack = 300 * time.Millisecond

// postgresDSN is a new PostgreSQL database holding storage's PostgreSQL
// schema. storage applies its migrations unexported, so the test reads
// the same files from the source tree, in order.
func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := pg.Database(t)
	files, err := filepath.Glob("../storage/migrations/postgres/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("storage's PostgreSQL migrations: %v, %d files", err, len(files))
	}
	slices.Sort(files)
	db := pgtest.Open(t, dsn)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return dsn
}

// cuttable is a storage.Lease whose network can be cut: once cut, every
// call hangs until its context ends, as on a link that drops packets. It
// reports each attempt answered on attempts, dropping it when full.
type cuttable struct {
	storage.Lease
	cut      atomic.Bool
	attempts chan attempt
}

// attempt is an Acquire answered: when it began, and whether it held.
type attempt struct {
	start time.Time
	held  bool
}

func (c *cuttable) Acquire(ctx context.Context, name, holder string, d time.Duration) (storage.LeaseState, error) {
	if c.cut.Load() {
		<-ctx.Done()
		return storage.LeaseState{}, ctx.Err()
	}
	start := time.Now()
	st, err := c.Lease.Acquire(ctx, name, holder, d)
	select {
	case c.attempts <- attempt{start, err == nil && st.Held}:
	default:
	}
	return st, err
}

// timeline records the changes of role of several electors, in order.
type timeline struct {
	mu     sync.Mutex
	events []event
}

type event struct {
	who  string
	role Role
}

func (tl *timeline) add(who string) func(Role) {
	return func(r Role) {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		tl.events = append(tl.events, event{who, r})
	}
}

// first is the first change of who to leading (or not) after since.
func (tl *timeline) first(who string, leading bool, since time.Time) (Role, bool) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, e := range tl.events {
		if e.who == who && e.role.Leading == leading && !e.role.At.Before(since) {
			return e.role, true
		}
	}
	return Role{}, false
}

// instance is one elector on a pool of its own, run until stop.
type instance struct {
	e     *Elector
	net   *cuttable
	stop  context.CancelFunc
	ended chan struct{}
}

func start(t *testing.T, dsn, who string, tl *timeline) *instance {
	t.Helper()
	net := &cuttable{Lease: storage.Lease{DB: pgtest.Open(t, dsn), Engine: storage.PostgreSQL},
		attempts: make(chan attempt, 64)}
	e, err := New(Options{Leases: net, Holder: who, Lease: testLease, OnChange: tl.add(who)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{e: e, net: net, stop: cancel, ended: make(chan struct{})}
	go func() {
		defer close(in.ended)
		if err := e.Run(ctx); err != nil {
			t.Errorf("%s: Run: %v", who, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-in.ended })
	return in
}

// next waits for the instance's next attempt answered that held (or was
// refused), ignoring those before the call, and returns when it began.
func (in *instance) next(t *testing.T, held bool) time.Time {
	t.Helper()
	for len(in.net.attempts) > 0 {
		<-in.net.attempts
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case a := <-in.net.attempts:
			if a.held == held {
				return a.start
			}
		case <-timeout:
			t.Fatalf("no attempt answered held=%v within 5s", held)
		}
	}
}

// waitLeading waits until e leads, at most within, and returns when it
// saw it and the fence.
func waitLeading(t *testing.T, who string, e *Elector, within time.Duration) (time.Time, int64) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if fence, ok := e.Leading(); ok {
			return time.Now(), fence
		}
	}
	t.Fatalf("%s does not lead after %v", who, within)
	return time.Time{}, 0
}

// twoInstances starts a, waits until it leads, then starts b 20 ms before
// a's next renewal, so that b's attempts fall just before a's: the worst
// case of a takeover, b's attempt coming a moment before a dead leader's
// lease runs out. It checks that b follows for two renewal periods.
func twoInstances(t *testing.T, tl *timeline) (a, b *instance, fence int64) {
	t.Helper()
	dsn := postgresDSN(t)
	a = start(t, dsn, "a", tl)
	_, fence = waitLeading(t, "a", a.e, 5*time.Second)
	renewed := a.next(t, true)
	time.Sleep(time.Until(renewed.Add(testEvery - 20*time.Millisecond)))
	b = start(t, dsn, "b", tl)
	time.Sleep(2 * testEvery)
	if _, ok := b.e.Leading(); ok {
		t.Fatal("b leads while a holds the lease")
	}
	return a, b, fence
}

// TestTakeoverAfterCrash kills the leader's Run without releasing its
// lease, as SIGKILL would, just after a renewal, b attempting just before
// each of a's renewals (the worst case): the other instance leads once the
// lease ran out on the database's clock, not sooner, and within Lease (the
// lease held three quarters of it, then b's next attempt a quarter later),
// with the next fence.
func TestTakeoverAfterCrash(t *testing.T) {
	var tl timeline
	a, b, fence := twoInstances(t, &tl)
	renewed := a.next(t, true)
	killed := time.Now()
	a.stop()
	<-a.ended
	at, got := waitLeading(t, "b", b.e, testLease+slack+time.Second)
	took := at.Sub(killed)
	t.Logf("b leads %v after a was killed just after renewing (lease %v, held %v)", took, testLease, testHeld)
	if took > testLease+slack {
		t.Errorf("b leads %v after a was killed, want within the lease, %v (+ %v)", took, testLease, slack)
	}
	// The database's clock read a's renewal after renewed: a's lease ran
	// until at least renewed + testHeld (10 ms for the two clocks' rates).
	if held := at.Sub(renewed); held < testHeld-10*time.Millisecond {
		t.Errorf("b leads %v after a's last renewal began, before a's lease (%v) ran out", held, testHeld)
	}
	if got != fence+1 {
		t.Errorf("b's fence = %d, want %d (a's + 1)", got, fence+1)
	}
	down, ok := tl.first("a", false, killed)
	up, _ := tl.first("b", true, killed)
	if !ok || !down.At.Before(up.At) {
		t.Errorf("a reported follower at %v (%v), b leading at %v: want a first", down.At, ok, up.At)
	}
}

// TestNetworkCut cuts the leader from the database while it keeps
// running: it must report follower before the other instance leads, and
// never may both lead at once; back on the network, it stays follower.
func TestNetworkCut(t *testing.T) {
	var tl timeline
	a, b, fence := twoInstances(t, &tl)
	both := make(chan time.Time, 1)
	watch, stopWatch := context.WithCancel(context.Background())
	var watched sync.WaitGroup
	watched.Go(func() {
		for watch.Err() == nil {
			_, okA := a.e.Leading()
			_, okB := b.e.Leading()
			if okA && okB {
				select {
				case both <- time.Now():
				default:
				}
			}
			time.Sleep(time.Millisecond)
		}
	})
	renewed := a.next(t, true)
	cut := time.Now()
	a.net.cut.Store(true)
	at, got := waitLeading(t, "b", b.e, testLease+slack+time.Second)
	stopWatch()
	watched.Wait()
	select {
	case when := <-both:
		t.Errorf("a and b both led at %v", when)
	default:
	}
	down, ok := tl.first("a", false, cut)
	up, _ := tl.first("b", true, cut)
	t.Logf("cut at 0, a follower at %v, b leader at %v (seen at %v), gap %v",
		down.At.Sub(cut), up.At.Sub(cut), at.Sub(cut), up.At.Sub(down.At))
	if !ok || !down.At.Before(up.At) {
		t.Fatalf("a reported follower at %v (%v), b leading at %v: want a first", down.At, ok, up.At)
	}
	// a was cut just after a renewal: it stops at that renewal's start +
	// held - margin on its own clock, and must have stopped before its
	// lease ran out on the database's (the margin is the slack a loaded
	// machine's timers get; the exact instant is TestStopsBeforeTheDatabase's).
	if d, want := down.At.Sub(renewed), testHeld-testMargin; d < want-10*time.Millisecond || d >= testHeld {
		t.Errorf("a reported follower %v after its last renewal began, want from held - margin (%v) and before its lease ran out (%v)", d, want, testHeld)
	}
	if got != fence+1 {
		t.Errorf("b's fence = %d, want %d", got, fence+1)
	}
	a.net.cut.Store(false)
	time.Sleep(2 * testEvery)
	if _, ok := a.e.Leading(); ok {
		t.Error("a leads again once back on the network, while b holds the lease")
	}
	if f, ok := b.e.Leading(); !ok || f != fence+1 {
		t.Errorf("b: fence %d, leading %v; want %d, true", f, ok, fence+1)
	}
}

// TestHandoverOnCleanStop stops the leader cleanly (Run ended, then
// Resign) just after the other instance was refused: it leads at its next
// attempt, a quarter of the lease later, well before the lease would have
// run out.
func TestHandoverOnCleanStop(t *testing.T) {
	var tl timeline
	a, b, fence := twoInstances(t, &tl)
	refused := b.next(t, false)
	a.stop()
	<-a.ended
	if err := a.e.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	resigned := time.Now()
	at, got := waitLeading(t, "b", b.e, 5*time.Second)
	took := at.Sub(resigned)
	t.Logf("b leads %v after a resigned, %v after its last refusal began (renewal period %v)", took, at.Sub(refused), testEvery)
	if max := testEvery + slack; at.Sub(refused) > max {
		t.Errorf("b leads %v after its last refusal began, want at its next attempt, within %v", at.Sub(refused), max)
	}
	if got != fence+1 {
		t.Errorf("b's fence = %d, want %d", got, fence+1)
	}
}
