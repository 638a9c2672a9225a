package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sentinelle/status"
)

// Chat is a Telegram chat that talks to the bot, with the preferences that
// decide which alerts it hears. Kind is "private", "group", "supergroup" or
// "channel"; Role is "", "parent", "eleve" or "enseignant". Active is false
// once Telegram said the bot may no longer write there (blocked, kicked,
// chat gone): nothing is sent to an inactive chat until it talks again.
type Chat struct {
	ID            int64
	Kind          string
	Role          string
	Levels        status.LevelMask // chats.levels: 0 when the person gave none
	AlertOutage   bool
	AlertRecovery bool
	AlertDegraded bool
	DisplayName   string
	Active        bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// NewChat returns a private chat with the defaults of a fresh subscriber:
// told about outages and recoveries, not about mere slowness, active.
func NewChat(id int64) Chat {
	return Chat{ID: id, Kind: "private", AlertOutage: true, AlertRecovery: true, Active: true}
}

const upsertChatSQL = `INSERT INTO chats (chat_id, kind, role, levels, alert_outage, alert_recovery,
		alert_degraded, display_name, active, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (chat_id) DO UPDATE SET kind = excluded.kind, role = excluded.role,
		levels = excluded.levels, alert_outage = excluded.alert_outage,
		alert_recovery = excluded.alert_recovery, alert_degraded = excluded.alert_degraded,
		display_name = excluded.display_name, active = excluded.active, updated_at = excluded.updated_at`

const subscribeSQL = `INSERT INTO subscriptions (chat_id, academie, created_at) VALUES (?, ?, ?)
	ON CONFLICT (chat_id, academie) DO NOTHING`

// CreateOrUpdateChat saves every field of c (except CreatedAt, set on the
// first save). An empty Kind is stored as "private".
func (t *Tx) CreateOrUpdateChat(ctx context.Context, c Chat) error {
	if c.Kind == "" {
		c.Kind = "private"
	}
	_, err := t.tx.ExecContext(ctx, upsertChatSQL, c.ID, c.Kind, c.Role, c.Levels, flag01(c.AlertOutage),
		flag01(c.AlertRecovery), flag01(c.AlertDegraded), c.DisplayName, flag01(c.Active), t.now, t.now)
	if err != nil {
		return fmt.Errorf("storage: save chat: %w", err)
	}
	return nil
}

// chatColumns are a chat's columns, of the chats table aliased c, in
// scanChat's order.
const chatColumns = `c.chat_id, c.kind, c.role, c.levels, c.alert_outage, c.alert_recovery,
	c.alert_degraded, c.display_name, c.active, c.created_at, c.updated_at`

// scanChat reads chatColumns, then the row's further columns into more.
func scanChat(row rowScanner, more ...any) (Chat, error) {
	var c Chat
	var outage, recovery, degraded, active int
	var created, updated int64
	err := row.Scan(append([]any{&c.ID, &c.Kind, &c.Role, &c.Levels, &outage, &recovery, &degraded,
		&c.DisplayName, &active, &created, &updated}, more...)...)
	c.AlertOutage, c.AlertRecovery, c.AlertDegraded, c.Active = outage == 1, recovery == 1, degraded == 1, active == 1
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, err
}

// Chat returns one chat, or ErrNotFound. It sees what the transaction
// wrote, which an update following another of the same chat needs.
func (t *Tx) Chat(ctx context.Context, id int64) (Chat, error) {
	c, err := scanChat(t.tx.QueryRowContext(ctx, `SELECT `+chatColumns+` FROM chats c WHERE c.chat_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Chat{}, ErrNotFound
	}
	if err != nil {
		return Chat{}, fmt.Errorf("storage: read chat: %w", err)
	}
	return c, nil
}

// Following is what a chat follows: its académies (sorted, as
// subscriptions) and, for those narrowed to some départements, their codes
// (sorted, as SubscriptionDepartements).
type Following struct {
	Academies    []string
	Departements map[string][]string
}

// ChatFollowing returns a chat and what it follows, in one statement: the
// bot reads both for most updates, and on PostgreSQL each statement is a
// round trip. ErrNotFound when the chat does not exist.
func (t *Tx) ChatFollowing(ctx context.Context, id int64) (Chat, Following, error) {
	var c Chat
	f := Following{Departements: map[string][]string{}}
	found := false
	err := queryEach(ctx, t.tx, "storage: read chat and subscriptions", func(rows *sql.Rows) error {
		var a, d sql.NullString
		var err error
		if c, err = scanChat(rows, &a, &d); err != nil {
			return err
		}
		found = true
		switch {
		case !a.Valid: // no subscription
		case !d.Valid:
			f.Academies = append(f.Academies, a.String)
		default:
			if len(f.Academies) == 0 || f.Academies[len(f.Academies)-1] != a.String {
				f.Academies = append(f.Academies, a.String)
			}
			f.Departements[a.String] = append(f.Departements[a.String], d.String)
		}
		return nil
	}, `SELECT `+chatColumns+`, s.academie, d.departement FROM chats c
		LEFT JOIN subscriptions s ON s.chat_id = c.chat_id
		LEFT JOIN subscription_departements d ON d.chat_id = s.chat_id AND d.academie = s.academie
		WHERE c.chat_id = ? ORDER BY s.academie, d.departement`, id)
	if err != nil {
		return Chat{}, Following{}, err
	}
	if !found {
		return Chat{}, Following{}, ErrNotFound
	}
	return c, f, nil
}

// Subscribe makes a chat follow an académie (by slug). Subscribing twice
// is harmless. The chat must exist.
func (t *Tx) Subscribe(ctx context.Context, chatID int64, academie string) error {
	if _, err := t.tx.ExecContext(ctx, subscribeSQL, chatID, academie, t.now); err != nil {
		return fmt.Errorf("storage: subscribe: %w", err)
	}
	return nil
}

// Unsubscribe stops a chat following an académie; an empty academie stops
// it following any.
func (t *Tx) Unsubscribe(ctx context.Context, chatID int64, academie string) error {
	_, err := t.tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE chat_id = ? AND (? = '' OR academie = ?)`,
		chatID, academie, academie)
	if err != nil {
		return fmt.Errorf("storage: unsubscribe: %w", err)
	}
	return nil
}

// subscriptions lists the académies a chat follows, sorted (tests compare
// ChatFollowing with it).
func (t *Tx) subscriptions(ctx context.Context, chatID int64) ([]string, error) {
	return queryAll(ctx, t.tx, "storage: subscriptions", scanValue[string],
		`SELECT academie FROM subscriptions WHERE chat_id = ? ORDER BY academie`, chatID)
}

// DeactivateChat stops every message to a chat that Telegram refuses
// (blocked the bot, chat not found): its pending deliveries are cancelled
// and it gets no new ones. Its subscriptions are kept, so that a /start
// (CreateOrUpdateChat with Active) brings everything back. Settling a
// delivery Telegram refused does the same.
func (t *Tx) DeactivateChat(ctx context.Context, chatID int64, reason string) error {
	return deactivateChat(ctx, t.tx, chatID, reason, t.now)
}

func deactivateChat(ctx context.Context, tx *dbTx, chatID int64, reason string, now int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE chats SET active = 0, updated_at = ? WHERE chat_id = ?`, now, chatID); err != nil {
		return fmt.Errorf("storage: deactivate chat: %w", err)
	}
	_, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'cancelled', last_error = ?
		WHERE chat_id = ? AND state = 'pending'`, "chat deactivated: "+reason, chatID)
	if err != nil {
		return fmt.Errorf("storage: deactivate chat: cancel deliveries: %w", err)
	}
	return nil
}

// MigrateChat moves everything of a group that Telegram upgraded to a
// supergroup (migrate_to_chat_id) to its new id: subscriptions, class
// memberships and deliveries follow. When the new id is already known (the
// bot heard from the supergroup first), the two are merged and, where both
// have a row for the same thing, the new chat's row wins. Settling a
// delivery Telegram answered « migrated » does the same.
func (t *Tx) MigrateChat(ctx context.Context, oldID, newID int64) error {
	return migrateChat(ctx, t.tx, oldID, newID, t.now)
}

func migrateChat(ctx context.Context, tx *dbTx, oldID, newID int64, now int64) error {
	if oldID == newID {
		return nil
	}
	var exists int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM chats WHERE chat_id = ?`, newID).Scan(&exists)
	if err != nil {
		return fmt.Errorf("storage: migrate chat: %w", err)
	}
	if exists == 0 {
		// ON UPDATE CASCADE moves every child row; none can collide.
		_, err = tx.ExecContext(ctx, `UPDATE chats SET chat_id = ?, kind = 'supergroup', updated_at = ? WHERE chat_id = ?`,
			newID, now, oldID)
		if err != nil {
			return fmt.Errorf("storage: migrate chat: %w", err)
		}
		return nil
	}
	// Each row moves unless the new chat has its twin (UPDATE OR IGNORE,
	// said in a way PostgreSQL understands too).
	for _, q := range []string{
		`UPDATE subscriptions SET chat_id = ?1 WHERE chat_id = ?2
			AND academie NOT IN (SELECT academie FROM subscriptions WHERE chat_id = ?1)`,
		`UPDATE class_members SET chat_id = ?1 WHERE chat_id = ?2
			AND class_id NOT IN (SELECT class_id FROM class_members WHERE chat_id = ?1)`,
		`UPDATE deliveries SET chat_id = ?1 WHERE chat_id = ?2
			AND event_id NOT IN (SELECT event_id FROM deliveries WHERE chat_id = ?1)`,
		`UPDATE classes SET owner_chat_id = ?1 WHERE owner_chat_id = ?2`,
	} {
		if _, err := tx.ExecContext(ctx, q, newID, oldID); err != nil {
			return fmt.Errorf("storage: migrate chat: merge: %w", err)
		}
	}
	// What could not move (the new chat already had it) goes with the old row.
	if _, err := tx.ExecContext(ctx, `DELETE FROM chats WHERE chat_id = ?`, oldID); err != nil {
		return fmt.Errorf("storage: migrate chat: drop old: %w", err)
	}
	return nil
}

func flag01(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Class is a teacher's class: its members hear the teacher's notices and,
// when their académie's ENT is down, the plan B. A zero ClosedAt means open.
type Class struct {
	ID          int64
	Code        string
	Name        string
	Academie    string
	OwnerChatID int64
	// OwnerUserID is the Telegram user who created the class, 0 when
	// unknown (an anonymous group admin, a class older than the record).
	OwnerUserID int64
	PlanB       string
	// ServiceID is the ENT the class uses (a catalog service id), whose
	// outages carry its plan B; '' when its teacher has not picked one
	// (any ENT of its académie then does).
	ServiceID string
	CreatedAt time.Time
	ClosedAt  time.Time
}

// NewClass is what a teacher gives to open a class; Code is the join code
// shared with families and must be unique.
type NewClass struct {
	Code        string
	Name        string
	Academie    string
	OwnerChatID int64
	OwnerUserID int64
	PlanB       string
	ServiceID   string
}
