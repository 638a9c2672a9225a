// Package telegramtest is a fake Telegram Bot API for tests, in the manner
// of net/http/httptest: a real HTTP server on 127.0.0.1 that
// go-telegram-bot-api talks to unchanged (form-encoded and multipart POSTs,
// Telegram's JSON envelopes, HTTP status = error_code).
//
// A test plays the users (SendText, PressButton, ChatMemberUpdate), reads
// what the bot sent (Sent, SentTo, WaitSent, Requests), and breaks things on
// purpose: blocked users, forgotten chats, migrated groups, 5xx, dropped
// connections, hanging requests. The server enforces Telegram's flood limits
// (30 messages/s overall, 1/s per chat, 20/min per group) with 429 and
// retry_after, against a clock the test may control, and validates Telegram
// HTML the way the real server refuses it.
package telegramtest

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultToken is the token the fake accepts unless told otherwise. Its bot
// id (before the colon) is BotID's default.
const DefaultToken = "123456789:TEST-token-for-telegramtest-000000"

// Server is a running fake Bot API. All methods are safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	token    string
	botID    int64
	botName  string
	now      func() time.Time
	limits   Limits
	pollWait time.Duration
	latency  [2]time.Duration // the most a request waits on its way in, and its answer on its way out
	closing  chan struct{}
	close    sync.Once

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced when updates or sends change
	nextUpd  int
	nextMsg  int64
	nextCbq  int
	updates  []queued
	poller   chan struct{} // the getUpdates currently waiting; closed to terminate it
	requests []Request
	sent     []Message
	messages map[msgKey]*Message
	chats    map[int64]Chat
	blocked  map[int64]string // chat → 403 description
	forgot   map[int64]bool
	migrated map[int64]int64
	members  map[[2]int64]string
	cbqs     map[string]bool // callback id → answered
	commands map[string][]Command
	faults   []fault
	hang     chan struct{} // non-nil while hanging; closed by Hang(false)
	flood    flood
	n429     int
}

// Option configures NewServer.
type Option func(*Server)

// WithLimits replaces Telegram's flood limits; a zero field disables that
// bucket.
func WithLimits(l Limits) Option { return func(s *Server) { s.limits = l } }

// WithoutLimits turns flood control off, for tests about something else that
// send fast to one chat.
func WithoutLimits() Option { return func(s *Server) { s.limits = Limits{} } }

// WithClock sets the clock used for flood limits, message dates and request
// times (see Clock). Long-poll waits use real time.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithBotUsername sets the bot's @username (without @) answered by getMe.
func WithBotUsername(name string) Option { return func(s *Server) { s.botName = name } }

// WithToken makes the server accept another token; the bot id is the part
// before the colon.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithPollWait caps how long a getUpdates waits for an update, whatever
// timeout the client asked for, so that a client configured for Telegram's
// 50 s long poll still loops quickly in a test.
func WithPollWait(d time.Duration) Option { return func(s *Server) { s.pollWait = d } }

// WithLatency delays every request by a random time in [0, in) before
// the server reads its clock and handles it, and its answer by a random
// time in [0, out) before it goes out, as a network would: a request
// handed over first may then arrive after one handed over later, and a
// client learns of a send's fate some time after Telegram counted it.
// The delays are real time, whatever WithClock says.
func WithLatency(in, out time.Duration) Option {
	return func(s *Server) { s.latency = [2]time.Duration{in, out} }
}

// NewServer starts a fake Bot API on 127.0.0.1 and closes it when the test
// ends. Point the client at URL() with Token().
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		token:    DefaultToken,
		botName:  "sentinelle_test_bot",
		now:      time.Now,
		limits:   TelegramLimits(),
		closing:  make(chan struct{}),
		changed:  make(chan struct{}),
		nextUpd:  100000,
		messages: map[msgKey]*Message{},
		chats:    map[int64]Chat{},
		blocked:  map[int64]string{},
		forgot:   map[int64]bool{},
		migrated: map[int64]int64{},
		members:  map[[2]int64]string{},
		cbqs:     map[string]bool{},
		commands: map[string][]Command{},
	}
	for _, o := range opts {
		o(s)
	}
	s.botID, _ = strconv.ParseInt(strings.SplitN(s.token, ":", 2)[0], 10, 64)
	s.flood = newFlood(s.limits)
	s.srv = httptest.NewServer(s)
	tb.Cleanup(s.Close)
	return s
}

// URL is the base to put in TELEGRAM_API_URL (ClientOptions.APIURL); the
// library's endpoint format is URL()+"/bot%s/%s".
func (s *Server) URL() string { return s.srv.URL }

// Token is the token the server accepts.
func (s *Server) Token() string { return s.token }

// BotID is the bot's user id (the token's prefix), as getMe answers.
func (s *Server) BotID() int64 { return s.botID }

// BotUsername is the bot's @username without @, as getMe answers.
func (s *Server) BotUsername() string { return s.botName }

