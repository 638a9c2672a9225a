package notify

import (
	"context"
	"fmt"
	"regexp"
	"runtime/debug"

	"sentinelle/storage"
)

// renderPanicAttempts is how many times a delivery whose rendering panics
// is tried before it alone is abandoned: a panic may come from a passing
// state (a service's state read mid-change), and a bug must not stop the
// other deliveries nor come back forever.
const renderPanicAttempts = 3

// renderPanic is a panic recovered while rendering one delivery.
type renderPanic struct{ value string }

func (p *renderPanic) Error() string { return "render panicked: " + p.value }

// botToken matches a Telegram bot token (digits, a colon, the secret), so
// that a panic's text or stack cannot carry it into the logs.
var botToken = regexp.MustCompile(`\d{3,}:[A-Za-z0-9_-]{8,}`)

func redactToken(s string) string { return botToken.ReplaceAllString(s, "<token>") }

// safeRender renders a job's message, turning a panic of the renderer into
// an error of that delivery alone: logged with its stack (token
// redacted) and told to Options.OnPanic.
func (d *Dispatcher) safeRender(ctx context.Context, j *job, to storage.Recipient) (msg storage.OutMessage, err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		err = &renderPanic{value: redactToken(fmt.Sprint(v))}
		d.log.Error("the renderer panicked on one message; that delivery alone is retried", "event_id", j.ev.ID,
			"kind", j.ev.Kind, "attempt", j.del.Attempts+1, "error", err, "stack", redactToken(string(debug.Stack())))
		if d.opt.OnPanic != nil {
			d.opt.OnPanic("render")
		}
	}()
	return d.renderFor(ctx, j, to)
}

// panicked is the outcome of a delivery whose rendering panicked: tried
// again later, and abandoned (dead, that row only) at the last attempt.
func (d *Dispatcher) panicked(j *job, r storage.DeliveryResult, p *renderPanic) storage.DeliveryResult {
	r.Error = p.Error()
	if j.del.Attempts+1 >= renderPanicAttempts {
		r.Outcome = storage.OutcomeRefused
		d.log.Error("giving up a message whose rendering keeps panicking; the others go on", "event_id", j.ev.ID,
			"kind", j.ev.Kind, "attempt", j.del.Attempts+1)
		return r
	}
	r.Outcome, r.RetryAt = storage.OutcomeRetry, d.now().Add(d.backoff(j.del.Attempts+1))
	return r
}
