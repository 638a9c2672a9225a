package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// Migration 005 marks as seen (at a URL not recorded) a service that was
// judged or told about before it, and leaves a never-judged one alone.
func TestMigration005KeepsKnownServicesVerified(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`}
	for _, m := range all[:4] {
		stmts = append(stmts, m.sql, `INSERT INTO schema_migrations VALUES (`+itoa(int64(m.version))+`, '`+m.name+`', 0)`)
	}
	stmts = append(stmts, `INSERT INTO service_states (service_id, state, since) VALUES ('down', 'down', 0), ('fresh', 'unknown', 0)`,
		`INSERT INTO service_states (service_id, state, since, last_state, last_reason) VALUES ('quota', 'unknown', 0, 'down', 'waiting_room')`)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err := Open(context.Background(), path, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, want := range map[string]string{"down": SeenURLUnrecorded, "quota": SeenURLUnrecorded, "fresh": ""} {
		st, err := serviceState(context.Background(), s, id)
		if err != nil || st.SeenURL != want || st.Unverified {
			t.Errorf("%s: %+v, %v; want seen %q", id, st, err, want)
		}
	}
}
