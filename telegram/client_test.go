package telegram

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/internal/logtest"
	"sentinelle/telegram/telegramtest"
)

// newTestClient connects a Client to the fake with short timeouts.
func newTestClient(t *testing.T, srv *telegramtest.Server, edit ...func(*ClientOptions)) (*Client, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	opts := ClientOptions{
		Token:          srv.Token(),
		APIURL:         srv.URL(),
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		PollTimeout:    time.Second,
		RequestTimeout: 5 * time.Second,
	}
	for _, e := range edit {
		e(&opts)
	}
	c, err := NewClient(context.Background(), opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	c.backoff = backoff{min: 5 * time.Millisecond, max: 40 * time.Millisecond}
	return c, logs
}

func TestNewClient(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.WithBotUsername("sentinelle_ent_bot"))
	c, _ := newTestClient(t, srv)
	if c.Username() != "sentinelle_ent_bot" || c.BotID() != srv.BotID() {
		t.Fatalf("Username, BotID = %q, %d; want sentinelle_ent_bot, %d", c.Username(), c.BotID(), srv.BotID())
	}
	if got := srv.RequestsFor("getMe"); len(got) != 1 {
		t.Fatalf("getMe called %d times, want 1", len(got))
	}
}

func TestNewClientErrors(t *testing.T) {
	srv := telegramtest.NewServer(t)
	closed := telegramtest.NewServer(t)
	closed.Close()
	tests := []struct {
		name      string
		opts      ClientOptions
		wantClass string
	}{
		{"wrong token", ClientOptions{Token: "42:WRONG-token-for-telegramtest-00000", APIURL: srv.URL()}, ClassUnauthorized},
		{"empty token", ClientOptions{APIURL: srv.URL()}, ClassUnauthorized},
		{"token with a slash", ClientOptions{Token: "1/2", APIURL: srv.URL()}, ClassUnauthorized},
		{"bad URL", ClientOptions{Token: srv.Token(), APIURL: "api.telegram.org"}, ClassBadRequest},
		{"unreachable", ClientOptions{Token: srv.Token(), APIURL: closed.URL()}, ClassNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClient(context.Background(), tt.opts)
			var e *Error
			if !errors.As(err, &e) || e.Class != tt.wantClass || e.Method != "getMe" {
				t.Fatalf("NewClient error = %v, want *Error of class %s", err, tt.wantClass)
			}
			if strings.Contains(err.Error(), srv.Token()) {
				t.Fatalf("error leaks the token: %v", err)
			}
		})
	}
}

func TestSendMessageFields(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.WithoutLimits())
	c, logs := newTestClient(t, srv)
	paid, _ := newTestClient(t, srv, func(o *ClientOptions) { o.PaidBroadcast = true })
	ctx := context.Background()
	markup := `{"inline_keyboard":[[{"text":"Se désabonner","callback_data":"unsub:lyon"}]]}`
	steps := []struct {
		name   string
		client *Client
		text   string
		params map[string]string
		check  func(m telegramtest.Message) bool
	}{
		{"defaults: HTML, no preview", c, "<b>ENT</b> indisponible", nil, func(m telegramtest.Message) bool {
			return m.ParseMode == "HTML" && m.LinkPreviewDisabled && m.Visible == "ENT indisponible" && !m.DisableNotification
		}},
		{"silent, keyboard, protected, topic", c, "Rétabli", map[string]string{"disable_notification": "true",
			"reply_markup": markup, "protect_content": "true", "message_thread_id": "12"}, func(m telegramtest.Message) bool {
			return m.DisableNotification && m.ReplyMarkup == markup && m.ProtectContent && m.MessageThreadID == 12
		}},
		{"plain text when parse_mode is emptied", c, "a < b", map[string]string{"parse_mode": ""}, func(m telegramtest.Message) bool {
			return m.ParseMode == "" && m.Visible == "a < b"
		}},
		{"paid broadcast refused when off", c, "x", map[string]string{"allow_paid_broadcast": "true"}, func(m telegramtest.Message) bool {
			return !m.AllowPaidBroadcast
		}},
		{"paid broadcast passes when on", paid, "x", map[string]string{"allow_paid_broadcast": "true"}, func(m telegramtest.Message) bool {
			return m.AllowPaidBroadcast
		}},
		{"paid client adds nothing by itself", paid, "x", nil, func(m telegramtest.Message) bool {
			return !m.AllowPaidBroadcast
		}},
		{"params cannot change the chat", c, "x", map[string]string{"chat_id": "666"}, func(m telegramtest.Message) bool {
			return m.ChatID == 77
		}},
	}
	for i, st := range steps {
		id, err := st.client.SendMessage(ctx, 77, st.text, st.params)
		if err != nil {
			t.Fatalf("%s: SendMessage: %v", st.name, err)
		}
		sent := srv.Sent()
		if len(sent) != i+1 {
			t.Fatalf("%s: %d sends recorded, want %d", st.name, len(sent), i+1)
		}
		if m := sent[i]; m.MessageID != id || !st.check(m) {
			t.Fatalf("%s: id %d, recorded %+v", st.name, id, m)
		}
	}
	if !strings.Contains(logs.String(), "allow_paid_broadcast dropped") {
		t.Fatalf("dropping allow_paid_broadcast was not logged:\n%s", logs)
	}
}

