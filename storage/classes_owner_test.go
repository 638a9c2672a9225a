package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"

	"sentinelle/storage/storagetest"
)

// dbAtVersion writes a database file with the first n migrations only, as
// an older Sentinelle left it, and returns its path.
func dbAtVersion(t *testing.T, n int, seed ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
		applied_at INTEGER NOT NULL) STRICT`}
	for _, m := range all[:n] {
		stmts = append(stmts, m.sql, `INSERT INTO schema_migrations VALUES (`+strconv.Itoa(m.version)+`, '`+m.name+`', 0)`)
	}
	for _, s := range append(stmts, seed...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

// TestMigrationGivesClassesTheirOwner: classes made before the owner was
// recorded get it from the private chat they live in; a group's stay
// without a known person (its admins manage them); nothing else changes.
func TestMigrationGivesClassesTheirOwner(t *testing.T) {
	s := openAt(t, dbAtVersion(t, 3,
		`INSERT INTO chats (chat_id, kind, role, created_at, updated_at) VALUES (103, 'private', 'enseignant', 0, 0),
			(-200, 'group', 'enseignant', 0, 0), (101, 'private', 'parent', 0, 0)`,
		`INSERT INTO subscriptions VALUES (103, 'versailles', 0), (-200, 'lille', 0), (101, 'versailles', 0)`,
		`INSERT INTO classes (id, code, name, academie, owner_chat_id, plan_b, created_at)
			VALUES (1, 'ABCD2345', '6e B', 'versailles', 103, 'Lumni', 0), (2, 'EFGH6789', 'CM2', 'lille', -200, '', 0)`,
		`INSERT INTO class_members VALUES (1, 101, 0)`))
	for _, c := range []struct {
		code      string
		wantChat  int64
		wantUser  int64
		wantPlanB string
	}{
		{"ABCD2345", 103, 103, "Lumni"},
		{"EFGH6789", -200, 0, ""},
	} {
		got, err := storagetest.Do(s.Update, context.Background(), func(tx *Tx) (Class, error) { return tx.ClassByCode(context.Background(), c.code) })
		if err != nil {
			t.Fatal(err)
		}
		if got.OwnerChatID != c.wantChat || got.OwnerUserID != c.wantUser || got.PlanB != c.wantPlanB {
			t.Errorf("class %s after migration: chat %d user %d plan B %q, want %d %d %q", c.code,
				got.OwnerChatID, got.OwnerUserID, got.PlanB, c.wantChat, c.wantUser, c.wantPlanB)
		}
	}
	for chat, want := range map[int64]string{103: "versailles", -200: "lille", 101: "versailles"} {
		subs, err := storagetest.Do(s.Update, context.Background(), func(tx *Tx) ([]string, error) { return tx.subscriptions(context.Background(), chat) })
		if err != nil || len(subs) != 1 || subs[0] != want {
			t.Errorf("subscriptions of %d after migration: %v %v, want [%s]", chat, subs, err, want)
		}
	}
}
