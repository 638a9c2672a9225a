package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"sentinelle/bot"
	"sentinelle/checker"
	"sentinelle/notify"
	"sentinelle/telegram"
	"sentinelle/web"
)

// The bot's renderer writes the dispatcher's messages (the only texts of
// outages and recoveries), and their plain version after Telegram refused
// one.
var (
	_ notify.Renderer      = (*bot.Renderer)(nil)
	_ notify.PlainRenderer = (*bot.Renderer)(nil)
)

// The one Telegram client sends the dispatcher's messages, channel posts
// included; notify declares what it needs and reads the client's errors
// with telegram.AsError.
var (
	_ notify.Sender        = (*telegram.Client)(nil)
	_ notify.ChannelSender = (*telegram.Client)(nil)
)

// serve runs the service until ctx is cancelled: it builds the parts
// (parts.go), starts them, and stops them in order.
func serve(ctx context.Context, cfg Config, stdout, stderr io.Writer) int {
	log := newLogger(cfg, stderr)
	p, err := build(ctx, cfg, log)
	if err != nil {
		logStartError(log, err)
		return 1
	}
	defer p.close()
	return p.run(ctx)
}

// run starts the parts and waits for ctx to be cancelled (or the HTTP
// server to fail), then stops them in order: checker (letting a running
// round finish), update poller, dispatcher (finishing the sends in
// flight), the election (releasing the lease, so that another instance
// takes over at once), HTTP server (5 s). The database is closed last, by
// close.
func (p *parts) run(ctx context.Context) int {
	log := p.log
	httpDone := make(chan error, 1)
	go func() { httpDone <- p.srv.Serve(p.ln) }()
	log.Info("sentinelle started", "version", buildVersion(), "http_addr", p.ln.Addr().String(),
		"public_url", p.cfg.PublicURL, "vantage", p.cfg.Vantage, "academies", len(p.cat.Academies), "services", len(p.cat.Services),
		"bot", p.bot != nil)

	// Each part has its own context so that shutdown can stop them one
	// after the other.
	checkCtx, stopChecks := context.WithCancel(context.Background())
	defer stopChecks()
	stopCron, err := p.runner.Start(checkCtx, p.cfg.CheckSchedule)
	if err != nil {
		log.Error("checker schedule", "error", err)
		p.shutdownHTTP()
		return 1
	}
	leadCtx, stopLead := context.WithCancel(context.Background())
	defer stopLead()
	var leadDone sync.WaitGroup
	leadDone.Go(func() {
		if err := p.lead.Run(leadCtx); err != nil {
			log.Error("leader election stopped", "error", err)
		}
	})
	botCtx, stopBot := context.WithCancel(context.Background())
	dispCtx, stopDisp := context.WithCancel(context.Background())
	defer stopBot()
	defer stopDisp()
	var botDone, dispDone sync.WaitGroup
	if p.bot != nil {
		dispDone.Go(func() {
			if err := p.disp.Run(dispCtx); err != nil {
				log.Error("dispatcher stopped", "error", err)
			}
		})
		botDone.Go(func() {
			if err := p.bot.Run(botCtx); err != nil && !errors.Is(err, context.Canceled) {
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
	stopLead()
	leadDone.Wait()
	p.resign()
	p.shutdownHTTP()
	log.Info("stopped")
	return code
}

// resign releases the leader's lease, 5 s at most: another instance takes
// over at its next attempt instead of when the lease runs out.
func (p *parts) resign() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.lead.Resign(ctx); err != nil {
		p.log.Warn("leader: resign", "error", err)
	}
}

// shutdownHTTP lets the requests in progress finish, 5 s at most.
func (p *parts) shutdownHTTP() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil {
		p.log.Warn("http shutdown", "error", err)
	}
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

// quietIn turns QUIET_HOURS into the dispatcher's question, in the
// recipient's time zone, or TIMEZONE for one without a known académie.
func quietIn(cfg Config) func(time.Time, *time.Location) bool {
	if !cfg.QuietHours.Enabled {
		return nil
	}
	return func(t time.Time, loc *time.Location) bool {
		if loc == nil {
			loc = cfg.Timezone
		}
		return cfg.QuietHours.Contains(t.In(loc))
	}
}

// roundMetrics feeds /metrics from each check round.
func roundMetrics(m *web.Metrics) func(checker.RoundReport) {
	return func(rep checker.RoundReport) {
		for _, r := range rep.Results {
			m.ObserveProbe(r.ServiceID, r.Latency, r.State)
		}
		m.RoundDone(rep.Voided)
		for _, t := range rep.Transitions {
			if t.EventID != 0 {
				m.EventWritten(t.EventKind)
			}
		}
	}
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
