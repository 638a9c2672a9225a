package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"sentinelle/storage"
)

// result is a finished job and its outcome.
type result struct {
	job *job
	res storage.DeliveryResult
}

// resultBox collects finished deliveries for the pump to settle.
type resultBox struct {
	mu     sync.Mutex
	items  []result
	first  time.Time // when the oldest item arrived
	signal chan struct{}
}

func (b *resultBox) add(r result, now time.Time) {
	b.mu.Lock()
	if len(b.items) == 0 {
		b.first = now
	}
	b.items = append(b.items, r)
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// peek tells how many results wait and since when.
func (b *resultBox) peek() (int, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.items), b.first
}

func (b *resultBox) take() []result {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.items
	b.items = nil
	return out
}

// settled forgets a job whose outcome is committed.
func (p *pump) settled(t result) {
	p.d.stats.count(t.res.Outcome)
	p.d.logResult(t.res)
	p.forget(t.job)
	if t.res.Outcome == storage.OutcomeDead {
		p.dropQueued(func(j *job) bool { return j.del.EventID == t.job.del.EventID }, "event dead")
	}
}

// logResult writes one line per settled delivery at debug level; chat ids
// stay out of info-level logs.
func (d *Dispatcher) logResult(r storage.DeliveryResult) {
	if !d.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	d.log.Debug("delivery settled", "event_id", r.EventID, "chat_id", r.ChatID, "channel", r.Channel,
		"outcome", string(r.Outcome), "error", r.Error)
}

func (p *pump) forget(j *job) {
	k := keyOf(j.del)
	if _, ok := p.inflight[k]; !ok {
		return
	}
	delete(p.inflight, k)
	if j.bulk() {
		p.bulk--
	}
	if j.key.channel != "" {
		decr(p.busyChan, j.key.channel)
	} else {
		decr(p.busyChat, j.key.chat)
	}
	if ref := p.events[j.del.EventID]; ref != nil {
		if ref.refs--; ref.refs <= 0 {
			delete(p.events, j.del.EventID)
		}
	}
	p.d.stats.inflight.Store(int64(len(p.inflight)))
}

func decr[K comparable](m map[K]int, k K) {
	if m[k]--; m[k] <= 0 {
		delete(m, k)
	}
}

// shutdown puts the jobs that were not sent back in the outbox without
// counting an attempt, and commits every outcome. It uses its own context:
// Run's is already done.
func (p *pump) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.release(func(*job) bool { return true }, time.Now())
	taken := p.d.results.take()
	rs := make([]storage.DeliveryResult, len(taken))
	for i, t := range taken {
		rs[i] = t.res
	}
	if _, err := p.d.store.SettleAndClaim(ctx, rs, 0, storage.ClaimFilter{}, lease); err != nil {
		p.d.log.Error("cannot record the last outcomes; those messages may be sent again", "count", len(rs), "error", err)
		return
	}
	for _, t := range taken {
		p.settled(t)
	}
}
