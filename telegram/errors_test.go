package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/telegram/telegramtest"
)

// TestErrorClasses drives every failure the fake can produce through the
// Client and checks the *Error the dispatcher will act on.
func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*telegramtest.Server)
		call       func(context.Context, *Client) error
		class      string
		code       int
		retryAfter time.Duration
		migrateTo  int64
		permanent  bool
	}{
		{"flood limit", func(s *telegramtest.Server) {}, func(ctx context.Context, c *Client) error {
			_, _ = c.SendMessage(ctx, 1, "premier", nil)
			_, err := c.SendMessage(ctx, 1, "second dans la même seconde", nil)
			return err
		}, ClassRateLimited, 429, time.Second, 0, false},
		{"blocked", func(s *telegramtest.Server) { s.Block(1) }, sendTo(1, "x"), ClassBlocked, 403, 0, 0, true},
		{"blocked photo keeps its code", func(s *telegramtest.Server) { s.Block(1) }, func(ctx context.Context, c *Client) error {
			_, err := c.SendPhoto(ctx, 1, []byte("png"), "", nil)
			return err
		}, ClassBlocked, 403, 0, 0, true},
		{"kicked from group", func(s *telegramtest.Server) {
			s.ChatMemberUpdate(telegramtest.Chat{ID: -5, Type: "group"}, telegramtest.User{ID: 2}, "kicked")
		}, sendTo(-5, "x"), ClassBlocked, 403, 0, 0, true},
		{"chat not found", func(s *telegramtest.Server) { s.Forget(1) }, sendTo(1, "x"), ClassChatNotFound, 400, 0, 0, true},
		{"migrated", func(s *telegramtest.Server) { s.Migrate(-7, -1007) }, sendTo(-7, "x"), ClassMigrated, 400, 0, -1007, true},
		{"can't parse entities", nil, sendTo(1, "a < b"), ClassParseError, 400, 0, 0, true},
		{"text empty", nil, sendTo(1, ""), ClassParseError, 400, 0, 0, true},
		{"too long", nil, sendTo(1, strings.Repeat("x", 4097)), ClassParseError, 400, 0, 0, true},
		{"other bad request", nil, func(ctx context.Context, c *Client) error {
			return c.AnswerCallback(ctx, "inconnu", "")
		}, ClassBadRequest, 400, 0, 0, true},
		{"unknown method", nil, func(ctx context.Context, c *Client) error {
			_, err := c.Call(ctx, "sendPigeon", nil)
			return err
		}, ClassBadRequest, 404, 0, 0, true},
		{"server error", func(s *telegramtest.Server) { s.FailNext(1, 502) }, sendTo(1, "x"), ClassServer, 502, 0, 0, false},
		{"injected 429", func(s *telegramtest.Server) { s.FailNext(1, 429) }, sendTo(1, "x"), ClassRateLimited, 429, time.Second, 0, false},
		{"unauthorized", func(s *telegramtest.Server) { s.FailNext(1, 401) }, sendTo(1, "x"), ClassUnauthorized, 401, 0, 0, true},
		{"conflict", func(s *telegramtest.Server) { s.FailMethod("getUpdates", 1, 409) }, func(ctx context.Context, c *Client) error {
			_, err := c.getUpdates(ctx, 0)
			return err
		}, ClassConflict, 409, 0, 0, false},
		{"connection dropped", func(s *telegramtest.Server) { s.DropNext(1) }, sendTo(1, "x"), ClassNetwork, 0, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t)
			c, _ := newTestClient(t, srv)
			if tt.setup != nil {
				tt.setup(srv)
			}
			err := tt.call(context.Background(), c)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v (%T), want *Error", err, err)
			}
			if e.Class != tt.class || e.Code != tt.code || e.RetryAfter != tt.retryAfter ||
				e.MigrateToChatID != tt.migrateTo || e.Permanent != tt.permanent {
				t.Fatalf("got class %s code %d retry %v migrate %d permanent %v (%v);\nwant class %s code %d retry %v migrate %d permanent %v",
					e.Class, e.Code, e.RetryAfter, e.MigrateToChatID, e.Permanent, e,
					tt.class, tt.code, tt.retryAfter, tt.migrateTo, tt.permanent)
			}
			if a := AsError(err); a.Class != tt.class || a.RetryDelay() != tt.retryAfter || a.NewChatID() != tt.migrateTo {
				t.Fatalf("accessors = %s, %v, %d", a.Class, a.RetryDelay(), a.NewChatID())
			}
			if strings.Contains(e.Error(), srv.Token()) {
				t.Fatalf("Error() leaks the token: %s", e)
			}
		})
	}
}

