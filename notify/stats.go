package notify

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"sentinelle/storage"
)

// Stats is a snapshot of the dispatcher for /metrics. Pending is the outbox
// depth per lane (0 replies, 1 notices, 2 bulk), refreshed about once a
// second; the counters count since the start.
type Stats struct {
	Pending       [3]int
	Inflight      int
	Sent          uint64
	RateLimited   uint64 // 429 answers (each paused everything)
	Retried       uint64 // 5xx and network errors that will be tried again
	Undeliverable uint64 // blocked or unknown chats (deactivated)
	Failed        uint64 // gave up after MaxAttempts, or refused for good
	Dead          uint64 // refused texts (our bug): whole events, or one recipient's
	Cancelled     uint64 // news no longer true, or chat gone, before sending
	Migrated      uint64 // groups moved to a supergroup and resent
	PausedUntil   time.Time
}

// counters are the Stats the workers and the pump update.
type counters struct {
	sent, rateLimited, retried, undeliverable, failed, dead, cancelled, migrated atomic.Uint64
	onSend                                                                       func(string)
	inflight                                                                     atomic.Int64
	mu                                                                           sync.Mutex
	pending                                                                      [3]int
	depthAt                                                                      time.Time
}

// Stats returns the current counters.
func (d *Dispatcher) Stats() Stats {
	c := &d.stats
	c.mu.Lock()
	pending := c.pending
	c.mu.Unlock()
	return Stats{
		Pending: pending, Inflight: int(c.inflight.Load()),
		Sent: c.sent.Load(), RateLimited: c.rateLimited.Load(), Retried: c.retried.Load(),
		Undeliverable: c.undeliverable.Load(), Failed: c.failed.Load(), Dead: c.dead.Load(),
		Cancelled: c.cancelled.Load(), Migrated: c.migrated.Load(), PausedUntil: d.queue.pausedUntil(),
	}
}

// count records one settled outcome in the counters.
func (c *counters) count(o storage.Outcome) {
	result := ""
	switch o {
	case storage.OutcomeSent:
		c.sent.Add(1)
		result = "ok"
	case storage.OutcomeRetry:
		c.retried.Add(1)
		result = "retried"
	case storage.OutcomeUndeliverable:
		c.undeliverable.Add(1)
		result = "undeliverable"
	case storage.OutcomeFailed:
		c.failed.Add(1)
		result = "failed"
	case storage.OutcomeDead, storage.OutcomeRefused:
		c.dead.Add(1)
		result = "dead"
	case storage.OutcomeCancelled:
		c.cancelled.Add(1)
	case storage.OutcomeMigrated:
		c.migrated.Add(1)
		result = "migrated"
	}
	c.report(result)
}

// report tells Options.OnSend, when set, about one send's result.
func (c *counters) report(result string) {
	if result != "" && c.onSend != nil {
		c.onSend(result)
	}
}

// refreshDepth reads the outbox depth for Stats about once a second.
func (p *pump) refreshDepth(ctx context.Context, now time.Time) {
	c := &p.d.stats
	c.mu.Lock()
	due := now.Sub(c.depthAt) >= time.Second
	c.mu.Unlock()
	if !due {
		return
	}
	depth, err := p.d.store.OutboxDepth(ctx)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.pending, c.depthAt = depth, now
	c.mu.Unlock()
}
