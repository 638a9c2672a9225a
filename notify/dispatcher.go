// Package notify delivers what Sentinelle has to say (an ENT outage, its
// recovery, a teacher's notice, a reply to a command) to everyone concerned,
// through the outbox tables of package storage.
//
// An event is written once (with a dedup key) by the checker or the bot.
// The Dispatcher expands it, chunk by chunk, into one delivery row per
// recipient, claims small batches of due rows, sends each through a Sender
// under Telegram's limits (a global rate, 1 message/s per private chat, 20
// per minute per group), and marks each row only after Telegram answered.
// The guarantee is at-least-once per (event, chat): after a kill -9 the rows
// that were in flight, at most one batch, are sent again; nothing is lost.
//
// Replies to commands and class notices share the send rate with bulk
// alerts: when both wait, they take turns, so that neither a flood of
// commands nor a fan-out holds the other back, and either takes the whole
// rate when the other has nothing due. The events of the bulk lane share it
// round robin, so that an ENT outage written during a national fan-out
// goes out within a second. A recovery cancels the outage messages not yet sent and goes
// only to those who heard the outage (plus those who asked for recoveries
// only), so nobody reads "ENT en panne" after it came back.
//
// notify does not import package bot: it declares the Sender and Renderer
// it needs (*telegram.Client and *bot.Renderer satisfy them), and reads a
// failed send's class with telegram.AsError, the one reading of Telegram's
// errors, shared with the bot's update loop.
package notify

import (
	"errors"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"sentinelle/catalog"
	"sentinelle/storage"
)

// Options are the Dispatcher's dependencies and knobs. Store, Catalog and
// Sender are required; every zero knob gets the default documented on it.
type Options struct {
	Store   *storage.Store
	Catalog *catalog.Catalog
	Sender  Sender
	// Renderer turns an event into the text one recipient reads, at send
	// time. Nil means DefaultRenderer, plain French texts.
	Renderer Renderer
	// Logger receives the dispatcher's lines. Nil discards them.
	Logger *slog.Logger
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// RateLimit is TELEGRAM_RATE_LIMIT, messages per second for the whole
	// bot. Default 25, under Telegram's 30 to leave room for the bot's own
	// answers to callbacks and edits.
	RateLimit float64
	// PaidBroadcast adds allow_paid_broadcast to every message, which lets
	// Telegram accept up to 1000 messages/s (for Stars).
	PaidBroadcast bool
	// Quiet reports the night hours (QUIET_HOURS) during which messages go
	// with disable_notification. Nil: never quiet.
	Quiet func(time.Time) bool
	// OnSend, when set, is told the result of each send for /metrics:
	// "ok", "429", "retried", "undeliverable", "failed", "dead" or
	// "migrated". It must be quick and safe for concurrent use.
	OnSend func(result string)
	// OnPanic, when set, is told of each panic recovered: where is
	// "render" for a renderer that panicked on one delivery (that delivery
	// is retried, and dead after 3 attempts). For /metrics; it must be
	// quick and safe for concurrent use.
	OnPanic func(where string)
	// BatchSize is the most rows claimed and not yet settled at any time,
	// hence the most messages a crash can duplicate. Default: a fifth of a
	// second of sending, between 10 and 200.
	BatchSize int
	// Workers is how many deliveries may be under way at once (reading,
	// waiting for their turn, waiting for Telegram's answer). Default:
	// BatchSize, enough for 1,000/s at 200 ms per answer.
	Workers int
	// MaxAttempts bounds the tries of a delivery failing with 5xx or network
	// errors. Default 6.
	MaxAttempts int
	// BackoffBase and BackoffMax shape the wait between those tries:
	// base·2^(n-1), capped, with ±50 % jitter. Defaults 2 s and 2 min.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// SendTimeout bounds one send. Default 30 s: a short timeout makes
	// ambiguous sends (maybe delivered) more frequent.
	SendTimeout time.Duration
	// PrivateInterval and GroupInterval space the messages to one chat:
	// Telegram allows about one a second per chat. Defaults 1 s and 1 s.
	PrivateInterval time.Duration
	GroupInterval   time.Duration
	// GroupPerMinute caps the messages to one group, supergroup or channel
	// in any sliding minute (Telegram: 20). Within that budget a reply to a
	// command typed in a group goes out at once, even during a fan-out.
	// Default 20; negative disables the cap.
	GroupPerMinute int
	// FlushInterval is the longest a finished send waits before its outcome
	// is committed. Default 50 ms.
	FlushInterval time.Duration
	// PollInterval is a safety net: the dispatcher looks for work this often
	// even if nobody called Wake. Default 30 s.
	PollInterval time.Duration
	// MaxEventAge is how old a change of a service's state may be when it
	// is first expanded: older news (the bot was off for a day, the
	// service was down) is dropped rather than sent late. Default 6 h.
	MaxEventAge time.Duration
	// ExpandChunk is how many chats one expansion step looks at. Default
	// storage.DefaultExpandChunk.
	ExpandChunk int
}

