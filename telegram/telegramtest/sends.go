package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Telegram's sizes, counted in characters after entity parsing (we count
// runes of the visible text: tags removed, entities decoded).
const (
	maxText    = 4096
	maxCaption = 1024
	maxData    = 64 // callback_data, in bytes
)

type msgKey struct{ chat, id int64 }

// sendMessage and sendPhoto share everything but the text field and the
// photo: chat faults, validation, flood limits, then acceptance.
func (s *Server) sendMessage(c *call) reply { return s.send(c, false) }

func (s *Server) sendPhoto(c *call) reply { return s.send(c, true) }

func (s *Server) send(c *call, photo bool) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	chatID, username, rep, ok := s.targetLocked(c.params)
	if !ok {
		return rep
	}
	field := "text"
	if photo {
		field = "caption"
		if c.params.Get("photo") == "" {
			return badRequest("there is no photo in the request")
		}
	}
	text := c.params.Get(field)
	visible, rep, ok := checkText(text, c.params.Get("parse_mode"), photo)
	if !ok {
		return rep
	}
	if rep, ok := checkMarkup(c.params.Get("reply_markup")); !ok {
		return rep
	}
	if wait := s.flood.admit(chatID, s.chatTypeLocked(chatID) != "private", c.at); wait > 0 {
		return s.tooManyLocked(wait)
	}
	s.nextMsg++
	m := Message{Method: c.method, ChatID: chatID, ChatUsername: username, MessageID: s.nextMsg,
		Text: text, Visible: visible, ParseMode: c.params.Get("parse_mode"),
		DisableNotification: boolParam(c.params, "disable_notification"),
		ProtectContent:      boolParam(c.params, "protect_content"),
		AllowPaidBroadcast:  boolParam(c.params, "allow_paid_broadcast"),
		LinkPreviewDisabled: previewDisabled(c.params),
		ReplyMarkup:         c.params.Get("reply_markup"),
		PhotoSize:           c.files["photo"],
		Params:              c.params, At: c.at}
	m.MessageThreadID, _, _ = intParam(c.params, "message_thread_id")
	s.sent = append(s.sent, m)
	stored := m
	s.messages[msgKey{chatID, m.MessageID}] = &stored
	s.notifyLocked()
	return result(s.wireLocked(&m))
}

// targetLocked resolves chat_id (a number or "@channelname") and applies the
// chat's faults: migrated, forgotten, blocked.
func (s *Server) targetLocked(p url.Values) (int64, string, reply, bool) {
	raw := p.Get("chat_id")
	var id int64
	var username string
	switch {
	case raw == "":
		return 0, "", badRequest("chat_id is empty"), false
	case strings.HasPrefix(raw, "@"):
		username = raw
		id = s.usernameLocked(raw)
	default:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return 0, "", badRequest("chat not found"), false
		}
		id = n
	}
	if rep, hit := s.chatFaultLocked(id); hit {
		return 0, "", rep, false
	}
	return id, username, reply{}, true
}

// usernameLocked gives a public "@name" chat a stable channel-like id.
func (s *Server) usernameLocked(name string) int64 {
	for id, c := range s.chats {
		if c.Title == name && c.Type == "channel" {
			return id
		}
	}
	id := int64(-1009000000000)
	for _, taken := s.chats[id]; taken; _, taken = s.chats[id] {
		id--
	}
	s.chats[id] = Chat{ID: id, Type: "channel", Title: name}
	return id
}

func (s *Server) chatFaultLocked(id int64) (reply, bool) {
	if to, ok := s.migrated[id]; ok {
		r := badRequest("group chat was upgraded to a supergroup chat")
		r.migrateTo = to
		return r, true
	}
	if s.forgot[id] {
		return badRequest("chat not found"), true
	}
	if desc, ok := s.blocked[id]; ok {
		return fail(http.StatusForbidden, desc), true
	}
	return reply{}, false
}

// tooManyLocked answers a flood-limit refusal.
func (s *Server) tooManyLocked(retryAfter int) reply {
	s.n429++
	return reply{status: http.StatusTooManyRequests, retryAfter: retryAfter,
		desc: "Too Many Requests: retry after " + strconv.Itoa(retryAfter)}
}

