package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"sentinelle/status"
)

// The bulk lane is shared among its events round robin: an ENT outage
// declared a minute after a national one starts going out at once instead
// of waiting for the national fan-out's 100,000 messages. Within an event,
// rows go oldest first (next_attempt_at, then chat id).
const (
	// bulkHeadSteps bounds the walk that finds the events with due bulk
	// rows: one index seek per distinct (due time, event), and retries
	// each have their own due time. Beyond it, events wait for the oldest
	// rows to go, as they did before the rotation.
	bulkHeadSteps = 64
	// bulkEventsPerClaim bounds the events one claim reads rows of; the
	// rotation goes on from where it stopped at the next claim.
	bulkEventsPerClaim = 16
)

// bulkHead is an event with due bulk rows and the due time of its oldest.
type bulkHead struct {
	event int64
	from  int64
}

// claimBulk claims up to want due bulk deliveries, one per event in turn,
// the events in the order of their ids starting after the event after and
// wrapping around, so that each event with due rows gets an equal share of
// the lane whatever its size. Rows of busy chats are skipped and rows of
// deactivated chats cancelled, as in claimDeliveries.
func claimBulk(ctx context.Context, tx *dbTx, now int64, want int, after int64, f ClaimFilter, taken map[int64]bool, lease int64) ([]Delivery, error) {
	if want <= 0 {
		return nil, nil
	}
	heads, err := bulkHeads(ctx, tx, now)
	if err != nil {
		return nil, err
	}
	heads = rotation(heads, after, bulkEventsPerClaim)
	lists := make([][]bulkRow, len(heads))
	for i, h := range heads {
		if lists[i], err = bulkRowsOf(ctx, tx, h, now, want+16); err != nil {
			return nil, err
		}
	}
	var picked, inactive []Delivery
	next := make([]int, len(lists))
	for more := true; more && len(picked) < want; {
		more = false
		for i := 0; i < len(lists) && len(picked) < want; i++ {
			for next[i] < len(lists[i]) {
				r := lists[i][next[i]]
				next[i]++
				if r.inactive {
					inactive = append(inactive, r.Delivery)
					continue
				}
				if taken[r.ChatID] || (f.ChatBusy != nil && f.ChatBusy(r.ChatID)) {
					continue
				}
				taken[r.ChatID] = true
				picked = append(picked, r.Delivery)
				more = true
				break
			}
		}
	}
	return picked, takeRows(ctx, tx, picked, inactive, lease, f.Fence)
}

// bulkHeads lists the events with due bulk rows, by id, walking the
// deliveries_due index from one (due time, event) group to the next.
func bulkHeads(ctx context.Context, tx *dbTx, now int64) ([]bulkHead, error) {
	stmt, err := tx.PrepareContext(ctx, `SELECT next_attempt_at, event_id FROM deliveries
		WHERE state = 'pending' AND priority = 2 AND next_attempt_at <= ?1 AND (next_attempt_at, event_id) > (?2, ?3)
		ORDER BY next_attempt_at, event_id LIMIT 1`)
	if err != nil {
		return nil, fmt.Errorf("storage: claim bulk: %w", err)
	}
	defer stmt.Close()
	var heads []bulkHead
	seen := map[int64]bool{}
	at, ev := int64(-1<<63), int64(-1<<63)
	for range bulkHeadSteps {
		err := stmt.QueryRowContext(ctx, now, at, ev).Scan(&at, &ev)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("storage: claim bulk: %w", err)
		}
		if !seen[ev] {
			seen[ev] = true
			heads = append(heads, bulkHead{event: ev, from: at})
		}
	}
	slices.SortFunc(heads, func(a, b bulkHead) int { return cmp.Compare(a.event, b.event) })
	return heads, nil
}

// rotation orders heads (sorted by event) to start after the event after,
// wrapping around, and keeps at most n.
func rotation(heads []bulkHead, after int64, n int) []bulkHead {
	i, _ := slices.BinarySearchFunc(heads, after+1, func(h bulkHead, id int64) int { return cmp.Compare(h.event, id) })
	out := append(slices.Clone(heads[i:]), heads[:i]...)
	return out[:min(len(out), n)]
}

// bulkRow is a candidate of claimBulk.
type bulkRow struct {
	Delivery
	inactive bool
}

// bulkRowsSQL reads the candidates of one event, locking them on
// PostgreSQL and skipping rows another transaction holds.
var bulkRowsSQL = [...]string{SQLite: bulkRowsQuery(SQLite), PostgreSQL: bulkRowsQuery(PostgreSQL)}

func bulkRowsQuery(e Engine) string {
	return `SELECT d.chat_id, d.attempts, c.active, e.kind
		FROM deliveries d INDEXED BY deliveries_due JOIN chats c ON c.chat_id = d.chat_id JOIN events e ON e.id = d.event_id
		WHERE d.state = 'pending' AND d.priority = 2 AND d.next_attempt_at BETWEEN ? AND ? AND d.event_id = ?
		ORDER BY d.next_attempt_at, d.event_id LIMIT ?` + e.skipLocked("d")
}

// bulkRowsOf reads up to limit due rows of one event, oldest first. The
// scan starts at the event's oldest due row, so rows of other events are
// passed over only where the event's own rows run out.
func bulkRowsOf(ctx context.Context, tx *dbTx, h bulkHead, now int64, limit int) ([]bulkRow, error) {
	rows, err := tx.QueryContext(ctx, bulkRowsSQL[tx.engine], h.from, now, h.event, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: claim bulk: %w", err)
	}
	defer rows.Close()
	var out []bulkRow
	for rows.Next() {
		r := bulkRow{Delivery: Delivery{EventID: h.event, Priority: PriorityBulk}}
		var active int
		var kind status.Kind
		if err := rows.Scan(&r.ChatID, &r.Attempts, &active, &kind); err != nil {
			return nil, fmt.Errorf("storage: claim bulk: %w", err)
		}
		r.inactive = active == 0 && kind != status.KindReply
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: claim bulk: %w", err)
	}
	return out, nil
}
