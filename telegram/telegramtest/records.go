package telegramtest

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Request is one call the server answered, in the order answers went out.
type Request struct {
	// Method is the canonical method name ("sendMessage"), whatever case
	// the client used; the raw path segment for unknown methods.
	Method string
	// Params are the fields, from the query string and the form, multipart
	// or JSON body; an uploaded file appears as its file name.
	Params url.Values
	// At is when the request arrived, by the server's clock.
	At time.Time
	// Status is the HTTP status answered (= Telegram's error_code), 0 when
	// the server answered nothing (hung until the client left, dropped).
	Status int
}

// Message is a send the server accepted, or its latest state after edits
// (Current).
type Message struct {
	Method       string // "sendMessage" or "sendPhoto"
	ChatID       int64
	ChatUsername string // "@name" when chat_id was a public username
	MessageID    int64
	// Text is the text or caption exactly as sent (Telegram HTML source).
	Text string
	// Visible is what the user reads: tags removed, entities decoded.
	Visible             string
	ParseMode           string
	DisableNotification bool
	ProtectContent      bool
	AllowPaidBroadcast  bool
	// LinkPreviewDisabled is link_preview_options.is_disabled or the legacy
	// disable_web_page_preview.
	LinkPreviewDisabled bool
	// ReplyMarkup is the reply_markup JSON as sent ("" when none).
	ReplyMarkup     string
	MessageThreadID int64
	// PhotoSize is the uploaded file's size in bytes (sendPhoto).
	PhotoSize int64
	// Params are all the fields of the request.
	Params url.Values
	At     time.Time
}

func (m *Message) caption() string {
	if m.Method == "sendPhoto" {
		return m.Visible
	}
	return ""
}

// Requests returns every answered request so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsFor returns the answered requests of one method (case-insensitive).
func (s *Server) RequestsFor(method string) []Request {
	return matching(s.Requests(), func(r Request) bool { return strings.EqualFold(r.Method, method) })
}

// Sent returns the accepted sendMessage/sendPhoto calls, in order, as they
// were sent (later edits do not change them; see Current).
func (s *Server) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.sent...)
}

// SentTo returns the accepted sends to one chat, in order.
func (s *Server) SentTo(chatID int64) []Message {
	return matching(s.Sent(), func(m Message) bool { return m.ChatID == chatID })
}

// matching returns the records that keep accepts, in order; nil when none
// does.
func matching[T any](records []T, keep func(T) bool) []T {
	var out []T
	for _, r := range records {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// Current returns a message the bot sent as it stands now, after
// editMessageText and editMessageReplyMarkup.
func (s *Server) Current(chatID, messageID int64) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[msgKey{chatID, messageID}]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// WaitSent waits until at least n sends were accepted and returns them all;
// after timeout it fails the test, listing what did arrive. Call it from the
// test's goroutine (it may call tb.Fatalf).
func (s *Server) WaitSent(tb testing.TB, n int, timeout time.Duration) []Message {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.sent) >= n {
			out := append([]Message(nil), s.sent...)
			s.mu.Unlock()
			return out
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			sent := s.Sent()
			var b strings.Builder
			for _, m := range sent {
				b.WriteString("\n  ")
				b.WriteString(m.Method + " to " + itoa(m.ChatID) + ": " + m.Visible)
			}
			tb.Fatalf("telegramtest: after %v, %d sends accepted, want at least %d (429s: %d)%s",
				timeout, len(sent), n, s.Count429(), b.String())
			return nil
		case <-s.closing:
			tb.Fatalf("telegramtest: server closed while waiting for %d sends", n)
			return nil
		}
	}
}

// Commands returns the menu set with setMyCommands for a scope and a
// language. scope is the BotCommandScope type ("default",
// "all_private_chats", "all_group_chats"…), followed by ":<chat_id>" and
// ":<user_id>" for the scopes that have them; languageCode "" is the
// fallback menu.
func (s *Server) Commands(scope, languageCode string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands[scope+"|"+languageCode]...)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
