package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/storage"
	"sentinelle/telegram"
)

// request is one update as the handlers see it, filled in by prepare.
type request struct {
	id        int64
	kind      string // "message", "callback", "member", "migrate", "other"
	chatID    int64
	chatKind  string
	userID    int64
	userName  string // transient: kept only for a teacher's notices
	cmd       string // canonical name; "" for free text
	args      string
	cbID      string
	cbMsgID   int64
	data      string
	member    string // the bot's new status in the chat (my_chat_member)
	migrateTo int64

	groupAdmin bool // the sender administers the group (checked when it matters)
	drop       bool // nothing to do: another bot's command, group chatter, silenced flood
	slowDown   bool // over the command limit: the one « doucement » reply
	skip       bool // applied in an earlier run
	metric     string

	// failed is a panic of prepare: apply then only apologizes (panic.go).
	failed error

	out outcome
}

// outcome is what an update does outside the database, after the commit.
type outcome struct {
	answer string              // the callback's notice
	edit   *storage.OutMessage // new text and keyboard of the message that carried the buttons
	after  func(context.Context)
}

// updateChatID is the chat an update belongs to (0 for none). A message
// without its chat is malformed, and must not take the process down.
func updateChatID(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
}

// prepare reads an update and does what must happen before the
// transaction: the flood limit and, for a command that changes a group's
// settings, asking Telegram whether the sender administers the group.
func (b *Bot) prepare(ctx context.Context, u tgbotapi.Update) *request {
	r := &request{id: int64(u.UpdateID), kind: "other", drop: true}
	switch {
	case u.Message != nil && u.Message.Chat != nil: // a message without its chat is dropped
		b.prepareMessage(ctx, r, u.Message)
	case u.CallbackQuery != nil:
		b.prepareCallback(ctx, r, u.CallbackQuery)
	case u.MyChatMember != nil:
		m := u.MyChatMember
		r.kind, r.chatID, r.chatKind, r.userID = "member", m.Chat.ID, m.Chat.Type, m.From.ID
		r.member = m.NewChatMember.Status
		r.drop = m.NewChatMember.User == nil || m.NewChatMember.User.ID != b.client.BotID() || m.Chat.Type == "channel"
	}
	r.drop = r.drop || r.chatID == 0 // no chat 0 on Telegram: a malformed update
	return r
}

func (b *Bot) prepareMessage(ctx context.Context, r *request, m *tgbotapi.Message) {
	r.kind, r.chatID, r.chatKind = "message", m.Chat.ID, m.Chat.Type
	if m.From != nil {
		r.userID, r.userName = m.From.ID, strings.TrimSpace(m.From.FirstName+" "+m.From.LastName)
	}
	if m.MigrateToChatID != 0 {
		r.kind, r.migrateTo, r.drop = "migrate", m.MigrateToChatID, false
		return
	}
	if r.chatKind == "channel" || r.userID == 0 {
		return
	}
	name, args, forOther, isCmd := parseCommand(m.Text, b.username)
	group := r.chatKind != "private"
	if forOther || (!isCmd && group) {
		return // another bot's command, or a group's conversation
	}
	if c := b.commands[name]; group && (c == nil || c.admin) {
		return // in a group, a command we do not know may be another bot's: silence
	}
	r.cmd, r.args = name, args
	switch b.limit(r) {
	case verdictSilent:
		return
	case verdictWarn:
		r.slowDown = true
	}
	r.drop = false
	if c := b.commands[name]; c != nil && c.group && group {
		r.groupAdmin = b.isGroupAdmin(ctx, r.chatID, r.userID)
	}
}

