package telegramtest

import (
	"encoding/json"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// commandName is what setMyCommands accepts: 1–32 lowercase letters,
// digits and underscores (no accents: "/désabonner" is refused).
var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) answerCallbackQuery(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.params.Get("callback_query_id")
	answered, known := s.cbqs[id]
	if !known || answered {
		return badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	s.cbqs[id] = true
	return result(true)
}

// scopeKey names a BotCommandScope: its type ("default" when absent), plus
// ":chat_id" and ":user_id" for the scopes that have them.
func scopeKey(raw string) (string, bool) {
	if raw == "" || raw == "null" {
		return "default", true
	}
	var sc struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID int64           `json:"user_id"`
	}
	if err := json.Unmarshal([]byte(raw), &sc); err != nil || sc.Type == "" {
		return "", false
	}
	key := sc.Type
	if len(sc.ChatID) > 0 {
		var name string
		if json.Unmarshal(sc.ChatID, &name) != nil {
			name = string(sc.ChatID)
		}
		key += ":" + name
	}
	if sc.UserID != 0 {
		key += ":" + strconv.FormatInt(sc.UserID, 10)
	}
	return key, true
}

// withMenu answers a call about the command menu of one scope and
// language: it refuses a scope that is not a BotCommandScope, else runs f
// under the lock with the menu's key in s.commands.
func (s *Server) withMenu(c *call, f func(key string) reply) reply {
	scope, ok := scopeKey(c.params.Get("scope"))
	if !ok {
		return badRequest("can't parse BotCommandScope JSON object")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return f(scope + "|" + c.params.Get("language_code"))
}

func (s *Server) setMyCommands(c *call) reply {
	return s.withMenu(c, func(key string) reply {
		var cmds []Command
		if err := json.Unmarshal([]byte(c.params.Get("commands")), &cmds); err != nil {
			return badRequest("can't parse commands JSON object")
		}
		if len(cmds) > 100 {
			return badRequest("too many commands specified")
		}
		for _, cmd := range cmds {
			if !commandName.MatchString(cmd.Command) {
				return badRequest("BOT_COMMAND_INVALID")
			}
			if n := utf8.RuneCountInString(cmd.Description); n < 1 || n > 256 {
				return badRequest("command description must be non-empty and at most 256 characters")
			}
		}
		s.commands[key] = cmds
		return result(true)
	})
}

func (s *Server) getMyCommands(c *call) reply {
	return s.withMenu(c, func(key string) reply {
		cmds := s.commands[key]
		if cmds == nil {
			cmds = []Command{}
		}
		return result(cmds)
	})
}

func (s *Server) deleteMyCommands(c *call) reply {
	return s.withMenu(c, func(key string) reply {
		delete(s.commands, key)
		return result(true)
	})
}

// getChatMember answers the status set with SetChatMemberStatus, "member"
// by default.
func (s *Server) getChatMember(c *call) reply {
	return s.withChat(c, func(chatID int64) reply {
		userID, found, err := intParam(c.params, "user_id")
		if err != nil || !found {
			return badRequest("user_id is required")
		}
		status := s.members[[2]int64{chatID, userID}]
		if status == "" {
			status = "member"
		}
		user := tgUser{ID: userID, IsBot: userID == s.botID, FirstName: "Utilisateur"}
		return result(tgMember{User: user, Status: status})
	})
}

func (s *Server) getChat(c *call) reply {
	return s.withChat(c, func(chatID int64) reply {
		chat := s.chats[chatID]
		return result(Chat{ID: chatID, Type: chat.Type, Title: chat.Title}.wire())
	})
}

// chatOnly answers true to methods that only need a reachable chat
// (deleteMessage, sendChatAction, leaveChat).
func (s *Server) chatOnly(c *call) reply {
	return s.withChat(c, func(int64) reply { return result(true) })
}

// withChat answers a call about one chat: under the lock, it resolves
// chat_id and answers the chat's faults (targetLocked), else runs f with
// the chat's id.
func (s *Server) withChat(c *call, f func(chatID int64) reply) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	chatID, _, rep, ok := s.targetLocked(c.params)
	if !ok {
		return rep
	}
	return f(chatID)
}
