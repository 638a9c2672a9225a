package telegramtest

import "encoding/json"

// Chat is a chat as a test describes it. Type is "private", "group",
// "supergroup" or "channel"; private chat ids are positive (the user's id),
// groups negative, supergroups and channels -100….
type Chat struct {
	ID    int64
	Type  string
	Title string
}

// User is a person as a test describes them. LanguageCode "fr" is what a
// French Telegram client sends.
type User struct {
	ID           int64
	FirstName    string
	Username     string
	LanguageCode string
}

// Command is one entry of a command menu set with setMyCommands.
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// The wire types below follow the Bot API's JSON (numbers as numbers), and
// only carry the fields go-telegram-bot-api v5.5.1 decodes and we use.

type tgUser struct {
	ID            int64  `json:"id"`
	IsBot         bool   `json:"is_bot"`
	FirstName     string `json:"first_name"`
	Username      string `json:"username,omitempty"`
	LanguageCode  string `json:"language_code,omitempty"`
	CanJoinGroups bool   `json:"can_join_groups,omitempty"`
}

type tgChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

type tgEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

type tgPhoto struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int64  `json:"file_size,omitempty"`
}

type tgMessage struct {
	MessageID   int64           `json:"message_id"`
	From        *tgUser         `json:"from,omitempty"`
	Date        int64           `json:"date"`
	Chat        tgChat          `json:"chat"`
	Text        string          `json:"text,omitempty"`
	Entities    []tgEntity      `json:"entities,omitempty"`
	Caption     string          `json:"caption,omitempty"`
	Photo       []tgPhoto       `json:"photo,omitempty"`
	ReplyMarkup json.RawMessage `json:"reply_markup,omitempty"`
}

type tgCallback struct {
	ID           string     `json:"id"`
	From         tgUser     `json:"from"`
	Message      *tgMessage `json:"message,omitempty"`
	ChatInstance string     `json:"chat_instance"`
	Data         string     `json:"data,omitempty"`
}

type tgMember struct {
	User      tgUser `json:"user"`
	Status    string `json:"status"`
	UntilDate int64  `json:"until_date,omitempty"`
}

type tgMemberUpdated struct {
	Chat          tgChat   `json:"chat"`
	From          tgUser   `json:"from"`
	Date          int64    `json:"date"`
	OldChatMember tgMember `json:"old_chat_member"`
	NewChatMember tgMember `json:"new_chat_member"`
}

type tgUpdate struct {
	UpdateID      int              `json:"update_id"`
	Message       *tgMessage       `json:"message,omitempty"`
	CallbackQuery *tgCallback      `json:"callback_query,omitempty"`
	MyChatMember  *tgMemberUpdated `json:"my_chat_member,omitempty"`
}

func (c Chat) wire() tgChat {
	t := c.Type
	if t == "" {
		t = chatType(c.ID)
	}
	return tgChat{ID: c.ID, Type: t, Title: c.Title}
}

func (u User) wire() tgUser {
	return tgUser{ID: u.ID, FirstName: u.FirstName, Username: u.Username, LanguageCode: u.LanguageCode}
}

// chatType guesses a chat's type from its id, as Telegram numbers them.
func chatType(id int64) string {
	switch {
	case id > 0:
		return "private"
	case id <= -1000000000000:
		return "supergroup"
	}
	return "group"
}
