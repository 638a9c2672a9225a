package storage

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"
)

// postgresMigrationFiles are SQLite's migrations said for PostgreSQL, one
// for one (same numbers and names); 001 gives the translation rules.
//
//go:embed migrations/postgres/*.sql
var postgresMigrationFiles embed.FS

// postgresMigrationLock is the key of the advisory lock that makes
// instances starting together apply each migration once ("sntl").
const postgresMigrationLock = 0x736e746c

// migratePostgres applies to db, a PostgreSQL database opened with pgx's
// database/sql driver, the migrations of migrations/postgres it lacks,
// each in its own transaction, and refuses a database newer than this
// program, as migrate does for SQLite. OpenPostgres calls it.
func migratePostgres(ctx context.Context, db *sql.DB, now time.Time) error {
	all, err := readMigrations(postgresMigrationFiles, "migrations/postgres")
	if err != nil {
		return err
	}
	for _, m := range all {
		if err := applyPostgres(ctx, db, m, len(all), now.UnixMilli()); err != nil {
			return err
		}
	}
	return nil
}

// applyPostgres applies m unless the database has it. Its transaction
// holds an advisory lock and reads the version under it, so that of two
// instances starting at once one applies m and the other sees it applied.
func applyPostgres(ctx context.Context, db *sql.DB, m migration, newest int, appliedAt int64) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, postgresMigrationLock); err != nil {
		return fmt.Errorf("storage: migration %s: lock: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT COLLATE "C" NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("storage: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("storage: read schema version: %w", err)
	}
	if current > newest {
		return fmt.Errorf("%w: the PostgreSQL database is at version %d, this program knows up to %d; upgrade Sentinelle",
			ErrSchemaTooNew, current, newest)
	}
	if current >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("storage: migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, appliedAt); err != nil {
		return fmt.Errorf("storage: migration %s: record it: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: migration %s: commit: %w", m.name, err)
	}
	return nil
}
