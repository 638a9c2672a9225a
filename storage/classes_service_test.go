package storage

import (
	"context"
	"slices"
	"testing"

	"sentinelle/storage/storagetest"
)

// TestMigrationKeepsClassesUnbound: classes made before classes were bound
// to an ENT keep everything (name, plan B, members) and are bound to none,
// which keeps their plan B with every ENT of their académie.
func TestMigrationKeepsClassesUnbound(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, dbAtVersion(t, 6,
		`INSERT INTO chats (chat_id, kind, role, created_at, updated_at) VALUES (103, 'private', 'enseignant', 0, 0),
			(101, 'private', 'parent', 0, 0)`,
		`INSERT INTO subscriptions VALUES (103, 'versailles', 0), (101, 'versailles', 0)`,
		`INSERT INTO classes (id, code, name, academie, owner_chat_id, owner_user_id, plan_b, created_at)
			VALUES (1, 'ABCD2345', '6e B', 'versailles', 103, 103, 'Lumni', 0)`,
		`INSERT INTO class_members VALUES (1, 101, 0)`))
	owned, err := storagetest.Do(s.Update, ctx, func(tx *Tx) ([]ClassInfo, error) { return tx.OwnedClasses(ctx, 103) })
	if err != nil || len(owned) != 1 {
		t.Fatalf("owned classes after migration: %+v %v, want one", owned, err)
	}
	c := owned[0]
	if c.Code != "ABCD2345" || c.Name != "6e B" || c.PlanB != "Lumni" || c.Members != 1 || c.ServiceID != "" {
		t.Errorf("class after migration: %+v, want it intact and bound to no ENT", c)
	}
}

// TestSetClassService: a class is created bound or not, is bound later,
// reads back its ENT everywhere, and a closed class is not bound.
func TestSetClassService(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		if err := importSubscribers(ctx, s, []subscriber{{Chat: NewChat(1), Academies: []string{"versailles"}},
			{Chat: NewChat(2)}}); err != nil {
			t.Fatal(err)
		}
		var bound, later, closed Class
		err := s.Update(ctx, func(tx *Tx) error {
			var err error
			if bound, err = tx.CreateClass(ctx, NewClass{Code: "A", Name: "A", Academie: "versailles", OwnerChatID: 1, ServiceID: "enc92"}); err != nil {
				return err
			}
			if later, err = tx.CreateClass(ctx, NewClass{Code: "B", Name: "B", Academie: "versailles", OwnerChatID: 1}); err != nil {
				return err
			}
			if closed, err = tx.CreateClass(ctx, NewClass{Code: "C", Name: "C", Academie: "versailles", OwnerChatID: 1}); err != nil {
				return err
			}
			if err := tx.JoinClass(ctx, later.ID, 2); err != nil {
				return err
			}
			if err := tx.CloseClass(ctx, closed.ID); err != nil {
				return err
			}
			if err := tx.SetClassService(ctx, later.ID, "ecollege78"); err != nil {
				return err
			}
			return tx.SetClassService(ctx, closed.ID, "enc92")
		})
		if err != nil {
			t.Fatal(err)
		}
		if bound.ServiceID != "enc92" {
			t.Errorf("CreateClass returned service %q, want enc92", bound.ServiceID)
		}
		for id, want := range map[int64]string{bound.ID: "enc92", later.ID: "ecollege78", closed.ID: ""} {
			c, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Class, error) { return tx.ClassByID(ctx, id) })
			if err != nil || c.ServiceID != want {
				t.Errorf("class %d: service %q %v, want %q", id, c.ServiceID, err, want)
			}
		}
		owned, err := storagetest.Do(s.Update, ctx, func(tx *Tx) ([]ClassInfo, error) { return tx.OwnedClasses(ctx, 1) })
		var got []string
		for _, c := range owned {
			got = append(got, c.ServiceID)
		}
		if err != nil || !slices.Equal(got, []string{"enc92", "ecollege78"}) {
			t.Errorf("owned classes' services %v %v, want [enc92 ecollege78]", got, err)
		}
		joined, err := storagetest.Do(s.Update, ctx, func(tx *Tx) ([]Class, error) { return tx.JoinedClasses(ctx, 2) })
		if err != nil || len(joined) != 1 || joined[0].ServiceID != "ecollege78" {
			t.Errorf("joined classes %+v %v, want B bound to ecollege78", joined, err)
		}
	})
}