func (b *Bot) prepareCallback(ctx context.Context, r *request, q *tgbotapi.CallbackQuery) {
	r.kind, r.cbID, r.data = "callback", q.ID, q.Data
	if q.From != nil {
		r.userID, r.userName = q.From.ID, strings.TrimSpace(q.From.FirstName+" "+q.From.LastName)
	}
	if q.Message == nil || q.Message.Chat == nil || q.Message.Chat.Type == "channel" {
		return // an inline message: the bot sends none; finish still answers
	}
	r.chatID, r.chatKind, r.cbMsgID = q.Message.Chat.ID, q.Message.Chat.Type, int64(q.Message.MessageID)
	if b.limit(r) != verdictAllow {
		return // a flood of presses gets no reply; finish still answers them
	}
	r.drop = false
	if r.chatKind != "private" {
		r.groupAdmin = b.isGroupAdmin(ctx, r.chatID, r.userID)
	}
}

// limit counts an update against its chat's limit and its sender's, and
// returns the stricter verdict.
func (b *Bot) limit(r *request) verdict {
	now := b.now()
	v := b.cmdLimit.hit(r.chatID, now)
	if r.userID != anonymousAdminID {
		v = max(v, b.userLimit.hit(r.userID, now))
	}
	return v
}

// isGroupAdmin asks Telegram whether a user administers a group. When it
// cannot tell, the answer is no: a group's settings are not changed on a
// doubt.
func (b *Bot) isGroupAdmin(ctx context.Context, chatID, userID int64) bool {
	if userID == anonymousAdminID {
		return true // only a group's admins can post as the group
	}
	status, err := b.client.ChatMemberStatus(ctx, chatID, userID)
	if err != nil {
		b.log.Warn("cannot check a group member's status", "error", err)
		return false
	}
	return status == "creator" || status == "administrator"
}

// apply runs an update's handler inside a savepoint of the batch's
// transaction and returns how many events it wrote. A handler that fails is
// undone and the user gets a short apology; only a failure to write even
// that fails the batch (which Telegram then re-delivers). A handler that
// panics is undone too, and fails the batch until its third attempt
// (panic.go).
func (b *Bot) apply(ctx context.Context, tx *storage.Tx, r *request) (int, error) {
	t := &turn{b: b, ctx: ctx, tx: tx, r: r, now: b.now()}
	err := r.failed
	if err == nil {
		err = tx.Isolate(ctx, func() error {
			return recovered("apply", func() error {
				if b.testHook != nil {
					b.testHook("apply", r)
				}
				return t.run()
			})
		})
	}
	if err == nil {
		return t.events, nil
	}
	if b.retryLater(r, err) {
		return 0, err // the batch fails; the update is tried again
	}
	b.log.Error("update failed; its effects are undone", "update_id", r.id, "kind", r.kind,
		"command", r.cmd, "error", err)
	r.out = outcome{answer: msgSorryShort}
	if r.kind != "message" {
		return 0, nil
	}
	t = &turn{b: b, ctx: ctx, tx: tx, r: r, now: t.now, seq: 90}
	err = tx.Isolate(ctx, func() error {
		return recovered("apology", func() error {
			if _, err := t.ensureChat(); err != nil {
				return err
			}
			return t.reply(msgSorry, nil)
		})
	})
	if p, ok := asPanic(err); ok {
		b.logPanic(r.id, p, 0) // no apology then; the update is skipped
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("bot: update %d: %w", r.id, err)
	}
	return t.events, nil
}

// finish does what an update asks of Telegram directly, after the commit:
// answer the button press (always, so the spinner stops), edit the menu,
// start a background job.
func (b *Bot) finish(ctx context.Context, r *request) {
	if r.kind == "callback" && r.cbID != "" {
		if err := b.client.AnswerCallback(ctx, r.cbID, r.out.answer); err != nil {
			b.log.Debug("answerCallbackQuery failed", "error", err)
		}
	}
	if r.skip {
		return
	}
	if e := r.out.edit; e != nil && r.cbMsgID != 0 {
		err := b.client.EditMessageText(ctx, r.chatID, r.cbMsgID, e.Text, e.Params)
		var te *telegram.Error
		if err != nil && !(errors.As(err, &te) && te.NotModified()) {
			b.log.Warn("cannot edit a menu", "error", err)
		}
	}
	if r.out.after != nil {
		b.jobs.Go(func() { b.runJob(ctx, r.id, r.out.after) })
	}
}
