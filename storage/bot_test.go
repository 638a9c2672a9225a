package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage/storagetest"
)

func TestApplyUpdatesRecordsBatchOnceAndSkipsDone(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		calls := 0
		apply := func(last int64, wantDone int64) bool {
			t.Helper()
			applied, err := s.ApplyUpdates(ctx, last, func(tx *Tx, done int64) error {
				calls++
				if done != wantDone {
					t.Errorf("done = %d, want %d", done, wantDone)
				}
				return tx.CreateOrUpdateChat(ctx, NewChat(last))
			})
			if err != nil {
				t.Fatalf("ApplyUpdates(%d): %v", last, err)
			}
			return applied
		}
		if !apply(105, -1) {
			t.Fatal("first batch not applied")
		}
		if apply(105, 105) || apply(90, 105) {
			t.Fatal("a batch already recorded was applied again")
		}
		if calls != 1 {
			t.Fatalf("fn called %d times, want 1", calls)
		}
		if !apply(110, 105) {
			t.Fatal("next batch not applied")
		}
		last, err := s.LastUpdateID(ctx)
		if err != nil || last != 110 {
			t.Fatalf("LastUpdateID = %d, %v; want 110", last, err)
		}
	})
}

func TestApplyUpdatesFailureKeepsNothing(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		boom := errors.New("boom")
		_, err := s.ApplyUpdates(ctx, 7, func(tx *Tx, _ int64) error {
			if err := tx.CreateOrUpdateChat(ctx, NewChat(1)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		if _, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Chat, error) { return tx.Chat(ctx, 1) }); !errors.Is(err, ErrNotFound) {
			t.Fatalf("chat kept after a failed batch: %v", err)
		}
		if last, _ := s.LastUpdateID(ctx); last != -1 {
			t.Fatalf("offset recorded after a failed batch: %d", last)
		}
	})
}

func TestIsolateUndoesOnlyTheFailedPart(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.ApplyUpdates(ctx, 3, func(tx *Tx, _ int64) error {
			if err := tx.Isolate(ctx, func() error { return tx.CreateOrUpdateChat(ctx, NewChat(1)) }); err != nil {
				return err
			}
			// Written between two updates: the next one's failure keeps it.
			if err := tx.CreateOrUpdateChat(ctx, NewChat(4)); err != nil {
				return err
			}
			for _, id := range []int64{2, 5} { // two failures in a row
				err := tx.Isolate(ctx, func() error {
					if err := tx.CreateOrUpdateChat(ctx, NewChat(id)); err != nil {
						return err
					}
					return errors.New("handler bug")
				})
				if err == nil {
					t.Error("Isolate swallowed the error")
				}
			}
			return tx.Isolate(ctx, func() error { return tx.CreateOrUpdateChat(ctx, NewChat(3)) })
		})
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[int64]bool{1: true, 2: false, 3: true, 4: true, 5: false} {
			_, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Chat, error) { return tx.Chat(ctx, id) })
			if got := err == nil; got != want {
				t.Errorf("chat %d exists = %v, want %v (%v)", id, got, want, err)
			}
		}
	})
}

func TestTxSeesItsOwnWrites(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			c := NewChat(42)
			c.Role, c.Levels = "parent", status.College.Bit()|status.Lycee.Bit()
			if err := tx.CreateOrUpdateChat(ctx, c); err != nil {
				return err
			}
			if err := tx.Subscribe(ctx, 42, "versailles"); err != nil {
				return err
			}
			got, err := tx.Chat(ctx, 42)
			if err != nil || got.Role != "parent" || got.Levels != 6 {
				t.Errorf("tx.Chat = %+v, %v", got, err)
			}
			subs, err := tx.subscriptions(ctx, 42)
			if err != nil || len(subs) != 1 || subs[0] != "versailles" {
				t.Errorf("tx.Subscriptions = %v, %v", subs, err)
			}
			if _, err := tx.Chat(ctx, 43); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown chat: %v, want ErrNotFound", err)
			}
			return nil
		})
	})
}

