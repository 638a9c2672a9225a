package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"sentinelle/status"
)

// ApplyUpdates runs fn for a whole getUpdates batch and records the batch's
// last update id in the same transaction, so that a crash either keeps the
// updates' effects and the id, or neither. One transaction, hence one
// fsync, for up to a hundred updates is what lets the bot
// take a thousand /abonner a second with synchronous=FULL. fn receives the
// last update id already recorded and must skip the updates at or below it
// (Telegram re-delivers a batch after a crash); lastID, the batch's last
// update, is recorded with fn's effects. When fn fails nothing is kept.
// applied is false when the whole batch was already recorded (fn is then
// not called).
func (s *Store) ApplyUpdates(ctx context.Context, lastID int64, fn func(tx *Tx, done int64) error) (applied bool, err error) {
	now := s.nowMS()
	err = s.write(ctx, func(tx *dbTx) error {
		var done int64
		err := tx.QueryRowContext(ctx, `SELECT CAST(value AS BIGINT) FROM meta WHERE key = ?`, updateMetaKey).Scan(&done)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			done = -1
		case err != nil:
			return fmt.Errorf("storage: apply updates: read last id: %w", err)
		}
		if lastID <= done {
			return nil
		}
		if err := fn(&Tx{tx: tx, now: now}, done); err != nil {
			return err
		}
		applied = true
		return setMeta(ctx, tx, updateMetaKey, strconv.FormatInt(lastID, 10), now)
	})
	return applied, err
}

// Isolate runs fn inside a savepoint: when fn fails, what it wrote is
// undone and the rest of the transaction stands. The bot handles each
// update of a batch this way, so that one update it cannot handle does not
// block the others forever.
//
// The savepoint is released by the next Isolate, in the statement that
// takes the next one, or by the commit: one round trip per update instead
// of two on PostgreSQL, where each statement crosses the network. What
// runs between two Isolates (or after the last) is inside the released-
// to-be savepoint, which no one rolls back to: it stands or falls with the
// transaction, as before. Isolates do not nest.
func (t *Tx) Isolate(ctx context.Context, fn func() error) error {
	take := `SAVEPOINT one_update`
	if t.savepoint {
		take = `RELEASE one_update; SAVEPOINT one_update`
	}
	if _, err := t.tx.ExecContext(ctx, take); err != nil {
		return fmt.Errorf("storage: savepoint: %w", err)
	}
	t.savepoint = true
	ferr := fn()
	if ferr != nil {
		if _, err := t.tx.ExecContext(ctx, `ROLLBACK TO one_update`); err != nil {
			return errors.Join(ferr, fmt.Errorf("storage: rollback to savepoint: %w", err))
		}
	}
	return ferr
}

// ForgetChat erases everything about a chat at once (/oublier): its row,
// and with it its subscriptions, class memberships, pending deliveries and
// questions; the classes it owns with their notices and plan B; the
// replies the bot wrote to it. Announcements an admin sent stay: they are
// not about the admin. Forgetting an unknown chat does nothing.
func (t *Tx) ForgetChat(ctx context.Context, chatID int64) error {
	args := []any{sql.Named("chat", chatID), sql.Named("audience", status.AudienceChat(chatID).String())}
	for _, q := range []string{
		`DELETE FROM events WHERE audience IN (SELECT ` + classAudienceSQL + ` FROM classes WHERE owner_chat_id = :chat)`,
		`DELETE FROM events WHERE audience = :audience`,
		`DELETE FROM classes WHERE owner_chat_id = :chat`,
		`DELETE FROM chats WHERE chat_id = :chat`,
	} {
		if _, err := t.tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("storage: forget chat: %w", err)
		}
	}
	return nil
}

// classAudienceSQL is status.AudienceClass(id).String() written in SQL, for
// the classes of a query (TestClassAudienceSQL checks that they agree).
const classAudienceSQL = `'class:' || id`

// Confirmation kinds: what pressing the confirming button does.
const (
	ConfirmBroadcast    = "diffuser" // send Text to class ClassID
	ConfirmAnnouncement = "annonce"  // send Text to Target ("all" or an académie slug)
	ConfirmForget       = "oublier"  // erase the chat
	ConfirmClass        = "classe"   // create class Text in the académie chosen
)

