package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// envelope is Telegram's answer as a test reads it.
type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
	status     int
	retryAfter string
}

// post calls method with form fields, as go-telegram-bot-api does.
func post(t *testing.T, s *Server, method string, fields url.Values) envelope {
	t.Helper()
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/"+method, "application/x-www-form-urlencoded",
		strings.NewReader(fields.Encode()))
	if err != nil {
		t.Fatalf("POST %s: %v", method, err)
	}
	defer resp.Body.Close()
	var e envelope
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("%s: decode answer: %v", method, err)
	}
	e.status, e.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
	if e.OK != (e.status == http.StatusOK) || (!e.OK && e.ErrorCode != e.status) {
		t.Fatalf("%s: envelope ok=%v error_code=%d with HTTP status %d", method, e.OK, e.ErrorCode, e.status)
	}
	return e
}

func send(t *testing.T, s *Server, chatID int64, text string) envelope {
	t.Helper()
	return post(t, s, "sendMessage", url.Values{"chat_id": {itoa(chatID)}, "text": {text}, "parse_mode": {"HTML"}})
}

func fixedClock() *Clock { return NewClock(time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC)) }

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

func jsonUnmarshal(raw json.RawMessage, v any) error { return json.Unmarshal(raw, v) }
