package storage

import (
	"context"
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
// does not exceed Telegram's per-chat limits; so does a new leader. Call it
// before ResetInflight or Reclaim.
func (s *Store) RecentSends(ctx context.Context, since time.Time) ([]RecentSend, error) {
	now := s.nowMS()
	return queryAll(ctx, s.r, "storage: recent sends", scanRecentSend, `
		SELECT chat_id, '', MAX(CASE WHEN state = 'inflight' THEN ? ELSE sent_at END) FROM deliveries
		WHERE (state = 'sent' AND sent_at > ?) OR state = 'inflight' GROUP BY chat_id
		UNION ALL
		SELECT 0, channel, MAX(CASE WHEN state = 'inflight' THEN ? ELSE sent_at END) FROM channel_posts
		WHERE (state = 'sent' AND sent_at > ?) OR state = 'inflight' GROUP BY channel`,
		now, ms(since), now, ms(since))
}

func scanRecentSend(row rowScanner) (RecentSend, error) {
	var r RecentSend
	var at int64
	err := row.Scan(&r.ChatID, &r.Channel, &at)
	r.At = fromMS(at)
	return r, err
}
