package telegramtest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestChatFaults(t *testing.T) {
	s := NewServer(t, WithoutLimits())
	s.Block(1)
	s.Forget(2)
	s.Migrate(-3, -1003)
	s.ChatMemberUpdate(Chat{ID: -4, Type: "group", Title: "3e B"}, User{ID: 9}, "kicked")
	tests := []struct {
		chat      int64
		code      int
		desc      string
		migrateTo int64
	}{
		{1, 403, "Forbidden: bot was blocked by the user", 0},
		{2, 400, "Bad Request: chat not found", 0},
		{-3, 400, "Bad Request: group chat was upgraded to a supergroup chat", -1003},
		{-4, 403, "Forbidden: bot was kicked from the group chat", 0},
		{-1003, 200, "", 0},
	}
	for _, tt := range tests {
		e := send(t, s, tt.chat, "x")
		if e.status != tt.code || e.Description != tt.desc || e.Parameters.MigrateToChatID != tt.migrateTo {
			t.Errorf("send to %d = %d %q migrate %d; want %d %q migrate %d", tt.chat,
				e.status, e.Description, e.Parameters.MigrateToChatID, tt.code, tt.desc, tt.migrateTo)
		}
	}
	s.Unblock(1)
	s.ChatMemberUpdate(Chat{ID: -4, Type: "group"}, User{ID: 9}, "member")
	for _, chat := range []int64{1, -4} {
		if e := send(t, s, chat, "x"); !e.OK {
			t.Errorf("send to %d after unblocking: %s", chat, e.Description)
		}
	}
}

func TestFailNextAndFailMethod(t *testing.T) {
	s := NewServer(t, WithoutLimits())
	s.FailNext(2, http.StatusBadGateway)
	s.FailMethod("GETME", 1, http.StatusInternalServerError)
	if e := post(t, s, "answerCallbackQuery", url.Values{"callback_query_id": {s.PressButton(Chat{ID: 1}, User{ID: 1}, 1, "d")}}); !e.OK {
		t.Fatalf("non-send method hit by FailNext: %s", e.Description)
	}
	for i := range 2 {
		if e := send(t, s, 1, "x"); e.status != 502 || e.Description != "Bad Gateway" {
			t.Fatalf("send %d = %d %q, want 502 Bad Gateway", i, e.status, e.Description)
		}
	}
	if e := send(t, s, 1, "x"); !e.OK {
		t.Fatalf("third send = %s, want accepted", e.Description)
	}
	if e := post(t, s, "getMe", nil); e.status != 500 {
		t.Fatalf("getMe = %d, want 500", e.status)
	}
	s.FailNext(1, http.StatusTooManyRequests)
	if e := send(t, s, 1, "x"); e.status != 429 || e.Parameters.RetryAfter != 1 || s.Count429() != 1 {
		t.Fatalf("FailNext 429 = %d retry %d count %d", e.status, e.Parameters.RetryAfter, s.Count429())
	}
}

func TestDropNext(t *testing.T) {
	s := NewServer(t)
	s.DropNext(1)
	_, err := http.PostForm(s.URL()+"/bot"+s.Token()+"/sendMessage", url.Values{"chat_id": {"1"}, "text": {"x"}})
	if err == nil {
		t.Fatal("dropped request answered")
	}
	if e := send(t, s, 1, "x"); !e.OK {
		t.Fatalf("next send: %s", e.Description)
	}
	reqs := s.RequestsFor("sendmessage")
	if len(reqs) != 2 || reqs[0].Status != 0 || reqs[1].Status != 200 {
		t.Fatalf("records = %+v, want the dropped one with status 0", reqs)
	}
}

func TestHang(t *testing.T) {
	s := NewServer(t)
	s.Hang(true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/bot"+s.Token()+"/getMe", nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("hanging server answered")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("client gave up after %v", d)
	}
	released := make(chan envelope, 1)
	go func() { released <- post(t, s, "getMe", nil) }()
	time.Sleep(20 * time.Millisecond)
	s.Hang(false)
	if e := <-released; !e.OK {
		t.Fatalf("after Hang(false): %s", e.Description)
	}
}

