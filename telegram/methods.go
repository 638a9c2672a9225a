package telegram

import (
	"context"
	"encoding/json"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// noPreview turns link previews off: a preview of an ENT login page tells a
// family nothing and costs them data (STYLE.md).
const noPreview = `{"is_disabled":true}`

// params builds the form fields of one call: defaults first, then the
// caller's extra fields, which override them (an empty value removes a
// default: "parse_mode": "" sends plain text), then the fixed fields, which
// nobody overrides. allow_paid_broadcast passes only when the operator
// enabled paid broadcasts.
func (c *Client) params(defaults, extra, fixed map[string]string) tgbotapi.Params {
	p := tgbotapi.Params{}
	for k, v := range defaults {
		p[k] = v
	}
	for k, v := range extra {
		if v == "" {
			delete(p, k)
			continue
		}
		p[k] = v
	}
	for k, v := range fixed {
		p[k] = v
	}
	if _, ok := p["allow_paid_broadcast"]; ok && !c.paid {
		delete(p, "allow_paid_broadcast")
		c.log.Warn("allow_paid_broadcast dropped: paid broadcasts are off (TELEGRAM_PAID_BROADCAST=false)")
	}
	return p
}

func id(v int64) string { return strconv.FormatInt(v, 10) }

// Call is MakeRequest with a context: any Bot API method, including fields
// and methods newer than the library (protect_content, message_thread_id,
// deleteMessage…). params are form fields; objects go JSON-encoded, as the
// Bot API expects. It returns the raw "result".
func (c *Client) Call(ctx context.Context, method string, params map[string]string) (json.RawMessage, error) {
	p := c.params(nil, params, nil)
	var result json.RawMessage
	err := c.withAPI(ctx, method, c.reqTimeout, func(api *tgbotapi.BotAPI) error {
		resp, err := api.MakeRequest(method, p)
		if err == nil {
			result = resp.Result
		}
		return err
	})
	return result, err
}

// SendMessage sends text, which is Telegram HTML: the client sends
// parse_mode=HTML and link_preview_options={"is_disabled":true} unless params
// overrides them. params carries extra Bot API fields as strings
// (disable_notification "true", reply_markup JSON, protect_content,
// allow_paid_broadcast "true", message_thread_id…). It returns Telegram's
// message id, which editMessageText needs later.
func (c *Client) SendMessage(ctx context.Context, chatID int64, text string, params map[string]string) (int64, error) {
	p := c.params(map[string]string{"parse_mode": tgbotapi.ModeHTML, "link_preview_options": noPreview},
		params, map[string]string{"chat_id": id(chatID), "text": text})
	return c.sendForMessage(ctx, "sendMessage", func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
		return api.MakeRequest("sendMessage", p)
	})
}

// SendToChannel posts to a public channel by its @name (an académie's
// channel in the catalog), with the same defaults as SendMessage. notify
// uses it for the one outage and recovery post per channel.
func (c *Client) SendToChannel(ctx context.Context, channel string, text string, params map[string]string) (int64, error) {
	p := c.params(map[string]string{"parse_mode": tgbotapi.ModeHTML, "link_preview_options": noPreview},
		params, map[string]string{"chat_id": channel, "text": text})
	return c.sendForMessage(ctx, "sendMessage", func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
		return api.MakeRequest("sendMessage", p)
	})
}

// SendPhoto uploads a PNG (the status chart) with an HTML caption, as a
// multipart POST; params works as for SendMessage.
func (c *Client) SendPhoto(ctx context.Context, chatID int64, png []byte, caption string, params map[string]string) (int64, error) {
	p := c.params(map[string]string{"parse_mode": tgbotapi.ModeHTML},
		params, map[string]string{"chat_id": id(chatID), "caption": caption})
	files := []tgbotapi.RequestFile{{Name: "photo", Data: tgbotapi.FileBytes{Name: "statut.png", Bytes: png}}}
	return c.sendForMessage(ctx, "sendPhoto", func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
		return api.UploadFiles("sendPhoto", p, files)
	})
}

