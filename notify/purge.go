package notify

import (
	"context"
	"time"

	"sentinelle/storage"
)

// purgeEvery is how often settled events older than storage.OutboxRetention
// are deleted; purgeBatch bounds one transaction.
const (
	purgeEvery = time.Hour
	purgeBatch = 100
)

// purgeLoop deletes old settled events and their delivery rows at start and
// then every hour, a batch at a time, until ctx is done.
func (d *Dispatcher) purgeLoop(ctx context.Context) {
	t := time.NewTicker(purgeEvery)
	defer t.Stop()
	for {
		d.purge(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Dispatcher) purge(ctx context.Context) {
	var total int64
	for ctx.Err() == nil {
		n, err := d.store.PurgeOutbox(ctx, d.now().Add(-storage.OutboxRetention), purgeBatch)
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
		d.log.Info("old settled events purged", "events", total)
	}
}
