package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// sendPauseKey is the meta key of the bot's send pause: when Telegram
// answered 429 (or refused the token), until when every instance must
// send nothing.
const sendPauseKey = "telegram_pause_until"

// PauseSends records that sending must stop for d from now: Telegram's
// limits are the bot's, whichever instance sends, so a leader taking over
// right after a 429 must wait it out too (SendsPaused). The instant is
// stored on the database's clock, the one clock every instance reads
// alike: an instance's own wall clock may be off by more than a pause
// lasts, and its monotonic clock means nothing to another machine. The
// stored instant only grows: a shorter pause does not cut a longer one.
// It is kept in meta, not in the leases row: it belongs to the bot's
// token, not to a term, and outlives a lease released on shutdown.
func (s *Store) PauseSends(ctx context.Context, d time.Duration) error {
	return s.write(ctx, func(tx *dbTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value, updated_at)
			VALUES (?, CAST(`+tx.engine.now()+` + ? AS TEXT), ?)
			ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at,
				value = CASE WHEN CAST(meta.value AS BIGINT) < CAST(excluded.value AS BIGINT) THEN excluded.value ELSE meta.value END`,
			sendPauseKey, d.Milliseconds(), s.nowMS())
		if err != nil {
			return fmt.Errorf("storage: pause sends: %w", err)
		}
		return nil
	})
}

// SendsPaused is how long the pause PauseSends recorded lasts yet, on the
// database's clock; zero when none runs. The caller waits that long on
// its own clock.
func (s *Store) SendsPaused(ctx context.Context) (time.Duration, error) {
	var left int64
	err := s.r.QueryRowContext(ctx, `SELECT CAST(value AS BIGINT) - `+s.engine.now()+` FROM meta WHERE key = ?`,
		sendPauseKey).Scan(&left)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("storage: read the send pause: %w", err)
	}
	return time.Duration(max(left, 0)) * time.Millisecond, nil
}
