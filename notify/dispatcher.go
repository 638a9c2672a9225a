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
// The files follow an event through its steps, in order:
//
//   - dispatcher.go: Options, New, Run and the pump's loop, which runs the
//     steps below one after the other;
//   - expand.go: who hears an event (its audience read against the
//     catalog), written chunk by chunk as one delivery row per recipient;
//   - audience.go: Hears, THE meaning of an expansion (who gets a row),
//     which storage's SQL implements for speed;
//   - supersede.go: a change of a service's state makes the earlier ones
//     obsolete, and a recovery waits for the outage's messages in flight;
//     supersession.go: Supersedes, THE rule of which events a later one
//     makes obsolete, which storage's SQL implements too;
//   - claim.go: due rows claimed, a batch at a time, fairly between lanes;
//   - queue.go: claimed jobs wait for their chat's turn (per-chat spacing,
//     a group's minute, a 429's pause);
//   - sched.go: jobs handed to workers, each rendering, waiting for its
//     slot under the global rate and for room among the sends Telegram
//     may still be counting, then sending;
//   - render.go and panic.go: the message one recipient reads, written at
//     send time by the Renderer; a renderer's panic costs one delivery;
//   - send.go: the send through the Sender and its answer classified;
//   - settle.go: outcomes committed (with the next claim, in one
//     transaction);
//   - stats.go and purge.go: counters for /metrics, old rows deleted;
//   - lead.go: only the leader expands, claims, sends and purges, and a
//     job goes out only while the term it was claimed in lasts.
//
// notify does not import package bot: it declares the Store, Sender and
// Renderer it needs (store.go, send.go, render.go: *storage.Store,
// *telegram.Client and *bot.Renderer satisfy them), and reads a
// failed send's class with telegram.AsError, the one reading of Telegram's
// errors, shared with the bot's update loop.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"sentinelle/catalog"
	"sentinelle/storage"
)

// Options are the Dispatcher's dependencies and knobs. Store, Catalog,
// Sender and Renderer are required; every zero knob gets the default
// documented on it.
type Options struct {
	Store   Store
	Catalog *catalog.Catalog
	Sender  Sender
	// Renderer turns an event into the text one recipient reads, at send
	// time: *bot.Renderer, the one place of the texts.
	Renderer Renderer
	// Logger receives the dispatcher's lines. Nil discards them.
	Logger *slog.Logger
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// RateLimit is TELEGRAM_RATE_LIMIT, messages per second for the whole
	// bot. Default 25, under Telegram's 30 to leave room for the bot's own
	// answers to callbacks and edits. It holds as Telegram counts, at the
	// requests' arrival, whatever their delays on the way: a send counts
	// from its handover until a second after its answer, so a long round
	// trip lowers the rate reached (RateLimit per second plus round trip).
	RateLimit float64
	// PaidBroadcast adds allow_paid_broadcast to every message, which lets
	// Telegram accept up to 1000 messages/s (for Stars).
	PaidBroadcast bool
	// Quiet reports the night hours (QUIET_HOURS) during which messages go
	// with disable_notification, read in the recipient's time zone loc:
	// their académie's (the one the event concerns, else their first),
	// nil when they have none the catalog knows. Nil Quiet: never quiet.
	Quiet func(t time.Time, loc *time.Location) bool
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
	// PrivateInterval and GroupInterval space the messages to one chat,
	// from Telegram's answer to the previous one (so that a request slow
	// on its way cannot arrive too close to the next): Telegram allows
	// about one a second per chat. Defaults 1 s and 1 s.
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
	// Leading tells whether this instance leads, and the fence of its term
	// (leader.Elector.Leading). Only the leader expands, claims, sends and
	// purges (lead.go); a follower settles what it had in hand and waits.
	// Nil: always leading, fence 1 (one process, SQLite).
	Leading func() (fence int64, ok bool)
	// Lease is the name of the lease whose fence Leading reports
	// (leader.Elector.Name): every claim checks in the database that the
	// lease is still held with the term's fence, so that an instance whose
	// Leading is late to notice it was deposed claims nothing. Empty: no
	// lease to check (one process, SQLite, leader.Always).
	Lease string
}

// Dispatcher drains the outbox. Create it with New, run it with Run, and
// call Wake after writing an event.
type Dispatcher struct {
	opt     Options
	store   Store
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
	// deposedFence is the fence of a term the database refused: over,
	// whatever Leading says (lead.go).
	deposedFence atomic.Int64
}

