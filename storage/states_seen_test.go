package storage

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"sentinelle/status"
)

// The checker's SeenURL and Unverified survive the round and a reopening,
// and the outcome lists a service when it becomes unverified, once.
func TestUnverifiedStoredAndReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seen.db")
	ctx := context.Background()
	s, err := Open(ctx, path, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	never := func(prev ServiceState, r CheckResult) ServiceState {
		prev.Unverified, prev.SeenURL = true, ""
		return prev
	}
	rec := func(s *Store, at int) RoundOutcome {
		out, err := s.RecordRound(ctx, RoundInput{Round: Round{StartedAt: minute(at), FinishedAt: minute(at)},
			Results: []CheckResult{res("a", status.Down, "http_status")}, Judge: never})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := rec(s, 0); len(out.Unverified) != 1 || out.Unverified[0].ServiceID != "a" {
		t.Fatalf("first round: unverified %+v, want a", out.Unverified)
	}
	s.Close()
	if s, err = Open(ctx, path, fixedNow); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if out := rec(s, 1); len(out.Unverified) != 0 {
		t.Fatalf("second round: unverified %+v, want none (already)", out.Unverified)
	}
	st, err := serviceState(ctx, s, "a")
	if err != nil || !st.Unverified || st.SeenURL != "" {
		t.Fatalf("state %+v, %v; want unverified", st, err)
	}
	if got, err := UnverifiedServices(ctx, path); err != nil || len(got) != 1 || !got["a"] {
		t.Fatalf("UnverifiedServices = %v, %v; want a", got, err)
	}
	if _, err := UnverifiedServices(ctx, path+".missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("UnverifiedServices of a missing file: %v, want ErrNotFound", err)
	}
}

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
