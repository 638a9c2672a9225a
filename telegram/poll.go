package telegram

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// pollLimit is the most updates one getUpdates returns (Telegram's maximum).
const pollLimit = 100

// Poll is the bot's own getUpdates loop. It deletes any webhook once, then
// long-polls from offset and calls handle with each non-empty batch, in
// order. Only when handle returns nil does it move past the batch (offset =
// last update_id + 1), so handle should persist the next offset together
// with its effects, and the next start passes that stored offset: an update
// is then handled at least once, never skipped. When handle fails, the same
// updates come back after a backoff.
//
// Failures are retried with capped, jittered exponential backoff (1 s to
// 30 s); a 409 is logged as another instance polling with this token; a 429
// waits retry_after. Poll returns a *Error with ClassUnauthorized when the
// token is refused (revoked: nothing to retry), and ctx.Err() when ctx is
// done.
func (c *Client) Poll(ctx context.Context, offset int, handle func(ctx context.Context, updates []tgbotapi.Update) error) error {
	return c.PollLeading(ctx, offset, nil, handle)
}

// ErrNotLeading is what PollLeading returns when this instance stopped
// leading: another instance polls now.
var ErrNotLeading = errors.New("telegram: not leading; polling stopped")

// PollLeading is Poll for one of several instances sharing a bot token, of
// which only the leader may poll (a second poller gets 409 Conflict).
// leading is asked before each getUpdates, once it returns (a long poll
// lasts up to the poll timeout, and leadership may end meanwhile), and
// after a failed handle. When it says false, PollLeading returns
// ErrNotLeading at once: a batch fetched but not handed over is dropped,
// and the offset is not moved past it, so Telegram has not been told it
// was received and gives it to the next getUpdates, the next leader's.
// The caller waits to lead again, then calls PollLeading again with the
// offset it stored. Nil leading: always leading, as Poll.
func (c *Client) PollLeading(ctx context.Context, offset int, leading func() bool,
	handle func(ctx context.Context, updates []tgbotapi.Update) error) error {
	leads := func() bool { return leading == nil || leading() }
	if !leads() {
		return ErrNotLeading
	}
	if err := c.deleteWebhook(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e := AsError(err); e.Class == ClassUnauthorized {
			c.log.Error("Telegram refused the bot token; polling stops", "error", err)
			return err
		}
		c.log.Warn("deleteWebhook failed; polling anyway", "error", err)
	}
	c.log.Info("polling Telegram for updates", "offset", offset, "poll_timeout_s", int(c.pollTimeout/time.Second))
	b := c.backoff
	for {
		if !leads() {
			return ErrNotLeading
		}
		updates, err := c.getUpdates(ctx, offset)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !leads() {
			if len(updates) > 0 {
				c.log.Warn("leadership lost during getUpdates; the batch is left to the next leader",
					"first_update_id", updates[0].UpdateID, "updates", len(updates))
			}
			return ErrNotLeading
		}
		if err != nil {
			delay, stop := c.pollFailure(ctx, AsError(err), &b)
			if stop != nil {
				return stop
			}
			if !c.sleep(ctx, delay) {
				return ctx.Err()
			}
			continue
		}
		b.reset()
		if len(updates) == 0 {
			continue
		}
		if err := handle(ctx, updates); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !leads() {
				c.log.Warn("leadership lost while handling a batch; it is left to the next leader",
					"error", err, "first_update_id", updates[0].UpdateID, "updates", len(updates))
				return ErrNotLeading
			}
			delay := b.next()
			c.log.Warn("update handler failed; the same updates will be fetched again",
				"error", err, "first_update_id", updates[0].UpdateID, "updates", len(updates),
				"attempt", b.attempt, "retry_in_ms", delay.Milliseconds())
			if !c.sleep(ctx, delay) {
				return ctx.Err()
			}
			continue
		}
		offset = updates[len(updates)-1].UpdateID + 1
	}
}

// getUpdates is one long poll. Its deadline is the poll timeout plus a
// margin, so a connection that died silently is noticed.
func (c *Client) getUpdates(ctx context.Context, offset int) ([]tgbotapi.Update, error) {
	// Only what the bot handles; my_chat_member tells us a family blocked
	// the bot before a send fails.
	allowed := []string{"message", "callback_query", "my_chat_member"}
	cfg := tgbotapi.UpdateConfig{Offset: offset, Limit: pollLimit,
		Timeout: int(c.pollTimeout / time.Second), AllowedUpdates: allowed}
	var updates []tgbotapi.Update
	err := c.withAPI(ctx, "getUpdates", c.pollTimeout+pollMargin, func(api *tgbotapi.BotAPI) error {
		var err error
		updates, err = api.GetUpdates(cfg)
		return err
	})
	return updates, err
}

// pollFailure logs a failed getUpdates and says how long to wait, or returns
// the error that must stop polling.
func (c *Client) pollFailure(ctx context.Context, e *Error, b *backoff) (time.Duration, error) {
	delay := b.next()
	switch e.Class {
	case ClassUnauthorized:
		c.log.Error("Telegram refused the bot token (revoked?); polling stops", "error", e)
		return 0, e
	case ClassConflict:
		if strings.Contains(strings.ToLower(e.Description), "webhook") {
			c.log.Error("a webhook is set for this bot; deleting it so polling can work", "error", e)
			if err := c.deleteWebhook(ctx); err != nil {
				c.log.Warn("deleteWebhook failed", "error", err)
			}
			return delay, nil
		}
		c.log.Error("another instance is polling with this token; only one Sentinelle may run per bot",
			"error", e, "attempt", b.attempt, "retry_in_ms", delay.Milliseconds())
		return delay, nil
	case ClassRateLimited:
		delay = max(delay, e.RetryAfter)
	}
	c.log.Warn("getUpdates failed; backing off", "error", e, "class", e.Class,
		"attempt", b.attempt, "retry_in_ms", delay.Milliseconds())
	return delay, nil
}

// backoff is capped exponential backoff with jitter: attempt n waits a
// random time in [d/2, d] where d = min·2ⁿ⁻¹ capped at max, so that several
// instances restarting together do not hammer Telegram in step.
type backoff struct {
	min, max time.Duration
	attempt  int
}

func (b *backoff) next() time.Duration {
	b.attempt++
	d := b.min
	for i := 1; i < b.attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	half := d / 2
	return half + rand.N(d-half+1)
}

func (b *backoff) reset() { b.attempt = 0 }

// sleep waits d or until ctx is done; it reports whether the full wait
// elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