// New checks the options, fills in the defaults and returns a Dispatcher
// ready to Run.
func New(opt Options) (*Dispatcher, error) {
	if opt.Store == nil || opt.Catalog == nil || opt.Sender == nil || opt.Renderer == nil {
		return nil, errors.New("notify: Store, Catalog, Sender and Renderer are required")
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

// Run delivers until ctx is done, then lets the sends in progress finish,
// puts the rest back in the outbox and returns. Each time this instance
// begins to lead, the rows left inflight (a crash, a dead leader) are made
// pending again before it claims, and Telegram's limits are carried over
// from the last sends (lead.go). Run returns an error only if it cannot
// start.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("notify: Run is already running")
	}
	defer d.running.Store(false)
	p := newPump(d)
	schedCtx, stop := context.WithCancel(ctx)
	defer stop()
	var workers sync.WaitGroup
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		d.schedule(schedCtx, ctx, &workers)
	}()
	var purger sync.WaitGroup
	purger.Go(func() { d.purgeLoop(schedCtx) })
	p.loop(ctx)
	stop()
	<-schedDone
	purger.Wait()
	workers.Wait()
	p.shutdown()
	return nil
}

// dbRetry is how long the pump waits after a database error.
const dbRetry = time.Second

// pump is the dispatcher's database side, run by one goroutine: it expands
// events, settles outcomes and claims rows, keeping at most BatchSize rows
// claimed and unsettled.
type pump struct {
	d          *Dispatcher
	inflight   map[jobKey]*job
	busyChat   map[int64]int
	busyChan   map[string]int
	bulk       int   // inflight jobs of the bulk lane
	bulkAfter  int64 // the bulk event last claimed from: its turn is over
	events     map[int64]*eventRef
	superseded map[int64]storage.Superseded // service events whose Supersede ran
	expanded   map[int64]int64              // rows written so far per expanding event
	claimHint  bool                         // rows may be due: try to claim
	expandHint bool                         // events may wait for expansion
	forceFlush bool
	leads      bool      // this instance led at the last step
	fence      int64     // the term's fence, given to the jobs claimed in it
	resetDue   bool      // a term began: reclaim what was left inflight before claiming
	pauseSaved time.Time // the send pause last recorded in the database (queue.pause's clock)
	nextDue    time.Time
	retryAt    time.Time // after a database error
	lastWork   time.Time
}

type eventRef struct {
	ev   *storage.Event
	refs int
}

func newPump(d *Dispatcher) *pump {
	return &pump{d: d, inflight: map[jobKey]*job{}, busyChat: map[int64]int{}, busyChan: map[string]int{},
		events: map[int64]*eventRef{}, superseded: map[int64]storage.Superseded{}, expanded: map[int64]int64{},
		claimHint: true, expandHint: true}
}

// loop runs steps until ctx is done, sleeping when there is nothing to do
// until a Wake, a finished send, a due retry or the safety poll.
func (p *pump) loop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		if p.step(ctx) {
			continue
		}
		timer.Reset(p.sleepFor(time.Now()))
		select {
		case <-ctx.Done():
		case <-p.d.wake:
			p.claimHint, p.expandHint = true, true
		case <-p.d.results.signal:
		case <-timer.C:
			p.claimHint, p.expandHint = true, true
		}
		timer.Stop()
	}
}

// step settles and claims, then expands; it reports whether more work is
// ready at once.
func (p *pump) step(ctx context.Context) bool {
	now := time.Now()
	if now.Before(p.retryAt) {
		return false
	}
	p.follow(now)
	if err := p.exchange(ctx, now); err != nil {
		p.dbError(ctx, "settle and claim", err)
		return false
	}
	if err := p.beginTerm(ctx, now); err != nil {
		p.dbError(ctx, "begin term", err)
		return false
	}
	if err := p.savePause(ctx, now); err != nil {
		p.dbError(ctx, "record the send pause", err)
		return false
	}
	// Settling may have freed chats whose next row is due: claim again.
	more := p.mayClaim() && p.claimHint && p.d.opt.BatchSize-len(p.inflight) >= max(1, p.d.opt.BatchSize/4)
	if p.expandHint && p.mayClaim() {
		expanded, err := p.expand(ctx)
		if err != nil {
			p.dbError(ctx, "expand", err)
			return false
		}
		more = more || expanded
	}
	p.refreshDepth(ctx, now)
	return more
}

func (p *pump) dbError(ctx context.Context, op string, err error) {
	if ctx.Err() != nil {
		return
	}
	p.d.log.Error("outbox database error; retrying", "op", op, "error", err)
	p.retryAt = time.Now().Add(dbRetry)
}

// sleepFor is how long the pump may sleep: until the oldest outcome must
// be committed, the next retry is due, or the safety poll.
func (p *pump) sleepFor(now time.Time) time.Duration {
	wake := p.lastWork.Add(p.d.opt.PollInterval)
	if now.After(wake) {
		wake = now.Add(p.d.opt.PollInterval)
	}
	soonest := func(t time.Time) {
		if !t.IsZero() && t.Before(wake) {
			wake = t
		}
	}
	if n, first := p.d.results.peek(); n > 0 {
		soonest(first.Add(p.d.opt.FlushInterval))
	}
	if !p.claimHint {
		soonest(p.nextDue)
	}
	soonest(p.retryAt)
	if p.d.opt.Leading != nil && (!p.leads || len(p.inflight) > 0) {
		soonest(now.Add(leaderEvery)) // to lead, or to give back what is in hand
	}
	return max(wake.Sub(now), 0)
}
