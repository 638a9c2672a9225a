package leader

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"sentinelle/storage"
)

// fakeLeases is a lease table in memory whose clock is the bubble's (the
// "database's"); acquire, when set, decides each call instead, n counting
// from 1.
type fakeLeases struct {
	mu      sync.Mutex
	n       int
	acquire func(ctx context.Context, n int) (storage.LeaseState, error)
	granted []time.Time     // the expiry of each lease granted, on the database's clock
	held    []time.Duration // how long each lease granted was asked for
}

func (f *fakeLeases) Acquire(ctx context.Context, name, holder string, d time.Duration) (storage.LeaseState, error) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	st := storage.LeaseState{Held: true, Holder: holder, Fence: 7, ExpiresAt: time.Now().Add(d)}
	var err error
	if f.acquire != nil {
		st, err = f.acquire(ctx, n)
	}
	if err == nil && st.Held {
		f.mu.Lock()
		f.granted = append(f.granted, time.Now().Add(d))
		f.held = append(f.held, d)
		f.mu.Unlock()
	}
	return st, err
}

func (f *fakeLeases) Release(context.Context, string, string) (bool, error) { return true, nil }

// lastGrant is the expiry of the last lease granted and how long it was
// asked for.
func (f *fakeLeases) lastGrant() (time.Time, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.granted[len(f.granted)-1], f.held[len(f.held)-1]
}

// runFake runs an Elector of a 15 s lease over f in the bubble until the
// test's end, recording its changes of role.
func runFake(t *testing.T, f *fakeLeases) (*Elector, *timeline) {
	tl := &timeline{}
	e, err := New(Options{Leases: f, Holder: "me", Lease: 15 * time.Second, OnChange: tl.add("me")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e, tl
}

// taken is a lease another holder has.
var taken = storage.LeaseState{Holder: "other", Fence: 8}

// TestStopsBeforeTheDatabase cuts the leader off after its second
// renewal: the database hangs and ignores the context, as a dead TCP
// connection can. The lease granted lasts three quarters of the 15 s
// (11.25 s), and Leading must turn false by itself, the margin (a fifth
// of that, 2.25 s) before the database's expiry of the last lease granted,
// and not sooner.
func TestStopsBeforeTheDatabase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := make(chan struct{})
		defer close(hang)
		f := &fakeLeases{}
		f.acquire = func(_ context.Context, n int) (storage.LeaseState, error) {
			if n > 2 {
				<-hang
				return storage.LeaseState{}, errors.New("network")
			}
			return storage.LeaseState{Held: true, Holder: "me", Fence: 7}, nil
		}
		e, _ := runFake(t, f)
		synctest.Wait()
		var stopped time.Time
		for range 60_000 {
			if _, ok := e.Leading(); !ok {
				stopped = time.Now()
				break
			}
			time.Sleep(time.Millisecond)
		}
		expiry, held := f.lastGrant()
		if held != 11250*time.Millisecond {
			t.Errorf("the lease was asked for %v, want three quarters of 15s, 11.25s", held)
		}
		if want := expiry.Add(-2250 * time.Millisecond); !stopped.Equal(want) {
			t.Errorf("stopped leading %v before the database's expiry, want exactly the margin, 2.25s", expiry.Sub(stopped))
		}
	})
}

