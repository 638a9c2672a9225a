package notify

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"strconv"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/telegram"
)

// Sender is the part of the Telegram client the dispatcher needs. Text is
// Telegram HTML; params are extra Bot API fields (disable_notification,
// allow_paid_broadcast, reply_markup…). *telegram.Client implements it; a
// failure is read with telegram.AsError, so a Sender's errors should be
// (or wrap) *telegram.Error; any other error counts as a network failure.
type Sender interface {
	SendMessage(ctx context.Context, chatID int64, text string, params map[string]string) (messageID int64, err error)
	SendPhoto(ctx context.Context, chatID int64, png []byte, caption string, params map[string]string) (messageID int64, err error)
}

// ChannelSender is implemented by a Sender that can post to a public
// channel by its @name, which is how académie channels are configured. A
// Sender without it cannot post channel posts: they end as failed.
type ChannelSender interface {
	SendToChannel(ctx context.Context, channel string, text string, params map[string]string) (messageID int64, err error)
}

// unauthorizedPause is how long sending stops when Telegram rejects the
// token: nothing can succeed until an operator fixes it, and hammering
// Telegram with a revoked token helps nobody.
const unauthorizedPause = time.Minute

// attempt sends a rendered message and classifies the answer.
func (d *Dispatcher) attempt(ctx context.Context, j *job, r storage.DeliveryResult, msg storage.OutMessage) (storage.DeliveryResult, bool) {
	id, err := d.transmit(ctx, j, msg, d.params(j, msg.Params))
	if err == nil {
		r.Outcome, r.MessageID = storage.OutcomeSent, id
		return r, false
	}
	return d.classify(j, r, err)
}

// params adds what the dispatcher decides to the renderer's fields: silent
// at night or when the event says so, paid broadcast when enabled. Night
// is the recipient's: read in their académie's time zone (j.loc).
func (d *Dispatcher) params(j *job, extra map[string]string) map[string]string {
	ev := j.ev
	p := make(map[string]string, len(extra)+2)
	maps.Copy(p, extra)
	if ev.Silent || (ev.Kind != status.KindReply && d.opt.Quiet != nil && d.opt.Quiet(d.now(), j.loc)) {
		p["disable_notification"] = "true"
	}
	if d.opt.PaidBroadcast {
		p["allow_paid_broadcast"] = "true"
	}
	return p
}

func (d *Dispatcher) transmit(ctx context.Context, j *job, msg storage.OutMessage, params map[string]string) (int64, error) {
	switch {
	case j.del.Channel != "":
		if id, err := strconv.ParseInt(j.del.Channel, 10, 64); err == nil {
			return d.send.SendMessage(ctx, id, msg.Text, params) // a channel given by its numeric id
		}
		cs, ok := d.send.(ChannelSender)
		if !ok {
			return 0, errNoChannels
		}
		return cs.SendToChannel(ctx, j.del.Channel, msg.Text, params)
	case len(msg.Photo) > 0:
		return d.send.SendPhoto(ctx, j.del.ChatID, msg.Photo, msg.Text, params)
	default:
		return d.send.SendMessage(ctx, j.del.ChatID, msg.Text, params)
	}
}

var errNoChannels = errors.New("notify: the sender cannot post to channels")

// classify turns a failed send into an outcome. again is true when the job
// must wait in the queue (429, revoked token) without counting an attempt.
func (d *Dispatcher) classify(j *job, r storage.DeliveryResult, err error) (storage.DeliveryResult, bool) {
	te := telegram.AsError(err)
	class, delay, newChat := te.Class, te.RetryDelay(), te.NewChatID()
	r.Error = err.Error()
	attrs := []any{"event_id", j.ev.ID, "kind", j.ev.Kind, "class", class, "attempt", j.del.Attempts + 1}
	switch {
	case errors.Is(err, errNoChannels):
		r.Outcome = storage.OutcomeFailed
	case class == telegram.ClassRateLimited:
		if delay <= 0 {
			delay = time.Second
		}
		d.pause(time.Now().Add(delay + rand.N(delay/10+1)))
		d.stats.rateLimited.Add(1)
		d.stats.report("429")
		d.log.Warn("Telegram asked to slow down; all sending paused", append(attrs, "retry_after_ms", delay.Milliseconds())...)
		return r, true
	case class == telegram.ClassUnauthorized:
		d.pause(time.Now().Add(unauthorizedPause))
		d.log.Error("Telegram refused the bot token; sending paused (check TELEGRAM_BOT_TOKEN)", attrs...)
		return r, true
	case class == telegram.ClassBlocked || class == telegram.ClassChatNotFound:
		r.Outcome = storage.OutcomeUndeliverable
		d.log.Info("chat or channel refuses our messages; no more sends there", attrs...)
	case class == telegram.ClassMigrated && newChat != 0 && j.del.Channel == "":
		r.Outcome, r.NewChatID = storage.OutcomeMigrated, newChat
		d.log.Info("group became a supergroup; moved and resent", attrs...)
	case class == telegram.ClassParseError:
		return d.refused(j, r, err, attrs)
	case class == telegram.ClassBadRequest || class == telegram.ClassMigrated:
		r.Outcome = storage.OutcomeFailed
		d.log.Warn("Telegram refused a message", append(attrs, "error", err)...)
	case j.del.Attempts+1 >= d.opt.MaxAttempts:
		r.Outcome = storage.OutcomeFailed
		d.log.Warn("giving up a delivery after repeated failures", append(attrs, "error", err)...)
	default:
		r.Outcome, r.RetryAt = storage.OutcomeRetry, d.now().Add(d.backoff(j.del.Attempts+1))
		d.log.Debug("send failed; will retry", append(attrs, "error", err)...)
	}
	return r, false
}

// refused handles Telegram's refusal of a text (can't parse entities).
// Alerts are rendered per recipient, so one recipient's plan B can break
// the HTML while everyone else's message is fine: the message is tried
// once more without its optional parts, then that delivery alone is dead.
// A stored text (reply, notice, announcement) is the same for everyone:
// its whole event dies at once instead of being refused once per chat.
func (d *Dispatcher) refused(j *job, r storage.DeliveryResult, err error, attrs []any) (storage.DeliveryResult, bool) {
	attrs = append(attrs, "error", err)
	switch {
	case !j.ev.Kind.IsService():
		r.Outcome = storage.OutcomeDead
		d.log.Error("Telegram refused the text of an event: every delivery of it is abandoned; this is a rendering bug", attrs...)
	case !j.plain:
		j.plain = true
		d.log.Warn("Telegram refused the text of a message; trying it again without plan B and alternatives", attrs...)
		return r, true
	default:
		r.Outcome = storage.OutcomeRefused
		d.log.Error("Telegram refused the text of a message even without plan B and alternatives: "+
			"that delivery is abandoned, the others go on; this is a rendering bug", attrs...)
	}
	return r, false
}

// backoff is the wait before try n+1 after n failed tries: base·2^(n-1)
// capped at BackoffMax, times a random factor in [0.5, 1.5) so that a
// failure of many sends at once does not come back all at once.
func (d *Dispatcher) backoff(n int) time.Duration {
	w := d.opt.BackoffBase
	for i := 1; i < n && w < d.opt.BackoffMax; i++ {
		w *= 2
	}
	w = min(w, d.opt.BackoffMax)
	return time.Duration(float64(w) * (0.5 + rand.Float64()))
}
