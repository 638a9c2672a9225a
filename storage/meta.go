package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Meta reads one of the service's own facts (the update offset, the last
// round…). It returns ErrNotFound when the key was never set.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("storage: read meta %q: %w", key, err)
	}
	return v, nil
}

// SetMeta records one of the service's own facts.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return s.write(ctx, func(tx *dbTx) error {
		return setMeta(ctx, tx, key, value, s.nowMS())
	})
}

func setMeta(ctx context.Context, tx *dbTx, key, value string, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, now)
	if err != nil {
		return fmt.Errorf("storage: set meta %q: %w", key, err)
	}
	return nil
}
