package telegram

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

const (
	// MaxPollTimeout is Telegram's cap on long polling (LONG_POLL_MAX_TIMEOUT
	// in the official server): asking for more is silently cut to 50 s.
	MaxPollTimeout = 50 * time.Second
	// DefaultRequestTimeout bounds every call but getUpdates when
	// ClientOptions.RequestTimeout is zero: a send that has not been answered
	// in 15 s is better retried than waited for.
	DefaultRequestTimeout = 15 * time.Second
	// DefaultAPIURL is the public Bot API.
	DefaultAPIURL = "https://api.telegram.org"
	// pollMargin is how long past the long-poll timeout we wait for
	// Telegram's answer before calling the connection dead.
	pollMargin = 10 * time.Second
)

// ClientOptions are the Client's dependencies and knobs. Only Token is
// required.
type ClientOptions struct {
	// Token is the bot token from @BotFather. It never appears in a log line
	// or an error text.
	Token string
	// APIURL is the base of the Bot API (TELEGRAM_API_URL), e.g.
	// https://api.telegram.org or telegramtest.Server.URL(). The client adds
	// "/bot<token>/<method>". Empty means DefaultAPIURL.
	APIURL string
	// Logger receives the client's own lines, redacted. Nil discards them.
	Logger *slog.Logger
	// HTTPClient is optional. The default has a 60 s overall timeout (longer
	// than the 50 s long poll) and dial, TLS and header timeouts. A custom one
	// should have an overall timeout longer than PollTimeout too: each call
	// also gets its own deadline through its context.
	HTTPClient *http.Client
	// PaidBroadcast says the operator enabled paid broadcasts in @BotFather
	// (TELEGRAM_PAID_BROADCAST). The client never adds allow_paid_broadcast
	// by itself: the dispatcher decides per message. When PaidBroadcast is
	// false, an allow_paid_broadcast parameter is dropped (with a warning), so
	// that a misconfigured dispatcher cannot spend Stars.
	PaidBroadcast bool
	// PollTimeout is the long-poll timeout of getUpdates, rounded down to
	// whole seconds, at least 1 s. Zero means MaxPollTimeout; larger values
	// are capped to it. Tests shorten it.
	PollTimeout time.Duration
	// RequestTimeout bounds each call other than getUpdates. Zero means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Sleep waits between two tries of Poll (after a failed getUpdates or
	// a failed handler) and reports whether the whole wait elapsed; it
	// returns false as soon as ctx is done. Nil means a real timer. Tests
	// of a handler that fails on purpose pass one that returns at once, so
	// the batch comes back without the 1–30 s backoff.
	Sleep func(ctx context.Context, d time.Duration) bool
}

// Client is the one door to the Bot API. It is safe for concurrent use: the
// poll loop, command replies and the dispatcher share one Client.
type Client struct {
	api         *tgbotapi.BotAPI // template, copied per call with a ctx-bound doer
	http        *http.Client
	log         *slog.Logger
	red         *redactor
	paid        bool
	pollTimeout time.Duration
	reqTimeout  time.Duration
	backoff     backoff
	sleep       func(ctx context.Context, d time.Duration) bool
}