func sendTo(chat int64, text string) func(context.Context, *Client) error {
	return func(ctx context.Context, c *Client) error {
		_, err := c.SendMessage(ctx, chat, text, nil)
		return err
	}
}

// TestProxyErrorPages: a proxy in front of Telegram answers HTML, which the
// library cannot decode; the HTTP status still classifies it.
func TestProxyErrorPages(t *testing.T) {
	const token = "123456789:TEST-token-for-telegramtest-000000"
	status := http.StatusOK
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/getMe") {
			_, _ = w.Write([]byte(`{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"b","username":"b"}}`))
			return
		}
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
	}))
	defer proxy.Close()
	c, err := NewClient(context.Background(), ClientOptions{Token: token, APIURL: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		status int
		class  string
		retry  time.Duration
	}{{502, ClassServer, 0}, {429, ClassRateLimited, 7 * time.Second}, {200, ClassServer, 0}} {
		status = tt.status
		_, err := c.SendMessage(context.Background(), 1, "x", nil)
		var e *Error
		if !errors.As(err, &e) || e.Class != tt.class || e.RetryAfter != tt.retry || e.Permanent {
			t.Errorf("HTML page with status %d: %v, want class %s retry %v", tt.status, err, tt.class, tt.retry)
		}
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Method: "sendMessage", Code: 403, Description: "Forbidden: bot was blocked by the user", Class: ClassBlocked},
			"telegram: sendMessage: 403 Forbidden: bot was blocked by the user"},
		{&Error{Method: "sendMessage", Code: 429, Description: "Too Many Requests: retry after 3", Class: ClassRateLimited, RetryAfter: 3 * time.Second},
			"telegram: sendMessage: 429 Too Many Requests: retry after 3 (retry after 3s)"},
		{&Error{Method: "getUpdates", Class: ClassNetwork, Err: errors.New(`Post "http://x/bot123456789:TEST-token-for-telegramtest-000000/getUpdates": EOF`)},
			`telegram: getUpdates: network: Post "http://x/bot<redacted>/getUpdates": EOF`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	var te *tgbotapi.Error
	api := apiError("sendMessage", 400, "Bad Request: chat not found", tgbotapi.ResponseParameters{}, "", &tgbotapi.Error{Code: 400})
	if !errors.As(api, &te) || te.Code != 400 {
		t.Fatalf("the library's error is not reachable through Unwrap")
	}
	if api.RetryDelay() != 0 || api.NewChatID() != 0 {
		t.Fatalf("RetryDelay/NewChatID must be zero outside their classes")
	}
}

// TestAsError: the dispatcher and the poll loop read every failure through
// AsError; a foreign error is a network failure, a wrapped *Error is found.
func TestAsError(t *testing.T) {
	blocked := &Error{Method: "sendMessage", Code: 403, Class: ClassBlocked, Permanent: true}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"the client's error", blocked, ClassBlocked},
		{"wrapped", fmt.Errorf("send: %w", blocked), ClassBlocked},
		{"foreign", errors.New("dial tcp 127.0.0.1:1: connection refused"), ClassNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AsError(tt.err)
			if got.Class != tt.want {
				t.Fatalf("AsError(%v).Class = %q, want %q", tt.err, got.Class, tt.want)
			}
			if !errors.Is(got, tt.err) && !errors.Is(tt.err, got) {
				t.Fatalf("AsError(%v) lost the error: %v", tt.err, got)
			}
		})
	}
}
