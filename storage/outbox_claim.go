package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sentinelle/status"
)

// Delivery is a claimed outbox row: one message of one event to one chat,
// or to one channel when Channel is set (ChatID is then 0). While claimed,
// its state is "inflight"; only Settle moves it on.
type Delivery struct {
	EventID  int64
	ChatID   int64
	Channel  string
	Academie string // channel posts: the académie whose channel it is
	Priority int
	Attempts int // attempts made before this one
	// Fence is the fence of the term that claimed the row (ClaimFilter's):
	// its outcome is settled only while the row is still inflight under
	// that fence (see settle).
	Fence int64
}

// Outcome is how a claimed delivery ended.
type Outcome string

// Outcomes of a delivery. Counted ones increase attempts.
const (
	OutcomeSent          Outcome = "sent"          // Telegram accepted it (counted)
	OutcomeRetry         Outcome = "retry"         // transient failure, try again at RetryAt (counted)
	OutcomeRequeue       Outcome = "requeue"       // not tried or told to wait (429, shutdown): again at RetryAt, not counted
	OutcomeFailed        Outcome = "failed"        // gave up; LastError says why (counted)
	OutcomeUndeliverable Outcome = "undeliverable" // the chat refuses us: the chat is deactivated (counted)
	OutcomeMigrated      Outcome = "migrated"      // the group became NewChatID: moved and resent (counted)
	OutcomeDead          Outcome = "dead"          // Telegram refused the text: the whole event is dead (counted)
	OutcomeRefused       Outcome = "refused"       // this recipient's message cannot be made (Telegram refused its text, rendering panics): this row alone is dead (counted)
	OutcomeCancelled     Outcome = "cancelled"     // not sent: news untrue, chat gone; "dead" if the event died (not counted)
)

// DeliveryResult is the outcome of one claimed delivery, to be settled.
type DeliveryResult struct {
	Delivery
	Outcome   Outcome
	MessageID int64     // sent
	Error     string    // last_error; never contains the token or the text
	RetryAt   time.Time // retry, requeue
	NewChatID int64     // migrated
}

// ClaimFilter keeps the claim from taking a second row for a chat or a
// channel the dispatcher is still sending to: per-chat order (an outage
// before its recovery) needs one message in flight per chat.
type ClaimFilter struct {
	ChatBusy    func(chatID int64) bool
	ChannelBusy func(channel string) bool
	// Bulk is how many rows of the bulk lane (outage and recovery messages,
	// channel posts) are claimed before replies and notices, when that many
	// are due: the bulk lane's guaranteed share of the batch, so that a
	// flood of commands cannot hold an outage back. Zero claims replies and
	// notices first and the bulk lane with what room is left.
	Bulk int
	// AfterEvent is the bulk event a row was last claimed for: the bulk lane
	// is shared among its events round robin, and this claim's turn starts
	// with the next event after it (see claimBulk).
	AfterEvent int64
	// Lease and Fence are the leader's lease (its name in the leases
	// table) and the fence the caller believes it holds: the claim takes
	// rows only while the database says that lease is held with that fence
	// and runs yet, on the database's clock, and returns ErrNotLeader
	// otherwise. Claimed rows record Fence, and outcomes settle only rows
	// still inflight under their own fence. An empty Lease checks no lease
	// (one process, SQLite, leader.Always).
	Lease string
	Fence int64
}

// ErrNotLeader is returned by a claim or a reclaim whose lease is no
// longer held with the caller's fence: the caller was deposed, whatever
// its own clock says, and must give back what it holds.
var ErrNotLeader = errors.New("storage: not the leader: the lease is held with another fence or expired")

