package storage

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"sentinelle/storage/storagetest"
)

// TestMigrationKeepsSubscriptionsWhole: a database from before départements
// migrates with every subscription intact, each following its whole
// académie.
func TestMigrationKeepsSubscriptionsWhole(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, dbAtVersion(t, 5,
		`INSERT INTO chats (chat_id, kind, role, created_at, updated_at) VALUES (1, 'private', 'parent', 0, 0),
			(2, 'private', 'parent', 0, 0), (-3, 'group', 'enseignant', 0, 0)`,
		`INSERT INTO subscriptions VALUES (1, 'versailles', 0), (1, 'creteil', 0), (2, 'bordeaux', 0), (-3, 'lille', 0)`))
	for chat, want := range map[int64][]string{1: {"creteil", "versailles"}, 2: {"bordeaux"}, -3: {"lille"}} {
		subs, err := storagetest.Do(s.Update, ctx, func(tx *Tx) ([]string, error) { return tx.subscriptions(ctx, chat) })
		if err != nil || !slices.Equal(subs, want) {
			t.Errorf("subscriptions of %d after migration: %v %v, want %v", chat, subs, err, want)
		}
		deps, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (map[string][]string, error) { return tx.subscriptionDepartements(ctx, chat) })
		if err != nil || len(deps) != 0 {
			t.Errorf("narrowing of %d after migration: %v %v, want none (whole académies)", chat, deps, err)
		}
	}
}

// TestNarrowSubscription: a narrowing replaces the previous one, none means
// the whole académie, it goes with its subscription, and it cannot exist
// without one.
func TestNarrowSubscription(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		if err := importSubscribers(ctx, s, []subscriber{{Chat: NewChat(1), Academies: []string{"versailles", "creteil"}}}); err != nil {
			t.Fatal(err)
		}
		narrowing := func() map[string][]string {
			t.Helper()
			m, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (map[string][]string, error) { return tx.subscriptionDepartements(ctx, 1) })
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		narrow := func(acad string, deps ...string) error {
			return s.Update(ctx, func(tx *Tx) error { return tx.NarrowSubscription(ctx, 1, acad, deps) })
		}
		if err := narrow("versailles", "92", "78"); err != nil {
			t.Fatal(err)
		}
		if err := narrow("creteil", "93"); err != nil {
			t.Fatal(err)
		}
		if got, want := narrowing(), map[string][]string{"versailles": {"78", "92"}, "creteil": {"93"}}; !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("narrowing %v, want %v", got, want)
		}
		if err := narrow("versailles", "95"); err != nil {
			t.Fatal(err)
		}
		if err := narrow("creteil"); err != nil {
			t.Fatal(err)
		}
		if got, want := narrowing(), map[string][]string{"versailles": {"95"}}; !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("narrowing after replacing %v, want %v", got, want)
		}
		if err := narrow("lille", "59"); err == nil {
			t.Error("narrowed an académie the chat does not follow")
		}
		if got, want := narrowing(), map[string][]string{"versailles": {"95"}}; !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("narrowing after a refused one %v, want %v: half-written", got, want)
		}
		if err := s.Update(ctx, func(tx *Tx) error { return tx.Unsubscribe(ctx, 1, "versailles") }); err != nil {
			t.Fatal(err)
		}
		if got := narrowing(); len(got) != 0 {
			t.Errorf("narrowing outlived its subscription: %v", got)
		}
		// A chat moved to a supergroup keeps its narrowing.
		if err := s.Update(ctx, func(tx *Tx) error {
			if err := tx.Subscribe(ctx, 1, "versailles"); err != nil {
				return err
			}
			if err := tx.NarrowSubscription(ctx, 1, "versailles", []string{"78"}); err != nil {
				return err
			}
			return tx.MigrateChat(ctx, 1, -1001)
		}); err != nil {
			t.Fatal(err)
		}
		got, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (map[string][]string, error) { return tx.subscriptionDepartements(ctx, -1001) })
		if want := map[string][]string{"versailles": {"78"}}; err != nil || !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("narrowing of the migrated chat %v %v, want %v", got, err, want)
		}
	})
}

// TestChatFollowing: the chat and what it follows in one read agree with
// Chat, Subscriptions and SubscriptionDepartements read one by one: none,
// whole académies, narrowed ones, a mix, in their order; an unknown chat
// is ErrNotFound.
func TestChatFollowing(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		c := NewChat(1)
		c.Role, c.DisplayName = "parent", "Camille"
		err := importSubscribers(ctx, s, []subscriber{{Chat: c}, {Chat: NewChat(2), Academies: []string{"versailles", "creteil", "lille"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, func(tx *Tx) error {
			if err := tx.NarrowSubscription(ctx, 2, "versailles", []string{"92", "78"}); err != nil {
				return err
			}
			return tx.NarrowSubscription(ctx, 2, "lille", []string{"59"})
		}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{1, 2} {
			err := s.Update(ctx, func(tx *Tx) error {
				chat, f, err := tx.ChatFollowing(ctx, id)
				if err != nil {
					return err
				}
				want, err := tx.Chat(ctx, id)
				if err != nil {
					return err
				}
				subs, err := tx.subscriptions(ctx, id)
				if err != nil {
					return err
				}
				deps, err := tx.subscriptionDepartements(ctx, id)
				if err != nil {
					return err
				}
				if chat != want {
					t.Errorf("chat %d: %+v, want %+v", id, chat, want)
				}
				if !slices.Equal(f.Academies, subs) || !maps.EqualFunc(f.Departements, deps, slices.Equal) {
					t.Errorf("chat %d follows %v %v, want %v %v", id, f.Academies, f.Departements, subs, deps)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		_, err = storagetest.Do(s.Update, ctx, func(tx *Tx) (Chat, error) {
			c, _, err := tx.ChatFollowing(ctx, 3)
			return c, err
		})
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown chat: %v, want ErrNotFound", err)
		}
	})
}
