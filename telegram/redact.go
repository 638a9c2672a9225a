package telegram

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// redacted replaces the token wherever it would have been printed.
const redacted = "<redacted>"

// tokenPattern matches anything shaped like a bot token (the bot id, a colon,
// then at least 20 URL-safe characters; real ones have 35). It is the safety
// net for strings whose token we do not know, such as the library's log
// lines. A compiled regexp is immutable: this is not mutable package state.
var tokenPattern = regexp.MustCompile(`\d{3,}(:|%3A|%3a)[A-Za-z0-9_-]{20,}`)

// redactor removes one token, in every spelling a URL may give it, plus
// anything that looks like a token. It is always used through a pointer, so
// that printing a struct holding one (fmt prints nested pointers as
// addresses) cannot reveal the secrets.
type redactor struct{ secrets []string }

func newRedactor(secrets ...string) *redactor {
	r := &redactor{}
	seen := map[string]bool{}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, v := range []string{s, url.PathEscape(s), url.QueryEscape(s)} {
			if !seen[v] {
				seen[v] = true
				r.secrets = append(r.secrets, v)
			}
		}
	}
	return r
}

// String returns s without the token.
func (r *redactor) String(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return redactPattern(s)
}

// redactPattern removes token-shaped substrings.
func redactPattern(s string) string {
	if !strings.Contains(s, ":") && !strings.Contains(s, "%3") {
		return s
	}
	return tokenPattern.ReplaceAllString(s, redacted)
}

// redactedError keeps an error's chain when its text is clean and replaces
// it by its redacted text otherwise, so that no Unwrap can reach the token.
func (r *redactor) error(err error) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		return &url.Error{Op: ue.Op, URL: r.String(ue.URL), Err: r.error(ue.Err)}
	}
	msg := err.Error()
	if clean := r.String(msg); clean != msg {
		return cleanError(clean)
	}
	return err
}

// cleanError is an error whose text has been redacted; it deliberately
// wraps nothing.
type cleanError string

func (e cleanError) Error() string { return string(e) }

// NewRedactHandler wraps a slog handler so that no record it passes on
// contains one of the secrets (nor anything shaped like a bot token): the
// message, string attributes, errors and other values printed as text are
// all rewritten. The Client wraps its own logger with it; cmd may wrap the
// whole program's logger with it too, since a token can hide in any error
// that mentions a Bot API URL.
func NewRedactHandler(inner slog.Handler, secrets ...string) slog.Handler {
	return &redactHandler{inner: inner, red: newRedactor(secrets...)}
}

type redactHandler struct {
	inner slog.Handler
	red   *redactor
}

func (h *redactHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.red.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &redactHandler{inner: h.inner.WithAttrs(clean), red: h.red}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{inner: h.inner.WithGroup(name), red: h.red}
}

// attr redacts one attribute, recursing into groups. Values that print as
// text (errors, Stringers, structs) are replaced by their redacted text only
// when redaction changed something, so clean values keep their type.
func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.red.String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		var text string
		if err, ok := v.Any().(error); ok && err != nil {
			text = err.Error()
		} else {
			text = fmt.Sprint(v.Any())
		}
		if clean := h.red.String(text); clean != text {
			return slog.String(a.Key, clean)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// libraryLogger receives go-telegram-bot-api's own log lines. The library
// logs through one package-level variable (tgbotapi.SetLogger), so it cannot
// know which client, or which token, a line belongs to. We install this
// logger exactly once, in init, and it holds no state: it masks anything
// shaped like a token and forwards the line to slog.Default() at warn level.
// Our code never turns on the library's Debug mode nor uses GetUpdatesChan,
// the two paths that log, so in practice it stays silent; it exists because
// the library printed tokens before (go-telegram-bot-api issue #628).
type libraryLogger struct{}

func (libraryLogger) Println(v ...any) {
	libraryLine(strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

func (libraryLogger) Printf(format string, v ...any) {
	libraryLine(strings.TrimSuffix(fmt.Sprintf(format, v...), "\n"))
}

func libraryLine(line string) {
	slog.Default().Warn(redactPattern(line), "source", "tgbotapi")
}

func init() {
	// The only way to reach the library's global logger; see libraryLogger.
	_ = tgbotapi.SetLogger(libraryLogger{})
}
