package bot

import (
	"context"
	"time"

	"sentinelle/storage"
)

// Store is everything the Bot asks of the database, declared here where it
// is used so that another engine (or a test's fake) can stand in. The
// writes of a Telegram update go through the *storage.Tx ApplyUpdates and
// Update hand out; the rest are the few reads and bookkeeping around them.
type Store interface {
	UpdateStore
	NoticeStore
	AdminStore
	StateReader
}

// UpdateStore is the update loop's side of the database: where it stands,
// the one transaction per batch of updates, and the counters of updates
// that panicked, kept across restarts so that a poison update is given up.
type UpdateStore interface {
	// LastUpdateID is the last update recorded, -1 when none: Run asks
	// Telegram for the ones after it.
	LastUpdateID(ctx context.Context) (int64, error)
	// ApplyUpdates commits a batch's effects (every reply included) and
	// its last update id together, or nothing.
	ApplyUpdates(ctx context.Context, lastID int64, fn func(tx *storage.Tx, done int64) error) (applied bool, err error)
	// Meta reads the panic counters (storage.ErrNotFound when never set).
	Meta(ctx context.Context, key string) (string, error)
	// SetMeta writes them back.
	SetMeta(ctx context.Context, key, value string) error
}

// NoticeStore is what the background loop reads and writes to tell a
// teacher how many received their notice, and to drop the previews nobody
// confirmed.
type NoticeStore interface {
	// SettledNotices lists the notices whose deliveries are all settled.
	SettledNotices(ctx context.Context) ([]storage.NoticeTally, error)
	// ReportNotice writes the « reçu par N » reply once per notice.
	ReportNotice(ctx context.Context, noticeID int64, reply storage.NewEvent) (bool, error)
	// PurgeConfirmations deletes the questions (and their preview texts)
	// that expired before t.
	PurgeConfirmations(ctx context.Context, t time.Time) (int64, error)
}

// AdminStore is what the admin commands need beyond an update's
// transaction: the counts /stats shows, and a write of its own for the
// reply to /verifier, which comes after the update that asked for it.
type AdminStore interface {
	// BotStats counts subscribers, classes and recent notices for /stats.
	BotStats(ctx context.Context) (storage.BotStats, error)
	// OutboxDepth is the queue per lane, for /stats.
	OutboxDepth(ctx context.Context) ([3]int, error)
	// Update runs fn in one write transaction, outside any update.
	Update(ctx context.Context, fn func(tx *storage.Tx) error) error
}

// StateReader gives the services' states: the Renderer leaves out an
// alternative that is down too, and /etat, /lumni and /stats show them.
type StateReader interface {
	ServiceStates(ctx context.Context) ([]storage.ServiceState, error)
}

// The SQLite store serves them all.
var (
	_ Store       = (*storage.Store)(nil)
	_ UpdateStore = (*storage.Store)(nil)
	_ NoticeStore = (*storage.Store)(nil)
	_ AdminStore  = (*storage.Store)(nil)
	_ StateReader = (*storage.Store)(nil)
)
