package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"sentinelle/status"
	"sentinelle/storage/storagetest"
)

func TestChatRoundTripAndDefaults(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		c := NewChat(7)
		c.Role, c.Levels, c.DisplayName = "eleve", status.College.Bit()|status.Lycee.Bit(), "Léa"
		c.AlertOutage = false
		if err := s.Update(ctx, func(tx *Tx) error { return tx.CreateOrUpdateChat(ctx, c) }); err != nil {
			t.Fatal(err)
		}
		got, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Chat, error) { return tx.Chat(ctx, 7) })
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != "private" || got.Role != "eleve" || got.Levels != 6 || got.AlertOutage || !got.AlertRecovery ||
			got.AlertDegraded || !got.Active || got.DisplayName != "Léa" || got.CreatedAt.IsZero() {
			t.Errorf("chat %+v does not round-trip", got)
		}
		if _, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Chat, error) { return tx.Chat(ctx, 8) }); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown chat: err %v, want ErrNotFound", err)
		}
	})
}

func TestDeactivateChatCancelsItsPendingDeliveries(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		addChats(t, s, "alpha", 1, 2)
		id := expandAll(t, s, outage("o1"), ExpandSpec{Academies: []string{"alpha"}})
		if err := s.Update(ctx, func(tx *Tx) error { return tx.DeactivateChat(ctx, 1, "blocked") }); err != nil {
			t.Fatal(err)
		}
		rows, _ := storagetest.DeliveriesIn(ctx, s.r.DB, id)
		if st := map[int64]string{rows[0].ChatID: rows[0].State, rows[1].ChatID: rows[1].State}; st[1] != "cancelled" || st[2] != "pending" {
			t.Errorf("rows %v, want chat 1 cancelled, chat 2 untouched", st)
		}
		if c, _ := storagetest.Do(s.Update, ctx, func(tx *Tx) (Chat, error) { return tx.Chat(ctx, 1) }); c.Active {
			t.Error("chat still active")
		}
		if subs, _ := storagetest.Do(s.Update, ctx, func(tx *Tx) ([]string, error) { return tx.subscriptions(ctx, 1) }); len(subs) != 1 {
			t.Errorf("subscriptions %v: kept for a later /start", subs)
		}
	})
}

// TestMigrateChat moves a group to its supergroup id, and merges when the
// supergroup is already known: where both have a row, the new one wins.
func TestMigrateChat(t *testing.T) {
	for _, known := range []bool{false, true} {
		t.Run(fmt.Sprintf("known=%v", known), func(t *testing.T) {
			engines(t, func(t *testing.T, s *Store) { migrateGroup(t, s, known) })
		})
	}
}

// migrateGroup moves chat -100 (a group turned supergroup) to -1009, which
// the bot already knows when known is true.
func migrateGroup(t *testing.T, s *Store, known bool) {
	ctx := context.Background()
	addChats(t, s, "alpha", -100)
	addChats(t, s, "beta", -100)
	owner := NewChat(5)
	if err := s.Update(ctx, func(tx *Tx) error { return tx.CreateOrUpdateChat(ctx, owner) }); err != nil {
		t.Fatal(err)
	}
	class, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Class, error) {
		return tx.CreateClass(ctx, NewClass{Code: "C", Name: "6e A", Academie: "alpha", OwnerChatID: 5})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.JoinClass(ctx, class.ID, -100) }); err != nil {
		t.Fatal(err)
	}
	if known {
		addChats(t, s, "beta", -1009)
	}
	id := expandAll(t, s, outage("o1"), ExpandSpec{Academies: []string{"alpha", "beta"}})
	if err := s.Update(ctx, func(tx *Tx) error { return tx.MigrateChat(ctx, -100, -1009) }); err != nil {
		t.Fatal(err)
	}
	if _, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Chat, error) { return tx.Chat(ctx, -100) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("old chat still there (%v)", err)
	}
	if subs, _ := storagetest.Do(s.Update, ctx, func(tx *Tx) ([]string, error) { return tx.subscriptions(ctx, -1009) }); !slices.Equal(subs, []string{"alpha", "beta"}) {
		t.Errorf("new chat follows %v, want alpha and beta", subs)
	}
	rows, _ := storagetest.DeliveriesIn(ctx, s.r.DB, id)
	if len(rows) != 1 || rows[0].ChatID != -1009 {
		t.Errorf("rows %+v, want one row under the new id", rows)
	}
	var members int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM class_members WHERE chat_id = -1009`).Scan(&members); err != nil || members != 1 {
		t.Errorf("%d memberships moved (err %v), want 1", members, err)
	}
	// PostgreSQL checks foreign keys at each statement, so the migration
	// above would have failed; SQLite is asked.
	if s.engine == SQLite {
		var problems int
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&problems); err != nil || problems != 0 {
			t.Errorf("%d foreign key problems (err %v)", problems, err)
		}
	}
}

func TestClasses(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		if err := s.Update(ctx, func(tx *Tx) error { return tx.CreateOrUpdateChat(ctx, NewChat(5)) }); err != nil {
			t.Fatal(err)
		}
		c, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Class, error) {
			return tx.CreateClass(ctx, NewClass{Code: "4B", Name: "4e B", Academie: "lyon", OwnerChatID: 5, PlanB: "Manuel p. 12"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Class, error) {
			return tx.CreateClass(ctx, NewClass{Code: "4B", Name: "autre", Academie: "lyon", OwnerChatID: 5})
		}); err == nil {
			t.Error("a second class with the same code was created")
		}
		got, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Class, error) { return tx.ClassByCode(ctx, "4B") })
		if err != nil || got.ID != c.ID || got.PlanB != "Manuel p. 12" || !got.ClosedAt.IsZero() {
			t.Errorf("class %+v (err %v)", got, err)
		}
		if err := s.Update(ctx, func(tx *Tx) error { return tx.CloseClass(ctx, c.ID) }); err != nil {
			t.Fatal(err)
		}
		if got, _ := storagetest.Do(s.Update, ctx, func(tx *Tx) (Class, error) { return tx.ClassByCode(ctx, "4B") }); got.ClosedAt.IsZero() {
			t.Error("closed class has no closed_at")
		}
		if _, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Class, error) { return tx.ClassByCode(ctx, "nope") }); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown code: err %v", err)
		}
	})
}
