package telegramtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// maxPollTimeout is Telegram's cap on getUpdates' timeout.
const maxPollTimeout = 50 * time.Second

// queued is one update waiting to be confirmed, already in JSON.
type queued struct {
	id  int
	raw json.RawMessage
}

// SendText makes a user send text in chat, as if typed in Telegram. Text
// starting with "/" gets the bot_command entity (over the first word, in
// UTF-16 units as Telegram counts), so Message.IsCommand() and Command() work
// in the bot. It returns the update_id.
func (s *Server) SendText(chat Chat, from User, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsg++
	msg := &tgMessage{MessageID: s.nextMsg, From: ptr(from.wire()), Date: s.now().Unix(),
		Chat: s.knowChatLocked(chat), Text: text}
	if strings.HasPrefix(text, "/") {
		word, _, _ := strings.Cut(text, " ")
		word, _, _ = strings.Cut(word, "\n")
		msg.Entities = []tgEntity{{Type: "bot_command", Offset: 0, Length: len(utf16.Encode([]rune(word)))}}
	}
	return s.enqueueLocked(&tgUpdate{Message: msg})
}

// PressButton makes a user press an inline button with callback data on the
// bot's message messageID. The callback's message carries that message's
// current text and keyboard when the bot sent it through this server. It
// returns the callback id, which answerCallbackQuery accepts once.
func (s *Server) PressButton(chat Chat, from User, messageID int64, data string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextCbq++
	id := "cbq-" + strconv.Itoa(s.nextCbq)
	s.cbqs[id] = false
	msg := &tgMessage{MessageID: messageID, From: s.botUser(), Date: s.now().Unix(), Chat: s.knowChatLocked(chat)}
	if m, ok := s.messages[msgKey{chat.ID, messageID}]; ok {
		msg.Text, msg.Caption, msg.Date = m.Visible, m.caption(), m.At.Unix()
		if m.ReplyMarkup != "" {
			msg.ReplyMarkup = json.RawMessage(m.ReplyMarkup)
		}
	}
	cb := &tgCallback{ID: id, From: from.wire(), Message: msg,
		ChatInstance: "ci" + strconv.FormatInt(chat.ID, 10), Data: data}
	s.enqueueLocked(&tgUpdate{CallbackQuery: cb})
	return id
}

// ChatMemberUpdate delivers a my_chat_member update: from changed the bot's
// status in chat to newStatus. As on Telegram, it also changes what sends to
// that chat do: "kicked" or "left" makes them fail with 403 (a private chat's
// "kicked" is a user blocking the bot), "member" or "administrator" makes
// them work again.
func (s *Server) ChatMemberUpdate(chat Chat, from User, newStatus string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := [2]int64{chat.ID, s.botID}
	old := s.members[key]
	if old == "" {
		old = "member"
	}
	s.members[key] = newStatus
	switch newStatus {
	case "kicked", "left":
		s.blocked[chat.ID] = blockedText(chat.ID, s.chatTypeLocked(chat.ID))
	case "member", "administrator":
		delete(s.blocked, chat.ID)
	}
	bot := *s.botUser()
	up := &tgMemberUpdated{Chat: s.knowChatLocked(chat), From: from.wire(), Date: s.now().Unix(),
		OldChatMember: tgMember{User: bot, Status: old}, NewChatMember: tgMember{User: bot, Status: newStatus}}
	s.enqueueLocked(&tgUpdate{MyChatMember: up})
}

// Pending is how many injected updates the bot has not confirmed yet (by
// polling with a higher offset).
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

func (s *Server) enqueueLocked(u *tgUpdate) int {
	s.nextUpd++
	u.UpdateID = s.nextUpd
	raw, err := json.Marshal(u)
	if err != nil {
		panic("telegramtest: marshal update: " + err.Error()) // our own types: cannot happen
	}
	s.updates = append(s.updates, queued{id: u.UpdateID, raw: raw})
	s.notifyLocked()
	return u.UpdateID
}

// knowChatLocked remembers a chat's type and title for later answers.
func (s *Server) knowChatLocked(c Chat) tgChat {
	w := c.wire()
	s.chats[c.ID] = Chat{ID: c.ID, Type: w.Type, Title: c.Title}
	return w
}

func (s *Server) chatTypeLocked(id int64) string {
	if c, ok := s.chats[id]; ok && c.Type != "" {
		return c.Type
	}
	return chatType(id)
}

func ptr[T any](v T) *T { return &v }

// getUpdates confirms updates below offset, then answers at most limit of
// the rest, waiting up to timeout seconds (long poll) for one to arrive. As
// on Telegram, a newer getUpdates terminates a waiting one, which gets 409.
func (s *Server) getUpdates(c *call) reply {
	offset, limit, wait, err := s.pollParams(c)
	if err != nil {
		return badRequest(err.Error())
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()

	s.mu.Lock()
	if s.poller != nil {
		close(s.poller)
	}
	me := make(chan struct{})
	s.poller = me
	s.confirmLocked(offset)
	for {
		if s.poller != me {
			s.mu.Unlock()
			return fail(http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
		}
		if len(s.updates) > 0 || wait == 0 {
			batch := s.updates[:min(len(s.updates), limit)]
			out := make([]json.RawMessage, len(batch))
			for i, q := range batch {
				out[i] = q.raw
			}
			s.poller = nil
			s.mu.Unlock()
			return result(out)
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-me:
		case <-timer.C:
			wait = 0
		case <-c.r.Context().Done():
			return s.leavePoll(me)
		case <-s.closing:
			return s.leavePoll(me)
		}
		s.mu.Lock()
	}
}

// pollParams reads getUpdates' offset, limit (1–100, default 100) and
// timeout (capped at 50 s, and at WithPollWait).
func (s *Server) pollParams(c *call) (offset, limit int, wait time.Duration, err error) {
	var n [3]int64
	for i, key := range []string{"offset", "limit", "timeout"} {
		if n[i], _, err = intParam(c.params, key); err != nil {
			return 0, 0, 0, err
		}
	}
	offset, limit = int(n[0]), int(n[1])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	wait = min(time.Duration(max(n[2], 0))*time.Second, maxPollTimeout)
	if s.pollWait > 0 {
		wait = min(wait, s.pollWait)
	}
	return offset, limit, wait, nil
}

// leavePoll forgets a poller whose client went away.
func (s *Server) leavePoll(me chan struct{}) reply {
	s.mu.Lock()
	if s.poller == me {
		s.poller = nil
	}
	s.mu.Unlock()
	return reply{}
}

// confirmLocked drops updates the bot confirmed: those below a positive
// offset; a negative offset keeps only the last -offset updates.
func (s *Server) confirmLocked(offset int) {
	switch {
	case offset > 0:
		i := 0
		for i < len(s.updates) && s.updates[i].id < offset {
			i++
		}
		s.updates = s.updates[i:]
	case offset < 0 && -offset < len(s.updates):
		s.updates = s.updates[len(s.updates)+offset:]
	}
}
