package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// UnverifiedServices reads, from the database file at path and without
// writing to it (no migration, no new file), the ids of the services the
// checker marked unverified: never seen up since they entered the catalog
// at their URL. It is for `sentinelle check`, which must not need the
// service's database nor disturb it. A missing file is ErrNotFound; a
// database from before migration 005 knows of none.
func UnverifiedServices(ctx context.Context, path string) (map[string]bool, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	db, err := sql.Open("sqlite3", "file:"+escapePath(path)+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, fmt.Errorf("storage: unverified services: %w", err)
	}
	defer db.Close()
	return unverifiedIn(ctx, db)
}

// UnverifiedServicesPostgres is UnverifiedServices read from the
// PostgreSQL database at dsn, in a read-only transaction: no migration,
// nothing written. A database the service never opened (no
// schema_migrations) is ErrNotFound.
func UnverifiedServicesPostgres(ctx context.Context, dsn string) (map[string]bool, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: unverified services: %w", err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("storage: unverified services: %w", err)
	}
	defer tx.Rollback()
	var migrated bool
	if err := tx.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&migrated); err != nil {
		return nil, fmt.Errorf("storage: unverified services: %w", err)
	}
	if !migrated {
		return nil, ErrNotFound
	}
	return unverifiedIn(ctx, tx)
}

// unverifiedIn reads the unverified services in q, a database of either
// engine.
func unverifiedIn(ctx context.Context, q interface {
	querier
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (map[string]bool, error) {
	var version int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return nil, fmt.Errorf("storage: unverified services: %w", err)
	}
	out := map[string]bool{}
	if version < 5 {
		return out, nil
	}
	err := queryEach(ctx, q, "storage: unverified services", func(rows *sql.Rows) error {
		id, err := scanValue[string](rows)
		if err == nil {
			out[id] = true
		}
		return err
	}, `SELECT service_id FROM service_states WHERE unverified = 1`)
	if err != nil {
		return nil, err
	}
	return out, nil
}