// NewClient checks the token with getMe and returns a ready Client. Every
// error is a redacted *Error: ClassUnauthorized means the token is wrong or
// revoked, ClassNetwork that Telegram could not be reached.
func NewClient(ctx context.Context, opts ClientOptions) (*Client, error) {
	c, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	var api *tgbotapi.BotAPI
	err = c.do(ctx, "getMe", c.reqTimeout, func(doer tgbotapi.HTTPClient) error {
		var err error
		api, err = tgbotapi.NewBotAPIWithClient(opts.Token, endpoint(opts.APIURL), doer)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.Client = nil // every call gets its own doer; see do
	c.api = api
	c.log.Debug("connected to Telegram", "bot_username", api.Self.UserName)
	return c, nil
}

// newClient validates the options and fills in defaults, without network.
func newClient(opts ClientOptions) (*Client, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		log:         slog.New(NewRedactHandler(log.Handler(), opts.Token)),
		red:         newRedactor(opts.Token),
		paid:        opts.PaidBroadcast,
		pollTimeout: pollTimeout(opts.PollTimeout),
		reqTimeout:  opts.RequestTimeout,
		backoff:     backoff{min: time.Second, max: 30 * time.Second},
		sleep:       opts.Sleep,
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	if c.reqTimeout <= 0 {
		c.reqTimeout = DefaultRequestTimeout
	}
	if opts.Token == "" || strings.ContainsAny(opts.Token, "/ \t\r\n?#") {
		return nil, &Error{Method: "getMe", Class: ClassUnauthorized, Permanent: true,
			Description: "the bot token is empty or malformed"}
	}
	if u, err := url.Parse(apiBase(opts.APIURL)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{Method: "getMe", Class: ClassBadRequest, Permanent: true,
			Description: "the API URL must be an absolute http(s) URL"}
	}
	c.http = opts.HTTPClient
	if c.http == nil {
		c.http = defaultHTTPClient(c.pollTimeout)
	} else if c.http.Timeout != 0 && c.http.Timeout <= c.pollTimeout {
		c.log.Warn("the Telegram HTTP client times out before the long poll ends; idle polls will fail",
			"http_timeout_ms", c.http.Timeout.Milliseconds(), "poll_timeout_ms", c.pollTimeout.Milliseconds())
	}
	return c, nil
}

func pollTimeout(d time.Duration) time.Duration {
	switch {
	case d <= 0 || d > MaxPollTimeout:
		return MaxPollTimeout
	case d < time.Second:
		return time.Second
	}
	return d.Truncate(time.Second)
}

func apiBase(base string) string {
	if base == "" {
		return DefaultAPIURL
	}
	return strings.TrimRight(base, "/")
}

// endpoint builds the library's format string ("…/bot%s/%s") from a base
// URL; a '%' in the base is escaped so Sprintf leaves it alone.
func endpoint(base string) string {
	return strings.ReplaceAll(apiBase(base), "%", "%%") + "/bot%s/%s"
}

// defaultHTTPClient has an overall timeout longer than the long poll, and
// bounded dial, TLS and header waits so a stalled connection is noticed.
func defaultHTTPClient(poll time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = poll + pollMargin
	t.IdleConnTimeout = 90 * time.Second
	t.MaxIdleConnsPerHost = 16 // the dispatcher sends tens of messages a second
	return &http.Client{Transport: t, Timeout: poll + pollMargin}
}

// Username is the bot's @username without the @, from getMe; deep links
// (https://t.me/<username>?start=…) and "/cmd@<username>" need it.
func (c *Client) Username() string { return c.api.Self.UserName }

// BotID is the bot's own user id, from getMe; my_chat_member updates about
// the bot itself carry it.
func (c *Client) BotID() int64 { return c.api.Self.ID }

// String names the bot without its token, so that printing a Client (%v,
// %+v) cannot leak it.
func (c *Client) String() string { return "telegram.Client(@" + c.Username() + ")" }

// GoString is String for %#v, which would otherwise print the token.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps the token out of logs when a Client is logged.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Redact returns s without the bot token (in any spelling a URL gives it)
// nor anything shaped like a token. The bot uses it for what it logs on its
// own, such as the stack of a recovered panic, which may hold a Bot API URL.
func (c *Client) Redact(s string) string { return c.red.String(s) }

// doer is the library's HTTPClient for one call: it binds the request to the
// call's context, remembers the status for classification, and redacts
// transport errors before the library (or anyone) sees them.
type doer struct {
	ctx  context.Context
	http *http.Client
	red  *redactor
	ex   exchange
}

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.http.Do(req.WithContext(d.ctx))
	if err != nil {
		return nil, d.red.error(err)
	}
	d.ex = exchange{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	return resp, nil
}

// do runs one library call with a fresh doer bound to ctx and timeout. The
// library takes no context; giving each call its own copy of the BotAPI
// value with its own HTTPClient is how cancellation reaches the socket while
// the library still builds the requests (form-encoded POSTs) itself.
func (c *Client) do(ctx context.Context, method string, timeout time.Duration, call func(tgbotapi.HTTPClient) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := &doer{ctx: ctx, http: c.http, red: c.red}
	if err := call(d); err != nil {
		return classify(method, err, d.ex, c.red)
	}
	return nil
}

// withAPI runs fn on a per-call copy of the library's BotAPI.
func (c *Client) withAPI(ctx context.Context, method string, timeout time.Duration, fn func(api *tgbotapi.BotAPI) error) error {
	return c.do(ctx, method, timeout, func(d tgbotapi.HTTPClient) error {
		api := *c.api
		api.Client = d
		return fn(&api)
	})
}

// undecodable reports a 200 answer whose result we could not read. For a
// send the message probably went out, so the error is permanent: retrying
// would duplicate it.
func undecodable(method string, err error) *Error {
	return &Error{Method: method, Class: ClassBadRequest, Permanent: true,
		Description: fmt.Sprintf("unreadable result: %v", err)}
}
