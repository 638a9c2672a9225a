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
	granted []time.Time // the expiry of each lease granted, on the database's clock
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
		f.mu.Unlock()
	}
	return st, err
}

func (f *fakeLeases) Release(context.Context, string, string) (bool, error) { return true, nil }

// lastGrant is the expiry of the last lease granted.
func (f *fakeLeases) lastGrant() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.granted[len(f.granted)-1]
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
// connection can. Leading must turn false by itself, Margin (3 s) before
// the database's expiry of the last lease granted, and not sooner.
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
		expiry := f.lastGrant()
		if want := expiry.Add(-3 * time.Second); !stopped.Equal(want) {
			t.Errorf("stopped leading %v before the database's expiry, want exactly the margin, 3s", expiry.Sub(stopped))
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
				time.Sleep(5 * time.Second) // the renewal period
				synctest.Wait()
				if _, ok := e.Leading(); ok {
					t.Error("still leading after the renewal failed")
				}
				down, ok := tl.first("me", false, start)
				if !ok || down.Reason != tt.reason || down.At.Sub(start) != 5*time.Second {
					t.Errorf("reported follower %v after %v (%q), want after 5s (%q)", ok, down.At.Sub(start), down.Reason, tt.reason)
				}
			})
		})
	}
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
