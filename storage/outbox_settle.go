package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"sentinelle/status"
)

// outboxRow names the table and key of a delivery: chat deliveries and
// channel posts share their life cycle and their SQL.
func (d Delivery) outboxRow() (table, keyColumn string, key any) {
	if d.Channel != "" {
		return "channel_posts", "channel", d.Channel
	}
	return "deliveries", "chat_id", d.ChatID
}

// settle records one outcome. Every update requires the row to be still
// inflight under the fence that claimed it (r.Fence), so that a late or
// repeated result cannot undo a newer state: nor can a deposed leader's,
// once the next leader took the row back (pending) or claimed it again
// (its own fence).
func settle(ctx context.Context, tx *dbTx, r DeliveryResult, now int64) error {
	table, col, key := r.outboxRow()
	where := ` WHERE event_id = :eid AND ` + col + ` = :key AND state = 'inflight' AND claim_fence = :fence`
	args := []any{sql.Named("eid", r.EventID), sql.Named("key", key), sql.Named("now", now), sql.Named("fence", r.Fence),
		sql.Named("err", r.Error), sql.Named("at", ms(r.RetryAt)), sql.Named("msg", r.MessageID)}
	var q string
	switch r.Outcome {
	case OutcomeSent:
		q = `UPDATE ` + table + ` SET state = 'sent', attempts = attempts + 1, tg_message_id = :msg, sent_at = :now,
			last_error = '', lease_until = 0` + where
	case OutcomeRetry, OutcomeRequeue:
		count := ""
		if r.Outcome == OutcomeRetry {
			count = "attempts = attempts + 1, "
		}
		// A retry of news that a later event made untrue is dropped here.
		q = `UPDATE ` + table + ` SET ` + count + `next_attempt_at = :at, last_error = :err, lease_until = 0,
			state = CASE WHEN (SELECT state FROM events WHERE id = :eid) IN ('superseded', 'dead') THEN 'cancelled' ELSE 'pending' END` + where
	case OutcomeFailed, OutcomeUndeliverable, OutcomeDead, OutcomeRefused:
		state := string(r.Outcome)
		if r.Outcome == OutcomeRefused {
			state = "dead"
		}
		q = `UPDATE ` + table + ` SET state = '` + state + `', attempts = attempts + 1, last_error = :err,
			lease_until = 0` + where
	case OutcomeCancelled:
		q = `UPDATE ` + table + ` SET last_error = :err, lease_until = 0,
			state = CASE WHEN (SELECT state FROM events WHERE id = :eid) = 'dead' THEN 'dead' ELSE 'cancelled' END` + where
	case OutcomeMigrated:
		return settleMigrated(ctx, tx, r, now)
	default:
		return fmt.Errorf("storage: settle: unknown outcome %q", r.Outcome)
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("storage: settle %s: %w", r.Outcome, err)
	}
	switch {
	case r.Outcome == OutcomeUndeliverable && r.Channel == "":
		return deactivateChat(ctx, tx, r.ChatID, r.Error, now)
	case r.Outcome == OutcomeDead:
		return killEvent(ctx, tx, r.EventID, r.Error)
	}
	return nil
}

