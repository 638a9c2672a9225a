package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"sentinelle/french"
	"sentinelle/storage"
)

// turn is one update being applied: the handler's view of the transaction.
type turn struct {
	b      *Bot
	ctx    context.Context
	tx     *storage.Tx
	r      *request
	now    time.Time
	chat   storage.Chat
	loaded bool
	// created: ensureChat made the chat, new in this update.
	created bool
	// follows is what the chat follows, read with it by ensureChat and
	// kept in step by the turn's writes (follow, narrow, unfollow), so
	// that a command reads it once whatever asks again.
	follows storage.Following
	seq     int // replies written, for their dedup keys
	events  int // events actually inserted
}

// run dispatches the update to its handler.
func (t *turn) run() error {
	switch t.r.kind {
	case "member":
		return t.memberChanged()
	case "migrate":
		return t.tx.MigrateChat(t.ctx, t.r.chatID, t.r.migrateTo)
	case "callback":
		if _, err := t.ensureChat(); err != nil {
			return err
		}
		return t.callback()
	}
	if _, err := t.ensureChat(); err != nil {
		return err
	}
	switch {
	case t.r.slowDown:
		t.r.metric = "doucement"
		return t.reply(msgSlowDown, nil)
	case t.r.cmd == "":
		t.r.metric = "texte"
		return t.reply(msgFreeText, nil)
	}
	c := t.b.commands[t.r.cmd]
	if c == nil || (c.admin && !t.isAdmin()) {
		t.r.metric = "inconnue"
		return t.reply(msgUnknownCommand, nil)
	}
	t.r.metric = c.name
	if c.group && t.inGroup() && !t.r.groupAdmin {
		return t.reply(msgGroupAdminsOnly, nil)
	}
	return c.run(t)
}

func (t *turn) inGroup() bool { return t.r.chatKind != "private" }

// isAdmin: an ADMIN_IDS user in a private chat.
func (t *turn) isAdmin() bool {
	return t.r.chatKind == "private" && t.b.admins[t.r.userID]
}

// ensureChat loads the chat, creating it on first contact and reactivating
// it when a person who blocked the bot writes again. It reads what the
// chat follows in the same statement.
func (t *turn) ensureChat() (storage.Chat, error) {
	if t.loaded {
		return t.chat, nil
	}
	c, f, err := t.tx.ChatFollowing(t.ctx, t.r.chatID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		c = storage.NewChat(t.r.chatID)
		c.Kind = chatKind(t.r.chatKind)
		f = storage.Following{Departements: map[string][]string{}} // no chat, no subscription
		t.created = true
		err = t.tx.CreateOrUpdateChat(t.ctx, c)
	case err == nil && !c.Active:
		c.Active = true
		err = t.tx.CreateOrUpdateChat(t.ctx, c)
	}
	if err != nil {
		return storage.Chat{}, err
	}
	t.chat, t.follows, t.loaded = c, f, true
	return c, nil
}

// following is what the chat follows: its académies (sorted) and the
// départements of those narrowed: copies, which the caller may change
// (not the map's slices), as the turn changes its own.
func (t *turn) following() ([]string, map[string][]string, error) {
	if _, err := t.ensureChat(); err != nil {
		return nil, nil, err
	}
	return slices.Clone(t.follows.Academies), maps.Clone(t.follows.Departements), nil
}

// academies are the académies the chat follows, sorted.
func (t *turn) academies() ([]string, error) {
	subs, _, err := t.following()
	return subs, err
}

// follow makes the chat follow an académie (whole, unless narrowed after).
func (t *turn) follow(slug string) error {
	if err := t.tx.Subscribe(t.ctx, t.chat.ID, slug); err != nil {
		return err
	}
	if i, found := slices.BinarySearch(t.follows.Academies, slug); !found {
		t.follows.Academies = slices.Insert(t.follows.Academies, i, slug)
	}
	return nil
}

// narrow narrows the chat's subscription to an académie to codes, or
// makes it whole again when there are none.
func (t *turn) narrow(slug string, codes []string) error {
	if err := t.tx.NarrowSubscription(t.ctx, t.chat.ID, slug, codes); err != nil {
		return err
	}
	if len(codes) == 0 {
		delete(t.follows.Departements, slug)
		return nil
	}
	sorted := slices.Clone(codes)
	slices.Sort(sorted)
	t.follows.Departements[slug] = slices.Compact(sorted)
	return nil
}

// unfollow stops the chat following an académie, or any when slug is "".
func (t *turn) unfollow(slug string) error {
	if err := t.tx.Unsubscribe(t.ctx, t.chat.ID, slug); err != nil {
		return err
	}
	if slug == "" {
		t.follows = storage.Following{Departements: map[string][]string{}}
		return nil
	}
	t.follows.Academies = slices.DeleteFunc(t.follows.Academies, func(a string) bool { return a == slug })
	delete(t.follows.Departements, slug)
	return nil
}

// saveChat writes t.chat back.
func (t *turn) saveChat() error { return t.tx.CreateOrUpdateChat(t.ctx, t.chat) }

// chatKind maps Telegram's chat type to what chats.kind accepts.
func chatKind(typ string) string {
	switch typ {
	case "group", "supergroup", "channel":
		return typ
	}
	return "private"
}

// reply writes a message to the chat into the outbox.
func (t *turn) reply(text string, kb keyboard) error {
	return t.send(storage.OutMessage{Text: text, Params: kb.params()})
}

// send writes any message (a photo…) to the chat into the outbox. Its
// dedup key is the update's id and the reply's rank, so a re-delivered
// update cannot answer twice.
func (t *turn) send(m storage.OutMessage) error {
	m.Text, m.Quote = french.TypesetHTML(m.Text), french.Typeset(m.Quote)
	ev, err := storage.NewReply(t.replyKey(), t.r.chatID, m)
	if err != nil {
		return err
	}
	t.seq++
	_, inserted, err := t.tx.InsertEvent(t.ctx, ev)
	if inserted {
		t.events++
	}
	return err
}

// replyKey is the dedup key of the next reply this turn writes.
func (t *turn) replyKey() string { return fmt.Sprintf("u%d:%d", t.r.id, t.seq) }

// edit replaces the text and buttons of the message whose button was
// pressed (after the commit, straight to Telegram).
func (t *turn) edit(text string, kb keyboard) {
	t.r.out.edit = &storage.OutMessage{Text: french.TypesetHTML(text), Params: kb.params()}
}

// answer sets the short notice shown on the button press.
func (t *turn) answer(text string) { t.r.out.answer = french.Typeset(text) }

// memberChanged follows the bot's own membership: blocked or removed, the
// chat is deactivated; back, it is active again; added to a new group, it
// says hello.
func (t *turn) memberChanged() error {
	switch t.r.member {
	case "kicked", "left":
		if _, err := t.tx.Chat(t.ctx, t.r.chatID); errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		return t.tx.DeactivateChat(t.ctx, t.r.chatID, "bot "+t.r.member)
	case "member", "administrator":
		if _, err := t.ensureChat(); err != nil {
			return err
		}
		if t.created && t.inGroup() {
			return t.reply(msgGroupWelcome, nil)
		}
	}
	return nil
}
