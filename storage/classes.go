package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sentinelle/status"
)

// ErrCodeTaken is returned by CreateClass when the join code is already
// used by another class (open or closed): the caller draws another.
var ErrCodeTaken = errors.New("storage: class code already taken")

const classColumns = `id, code, name, academie, owner_chat_id, owner_user_id, plan_b, created_at, closed_at, service_id`

func scanClass(row rowScanner) (Class, error) { return scanClassThen(row) }

// scanClassThen reads the classColumns of a row and then, into extra, the
// columns its query selects after them.
func scanClassThen(row rowScanner, extra ...any) (Class, error) {
	var c Class
	var created, closed int64
	dest := []any{&c.ID, &c.Code, &c.Name, &c.Academie, &c.OwnerChatID, &c.OwnerUserID, &c.PlanB,
		&created, &closed, &c.ServiceID}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return Class{}, err
	}
	c.CreatedAt, c.ClosedAt = fromMS(created), fromMS(closed)
	return c, nil
}

// scanClassInfo reads classColumns followed by the member count.
func scanClassInfo(row rowScanner) (ClassInfo, error) {
	var ci ClassInfo
	c, err := scanClassThen(row, &ci.Members)
	ci.Class = c
	return ci, err
}

// CreateClass opens a class owned by an existing chat; a code already in
// use, by an open or a closed class, gives ErrCodeTaken.
func (t *Tx) CreateClass(ctx context.Context, c NewClass) (Class, error) {
	if c.Code == "" || c.Academie == "" {
		return Class{}, errors.New("storage: create class: code and académie are required")
	}
	var taken int
	if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM classes WHERE code = ?`, c.Code).Scan(&taken); err != nil {
		return Class{}, fmt.Errorf("storage: create class: %w", err)
	}
	if taken > 0 {
		return Class{}, ErrCodeTaken
	}
	var id int64
	err := t.tx.QueryRowContext(ctx, `INSERT INTO classes (code, name, academie, owner_chat_id, owner_user_id,
			plan_b, created_at, service_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.Code, c.Name, c.Academie, c.OwnerChatID, c.OwnerUserID,
		c.PlanB, t.now, c.ServiceID).Scan(&id)
	if err != nil {
		return Class{}, fmt.Errorf("storage: create class: %w", err)
	}
	return Class{ID: id, Code: c.Code, Name: c.Name, Academie: c.Academie, OwnerChatID: c.OwnerChatID,
		OwnerUserID: c.OwnerUserID, PlanB: c.PlanB, ServiceID: c.ServiceID, CreatedAt: fromMS(t.now)}, nil
}

// ClassByCode finds a class by its join code, or ErrNotFound.
func (t *Tx) ClassByCode(ctx context.Context, code string) (Class, error) {
	return classWhere(ctx, t.tx, `code = ?`, code)
}

// ClassByID returns a class by id, or ErrNotFound.
func (t *Tx) ClassByID(ctx context.Context, id int64) (Class, error) {
	return classWhere(ctx, t.tx, `id = ?`, id)
}

// classWhere reads the class that cond (one placeholder, arg) selects, or
// ErrNotFound.
func classWhere(ctx context.Context, tx *dbTx, cond string, arg any) (Class, error) {
	c, err := scanClass(tx.QueryRowContext(ctx, `SELECT `+classColumns+` FROM classes WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Class{}, ErrNotFound
	}
	if err != nil {
		return Class{}, fmt.Errorf("storage: read class: %w", err)
	}
	return c, nil
}

// ClassInfo is a class with what its teacher wants to see in /classes.
type ClassInfo struct {
	Class
	Members int
}

// OwnedClasses lists the open classes a chat created, oldest first, with
// their member counts.
func (t *Tx) OwnedClasses(ctx context.Context, ownerChatID int64) ([]ClassInfo, error) {
	return queryAll(ctx, t.tx, "storage: owned classes", scanClassInfo, `SELECT `+classColumns+`,
			(SELECT COUNT(*) FROM class_members m WHERE m.class_id = classes.id)
		FROM classes WHERE owner_chat_id = ? AND closed_at = 0 ORDER BY id`, ownerChatID)
}

// JoinedClasses lists the open classes a chat is a member of, by id.
func (t *Tx) JoinedClasses(ctx context.Context, chatID int64) ([]Class, error) {
	return queryAll(ctx, t.tx, "storage: joined classes", scanClass,
		`SELECT k.id, k.code, k.name, k.academie, k.owner_chat_id, k.owner_user_id,
			k.plan_b, k.created_at, k.closed_at, k.service_id
		FROM class_members m JOIN classes k ON k.id = m.class_id
		WHERE m.chat_id = ? AND k.closed_at = 0 ORDER BY k.id`, chatID)
}

// MemberCount counts a class's members.
func (t *Tx) MemberCount(ctx context.Context, classID int64) (int, error) {
	var n int
	if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM class_members WHERE class_id = ?`, classID).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: member count: %w", err)
	}
	return n, nil
}

// JoinClass adds a chat to a class; joining twice is harmless.
func (t *Tx) JoinClass(ctx context.Context, classID, chatID int64) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO class_members (class_id, chat_id, joined_at) VALUES (?, ?, ?)
		ON CONFLICT (class_id, chat_id) DO NOTHING`, classID, chatID, t.now)
	if err != nil {
		return fmt.Errorf("storage: join class: %w", err)
	}
	return nil
}

// IsMember tells whether a chat is a member of a class.
func (t *Tx) IsMember(ctx context.Context, classID, chatID int64) (bool, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM class_members WHERE class_id = ? AND chat_id = ?`,
		classID, chatID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("storage: is member: %w", err)
	}
	return n > 0, nil
}