// settleMigrated moves the chat to its new id and makes the delivery due
// again at once under that id. When the new chat already had its own row
// for the event, that row stands and nothing is resent.
func settleMigrated(ctx context.Context, tx *dbTx, r DeliveryResult, now int64) error {
	if r.Channel != "" || r.NewChatID == 0 {
		return fmt.Errorf("storage: settle migrated: no new chat id for event %d", r.EventID)
	}
	var own int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE event_id = ? AND chat_id = ?`,
		r.EventID, r.NewChatID).Scan(&own)
	if err != nil {
		return fmt.Errorf("storage: settle migrated: %w", err)
	}
	if err := migrateChat(ctx, tx, r.ChatID, r.NewChatID, now); err != nil {
		return err
	}
	if own > 0 {
		return nil // the supergroup has its own row (maybe being sent right now): leave it be
	}
	_, err = tx.ExecContext(ctx, `UPDATE deliveries SET state = 'pending', attempts = attempts + 1, next_attempt_at = ?,
		last_error = ?, lease_until = 0 WHERE event_id = ? AND chat_id = ? AND state = 'inflight' AND claim_fence = ?`,
		now, r.Error, r.EventID, r.NewChatID, r.Fence)
	if err != nil {
		return fmt.Errorf("storage: settle migrated: %w", err)
	}
	return nil
}

// killEvent marks an event dead with every delivery of it not yet sent:
// Telegram refused its text, so sending it to anybody else would fail too.
func killEvent(ctx context.Context, tx *dbTx, eventID int64, reason string) error {
	for _, q := range []string{
		`UPDATE events SET state = 'dead', dead_reason = ? WHERE id = ?`,
		`UPDATE deliveries SET state = 'dead', last_error = ? WHERE event_id = ? AND state = 'pending'`,
		`UPDATE channel_posts SET state = 'dead', last_error = ? WHERE event_id = ? AND state = 'pending'`,
	} {
		if _, err := tx.ExecContext(ctx, q, reason, eventID); err != nil {
			return fmt.Errorf("storage: kill event %d: %w", eventID, err)
		}
	}
	return nil
}

// PrepareDelivery reads, just before sending, whom a claimed delivery goes
// to, and whether it should still go: skip is "" when it should, else the
// reason (the row was settled meanwhile or claimed again under another
// fence by the next leader, the chat left, the event died, or a later
// event about the same service made its news untrue). It runs one query:
// at 1,000 messages a second, every read counts.
func (s *Store) PrepareDelivery(ctx context.Context, d Delivery) (rc Recipient, skip string, err error) {
	if d.Channel != "" {
		return s.prepareChannelPost(ctx, d)
	}
	var rowState, evState, subs, classes string
	var evKind status.Kind
	var newer, active, alertOutage int
	var fence int64
	rc.ChatID = d.ChatID
	err = s.r.QueryRowContext(ctx, prepareDeliverySQL[s.engine], d.EventID, d.ChatID).
		Scan(&rowState, &fence, &evKind, &evState, &newer, &rc.Kind, &rc.Role, &rc.Levels, &active, &alertOutage, &subs, &classes)
	if skip, err := judgeRow("prepare delivery", err, claimedRow{rowState, fence, d.Fence}, evKind, evState, newer); skip != "" || err != nil {
		return Recipient{}, skip, err
	}
	if active == 0 && evKind != status.KindReply {
		return Recipient{}, "chat inactive", nil
	}
	rc.AlertOutage = alertOutage == 1
	if err := json.Unmarshal([]byte(subs), &rc.Academies); err != nil {
		return Recipient{}, "", fmt.Errorf("storage: prepare delivery: subscriptions: %w", err)
	}
	if err := json.Unmarshal([]byte(classes), &rc.Classes); err != nil {
		return Recipient{}, "", fmt.Errorf("storage: prepare delivery: classes: %w", err)
	}
	return rc, "", nil
}

// prepareDeliverySQL is PrepareDelivery's query said for each engine,
// once: at 1,000 messages a second, it is not built for each.
var prepareDeliverySQL = [...]string{SQLite: prepareDeliveryQuery(SQLite), PostgreSQL: prepareDeliveryQuery(PostgreSQL)}

func prepareDeliveryQuery(e Engine) string {
	return `SELECT o.state, o.claim_fence, e.kind, e.state, ` + newerEventSQL + `,
			c.kind, c.role, c.levels, c.active, c.alert_outage,
			(SELECT ` + e.jsonArrayOf(`academie`) + ` FROM (SELECT academie FROM subscriptions
				WHERE chat_id = c.chat_id ORDER BY academie) AS s),
			(SELECT ` + e.jsonArrayOf(e.jsonObject(`'ID', k.id, 'Code', k.code, 'Name', k.name,
				'Academie', k.academie, 'PlanB', k.plan_b, 'ServiceID', k.service_id`)) + ` FROM (SELECT k.id, k.code, k.name,
					k.academie, k.plan_b, k.service_id
				FROM class_members m JOIN classes k ON k.id = m.class_id
				WHERE m.chat_id = c.chat_id AND k.closed_at = 0 ORDER BY k.id) AS k)
		FROM deliveries o JOIN events e ON e.id = o.event_id JOIN chats c ON c.chat_id = o.chat_id
		WHERE o.event_id = ? AND o.chat_id = ?`
}

// newerEventSQL tells whether a later event about the same service exists
// (for the event e): with skipReason, notify.Supersedes (the rule) in SQL,
// for an e that names its service (two service events naming none count
// here as news of one service, which Supersedes does not).
// It is 1 or 0, as a number on both engines (PostgreSQL's EXISTS is a
// boolean).
const newerEventSQL = `CASE WHEN EXISTS (SELECT 1 FROM events n WHERE n.service_id = e.service_id AND n.id > e.id
	AND n.kind IN ` + serviceKindsSQL + `) THEN 1 ELSE 0 END`

// claimedRow is a row as a prepare step read it: its state and the fence
// that claimed it, and the fence of the job about to send it.
type claimedRow struct {
	state       string
	fence, mine int64
}

// judgeRow judges the row a prepare step read, given the error of its
// read: a row gone meanwhile is a skip, another error is wrapped with op,
// and a row read is judged by skipReason.
func judgeRow(op string, readErr error, row claimedRow, evKind status.Kind, evState string, newer int) (skip string, err error) {
	if errors.Is(readErr, sql.ErrNoRows) {
		return "row gone", nil
	}
	if readErr != nil {
		return "", fmt.Errorf("storage: %s: %w", op, readErr)
	}
	return skipReason(row, evKind, evState, newer), nil
}

func skipReason(row claimedRow, evKind status.Kind, evState string, newer int) string {
	switch {
	case row.state != "inflight":
		return "row " + row.state
	case row.fence != row.mine:
		return "row claimed again" // by the next leader: it sends it
	case evState == "dead" || evState == "superseded":
		return "event " + evState
	case newer == 1 && evKind.IsService():
		return "news outdated"
	}
	return ""
}

func (s *Store) prepareChannelPost(ctx context.Context, d Delivery) (Recipient, string, error) {
	var rowState, evState string
	var evKind status.Kind
	var newer int
	var fence int64
	err := s.r.QueryRowContext(ctx, `SELECT o.state, o.claim_fence, e.kind, e.state, `+newerEventSQL+`
		FROM channel_posts o JOIN events e ON e.id = o.event_id WHERE o.event_id = ? AND o.channel = ?`,
		d.EventID, d.Channel).Scan(&rowState, &fence, &evKind, &evState, &newer)
	if skip, err := judgeRow("prepare channel post", err, claimedRow{rowState, fence, d.Fence}, evKind, evState, newer); skip != "" || err != nil {
		return Recipient{}, skip, err
	}
	return Recipient{Channel: d.Channel, Kind: "channel", Academies: []string{d.Academie}}, "", nil
}

// MarkEventDead abandons an event that can never be delivered (an unknown
// service, an audience nobody can parse) with all its pending deliveries,
// keeping why for whoever investigates.
func (s *Store) MarkEventDead(ctx context.Context, eventID int64, reason string) error {
	return s.write(ctx, func(tx *dbTx) error { return killEvent(ctx, tx, eventID, reason) })
}
