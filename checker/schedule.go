package checker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/robfig/cron/v3"
)

// Start runs a round at once, then RunOnce on the schedule spec
// (CHECK_SCHEDULE: "@every 1m", "*/5 * * * *"…) until stop is called. A
// round still running when the next one is due makes that one skipped, not
// queued; a panic in a round is logged and the schedule goes on. The
// vote counts the other vantages' rounds started within two of the
// schedule's intervals; when Options.MaxGap is zero, Start sets it to
// three intervals.
//
// stop waits for a running round to finish. Rounds use ctx: cancel it
// before calling stop to cut a running round short (it then records
// nothing).
func (r *Runner) Start(ctx context.Context, spec string) (stop func(), err error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("checker: schedule %q: %w", spec, err)
	}
	next := sched.Next(r.now())
	interval := sched.Next(next).Sub(next)
	r.interval.Store(int64(interval))
	if r.opts.MaxGap == 0 {
		r.maxGap.Store(int64(3 * interval))
	}
	l := cronLogger{r.log}
	// Order matters: SkipIfStillRunning(Recover(job)). With Recover outside,
	// a panic skips SkipIfStillRunning's release of its token, and every
	// later round is skipped forever (robfig/cron v3.0.1 chain.go).
	job := cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(cron.FuncJob(func() {
		if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("check round failed", "error", err)
		}
	}))
	c := cron.New(cron.WithLogger(l))
	c.Schedule(sched, job)
	var first sync.WaitGroup
	first.Go(job.Run) // through the same chain: a tick during it is skipped
	c.Start()
	return func() {
		<-c.Stop().Done()
		first.Wait()
	}, nil
}

// cronLogger adapts slog to robfig/cron's logger. Cron reports each tick at
// info level: that is debug for us; a skipped round is worth a warning,
// since it means rounds last longer than the schedule's interval.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	if msg == "skip" {
		l.log.Warn("check round skipped: the previous one is still running", keysAndValues...)
		return
	}
	l.log.Debug("cron "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron "+msg, append([]any{"error", err}, keysAndValues...)...)
}
