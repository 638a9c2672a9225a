package notify

import (
	"context"
	"time"

	"sentinelle/storage"
)

// purgeEvery is how often settled events older than storage.OutboxRetention,
// and settled replies older than storage.ReplyRetention, are deleted;
// purgeBatch bounds one transaction.
const (
	purgeEvery = 10 * time.Minute
	purgeBatch = 100
)

// purgeLoop deletes old settled events and their delivery rows at start and
// then every purgeEvery, a batch at a time, until ctx is done; on the
// leader only.
func (d *Dispatcher) purgeLoop(ctx context.Context) {
	t := time.NewTicker(purgeEvery)
	defer t.Stop()
	for {
		if _, ok := d.leading(); ok {
			d.purge(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Dispatcher) purge(ctx context.Context) {
	now := d.now()
	d.purgeWith(ctx, "old settled events purged", func() (int64, error) {
		return d.store.PurgeOutbox(ctx, now.Add(-storage.OutboxRetention), purgeBatch)
	})
	d.purgeWith(ctx, "settled replies purged", func() (int64, error) {
		return d.store.PurgeReplies(ctx, now.Add(-storage.ReplyRetention), purgeBatch)
	})
}

// purgeWith runs one purge a batch at a time until a batch is short.
func (d *Dispatcher) purgeWith(ctx context.Context, what string, step func() (int64, error)) {
	var total int64
	for ctx.Err() == nil {
		n, err := step()
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("purge old outbox rows", "error", err)
			}
			return
		}
		total += n
		if n < purgeBatch {
			break
		}
	}
	if total > 0 {
		d.log.Info(what, "events", total)
	}
}
