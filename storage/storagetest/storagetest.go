// Package storagetest is test support for the packages above storage, as
// httptest is for net/http: it reads, straight from a test's database file,
// what a test checks and the product never reads (the delivery rows of an
// event, the replies written to a chat). It does not import storage, so
// storage's own tests use it too; writing goes through storage's Update.
package storagetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"sentinelle/status"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver "sqlite3"
)

// Delivery is a delivery or a channel post of an event as stored: ChatID
// is 0 for a post to Channel.
type Delivery struct {
	EventID       int64
	ChatID        int64
	Channel       string
	State         string
	Attempts      int
	NextAttemptAt time.Time
	MessageID     int64
	LastError     string
	SentAt        time.Time
}

// Deliveries lists an event's deliveries then its channel posts, by chat
// id and channel, from the database file at dbPath (a Store may be open on
// it: the read sees what the Store committed).
func Deliveries(ctx context.Context, dbPath string, eventID int64) ([]Delivery, error) {
	db, err := open(dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return DeliveriesIn(ctx, db, eventID)
}

// DeliveriesIn is Deliveries read from db, a database of either engine
// (SQLite through "sqlite3", PostgreSQL through "pgx").
func DeliveriesIn(ctx context.Context, db *sql.DB, eventID int64) ([]Delivery, error) {
	return queryAll(ctx, db, "storagetest: deliveries of event", func(rows *sql.Rows) (Delivery, error) {
		r := Delivery{EventID: eventID}
		var next, sent int64
		err := rows.Scan(&r.ChatID, &r.Channel, &r.State, &r.Attempts, &next, &r.MessageID, &r.LastError, &sent)
		r.NextAttemptAt, r.SentAt = fromMS(next), fromMS(sent)
		return r, err
	}, `SELECT chat_id, '', state, attempts, next_attempt_at, tg_message_id, last_error, sent_at
		FROM deliveries WHERE event_id = $1
		UNION ALL SELECT 0, channel, state, attempts, next_attempt_at, tg_message_id, last_error, sent_at
		FROM channel_posts WHERE event_id = $1 ORDER BY 2, 1`, eventID)
}

// ReplyIDs lists the ids of the reply events written for a chat, oldest
// first: what the bot answered it. Store.Event reads each.
func ReplyIDs(ctx context.Context, dbPath string, chatID int64) ([]int64, error) {
	return readAll(ctx, dbPath, "storagetest: replies to chat", func(rows *sql.Rows) (int64, error) {
		var id int64
		err := rows.Scan(&id)
		return id, err
	}, `SELECT id FROM events WHERE audience = ? AND kind = 'reply' ORDER BY id`, status.AudienceChat(chatID).String())
}

// readAll runs a query on the database file at dbPath and returns its rows,
// each read by scan, in order (nil for none); what prefixes its errors.
// storage has the same loop for its own reads: this package may not import
// it, nor storage export it.
func readAll[T any](ctx context.Context, dbPath, what string, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	db, err := open(dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return queryAll(ctx, db, what, scan, query, args...)
}

// queryAll is readAll's query, on an open database.
func queryAll[T any](ctx context.Context, db *sql.DB, what string, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// open opens the file read-only, failing rather than creating it when the
// path is wrong.
func open(dbPath string) (*sql.DB, error) {
	u := url.URL{Path: dbPath}
	db, err := sql.Open("sqlite3", "file:"+u.EscapedPath()+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, fmt.Errorf("storagetest: open %s: %w", dbPath, err)
	}
	return db, nil
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// Do runs fn in one transaction of update (a Store's Update method) and
// returns what fn returned: a test's way to call one method of storage.Tx
// as one step and read its result.
//
//	c, err := storagetest.Do(store.Update, ctx, func(tx *storage.Tx) (storage.Chat, error) { return tx.Chat(ctx, 42) })
func Do[TX, T any](update func(context.Context, func(TX) error) error, ctx context.Context, fn func(TX) (T, error)) (T, error) {
	var out T
	err := update(ctx, func(tx TX) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

// Do2 is Do for a method with two results, such as InsertEvent.
func Do2[TX, A, B any](update func(context.Context, func(TX) error) error, ctx context.Context, fn func(TX) (A, B, error)) (A, B, error) {
	var a A
	var b B
	err := update(ctx, func(tx TX) error {
		var err error
		a, b, err = fn(tx)
		return err
	})
	return a, b, err
}

// ErrNotFound is One's answer when no element matches.
var ErrNotFound = errors.New("storagetest: not found")

// One returns the element of what list returns that match accepts, or
// ErrNotFound: a test's way to read one service among ServiceStates.
func One[T any](list func(context.Context) ([]T, error), ctx context.Context, match func(T) bool) (T, error) {
	var zero T
	all, err := list(ctx)
	if err != nil {
		return zero, err
	}
	if i := slices.IndexFunc(all, match); i >= 0 {
		return all[i], nil
	}
	return zero, ErrNotFound
}
