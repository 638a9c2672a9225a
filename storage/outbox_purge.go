package storage

import (
	"context"
	"fmt"
	"time"
)

// OutboxRetention is how long a settled event and its delivery rows are
// kept: long enough to explain what was sent on a bad morning, short
// enough not to keep who received what for ever (RGPD: minimisation).
const OutboxRetention = 30 * 24 * time.Hour

// ReplyRetention is how long a settled reply to a command is kept. A reply
// often repeats what a person typed, and nothing needs it once sent: an
// update is never applied twice because its id is stored with its effects.
// Hours, not days, so that a flood of commands costs little disk.
const ReplyRetention = 2 * time.Hour

// PurgeOutbox deletes events created before before whose messages are all
// settled, with their delivery rows and channel posts (ON DELETE CASCADE),
// at most limit events per call so that the single writer is not held long.
// The latest event of each service is kept whatever its age: it tells who
// heard of an outage still going on, hence who hears the recovery.
func (s *Store) PurgeOutbox(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.purge(ctx, `e.created_at < ?`, ms(before), limit)
}

// PurgeReplies deletes the replies to commands written before before whose
// message is settled (sent, or given up), at most limit per call.
func (s *Store) PurgeReplies(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.purge(ctx, `e.kind = 'reply' AND e.created_at < ?`, ms(before), limit)
}

// purge deletes at most limit settled events matching where (on events e,
// with one parameter).
func (s *Store) purge(ctx context.Context, where string, arg any, limit int) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *dbTx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id IN (
			SELECT e.id FROM events e
			WHERE `+where+` AND e.state <> 'new'
			  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state IN ('pending', 'inflight'))
			  AND NOT EXISTS (SELECT 1 FROM channel_posts c WHERE c.event_id = e.id AND c.state IN ('pending', 'inflight'))
			  AND (e.service_id = '' OR EXISTS (SELECT 1 FROM events l WHERE l.service_id = e.service_id AND l.id > e.id))
			ORDER BY e.id LIMIT ?)`, arg, limit)
		if err != nil {
			return fmt.Errorf("storage: purge outbox: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