// sendForMessage runs a call whose result is a Message and returns its id.
func (c *Client) sendForMessage(ctx context.Context, method string, call func(*tgbotapi.BotAPI) (*tgbotapi.APIResponse, error)) (int64, error) {
	var result json.RawMessage
	err := c.withAPI(ctx, method, c.reqTimeout, func(api *tgbotapi.BotAPI) error {
		resp, err := call(api)
		if err == nil {
			result = resp.Result
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	var m tgbotapi.Message
	if err := json.Unmarshal(result, &m); err != nil {
		return 0, undecodable(method, err)
	}
	return int64(m.MessageID), nil
}

// EditMessageText replaces the text of a message the bot sent (a menu after
// a button press). Same defaults as SendMessage. Editing to identical
// content fails with an *Error whose NotModified() is true.
func (c *Client) EditMessageText(ctx context.Context, chatID, messageID int64, text string, params map[string]string) error {
	p := c.params(map[string]string{"parse_mode": tgbotapi.ModeHTML, "link_preview_options": noPreview},
		params, map[string]string{"chat_id": id(chatID), "message_id": id(messageID), "text": text})
	return c.withAPI(ctx, "editMessageText", c.reqTimeout, func(api *tgbotapi.BotAPI) error {
		_, err := api.MakeRequest("editMessageText", p)
		return err
	})
}

// AnswerCallback acknowledges a button press so the user's spinner stops;
// text, if any, is shown as a short notice.
func (c *Client) AnswerCallback(ctx context.Context, callbackID, text string) error {
	p := tgbotapi.Params{"callback_query_id": callbackID}
	p.AddNonEmpty("text", text)
	return c.withAPI(ctx, "answerCallbackQuery", c.reqTimeout, func(api *tgbotapi.BotAPI) error {
		_, err := api.MakeRequest("answerCallbackQuery", p)
		return err
	})
}

// SetCommands publishes the command menu for every chat (default scope).
// languageCode "fr" targets French clients; "" is the fallback for others.
func (c *Client) SetCommands(ctx context.Context, commands []tgbotapi.BotCommand, languageCode string) error {
	return c.SetScopedCommands(ctx, nil, commands, languageCode)
}

// SetScopedCommands is SetCommands for one scope, e.g.
// tgbotapi.NewBotCommandScopeAllPrivateChats() or an admin's chat; nil is
// the default scope.
func (c *Client) SetScopedCommands(ctx context.Context, scope *tgbotapi.BotCommandScope, commands []tgbotapi.BotCommand, languageCode string) error {
	cfg := tgbotapi.SetMyCommandsConfig{Commands: commands, Scope: scope, LanguageCode: languageCode}
	return c.withAPI(ctx, "setMyCommands", c.reqTimeout, func(api *tgbotapi.BotAPI) error {
		_, err := api.Request(cfg) // Request, not Send: the result is true
		return err
	})
}

// ChatMemberStatus returns a user's status in a chat: "creator",
// "administrator", "member", "restricted", "left" or "kicked". Group
// commands check it before obeying an admin-only command.
func (c *Client) ChatMemberStatus(ctx context.Context, chatID, userID int64) (string, error) {
	raw, err := c.Call(ctx, "getChatMember", map[string]string{"chat_id": id(chatID), "user_id": id(userID)})
	if err != nil {
		return "", err
	}
	var m tgbotapi.ChatMember
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", undecodable("getChatMember", err)
	}
	return m.Status, nil
}

// deleteWebhook makes getUpdates usable: Telegram refuses to poll (409)
// while a webhook is set. Pending updates are kept.
func (c *Client) deleteWebhook(ctx context.Context) error {
	_, err := c.Call(ctx, "deleteWebhook", nil)
	return err
}