func TestSendPhoto(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newTestClient(t, srv)
	png := bytes.Repeat([]byte{0x89}, 2048)
	id, err := c.SendPhoto(context.Background(), 5, png, "<b>État</b> des ENT", map[string]string{"disable_notification": "true"})
	if err != nil {
		t.Fatalf("SendPhoto: %v", err)
	}
	m := srv.SentTo(5)
	if len(m) != 1 || m[0].MessageID != id || m[0].PhotoSize != 2048 || m[0].Visible != "État des ENT" ||
		m[0].ParseMode != "HTML" || !m[0].DisableNotification {
		t.Fatalf("recorded %+v", m)
	}
}

func TestEditAnswerCommandsMember(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.WithoutLimits())
	c, _ := newTestClient(t, srv)
	ctx := context.Background()
	id, err := c.SendMessage(ctx, 9, "Menu", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EditMessageText(ctx, 9, id, "<i>Menu</i> à jour", nil); err != nil {
		t.Fatalf("EditMessageText: %v", err)
	}
	if m, _ := srv.Current(9, id); m.Visible != "Menu à jour" {
		t.Fatalf("after edit: %q", m.Visible)
	}
	err = c.EditMessageText(ctx, 9, id, "<i>Menu</i> à jour", nil)
	var e *Error
	if !errors.As(err, &e) || !e.NotModified() || e.Class != ClassBadRequest {
		t.Fatalf("identical edit: %v, want NotModified", err)
	}
	cb := srv.PressButton(telegramtest.Chat{ID: 9}, telegramtest.User{ID: 9}, id, "sub:1")
	if err := c.AnswerCallback(ctx, cb, "C'est noté"); err != nil {
		t.Fatalf("AnswerCallback: %v", err)
	}
	if r := srv.RequestsFor("answerCallbackQuery"); len(r) != 1 || r[0].Params.Get("text") != "C'est noté" {
		t.Fatalf("answerCallbackQuery requests = %+v", r)
	}
	cmds := []tgbotapi.BotCommand{{Command: "statut", Description: "État des ENT de mon académie"}}
	if err := c.SetCommands(ctx, cmds, "fr"); err != nil {
		t.Fatalf("SetCommands: %v", err)
	}
	scope := tgbotapi.NewBotCommandScopeAllGroupChats()
	if err := c.SetScopedCommands(ctx, &scope, cmds, ""); err != nil {
		t.Fatalf("SetScopedCommands: %v", err)
	}
	if got := srv.Commands("default", "fr"); len(got) != 1 || got[0].Command != "statut" {
		t.Fatalf("default fr commands = %+v", got)
	}
	if got := srv.Commands("all_group_chats", ""); len(got) != 1 {
		t.Fatalf("group commands = %+v", got)
	}
	srv.SetChatMemberStatus(-100, 3, "administrator")
	for user, want := range map[int64]string{3: "administrator", 4: "member"} {
		if got, err := c.ChatMemberStatus(ctx, -100, user); err != nil || got != want {
			t.Fatalf("ChatMemberStatus(%d) = %q, %v; want %q", user, got, err, want)
		}
	}
	raw, err := c.Call(ctx, "getWebhookInfo", nil)
	if err != nil || !strings.Contains(string(raw), `"url":""`) {
		t.Fatalf("Call getWebhookInfo = %s, %v", raw, err)
	}
}

func TestCancelAbortsHangingRequest(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newTestClient(t, srv, func(o *ClientOptions) { o.RequestTimeout = time.Minute })
	srv.Hang(true)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.SendMessage(ctx, 1, "x", nil)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %v to abort the request", d)
	}
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassNetwork || e.Permanent || !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want a non-permanent network *Error wrapping context.Canceled", err)
	}
}

func TestRequestTimeoutAbortsHangingRequest(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newTestClient(t, srv, func(o *ClientOptions) { o.RequestTimeout = 100 * time.Millisecond })
	srv.Hang(true)
	err := c.AnswerCallback(context.Background(), "cbq-1", "")
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassNetwork || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a network *Error wrapping DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "bot<redacted>/answerCallbackQuery") {
		t.Fatalf("error text %q should show the redacted URL", err)
	}
}

func TestDefaultHTTPClientOutlastsLongPoll(t *testing.T) {
	hc := defaultHTTPClient(MaxPollTimeout)
	tr := hc.Transport.(*http.Transport)
	if hc.Timeout <= MaxPollTimeout || tr.ResponseHeaderTimeout <= MaxPollTimeout || tr.TLSHandshakeTimeout == 0 {
		t.Fatalf("timeouts: overall %v, header %v, TLS %v; want > %v and set", hc.Timeout,
			tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, MaxPollTimeout)
	}
	for in, want := range map[time.Duration]time.Duration{0: MaxPollTimeout, time.Hour: MaxPollTimeout,
		10 * time.Millisecond: time.Second, 2500 * time.Millisecond: 2 * time.Second} {
		if got := pollTimeout(in); got != want {
			t.Errorf("pollTimeout(%v) = %v, want %v", in, got, want)
		}
	}
}
