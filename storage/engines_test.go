package storage

import (
	"context"
	"testing"
)

// engines runs test once on each engine, each time on a fresh store: the
// conformance suite. A behaviour of the product (not SQLite's plumbing:
// pragmas, file modes, backups) is tested through engines, so that it is
// the same on both. The PostgreSQL run gets a fresh database of the
// test binary's throwaway server (pgtest), and is skipped, as pgtest
// skips, where no PostgreSQL is installed.
func engines(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Helper()
	t.Run(SQLite.String(), func(t *testing.T) { test(t, openTest(t)) })
	t.Run(PostgreSQL.String(), func(t *testing.T) { test(t, openPostgresTest(t)) })
}

// openPostgresTest opens a store on a fresh database of the throwaway
// PostgreSQL server, on the fixed clock, and closes it when the test ends.
func openPostgresTest(t *testing.T) *Store {
	t.Helper()
	s, err := OpenPostgres(context.Background(), pg.Database(t), fixedNow)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRebindPostgres(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		names          []string
	}{
		{"question marks in order", `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`, nil},
		{"numbered", `UPDATE t SET a = ?1 WHERE b = ?2 AND c <> ?1`, `UPDATE t SET a = $1 WHERE b = $2 AND c <> $1`, nil},
		{"named, numbered by first use", `SELECT :b, :a, :b`, `SELECT $1, $2, $1`, []string{"b", "a"}},
		{"quoted text and names", `SELECT '?', ':x', "a?" FROM t WHERE a = ?`, `SELECT '?', ':x', "a?" FROM t WHERE a = $1`, nil},
		{"comment", "SELECT 1 -- why? because :x\nWHERE a = ?", "SELECT 1 -- why? because :x\nWHERE a = $1", nil},
		{"cast", `SELECT ?::jsonb`, `SELECT $1::jsonb`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := rebindPostgres(c.in)
			if got.query != c.want || len(got.names) != len(c.names) {
				t.Fatalf("rebind %q = %q %v, want %q %v", c.in, got.query, got.names, c.want, c.names)
			}
			for i := range c.names {
				if got.names[i] != c.names[i] {
					t.Errorf("names %v, want %v", got.names, c.names)
				}
			}
		})
	}
}
