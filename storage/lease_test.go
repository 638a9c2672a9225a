package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"
)

// leaseEngines runs body once per engine on a new, migrated database: the
// SQLite store (whose own clock is fixed in 2021, so that a lease measured
// on it instead of the database's would be long expired) and a PostgreSQL
// database through pgx's database/sql driver.
func leaseEngines(t *testing.T, body func(t *testing.T, l Lease)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		body(t, Lease{DB: openTest(t).w, Engine: SQLite}) // SQLite: the store's writer
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db := migratedPostgres(t)
		// Open the connections racing holders need beforehand, so that
		// they race on the row, not on connecting.
		db.SetMaxIdleConns(16)
		var conns []*sql.Conn
		for range 8 {
			c, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		body(t, Lease{DB: db, Engine: PostgreSQL})
	})
}

// acquire is Lease.Acquire that fails the test on an error.
func acquire(t *testing.T, l Lease, holder string, d time.Duration) LeaseState {
	t.Helper()
	st, err := l.Acquire(context.Background(), "leader", holder, d)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// wantLease checks what an acquisition reported.
func wantLease(t *testing.T, what string, got LeaseState, held bool, holder string, fence int64) {
	t.Helper()
	if got.Held != held || got.Holder != holder || got.Fence != fence {
		t.Errorf("%s: held %v by %q fence %d, want held %v by %q fence %d",
			what, got.Held, got.Holder, got.Fence, held, holder, fence)
	}
}

// TestLeaseAcquireRenewRelease walks a lease through its life: taken,
// renewed (same fence, later expiry), refused to another holder while it
// runs, taken over once it expired on the database's clock (fence + 1),
// released, and taken at once after the release (fence + 1 again).
func TestLeaseAcquireRenewRelease(t *testing.T) {
	leaseEngines(t, func(t *testing.T, l Lease) {
		ctx := context.Background()
		before := time.Now()
		first := acquire(t, l, "a", time.Minute)
		wantLease(t, "a takes a free lease", first, true, "a", 1)
		// Measured on the database's clock: the real one here, not the
		// store's fixed 2021 clock.
		if lo, hi := before.Add(time.Minute-time.Second), time.Now().Add(time.Minute+time.Second); first.ExpiresAt.Before(lo) || first.ExpiresAt.After(hi) {
			t.Errorf("expires at %v, want between %v and %v (the database's now + 1 min)", first.ExpiresAt, lo, hi)
		}
		time.Sleep(5 * time.Millisecond)
		renewed := acquire(t, l, "a", time.Minute)
		wantLease(t, "a renews", renewed, true, "a", 1)
		if !renewed.ExpiresAt.After(first.ExpiresAt) {
			t.Errorf("renewal expires at %v, want after %v", renewed.ExpiresAt, first.ExpiresAt)
		}
		wantLease(t, "b while a's lease runs", acquire(t, l, "b", time.Minute), false, "a", 1)

		acquire(t, l, "a", 500*time.Millisecond) // shortened on renewal
		wantLease(t, "b before a's short lease expired", acquire(t, l, "b", time.Minute), false, "a", 1)
		time.Sleep(600 * time.Millisecond)
		wantLease(t, "b after a's lease expired", acquire(t, l, "b", time.Minute), true, "b", 2)
		wantLease(t, "a, deposed, renews", acquire(t, l, "a", time.Minute), false, "b", 2)
		wantLease(t, "b renews", acquire(t, l, "b", time.Minute), true, "b", 2)

		if ok, err := l.Release(ctx, "leader", "a"); ok || err != nil {
			t.Errorf("a releases b's lease: %v, %v; want false, nil", ok, err)
		}
		wantLease(t, "a after a's wrong release", acquire(t, l, "a", time.Minute), false, "b", 2)
		if ok, err := l.Release(ctx, "leader", "b"); !ok || err != nil {
			t.Errorf("b releases its lease: %v, %v; want true, nil", ok, err)
		}
		wantLease(t, "a right after b's release", acquire(t, l, "a", time.Minute), true, "a", 3)
		wantLease(t, "b after its release", acquire(t, l, "b", time.Minute), false, "a", 3)
	})
}

// TestLeaseRace has holders race for a free lease, then for an expired
// one: each time exactly one gets it, everybody else is told who, and the
// fence grew by one per change of holder, not per contender. The leases
// they ask for last a minute, so that a contender slowed down (the race
// detector, a loaded machine) still finds the winner's lease running; the
// winner then shortens its own to expire it for the second round.
func TestLeaseRace(t *testing.T) {
	leaseEngines(t, func(t *testing.T, l Lease) {
		const n = 8
		race := func(round int) (winner string) {
			var wg sync.WaitGroup
			results := make([]LeaseState, n)
			errs := make([]error, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					results[i], errs[i] = l.Acquire(context.Background(), "leader", fmt.Sprintf("r%d-%d", round, i), time.Minute)
				})
			}
			close(start)
			wg.Wait()
			for i, r := range results {
				if errs[i] != nil {
					t.Fatalf("holder %d: %v", i, errs[i])
				}
				if r.Held {
					if winner != "" {
						t.Errorf("round %d: both %s and %s hold the lease", round, winner, r.Holder)
					}
					winner = r.Holder
				}
			}
			if winner == "" {
				t.Fatalf("round %d: nobody holds the lease", round)
			}
			for i, r := range results {
				if r.Holder != winner || r.Fence != int64(round) {
					t.Errorf("round %d, holder %d: told %q fence %d, want %q fence %d", round, i, r.Holder, r.Fence, winner, round)
				}
			}
			return winner
		}
		first := race(1)
		acquire(t, l, first, 300*time.Millisecond)
		time.Sleep(400 * time.Millisecond)
		race(2)
	})
}

// TestLeasePlaceholdersInOrder pins what the lease SQL relies on:
// go-sqlite3 binds $1, $2… by order of first appearance, not by number.
// If a driver update made it bind by number, this fails and the rule in
// Lease's comment can go.
func TestLeasePlaceholdersInOrder(t *testing.T) {
	s := openTest(t)
	var first, second int
	if err := s.r.QueryRowContext(context.Background(), `SELECT $2, $1`, 1, 2).Scan(&first, &second); err != nil {
		t.Fatal(err)
	}
	if first != 1 || second != 2 {
		t.Errorf("SELECT $2, $1 with (1, 2) = %d, %d; want 1, 2 (bound by order of appearance)", first, second)
	}
}
