package storage

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestFrozenWriterReleasesTheLock: a client that goes silent inside a
// write transaction (a frozen VM, a stopped process) holds the writers'
// lock; PostgreSQL ends its session after postgresIdleInTransaction, and
// the other writers, and whoever wants the lease, go on. Without it they
// would wait until the silent client's TCP connection died, hours later.
func TestFrozenWriterReleasesTheLock(t *testing.T) {
	old := postgresIdleInTransaction
	postgresIdleInTransaction = "300ms"
	t.Cleanup(func() { postgresIdleInTransaction = old })
	s := openPostgresTest(t)
	ctx := context.Background()
	if _, err := s.Lease().Acquire(ctx, "leader", "frozen", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // its lease runs out: "other" may take it

	frozen := make(chan error, 1)
	locked := make(chan struct{})
	thaw := make(chan struct{})
	go func() {
		frozen <- s.write(ctx, func(tx *dbTx) error {
			if err := setMeta(ctx, tx, "frozen", "1", 0); err != nil {
				return err
			}
			// As a holder frozen inside its renewal would: the lease's row
			// locked until commit.
			if _, err := tx.ExecContext(ctx, `SELECT holder FROM leases WHERE name = 'leader' FOR UPDATE`); err != nil {
				return err
			}
			close(locked)
			<-thaw // silent inside the transaction, holding the writers' lock
			return setMeta(ctx, tx, "frozen", "2", 0)
		})
	}()
	<-locked

	wrote := make(chan error, 1)
	go func() { wrote <- s.write(ctx, func(tx *dbTx) error { return setMeta(ctx, tx, "other", "1", 0) }) }()
	lease := make(chan error, 1)
	go func() {
		st, err := s.Lease().Acquire(ctx, "leader", "other", time.Minute)
		if err == nil && !st.Held {
			err = errors.New("the expired lease was not taken")
		}
		lease <- err
	}()
	for name, ch := range map[string]chan error{"another writer": wrote, "the lease": lease} {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		case <-time.After(20 * time.Second):
			close(thaw)
			t.Fatalf("%s still waits on the frozen writer's transaction", name)
		}
	}
	close(thaw)
	if err := <-frozen; err == nil {
		t.Fatal("the frozen writer's transaction committed after its session was ended")
	}
	if v, err := s.Meta(ctx, "frozen"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the frozen writer's first write: %q, %v; want it rolled back", v, err)
	}
}
