package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/catalog"
	"sentinelle/storage"
	"sentinelle/telegram"
)

// Options are the Bot's dependencies. Client, Store and Catalog are
// required; the rest have defaults.
type Options struct {
	Client  *telegram.Client
	Store   Store
	Catalog *catalog.Catalog
	// Logger receives the bot's lines; nil discards them. Chat ids are
	// logged at debug level only.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Location is how times are written to families (« depuis 07:32 »);
	// nil means catalog.DefaultLocation (Paris).
	Location *time.Location
	// PublicURL is the status page (PUBLIC_URL), linked from /etat and /aide.
	PublicURL string
	// AdminIDs are the Telegram user ids allowed to use the admin commands,
	// in private chats only.
	AdminIDs []int64
	// Wake is called after a batch wrote events to the outbox (replies,
	// notices): the lead wires it to the dispatcher's Wake. Nil: nobody is
	// woken, the dispatcher finds them at its next poll.
	Wake func()
	// CheckNow runs one check round now, for /verifier; nil disables it.
	CheckNow func(context.Context) error
	// OnUpdate is called after each update is handled with its kind
	// ("message", "callback", "member", "migrate", "other") and how long the batch's
	// transaction took; OnCommand with the command name ("abonner",
	// "inconnue", "texte") and the same duration. Both optional, for
	// /metrics.
	OnUpdate  func(kind string, d time.Duration)
	OnCommand func(cmd string, d time.Duration)
	// OnPanic is called with "update" each time the handling of an update
	// panicked and the bot recovered, for /metrics; it may be called from
	// several goroutines at once. Optional.
	OnPanic func(where string)
	// ReportInterval is how often the bot looks for notices whose
	// deliveries are settled, to tell their senders how many received them.
	// Default 5 s.
	ReportInterval time.Duration
	// Leading tells whether this instance leads (leader.Elector.Leading):
	// only the leader polls Telegram, applies updates, reports notices and
	// purges previews, since a second poller gets 409 Conflict and two
	// would answer everything twice. A follower checks again every second.
	// Nil: always leading (one process, SQLite).
	Leading func() bool
}

// Bot turns Telegram updates into subscriptions, classes and replies. Every
// reply goes through the outbox, written in the same transaction as the
// update's effects and its id, so that an update is processed once even
// across a crash; only answers to button presses and edits of the message
// that carried the buttons go straight to Telegram.
type Bot struct {
	opt       Options
	client    *telegram.Client
	store     Store
	cat       *catalog.Catalog
	log       *slog.Logger
	now       func() time.Time
	loc       *time.Location
	render    *Renderer
	admins    map[int64]bool
	username  string
	commands  map[string]*command
	cmdLimit  *windowLimiter // 20 commands a minute per chat
	userLimit *windowLimiter // 30 commands a minute per person, all chats together
	joinLimit *windowLimiter // 5 wrong class codes per 10 minutes per chat
	newCode   func() (string, error)
	newID     func() (string, error)
	verifying atomic.Bool
	jobs      sync.WaitGroup
	// leaderEvery is how often a follower asks Leading again (1 s; tests
	// shorten it).
	leaderEvery time.Duration
	// panics counts the recovered panics of updates not confirmed yet,
	// by update id (mirrored in the meta table); only handleBatch uses it.
	panics map[int64]int
	// afterBatch, when set (tests), is called once a batch is fully
	// handled, with its last update id.
	afterBatch func(last int64)
	// testHook, when set (tests), is called in each phase of each update
	// ("prepare", "apply" inside the savepoint, "finish"), and with the
	// first update of each batch Run handles ("batch"): a test makes one
	// update panic with it.
	testHook func(phase string, r *request)
}

