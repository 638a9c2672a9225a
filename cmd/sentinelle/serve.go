package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"sentinelle/bot"
	"sentinelle/catalog"
	"sentinelle/checker"
	"sentinelle/notify"
	"sentinelle/storage"
	"sentinelle/telegram"
	"sentinelle/web"
)

// The bot's renderer writes the dispatcher's messages, and their plain
// version after Telegram refused one.
var _ notify.PlainRenderer = (*bot.Renderer)(nil)

// The one Telegram client sends the dispatcher's messages, channel posts
// included; notify declares what it needs and reads the client's errors
// with telegram.AsError.
var (
	_ notify.Sender        = (*telegram.Client)(nil)
	_ notify.ChannelSender = (*telegram.Client)(nil)
)

// serve runs the service until ctx is cancelled, then stops its parts in
// order: checker (letting a running round finish), update poller,
// dispatcher (finishing the sends in flight), HTTP server (5 s), database
// last.
func serve(ctx context.Context, cfg Config, stdout, stderr io.Writer) int {
	log := newLogger(cfg, stderr)
	cat, err := catalog.Load(cfg.CatalogFile)
	if err != nil {
		log.Error("catalog invalid", "error", err)
		return 1
	}
	now := time.Now
	if cfg.FakeClockFile != "" {
		clock, err := openFakeClock(cfg.FakeClockFile)
		if err != nil {
			log.Error("fake clock", "path", cfg.FakeClockFile, "error", err)
			return 1
		}
		// The clock follows the file until serve returns: the parts keep
		// dating what they record while they stop.
		watchCtx, stopWatch := context.WithCancel(context.Background())
		defer stopWatch()
		go clock.watch(watchCtx, log, 20*time.Millisecond)
		now = clock.Now
		log.Warn("FAKE CLOCK: dates follow SENTINELLE_FAKE_CLOCK_FILE, for rehearsals and tests only",
			"path", cfg.FakeClockFile, "now", now().Format(time.RFC3339))
	}
	store, err := storage.Open(ctx, cfg.DatabasePath, now)
	if err != nil {
		log.Error("database unusable", "path", cfg.DatabasePath, "error", err)
		return 1
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("close database", "error", err)
		}
	}()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.HTTPAddr, "error", err)
		return 1
	}
	defer ln.Close()

	metrics := web.NewMetrics()
	var client *telegram.Client
	if cfg.TelegramToken == "" {
		log.Info("bot off: set TELEGRAM_BOT_TOKEN (or TELEGRAM_BOT_TOKEN_FILE) to turn it on")
	} else if client, err = connectBot(ctx, cfg, log); err != nil {
		log.Error("telegram: cannot start the bot", "error", err)
		return 1
	}

	renderer := bot.NewRenderer(bot.RendererOptions{Catalog: cat, Store: store, Location: cfg.Timezone, Now: now, PublicURL: cfg.PublicURL})
	var disp *notify.Dispatcher
	if client != nil {
		disp, err = notify.New(notify.Options{
			Store: store, Catalog: cat, Sender: client, Renderer: renderer, Logger: log.With("part", "notify"),
			RateLimit: cfg.TelegramRateLimit, PaidBroadcast: cfg.PaidBroadcast, Quiet: quietIn(cfg),
			OnSend: metrics.SendResult, OnPanic: metrics.Panic, Now: now,
		})
		if err != nil {
			log.Error("dispatcher", "error", err)
			return 1
		}
	}
	wake := func() {
		if disp != nil {
			disp.Wake()
		}
	}

	runner, err := checker.New(checker.Options{
		Catalog: cat, Store: store, Logger: log.With("part", "checker"),
		Probe:       checker.ProbeOptions{Timeout: cfg.CheckTimeout, UserAgent: checker.UserAgent(buildVersion(), cfg.PublicURL)},
		Concurrency: cfg.CheckConcurrency, DownAfter: cfg.DownAfter, UpAfter: cfg.UpAfter, CanaryURLs: cfg.CanaryURLs,
		OnEvents: wake, OnRound: roundMetrics(metrics), Now: now,
	})
	if err != nil {
		log.Error("checker", "error", err)
		return 1
	}

	var b *bot.Bot
	username := ""
	if client != nil {
		username = client.Username()
		b, err = bot.New(bot.Options{
			Client: client, Store: store, Catalog: cat, Logger: log.With("part", "bot"), Location: cfg.Timezone,
			PublicURL: cfg.PublicURL, AdminIDs: cfg.AdminIDs, Wake: wake,
			CheckNow:  func(ctx context.Context) error { _, err := runner.RunOnce(ctx); return err },
			OnUpdate:  func(string, time.Duration) { metrics.UpdateProcessed() },
			OnCommand: metrics.CommandLatency, OnPanic: metrics.Panic, Now: now,
		})
		if err != nil {
			log.Error("bot", "error", err)
			return 1
		}
	}
	started := now()
	site := web.New(web.Options{
		Store: store, Catalog: cat, Logger: log.With("part", "web"), Now: now, Location: cfg.Timezone,
		BotUsername: username, PublicURL: cfg.PublicURL, Metrics: metrics,
		MaxRoundAge: 3 * scheduleInterval(cfg.CheckSchedule, started), StartedAt: started,
	})
	srv := &http.Server{
		Handler:           site.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	log.Info("sentinelle started", "version", buildVersion(), "http_addr", ln.Addr().String(),
		"public_url", cfg.PublicURL, "academies", len(cat.Academies), "services", len(cat.Services), "bot", username != "")

	// Each part has its own context so that shutdown can stop them one
	// after the other.
	checkCtx, stopChecks := context.WithCancel(context.Background())
	defer stopChecks()
	stopCron, err := runner.Start(checkCtx, cfg.CheckSchedule)
	if err != nil {
		log.Error("checker schedule", "error", err)
		return 1
	}
	botCtx, stopBot := context.WithCancel(context.Background())
	dispCtx, stopDisp := context.WithCancel(context.Background())
	defer stopBot()
	defer stopDisp()
	var botDone, dispDone sync.WaitGroup
	if client != nil {
		dispDone.Go(func() {
			if err := disp.Run(dispCtx); err != nil {
				log.Error("dispatcher stopped", "error", err)
			}
		})
		botDone.Go(func() {
			if err := b.Run(botCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("bot stopped", "error", err)
			}
		})
	}

	code := 0
	select {
	case <-ctx.Done():
	case err := <-httpDone:
		log.Error("http server stopped", "error", err)
		code = 1
	}
	log.Info("stopping")
	stopCron() // waits for a running round: its results and events land
	stopChecks()
	stopBot()
	botDone.Wait()
	stopDisp()
	dispDone.Wait()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "error", err)
	}
	log.Info("stopped")
	return code
}

