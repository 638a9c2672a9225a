package storage

import (
	"context"
	"errors"
	"testing"

	"sentinelle/storage/storagetest"
)

// inTx runs fn in one ApplyUpdates transaction with a fresh update id.
func inTx(t *testing.T, s *Store, fn func(ctx context.Context, tx *Tx) error) {
	t.Helper()
	ctx := context.Background()
	last, err := s.LastUpdateID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyUpdates(ctx, last+1, func(tx *Tx, _ int64) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// expandAll writes every delivery row of a new event.
func expandAll(t *testing.T, s *Store, e NewEvent, spec ExpandSpec) int64 {
	t.Helper()
	spec.EventID = mustInsert(t, s, e)
	for p := (ExpandProgress{}); !p.Done; {
		var err error
		if p, err = s.ExpandStep(context.Background(), spec); err != nil {
			t.Fatal(err)
		}
	}
	return spec.EventID
}

// subscriber is a chat with the académies it follows, saved together by
// importSubscribers.
type subscriber struct {
	Chat      Chat
	Academies []string
}

// importSubscribers saves chats and their subscriptions in one
// transaction, the way a test seeds a database.
func importSubscribers(ctx context.Context, s *Store, subs []subscriber) error {
	return s.Update(ctx, func(tx *Tx) error {
		for _, sub := range subs {
			if err := tx.CreateOrUpdateChat(ctx, sub.Chat); err != nil {
				return err
			}
			for _, a := range sub.Academies {
				if err := tx.Subscribe(ctx, sub.Chat.ID, a); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// insertOne writes one event in a transaction of its own.
func insertOne(ctx context.Context, s *Store, e NewEvent) (int64, bool, error) {
	return storagetest.Do2(s.Update, ctx, func(tx *Tx) (int64, bool, error) { return tx.InsertEvent(ctx, e) })
}

// serviceState is one service's row among ServiceStates, or ErrNotFound
// when it was never checked.
func serviceState(ctx context.Context, s *Store, id string) (ServiceState, error) {
	st, err := storagetest.One(s.ServiceStates, ctx, func(st ServiceState) bool { return st.ServiceID == id })
	if errors.Is(err, storagetest.ErrNotFound) {
		return ServiceState{}, ErrNotFound
	}
	return st, err
}

// appliedMigrations lists the versions recorded in schema_migrations.
func appliedMigrations(ctx context.Context, s *Store) ([]int, error) {
	return queryAll(ctx, s.r, "list migrations", scanValue[int], `SELECT version FROM schema_migrations ORDER BY version`)
}

// queryPlan returns the details of SQLite's EXPLAIN QUERY PLAN of q.
func queryPlan(t *testing.T, s *Store, q string, args ...any) []string {
	t.Helper()
	plan, err := queryAll(context.Background(), s.r, "query plan", func(row rowScanner) (string, error) {
		var id, parent, unused int
		var detail string
		err := row.Scan(&id, &parent, &unused, &detail)
		return detail, err
	}, `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}
