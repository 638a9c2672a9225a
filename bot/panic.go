package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/storage"
)

// A panic while handling one update must not stop the process (the checker
// and the dispatcher live in it too) nor block the updates behind it. The
// bot recovers it, undoes the update's effects (its savepoint is rolled
// back), and fails the batch, so that Telegram delivers it again: the other
// updates of the batch are then applied once, and the poisoned one is tried
// again, since the fault may be transient. At the third recovered panic of
// the same update it is confirmed and skipped: its effects stay undone and
// its chat gets the apology. The attempts are counted in the meta table, so
// that a restart between two attempts does not start the count again. A
// panic that kills the process cannot be counted; every phase recovers, so
// only a fatal runtime error (stack exhaustion, concurrent map writes) can.

// maxUpdateAttempts is how many times an update whose handling panics is
// tried before it is skipped.
const maxUpdateAttempts = 3

// panicsMetaKey holds the attempts of the updates whose handling panicked
// and that are not confirmed yet: a JSON object, update id → attempts.
const panicsMetaKey = "bot_update_panics"

// panicError is a recovered panic, with the stack where it happened.
type panicError struct {
	phase string
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic in %s: %v", e.phase, e.value) }

// errNotLeading fails a batch whose handling found this instance no longer
// leading, before anything was applied.
var errNotLeading = errors.New("bot: not leading; the batch is left to the next leader")

// errPanicked fails a batch in which an update panicked and will be tried
// again.
var errPanicked = errors.New("bot: an update's handling panicked; the batch will be tried again")

// recovered runs fn and turns a panic into a *panicError.
func recovered(phase string, fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{phase: phase, value: v, stack: debug.Stack()}
		}
	}()
	return fn()
}

func asPanic(err error) (*panicError, bool) {
	var p *panicError
	ok := errors.As(err, &p)
	return p, ok
}

// logPanic logs a recovered panic with its stack, token removed, and
// counts it. attempt is 0 when the update will not be tried again anyway.
func (b *Bot) logPanic(id int64, p *panicError, attempt int) {
	red := b.client.Redact
	args := []any{"update_id", id, "phase", p.phase, "error", red(fmt.Sprint(p.value))}
	if attempt > 0 {
		args = append(args, "attempt", attempt, "max_attempts", maxUpdateAttempts)
	}
	b.log.Error("panic while handling an update", append(args, "stack", red(string(p.stack)))...)
	if b.opt.OnPanic != nil {
		b.opt.OnPanic("update")
	}
}

// safeBatch is handleBatch with a last resort recover, for a panic outside
// the phases of one update (those are recovered one by one, above): the
// batch fails and comes back after a backoff, while the checker and the
// dispatcher, in the same process, go on.
func (b *Bot) safeBatch(ctx context.Context, updates []tgbotapi.Update) error {
	err := recovered("batch", func() error {
		if b.testHook != nil {
			b.testHook("batch", &request{id: int64(updates[0].UpdateID)})
		}
		return b.handleBatch(ctx, updates)
	})
	if p, ok := asPanic(err); ok {
		b.logPanic(int64(updates[0].UpdateID), p, 0)
	}
	return err
}

// safePrepare is prepare with a panic recovered: the request then holds
// what can be read safely of the update, enough for an apology, and the
// panic in failed.
func (b *Bot) safePrepare(ctx context.Context, u tgbotapi.Update) (r *request) {
	err := recovered("prepare", func() error {
		r = b.prepare(ctx, u)
		if b.testHook != nil {
			b.testHook("prepare", r)
		}
		return nil
	})
	if err != nil {
		r = fallbackRequest(u)
		r.failed = err
	}
	return r
}

// fallbackRequest reads of an update only what an apology needs: its id,
// and the chat for a message or the query for a button press.
func fallbackRequest(u tgbotapi.Update) *request {
	r := &request{id: int64(u.UpdateID), kind: "other"}
	switch {
	case u.Message != nil && u.Message.Chat != nil && u.Message.Chat.ID != 0 && u.Message.Chat.Type != "channel":
		r.kind, r.chatID, r.chatKind = "message", u.Message.Chat.ID, u.Message.Chat.Type
	case u.CallbackQuery != nil:
		r.kind, r.cbID = "callback", u.CallbackQuery.ID
	}
	return r
}

// retryLater logs a panic that apply recovered and says whether the
// update will be tried again (the batch then fails) rather than skipped.
func (b *Bot) retryLater(r *request, err error) bool {
	p, ok := asPanic(err)
	if !ok {
		return false
	}
	attempt := b.panics[r.id] + 1
	b.logPanic(r.id, p, attempt)
	return attempt < maxUpdateAttempts
}

// safeFinish is finish with a panic recovered. The update is committed:
// there is nothing to undo nor to try again.
func (b *Bot) safeFinish(ctx context.Context, r *request) {
	err := recovered("finish", func() error {
		if b.testHook != nil {
			b.testHook("finish", r)
		}
		b.finish(ctx, r)
		return nil
	})
	if p, ok := asPanic(err); ok {
		b.logPanic(r.id, p, 0)
	}
}

// runJob runs an update's background job (finish starts it) with a panic
// recovered.
func (b *Bot) runJob(ctx context.Context, id int64, job func(context.Context)) {
	err := recovered("job", func() error { job(ctx); return nil })
	if p, ok := asPanic(err); ok {
		b.logPanic(id, p, 0)
	}
}

// loadPanics reads the attempts counted before a restart, once.
func (b *Bot) loadPanics(ctx context.Context) {
	if b.panics != nil {
		return
	}
	b.panics = map[int64]int{}
	v, err := b.store.Meta(ctx, panicsMetaKey)
	if errors.Is(err, storage.ErrNotFound) {
		return
	}
	if err == nil {
		err = json.Unmarshal([]byte(v), &b.panics)
	}
	if err != nil {
		b.log.Warn("cannot read the attempts of updates that panicked; counting again", "error", err)
		b.panics = map[int64]int{}
	}
}

// countPanics adds an attempt to each update of a batch that will be
// tried again.
func (b *Bot) countPanics(ctx context.Context, retry []*request) error {
	ids := make([]string, len(retry))
	for i, r := range retry {
		b.panics[r.id]++
		ids[i] = strconv.FormatInt(r.id, 10)
	}
	b.savePanics(ctx)
	return fmt.Errorf("%w (update %s)", errPanicked, strings.Join(ids, ", "))
}

// forgetPanics drops the attempts of the updates a committed batch
// confirmed, up to last.
func (b *Bot) forgetPanics(ctx context.Context, last int64) {
	n := len(b.panics)
	for id := range b.panics {
		if id <= last {
			delete(b.panics, id)
		}
	}
	if len(b.panics) != n {
		b.savePanics(ctx)
	}
}

// savePanics writes the attempts to the meta table. On failure the count
// in memory still ends the retries while the process lives.
func (b *Bot) savePanics(ctx context.Context) {
	raw, err := json.Marshal(b.panics)
	if err == nil {
		err = b.store.SetMeta(context.WithoutCancel(ctx), panicsMetaKey, string(raw))
	}
	if err != nil {
		b.log.Warn("cannot record the attempts of updates that panicked", "error", err)
	}
}
