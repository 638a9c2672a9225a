package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"sentinelle/bot"
	"sentinelle/catalog"
	"sentinelle/checker"
	"sentinelle/leader"
	"sentinelle/notify"
	"sentinelle/storage"
	"sentinelle/telegram"
	"sentinelle/web"
)

// parts are the pieces of the running service, built in the order they
// depend on each other. With no Telegram token, client, disp and bot are
// nil: the service checks and serves its status page.
type parts struct {
	log       *slog.Logger
	cfg       Config
	cat       *catalog.Catalog
	now       func() time.Time
	stopClock func() // stops following SENTINELLE_FAKE_CLOCK_FILE; nil on the real clock
	store     *storage.Store
	lead      *leader.Elector
	ln        net.Listener
	metrics   *web.Metrics
	client    *telegram.Client
	disp      *notify.Dispatcher
	runner    *checker.Runner
	bot       *bot.Bot
	srv       *http.Server
}

// startError is a part that could not be built: serve logs msg with attrs
// and the error, in one line, and exits 1.
type startError struct {
	msg   string
	attrs []any
	err   error
}

func (e *startError) Error() string { return e.msg + ": " + e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

func failed(msg string, err error, attrs ...any) error {
	return &startError{msg: msg, attrs: attrs, err: err}
}

func logStartError(log *slog.Logger, err error) {
	var se *startError
	if !errors.As(err, &se) {
		log.Error("cannot start", "error", err)
		return
	}
	log.Error(se.msg, append(se.attrs, "error", se.err)...)
}

// build makes every part, or closes what it made and says which failed.
func build(ctx context.Context, cfg Config, log *slog.Logger) (*parts, error) {
	p := &parts{log: log, cfg: cfg, now: time.Now, metrics: web.NewMetrics()}
	for _, step := range []func(context.Context) error{
		p.loadCatalog, p.startClock, p.openStore, p.elect, p.listen, p.connectTelegram, p.buildDispatcher,
		p.buildChecker, p.buildBot, p.buildSite,
	} {
		if err := step(ctx); err != nil {
			p.close()
			return nil, err
		}
	}
	return p, nil
}

func (p *parts) loadCatalog(context.Context) (err error) {
	if p.cat, err = catalog.Load(p.cfg.CatalogFile); err != nil {
		return failed("catalog invalid", err)
	}
	return nil
}

// startClock puts the service on SENTINELLE_FAKE_CLOCK_FILE's clock when
// it is set. The clock follows the file until close: the parts keep dating
// what they record while they stop.
func (p *parts) startClock(context.Context) error {
	if p.cfg.FakeClockFile == "" {
		return nil
	}
	clock, err := openFakeClock(p.cfg.FakeClockFile)
	if err != nil {
		return failed("fake clock", err, "path", p.cfg.FakeClockFile)
	}
	watchCtx, stop := context.WithCancel(context.Background())
	p.stopClock = stop
	go clock.watch(watchCtx, p.log, 20*time.Millisecond)
	p.now = clock.Now
	p.log.Warn("FAKE CLOCK: dates follow SENTINELLE_FAKE_CLOCK_FILE, for rehearsals and tests only",
		"path", p.cfg.FakeClockFile, "now", p.now().Format(time.RFC3339))
	return nil
}

// openStore opens PostgreSQL when DATABASE_URL is set, else the SQLite
// file at DATABASE_PATH. Only the redacted URL reaches the log.
func (p *parts) openStore(ctx context.Context) (err error) {
	if p.cfg.DatabaseURL == "" {
		if p.store, err = storage.Open(ctx, p.cfg.DatabasePath, p.now); err != nil {
			return failed("database unusable", err, "engine", storage.SQLite, "path", p.cfg.DatabasePath)
		}
		p.log.Info("database open", "engine", storage.SQLite, "path", p.cfg.DatabasePath)
		return nil
	}
	url := p.cfg.RedactedDatabaseURL()
	if p.store, err = storage.OpenPostgres(ctx, p.cfg.DatabaseURL, p.now); err != nil {
		return failed("database unusable", err, "engine", storage.PostgreSQL, "url", url)
	}
	p.log.Info("database open", "engine", storage.PostgreSQL, "url", url)
	warnIgnoredPath(p.log, p.cfg)
	return nil
}

// warnIgnoredPath warns, at start, that DATABASE_PATH is not used when
// DATABASE_URL selects PostgreSQL while DATABASE_PATH names a file
// (the default path included: the quick start's database): most likely
// the SQLite database of a single instance moved to PostgreSQL, whose
// subscribers nothing copies. Only a file that exists counts: the image and the systemd unit
// set DATABASE_PATH for every deployment, PostgreSQL's too, and a warning
// on each of them would teach to ignore it.
func warnIgnoredPath(log *slog.Logger, cfg Config) {
	if cfg.DatabaseURL == "" {
		return
	}
	if st, err := os.Stat(cfg.DatabasePath); err != nil || st.IsDir() {
		return
	}
	log.Warn("DATABASE_PATH is ignored: DATABASE_URL selects PostgreSQL, and the SQLite database at that path is neither read nor copied",
		"path", cfg.DatabasePath)
}

// elect chooses how this instance knows whether it leads. With SQLite,
// one process, it always does (leader.Always): no lease, no background
// work. With PostgreSQL, an Elector over the store's lease, renewing every
// LEADER_LEASE/4, held under VANTAGE and a suffix unique to this process.
// The update poller, the dispatcher and the checker's state machine ask it
// (Leading, isLeader); run runs it and resigns on a clean stop. OnChange
// wakes the dispatcher, so that a new leader sends at once instead of
// within a second.
func (p *parts) elect(context.Context) (err error) {
	if p.cfg.DatabaseURL == "" {
		p.lead = leader.Always()
		return nil
	}
	p.lead, err = leader.New(leader.Options{
		Leases: p.store.Lease(), Holder: leader.HolderFor(p.cfg.Vantage), Lease: p.cfg.LeaderLease,
		Logger: p.log.With("part", "leader"), OnChange: func(leader.Role) { p.wake() },
	})
	if err != nil {
		return failed("leader election", err)
	}
	return nil
}

// isLeader is the elector's answer without the fence (the dispatcher
// keeps it), for the bot and the checker.
func (p *parts) isLeader() bool {
	_, ok := p.lead.Leading()
	return ok
}

func (p *parts) listen(context.Context) (err error) {
	if p.ln, err = net.Listen("tcp", p.cfg.HTTPAddr); err != nil {
		return failed("cannot listen", err, "addr", p.cfg.HTTPAddr)
	}
	return nil
}

func (p *parts) connectTelegram(ctx context.Context) (err error) {
	if p.cfg.TelegramToken == "" {
		p.log.Info("bot off: set TELEGRAM_BOT_TOKEN (or TELEGRAM_BOT_TOKEN_FILE) to turn it on")
		return nil
	}
	if p.client, err = connectBot(ctx, p.cfg, p.log); err != nil {
		return failed("telegram: cannot start the bot", err)
	}
	return nil
}

// renderer writes the alerts; the bot and the dispatcher share it.
func (p *parts) renderer() *bot.Renderer {
	return bot.NewRenderer(bot.RendererOptions{Catalog: p.cat, Store: p.store, Location: p.cfg.Timezone,
		Now: p.now, PublicURL: p.cfg.PublicURL})
}

func (p *parts) buildDispatcher(context.Context) (err error) {
	if p.client == nil {
		return nil
	}
	p.disp, err = notify.New(notify.Options{
		Store: p.store, Catalog: p.cat, Sender: p.client, Renderer: p.renderer(), Logger: p.log.With("part", "notify"),
		RateLimit: p.cfg.TelegramRateLimit, PaidBroadcast: p.cfg.PaidBroadcast, Quiet: quietIn(p.cfg),
		OnSend: p.metrics.SendResult, OnPanic: p.metrics.Panic, Now: p.now, Leading: p.lead.Leading, Lease: p.lead.Name(),
	})
	if err != nil {
		return failed("dispatcher", err)
	}
	return nil
}

// wake tells the dispatcher that events were written (nothing without
// the bot).
func (p *parts) wake() {
	if p.disp != nil {
		p.disp.Wake()
	}
}

func (p *parts) buildChecker(context.Context) (err error) {
	p.runner, err = checker.New(checker.Options{
		Catalog: p.cat, Store: p.store, Logger: p.log.With("part", "checker"),
		Probe:       checker.ProbeOptions{Timeout: p.cfg.CheckTimeout, UserAgent: checker.UserAgent(buildVersion(), p.cfg.PublicURL)},
		Concurrency: p.cfg.CheckConcurrency, DownAfter: p.cfg.DownAfter, UpAfter: p.cfg.UpAfter, CanaryURLs: p.cfg.CanaryURLs,
		Vantage: p.cfg.Vantage, Leader: p.isLeader, OnEvents: p.wake, OnRound: roundMetrics(p.metrics), Now: p.now,
	})
	if err != nil {
		return failed("checker", err)
	}
	return nil
}

func (p *parts) buildBot(context.Context) (err error) {
	if p.client == nil {
		return nil
	}
	p.bot, err = bot.New(bot.Options{
		Client: p.client, Store: p.store, Catalog: p.cat, Logger: p.log.With("part", "bot"), Location: p.cfg.Timezone,
		PublicURL: p.cfg.PublicURL, AdminIDs: p.cfg.AdminIDs, Wake: p.wake,
		CheckNow:  func(ctx context.Context) error { _, err := p.runner.RunOnce(ctx); return err },
		OnUpdate:  func(string, time.Duration) { p.metrics.UpdateProcessed() },
		OnCommand: p.metrics.CommandLatency, OnPanic: p.metrics.Panic, Now: p.now, Leading: p.isLeader,
	})
	if err != nil {
		return failed("bot", err)
	}
	return nil
}

func (p *parts) buildSite(context.Context) error {
	username := ""
	if p.client != nil {
		username = p.client.Username()
	}
	started := p.now()
	site := web.New(web.Options{
		Store: p.store, Catalog: p.cat, Logger: p.log.With("part", "web"), Now: p.now, Location: p.cfg.Timezone,
		BotUsername: username, PublicURL: p.cfg.PublicURL, Metrics: p.metrics, Leading: p.lead.Leading,
		MaxRoundAge: 3 * scheduleInterval(p.cfg.CheckSchedule, started), StartedAt: started,
	})
	p.srv = &http.Server{
		Handler:           site.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
	return nil
}

// close releases what build made, the database last.
func (p *parts) close() {
	if p.ln != nil {
		p.ln.Close()
	}
	if p.store != nil {
		if err := p.store.Close(); err != nil {
			p.log.Error("close database", "error", err)
		}
	}
	if p.stopClock != nil {
		p.stopClock()
	}
}
