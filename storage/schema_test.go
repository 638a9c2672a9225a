package storage

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
)

// TestPostgresSchemaMatchesSQLite applies SQLite's migrations to a new
// file and PostgreSQL's to a new database, reads both schemas back from
// their catalogs and fails on any difference: tables and the order of
// their columns; each column's class, NOT NULL, default and whether the
// database assigns it; primary keys, UNIQUE constraints, foreign keys with
// their actions, indexes with their predicates; CHECKs by their columns
// and literals.
func TestPostgresSchemaMatchesSQLite(t *testing.T) {
	ctx := context.Background()
	postgres, err := postgresFacts(ctx, migratedPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	sqlite := sqliteSchema(t)
	for _, kind := range factKinds {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(sqlite)), func(f string) bool { return strings.HasPrefix(f, kind+" ") }) {
			t.Errorf("read no %s from SQLite's schema: the reader is broken", kind)
		}
	}
	if diff := diffFacts(sqlite, postgres); len(diff) > 0 {
		t.Errorf("PostgreSQL's schema (storage/migrations/postgres) differs from SQLite's (storage/migrations) in %d facts "+
			"(- SQLite only, + PostgreSQL only):\n%s", len(diff), strings.Join(diff, "\n"))
	}
}

// TestSchemaComparisonSeesDifferences changes PostgreSQL's schema one way
// at a time, in a transaction rolled back after, and checks that the
// comparison reports exactly that change.
func TestSchemaComparisonSeesDifferences(t *testing.T) {
	ctx := context.Background()
	db := migratedPostgres(t)
	sqlite := sqliteSchema(t)
	tests := []struct {
		name   string
		change string
		want   []string
	}{
		{"a column's type", `ALTER TABLE chats ALTER COLUMN levels TYPE integer`, []string{
			"- column chats.levels integer not null default 0",
			"+ column chats.levels postgres integer not null default 0"}},
		{"a collation", `ALTER TABLE meta ALTER COLUMN value TYPE text COLLATE "default"`, []string{
			"- column meta.value text not null",
			`+ column meta.value postgres text collate "default" not null`}},
		{"a default", `ALTER TABLE events ALTER COLUMN payload DROP DEFAULT`, []string{
			"- column events.payload text not null default '{}'",
			"+ column events.payload text not null"}},
		{"an identity", `ALTER TABLE rounds ALTER COLUMN id DROP IDENTITY`, []string{
			"- column rounds.id integer not null assigned by the database",
			"+ column rounds.id integer not null"}},
		{"a UNIQUE", `ALTER TABLE events DROP CONSTRAINT events_dedup_key_key`, []string{
			"- unique events (dedup_key)"}},
		{"a foreign key's action", `ALTER TABLE class_members DROP CONSTRAINT class_members_class_id_fkey,
			ADD FOREIGN KEY (class_id) REFERENCES classes (id)`, []string{
			"- foreign key class_members (class_id) references classes (id) on update no action on delete cascade",
			"+ foreign key class_members (class_id) references classes (id) on update no action on delete no action"}},
		{"an index's predicate", `DROP INDEX classes_academie; CREATE INDEX classes_academie ON classes (academie) WHERE closed_at > 0`, []string{
			"- index classes.classes_academie (academie) where closed_at = 0",
			"+ index classes.classes_academie (academie) where closed_at > 0"}},
		{"a CHECK's value", `ALTER TABLE chats DROP CONSTRAINT chats_kind_check,
			ADD CHECK (kind IN ('private', 'group', 'supergroup'))`, []string{
			"- check chats (kind): 'channel' 'group' 'private' 'supergroup'",
			"+ check chats (kind): 'group' 'private' 'supergroup'"}},
		{"a table", `CREATE TABLE extra (x BIGINT)`, []string{
			"+ column extra.x integer",
			"+ table extra (x)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, tt.change); err != nil {
				t.Fatal(err)
			}
			postgres, err := postgresFacts(ctx, tx)
			if err != nil {
				t.Fatal(err)
			}
			if got := diffFacts(sqlite, postgres); !slices.Equal(got, tt.want) {
				t.Errorf("after %s the comparison says:\n%s\nwant:\n%s", tt.change, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestMigratePostgresTwiceAndRefusesNewer checks that migrating an
// up-to-date database changes nothing and that a database written by a
// newer Sentinelle is refused.
func TestMigratePostgresTwiceAndRefusesNewer(t *testing.T) {
	ctx := context.Background()
	db := migratedPostgres(t)
	if err := migratePostgres(ctx, db, time.Now()); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	versions, err := queryAll(ctx, db, "versions", scanValue[int], `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(versions, want) {
		t.Errorf("versions = %v, want %v", versions, want)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '099_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := migratePostgres(ctx, db, time.Now()); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("migrating a database at version 99: %v, want ErrSchemaTooNew", err)
	}
}

// TestMigratePostgresFromInstancesAtOnce migrates one new database from
// three pools at once, as instances starting together do: each must
// succeed, and each migration be applied once.
func TestMigratePostgresFromInstancesAtOnce(t *testing.T) {
	ctx := context.Background()
	dsn := pg.Database(t)
	errs := make(chan error)
	for range 3 {
		go func() {
			db, err := sql.Open("pgx", dsn)
			if err == nil {
				err = migratePostgres(ctx, db, time.Now())
				db.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	versions, err := queryAll(ctx, db, "versions", scanValue[int], `SELECT version FROM schema_migrations ORDER BY version`)
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8}; err != nil || !slices.Equal(versions, want) {
		t.Errorf("versions = %v, %v; want %v", versions, err, want)
	}
}

// migratedPostgres is a new PostgreSQL database with every migration
// applied, closed when t ends.
func migratedPostgres(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := migratePostgres(context.Background(), db, time.Now()); err != nil {
		t.Fatal(err)
	}
	return db
}

// sqliteSchema is the schema of a new SQLite database as Open makes it.
func sqliteSchema(t *testing.T) facts {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "schema.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := sqliteFacts(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
