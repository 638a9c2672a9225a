package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/internal/logtest"
	"sentinelle/telegram/telegramtest"
)

func TestRedactHandler(t *testing.T) {
	const token = "987654321:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"
	buf := &logtest.Buffer{}
	log := slog.New(NewRedactHandler(slog.NewJSONHandler(buf, nil), token))
	urlErr := &url.Error{Op: "Post", URL: "https://api.telegram.org/bot" + token + "/sendMessage", Err: errors.New("EOF")}
	log.With("endpoint", "/bot"+token+"/x").WithGroup("http").Info("call "+token,
		"error", urlErr,
		"escaped", url.PathEscape(token),
		"query", url.QueryEscape(token),
		slog.Group("nested", "value", token, "stringer", fmt.Stringer(stringer(token))),
		"other_token", "bot111222333:ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
		"chat_count", 3)
	out := buf.String()
	for _, leak := range []string{token, "ABCdefGHI", "ZZZZZZZZZZZZZZZZZZZZ", "987654321%3A"} {
		if strings.Contains(out, leak) {
			t.Fatalf("log leaks %q:\n%s", leak, out)
		}
	}
	for _, kept := range []string{`"chat_count":3`, "bot<redacted>/sendMessage", `"msg":"call <redacted>"`} {
		if !strings.Contains(out, kept) {
			t.Fatalf("log lost %q:\n%s", kept, out)
		}
	}
}

type stringer string

func (s stringer) String() string { return "token is " + string(s) }

func TestClientDoesNotPrintItsToken(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newTestClient(t, srv)
	buf := &logtest.Buffer{}
	slog.New(slog.NewTextHandler(buf, nil)).Info("client", "client", c)
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(*c), buf.String()} {
		if strings.Contains(s, srv.Token()) && !strings.Contains(s, "<redacted>") {
			t.Fatalf("printing the client leaks the token: %s", s)
		}
	}
	if got := c.String(); got != "telegram.Client(@sentinelle_test_bot)" {
		t.Fatalf("String() = %q", got)
	}
}

// TestTokenAppearsNowhere runs the client through hangs, dropped and refused
// connections, server errors and the library's own logging, captures every
// log line (ours and go-telegram-bot-api's) and every error text, and greps
// them for the token.
func TestTokenAppearsNowhere(t *testing.T) {
	srv := telegramtest.NewServer(t)
	token := srv.Token()
	logs := &logtest.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	previous := slog.Default()
	slog.SetDefault(logger) // where the library's logger forwards
	t.Cleanup(func() { slog.SetDefault(previous) })

	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	c, err := NewClient(context.Background(), ClientOptions{Token: token, APIURL: srv.URL(), Logger: logger,
		PollTimeout: time.Second, RequestTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = backoff{min: time.Millisecond, max: 5 * time.Millisecond}
	ctx := context.Background()

	srv.Hang(true) // requests time out
	_, err = c.SendMessage(ctx, 1, "x", nil)
	keep(err)
	srv.Hang(false)
	srv.DropNext(1) // connection reset
	_, err = c.SendPhoto(ctx, 1, []byte("png"), "x", nil)
	keep(err)
	srv.FailNext(1, 502)
	_, err = c.SendMessage(ctx, 1, "x", nil)
	keep(err)

	// The poll loop logs its failures: give it hangs and errors.
	srv.FailMethod("getUpdates", 3, 500)
	pollCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	keep(c.Poll(pollCtx, 0, func(context.Context, []tgbotapi.Update) error { return nil }))
	cancel()

	closed := telegramtest.NewServer(t)
	closed.Close() // connection refused, at construction and later
	_, err = NewClient(ctx, ClientOptions{Token: token, APIURL: closed.URL(), Logger: logger})
	keep(err)
	dead, _ := newTestClient(t, srv, func(o *ClientOptions) { o.Logger = logger })
	dead.api.SetAPIEndpoint(closed.URL() + "/bot%s/%s") // Telegram went away after start
	deadCtx, cancelDead := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelDead()
	keep(dead.Poll(deadCtx, 0, func(context.Context, []tgbotapi.Update) error { return nil }))

	libraryLogsAnError(t, closed.URL(), token, logs)

	if len(errs) < 5 {
		t.Fatalf("only %d errors collected; the scenario did not fail as planned: %v", len(errs), errs)
	}
	for _, err := range errs {
		for e := err; e != nil; e = errors.Unwrap(e) {
			for _, text := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
				if strings.Contains(text, token) {
					t.Fatalf("error text leaks the token: %s", text)
				}
			}
		}
	}
	out := logs.String()
	if !strings.Contains(out, "getUpdates failed") || !strings.Contains(out, "connection refused") ||
		!strings.Contains(out, "bot<redacted>/getUpdates") || !strings.Contains(out, "source=tgbotapi") {
		t.Fatalf("the scenario produced no poll or library log lines:\n%s", out)
	}
	if strings.Contains(out, token) || strings.Contains(out, url.QueryEscape(token)) {
		t.Fatalf("logs leak the token:\n%s", out)
	}
}

// libraryLogsAnError makes go-telegram-bot-api log a transport error the way
// its GetUpdatesChan does (issue #628: the *url.Error holds the token), with
// a plain http.Client, and waits for the line.
func libraryLogsAnError(t *testing.T, deadURL, token string, logs *logtest.Buffer) {
	t.Helper()
	srv := telegramtest.NewServer(t, telegramtest.WithToken(token))
	api, err := tgbotapi.NewBotAPIWithAPIEndpoint(token, srv.URL()+"/bot%s/%s")
	if err != nil {
		t.Fatal(err)
	}
	api.SetAPIEndpoint(deadURL + "/bot%s/%s")
	api.GetUpdatesChan(tgbotapi.UpdateConfig{})
	defer api.StopReceivingUpdates()
	eventually(t, "the library's log line", func() bool {
		return strings.Contains(logs.String(), "Failed to get updates")
	})
}