// connectBot builds the Telegram client. A revoked or wrong token stops the
// start; a network failure is retried for a minute, so that a service
// started with the machine does not give up before the network is up.
func connectBot(ctx context.Context, cfg Config, log *slog.Logger) (*telegram.Client, error) {
	delay := time.Second
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := telegram.NewClient(ctx, telegram.ClientOptions{Token: cfg.TelegramToken, APIURL: cfg.TelegramAPIURL,
			Logger: log.With("part", "telegram"), PaidBroadcast: cfg.PaidBroadcast})
		if err == nil {
			return c, nil
		}
		var te *telegram.Error
		if errors.As(err, &te) && te.Class == telegram.ClassUnauthorized {
			return nil, fmt.Errorf("TELEGRAM_BOT_TOKEN refused by Telegram (revoked or mistyped): %w", err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		log.Warn("telegram unreachable, retrying", "error", err, "retry_in", delay.String())
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 15*time.Second)
	}
}

// quietIn turns QUIET_HOURS into the dispatcher's question, in TIMEZONE.
func quietIn(cfg Config) func(time.Time) bool {
	if !cfg.QuietHours.Enabled {
		return nil
	}
	return func(t time.Time) bool { return cfg.QuietHours.Contains(t.In(cfg.Timezone)) }
}

// roundMetrics feeds /metrics from each check round.
func roundMetrics(m *web.Metrics) func(checker.RoundReport) {
	return func(rep checker.RoundReport) {
		for _, r := range rep.Results {
			m.ObserveProbe(r.ServiceID, r.Latency, string(r.State))
		}
		m.RoundDone(rep.Voided)
		for _, t := range rep.Transitions {
			if t.EventID != 0 {
				m.EventWritten(eventKind(t))
			}
		}
	}
}

// eventKind names the event a change of state wrote, as notify and the
// metrics call it.
func eventKind(t storage.Transition) string {
	switch t.To {
	case storage.StateDown:
		return storage.KindOutage
	case storage.StateDegraded:
		return storage.KindDegraded
	}
	return storage.KindRecovery
}

// scheduleInterval is the time between two ticks of the cron spec (already
// validated by LoadConfig).
func scheduleInterval(spec string, now time.Time) time.Duration {
	s, err := cronParse(spec)
	if err != nil {
		return time.Minute
	}
	first := s.Next(now)
	return s.Next(first).Sub(first)
}
