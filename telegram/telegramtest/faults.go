package telegramtest

import (
	"net/http"
	"strings"
)

// fault is a scripted failure for the next calls of some methods.
type fault struct {
	method string // lower-case method name; "" means every send* method
	left   int
	code   int
	drop   bool
}

// Block makes sends to chatID fail with 403 "Forbidden: bot was blocked by
// the user" (for a group: "bot was kicked from the group chat").
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = blockedText(chatID, s.chatTypeLocked(chatID))
}

// Unblock undoes Block, as when the user restarts the bot.
func (s *Server) Unblock(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, chatID)
}

func blockedText(chatID int64, typ string) string {
	if typ == "private" || (typ == "" && chatID > 0) {
		return "Forbidden: bot was blocked by the user"
	}
	return "Forbidden: bot was kicked from the " + typ + " chat"
}

// Forget makes calls about chatID fail with 400 "Bad Request: chat not
// found", as for a deleted account or a chat the bot never joined.
func (s *Server) Forget(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgot[chatID] = true
}

// Migrate makes calls about the group oldID fail with 400 "Bad Request:
// group chat was upgraded to a supergroup chat" and
// parameters.migrate_to_chat_id = newID; newID works normally.
func (s *Server) Migrate(oldID, newID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.migrated[oldID] = newID
	if _, ok := s.chats[newID]; !ok {
		s.chats[newID] = Chat{ID: newID, Type: "supergroup", Title: s.chats[oldID].Title}
	}
}

// FailNext makes the next n send requests (sendMessage, sendPhoto, any
// send*) answer code in Telegram's envelope: 500 "Internal Server Error",
// 502 "Bad Gateway", 429 with retry_after 1, 403, 401… Other methods are
// not affected; see FailMethod.
func (s *Server) FailNext(n, code int) { s.addFault(fault{left: n, code: code}) }

// FailMethod makes the next n calls of one method (case-insensitive, e.g.
// "getUpdates") answer code.
func (s *Server) FailMethod(method string, n, code int) {
	s.addFault(fault{method: strings.ToLower(method), left: n, code: code})
}

// DropNext makes the next n send requests lose their connection without an
// answer, as a reset connection or a crashed proxy would: the client sees a
// network error, and cannot know whether the message went out.
func (s *Server) DropNext(n int) { s.addFault(fault{left: n, drop: true}) }

func (s *Server) addFault(f fault) {
	if f.left <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// fault consumes the first scripted failure that applies to method.
func (s *Server) fault(method string) (reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lower := strings.ToLower(method)
	for i := range s.faults {
		f := &s.faults[i]
		if f.method != lower && (f.method != "" || !strings.HasPrefix(lower, "send")) {
			continue
		}
		f.left--
		rep := reply{drop: f.drop}
		if !f.drop {
			rep = s.errorLocked(f.code)
		}
		if f.left == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return rep, true
	}
	return reply{}, false
}

// errorLocked is Telegram's answer for an injected status code.
func (s *Server) errorLocked(code int) reply {
	switch code {
	case http.StatusTooManyRequests:
		return s.tooManyLocked(1)
	case http.StatusForbidden:
		return fail(code, "Forbidden: bot was blocked by the user")
	case http.StatusUnauthorized:
		return fail(code, "Unauthorized")
	case http.StatusConflict:
		return fail(code, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
	case http.StatusBadRequest:
		return badRequest("chat not found")
	}
	return fail(code, http.StatusText(code))
}

// Hang(true) makes every request wait, before any processing, until its
// client gives up (timeout, cancelled context), Hang(false) is called, or
// the server closes. It is how a test sees a Telegram that accepts
// connections and never answers.
func (s *Server) Hang(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case on && s.hang == nil:
		s.hang = make(chan struct{})
	case !on && s.hang != nil:
		close(s.hang)
		s.hang = nil
	}
}

// waitHang blocks while the server hangs; false means the request must not
// be answered.
func (s *Server) waitHang(r *http.Request) bool {
	s.mu.Lock()
	h := s.hang
	s.mu.Unlock()
	if h == nil {
		return true
	}
	select {
	case <-h:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closing:
		return false
	}
}

// SetChatMemberStatus sets what getChatMember answers for userID in chatID
// ("creator", "administrator", "member", "restricted", "left", "kicked").
func (s *Server) SetChatMemberStatus(chatID, userID int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[[2]int64{chatID, userID}] = status
}
