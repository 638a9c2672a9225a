package telegram

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Classes of failure. The dispatcher decides what to do from the class alone
// (retry, pause everything, deactivate a chat, rewrite a chat id), so every
// error the Client returns carries exactly one of them.
const (
	// ClassRateLimited is a 429: pause all sending for RetryDelay, then retry.
	ClassRateLimited = "rate_limited"
	// ClassBlocked is a 403: the user blocked the bot, or the bot was removed
	// from the group or channel. Stop sending to that chat.
	ClassBlocked = "blocked"
	// ClassChatNotFound is a 400 "chat not found": the chat no longer exists
	// for this bot. Stop sending to it.
	ClassChatNotFound = "chat_not_found"
	// ClassMigrated is a 400 telling that a group became a supergroup; the
	// new id is NewChatID. Rewrite the chat and send again.
	ClassMigrated = "migrated"
	// ClassParseError is a 400 about the text itself (can't parse entities,
	// message too long, text empty): our rendering bug, retrying won't help.
	ClassParseError = "parse_error"
	// ClassBadRequest is any other refusal of the request (400, 404…).
	ClassBadRequest = "bad_request"
	// ClassServer is a 5xx or an unreadable answer: Telegram or a proxy in
	// between failed; retry with backoff.
	ClassServer = "server"
	// ClassNetwork is a timeout, a refused or reset connection, or a
	// cancelled context: nothing usable came back. A send may still have been
	// delivered (the Bot API has no idempotency key).
	ClassNetwork = "network"
	// ClassUnauthorized is a 401: the token is wrong or was revoked.
	ClassUnauthorized = "unauthorized"
	// ClassConflict is a 409: another process polls with the same token, or
	// a webhook is set.
	ClassConflict = "conflict"
)

// Error is the one error type the Client returns. It keeps what Telegram
// said (code, description, parameters) and what we concluded (Class,
// Permanent). No field and no text ever contains the bot token: the network
// cause in Err is redacted before it is stored.
type Error struct {
	// Method is the Bot API method that failed, e.g. "sendMessage".
	Method string
	// Code is Telegram's error_code (equal to the HTTP status), 0 when no
	// answer came back.
	Code int
	// Description is Telegram's description, e.g. "Forbidden: bot was
	// blocked by the user".
	Description string
	// RetryAfter is how long Telegram asked us to wait (rate_limited only).
	RetryAfter time.Duration
	// MigrateToChatID is the supergroup that replaced the chat (migrated only).
	MigrateToChatID int64
	// Permanent means sending the same request again cannot succeed.
	Permanent bool
	// Class is one of the Class constants.
	Class string
	// Err is the cause: the library's *tgbotapi.Error or a redacted network
	// error (errors.Is(err, context.Canceled) still works through it).
	Err error
}

// Error never contains the token: every part was redacted when the Error
// was built, and a last pattern pass catches anything token-shaped.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("telegram: ")
	b.WriteString(e.Method)
	b.WriteString(": ")
	switch {
	case e.Code != 0:
		fmt.Fprintf(&b, "%d %s", e.Code, e.Description)
	case e.Err != nil:
		fmt.Fprintf(&b, "%s: %v", e.Class, e.Err)
	default:
		fmt.Fprintf(&b, "%s: %s", e.Class, e.Description)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return redactPattern(b.String())
}

// Unwrap gives errors.Is/As access to the (redacted) cause.
func (e *Error) Unwrap() error { return e.Err }

// AsError returns the *Error inside err, or, for any other error, an Error
// of ClassNetwork wrapping it: nothing usable came back, so the failure is
// transient. The Client returns only *Error; the poll loop and the
// dispatcher read every failure through AsError, so that this rule is
// written once.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Class: ClassNetwork, Err: err}
}

// RetryDelay is how long to pause all sending; > 0 only for rate_limited.
func (e *Error) RetryDelay() time.Duration {
	if e.Class != ClassRateLimited {
		return 0
	}
	return e.RetryAfter
}

// NewChatID is the id that replaced the chat; != 0 only for migrated.
func (e *Error) NewChatID() int64 {
	if e.Class != ClassMigrated {
		return 0
	}
	return e.MigrateToChatID
}

// NotModified reports Telegram's answer to an edit that changes nothing,
// which command handlers usually treat as success.
func (e *Error) NotModified() bool {
	return e.Code == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Description), "message is not modified")
}

// exchange is what one HTTP exchange left behind, for classification.
type exchange struct {
	status     int    // HTTP status, 0 when no response arrived
	retryAfter string // Retry-After header
}

// classify turns whatever a library call returned into *Error. The library
// reports API refusals as *tgbotapi.Error (without Code for uploads, hence
// the HTTP status), transport failures as *url.Error (already redacted by
// the doer) and unreadable bodies as JSON errors.
func classify(method string, err error, ex exchange, red *redactor) *Error {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		code := te.Code
		if code == 0 {
			code = ex.status
		}
		clean := &tgbotapi.Error{Code: code, Message: red.String(te.Message), ResponseParameters: te.ResponseParameters}
		return apiError(method, code, clean.Message, te.ResponseParameters, ex.retryAfter, clean)
	}
	e := &Error{Method: method, Err: red.error(err)}
	var ue *url.Error
	switch {
	case ex.status == 0 && errors.As(err, &ue):
		e.Class = ClassNetwork
	case ex.status == http.StatusTooManyRequests:
		e.Class, e.Code = ClassRateLimited, ex.status
		e.RetryAfter = retryDelay(0, ex.retryAfter)
	case ex.status != 0:
		// An HTML error page from a proxy, or a body cut short.
		e.Class = ClassServer
	default:
		// The request could not even be built.
		e.Class, e.Permanent = ClassBadRequest, true
	}
	return e
}

// apiError classifies a refusal that came with Telegram's envelope.
func apiError(method string, code int, desc string, p tgbotapi.ResponseParameters, header string, cause error) *Error {
	e := &Error{Method: method, Code: code, Description: desc, Err: cause}
	lower := strings.ToLower(desc)
	switch {
	case code == http.StatusTooManyRequests:
		e.Class = ClassRateLimited
		e.RetryAfter = retryDelay(p.RetryAfter, header)
	case p.MigrateToChatID != 0:
		e.Class, e.MigrateToChatID, e.Permanent = ClassMigrated, p.MigrateToChatID, true
	case code == http.StatusUnauthorized:
		e.Class, e.Permanent = ClassUnauthorized, true
	case code == http.StatusForbidden:
		e.Class, e.Permanent = ClassBlocked, true
	case code == http.StatusConflict:
		e.Class = ClassConflict
	case code >= 500:
		e.Class = ClassServer
	case code == http.StatusBadRequest && (strings.Contains(lower, "chat not found") || strings.Contains(lower, "peer_id_invalid")):
		e.Class, e.Permanent = ClassChatNotFound, true
	case code == http.StatusBadRequest && isParseError(lower):
		e.Class, e.Permanent = ClassParseError, true
	default:
		e.Class, e.Permanent = ClassBadRequest, true
	}
	return e
}

// isParseError recognises Telegram's complaints about the text itself.
func isParseError(lower string) bool {
	for _, s := range []string{"can't parse entities", "message is too long", "message text is empty",
		"text must be non-empty", "caption is too long"} {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}

// retryDelay reads retry_after (seconds) from the body, or else the
// Retry-After header, and never returns less than a second: a 429 always
// means "wait".
func retryDelay(seconds int, header string) time.Duration {
	if seconds <= 0 {
		seconds, _ = strconv.Atoi(strings.TrimSpace(header))
	}
	return time.Duration(max(seconds, 1)) * time.Second
}