// checkLease returns ErrNotLeader unless the lease name is held with
// fence and has not expired on the database's clock; an empty name is no
// lease to check. On PostgreSQL it runs inside a write transaction,
// behind the writers' advisory lock: a new leader's reclaim (also a
// write) runs before or after the whole transaction, never in between.
func checkLease(ctx context.Context, tx *dbTx, name string, fence int64) error {
	if name == "" {
		return nil
	}
	var held int
	err := tx.QueryRowContext(ctx, `SELECT CASE WHEN fence = ? AND expires_at > `+tx.engine.now()+` THEN 1 ELSE 0 END
		FROM leases WHERE name = ?`, fence, name).Scan(&held)
	if errors.Is(err, sql.ErrNoRows) || err == nil && held == 0 {
		return ErrNotLeader
	}
	if err != nil {
		return fmt.Errorf("storage: check lease %s: %w", name, err)
	}
	return nil
}

// Claimed is what SettleAndClaim took.
type Claimed struct {
	Deliveries []Delivery
	// NextDue is when the earliest pending row that was not yet due becomes
	// due (zero: none waits), computed with the claim's clock so that a row
	// falling due in between is not missed. Set when fewer rows than wanted
	// were claimed.
	NextDue time.Time
}

// SettleAndClaim records the outcomes of finished deliveries, then claims up
// to want due rows, in one transaction: one commit per batch instead of
// two. The bulk lane (channel posts, then alerts) gets its share first
// (f.Bulk), then replies, then notices, then the bulk lane takes what is
// left; replies and notices go oldest first, bulk alerts round robin by
// event (see claimBulk). A claimed row stays
// "inflight" until settled, so after a crash only those rows can be sent
// twice (ResetInflight and Reclaim put them back).
//
// With f.Lease set, the claim is fenced: when the lease is not held with
// f.Fence, the outcomes are still settled (each only where its row is
// still inflight under its own fence, which nobody else touched) and
// committed, nothing is claimed, and the error is ErrNotLeader. The
// claimed rows' lease_until is lease from now on the database's clock.
func (s *Store) SettleAndClaim(ctx context.Context, results []DeliveryResult, want int, f ClaimFilter, lease time.Duration) (Claimed, error) {
	now := s.nowMS()
	var out Claimed
	deposed := false
	err := s.write(ctx, func(tx *dbTx) error {
		for _, r := range results {
			if err := settle(ctx, tx, r, now); err != nil {
				return err
			}
		}
		if want <= 0 {
			return nil
		}
		if err := checkLease(ctx, tx, f.Lease, f.Fence); errors.Is(err, ErrNotLeader) {
			deposed = true
			return nil // commit the outcomes: each touched only its own claim's row
		} else if err != nil {
			return err
		}
		var err error
		if out.Deliveries, err = claim(ctx, tx, now, want, f, lease.Milliseconds()); err != nil {
			return err
		}
		if len(out.Deliveries) < want {
			out.NextDue, err = nextDue(ctx, tx, now)
		}
		return err
	})
	if err != nil {
		return Claimed{}, err
	}
	if deposed {
		return Claimed{}, ErrNotLeader
	}
	return out, nil
}

