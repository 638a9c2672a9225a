package storage

import (
	"context"
	"fmt"
	"time"
)

// RecentSend is when a chat (or a channel, by @name) last got a message,
// as far as the database knows.
type RecentSend struct {
	ChatID  int64
	Channel string
	At      time.Time
}

// RecentSends lists the chats and channels that were sent a message after
// since, with the time of the last one, and those with a message still
// marked in flight, dated now: a process killed a moment ago may have had
// them accepted by Telegram. A restarted dispatcher spaces its first
// messages to them as if it had sent those itself, so that a quick restart
// does not exceed Telegram's per-chat limits. Call it before ResetInflight.
func (s *Store) RecentSends(ctx context.Context, since time.Time) ([]RecentSend, error) {
	now := s.nowMS()
	rows, err := s.r.QueryContext(ctx, `
		SELECT chat_id, '', MAX(CASE WHEN state = 'inflight' THEN ? ELSE sent_at END) FROM deliveries
		WHERE (state = 'sent' AND sent_at > ?) OR state = 'inflight' GROUP BY chat_id
		UNION ALL
		SELECT 0, channel, MAX(CASE WHEN state = 'inflight' THEN ? ELSE sent_at END) FROM channel_posts
		WHERE (state = 'sent' AND sent_at > ?) OR state = 'inflight' GROUP BY channel`,
		now, ms(since), now, ms(since))
	if err != nil {
		return nil, fmt.Errorf("storage: recent sends: %w", err)
	}
	defer rows.Close()
	var out []RecentSend
	for rows.Next() {
		var r RecentSend
		var at int64
		if err := rows.Scan(&r.ChatID, &r.Channel, &at); err != nil {
			return nil, fmt.Errorf("storage: recent sends: %w", err)
		}
		r.At = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