// LeaveClass removes a chat from a class and reports whether it was a
// member.
func (t *Tx) LeaveClass(ctx context.Context, classID, chatID int64) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM class_members WHERE class_id = ? AND chat_id = ?`, classID, chatID)
	if err != nil {
		return false, fmt.Errorf("storage: leave class: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SetPlanB replaces a class's plan B; an empty text removes it.
func (t *Tx) SetPlanB(ctx context.Context, classID int64, text string) error {
	if _, err := t.tx.ExecContext(ctx, `UPDATE classes SET plan_b = ? WHERE id = ?`, text, classID); err != nil {
		return fmt.Errorf("storage: set plan B: %w", err)
	}
	return nil
}

// SetClassService binds an open class to the ENT its pupils use (a
// catalog service id; the caller checks it against the catalog).
func (t *Tx) SetClassService(ctx context.Context, classID int64, serviceID string) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE classes SET service_id = ? WHERE id = ? AND closed_at = 0`, serviceID, classID)
	if err != nil {
		return fmt.Errorf("storage: set class service: %w", err)
	}
	return nil
}

// CloseClass closes a class for good: its members hear nothing more from
// it, they are removed, and the texts its teacher wrote (plan B, notices,
// previews) are deleted, since nothing needs them any more. The row stays
// with its name and code, so that the code is never given to another class.
func (t *Tx) CloseClass(ctx context.Context, classID int64) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE classes SET closed_at = ?, plan_b = '' WHERE id = ? AND closed_at = 0`,
		t.now, classID)
	if err != nil {
		return fmt.Errorf("storage: close class: %w", err)
	}
	for _, q := range []struct {
		sql string
		arg any
	}{
		{`DELETE FROM class_members WHERE class_id = ?`, classID},
		{`DELETE FROM confirmations WHERE class_id = ?`, classID},
		{`DELETE FROM events WHERE audience = ?`, status.AudienceClass(classID).String()},
	} {
		if _, err := t.tx.ExecContext(ctx, q.sql, q.arg); err != nil {
			return fmt.Errorf("storage: close class: %w", err)
		}
	}
	return nil
}

// NewNotice records a confirmed notice (ClassID set) or announcement
// (ClassID 0) whose event was just written; Label names its audience in
// the sender's report ("6e B", "Versailles").
type NewNotice struct {
	EventID      int64
	SenderChatID int64
	ClassID      int64
	Label        string
}

// RecordNotice stores a notice so that it counts in the class's daily
// quota and its sender is told how many received it.
func (t *Tx) RecordNotice(ctx context.Context, n NewNotice) error {
	var class any
	if n.ClassID != 0 {
		class = n.ClassID
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO notices (event_id, sender_chat_id, class_id, label, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`, n.EventID, n.SenderChatID, class, n.Label, t.now)
	if err != nil {
		return fmt.Errorf("storage: record notice: %w", err)
	}
	return nil
}

// NoticesSince counts a class's notices sent at or after since.
func (t *Tx) NoticesSince(ctx context.Context, classID int64, since time.Time) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notices WHERE class_id = ? AND created_at >= ?`,
		classID, ms(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("storage: notices since: %w", err)
	}
	return n, nil
}

// NoticeTally is a notice whose deliveries are all settled: Sent people
// received it out of Recipients.
type NoticeTally struct {
	ID           int64
	EventID      int64
	SenderChatID int64
	ClassID      int64
	Label        string
	Sent         int
	Recipients   int
}

// SettledNotices lists the notices not yet reported whose event is fully
// expanded (or dead) and has no delivery left to try.
func (s *Store) SettledNotices(ctx context.Context) ([]NoticeTally, error) {
	return queryAll(ctx, s.r, "storage: settled notices", scanNoticeTally,
		`SELECT n.id, n.event_id, n.sender_chat_id, COALESCE(n.class_id, 0), n.label,
			(SELECT COUNT(*) FROM deliveries d WHERE d.event_id = n.event_id AND d.state = 'sent'),
			(SELECT COUNT(*) FROM deliveries d WHERE d.event_id = n.event_id)
		FROM notices n JOIN events e ON e.id = n.event_id
		WHERE n.reported_at = 0 AND e.state IN ('expanded', 'dead')
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = n.event_id AND d.state IN ('pending', 'inflight'))
		ORDER BY n.id`)
}

func scanNoticeTally(row rowScanner) (NoticeTally, error) {
	var n NoticeTally
	err := row.Scan(&n.ID, &n.EventID, &n.SenderChatID, &n.ClassID, &n.Label, &n.Sent, &n.Recipients)
	return n, err
}

// ReportNotice marks a notice reported and writes the reply that tells its
// sender, in one transaction. It reports false (and writes nothing) when
// the notice was reported already or is gone.
func (s *Store) ReportNotice(ctx context.Context, noticeID int64, reply NewEvent) (bool, error) {
	done := false
	now := s.nowMS()
	err := s.write(ctx, func(tx *dbTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notices SET reported_at = ? WHERE id = ? AND reported_at = 0`, now, noticeID)
		if err != nil {
			return fmt.Errorf("storage: report notice: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, _, err := insertEvent(ctx, tx, reply, now); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done, err
}