// Dispatcher drains the outbox. Create it with New, run it with Run, and
// call Wake after writing an event.
type Dispatcher struct {
	opt     Options
	store   *storage.Store
	cat     *catalog.Catalog
	send    Sender
	render  Renderer
	log     *slog.Logger
	now     func() time.Time
	pacer   *pacer
	wake    chan struct{}
	running atomic.Bool
	queue   *queue
	results resultBox
	stats   counters
}

// New checks the options, fills in the defaults and returns a Dispatcher
// ready to Run.
func New(opt Options) (*Dispatcher, error) {
	if opt.Store == nil || opt.Catalog == nil || opt.Sender == nil {
		return nil, errors.New("notify: Store, Catalog and Sender are required")
	}
	if opt.RateLimit < 0 || math.IsNaN(opt.RateLimit) || math.IsInf(opt.RateLimit, 0) {
		return nil, errors.New("notify: RateLimit must be a positive number of messages per second")
	}
	opt = withDefaults(opt)
	d := &Dispatcher{
		opt:    opt,
		store:  opt.Store,
		cat:    opt.Catalog,
		send:   opt.Sender,
		render: opt.Renderer,
		log:    opt.Logger,
		now:    opt.Now,
		pacer:  newPacer(opt.RateLimit),
		wake:   make(chan struct{}, 1),
	}
	d.queue = newQueue(opt.PrivateInterval, opt.GroupInterval, opt.GroupPerMinute)
	d.stats.onSend = opt.OnSend
	d.results.signal = make(chan struct{}, 1)
	if d.render == nil {
		d.render = DefaultRenderer{Catalog: opt.Catalog}
	}
	if _, ok := opt.Sender.(ChannelSender); !ok && hasChannels(opt.Catalog) {
		d.log.Warn("the Telegram sender cannot post to channels (no SendToChannel): channel posts will fail")
	}
	return d, nil
}

func withDefaults(o Options) Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RateLimit == 0 {
		o.RateLimit = 25
	}
	if o.BatchSize <= 0 {
		o.BatchSize = min(max(int(math.Ceil(o.RateLimit/5)), 10), 200)
	}
	if o.Workers <= 0 {
		o.Workers = o.BatchSize
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	def(&o.BackoffBase, 2*time.Second)
	def(&o.BackoffMax, 2*time.Minute)
	def(&o.SendTimeout, 30*time.Second)
	def(&o.PrivateInterval, time.Second)
	def(&o.GroupInterval, time.Second)
	if o.GroupPerMinute == 0 {
		o.GroupPerMinute = 20
	}
	def(&o.FlushInterval, 50*time.Millisecond)
	def(&o.PollInterval, 30*time.Second)
	if o.MaxEventAge <= 0 {
		o.MaxEventAge = 6 * time.Hour
	}
	if o.ExpandChunk <= 0 {
		o.ExpandChunk = storage.DefaultExpandChunk
	}
	return o
}

func hasChannels(c *catalog.Catalog) bool {
	for _, a := range c.Academies {
		if a.Channel != "" {
			return true
		}
	}
	return false
}

// Wake tells the dispatcher that an event was written. It never blocks;
// several calls before the dispatcher looks count as one.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

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
