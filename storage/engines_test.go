package storage

import (
	"context"
	"testing"

	"sentinelle/storage/pgtest"
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

// openPostgresTest opens a store on the throwaway PostgreSQL server, on
// the fixed clock, emptied of what an earlier test wrote, and closes it
// when the test ends. Every test gets the same database (pgtest's Kept),
// migrated by the first and emptied by each: a fresh one per test cost
// 150 ms (creating it, migrating it, dropping it), emptying it 20.
// Storage's tests on PostgreSQL therefore do not run in parallel.
func openPostgresTest(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := OpenPostgres(ctx, pg.Kept(t, "store"), fixedNow)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	pgtest.Empty(t, s.w)
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
		{"SQLite's index hint", `SELECT a FROM t INDEXED BY t_a WHERE a = ?`, `SELECT a FROM t WHERE a = $1`, nil},
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