// TestStepsDown reports follower at the first renewal that fails or is
// refused, at once, without waiting for the lease to run out.
func TestStepsDown(t *testing.T) {
	for _, tt := range []struct {
		name   string
		second storage.LeaseState
		err    error
		reason string
	}{
		{"renewal fails", storage.LeaseState{}, errors.New("connection reset"), "error"},
		{"renewal refused", taken, nil, "refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				f := &fakeLeases{acquire: func(_ context.Context, n int) (storage.LeaseState, error) {
					if n == 2 {
						return tt.second, tt.err
					}
					if n > 2 {
						return taken, nil
					}
					return storage.LeaseState{Held: true, Holder: "me", Fence: 7}, nil
				}}
				e, tl := runFake(t, f)
				synctest.Wait()
				if fence, ok := e.Leading(); !ok || fence != 7 {
					t.Fatalf("after the first attempt: fence %d, leading %v; want 7, true", fence, ok)
				}
				time.Sleep(3750 * time.Millisecond) // the renewal period, a quarter of 15 s
				synctest.Wait()
				if _, ok := e.Leading(); ok {
					t.Error("still leading after the renewal failed")
				}
				down, ok := tl.first("me", false, start)
				if !ok || down.Reason != tt.reason || down.At.Sub(start) != 3750*time.Millisecond {
					t.Errorf("reported follower %v after %v (%q), want after 3.75s (%q)", ok, down.At.Sub(start), down.Reason, tt.reason)
				}
			})
		})
	}
}

// table is one lease row whose clock is the bubble's, shared by several
// electors: Acquire grants it to its holder or, once it expired, to
// anyone, as storage.Lease does.
type table struct {
	mu      sync.Mutex
	holder  string
	expires time.Time
	fence   int64
}

func (tb *table) Acquire(_ context.Context, _, holder string, d time.Duration) (storage.LeaseState, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	now := time.Now()
	if tb.holder != holder && now.Before(tb.expires) {
		return storage.LeaseState{Holder: tb.holder, Fence: tb.fence, ExpiresAt: tb.expires}, nil
	}
	if tb.holder != holder {
		tb.holder, tb.fence = holder, tb.fence+1
	}
	tb.expires = now.Add(d)
	return storage.LeaseState{Held: true, Holder: holder, Fence: tb.fence, ExpiresAt: tb.expires}, nil
}

func (tb *table) Release(context.Context, string, string) (bool, error) { return true, nil }

// TestReplacedWithinLease kills a 15 s leader in the worst case: just
// after a renewal, while the follower attempts just before each of the
// leader's renewals, so that its attempt falls a millisecond before the
// dead leader's lease expires. The follower must lead within 15 s of the
// death (the lease held 11.25 s, then the next attempt 3.75 s later),
// and not before the lease expired.
func TestReplacedWithinLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const lease, every, held = 15 * time.Second, 3750 * time.Millisecond, 11250 * time.Millisecond
		tb := &table{}
		run := func(who string) (*Elector, context.CancelFunc, chan struct{}) {
			e, err := New(Options{Leases: tb, Holder: who, Lease: lease})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); e.Run(ctx) }()
			return e, cancel, done
		}
		start := time.Now()
		a, killA, aDone := run("a")
		time.Sleep(every - time.Millisecond)
		b, stopB, bDone := run("b")
		defer func() { stopB(); <-bDone }()
		time.Sleep(start.Add(2 * every).Sub(time.Now())) // a renews at 2 × every
		synctest.Wait()
		if _, ok := a.Leading(); !ok {
			t.Fatal("a does not lead")
		}
		killA()
		<-aDone
		killed := time.Now()
		for {
			if _, ok := b.Leading(); ok {
				break
			}
			time.Sleep(time.Millisecond)
		}
		took := time.Since(killed)
		t.Logf("b leads %v after a died", took)
		if took > lease || took < held {
			t.Errorf("b leads %v after a died just after renewing, want within the lease (%v) and not before a's lease ran out (%v)", took, lease, held)
		}
	})
}

// TestAlways leads with no lease at all.
func TestAlways(t *testing.T) {
	e := Always()
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fence, ok := e.Leading(); !ok || fence != 1 {
		t.Errorf("Always: fence %d, leading %v; want 1, true", fence, ok)
	}
	if err := e.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Leading(); !ok {
		t.Error("Always stopped leading after Resign")
	}
	if e.Name() != "" {
		t.Errorf("Always names lease %q, want none", e.Name())
	}
	named, err := New(Options{Leases: &fakeLeases{}, Lease: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if named.Name() != DefaultName {
		t.Errorf("an elector without a name: lease %q, want %q", named.Name(), DefaultName)
	}
}