// Close stops the server: waiting requests are released first, so Close
// never waits for a long poll. Calls after the first do nothing. Tests of
// "Telegram unreachable" may call it early; NewServer registers it with
// t.Cleanup anyway.
func (s *Server) Close() {
	s.close.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// notifyLocked wakes everyone waiting for an update or a send. s.mu held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// reply is what a method handler answers; ServeHTTP writes it.
type reply struct {
	status     int // HTTP status = error_code; 0 means "write nothing"
	result     any
	desc       string
	retryAfter int
	migrateTo  int64
	drop       bool // hijack the connection and close it without a word
}

func result(v any) reply { return reply{status: http.StatusOK, result: v} }

func fail(code int, desc string) reply { return reply{status: code, desc: desc} }

func badRequest(detail string) reply { return fail(http.StatusBadRequest, "Bad Request: "+detail) }

// call is one request as a method handler sees it.
type call struct {
	r      *http.Request
	method string
	params url.Values
	files  map[string]int64 // multipart field → size
	at     time.Time
}

// ServeHTTP routes /bot<token>/<method> (method case-insensitive, POST or
// GET) and records the request once answered.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.delay(r, s.latency[0]) {
		return
	}
	c := call{r: r, at: s.now()}
	rep := s.serve(&c)
	status := rep.status
	if rep.drop {
		status = 0
	}
	// Recorded before the answer goes out, so a client that got its answer
	// finds its request in Requests().
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: c.method, Params: c.params, At: c.at, Status: status})
	s.mu.Unlock()
	if s.delay(r, s.latency[1]) {
		s.write(w, rep)
	}
}

// delay waits a random time in [0, most) (see WithLatency); false when the
// client gave up or the server is closing meanwhile.
func (s *Server) delay(r *http.Request, most time.Duration) bool {
	if most <= 0 {
		return true
	}
	t := time.NewTimer(rand.N(most))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}

func (s *Server) serve(c *call) reply {
	rest, found := strings.CutPrefix(c.r.URL.Path, "/bot")
	token, method, slash := strings.Cut(rest, "/")
	if !found || !slash {
		return fail(http.StatusNotFound, "Not Found")
	}
	c.method = method
	if token != s.token {
		return fail(http.StatusUnauthorized, "Unauthorized")
	}
	name, h := s.handler(strings.ToLower(method))
	if h == nil {
		return fail(http.StatusNotFound, "Not Found: method not found")
	}
	c.method = name
	var err error
	if c.params, c.files, err = parseParams(c.r); err != nil {
		return badRequest(err.Error())
	}
	if !s.waitHang(c.r) {
		return reply{} // the client gave up, or the server is closing
	}
	if rep, hit := s.fault(name); hit {
		return rep
	}
	return h(c)
}

// write sends Telegram's envelope: {"ok":true,"result":…} or
// {"ok":false,"error_code":C,"description":…,"parameters":{…}} with the HTTP
// status equal to error_code and Retry-After on 429.
func (s *Server) write(w http.ResponseWriter, rep reply) {
	switch {
	case rep.drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		return
	case rep.status == 0:
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if rep.status == http.StatusOK {
		body, err := json.Marshal(rep.result)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"ok":true,"result":`))
		_, _ = w.Write(body)
		_, _ = w.Write([]byte("}"))
		return
	}
	env := errorEnvelope{ErrorCode: rep.status, Description: rep.desc}
	if rep.retryAfter > 0 || rep.migrateTo != 0 {
		env.Parameters = &parameters{RetryAfter: rep.retryAfter, MigrateToChatID: rep.migrateTo}
	}
	if rep.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(rep.retryAfter))
	}
	w.WriteHeader(rep.status)
	_ = json.NewEncoder(w).Encode(env)
}

type errorEnvelope struct {
	OK          bool        `json:"ok"`
	ErrorCode   int         `json:"error_code"`
	Description string      `json:"description"`
	Parameters  *parameters `json:"parameters,omitempty"`
}

type parameters struct {
	RetryAfter      int   `json:"retry_after,omitempty"`
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
}

// handler maps a lower-cased method name to its canonical name and handler.
func (s *Server) handler(lower string) (string, func(*call) reply) {
	switch lower {
	case "getme":
		return "getMe", s.getMe
	case "getupdates":
		return "getUpdates", s.getUpdates
	case "sendmessage":
		return "sendMessage", s.sendMessage
	case "sendphoto":
		return "sendPhoto", s.sendPhoto
	case "editmessagetext":
		return "editMessageText", s.editMessageText
	case "editmessagereplymarkup":
		return "editMessageReplyMarkup", s.editMessageReplyMarkup
	case "answercallbackquery":
		return "answerCallbackQuery", s.answerCallbackQuery
	case "setmycommands":
		return "setMyCommands", s.setMyCommands
	case "getmycommands":
		return "getMyCommands", s.getMyCommands
	case "deletemycommands":
		return "deleteMyCommands", s.deleteMyCommands
	case "getchatmember":
		return "getChatMember", s.getChatMember
	case "getchat":
		return "getChat", s.getChat
	case "deletewebhook":
		return "deleteWebhook", func(*call) reply { return result(true) }
	case "getwebhookinfo":
		return "getWebhookInfo", func(*call) reply { return result(webhookInfo{}) }
	case "deletemessage", "sendchataction", "leavechat":
		return map[string]string{"deletemessage": "deleteMessage", "sendchataction": "sendChatAction",
			"leavechat": "leaveChat"}[lower], s.chatOnly
	}
	return "", nil
}

type webhookInfo struct {
	URL                  string `json:"url"`
	HasCustomCertificate bool   `json:"has_custom_certificate"`
	PendingUpdateCount   int    `json:"pending_update_count"`
}

func (s *Server) getMe(*call) reply {
	return result(s.botUser())
}

func (s *Server) botUser() *tgUser {
	return &tgUser{ID: s.botID, IsBot: true, FirstName: "Sentinelle (test)", Username: s.botName,
		CanJoinGroups: true}
}