func TestConfirmationTakenOnce(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		exp := fixedNow().Add(time.Hour)
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			if err := tx.CreateOrUpdateChat(ctx, NewChat(5)); err != nil {
				return err
			}
			return tx.CreateConfirmation(ctx, Confirmation{ID: "abc", ChatID: 5, UserID: 5, Kind: ConfirmAnnouncement,
				Target: "all", Text: "Bonjour", ExpiresAt: exp})
		})
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			c, err := tx.TakeConfirmation(ctx, "abc")
			if err != nil {
				return err
			}
			if c.Kind != ConfirmAnnouncement || c.Target != "all" || c.Text != "Bonjour" || c.UserID != 5 || !c.ExpiresAt.Equal(exp) {
				t.Errorf("confirmation = %+v", c)
			}
			if _, err := tx.TakeConfirmation(ctx, "abc"); !errors.Is(err, ErrNotFound) {
				t.Errorf("second take: %v, want ErrNotFound", err)
			}
			return nil
		})
	})
}

func TestPurgeConfirmations(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			if err := tx.CreateOrUpdateChat(ctx, NewChat(5)); err != nil {
				return err
			}
			for i, exp := range []time.Time{fixedNow().Add(-time.Minute), fixedNow().Add(time.Hour)} {
				c := Confirmation{ID: string(rune('a' + i)), ChatID: 5, UserID: 5, Kind: ConfirmForget, ExpiresAt: exp}
				if err := tx.CreateConfirmation(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		n, err := s.PurgeConfirmations(context.Background(), fixedNow())
		if err != nil || n != 1 {
			t.Fatalf("purged %d, %v; want 1", n, err)
		}
	})
}

func TestSetMaintenanceInTx(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		until := fixedNow().Add(2 * time.Hour)
		inTx(t, s, func(ctx context.Context, tx *Tx) error { return tx.SetMaintenance(ctx, "ent-x", until) })
		st, err := serviceState(ctx, s, "ent-x")
		if err != nil || !st.MaintenanceUntil.Equal(until) {
			t.Fatalf("state = %+v, %v", st, err)
		}
	})
}

func TestBotStats(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		subs := []subscriber{
			{Chat: Chat{ID: 1, Role: "parent", Active: true}, Academies: []string{"versailles", "paris"}},
			{Chat: Chat{ID: 2, Role: "eleve", Active: true}, Academies: []string{"versailles"}},
			{Chat: Chat{ID: -3, Kind: "group", Active: true}, Academies: []string{"lille"}},
			{Chat: Chat{ID: 4, Active: false}},
		}
		if err := importSubscribers(ctx, s, subs); err != nil {
			t.Fatal(err)
		}
		st, err := s.BotStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Chats != 3 || st.Inactive != 1 || st.Groups != 1 || st.Subscriptions != 4 {
			t.Errorf("stats = %+v", st)
		}
		if st.ByRole["parent"] != 1 || st.ByRole["eleve"] != 1 || st.ByRole[""] != 1 {
			t.Errorf("by role = %v", st.ByRole)
		}
		if len(st.TopAcademies) == 0 || st.TopAcademies[0] != (AcademieCount{"versailles", 2}) {
			t.Errorf("top = %v", st.TopAcademies)
		}
	})
}

// TestRepliesAbout finds the replies that name a person (About) for
// /oublier to rewrite, and Reply reads what RewriteReply left.
func TestRepliesAbout(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			for key, m := range map[string]OutMessage{
				"r:about": {Text: "Léa a rejoint la classe", About: 10},
				"r:plain": {Text: "Abonné."},
			} {
				e, err := NewReply(key, 5, m)
				if err != nil {
					return err
				}
				if _, _, err := tx.InsertEvent(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			got, err := tx.RepliesAbout(ctx, 10)
			if err != nil {
				return err
			}
			if len(got) != 1 || got[0].Message.Text != "Léa a rejoint la classe" {
				t.Fatalf("replies about 10: %+v, want the one naming Léa", got)
			}
			if err := tx.RewriteReply(ctx, got[0].EventID, OutMessage{Text: "Une personne a rejoint la classe"}); err != nil {
				return err
			}
			if m, err := tx.Reply(ctx, "r:about"); err != nil || m.Text != "Une personne a rejoint la classe" {
				t.Errorf("rewritten reply: %+v, %v", m, err)
			}
			if again, err := tx.RepliesAbout(ctx, 10); err != nil || len(again) != 0 {
				t.Errorf("replies about 10 after the rewrite: %+v, %v; want none", again, err)
			}
			return nil
		})
	})
}
