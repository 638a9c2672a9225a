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
	var version int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return nil, fmt.Errorf("storage: unverified services: %w", err)
	}
	out := map[string]bool{}
	if version < 5 {
		return out, nil
	}
	err = queryEach(ctx, db, "storage: unverified services", func(rows *sql.Rows) error {
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