func TestRouting(t *testing.T) {
	s := NewServer(t)
	base := s.URL() + "/bot" + s.Token()
	tests := []struct {
		name, method, url, ctype, body string
		code                           int
		desc                           string
	}{
		{"wrong token", "POST", s.URL() + "/bot1:nope/getMe", "", "", 401, "Unauthorized"},
		{"unknown method", "POST", base + "/sendPigeon", "", "", 404, "Not Found: method not found"},
		{"not a bot path", "GET", s.URL() + "/", "", "", 404, "Not Found"},
		{"case-insensitive GET", "GET", base + "/GETME", "", "", 200, ""},
		{"query string", "GET", base + "/sendMessage?chat_id=77&text=salut", "", "", 200, ""},
		{"JSON body", "POST", base + "/sendMessage", "application/json", `{"chat_id":78,"text":"salut","disable_notification":true}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e envelope
			_ = jsonDecode(resp, &e)
			if resp.StatusCode != tt.code || e.Description != tt.desc || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s %s = %d %q", tt.method, tt.url, resp.StatusCode, e.Description)
			}
		})
	}
	if m := s.SentTo(78); len(m) != 1 || !m[0].DisableNotification {
		t.Fatalf("JSON send recorded as %+v", m)
	}
}

func TestEditsAndCallbacks(t *testing.T) {
	s := NewServer(t, WithoutLimits())
	var m struct {
		MessageID int64 `json:"message_id"`
	}
	e := send(t, s, 8, "<b>Menu</b>")
	if err := jsonUnmarshal(e.Result, &m); err != nil || m.MessageID == 0 {
		t.Fatalf("send result %s: %v", e.Result, err)
	}
	id := itoa(m.MessageID)
	edit := func(text, markup string) envelope {
		return post(t, s, "editMessageText", url.Values{"chat_id": {"8"}, "message_id": {id}, "text": {text},
			"parse_mode": {"HTML"}, "reply_markup": {markup}})
	}
	if e := edit("<b>Menu</b>", ""); e.status != 400 || !strings.HasPrefix(e.Description, "Bad Request: message is not modified") {
		t.Fatalf("identical edit = %d %q", e.status, e.Description)
	}
	kb := `{"inline_keyboard":[[{"text":"Lyon","callback_data":"sub:lyon"}]]}`
	if e := edit("<b>Choisissez</b>", kb); !e.OK {
		t.Fatalf("edit: %s", e.Description)
	}
	if cur, ok := s.Current(8, m.MessageID); !ok || cur.Visible != "Choisissez" || cur.ReplyMarkup != kb {
		t.Fatalf("Current = %+v", cur)
	}
	if sent := s.SentTo(8); sent[0].Text != "<b>Menu</b>" {
		t.Fatalf("Sent changed by the edit: %q", sent[0].Text)
	}
	if e := post(t, s, "editMessageReplyMarkup", url.Values{"chat_id": {"8"}, "message_id": {id}, "reply_markup": {kb}}); e.status != 400 {
		t.Fatalf("identical markup edit = %d", e.status)
	}
	if e := post(t, s, "editMessageText", url.Values{"chat_id": {"8"}, "message_id": {"999"}, "text": {"x"}}); e.Description != "Bad Request: message to edit not found" {
		t.Fatalf("edit unknown = %q", e.Description)
	}
	cb := s.PressButton(Chat{ID: 8}, User{ID: 8}, m.MessageID, "sub:lyon")
	answer := func(id string) envelope {
		return post(t, s, "answerCallbackQuery", url.Values{"callback_query_id": {id}})
	}
	if e := answer(cb); !e.OK {
		t.Fatalf("answer: %s", e.Description)
	}
	for _, id := range []string{cb, "unknown"} {
		if e := answer(id); e.status != 400 || !strings.Contains(e.Description, "query is too old") {
			t.Fatalf("answer %s again = %d %q", id, e.status, e.Description)
		}
	}
}

func TestSetMyCommandsValidates(t *testing.T) {
	s := NewServer(t)
	for _, cmd := range []string{"désabonner", "Start", "", strings.Repeat("a", 33)} {
		e := post(t, s, "setMyCommands", url.Values{"commands": {`[{"command":"` + cmd + `","description":"x"}]`}})
		if e.status != 400 {
			t.Errorf("command %q accepted", cmd)
		}
	}
	e := post(t, s, "setMyCommands", url.Values{"commands": {`[{"command":"statut","description":"État des ENT"}]`},
		"scope": {`{"type":"chat","chat_id":-100}`}})
	if !e.OK || len(s.Commands("chat:-100", "")) != 1 {
		t.Fatalf("scoped commands: %s %+v", e.Description, s.Commands("chat:-100", ""))
	}
}