// claim takes due rows lane by lane until want rows are taken: the bulk
// lane's share, replies and notices, then the bulk lane again. One row per
// chat and per channel at most.
func claim(ctx context.Context, tx *dbTx, now int64, want int, f ClaimFilter, lease int64) ([]Delivery, error) {
	taken, takenChan := map[int64]bool{}, map[string]bool{}
	var out []Delivery
	after := f.AfterEvent
	bulk := func(n int) error {
		posts, err := claimChannelPosts(ctx, tx, now, n, f, takenChan, lease)
		if err != nil {
			return err
		}
		out = append(out, posts...)
		rows, err := claimBulk(ctx, tx, now, n-len(posts), after, f, taken, lease)
		if len(rows) > 0 {
			after = rows[len(rows)-1].EventID
		}
		out = append(out, rows...)
		return err
	}
	if err := bulk(min(f.Bulk, want)); err != nil {
		return nil, err
	}
	urgent, err := claimDeliveries(ctx, tx, now, PriorityReply, PriorityNotice, want-len(out), f, taken, lease)
	if err != nil {
		return nil, err
	}
	out = append(out, urgent...)
	if err := bulk(want - len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

// claimDeliveriesSQL reads the candidates of claimDeliveries, locking
// them on PostgreSQL and skipping rows another transaction holds.
var claimDeliveriesSQL = [...]string{SQLite: claimDeliveriesQuery(SQLite), PostgreSQL: claimDeliveriesQuery(PostgreSQL)}

func claimDeliveriesQuery(e Engine) string {
	return `SELECT d.event_id, d.chat_id, d.priority, d.attempts, c.active, e.kind
		FROM deliveries d JOIN chats c ON c.chat_id = d.chat_id JOIN events e ON e.id = d.event_id
		WHERE d.state = 'pending' AND d.priority BETWEEN ? AND ? AND d.next_attempt_at <= ?
		ORDER BY d.priority, d.next_attempt_at, d.event_id LIMIT ?` + e.skipLocked("d")
}

// claimDeliveries claims due chat deliveries of priorities lo..hi. It reads
// a few times more rows than wanted so that rows of busy chats can be
// skipped; rows of chats deactivated since expansion are cancelled, except
// replies.
func claimDeliveries(ctx context.Context, tx *dbTx, now int64, lo, hi, want int, f ClaimFilter, taken map[int64]bool, lease int64) ([]Delivery, error) {
	if want <= 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, claimDeliveriesSQL[tx.engine], lo, hi, now, 4*want+16)
	if err != nil {
		return nil, fmt.Errorf("storage: claim: %w", err)
	}
	var picked, inactive []Delivery
	for rows.Next() {
		var d Delivery
		var active int
		var kind status.Kind
		if err := rows.Scan(&d.EventID, &d.ChatID, &d.Priority, &d.Attempts, &active, &kind); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: claim: %w", err)
		}
		switch {
		case active == 0 && kind != status.KindReply:
			inactive = append(inactive, d)
		case len(picked) >= want || taken[d.ChatID] || (f.ChatBusy != nil && f.ChatBusy(d.ChatID)):
		default:
			taken[d.ChatID] = true
			picked = append(picked, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: claim: %w", err)
	}
	return picked, takeRows(ctx, tx, picked, inactive, lease, f.Fence)
}

// takeRows marks the picked deliveries inflight under the claim's fence,
// leased for lease milliseconds from now on the database's clock, and
// cancels those of chats deactivated since expansion.
func takeRows(ctx context.Context, tx *dbTx, picked, inactive []Delivery, lease, fence int64) error {
	for _, d := range inactive {
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'cancelled', last_error = 'chat inactive'
			WHERE event_id = ? AND chat_id = ? AND state = 'pending'`, d.EventID, d.ChatID); err != nil {
			return fmt.Errorf("storage: claim: cancel: %w", err)
		}
	}
	for i, d := range picked {
		picked[i].Fence = fence
		if _, err := tx.ExecContext(ctx, takeRowSQL[tx.engine], lease, fence, d.EventID, d.ChatID); err != nil {
			return fmt.Errorf("storage: claim: %w", err)
		}
	}
	return nil
}

// takeRowSQL and takePostSQL mark one row inflight: lease_until on the
// database's clock, where every instance reads it alike.
var (
	takeRowSQL = [...]string{SQLite: takeQuery(SQLite, "deliveries", "chat_id"),
		PostgreSQL: takeQuery(PostgreSQL, "deliveries", "chat_id")}
	takePostSQL = [...]string{SQLite: takeQuery(SQLite, "channel_posts", "channel"),
		PostgreSQL: takeQuery(PostgreSQL, "channel_posts", "channel")}
)

func takeQuery(e Engine, table, key string) string {
	return `UPDATE ` + table + ` SET state = 'inflight', lease_until = ` + e.now() + ` + ?, claim_fence = ?
		WHERE event_id = ? AND ` + key + ` = ? AND state = 'pending'`
}

// claimChannelPosts claims due channel posts, one per channel.
func claimChannelPosts(ctx context.Context, tx *dbTx, now int64, want int, f ClaimFilter, taken map[string]bool, lease int64) ([]Delivery, error) {
	if want <= 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT event_id, channel, academie, priority, attempts FROM channel_posts
		WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, event_id LIMIT ?`+tx.engine.skipLocked(""), now, 4*want+16)
	if err != nil {
		return nil, fmt.Errorf("storage: claim channel posts: %w", err)
	}
	var picked []Delivery
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.EventID, &d.Channel, &d.Academie, &d.Priority, &d.Attempts); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: claim channel posts: %w", err)
		}
		if len(picked) < want && !taken[d.Channel] && (f.ChannelBusy == nil || !f.ChannelBusy(d.Channel)) {
			taken[d.Channel] = true
			picked = append(picked, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: claim channel posts: %w", err)
	}
	for i, d := range picked {
		picked[i].Fence = f.Fence
		if _, err := tx.ExecContext(ctx, takePostSQL[tx.engine], lease, f.Fence, d.EventID, d.Channel); err != nil {
			return nil, fmt.Errorf("storage: claim channel posts: %w", err)
		}
	}
	return picked, nil
}

// ResetInflight puts back every claimed row: with one process owning the
// database, a row inflight at start was being sent when the last run died.
// Telegram may have accepted it, so it may be sent twice; that is the
// at-least-once price, bounded by the batch size.
func (s *Store) ResetInflight(ctx context.Context) (int64, error) {
	return s.Reclaim(ctx, "", 0)
}

// Reclaim puts back, when a leader's term begins, the rows whose claimer
// is gone: those claimed under an older fence than the new term's (their
// leader was deposed or died) and those whose lease_until has passed on
// the database's clock (a claimer that lost them). Rows of the term itself
// are in its own hands. The lease is checked first, as for a claim: a
// deposed leader gets ErrNotLeader and takes nothing back. An empty lease
// is the single process (SQLite): every inflight row was being sent when
// the last run died, and all go back, as ResetInflight says.
func (s *Store) Reclaim(ctx context.Context, lease string, fence int64) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *dbTx) error {
		if err := checkLease(ctx, tx, lease, fence); err != nil {
			return err
		}
		which := ``
		if lease != "" {
			which = ` AND (claim_fence < ? OR lease_until <= ` + tx.engine.now() + `)`
		}
		for _, table := range []string{"deliveries", "channel_posts"} {
			q := `UPDATE ` + table + ` SET state = 'pending', lease_until = 0 WHERE state = 'inflight'` + which
			args := []any{}
			if lease != "" {
				args = append(args, fence)
			}
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("storage: reclaim inflight: %w", err)
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	return n, err
}

// nextDue is when the earliest pending row not due at now becomes due;
// zero when none waits.
func nextDue(ctx context.Context, tx *dbTx, now int64) (time.Time, error) {
	var next sql.NullInt64
	// One MIN per lane lets SQLite answer each from the partial index.
	err := tx.QueryRowContext(ctx, `SELECT MIN(m) FROM (
		SELECT MIN(next_attempt_at) AS m FROM deliveries WHERE state = 'pending' AND priority = 0 AND next_attempt_at > ?1
		UNION ALL SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending' AND priority = 1 AND next_attempt_at > ?1
		UNION ALL SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending' AND priority = 2 AND next_attempt_at > ?1
		UNION ALL SELECT MIN(next_attempt_at) FROM channel_posts WHERE state = 'pending' AND next_attempt_at > ?1) AS lanes`, now).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: next due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return fromMS(next.Int64), nil
}

// OutboxDepth counts what waits to be sent, per priority lane (channel
// posts count in the bulk lane): the queue a /metrics page shows.
func (s *Store) OutboxDepth(ctx context.Context) ([3]int, error) {
	var depth [3]int
	err := queryEach(ctx, s.r, "storage: outbox depth", func(rows *sql.Rows) error {
		var p, n int
		if err := rows.Scan(&p, &n); err != nil {
			return err
		}
		if p >= 0 && p < len(depth) {
			depth[p] += n
		}
		return nil
	}, `SELECT priority, COUNT(*) FROM deliveries WHERE state = 'pending' GROUP BY priority
		UNION ALL SELECT priority, COUNT(*) FROM channel_posts WHERE state = 'pending' GROUP BY priority`)
	return depth, err
}