// New checks the options and returns a Bot ready to Run.
func New(opt Options) (*Bot, error) {
	if opt.Client == nil || opt.Store == nil || opt.Catalog == nil {
		return nil, errors.New("bot: Client, Store and Catalog are required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Location == nil {
		opt.Location = catalog.DefaultLocation()
	}
	if opt.ReportInterval <= 0 {
		opt.ReportInterval = 5 * time.Second
	}
	b := &Bot{
		opt: opt, client: opt.Client, store: opt.Store, cat: opt.Catalog, log: opt.Logger,
		now: opt.Now, loc: opt.Location, admins: map[int64]bool{}, username: opt.Client.Username(),
		cmdLimit:    newWindowLimiter(commandsPerMinute, time.Minute),
		userLimit:   newWindowLimiter(userCommandsPerMinute, time.Minute),
		joinLimit:   newWindowLimiter(joinFailures, joinWindow),
		newCode:     newClassCode,
		newID:       newConfirmationID,
		leaderEvery: time.Second,
	}
	b.render = NewRenderer(RendererOptions{Catalog: opt.Catalog, Store: opt.Store, Location: opt.Location,
		Now: opt.Now, PublicURL: opt.PublicURL})
	for _, id := range opt.AdminIDs {
		if id != anonymousAdminID && id != telegramServiceID {
			b.admins[id] = true
		}
	}
	b.commands = commandTable()
	return b, nil
}

// Renderer is the bot's renderer of outage, recovery and degraded
// messages; the lead gives it to the dispatcher (notify.Options.Renderer).
func (b *Bot) Renderer() *Renderer { return b.render }

// Run waits to lead, publishes the command menus, then handles updates
// from the offset stored in the database until ctx is done. When this
// instance stops leading it stops polling, and polls again from the
// offset then stored (the next leader's) once it leads again. It returns
// ctx's error, or the Client's when Telegram refuses the token.
func (b *Bot) Run(ctx context.Context) error {
	reportCtx, stopReports := context.WithCancel(ctx)
	var reports sync.WaitGroup
	reports.Go(func() { b.reportLoop(reportCtx) })
	err := b.poll(ctx)
	stopReports()
	reports.Wait()
	b.jobs.Wait()
	return err
}

// poll runs the update loop during each term of leadership.
func (b *Bot) poll(ctx context.Context) error {
	published := false
	for {
		if !b.awaitLeading(ctx) {
			return ctx.Err()
		}
		if !published {
			b.publishCommands(ctx)
			published = true
		}
		last, err := b.store.LastUpdateID(ctx)
		if err != nil {
			return err
		}
		offset := 0
		if last >= 0 {
			offset = int(last + 1)
		}
		err = b.client.PollLeading(ctx, offset, b.opt.Leading, b.safeBatch)
		if !errors.Is(err, telegram.ErrNotLeading) {
			return err
		}
		b.log.Warn("no longer leading: polling Telegram stops until this instance leads again")
	}
}

// leading tells whether this instance leads now.
func (b *Bot) leading() bool { return b.opt.Leading == nil || b.opt.Leading() }

// awaitLeading returns true once this instance leads, asking every
// leaderEvery; false when ctx is done first.
func (b *Bot) awaitLeading(ctx context.Context) bool {
	if b.leading() {
		return true
	}
	tick := time.NewTicker(b.leaderEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
		if b.leading() {
			b.log.Info("leading: polling Telegram")
			return true
		}
	}
}

// publishCommands registers the public menu in French and as the default,
// and the admin menu for each admin's private chat. A failure is logged:
// the commands work without a menu.
func (b *Bot) publishCommands(ctx context.Context) {
	public := menu(false)
	for _, lang := range []string{"fr", ""} {
		if err := b.client.SetCommands(ctx, public, lang); err != nil {
			b.log.Warn("cannot publish the command menu", "language", lang, "error", err)
		}
	}
	admin := menu(true)
	for id := range b.admins {
		scope := tgbotapi.NewBotCommandScopeChat(id)
		if err := b.client.SetScopedCommands(ctx, &scope, admin, ""); err != nil {
			b.log.Warn("cannot publish the admin command menu", "error", err)
		}
	}
}

// handleBatch handles one getUpdates batch in three phases: prepare each
// update (rate limits, group admin checks: network, concurrently per chat),
// apply them all in one transaction with the batch's last id (effects and
// replies), then answer button presses and edit menus (network,
// concurrently per chat). Updates of one chat keep their order in each
// phase. A panic in one update's handling is recovered (see panic.go).
func (b *Bot) handleBatch(ctx context.Context, updates []tgbotapi.Update) error {
	b.loadPanics(ctx)
	reqs := make([]*request, len(updates))
	chats := groupByChat(updates)
	perChat(chats, func(idx []int) {
		for _, i := range idx {
			reqs[i] = b.safePrepare(ctx, updates[i])
		}
	})
	start := time.Now()
	events := 0
	last := int64(updates[len(updates)-1].UpdateID)
	var retry []*request
	applied, err := b.store.ApplyUpdates(ctx, last, func(tx *storage.Tx, done int64) error {
		if !b.leading() {
			// Lost while preparing or waiting for the writer: nothing
			// applied, nothing answered; the offset stays, so the next
			// leader gets the batch again.
			return errNotLeading
		}
		events, retry = 0, nil
		for _, r := range reqs {
			r.skip = r.id <= done
			if r.skip || (r.drop && r.failed == nil) {
				continue
			}
			n, err := b.apply(ctx, tx, r)
			if _, ok := asPanic(err); ok {
				retry = append(retry, r) // the others still run: their panics count too
				continue
			}
			if err != nil {
				return err
			}
			events += n
		}
		if len(retry) > 0 {
			return errPanicked
		}
		return nil
	})
	if errors.Is(err, errPanicked) {
		return b.countPanics(ctx, retry)
	}
	if err != nil {
		return err
	}
	b.forgetPanics(ctx, last)
	took := time.Since(start)
	perChat(chats, func(idx []int) {
		for _, i := range idx {
			b.safeFinish(ctx, reqs[i]) // a batch applied before still gets its presses answered
		}
	})
	if applied {
		if events > 0 && b.opt.Wake != nil {
			b.opt.Wake()
		}
		b.observe(reqs, took)
	}
	if b.afterBatch != nil {
		b.afterBatch(last)
	}
	return nil
}

// observe feeds the metrics hooks.
func (b *Bot) observe(reqs []*request, d time.Duration) {
	for _, r := range reqs {
		if r.skip {
			continue
		}
		if b.opt.OnUpdate != nil {
			b.opt.OnUpdate(r.kind, d)
		}
		if b.opt.OnCommand != nil && r.metric != "" {
			b.opt.OnCommand(r.metric, d)
		}
	}
}

// groupByChat returns the indexes of the updates of each chat, in order.
func groupByChat(updates []tgbotapi.Update) [][]int {
	pos := map[int64]int{}
	var out [][]int
	for i, u := range updates {
		id := updateChatID(u)
		k, ok := pos[id]
		if !ok {
			k = len(out)
			pos[id] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], i)
	}
	return out
}

// maxParallelChats bounds the goroutines of one phase: a batch holds at
// most 100 updates, and the network calls are few.
const maxParallelChats = 16

// perChat runs fn for each chat's indexes, chats concurrently.
func perChat(chats [][]int, fn func(idx []int)) {
	if len(chats) == 1 {
		fn(chats[0])
		return
	}
	sem := make(chan struct{}, maxParallelChats)
	var wg sync.WaitGroup
	for _, idx := range chats {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(idx)
		})
	}
	wg.Wait()
}
