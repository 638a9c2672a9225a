package telegramtest

import (
	"errors"
	"net/http"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// newLibraryBot is the unchanged library pointed at the fake.
func newLibraryBot(t *testing.T, s *Server) *tgbotapi.BotAPI {
	t.Helper()
	bot, err := tgbotapi.NewBotAPIWithClient(s.Token(), s.URL()+"/bot%s/%s", &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("NewBotAPIWithClient: %v", err)
	}
	return bot
}

func TestLibraryConstructsAndSends(t *testing.T) {
	s := NewServer(t, WithBotUsername("ent_test_bot"), WithoutLimits())
	bot := newLibraryBot(t, s)
	if bot.Self.UserName != "ent_test_bot" || bot.Self.ID != 123456789 || !bot.Self.IsBot {
		t.Fatalf("getMe = %+v, want the fake bot", bot.Self)
	}
	msg := tgbotapi.NewMessage(42, "<b>ENT</b> indisponible &amp; lent")
	msg.ParseMode = tgbotapi.ModeHTML
	msg.DisableNotification = true
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Se désabonner", "unsub:12")))
	got, err := bot.Send(msg)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got.MessageID == 0 || got.Chat.ID != 42 || got.Text != "ENT indisponible & lent" {
		t.Fatalf("result = id %d chat %v text %q", got.MessageID, got.Chat, got.Text)
	}
	sent := s.SentTo(42)
	if len(sent) != 1 {
		t.Fatalf("SentTo(42) = %d messages, want 1", len(sent))
	}
	m := sent[0]
	if m.Text != msg.Text || m.ParseMode != "HTML" || !m.DisableNotification || m.ReplyMarkup == "" ||
		int64(got.MessageID) != m.MessageID {
		t.Fatalf("recorded %+v", m)
	}

	photo := tgbotapi.NewPhoto(42, tgbotapi.FileBytes{Name: "statut.png", Bytes: make([]byte, 1234)})
	photo.Caption = "État des ENT"
	p, err := bot.Send(photo)
	if err != nil {
		t.Fatalf("Send photo: %v", err)
	}
	if p.Caption != "État des ENT" || len(p.Photo) == 0 {
		t.Fatalf("photo result = %+v", p)
	}
	if sp := s.SentTo(42); len(sp) != 2 || sp[1].PhotoSize != 1234 || sp[1].Method != "sendPhoto" {
		t.Fatalf("photo record = %+v", sp)
	}
}

func TestLibraryUpdatesCallbacksCommands(t *testing.T) {
	s := NewServer(t)
	bot := newLibraryBot(t, s)
	chat := Chat{ID: 7, Type: "private"}
	ana := User{ID: 7, FirstName: "Ana", LanguageCode: "fr"}
	first := s.SendText(chat, ana, "/start acad_lyon")
	s.PressButton(chat, ana, 99, "sub:12")
	s.ChatMemberUpdate(chat, ana, "kicked")

	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: 0, Timeout: 1})
	if err != nil || len(ups) != 3 {
		t.Fatalf("GetUpdates = %d updates, %v; want 3", len(ups), err)
	}
	if ups[0].UpdateID != first || !ups[0].Message.IsCommand() || ups[0].Message.Command() != "start" ||
		ups[0].Message.CommandArguments() != "acad_lyon" {
		t.Fatalf("command update = %+v", ups[0].Message)
	}
	cb := ups[1].CallbackQuery
	if cb == nil || cb.Data != "sub:12" || cb.From.ID != 7 || cb.Message.MessageID != 99 {
		t.Fatalf("callback update = %+v", cb)
	}
	if m := ups[2].MyChatMember; m == nil || m.NewChatMember.Status != "kicked" || m.OldChatMember.Status != "member" {
		t.Fatalf("my_chat_member update = %+v", ups[2].MyChatMember)
	}
	if _, err := bot.Request(tgbotapi.NewCallback(cb.ID, "C'est noté")); err != nil {
		t.Fatalf("answerCallbackQuery: %v", err)
	}
	_, err = bot.Send(tgbotapi.NewMessage(7, "après blocage"))
	var te *tgbotapi.Error
	if !errors.As(err, &te) || te.Code != http.StatusForbidden {
		t.Fatalf("send after kicked: %v, want 403", err)
	}

	cmds := tgbotapi.NewSetMyCommandsWithScopeAndLanguage(tgbotapi.NewBotCommandScopeAllPrivateChats(), "fr",
		tgbotapi.BotCommand{Command: "abonner", Description: "S'abonner à une académie"})
	if _, err := bot.Request(cmds); err != nil {
		t.Fatalf("setMyCommands: %v", err)
	}
	if got := s.Commands("all_private_chats", "fr"); len(got) != 1 || got[0].Command != "abonner" {
		t.Fatalf("Commands = %+v", got)
	}
	got, err := bot.GetMyCommandsWithConfig(tgbotapi.NewGetMyCommandsWithScopeAndLanguage(
		tgbotapi.NewBotCommandScopeAllPrivateChats(), "fr"))
	if err != nil || len(got) != 1 {
		t.Fatalf("getMyCommands = %+v, %v", got, err)
	}
	s.SetChatMemberStatus(-100, 7, "creator")
	member, err := bot.GetChatMember(tgbotapi.GetChatMemberConfig{ChatConfigWithUser: tgbotapi.ChatConfigWithUser{ChatID: -100, UserID: 7}})
	if err != nil || member.Status != "creator" {
		t.Fatalf("getChatMember = %+v, %v", member, err)
	}
}