// checkText validates a text or caption as Telegram does: HTML when
// parse_mode says so (other parse modes are not checked), then emptiness
// (texts only) and length.
func checkText(text, parseMode string, caption bool) (string, reply, bool) {
	visible := text
	if strings.EqualFold(parseMode, "HTML") {
		v, err := ParseHTML(text)
		if err != nil {
			return "", badRequest("can't parse entities: " + err.Error()), false
		}
		visible = v
	}
	n := utf8.RuneCountInString(visible)
	switch {
	case !caption && strings.TrimSpace(visible) == "":
		return "", badRequest("message text is empty"), false
	case !caption && n > maxText:
		return "", badRequest("message is too long"), false
	case caption && n > maxCaption:
		return "", badRequest("message caption is too long"), false
	}
	return visible, reply{}, true
}

// checkMarkup refuses a reply_markup Telegram would refuse: not JSON, or an
// inline button whose callback_data is empty or over 64 bytes (accents count
// double).
func checkMarkup(raw string) (reply, bool) {
	if raw == "" {
		return reply{}, true
	}
	var m struct {
		InlineKeyboard [][]struct {
			Text         string  `json:"text"`
			CallbackData *string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return badRequest("can't parse reply keyboard markup JSON object"), false
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && (len(*b.CallbackData) == 0 || len(*b.CallbackData) > maxData) {
				return badRequest("BUTTON_DATA_INVALID"), false
			}
		}
	}
	return reply{}, true
}

// previewDisabled reads both the legacy disable_web_page_preview (what the
// library sends) and link_preview_options (Bot API 7.0).
func previewDisabled(p url.Values) bool {
	if boolParam(p, "disable_web_page_preview") {
		return true
	}
	var o struct {
		IsDisabled bool `json:"is_disabled"`
	}
	return json.Unmarshal([]byte(p.Get("link_preview_options")), &o) == nil && o.IsDisabled
}

// wireLocked is a stored message as the Bot API returns it.
func (s *Server) wireLocked(m *Message) *tgMessage {
	chat := s.chats[m.ChatID]
	w := &tgMessage{MessageID: m.MessageID, From: s.botUser(), Date: m.At.Unix(),
		Chat: Chat{ID: m.ChatID, Type: chat.Type, Title: chat.Title}.wire()}
	if m.ReplyMarkup != "" {
		w.ReplyMarkup = json.RawMessage(m.ReplyMarkup)
	}
	if m.Method == "sendPhoto" {
		w.Caption = m.Visible
		w.Photo = []tgPhoto{{FileID: "photo-" + strconv.FormatInt(m.MessageID, 10),
			FileUniqueID: "u" + strconv.FormatInt(m.MessageID, 10), Width: 800, Height: 450, FileSize: m.PhotoSize}}
		return w
	}
	w.Text = m.Visible
	return w
}

func (s *Server) editMessageText(c *call) reply {
	return s.edit(c, func(m *Message) (reply, bool) {
		if m.Method == "sendPhoto" {
			return badRequest("there is no text in the message to edit"), false
		}
		text := c.params.Get("text")
		visible, rep, ok := checkText(text, c.params.Get("parse_mode"), false)
		if !ok {
			return rep, false
		}
		markup := c.params.Get("reply_markup")
		if text == m.Text && markup == m.ReplyMarkup {
			return notModified(), false
		}
		m.Text, m.Visible, m.ParseMode, m.ReplyMarkup = text, visible, c.params.Get("parse_mode"), markup
		return reply{}, true
	})
}

func (s *Server) editMessageReplyMarkup(c *call) reply {
	return s.edit(c, func(m *Message) (reply, bool) {
		markup := c.params.Get("reply_markup")
		if markup == m.ReplyMarkup {
			return notModified(), false
		}
		m.ReplyMarkup = markup
		return reply{}, true
	})
}

func notModified() reply {
	return badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
}

// edit finds the bot's message, lets change validate and apply the edit, and
// answers the edited message. Inline messages are accepted blindly.
func (s *Server) edit(c *call, change func(*Message) (reply, bool)) reply {
	if c.params.Get("inline_message_id") != "" {
		return result(true)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chatID, _, rep, ok := s.targetLocked(c.params)
	if !ok {
		return rep
	}
	if rep, ok := checkMarkup(c.params.Get("reply_markup")); !ok {
		return rep
	}
	mid, _, err := intParam(c.params, "message_id")
	if err != nil {
		return badRequest(err.Error())
	}
	m, found := s.messages[msgKey{chatID, mid}]
	if !found {
		return badRequest("message to edit not found")
	}
	if rep, ok := change(m); !ok {
		return rep
	}
	s.notifyLocked()
	return result(s.wireLocked(m))
}
