package bot

import (
	"context"
	"strconv"
	"time"

	"sentinelle/french"
	"sentinelle/storage"
)

// purgeEvery is how often expired previews (and the texts they hold) are
// deleted.
const purgeEvery = 10 * time.Minute

// reportLoop tells senders how many received their notices, once every
// delivery is settled, and deletes expired previews; on the leader only,
// so that two instances do not write the same reports.
func (b *Bot) reportLoop(ctx context.Context) {
	tick := time.NewTicker(b.opt.ReportInterval)
	defer tick.Stop()
	var purged time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !b.leading() {
			continue
		}
		if err := b.reportNotices(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("cannot report notices", "error", err)
		}
		if now := b.now(); now.Sub(purged) >= purgeEvery {
			purged = now
			if _, err := b.store.PurgeConfirmations(ctx, now); err != nil && ctx.Err() == nil {
				b.log.Warn("cannot purge expired previews", "error", err)
			}
		}
	}
}

// reportNotices writes « reçu par N » for every settled notice.
func (b *Bot) reportNotices(ctx context.Context) error {
	settled, err := b.store.SettledNotices(ctx)
	if err != nil {
		return err
	}
	woke := false
	for _, n := range settled {
		reply, err := storage.NewReply("report:"+strconv.FormatInt(n.ID, 10), n.SenderChatID,
			storage.OutMessage{Text: french.TypesetHTML(noticeReportText(n, b.cat))})
		if err != nil {
			return err
		}
		done, err := b.store.ReportNotice(ctx, n.ID, reply)
		if err != nil {
			return err
		}
		woke = woke || done
	}
	if woke && b.opt.Wake != nil {
		b.opt.Wake()
	}
	return nil
}
