package notify

import (
	"context"
	"time"

	"sentinelle/storage"
)

// Store is everything the Dispatcher asks of the outbox tables, declared
// here where it is used so that another engine (or a test's fake) can stand
// in. It is the pipeline's steps, in order: expand, claim and send, then
// upkeep.
type Store interface {
	ExpandStore
	DeliveryStore
	UpkeepStore
}

// ExpandStore is what expand.go and supersede.go need: the events still to
// expand, turned chunk by chunk into delivery rows, after the earlier news
// about the same service was made obsolete.
type ExpandStore interface {
	// NewEvents lists up to limit events still to expand, most urgent first.
	NewEvents(ctx context.Context, limit int) ([]storage.Event, error)
	// Supersede cancels what is still pending of ev's service's earlier
	// events, and says who heard them (a recovery goes to them).
	Supersede(ctx context.Context, ev storage.Event) (storage.Superseded, error)
	// ExpandStep writes the delivery rows of the next chunk of chats.
	ExpandStep(ctx context.Context, spec storage.ExpandSpec) (storage.ExpandProgress, error)
	// MarkEventDead abandons an event nobody can receive, or too old to tell.
	MarkEventDead(ctx context.Context, eventID int64, reason string) error
}

// DeliveryStore is what a delivery row goes through between its claim and
// its outcome: claimed with the previous batch's outcomes in one
// transaction, read again just before sending, and, at start, the rows a
// killed run left in flight.
type DeliveryStore interface {
	// RecentSends tells a starting Dispatcher which chats it (or the run
	// before it) sent to lately, to keep Telegram's per-chat spacing.
	RecentSends(ctx context.Context, since time.Time) ([]storage.RecentSend, error)
	// Reclaim puts back, when a term begins, the rows a killed run or a
	// deposed leader was sending; storage.ErrNotLeader when the lease is
	// not held with fence.
	Reclaim(ctx context.Context, lease string, fence int64) (int64, error)
	// PauseSends records Telegram's pause for whoever leads next;
	// SendsPaused is how long the recorded one lasts yet.
	PauseSends(ctx context.Context, d time.Duration) error
	SendsPaused(ctx context.Context) (time.Duration, error)
	// SettleAndClaim records outcomes and claims up to want due rows.
	SettleAndClaim(ctx context.Context, results []storage.DeliveryResult, want int, f storage.ClaimFilter, lease time.Duration) (storage.Claimed, error)
	// Event reads the event of a claimed row (storage.ErrNotFound when gone).
	Event(ctx context.Context, id int64) (storage.Event, error)
	// PrepareDelivery reads the recipient as they are now, or why the row
	// should no longer be sent.
	PrepareDelivery(ctx context.Context, d storage.Delivery) (rc storage.Recipient, skip string, err error)
}

// UpkeepStore is what stats.go and purge.go need: the queue's depth for
// Stats, and the deletion of settled rows past their retention.
type UpkeepStore interface {
	// OutboxDepth counts what waits to be sent, per lane.
	OutboxDepth(ctx context.Context) ([3]int, error)
	// PurgeOutbox deletes settled events created before before, at most
	// limit per call.
	PurgeOutbox(ctx context.Context, before time.Time, limit int) (int64, error)
	// PurgeReplies deletes settled replies written before before, at most
	// limit per call.
	PurgeReplies(ctx context.Context, before time.Time, limit int) (int64, error)
}

// The SQLite store serves them all.
var (
	_ Store         = (*storage.Store)(nil)
	_ ExpandStore   = (*storage.Store)(nil)
	_ DeliveryStore = (*storage.Store)(nil)
	_ UpkeepStore   = (*storage.Store)(nil)
)
