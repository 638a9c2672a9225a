package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Level bits of chats.levels. A chat's levels are an OR of these; 0 means
// the person gave none, and then every alert concerns them.
const (
	LevelPrimaire = 1
	LevelCollege  = 2
	LevelLycee    = 4
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
	Levels        int
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

// Subscriber is a chat with the académies it follows, the unit of a bulk
// import (ImportSubscribers).
type Subscriber struct {
	Chat      Chat
	Academies []string
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
func (s *Store) CreateOrUpdateChat(ctx context.Context, c Chat) error {
	return s.write(ctx, func(tx *sql.Tx) error { return upsertChat(ctx, tx, c, s.nowMS()) })
}

func upsertChat(ctx context.Context, tx *sql.Tx, c Chat, now int64) error {
	if c.Kind == "" {
		c.Kind = "private"
	}
	_, err := tx.ExecContext(ctx, upsertChatSQL, c.ID, c.Kind, c.Role, c.Levels, flag01(c.AlertOutage),
		flag01(c.AlertRecovery), flag01(c.AlertDegraded), c.DisplayName, flag01(c.Active), now, now)
	if err != nil {
		return fmt.Errorf("storage: save chat: %w", err)
	}
	return nil
}

// Chat returns one chat, or ErrNotFound.
func (s *Store) Chat(ctx context.Context, id int64) (Chat, error) {
	return readChat(ctx, s.r, id)
}

// rowQuerier is what readChat needs: the read pool or a transaction, which
// sees its own writes.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readChat reads one chat, or ErrNotFound.
func readChat(ctx context.Context, q rowQuerier, id int64) (Chat, error) {
	var c Chat
	var outage, recovery, degraded, active int
	var created, updated int64
	err := q.QueryRowContext(ctx, `SELECT chat_id, kind, role, levels, alert_outage, alert_recovery,
			alert_degraded, display_name, active, created_at, updated_at FROM chats WHERE chat_id = ?`, id).
		Scan(&c.ID, &c.Kind, &c.Role, &c.Levels, &outage, &recovery, &degraded, &c.DisplayName, &active, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Chat{}, ErrNotFound
	}
	if err != nil {
		return Chat{}, fmt.Errorf("storage: read chat: %w", err)
	}
	c.AlertOutage, c.AlertRecovery, c.AlertDegraded, c.Active = outage == 1, recovery == 1, degraded == 1, active == 1
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

// Subscribe makes a chat follow an académie (by slug). Subscribing twice
// is harmless. The chat must exist.
func (s *Store) Subscribe(ctx context.Context, chatID int64, academie string) error {
	return s.write(ctx, func(tx *sql.Tx) error { return subscribe(ctx, tx, chatID, academie, s.nowMS()) })
}

func subscribe(ctx context.Context, tx *sql.Tx, chatID int64, academie string, now int64) error {
	if _, err := tx.ExecContext(ctx, subscribeSQL, chatID, academie, now); err != nil {
		return fmt.Errorf("storage: subscribe: %w", err)
	}
	return nil
}

// Unsubscribe stops a chat following an académie; an empty academie stops
// it following any.
func (s *Store) Unsubscribe(ctx context.Context, chatID int64, academie string) error {
	return s.write(ctx, func(tx *sql.Tx) error { return unsubscribe(ctx, tx, chatID, academie) })
}

func unsubscribe(ctx context.Context, tx *sql.Tx, chatID int64, academie string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE chat_id = ? AND (? = '' OR academie = ?)`,
		chatID, academie, academie)
	if err != nil {
		return fmt.Errorf("storage: unsubscribe: %w", err)
	}
	return nil
}

// Subscriptions lists the académies a chat follows, sorted.
func (s *Store) Subscriptions(ctx context.Context, chatID int64) ([]string, error) {
	return queryTexts(ctx, s.r, `SELECT academie FROM subscriptions WHERE chat_id = ? ORDER BY academie`, chatID)
}

// ImportSubscribers saves many chats and their subscriptions in one
// transaction: a migration from another tool, a load test, a benchmark.
// Saving 100,000 subscribers one transaction each would take minutes.
func (s *Store) ImportSubscribers(ctx context.Context, subs []Subscriber) error {
	now := s.nowMS()
	return s.write(ctx, func(tx *sql.Tx) error {
		for _, sub := range subs {
			if err := upsertChat(ctx, tx, sub.Chat, now); err != nil {
				return err
			}
			for _, a := range sub.Academies {
				if err := subscribe(ctx, tx, sub.Chat.ID, a, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// DeactivateChat stops every message to a chat that Telegram refuses
// (blocked the bot, chat not found): its pending deliveries are cancelled
// and it gets no new ones. Its subscriptions are kept, so that a /start
// (CreateOrUpdateChat with Active) brings everything back.
func (s *Store) DeactivateChat(ctx context.Context, chatID int64, reason string) error {
	return s.write(ctx, func(tx *sql.Tx) error { return deactivateChat(ctx, tx, chatID, reason, s.nowMS()) })
}

func deactivateChat(ctx context.Context, tx *sql.Tx, chatID int64, reason string, now int64) error {
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
// have a row for the same thing, the new chat's row wins.
func (s *Store) MigrateChat(ctx context.Context, oldID, newID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error { return migrateChat(ctx, tx, oldID, newID, s.nowMS()) })
}

func migrateChat(ctx context.Context, tx *sql.Tx, oldID, newID int64, now int64) error {
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
	for _, q := range []string{
		`UPDATE OR IGNORE subscriptions SET chat_id = ? WHERE chat_id = ?`,
		`UPDATE OR IGNORE class_members SET chat_id = ? WHERE chat_id = ?`,
		`UPDATE OR IGNORE deliveries SET chat_id = ? WHERE chat_id = ?`,
		`UPDATE classes SET owner_chat_id = ? WHERE owner_chat_id = ?`,
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

// queryTexts runs a query returning one text column.
func queryTexts(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: query: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("storage: query: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: query: %w", err)
	}
	return out, nil
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
	CreatedAt   time.Time
	ClosedAt    time.Time
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
}

// CreateClass opens a class owned by an existing chat.
func (s *Store) CreateClass(ctx context.Context, c NewClass) (Class, error) {
	if c.Code == "" || c.Academie == "" {
		return Class{}, errors.New("storage: create class: code and académie are required")
	}
	now := s.nowMS()
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO classes (code, name, academie, owner_chat_id, owner_user_id,
				plan_b, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.Code, c.Name, c.Academie, c.OwnerChatID, c.OwnerUserID,
			c.PlanB, now).Scan(&id)
	})
	if err != nil {
		return Class{}, fmt.Errorf("storage: create class: %w", err)
	}
	return Class{ID: id, Code: c.Code, Name: c.Name, Academie: c.Academie, OwnerChatID: c.OwnerChatID,
		OwnerUserID: c.OwnerUserID, PlanB: c.PlanB, CreatedAt: fromMS(now)}, nil
}

// ClassByCode finds a class by its join code, or ErrNotFound.
func (s *Store) ClassByCode(ctx context.Context, code string) (Class, error) {
	c, err := scanClass(s.r.QueryRowContext(ctx, `SELECT `+classColumns+` FROM classes WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return Class{}, ErrNotFound
	}
	if err != nil {
		return Class{}, fmt.Errorf("storage: read class: %w", err)
	}
	return c, nil
}

// JoinClass adds a chat to a class; joining twice is harmless.
func (s *Store) JoinClass(ctx context.Context, classID, chatID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error { return joinClass(ctx, tx, classID, chatID, s.nowMS()) })
}

func joinClass(ctx context.Context, tx *sql.Tx, classID, chatID, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO class_members (class_id, chat_id, joined_at) VALUES (?, ?, ?)
		ON CONFLICT (class_id, chat_id) DO NOTHING`, classID, chatID, now)
	if err != nil {
		return fmt.Errorf("storage: join class: %w", err)
	}
	return nil
}

// LeaveClass removes a chat from a class.
func (s *Store) LeaveClass(ctx context.Context, classID, chatID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM class_members WHERE class_id = ? AND chat_id = ?`, classID, chatID)
		if err != nil {
			return fmt.Errorf("storage: leave class: %w", err)
		}
		return nil
	})
}

// CloseClass closes a class at the end of the year: its members hear
// nothing more from it, and its history stays.
func (s *Store) CloseClass(ctx context.Context, classID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE classes SET closed_at = ? WHERE id = ? AND closed_at = 0`, s.nowMS(), classID)
		if err != nil {
			return fmt.Errorf("storage: close class: %w", err)
		}
		return nil
	})
}