// Confirmation is a question waiting for a button. ID is random and is the
// button's callback data; UserID is the only person who may answer.
type Confirmation struct {
	ID      string
	ChatID  int64
	UserID  int64
	Kind    string
	ClassID int64 // 0: none
	Target  string
	Text    string
	// PreviewKey is the dedup key of the reply that showed a preview: its
	// Quote is the text « Envoyer » sends, kept there once instead of twice.
	PreviewKey string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// CreateConfirmation stores a question; its id must be new.
func (t *Tx) CreateConfirmation(ctx context.Context, c Confirmation) error {
	var class any
	if c.ClassID != 0 {
		class = c.ClassID
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO confirmations (id, chat_id, user_id, kind, class_id, target, text,
			preview_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.ChatID, c.UserID, c.Kind, class, c.Target, c.Text, c.PreviewKey, t.now, ms(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("storage: create confirmation: %w", err)
	}
	return nil
}

// TakeConfirmation returns a question and deletes it, so that a button
// pressed twice acts once. It returns ErrNotFound when the question was
// answered, deleted with its chat or class, or never existed; an expired
// one is returned (and deleted) too: the caller compares ExpiresAt.
func (t *Tx) TakeConfirmation(ctx context.Context, id string) (Confirmation, error) {
	var c Confirmation
	var class sql.NullInt64
	var created, expires int64
	err := t.tx.QueryRowContext(ctx, `DELETE FROM confirmations WHERE id = ?
		RETURNING id, chat_id, user_id, kind, class_id, target, text, preview_key, created_at, expires_at`, id).
		Scan(&c.ID, &c.ChatID, &c.UserID, &c.Kind, &class, &c.Target, &c.Text, &c.PreviewKey, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Confirmation{}, ErrNotFound
	}
	if err != nil {
		return Confirmation{}, fmt.Errorf("storage: take confirmation: %w", err)
	}
	c.ClassID = class.Int64
	c.CreatedAt, c.ExpiresAt = fromMS(created), fromMS(expires)
	return c, nil
}

// PurgeConfirmations deletes the questions that expired before t, with the
// preview texts they hold, and returns how many.
func (s *Store) PurgeConfirmations(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *dbTx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM confirmations WHERE expires_at < ?`, ms(t))
		if err != nil {
			return fmt.Errorf("storage: purge confirmations: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// Reply returns the stored message of the reply written under a dedup key,
// as stored (Quote apart), or ErrNotFound.
func (t *Tx) Reply(ctx context.Context, key string) (OutMessage, error) {
	var id int64
	var payload string
	err := t.tx.QueryRowContext(ctx, `SELECT id, payload FROM events WHERE dedup_key = ? AND kind = 'reply'`, key).
		Scan(&id, &payload)
	if errors.Is(err, sql.ErrNoRows) {
		return OutMessage{}, ErrNotFound
	}
	if err != nil {
		return OutMessage{}, fmt.Errorf("storage: read reply: %w", err)
	}
	return decodeReply(id, payload)
}

// StoredReply is a reply event's message as stored, for rewriting.
type StoredReply struct {
	EventID int64
	Message OutMessage
}

// RepliesAbout lists the stored replies whose text names a chat's person
// (OutMessage.About), so that their /oublier can rewrite them.
func (t *Tx) RepliesAbout(ctx context.Context, chatID int64) ([]StoredReply, error) {
	type row struct {
		id      int64
		payload string
	}
	rows, err := queryAll(ctx, t.tx, "storage: replies about a chat", func(r rowScanner) (row, error) {
		var v row
		err := r.Scan(&v.id, &v.payload)
		return v, err
	}, `SELECT id, payload FROM events
		WHERE kind = 'reply' AND `+t.tx.engine.jsonInt("payload", "about")+` = ?`, chatID)
	if err != nil {
		return nil, err
	}
	var out []StoredReply
	for _, r := range rows {
		m, err := decodeReply(r.id, r.payload) // its error names the event
		if err != nil {
			return nil, err
		}
		out = append(out, StoredReply{EventID: r.id, Message: m})
	}
	return out, nil
}

// RewriteReply replaces the stored message of a reply event; a delivery
// not sent yet sends the new one.
func (t *Tx) RewriteReply(ctx context.Context, eventID int64, m OutMessage) error {
	payload, err := marshalPayload(m)
	if err != nil {
		return fmt.Errorf("storage: rewrite reply: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE events SET payload = ? WHERE id = ? AND kind = 'reply'`,
		payload, eventID); err != nil {
		return fmt.Errorf("storage: rewrite reply: %w", err)
	}
	return nil
}

// BotStats are the figures an admin reads with /stats.
type BotStats struct {
	Chats         int            // active chats
	Inactive      int            // chats that blocked the bot or removed it
	Groups        int            // active groups and supergroups
	ByRole        map[string]int // active chats per role ("" = not given)
	Subscriptions int
	TopAcademies  []AcademieCount // most followed first, at most 5
	OpenClasses   int
	Members       int // memberships of open classes
	NoticesDay    int // notices and announcements in the last 24 h
}

// AcademieCount is how many chats follow an académie.
type AcademieCount struct {
	Academie string
	Chats    int
}

// BotStats counts subscribers, classes and recent notices.
func (s *Store) BotStats(ctx context.Context) (BotStats, error) {
	st := BotStats{ByRole: map[string]int{}}
	dayAgo := s.nowMS() - (24 * time.Hour).Milliseconds()
	err := s.r.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM chats WHERE active = 1),
			(SELECT COUNT(*) FROM chats WHERE active = 0),
			(SELECT COUNT(*) FROM chats WHERE active = 1 AND kind IN ('group', 'supergroup')),
			(SELECT COUNT(*) FROM subscriptions),
			(SELECT COUNT(*) FROM classes WHERE closed_at = 0),
			(SELECT COUNT(*) FROM class_members m JOIN classes k ON k.id = m.class_id WHERE k.closed_at = 0),
			(SELECT COUNT(*) FROM notices WHERE created_at >= ?)`, dayAgo).
		Scan(&st.Chats, &st.Inactive, &st.Groups, &st.Subscriptions, &st.OpenClasses, &st.Members, &st.NoticesDay)
	if err != nil {
		return BotStats{}, fmt.Errorf("storage: bot stats: %w", err)
	}
	err = queryEach(ctx, s.r, "storage: bot stats: roles", func(rows *sql.Rows) error {
		var role string
		var n int
		if err := rows.Scan(&role, &n); err != nil {
			return err
		}
		st.ByRole[role] = n
		return nil
	}, `SELECT role, COUNT(*) FROM chats WHERE active = 1 GROUP BY role`)
	if err != nil {
		return BotStats{}, err
	}
	st.TopAcademies, err = queryAll(ctx, s.r, "storage: bot stats: académies", func(row rowScanner) (AcademieCount, error) {
		var a AcademieCount
		err := row.Scan(&a.Academie, &a.Chats)
		return a, err
	}, `SELECT academie, COUNT(*) AS n FROM subscriptions
		GROUP BY academie ORDER BY n DESC, academie LIMIT 5`)
	if err != nil {
		return BotStats{}, err
	}
	return st, nil
}
